// Which systemd unit and which container a process belongs to, from
// /proc/PID/cgroup (cgroup v2 `0::/path`, or v1's `name=systemd:/path`) and,
// for container proxies, from its arguments. Pure parsers plus one reader.
import { pidArgument, procRootArgument, stringArgument, stringListArgument } from '../arguments.js';
import { decodeKeepingBadBytes } from '../utf8.js';
import { readProcBytes } from './system-files.js';

export interface CgroupPlace {
  /** The cgroup path the unit was read from (`/system.slice/api.service`). */
  readonly path: string;
  /** The innermost systemd unit: `api.service`, `session-3.scope`, `docker-<id>.scope`. */
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

/** Pure: unit, user manager and container of a cgroup path. */
export function parseCgroupPath(path: string): CgroupPlace {
  stringArgument('parseCgroupPath', 'path', path, 'a cgroup path');
  const parts = path.split('/').filter((part) => part !== '');
  let unit: string | undefined;
  let userManager: string | undefined;
  let container: string | undefined;
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index]!;
    if (/^user@\d+\.service$/.test(part) && index < parts.length - 1) userManager = part;
    if (/\.(service|scope)$/.test(part)) unit = part;
    const scope = CONTAINER_SCOPE.exec(part);
    if (scope) container = scope[1];
    // cgroupfs driver: /docker/<id>, /kubepods/.../<id>
    else if (/^[0-9a-f]{64}$/.test(part) && index > 0) container = part;
  }
  if (unit === userManager) userManager = undefined;
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

/** The cgroup place of `pid`, or undefined when /proc/PID/cgroup cannot be read. */
export function readCgroup(pid: number, procRoot = '/proc'): CgroupPlace | undefined {
  pidArgument('readCgroup', pid);
  procRootArgument('readCgroup', procRoot);
  const lines = readCgroupLines(pid, procRoot);
  const path = lines === undefined ? undefined : systemdPath(lines);
  return path === undefined ? undefined : parseCgroupPath(path);
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
