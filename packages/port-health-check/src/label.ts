import type { Service } from '@dsa110/ports';

/** How a reason names a service: `redis (6379)`. */
export function label(service: Pick<Service, 'id'>, port: number): string {
  return `${service.id} (${port})`;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
