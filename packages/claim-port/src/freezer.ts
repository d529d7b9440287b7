// Whether a process is frozen by a cgroup freezer, read from /proc and the
// cgroup file systems (read only: nothing here thaws or signals).
//
// cgroup v1's freezer (`docker pause` on a v1 host, `echo FROZEN >
// freezer.state`) holds its tasks in the kernel: no signal acts on them,
// SIGKILL included, until the cgroup is thawed. cgroup v2's `cgroup.freeze`
// lets a fatal signal through (SIGKILL, or SIGTERM with no handler), but a
// handler runs only once the cgroup is thawed.
import { readSystemFileBytes } from '@dsa110/ports/files';
import { decodeKeepingBadBytes, readCgroupLines } from '@dsa110/ports/system';

export interface Frozen {
  /** `v1`: the freezer hierarchy of cgroup v1, where SIGKILL does not end it either; `v2`: `cgroup.freeze` of cgroup v2. */
  readonly hierarchy: 'v1' | 'v2';
  /** Its cgroup's directory (`/sys/fs/cgroup/freezer/X`); a byte of its name that is not UTF-8 kept as decodeKeepingBadBytes keeps it. */
  readonly cgroup: string;
  /** v1: its cgroup's `freezer.state`, `FROZEN` or `FREEZING` (some tasks not frozen yet). */
  readonly state?: string;
  /**
   * The directories to thaw, nearest first: the cgroup and the ancestors that froze themselves (v1
   * `freezer.self_freezing` 1, v2 `cgroup.freeze` 1); the cgroup alone when none says so.
   */
  readonly thaw: readonly string[];
}

/**
 * The largest cgroup control file read (`freezer.state`, `freezer.self_freezing`, `cgroup.events`, `cgroup.freeze`):
 * the kernel writes a word or two lines in each; a file past this is no such file, and is not read.
 */
const MAX_CGROUP_FILE_BYTES = 64 * 1024;
/** The largest mount table read: at about 150 bytes a line, some hundred thousand mounts, where a busy host has thousands. */
const MAX_MOUNTINFO_BYTES = 16 * 1024 * 1024;

/**
 * The text of `path` (a byte that is not UTF-8 kept, in the text and in the path: the reader opens it as that byte),
 * or undefined when it cannot be read: missing, not a regular file (a FIFO is never waited on: fstat on the open,
 * O_NONBLOCK descriptor refuses it), or longer than `maxBytes`. The system reader, not readFileBytes: these paths come
 * from the kernel's mount table, and readFileBytes's stat before each open cost a claim about 3-5 ms on the busy path.
 */
const read = (path: string, maxBytes = MAX_CGROUP_FILE_BYTES): string | undefined => {
  try {
    return decodeKeepingBadBytes(readSystemFileBytes(path, maxBytes));
  } catch {
    return undefined;
  }
};

/** The mount table `readFrozen` reads (`/proc/self/mountinfo` by default), or undefined when it cannot be read. */
export const readMountinfo = (path = '/proc/self/mountinfo'): string | undefined => read(path, MAX_MOUNTINFO_BYTES);

/** Pure: a mountinfo field as written (`\040` for a space, `\134` for a backslash; the kernel escapes only ASCII) decoded. */
function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * Pure: the directory of cgroup `path` (as /proc/PID/cgroup names it) under the mount of the hierarchy that `match`
 * picks from `mountinfo` (fstype and super options): mount point plus the path below the mount's root. Undefined when
 * no such mount shows it (not mounted, or mounted from below the cgroup).
 */
export function cgroupDirectory(mountinfo: string, path: string, match: (fstype: string, options: readonly string[]) => boolean): string | undefined {
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6 || fields.length < dash + 4) continue;
    if (!match(fields[dash + 1]!, fields[dash + 3]!.split(','))) continue;
    const root = unescapeMount(fields[3]!);
    const point = unescapeMount(fields[4]!);
    const below = root === '/' ? path : path === root ? '/' : path.startsWith(`${root}/`) ? path.slice(root.length) : undefined;
    if (below === undefined) continue;
    return below === '/' ? point : `${point.replace(/\/$/, '')}${below}`;
  }
  return undefined;
}

/** The directories from `dir` up to `top` (the mount point), nearest first. */
function upTo(dir: string, top: string): string[] {
  const dirs = [dir];
  for (let d = dir; d.length > top.length && d.includes('/'); ) {
    d = d.slice(0, d.lastIndexOf('/'));
    if (d.length < top.length) break;
    dirs.push(d);
  }
  return dirs;
}

/**
 * Whether process `pid` is frozen by a cgroup freezer: its cgroup in the v1 freezer hierarchy (from /proc/PID/cgroup,
 * found under the freezer mount of `mountinfo`) reads FROZEN or FREEZING in `freezer.state`; else its v2 cgroup's
 * `cgroup.events` says `frozen 1`. Undefined when it is not, or it cannot be told. `mountinfo` gives the mount table
 * (a claim reads it once for all its holders: procControl), read only for a process /proc/PID/cgroup shows.
 */
export function readFrozen(
  pid: number,
  procRoot = '/proc',
  mountinfo: () => string | undefined = () => readMountinfo(`${procRoot}/self/mountinfo`),
): Frozen | undefined {
  const lines = readCgroupLines(pid, procRoot);
  const mounts = lines === undefined ? undefined : mountinfo();
  if (lines === undefined || mounts === undefined) return undefined;
  const v1 = lines.find((l) => l.controllers.split(',').includes('freezer'));
  if (v1 !== undefined) {
    const freezer = (fstype: string, options: readonly string[]) => fstype === 'cgroup' && options.includes('freezer');
    const dir = cgroupDirectory(mounts, v1.path, freezer);
    const state = dir === undefined ? undefined : read(`${dir}/freezer.state`)?.trim();
    if (dir !== undefined && (state === 'FROZEN' || state === 'FREEZING')) {
      const top = cgroupDirectory(mounts, '/', freezer);
      const selves = upTo(dir, top ?? dir).filter((d) => read(`${d}/freezer.self_freezing`)?.trim() === '1');
      return { hierarchy: 'v1', cgroup: dir, state, thaw: selves.length > 0 ? selves : [dir] };
    }
  }
  const v2 = lines.find((l) => l.controllers === '' && l.path.startsWith('/'));
  if (v2 === undefined) return undefined;
  const dir = cgroupDirectory(mounts, v2.path, (fstype) => fstype === 'cgroup2');
  if (dir === undefined || !/^frozen 1$/m.test(read(`${dir}/cgroup.events`) ?? '')) return undefined;
  const top = cgroupDirectory(mounts, '/', (fstype) => fstype === 'cgroup2');
  const selves = upTo(dir, top ?? dir).filter((d) => read(`${d}/cgroup.freeze`)?.trim() === '1');
  return { hierarchy: 'v2', cgroup: dir, thaw: selves.length > 0 ? selves : [dir] };
}
