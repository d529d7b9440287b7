// Assemble a HealthReport from the results: one row per service for the
// table, counts per severity, and the exit code. Pure but for the host name,
// which is read when first asked for.
import { hostname } from 'node:os';
import type { Registry, Service } from '@dsa110/ports';
import { formatListeners } from './address.js';
import { holdersOf, listenersOn } from './checks/listeners.js';
import { effectivePort } from './effective-port.js';
import { exitCode, type ExitCode } from './exit-code.js';
import { SEVERITIES, worst, type CheckResult, type Facts, type ProcessFacts, type Severity } from './types.js';

export const REPORT_VERSION = 1;

export interface ServiceRow {
  readonly id: string;
  readonly name: string;
  /** The port the service uses (the unit's Environment= override, else the registry's). */
  readonly port: number;
  readonly registryPort: number;
  readonly group: Service['group'];
  readonly access: Service['access'];
  /** undefined when it is not known: the socket table could not be read, or the service is UDP (only TCP listeners are read). */
  readonly listening: boolean | undefined;
  /** Each listening socket as printed: `127.0.0.1:6379`, `[::]:6379 (IPv4+IPv6 unless v6only)`. */
  readonly addresses: readonly string[];
  /** The same sockets, a field each (for programs: `addresses` are for people). */
  readonly listeners: readonly ListenerRow[];
  readonly owners: readonly ProcessFacts[];
  /** False when some holder of the port could not be seen, or whether it listens is not known. */
  readonly ownersKnown: boolean;
  readonly verdict: Severity;
}

/** A listening socket of a service's port, in ServiceRow. */
export interface ListenerRow {
  /** Normalized, without brackets: `127.0.0.1`, `0.0.0.0`, `::`, `::1`, `::ffff:127.0.0.1`. */
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** A `::` socket that also accepts IPv4 (IPV6_V6ONLY off, as far as can be told). */
  readonly dualStack: boolean;
}

export interface HealthReport {
  readonly version: typeof REPORT_VERSION;
  /** The machine checked (os.hostname(), read on first use). */
  readonly host: string;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly registry: string;
  readonly root: string;
  readonly strict: boolean;
  readonly services: readonly ServiceRow[];
  readonly results: readonly CheckResult[];
  readonly counts: Readonly<Record<Severity, number>>;
  /** The worst severity found. */
  readonly status: Severity;
  readonly exitCode: ExitCode;
}

export function countSeverities(results: readonly CheckResult[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
  for (const result of results) counts[result.severity]++;
  return counts;
}

export function serviceRows(facts: Facts, results: readonly CheckResult[]): ServiceRow[] {
  // Each service's severities, in one pass (a filter per service is quadratic: 500 services, 1,700 results).
  const severities = new Map<string, Severity[]>();
  for (const result of results) {
    if (result.service === undefined) continue;
    const list = severities.get(result.service);
    if (list) list.push(result.severity);
    else severities.set(result.service, [result.severity]);
  }
  return facts.services.map((service) => {
    const { port } = effectivePort(facts, service);
    // Only TCP listeners are read: a UDP service's state is not known (never "not listening", never a TCP socket on its number).
    const known = !facts.sockets.problem && service.transport === 'tcp';
    const listeners = known ? listenersOn(facts, port) : [];
    const { processes, unseen, changed } = holdersOf(facts, listeners);
    return {
      id: service.id,
      name: service.name,
      port,
      registryPort: service.port,
      group: service.group,
      access: service.access,
      listening: known ? listeners.length > 0 : undefined,
      addresses: formatListeners(listeners),
      listeners: listeners.map(({ address, port, family, dualStack }) => ({ address, port, family, dualStack })),
      owners: processes,
      ownersKnown: known && !unseen && !changed,
      verdict: worst(severities.get(service.id) ?? []),
    };
  });
}

export function buildReport(input: {
  registry: Registry | string;
  root: string;
  strict: boolean;
  startedAt: Date;
  durationMs: number;
  services: readonly ServiceRow[];
  results: readonly CheckResult[];
}): HealthReport {
  const counts = countSeverities(input.results);
  let host: string | undefined;
  return {
    version: REPORT_VERSION,
    // Read when first asked for (JSON and Prometheus show it, the text report does not): loading node:os
    // for it cost the text report's start-up about 1M instructions of Node's 85M (callgrind, Node 20).
    get host() {
      host ??= hostname();
      return host;
    },
    startedAt: input.startedAt,
    durationMs: input.durationMs,
    registry: typeof input.registry === 'string' ? input.registry : input.registry.source,
    root: input.root,
    strict: input.strict,
    services: input.services,
    results: input.results,
    counts,
    status: worst(input.results.map((result) => result.severity)),
    exitCode: exitCode(counts, input.strict),
  };
}
