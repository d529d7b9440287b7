// Whether the /proc claim-port reads is its own PID namespace's. Every PID a
// claim reads (holders, their start times, claim-port's own ancestors) comes
// from /proc, but kill(2) takes a PID of claim-port's own PID namespace. In a
// PID namespace that still shows another namespace's /proc (`unshare --pid
// --fork` without --mount-proc: the host's), a holder's PID read there names
// whichever process has that number in claim-port's namespace, and the start
// time it checks is the holder's: it would signal that other process. Read
// only when a claim is about to act on a held port (a free port never pays):
// one readlink of /proc/self, which names claim-port by /proc's numbering.
import { existsSync, readlinkSync } from 'node:fs';

/**
 * Pure: why the /proc whose `self` reads `self` is not the PID namespace of
 * the process whose PID is `pid`: `self` another PID (it is a parent
 * namespace's), or undefined (/proc does not show it at all: a namespace it is
 * not in). Undefined when they agree.
 */
export function foreignProcReason(self: string | undefined, pid: number): string | undefined {
  if (self === String(pid)) return undefined;
  const seen =
    self === undefined
      ? `claim-port is not in it (/proc/self cannot be read; it is PID ${pid} in its own)`
      : `/proc/self is PID ${/^\d{1,10}$/.test(self) ? self : '?'} there, and PID ${pid} in claim-port's own: \`unshare --pid\` without --mount-proc?`;
  return `the /proc claim-port reads is another PID namespace's (${seen}), so a PID read there names another process than the one kill() reaches; run it in the service's PID namespace with a /proc of its own (\`unshare --pid --fork --mount-proc\`, \`nsenter --target PID --pid --mount\`) or from the host`;
}

/** foreignProcReason() of the /proc at `procRoot` for this process; undefined off Linux, or where there is no /proc. */
export function readForeignProc(procRoot = '/proc', pid = process.pid): string | undefined {
  if (process.platform !== 'linux') return undefined;
  let self: string | undefined;
  try {
    self = readlinkSync(`${procRoot}/self`);
  } catch {
    // No /proc mounted (claim-port reads lsof then): nothing to judge. A procfs that does not show claim-port: foreign.
    if (!existsSync(`${procRoot}/1`)) return undefined;
  }
  return foreignProcReason(self, pid);
}
