// Which processes a claim must never signal. Pure.
import { BUILTIN_PROTECTED_PROCESSES, CONTAINER_RUNTIME_PROCESSES, DEFAULT_CLAIM_TIMEOUT_SECONDS, MIN_PROTECTED_PIDS_UP_TO, quoteValue } from '@dsa110/ports';
import { matchProcessName, type ProcessInfo } from '@dsa110/ports/system';

export interface ProtectionPolicy {
  /** Glob patterns (`*`, `?`) matched against the names a process goes by (see processNames in @dsa110/ports/system). */
  readonly protectedProcesses: readonly string[];
  /** PIDs at or below this are never signalled. */
  readonly protectedPidsUpTo: number;
}

/** Used when the registry is missing or broken and the port was given as a number: the built-in list (see @dsa110/ports). */
export const BUILTIN_POLICY: ProtectionPolicy & { readonly timeoutSeconds: number } = {
  timeoutSeconds: DEFAULT_CLAIM_TIMEOUT_SECONDS,
  protectedProcesses: BUILTIN_PROTECTED_PROCESSES,
  protectedPidsUpTo: MIN_PROTECTED_PIDS_UP_TO,
};

export interface Self {
  readonly pid: number;
  /** claim-port's ancestors up to PID 1. */
  readonly ancestors: ReadonlySet<number>;
}

/** Pure: why this holder must not be signalled, or undefined when it may be. */
export function protectionReason(info: ProcessInfo, policy: ProtectionPolicy, self: Self): string | undefined {
  // Never below the built-in floor, whatever a caller's policy says.
  const upTo = Math.max(policy.protectedPidsUpTo, MIN_PROTECTED_PIDS_UP_TO);
  if (info.pid <= upTo) return `PID ${info.pid} is at or below ${upTo} (init and kthreadd)`;
  if (info.kernelThread) return 'it is a kernel thread';
  if (info.pid === self.pid) return 'it is claim-port itself';
  if (self.ancestors.has(info.pid)) return 'it is an ancestor of claim-port (its parent, shell or service manager)';
  // The kernel drops a signal to a namespace's init unless it handles it, and its death (SIGKILL) kills every process in the namespace.
  if (info.namespacePid === 1)
    return 'it is PID 1 of its own PID namespace (the init of a container or sandbox): killing it kills every process in that namespace, holders of the port or not; stop the container or sandbox instead';
  const hit = matchProcessName(info, policy.protectedProcesses);
  return hit && `its name ${quoteValue(hit.name)} matches the protected pattern ${quoteValue(hit.glob)}`;
}

/** Pure: whether this holder is a container runtime process (docker-proxy, conmon, ...): stop the container instead. */
export function isContainerRuntime(info: ProcessInfo): boolean {
  return matchProcessName(info, CONTAINER_RUNTIME_PROCESSES) !== undefined;
}
