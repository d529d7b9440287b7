// The NAT rules that send connections from outside to a loopback address: a
// `dnat` to 127.0.0.1 in a table with a nat chain on the prerouting hook. With
// route_localnet on (route-localnet.ts) such a rule makes a listener bound to
// 127.0.0.1 reachable from any host whose packets reach this one, not only
// from the link. `redirect` is not one: it sends the packet to the address of
// the interface it came in on, never to loopback (tried on a real kernel:
// refused by a listener on 127.0.0.1). Named to say where a loopback-only
// listener is reached from; whether the input hook lets it in is ruleset.ts's
// answer, whatever these say.
import { addressBits } from './ip.js';
import { type Decision, isDormant, record, type Ruleset } from './ruleset.js';

/** A rule that DNATs connections to a loopback listener: `to` is `127.0.0.1:6379`, or undefined when it cannot read where (it may be this listener). */
export interface LoopbackDnat {
  readonly at: Decision;
  readonly to?: string;
}

/**
 * The DNAT rules that may send connections to `port` on one of `addresses`
 * (IPv4 loopback addresses a service listens on). Every chain of a table
 * that has a nat chain on prerouting counts but base chains on other hooks
 * (output's DNAT is for this host's own connections): a chain that no jump
 * reaches is named too, on the safe side.
 */
export function loopbackDnats(ruleset: Ruleset, addresses: readonly string[], port: number): LoopbackDnat[] {
  const chains = [...ruleset.chains.values()].filter((chain) => chain.family === 'ip' || chain.family === 'inet');
  const natTables = new Set(
    chains
      .filter((chain) => chain.type === 'nat' && chain.hook === 'prerouting' && !isDormant(ruleset, chain.family, chain.table))
      .map((chain) => `${chain.family} ${chain.table}`),
  );
  const found: LoopbackDnat[] = [];
  for (const chain of chains) {
    if (!natTables.has(`${chain.family} ${chain.table}`) || (chain.hook !== undefined && chain.hook !== 'prerouting')) continue;
    for (const rule of chain.rules) {
      const at: Decision = { family: chain.family, table: chain.table, chain: chain.name, ...(rule.handle !== undefined && { handle: rule.handle }) };
      for (const statement of rule.expr) {
        const dnat = record(record(statement)?.dnat);
        const xt = record(record(statement)?.xt);
        if (xt && xt.type === 'target' && xt.name === 'DNAT') found.push({ at });
        else if (dnat && dnat.family !== 'ip6') {
          const target = reaches(dnat, addresses, port);
          if (target !== false) found.push({ at, ...(target !== undefined && { to: target }) });
        }
      }
    }
  }
  return found;
}

/** Where a dnat statement sends a connection, when that is one of the listeners (`127.0.0.1:6379`); false when it is not; undefined when it cannot tell. */
function reaches(dnat: Record<string, unknown>, addresses: readonly string[], port: number): string | false | undefined {
  if (typeof dnat.addr !== 'string') return undefined;
  const bits = addressBits(dnat.addr);
  if (!bits) return undefined;
  if (bits.family !== 4) return false;
  const listener = addresses.find((address) => addressBits(address)?.value === bits.value);
  if (listener === undefined) return false;
  // No port: the connection keeps its own, which may be this one.
  if (dnat.port === undefined || dnat.port === port) return `${listener}:${port}`;
  if (typeof dnat.port === 'number') return false;
  const range = record(dnat.port)?.range;
  if (Array.isArray(range) && typeof range[0] === 'number' && typeof range[1] === 'number')
    return range[0] <= port && port <= range[1] ? `${listener}:${port}` : false;
  return undefined;
}
