// Which processes a claim must never signal. Pure.
import type { ProcessInfo } from '@dsa110/ports/system';

export interface ProtectionPolicy {
  /** Glob patterns (`*`, `?`) matched against comm, the executable's basename and argv[0]'s basename. */
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

export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The names a process goes by: comm, exe basename, argv[0] basename (deduplicated). */
export function processNames(info: Pick<ProcessInfo, 'comm' | 'exe' | 'argv'>): string[] {
  const names = [info.comm, info.exe, info.argv[0] === undefined ? undefined : basename(info.argv[0])];
  // A login shell's argv[0] is `-bash`; sshd's children are `sshd: user@pts/0`.
  const extra = names.flatMap((name) => (name ? [name.replace(/^-/, ''), name.split(/[:\s]/)[0]!] : []));
  return [...new Set([...names, ...extra].filter((n): n is string => !!n))];
}

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
  const names = processNames(info);
  for (const pattern of policy.protectedProcesses) {
    const re = globToRegExp(pattern);
    const hit = names.find((name) => re.test(name));
    if (hit !== undefined) return `its name "${hit}" matches the protected pattern "${pattern}"`;
  }
  return undefined;
}
