// `ports env`: the environment variables of the configurable services, with
// their registry ports, in a shell, dotenv or systemd format.
import type { Registry } from '../index.js';

export const ENV_FORMATS = Object.freeze(['sh', 'dotenv', 'systemd'] as const);
export type EnvFormat = (typeof ENV_FORMATS)[number];

export function isEnvFormat(value: string): value is EnvFormat {
  return (ENV_FORMATS as readonly string[]).includes(value);
}

/** One line per service with an env override, sorted by port; ends with a newline when not empty. */
export function renderEnv(registry: Registry, format: EnvFormat = 'sh'): string {
  const prefix = { sh: 'export ', dotenv: '', systemd: 'Environment=' }[format];
  const lines = registry.services.flatMap((service) => (service.env ? [`${prefix}${service.env}=${service.port}`] : []));
  return lines.map((line) => `${line}\n`).join('');
}
