// Which processes a claim must never signal. Pure.
import { matchProcessName, type ProcessInfo } from '@dsa110/ports/system';

export interface ProtectionPolicy {
  /** Glob patterns (`*`, `?`) matched against the names a process goes by (see processNames in @dsa110/ports/system). */
  readonly protectedProcesses: readonly string[];
  /** PIDs at or below this are never signalled. */
  readonly protectedPidsUpTo: number;
}

/** Used when the registry is missing or broken and the port was given as a number. */
export const BUILTIN_POLICY: ProtectionPolicy & { readonly timeoutSeconds: number } = {
  timeoutSeconds: 5,
  protectedProcesses: ['systemd', 'systemd-*', 'journald', 'sshd', 'init', 'dbus-daemon'],
  protectedPidsUpTo: 2,
};

export interface Self {
  readonly pid: number;
  /** claim-port's ancestors up to PID 1. */
  readonly ancestors: ReadonlySet<number>;
}

/** Pure: why this holder must not be signalled, or undefined when it may be. */
export function protectionReason(info: ProcessInfo, policy: ProtectionPolicy, self: Self): string | undefined {
  if (info.pid <= policy.protectedPidsUpTo) return `PID ${info.pid} is at or below ${policy.protectedPidsUpTo} (init and kthreadd)`;
  if (info.kernelThread) return 'it is a kernel thread';
  if (info.pid === self.pid) return 'it is claim-port itself';
  if (self.ancestors.has(info.pid)) return 'it is an ancestor of claim-port (its parent, shell or service manager)';
  const hit = matchProcessName(info, policy.protectedProcesses);
  return hit && `its name "${hit.name}" matches the protected pattern "${hit.glob}"`;
}
