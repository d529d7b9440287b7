// The other ports a holder listens on. Killing a holder closes every socket it
// holds: one that also serves another registered service's port would take that
// service down with the claimed one. Found from what the claim already read: the
// holder scan's socket links (every socket each process holds) and one read of
// the socket tables for those sockets' ports; no second /proc scan.
import { escapeText, type Registry, type Service } from '@dsa110/ports';
import { readSocketsByInode, type Listener, type PortSocket, type SocketLinks, type Transport } from '@dsa110/ports/system';
import { claimPortArgument } from '@dsa110/ports/systemd';
import type { OtherPort } from './result.js';

export type { OtherPort };

/**
 * The ports each of `holders` listens on besides the claimed port (`port`,
 * `transport`), by PID, ascending; undefined when it cannot be known (no socket
 * links: lsof, or a reader of another /proc tree). `links`: the holder scan's
 * (Gathered.socketLinks); `listeners`: the claimed port's sockets, left out.
 * A TCP socket in LISTEN, a UDP socket not connected to a peer: the kernel
 * hands it every datagram sent to its port, whatever port that is (a DNS or
 * QUIC server's, or a `sendto` client's: the socket table does not tell them
 * apart). A UDP socket connected to a peer is a client's, and no listener.
 */
export function listeningElsewhere(
  holders: readonly number[],
  listeners: readonly Listener[],
  links: SocketLinks | undefined,
  port: number,
  transport: Transport,
  procRoot = '/proc',
): Map<number, { port: number; transport: Transport }[]> | undefined {
  if (links === undefined) return undefined;
  const wanted = new Set(holders);
  const claimed = new Set(listeners.map((l) => l.inode));
  const byInode = new Map<number, number[]>();
  for (const [inode, pids] of links) {
    if (claimed.has(inode)) continue;
    for (const pid of pids.keys()) {
      if (!wanted.has(pid)) continue;
      const seen = byInode.get(inode);
      if (seen) seen.push(pid);
      else byInode.set(inode, [pid]);
    }
  }
  const out = new Map<number, { port: number; transport: Transport }[]>();
  if (byInode.size === 0) return out;
  let sockets: PortSocket[];
  try {
    sockets = readSocketsByInode(new Set(byInode.keys()), procRoot);
  } catch {
    return undefined;
  }
  const keys = new Map<number, Set<string>>();
  for (const socket of sockets) {
    if (socket.transport === 'tcp' ? socket.state !== 'LISTEN' : socket.state !== 'BOUND') continue;
    if (socket.port === port && socket.transport === transport) continue;
    for (const pid of byInode.get(socket.inode) ?? []) {
      const key = `${socket.port}/${socket.transport}`;
      let seen = keys.get(pid);
      if (!seen) keys.set(pid, (seen = new Set()));
      if (seen.has(key)) continue;
      seen.add(key);
      const list = out.get(pid);
      const entry = { port: socket.port, transport: socket.transport };
      if (list) list.push(entry);
      else out.set(pid, [entry]);
    }
  }
  for (const list of out.values()) list.sort((a, b) => a.port - b.port || a.transport.localeCompare(b.transport));
  return out;
}

/**
 * Pure: what the registry says of each port: the service on it (by its
 * registered port, or its env override in `env`), whether that service is the
 * claimed one or shares its systemd unit, else the reserved entry it is in.
 * Without a registry, nothing.
 */
