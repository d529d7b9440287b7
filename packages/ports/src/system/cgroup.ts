// Which systemd unit and which container a process belongs to, from
// /proc/PID/cgroup (cgroup v2 `0::/path`, or v1's `name=systemd:/path`) and,
// for container proxies, from its arguments. Pure parsers plus one reader.
import { pidArgument, procRootArgument, stringArgument, stringListArgument } from '../arguments.js';
import { decodeKeepingBadBytes } from '../utf8.js';
import { readProcBytes } from './system-files.js';

export interface CgroupPlace {
  /** The cgroup path the unit was read from (`/system.slice/api.service`). */
  readonly path: string;
  /** The systemd unit it is in, as systemd counts it (cg_path_get_unit): `api.service`, `session-3.scope`, `docker-<id>.scope`; a user manager's own unit under `user@UID.service`. */
  readonly unit?: string;
  /** Set when the unit lives under a user's service manager (`user@1000.service`): manage it with `systemctl --user`. */
  readonly userManager?: string;
  /** A container id (hex, as the runtime names it) when the path shows one. */
  readonly container?: string;
}

/** One line of /proc/PID/cgroup: `hierarchy:controllers:path`. */
export interface CgroupLine {
  /** The hierarchy ID (`0` for cgroup v2). */
  readonly hierarchy: string;
  /** Its controllers, as written between the first two colons (`cpu,cpuacct`, `name=systemd`; empty for v2). */
  readonly controllers: string;
  /** The cgroup's path in that hierarchy (it may hold colons). */
  readonly path: string;
}

/** Pure: the lines of the text of /proc/PID/cgroup; a line without two colons is left out. */
export function cgroupLines(text: string): CgroupLine[] {
  stringArgument('cgroupLines', 'text', text, 'the text of /proc/PID/cgroup');
  const lines: CgroupLine[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    lines.push({ hierarchy: line.slice(0, first), controllers: line.slice(first + 1, second), path: line.slice(second + 1) });
  }
  return lines;
}

/** Pure: the cgroup path systemd manages, from the text of /proc/PID/cgroup. */
export function cgroupPath(text: string): string | undefined {
  stringArgument('cgroupPath', 'text', text, 'the text of /proc/PID/cgroup');
  return systemdPath(cgroupLines(text));
}

/** The cgroup path systemd manages: v1's `name=systemd` hierarchy's, else v2's. */
function systemdPath(lines: readonly CgroupLine[]): string | undefined {
  let v2: string | undefined;
  for (const { hierarchy, controllers, path } of lines) {
    if (controllers === 'name=systemd') return path;
    if (hierarchy === '0' && controllers === '') v2 = path;
  }
  return v2;
}

const CONTAINER_SCOPE = /^(?:docker|libpod|libpod-conmon|crio|crio-conmon|cri-containerd)-([0-9a-f]{12,64})\.scope$/;

/** The unit types systemd knows (unit_type_from_string). */
const UNIT_TYPES: ReadonlySet<string> = new Set(['service', 'socket', 'target', 'device', 'mount', 'automount', 'swap', 'timer', 'path', 'slice', 'scope']);

/**
 * A cgroup's name as the unit systemd named it for, or undefined when it names none: cg_unescape() (a leading `_`
 * dropped: systemd adds it to a name the kernel could take for its own), then unit_name_is_valid() for a plain or
 * instance name (under 256 characters of letters, digits and `:-_.\`, an `@` before a non-empty instance, a known type).
 * A name a user gave a cgroup of a subtree delegated to them (`x) (sshd, user root`) is no unit.
 */
function unitOf(part: string): string | undefined {
  const name = part.startsWith('_') ? part.slice(1) : part;
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.length >= 256 || !UNIT_TYPES.has(name.slice(dot + 1))) return undefined;
  const at = name.indexOf('@');
  // A slice is never an instance (valid_slice_name asks for a plain name).
  if (at === 0 || at === dot - 1 || (at > 0 && name.endsWith('.slice'))) return undefined;
  return /^[A-Za-z0-9:_.\\@-]+$/.test(name.slice(0, dot)) ? name : undefined;
}

/** The unit of `parts` from `start` as cg_path_get_unit() finds it: the slices skipped, the next component; with where it is. */
function unitAfterSlices(parts: readonly string[], start: number): { unit: string; index: number } | undefined {
  for (let index = start; index < parts.length; index++) {
    const unit = unitOf(parts[index]!);
    if (unit === undefined) return undefined;
    if (!unit.endsWith('.slice')) return { unit, index };
  }
  return undefined;
}

/**
 * Pure: unit, user manager and container of a cgroup path. The unit is the one systemd counts the process in
 * (cg_path_get_unit: the first component after the slices); anything below it is that unit's own subtree (a
 * delegated one, an nspawn payload's), whose names are not units of this manager. Under `user@UID.service`, the
 * unit is the user manager's (cg_path_get_user_unit: its slices skipped, the next component), with `userManager`.
 * `root` is the service manager's own root (managerRoot): a systemd run without a cgroup namespace (a container)
 * takes its own cgroup as the root of its units' paths (cg_shift_path), and reads what is below it; `path` is kept whole.
 */
