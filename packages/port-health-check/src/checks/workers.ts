// A service's own workers: processes that hold the listening socket the
// service bound and handed them, whose names are not the service's. Python's
// multiprocessing `spawn` children (uvicorn --workers, --reload) run as
// `python3 -c "from multiprocessing.spawn import spawn_main; ..."`, and a
// forked child may exec anything; judged by their own names they read as
// intruders, and stopping them as such takes the service down with them.
// The one place that says whether a holder is the service's: the owner,
// listening and reserved checks all ask it.
import type { Service } from '@dsa110/ports';
import { MAX_ANCESTRY } from '../lineage.js';
import type { Facts, ListenerFacts, ProcessFacts } from '../types.js';

/** A holder that is the service's by descent, not by its names. */
export interface Worker {
  /** Its parent's PID, as `ps` shows it (`worker of pid N`). */
  readonly parent: number;
  /** The process it is the worker of that the service's names accept: its parent, or one further up. */
  readonly service: ProcessFacts;
}

/** What tells a holder's descent beyond the holders: Facts.lineage, and the units the service runs as. */
export interface Descent {
  /** By PID: holders and their parents with start times and cgroups (Facts.lineage); undefined: none read. */
  readonly lineage?: ReadonlyMap<number, ProcessFacts> | undefined;
  /** The systemd units the service runs as (its unit): only a holder and parents whose cgroups name one are its by descent. */
  readonly units: readonly string[];
}

/** The descent of `services`' holders: the lineage gather read, and their units. */
export function descentOf(facts: Pick<Facts, 'lineage'>, services: readonly Service[]): Descent {
  return { lineage: facts.lineage, units: services.flatMap((service) => (service.systemd ? [service.systemd.unit] : [])) };
}

/**
 * The holders of `listeners` (one port's) that `accepts` does not accept but that are the service's workers:
 *
 * - Sharing: its parent holds every socket it holds on the port (the same socket: the same inode, one entry of
 *   the table) and is the service, accepted or such a worker itself (a chain: a reloader, its server, that
 *   server's workers). It can only have that socket from the service: inherited across fork, or passed over a
 *   Unix socket by a process that holds it.
 * - Descent: its parent closed its copy (or never held one: a shell between), but its parents, each started no
 *   later than its child (a PID reused between two reads is a newcomer, not the parent), lead within
 *   MAX_ANCESTRY levels to a process `accepts` accepts, not PID 1; and it and each of them runs in one of
 *   `descent.units`, as its cgroup names it: no other account can put a process there, nor make itself a child of
 *   the service. Only then: a service with no unit, or a cgroup that names none (no systemd, `/`, a container), says
 *   nothing of who started a process, and a name is no proof (a developer's `python3 -m http.server` started from
 *   VS Code's terminal descends from a `node`, as Vite does). A parent that died
 *   leaves its child to PID 1 or a subreaper: a child of PID 1 is no one's worker; one a subreaper adopted is
 *   the worker of whatever that subreaper descends from, as it descended from it too. And every socket it holds
 *   on the port is the service's: held by the service (as by sharing), or the only socket on its address, since
 *   a second one there is a socket of its own (SO_REUSEPORT), which a holder in the service's own tree may have
 *   bound itself.
 *
 * What neither is: a child that also holds a socket of its own on the port (bound itself with SO_REUSEPORT,
 * taking a share of the connections), a holder in another unit or session, or one whose parents reach no process
 * of the service's. Another user's is one (a master that drops privileges for its workers, as nginx's www-data
 * ones): it holds the service's own socket all the same, and stopping it would not free the port.
 */
