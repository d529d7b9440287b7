// A service's own workers: processes that hold the listening socket the
// service bound and handed them, whose names are not the service's. Python's
// multiprocessing `spawn` children (uvicorn --workers, --reload) run as
// `python3 -c "from multiprocessing.spawn import spawn_main; ..."`, and a
// forked child may exec anything; judged by their own names they read as
// intruders, and stopping them as such takes the service down with them.
import type { ListenerFacts, ProcessFacts } from '../types.js';

/**
 * The holders of `listeners` that `accepts` does not accept but that are the
 * service's workers, each with its parent's PID: a holder whose parent holds
 * every socket it holds on the port (the same socket: the same inode, one
 * entry of the table) and is the service, accepted or a worker itself (a
 * chain: a reloader, its server, that server's workers). It can only have
 * that socket from the service: inherited across fork, or passed over a Unix
 * socket by a process that holds it. What it is not: a child that also holds
 * a socket of its own on the port (bound itself with SO_REUSEPORT, taking a
 * share of the connections), or one whose parent is not a holder of that
 * socket (a descendant that does not hold it, a grandchild through a process
 * that does not). Another user's is one (a master that drops privileges for
 * its workers, as nginx's www-data ones): it holds the service's own socket
 * all the same, and stopping it would not free the port.
 */
export function workersOf(listeners: readonly ListenerFacts[], accepts: (process: ProcessFacts) => boolean): ReadonlyMap<number, number> {
  const byPid = new Map<number, ProcessFacts>();
  const socketsOf = new Map<number, Set<number>>();
  for (const listener of listeners)
    for (const holder of listener.holders ?? []) {
      byPid.set(holder.pid, holder);
      const sockets = socketsOf.get(holder.pid) ?? new Set<number>();
      sockets.add(listener.inode);
      socketsOf.set(holder.pid, sockets);
    }
  const isService = new Map<number, boolean>();
  const judge = (process: ProcessFacts, chain: ReadonlySet<number>): boolean => {
    const known = isService.get(process.pid);
    if (known !== undefined) return known;
    const parent = process.ppid === undefined ? undefined : byPid.get(process.ppid);
    // The chain guards against a loop of parents, which a table read while processes come and go could show.
    const service =
      accepts(process) ||
      (parent !== undefined &&
        !chain.has(parent.pid) &&
        [...socketsOf.get(process.pid)!].every((inode) => socketsOf.get(parent.pid)!.has(inode)) &&
        judge(parent, new Set([...chain, process.pid])));
    isService.set(process.pid, service);
    return service;
  };
  const workers = new Map<number, number>();
  for (const process of byPid.values()) if (!accepts(process) && judge(process, new Set([process.pid]))) workers.set(process.pid, process.ppid!);
  return workers;
}