export function parseCgroupPath(path: string, root = '/'): CgroupPlace {
  stringArgument('parseCgroupPath', 'path', path, 'a cgroup path');
  stringArgument('parseCgroupPath', 'root', root, "the service manager's root cgroup (`/`, or a container's)");
  const parts = shiftedPath(path, root)
    .split('/')
    .filter((part) => part !== '');
  let container: string | undefined;
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index]!;
    const scope = CONTAINER_SCOPE.exec(part);
    if (scope) container = scope[1];
    // cgroupfs driver: /docker/<id>, /kubepods/.../<id>
    else if (/^[0-9a-f]{64}$/.test(part) && index > 0) container = part;
  }
  const system = unitAfterSlices(parts, 0);
  let unit = system?.unit;
  let userManager: string | undefined;
  // A user manager's unit: the manager counts it its own (user@UID.service, a uid in decimal, needs no unescaping).
  if (system !== undefined && /^user@\d+\.service$/.test(parts[system.index]!)) {
    const user = unitAfterSlices(parts, system.index + 1);
    if (user !== undefined) {
      userManager = system.unit;
      unit = user.unit;
    }
  }
  return { path, ...(unit !== undefined && { unit }), ...(userManager !== undefined && { userManager }), ...(container !== undefined && { container }) };
}

/**
 * The lines of /proc/PID/cgroup of `pid` (cgroupLines), or undefined when it cannot be read. Read as UTF-8, a byte
 * that is not kept as U+DC00+byte (escapeText shows \xNN; fileSystemPath opens the path it names): a cgroup's name is
 * anyone's with cgroupfs access.
 */
export function readCgroupLines(pid: number, procRoot = '/proc'): CgroupLine[] | undefined {
  pidArgument('readCgroupLines', pid);
  procRootArgument('readCgroupLines', procRoot);
  try {
    return cgroupLines(decodeKeepingBadBytes(readProcBytes(procRoot, `${pid}/cgroup`)));
  } catch {
    return undefined;
  }
}

/** The cgroup place of `pid`, or undefined when /proc/PID/cgroup cannot be read; its unit as the manager that is PID 1 here counts it (managerRoot). */
export function readCgroup(pid: number, procRoot = '/proc'): CgroupPlace | undefined {
  pidArgument('readCgroup', pid);
  procRootArgument('readCgroup', procRoot);
  const lines = readCgroupLines(pid, procRoot);
  const path = lines === undefined ? undefined : systemdPath(lines);
  return path === undefined ? undefined : parseCgroupPath(path, managerRoot(procRoot));
}

/** By /proc root: PID 1's root cgroup, read once (a process's whole run sees one PID 1). */
const managerRoots = new Map<string, string>();

/**
 * The root of the unit cgroups of the service manager that is PID 1 in `procRoot`'s PID namespace, as systemd's
 * cg_get_root_path() finds its own: PID 1's cgroup without a last `/init.scope` (or the legacy `/system.slice`,
 * `/system`). `/` on a host; a container's systemd run without a cgroup namespace has its own cgroup there, and its
 * units are below it (`/machine/c1/system.slice/redis-server.service` is its redis-server.service). `/` where PID 1's
 * cgroup cannot be read (hidepid).
 */
function managerRoot(procRoot: string): string {
  let root = managerRoots.get(procRoot);
  if (root === undefined) {
    const lines = readCgroupLines(1, procRoot);
    const path = (lines && systemdPath(lines)) ?? '/';
    const end = ['/init.scope', '/system.slice', '/system'].find((suffix) => path.endsWith(suffix));
    root = (end === undefined ? path : path.slice(0, -end.length)) || '/';
    managerRoots.set(procRoot, root);
  }
  return root;
}

/** Pure: `path` below `root` (cg_shift_path), or `path` itself when it is not under it. */
function shiftedPath(path: string, root: string): string {
  if (root === '/' || root === '') return path;
  const base = root.endsWith('/') ? root.slice(0, -1) : root;
  return path === base ? '/' : path.startsWith(`${base}/`) ? path.slice(base.length) : path;
}

/**
 * Pure: what a container runtime's arguments say it serves: docker-proxy's
 * `-container-ip 172.17.0.2 -container-port 80`, containerd-shim's `-id ID`,
 * conmon's `-c ID` / `--cid ID`, rootlessport's container id in its state dir.
 */
export function containerFromArgs(argv: readonly string[]): string | undefined {
  stringListArgument('containerFromArgs', 'argv', argv);
  const value = (...names: string[]) => {
    for (let index = 0; index < argv.length; index++) {
      const arg = argv[index]!;
      for (const name of names) {
        if (arg === name && index + 1 < argv.length) return argv[index + 1]!;
        if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
      }
    }
    return undefined;
  };
  const ip = value('-container-ip', '--container-ip');
  if (ip !== undefined) {
    const port = value('-container-port', '--container-port');
    return port === undefined ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
  }
  return value('-id', '--id', '-c', '--cid');
}