export function workersOf(
  listeners: readonly ListenerFacts[],
  accepts: (process: ProcessFacts) => boolean,
  descent: Descent = { units: [] },
): ReadonlyMap<number, Worker> {
  const byPid = new Map<number, ProcessFacts>();
  const socketsOf = new Map<number, Set<number>>();
  for (const listener of listeners)
    for (const holder of listener.holders ?? []) {
      byPid.set(holder.pid, holder);
      const sockets = socketsOf.get(holder.pid) ?? new Set<number>();
      sockets.add(listener.inode);
      socketsOf.set(holder.pid, sockets);
    }
  // Sharing: memoized, as a chain's members share their parents.
  const shared = new Map<number, ProcessFacts | null>();
  const sharing = (process: ProcessFacts, chain: ReadonlySet<number>): ProcessFacts | null => {
    const known = shared.get(process.pid);
    if (known !== undefined) return known;
    const parent = process.ppid === undefined ? undefined : byPid.get(process.ppid);
    // The chain guards against a loop of parents, which a table read while processes come and go could show.
    const service = accepts(process)
      ? process
      : parent !== undefined && !chain.has(parent.pid) && [...socketsOf.get(process.pid)!].every((inode) => socketsOf.get(parent.pid)!.has(inode))
        ? sharing(parent, new Set([...chain, process.pid]))
        : null;
    shared.set(process.pid, service);
    return service;
  };
  const serviceHolds = (inode: number, except: number) =>
    listeners.some(
      (listener) =>
        listener.inode === inode && (listener.holders ?? []).some((holder) => holder.pid !== except && sharing(holder, new Set([holder.pid])) !== null),
    );
  const ownSocket = (process: ProcessFacts) =>
    listeners.some(
      (listener) =>
        socketsOf.get(process.pid)!.has(listener.inode) &&
        !serviceHolds(listener.inode, process.pid) &&
        listeners.some((other) => other.inode !== listener.inode && overlaps(listener, other)),
    );
  const workers = new Map<number, Worker>();
  for (const process of byPid.values()) {
    if (accepts(process)) continue;
    const parent = process.ppid!;
    const service = sharing(process, new Set([process.pid])) ?? (ownSocket(process) ? undefined : serviceAbove(process.pid, accepts, descent));
    if (service) workers.set(process.pid, { parent, service });
  }
  return workers;
}

/** The process `accepts` accepts that the lineage of `pid` leads to, each step checked as workersOf says; undefined when none. */
function serviceAbove(pid: number, accepts: (process: ProcessFacts) => boolean, descent: Descent): ProcessFacts | undefined {
  const lineage = descent.lineage;
  let child = lineage?.get(pid);
  if (lineage === undefined || child === undefined) return undefined;
  // Not known is not a pass: a cgroup that names no unit is in none of them.
  const inUnits = (process: ProcessFacts) => {
    const unit = unitOf(process);
    return unit !== undefined && descent.units.includes(unit);
  };
  if (!inUnits(child)) return undefined;
  // As many parents as lineage.ts reads: also the end of a loop of parents read while processes came and went.
  for (let level = 0; level < MAX_ANCESTRY; level++) {
    const ppid = child.ppid;
    if (ppid === undefined || ppid <= 1) return undefined;
    const parent = lineage.get(ppid);
    if (parent === undefined || parent.startTime === undefined || child.startTime === undefined || parent.startTime > child.startTime) return undefined;
    if (!inUnits(parent)) return undefined;
    if (accepts(parent)) return parent;
    child = parent;
  }
  return undefined;
}

/**
 * The unit of the system's service manager a cgroup path puts a process in: the first part below its slices
 * (`/system.slice/redis-server.service/...` is redis-server.service; `/user.slice/user-1000.slice/user@1000.service/
 * app.slice/redis-server.service` is user@1000.service, a user's own manager, whatever it names its units);
 * undefined where the path names none (`/`: a machine or container without systemd) or the cgroup is not known.
 */
export function unitOf(process: Pick<ProcessFacts, 'cgroup'>): string | undefined {
  if (process.cgroup === undefined) return undefined;
  const first = process.cgroup.split('/').find((part) => part !== '' && !part.endsWith('.slice'));
  return first !== undefined && /\.(service|scope)$/.test(first) ? first : undefined;
}

/**
 * Whether two listening sockets of one port take the same connections, which only SO_REUSEPORT lets two sockets do:
 * the same address, or the unspecified one of its family (`::` with IPv4 too when dual-stack).
 */
function overlaps(a: ListenerFacts, b: ListenerFacts): boolean {
  const any = (listener: ListenerFacts) => listener.address === '0.0.0.0' || listener.address === '::';
  if (a.family === b.family) return a.address === b.address || any(a) || any(b);
  return (a.family === 6 && a.dualStack && any(a)) || (b.family === 6 && b.dualStack && any(b));
}
