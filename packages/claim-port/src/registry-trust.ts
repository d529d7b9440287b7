// A registry root's claim-port reads that someone besides root may change,
// said as a warning at each start: claim.protect decides what root may signal
// (unprotectBuiltin: [sshd], pidsUpTo) and a service's port which port is
// freed, so whoever may write the file may have root signal sshd. A warning,
// not a refusal: claim-port runs in ExecStartPre=+, and a refusal would keep
// the service from starting over a file's mode, where the health check's
// systemd check already reports it as an error (exit 1, an alert). Another
// user's link on the way is refused by the loader itself (it is not followed:
// its target could be any file), which says so in its own line.
import { registryPath } from '@dsa110/ports';
import { registryWritablePart, registryWritableProblem } from '@dsa110/ports/systemd';

/**
 * The warning's line (`warning: ...`; claimPort's options or the first look's) when claim-port runs as root
 * (`euid`) with a registry file (options.registry, else $DSA110_PORTS_FILE)
 * that someone besides root may change (registryWritablePart); undefined
 * otherwise: not root, the bundled registry, a Registry object, or a link the
 * loader refuses. A handful of lstat calls, only as root.
 */
export function registryTrustWarning(
  options: { readonly registry?: unknown; readonly env?: Readonly<Record<string, string | undefined>> | undefined },
  euid: number | undefined = process.geteuid?.(),
): string | undefined {
  if (euid !== 0 || (options.registry !== undefined && typeof options.registry !== 'string')) return undefined;
  let path: string | undefined;
  try {
    path = registryPath({ ...(options.registry !== undefined && { path: options.registry }), env: options.env ?? process.env });
  } catch {
    return undefined; // a bad value: what loads the registry says so
  }
  if (path === undefined) return undefined;
  const absolute = path.startsWith('/') ? path : `${process.cwd()}/${path}`;
  const fault = registryWritablePart('/', absolute);
  if (fault === undefined || fault.kind === 'link') return undefined;
  return `warning: ${registryWritableProblem(absolute, fault)}`;
}
