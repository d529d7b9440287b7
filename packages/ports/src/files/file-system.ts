// What a directory's file system is (statfs(2)'s f_type) and what this process may override, so that a refused
// write is explained by what is known (sysfs makes no files; an NFS server may map root to nobody) rather than by
// a list of guesses.
import { readFileSync, statfsSync } from 'node:fs';
import { fileSystemPath } from '../utf8.js';

/** A file system this knows: its name, and what kind it is. */
export interface KnownFileSystem {
  readonly name: string;
  /**
   * kernel: the kernel's own (proc, sysfs), which makes no files of a user's; remote: a server or daemon decides who
   * may write, root included; local: the mode bits, which root overrides, and a security module.
   */
  readonly kind: 'kernel' | 'remote' | 'local';
  /** For a remote one, why it may refuse root (a clause). */
  readonly why?: string;
}

const KERNEL_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x63677270, 'cgroup2'],
  [0x27e0eb, 'cgroup'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x62656570, 'configfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0x1cd1, 'devpts'],
  [0x42494e4d, 'binfmt_misc'],
  [0x65735543, 'fusectl'],
  [0xf97cff8c, 'selinuxfs'],
  [0x6e736673, 'nsfs'],
]);

const REMOTE_FILE_SYSTEMS: ReadonlyMap<number, { name: string; why: string }> = new Map([
  [0x6969, { name: 'NFS', why: 'whose server may map root to nobody (root_squash)' }],
  [0xff534d42, { name: 'CIFS', why: 'whose server decides as the account the share was mounted with' }],
  [0xfe534d42, { name: 'SMB', why: 'whose server decides as the account the share was mounted with' }],
  [0x65735546, { name: 'FUSE', why: 'which refuses every other user, root too, unless mounted with allow_other' }],
  [0x00c36400, { name: 'CephFS', why: 'whose servers may map root to nobody (root_squash)' }],
  [0x01021997, { name: '9p', why: 'whose host side decides as its own user' }],
]);

const LOCAL_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0xef53, 'ext4'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
  [0x2fc12fc1, 'zfs'],
  [0xf2f52010, 'f2fs'],
  [0x01021994, 'tmpfs'],
  [0x858458f6, 'ramfs'],
  [0x794c7630, 'overlayfs'],
  [0x4d44, 'vfat'],
  [0x2011bab0, 'exfat'],
]);

/** The file system `path` is on, when this knows it; undefined for another, or when statfs fails. */
export function fileSystemOf(path: string): KnownFileSystem | undefined {
  let type: number;
  try {
    type = statfsSync(fileSystemPath(path)).type >>> 0;
  } catch {
    return undefined;
  }
  const kernel = KERNEL_FILE_SYSTEMS.get(type);
  if (kernel !== undefined) return { name: kernel, kind: 'kernel' };
  const remote = REMOTE_FILE_SYSTEMS.get(type);
  if (remote !== undefined) return { ...remote, kind: 'remote' };
  const local = LOCAL_FILE_SYSTEMS.get(type);
  return local === undefined ? undefined : { name: local, kind: 'local' };
}

/** CAP_DAC_OVERRIDE's bit in /proc/self/status's CapEff: root without it is held to the mode bits. */
const CAP_DAC_OVERRIDE = 1n;

/** Whether this process has CAP_DAC_OVERRIDE in effect; undefined when /proc does not say. */
export function overridesPermissions(): boolean | undefined {
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return hex === undefined ? undefined : ((BigInt(`0x${hex}`) >> CAP_DAC_OVERRIDE) & 1n) === 1n;
  } catch {
    return undefined;
  }
}
