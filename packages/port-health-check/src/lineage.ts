// Whom a listener's holder descends from: its parents, up to MAX_ANCESTRY
// levels below PID 1, each with its start time and cgroup, read once after the
// socket table. A service whose main process binds its port, hands the socket
// to a child and closes its own copy holds the port through that child alone:
// only the child's parents lead back to the service (workers.ts judges them).
// Every holder's own cgroup is read (whose unit it runs in); parents only above
// a holder in a unit the descent rule asks of, and only while they are in one.
import { readCgroup, readProcessInfo, readStartTime, type ProcessInfo } from '@dsa110/ports/system';
import type { ProcessFacts, SocketFacts } from './types.js';

/**
 * How many parents above a holder are read: a server, its reloader and a shell between them
 * (`sh -c 'uvicorn --reload --workers 4'`), with room to spare; never a walk up a whole tree.
 */
export const MAX_ANCESTRY = 8;

/**
 * By PID: every holder of a listener with its cgroup, and the parents of those `descends` accepts (by cgroup: in a
 * unit whose service the descent rule judges, workers.ts) up to MAX_ANCESTRY levels, as long as each one read is
 * accepted too (the rule goes no further up than a parent in such a unit), stopping below PID 1 (every process
 * descends from it: that proves nothing) and at a parent outside the PID namespace. A process is read with its
 * start time, and its cgroup kept only when the start time is the same after the cgroup was read: a PID that
 * exited and was reused meanwhile is left out (the chain ends there), never given the newcomer's cgroup. A holder
 * gone by then is left out too. The parents of a holder elsewhere (a login session, another service, no unit) are
 * not read: nothing asks them.
 */
export function readLineage(sockets: SocketFacts, descends: (process: ProcessFacts) => boolean): Map<number, ProcessFacts> {
  const holders = new Map<number, ProcessFacts>();
  for (const listener of sockets.listeners) for (const holder of listener.holders ?? []) holders.set(holder.pid, holder);
  const lineage = new Map<number, ProcessFacts>();
  // Each holder's walk goes its full MAX_ANCESTRY levels, through processes another walk already read (taken as
  // read, never read again): stopping at one would leave out what lies above the other walk's last level, and the
  // answer would depend on which holder came first. At most MAX_ANCESTRY lookups more per holder.
  for (const holder of holders.values()) {
    const read = lineage.get(holder.pid) ?? withCgroup(holder);
    if (read === undefined) continue;
    lineage.set(read.pid, read);
    let child: ProcessFacts = read;
    for (let level = 0; level < MAX_ANCESTRY && hasParent(child) && descends(child); level++) {
      const ppid: number = child.ppid!;
      const known = holders.get(ppid);
      const parent: ProcessFacts | undefined = lineage.get(ppid) ?? (known === undefined ? readAncestor(ppid) : withCgroup(known));
      if (parent === undefined) break;
      lineage.set(ppid, parent);
      child = parent;
    }
  }
  return lineage;
}

/** As the socket checks see a process: who it is, its names, its parent and start time. */
export function processFacts(info: ProcessInfo): ProcessFacts {
  return {
    pid: info.pid,
    ppid: info.ppid,
    uid: info.uid,
    user: info.user,
    comm: info.comm,
    ...(info.exe !== undefined && { exe: info.exe }),
    argv: info.argv,
    startTime: info.startTime,
  };
}

function hasParent(process: ProcessFacts): boolean {
  return process.ppid !== undefined && process.ppid > 1;
}

function readAncestor(pid: number): ProcessFacts | undefined {
  const info = readProcessInfo(pid);
  return info === undefined ? undefined : withCgroup(processFacts(info));
}

/** `process` with its cgroup, when it is still the process read (same start time); undefined when it is not. */
function withCgroup(process: ProcessFacts): ProcessFacts | undefined {
  if (process.startTime === undefined) return undefined;
  const cgroup = readCgroup(process.pid)?.path;
  if (readStartTime(process.pid) !== process.startTime) return undefined;
  return { ...process, ...(cgroup !== undefined && { cgroup }) };
}
