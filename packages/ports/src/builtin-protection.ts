// claim-port's built-in protection: the processes no registry can expose to a
// claim by accident. One home for this list: the registry adds to it
// (`claim.protect.processes`), removes from it only by naming entries in the
// separate `claim.protect.unprotectBuiltin` (which `ports validate` warns
// about), and claim-port applies it even when the registry cannot be read.
// ports.yaml's comment and claim-port's README list the same names; a test
// holds them to this one.
import { stringListArgument } from './arguments.js';
import { deepFreeze } from './frozen.js';

/**
 * Container runtime names, all among the built-ins (BUILTIN_PROTECTED_PROCESSES
 * includes this list): a refusal over one names the container or unit to stop
 * instead.
 */
export const CONTAINER_RUNTIME_PROCESSES: readonly string[] = deepFreeze([
  'docker-proxy',
  'dockerd',
  'containerd',
  'containerd-shim*',
  'conmon',
  'rootlessport',
  'slirp4netns',
  'pasta',
]);

/** Glob patterns (`*`, `?`, `[...]`: glob.ts) on the names a process goes by, always protected. */
export const BUILTIN_PROTECTED_PROCESSES: readonly string[] = deepFreeze([
  // init and the service manager
  'init',
  'systemd',
  'systemd-*',
  // remote access, the system bus, the journal
  'sshd',
  // OpenSSH 9.8+ (Debian 13): a connection's own process, which holds its forwarded ports (ssh -R, X11)
  'sshd-session',
  'sshd-auth',
  'dbus-daemon',
  'dbus-broker',
  'journald',
  // container runtimes: their processes publish and carry containers' ports
  ...CONTAINER_RUNTIME_PROCESSES,
]);

/**
 * Programs that really run under a built-in protected name they do not bear:
 * `pasta` is a symlink to `passt`, which on x86-64 re-executes itself as
 * `passt.avx2` (or `pasta.avx2`), keeping argv[0]; podman before 4.0 ran
 * `rootlessport` as podman itself, re-executed with that argv[0]. claim-port
 * trusts a non-root holder's protected name only when its executable
 * (/proc/PID/exe) bears a protected name too, or one listed here for the
 * pattern its name matches.
 */
export const BUILTIN_PROTECTED_ALIASES: Readonly<Record<string, readonly string[]>> = deepFreeze({
  pasta: ['passt', 'passt.avx2', 'pasta.avx2'],
  rootlessport: ['podman'],
});

/** PIDs at or below this are never signalled: 1 (init) and 2 (kthreadd). The registry may raise it, never lower it. */
export const MIN_PROTECTED_PIDS_UP_TO = 2;

/** Pure: the effective protected list: the built-ins less `unprotect`, then the registry's additions. */
export function effectiveProtectedProcesses(added: readonly string[], unprotect: readonly string[] = []): string[] {
  stringListArgument('effectiveProtectedProcesses', 'added', added);
  stringListArgument('effectiveProtectedProcesses', 'unprotect', unprotect);
  const removed = new Set(unprotect);
  const out = BUILTIN_PROTECTED_PROCESSES.filter((name) => !removed.has(name));
  for (const name of added) if (!out.includes(name)) out.push(name);
  return out;
}