export function classifyPorts(
  ports: readonly { port: number; transport: Transport }[],
  registry: Registry | undefined,
  claimedService: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): OtherPort[] {
  if (registry === undefined) return ports.map(({ port, transport }) => ({ port, transport }));
  const byPort = servicesByPort(registry, env);
  let claimedUnit: string | undefined;
  try {
    claimedUnit = claimedService === undefined ? undefined : registry.service(claimedService).systemd?.unit;
  } catch {
    claimedUnit = undefined;
  }
  const same = (s: Service) => s.id === claimedService || (claimedUnit !== undefined && s.systemd?.unit === claimedUnit);
  // The registered port of a service of the claimed unit that its override moved elsewhere is no service's (as for a
  // claim by port number, serviceOnPort): that unit runs on the override. Another service's registered port still
  // counts (refuses), moved or not: an instance of it may run there yet.
  const movedAway = (s: Service, port: number) => s.port === port && resolvedPort(registry, s, env) !== port;
  return ports.map(({ port, transport }) => {
    const services = (byPort.get(`${port}/${transport}`) ?? []).filter((s) => !(same(s) && movedAway(s, port)));
    // Another service's port first: that is what refuses.
    const service = services.find((s) => !same(s)) ?? services[0];
    if (service !== undefined)
      return {
        port,
        transport,
        service: service.id,
        ...(service.systemd?.unit !== undefined && { unit: service.systemd.unit }),
        ...(same(service) && { sameUnit: true }),
      };
    const owner = registry.lookup(port, transport);
    return owner?.kind === 'reserved' ? { port, transport, reserved: owner.id } : { port, transport };
  });
}

/**
 * The port `service` runs on in `env`: its env override where `env` sets a valid one (Registry.resolvePort), else its
 * registered port; an override that does not resolve moves nothing (the claim of that service says why).
 */
function resolvedPort(registry: Registry, service: Service, env: Readonly<Record<string, string | undefined>>): number {
  try {
    return registry.resolvePort(service.id, { env }).port;
  } catch {
    return service.port;
  }
}

/**
 * The service that runs on `port`/`transport` in `env`: the one whose port, its env override applied, is that port.
 * A service an override moved away is not the owner of its registered port any more. Undefined when none is.
 */
export function serviceOnPort(registry: Registry, port: number, transport: Transport, env: Readonly<Record<string, string | undefined>>): Service | undefined {
  return registry.services.find((service) => service.transport === transport && resolvedPort(registry, service, env) === port);
}

/** Every service by `port/transport`: its registered port, and its env override where `env` sets a valid one. */
function servicesByPort(registry: Registry, env: Readonly<Record<string, string | undefined>>): Map<string, Service[]> {
  const out = new Map<string, Service[]>();
  const add = (key: string, service: Service) => {
    const list = out.get(key);
    if (!list) out.set(key, [service]);
    else if (!list.includes(service)) list.push(service);
  };
  for (const service of registry.services) {
    add(`${service.port}/${service.transport}`, service);
    add(`${resolvedPort(registry, service, env)}/${service.transport}`, service);
  }
  return out;
}

/** Pure: another service's ports among `ports` (see OtherPort.sameUnit): those that refuse the claim. */
export function othersPorts(ports: readonly OtherPort[]): OtherPort[] {
  return ports.filter((p) => p.service !== undefined && p.sameUnit !== true);
}

/** How many ports a line names before `and N more`: a holder with hundreds of listeners still gives one readable line. */
export const PORTS_SHOWN = 6;

/** Pure: `port 8001 (api2)`, `5353/udp`, `20130 (reserved dev)`: one port as the lines name it. */
export function describeOtherPort(p: OtherPort, claimed: Transport = 'tcp'): string {
  const note = p.service !== undefined ? escapeText(p.service, 64) : p.reserved !== undefined ? `reserved ${escapeText(p.reserved, 64)}` : undefined;
  // A bare number is a TCP port, as claim-port's argument is; in a UDP claim's lines, where the port claimed is
  // `5353/udp`, a bare `5353` read as the port claimed: said `5353/tcp` there.
  const port = claimed === 'udp' && p.transport === 'tcp' ? `${p.port}/tcp` : claimPortArgument(p.port, p.transport);
  return `${port}${note !== undefined ? ` (${note}${p.sameUnit ? ', the same unit' : ''})` : ''}`;
}

/** Pure: `8001 (api2), 8002 and 398 more`: the first PORTS_SHOWN ports, and how many are left out (`claimed`: the claim's transport, see describeOtherPort). */
export function describeOtherPorts(ports: readonly OtherPort[], shown = PORTS_SHOWN, claimed: Transport = 'tcp'): string {
  const named = ports.slice(0, shown).map((p) => describeOtherPort(p, claimed));
  const more = ports.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.length > 1 ? `${named.slice(0, -1).join(', ')} and ${named.at(-1)}` : (named[0] ?? '');
}
