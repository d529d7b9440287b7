// An output path that names a device or a file the kernel keeps (/dev/null, a terminal, /dev/stderr, /proc/self/fd/2,
// /sys/...): never a file for `ports` to write or compare with. Said before the command runs, with what to give instead;
// never "move it away" or "remove the link", which would have root remove /dev/null or /dev/stderr.
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { escapeText, quoteValue } from '../escape.js';
import { fileKind } from '../files/read.js';

/** The kernel's own file systems, where no file is this tool's. */
const SYSTEM_DIR = /^\/(?:dev|proc|sys)(?:\/|$)/;

/**
 * What `path` is when it is the system's, not a file for this tool (`it is a character device, the system's`), or undefined: a
 * character or block device anywhere; a symbolic link under /dev, /proc or /sys (/dev/stderr, /proc/self/fd/2) or to a
 * path there (`out.nft -> /dev/null`); any other file but a directory under /proc or /sys. A regular file or directory
 * under /dev (/dev/shm, a tmpfs) is left to the write, as is a path that does not exist (lstat only: no link followed).
 */
export function systemOutput(path: string): string | undefined {
  const absolute = resolve(path);
  let info: Stats;
  try {
    info = lstatSync(absolute);
  } catch {
    return undefined; // absent, or not to be looked at: the write says why
  }
  if (info.isCharacterDevice() || info.isBlockDevice()) return `it is ${fileKind(info)}, the system's`;
  const under = (at: string) => `/${at.split('/')[1]}`;
  if (info.isSymbolicLink()) {
    let target: string;
    try {
      target = readlinkSync(absolute);
    } catch {
      return undefined;
    }
    const to = resolve(dirname(absolute), target);
    if (SYSTEM_DIR.test(absolute)) return `it is the system's symbolic link under ${under(absolute)} (to ${quoteValue(target, 200)})`;
    if (SYSTEM_DIR.test(to)) return `it is a symbolic link to ${quoteValue(target, 200)}, the system's path under ${under(to)}`;
    return undefined;
  }
  if (!info.isDirectory() && /^\/(?:proc|sys)(?:\/|$)/.test(absolute)) return `it is the kernel's file under ${under(absolute)}`;
  return undefined;
}

/**
 * Pure: the refusal of output flag `--FLAG` (its value name `value`: FILE, DIR, PATH) at `path`, which is `what`
 * (systemOutput): one line, with what to give instead: a regular file's path, or a directory's, and `-` for standard
 * output where the command prints (`stdout`; not with --check, which compares with a file).
 */
export function systemOutputText(command: string, flag: string, value: string, path: string, what: string, stdout: boolean, check: boolean): string {
  const directory = value === 'DIR';
  const verb = check ? 'check' : 'write';
  const fix = directory
    ? `give --${flag} a directory's path`
    : stdout && !check
      ? `give --${flag} a regular file's path, or - for standard output`
      : `give --${flag} the path of a regular file${check ? ', the one written' : ''}`;
  return `ports ${command}: cannot ${verb} ${directory ? 'under ' : ''}${escapeText(path)}: ${what}, not a ${directory ? 'directory' : 'file'} for this tool; ${fix}${check ? '' : '; nothing was written'}`;
}
