import { formatRange, PortsError } from '../../index.js';
import { quoteValue, wellFormedJson } from '../../escape.js';
import { portAvailability } from '../../system/free-port.js';
import { defineCommand } from '../command.js';
import { load } from '../context.js';
import { CommandError } from '../exit-code.js';

export const command = defineCommand({
  summary: 'the first port of a reserved range that can be bound now on 0.0.0.0 and [::] (TCP, and UDP for a UDP service it is kept for)',
  operands: '<reserved-id>',
  flags: {},
  json: '{"id":"dashboard-fallback","port":3210}',
  notes: ['Exits 1 when every port of the range is taken.'],
  async run(context) {
    const registry = await load(context);
    const id = context.positionals[0]!;
    const range = registry.reserved.find((entry) => entry.id === id);
    if (!range) {
      const known = registry.reserved.map((entry) => entry.id).sort();
      const hint = registry.has(id) ? ` ("${id}" is a service: "ports get ${id}" prints its port)` : '';
      throw new PortsError('NOT_FOUND', `ports free: no reserved range ${quoteValue(id)}${hint}; reserved ids: ${known.join(', ') || 'none'}`);
    }
    // The transports of the services the range is kept for (a UDP service's port is taken by a bound socket); TCP for nobody's.
    const transports = [...new Set(range.for.flatMap((owner) => (registry.has(owner) ? [registry.service(owner).transport] : [])))].sort();
    if (transports.length === 0) transports.push('tcp');
    // Why each port could not be bound, by errno: a port below 1024 is not "in use" for a user who may not bind it.
    const refused = new Map<string, number>();
    ports: for (let port = range.start; port <= range.end; port++) {
      for (const transport of transports) {
        const availability = await portAvailability(port, transport);
        if (availability.free) continue;
        const code = availability.reason?.split(': ').at(-1) ?? 'UNKNOWN';
        refused.set(code, (refused.get(code) ?? 0) + 1);
        continue ports;
      }
      context.io.out(context.values.json ? `${JSON.stringify({ id, port }, wellFormedJson)}\n` : `${port}\n`);
      return 'ok';
    }
    throw new CommandError(`ports free: no free port in "${id}" (${formatRange(range)}): ${whyNotFree(refused, range.end - range.start + 1)}`);
  },
});

/** `all 11 ports are in use on 0.0.0.0 or [::]`, or how many were refused for which reason. */
function whyNotFree(refused: ReadonlyMap<string, number>, size: number): string {
  if (refused.size === 1 && refused.has('EADDRINUSE')) return `${size === 1 ? 'the port is' : `all ${size} ports are`} in use on 0.0.0.0 or [::]`;
  const parts = [...refused].map(([code, count]) => {
    if (code === 'EADDRINUSE') return `${count} in use on 0.0.0.0 or [::]`;
    if (code === 'EACCES' || code === 'EPERM')
      return `${count} not permitted to this user (a port below net.ipv4.ip_unprivileged_port_start, 1024 by default, needs root or CAP_NET_BIND_SERVICE)`;
    return `${count} refused (${code})`;
  });
  return parts.join(', ');
}
