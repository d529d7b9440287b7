/** Levenshtein distance, small and allocation-light: names here are short. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The nearest candidate, if it is near enough to be a plausible typo. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(2, Math.floor(input.length / 3));
  return bestDistance <= limit ? best : undefined;
}

export function didYouMean(input: string, candidates: readonly string[]): string {
  const suggestion = closest(input, candidates);
  return suggestion ? ` (did you mean "${suggestion}"?)` : '';
}

/** A name with a systemd unit type suffix (systemd.unit(5)). */
const UNIT_SUFFIX = /^(.+)\.(?:service|socket|device|mount|automount|swap|target|path|timer|slice|scope)$/;

/** What serviceIdHint() needs of a service. */
interface ServiceFacts {
  readonly id: string;
  readonly port: number;
  readonly transport: 'tcp' | 'udp';
  readonly systemd?: { readonly unit: string };
}

/**
 * The hint for a service id that is not one: the id to give instead, when the
 * input is a service's port (`8000`, `5353/udp`: its port in the registry,
 * overrides not applied), a systemd unit a service declares
 * (`redis-server.service`, or without `.service`), an id with a unit suffix
 * (`redis.service`), or close to an id (a typo).
 * Empty when none fits. Used by Registry.service(), so every tool that takes
 * an id (port-health-check --service, ports get, claim-port) says the same.
 */
export function serviceIdHint(input: string, services: readonly ServiceFacts[]): string {
  const port = /^([1-9][0-9]{0,4})(?:\/(tcp|udp))?$/.exec(input);
  const matches = port
    ? services.filter((service) => service.port === Number(port[1]) && (port[2] === undefined || service.transport === port[2]))
    : services.filter((service) => service.systemd !== undefined && (service.systemd.unit === input || service.systemd.unit === `${input}.service`));
  // The port and the unit come from the registry (validated), never the input as typed.
  const what = port ? `port ${matches[0]?.port}${port[2] ? `/${port[2]}` : ''}` : `unit ${matches[0]?.systemd?.unit}`;
  if (matches.length === 1) return ` (${what} belongs to service "${matches[0]!.id}": give its id, "${matches[0]!.id}")`;
  if (matches.length > 1) return ` (${what} belongs to services ${matches.map((service) => `"${service.id}"`).join(', ')}: give one of their ids)`;
  // An id with a unit suffix (`redis.service` for service redis, whose unit is redis-server.service).
  const unit = UNIT_SUFFIX.exec(input);
  const byId = unit ? services.find((service) => service.id === unit[1]) : undefined;
  if (byId) return ` (a systemd unit name, not a service id: give the id, "${byId.id}")`;
  return didYouMean(
    input,
    services.map((service) => service.id),
  );
}
