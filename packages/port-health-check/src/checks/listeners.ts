// Shared by the socket checks: the listeners on a port and their holders.
import type { Service } from '@dsa110/ports';
import { effectivePort } from '../effective-port.js';
import { processMatches, processMatchesByOwnName } from '../process-match.js';
import type { Facts, ListenerFacts, ProcessFacts } from '../types.js';

export function listenersOn(facts: Pick<Facts, 'sockets'>, port: number): ListenerFacts[] {
  return facts.sockets.listeners.filter((listener) => listener.port === port);
}

/**
 * Every process holding any of these sockets (once each), whether some holders could not be seen, and whether
 * some sockets changed while the check ran (closed again each time they were read: no holder to see).
 */
export function holdersOf(listeners: readonly ListenerFacts[]): { processes: ProcessFacts[]; unseen: boolean; changed: boolean } {
  const byPid = new Map<number, ProcessFacts>();
  let unseen = false;
  let changed = false;
  for (const listener of listeners) {
    if (listener.changed) changed = true;
    // A listening socket always has a holder: none seen means none could be read.
    else if (!listener.holders || listener.holders.length === 0) unseen = true;
    for (const holder of listener.holders ?? []) byPid.set(holder.pid, holder);
  }
  return { processes: [...byPid.values()].sort((a, b) => a.pid - b.pid), unseen, changed };
}

/**
 * How to speak of socket holders that could not be seen, and what would
 * show them: running as root, unless this already ran as root (a protected
 * process, or another container's, whose open files even root cannot read;
 * or no process at all).
 */
export function unseenHolders(facts: Pick<Facts, 'sockets'>): { holder: string; remedy: string } {
  return facts.sockets.readAsRoot
    ? {
        // Or nobody: a socket sent over a Unix socket (SCM_RIGHTS) and closed lives in the message queue until received.
        holder: 'a process whose open files even root cannot read (or none: a socket in flight in a Unix-socket message)',
        remedy: 'even root cannot read their open files here, or the socket is in flight in a Unix-socket message (SCM_RIGHTS) that no process has received',
      }
    : { holder: 'a process this user cannot see', remedy: 'run as root to see them' };
}

export function isDevOnly(service: { group: string; access: string }): boolean {
  return service.group === 'development' || service.access === 'dev';
}

/** What a port whose listeners changed while the check ran (holdersOf's `changed`) is held by: no process that stayed. */
export const CHANGED_HOLDER = 'no process that stayed: its listener closed and another opened each time it was read (it changed while the check ran)';

/**
 * Where `service` listens instead of its port, as its names tell: the TCP listeners on ports no TCP service of the
 * registry uses (its own registry port counts as free when its unit moved it away), every holder seen and going by
 * `service`'s names by a name of its own (not only as `node` or `python3` does: processMatchesByOwnName) and by no
 * other service's (a name two services share tells nothing). A service started before
 * its port moved (the registry edited, its unit's variable changed, not yet restarted), or configured elsewhere.
 */
export function strayListeners(facts: Pick<Facts, 'sockets' | 'registry' | 'units'>, service: Service): ListenerFacts[] {
  if (service.transport !== 'tcp' || service.processes.length === 0 || facts.sockets.problem) return [];
  const tcp = facts.registry.services.filter((other) => other.transport === 'tcp');
  const others = tcp.filter((other) => other.id !== service.id && other.processes.length > 0);
  const used = new Set(tcp.flatMap((other) => [effectivePort(facts, other).port, ...(other.id === service.id ? [] : [other.port])]));
  const its = (process: ProcessFacts) =>
    processMatchesByOwnName(process, service.processes) && !others.some((other) => processMatches(process, other.processes));
  return facts.sockets.listeners.filter(
    (listener) => !used.has(listener.port) && !listener.changed && listener.holders !== undefined && listener.holders.length > 0 && listener.holders.every(its),
  );
}
