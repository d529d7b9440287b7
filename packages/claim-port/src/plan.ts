// Pure: given what was found on the port, decide whom to signal or why to
// refuse. Refusal signals nobody: a claim is all or nothing.
import type { Listener, ProcessInfo } from '@dsa110/ports/system';
import { formatEndpoint } from '@dsa110/ports/system';
import { protectionReason, type ProtectionPolicy, type Self } from './policy.js';

export interface PlanInput {
  readonly port: number;
  readonly listeners: readonly Listener[];
  /** PIDs whose fds could not be read. */
  readonly unreadable: readonly number[];
  readonly policy: ProtectionPolicy;
  readonly self: Self;
  /** The claiming process's real and effective uid (0 = root). */
  readonly uid: number;
  readonly euid: number;
}

export interface Refusal {
  /** The holder concerned, when there is one. */
  readonly pid?: number;
  readonly reason: string;
}

export type Plan =
  | { readonly kind: 'free' }
  | { readonly kind: 'signal'; readonly holders: readonly ProcessInfo[] }
  | { readonly kind: 'refuse'; readonly holders: readonly ProcessInfo[]; readonly refusals: readonly Refusal[]; readonly protectedPids: ReadonlyMap<number, string> };

/** Every distinct holder of the port's listeners, by PID. */
export function distinctHolders(listeners: readonly Listener[]): ProcessInfo[] {
  const byPid = new Map<number, ProcessInfo>();
  for (const listener of listeners) for (const holder of listener.holders) byPid.set(holder.pid, holder);
  return [...byPid.values()].sort((a, b) => a.pid - b.pid);
}

/** `127.0.0.1:8000`, `[::]:8000 (dual-stack)`. */
export function describeListener(listener: Listener): string {
  return `${formatEndpoint(listener.address, listener.port)}${listener.dualStack ? ' (dual-stack)' : ''}`;
}

export function planClaim(input: PlanInput): Plan {
  if (input.listeners.length === 0) return { kind: 'free' };
  const holders = distinctHolders(input.listeners);
  const refusals: Refusal[] = [];
  const protectedPids = new Map<number, string>();
  const root = input.euid === 0;

  for (const listener of input.listeners) {
    if (listener.ownerKnown) continue;
    refusals.push({
      reason: root
        ? `the process listening on ${describeListener(listener)} cannot be identified even as root (its /proc entries are unreadable, or it lives in another PID namespace or container, e.g. docker-proxy); stop it by its own means`
        : `the process listening on ${describeListener(listener)} is not visible to this user (uid ${input.euid}); run claim-port as root (sudo claim-port ${input.port})`,
    });
  }
  for (const holder of holders) {
    const why = protectionReason(holder, input.policy, input.self);
    if (why) {
      protectedPids.set(holder.pid, why);
      refusals.push({ pid: holder.pid, reason: `PID ${holder.pid} (${holder.comm}) is protected: ${why}` });
      continue;
    }
    // kill(2) as non-root needs the sender's real or effective uid to match the target's real uid.
    if (!root && holder.realUid !== input.uid && holder.realUid !== input.euid) {
      refusals.push({
        pid: holder.pid,
        reason: `PID ${holder.pid} (${holder.comm}) belongs to user ${holder.user} and this user (uid ${input.euid}) may not signal it; run claim-port as root (sudo claim-port ${input.port})`,
      });
    }
  }
  if (refusals.length > 0) return { kind: 'refuse', holders, refusals, protectedPids };
  return { kind: 'signal', holders };
}
