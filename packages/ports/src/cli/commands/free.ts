import { formatRange, PortsError, type Registry } from '../../index.js';
import { quoteValue, wellFormedJson } from '../../escape.js';
import { idList, reservedIdHint } from '../../id-hints.js';
import { portAvailability, UNCHECKABLE_BIND_ERRORS } from '../../system/free-port.js';
import type { Transport } from '../../system/port-sockets.js';
import { defineCommand } from '../command.js';
import { type Context, load } from '../context.js';
import { CommandError } from '../exit-code.js';

export const command = defineCommand({
  summary: 'the first port of a reserved range that can be bound now on 0.0.0.0 and [::] (TCP, and UDP for a UDP service it is kept for)',
  operands: '<reserved-id>',
  flags: {},
  json: '{"id":"dashboard-fallback","port":3210}',
  notes: [
    "Skips a port that the registry, or a service's env override, gives a service (when that service starts, it needs it).",
    'Exits 1 when every port of the range is taken.',
  ],
  async run(context) {
    const registry = await load(context);
    const id = context.positionals[0]!;
    const range = registry.reserved.find((entry) => entry.id === id);
    if (!range) {
      const known = registry.reserved.map((entry) => entry.id).sort();
      throw new PortsError(
        'NOT_FOUND',
        `ports free: no reserved range ${quoteValue(id)}${reservedIdHint(id, registry)}; reserved ids: ${known.length > 0 ? idList(known) : 'none'}`,
      );
    }
    // TCP always (the port an operator is handed is free as a server's port is), and UDP as well when a service the
    // range is kept for is UDP: a UDP server's port is taken by a bound socket, which no TCP listen sees.
    const keptForUdp = range.for.some((owner) => registry.has(owner) && registry.service(owner).transport === 'udp');
    const transports: readonly Transport[] = keptForUdp ? ['tcp', 'udp'] : ['tcp'];
    const given = portsGiven(registry, transports, context.env);
    // Why each port could not be bound, by errno: a port below 1024 is not "in use" for a user who may not bind it.
    const refused = new Map<string, number>();
    const owners = new Set<string>();
    ports: for (let port = range.start; port <= range.end; port++) {
      if (given.has(port)) {
        refused.set(GIVEN, (refused.get(GIVEN) ?? 0) + 1);
        for (const owner of given.get(port)!) owners.add(owner);
        continue;
      }
      for (const transport of transports) {
        const availability = await portAvailability(port, transport);
        if (availability.free) continue;
        const code = availability.reason?.split(': ').at(-1) ?? 'UNKNOWN';
        // The process's own want (a descriptor, memory) says nothing of the port: no verdict on the range from it.
        const lack = UNCHECKABLE_BIND_ERRORS[code];
        if (lack) throw new CommandError(`ports free: cannot check port ${port} of "${id}": ${code} (${lack}); nothing was found in use`);
        refused.set(code, (refused.get(code) ?? 0) + 1);
        continue ports;
      }
      context.io.out(context.values.json ? `${JSON.stringify({ id, port }, wellFormedJson)}\n` : `${port}\n`);
      return 'ok';
    }
    throw new CommandError(
      `ports free: no free port in "${id}" (${formatRange(range)}): ${whyNotFree(refused, range.end - range.start + 1, owners)}; ${whatToDo(refused, id, transports)}`,
    );
  },
});

/** The reason counted for a port that belongs to a service (not an errno). */
const GIVEN = 'given to a service';

/**
 * The ports of `transports` that belong to a service, with the services' ids: each one's registry port and,
 * where its variable is set, its override's (a bad override of any service a PortsError, as `ports get` says it). A range kept for a service holds
 * ports it may move to, so the service's own port may lie in it: free only because the service is down,
 * handed out it would keep the service from starting.
 */
function portsGiven(registry: Registry, transports: readonly string[], env: Context['env']): Map<number, string[]> {
  const given = new Map<number, string[]>();
  const give = (port: number, id: string) => given.set(port, [...new Set([...(given.get(port) ?? []), id])]);
  for (const service of registry.services) {
    // A bad override is refused, whichever service it is for, as every command that applies overrides refuses it
    // (snippet, firewall): never skipped in silence, handing out a port while the operator's override is wrong.
    const port = resolvedPort(registry, service.id, env);
    if (!transports.includes(service.transport)) continue;
    give(service.port, service.id);
    give(port, service.id);
  }
  return given;
}

/** The service's port, its env override applied; a bad override a PortsError: the same line as `ports get`'s, named for this command. */
function resolvedPort(registry: Registry, id: string, env: Context['env']): number {
  try {
    return registry.resolvePort(id, { env }).port;
  } catch (error) {
    if (error instanceof PortsError) throw new PortsError(error.code, `ports free: ${error.message}`);
    throw error;
  }
}

/**
 * A port refused with EADDRINUSE: a server's bind on 0.0.0.0 and [::] is refused there, by a socket on any of its
 * addresses (127.0.0.1 too), so no address is named.
 */
const IN_USE = 'in use (held on some address of this host)';

/** `all 11 ports are in use (...)`, or how many were refused for which reason. */
function whyNotFree(refused: ReadonlyMap<string, number>, size: number, owners: ReadonlySet<string>): string {
  if (refused.size === 1 && refused.has('EADDRINUSE')) return `${size === 1 ? 'the port is' : `all ${size} ports are`} ${IN_USE}`;
  const parts = [...refused].map(([code, count]) => {
    if (code === GIVEN) return `${count} ${GIVEN} (${[...owners].sort().join(', ')})`;
    if (code === 'EADDRINUSE') return `${count} ${IN_USE}`;
    if (code === 'EACCES' || code === 'EPERM')
      return `${count} not permitted to this user (a port below net.ipv4.ip_unprivileged_port_start, 1024 by default, needs root or CAP_NET_BIND_SERVICE)`;
    return `${count} refused (${code})`;
  });
  return parts.join(', ');
}

/** What the operator can do about a range with no free port, for the reasons it had: free a port, run as root, or widen it. */
function whatToDo(refused: ReadonlyMap<string, number>, id: string, transports: readonly Transport[]): string {
  const ways: string[] = [];
  if (refused.has('EADDRINUSE'))
    ways.push(`see who holds a port with ss -H${transports.includes('udp') ? 'tu' : 't'}lnp 'sport = :PORT' and free it (claim-port PORT)`);
  if (refused.has('EACCES') || refused.has('EPERM')) ways.push('run as root');
  ways.push(`widen ${quoteValue(id)} under reserved: in the registry`);
  return ways.join(', or ');
}
