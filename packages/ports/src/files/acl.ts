// Whether a file or directory has a POSIX access ACL. With one, the mode's
// group bits are the ACL's mask, the most any user or group it names may do:
// a directory `root:root` with `user:1234:rwx` shows 0775, and would pass as
// writable only by root's group. An ACL can let anyone but the owner write
// only through the mask, so only a mode with the group-write bit can hide one,
// and only where that bit is not already counted (group root, or the running
// user's own). Node has no getxattr: coreutils `ls` (essential on Debian) is
// asked, only then, and shows `+` after the mode for an access ACL, or for a
// default one on a directory (gnulib's file_has_acl reads the
// system.posix_acl_access and system.posix_acl_default attributes).
//
// A default ACL alone (`setfacl -d -m u:nobody:rwx DIR`) lets no one into the
// directory itself: the kernel checks access by the access ACL, which is then
// the plain mode (as `getfacl` shows). It is what files and directories made
// in it later start with, masked by the mode they are made with: the writers
// make theirs with no group write (0644, 0755, 0600; modeArgument refuses
// more), so the users such an ACL names may read root's new files, never
// change them. So a directory that `ls` marks is asked of `getfacl --access`
// (package acl, not essential): only its access entries count. Where there
// is no getfacl, whether the ACL is an access one cannot be told, and is said
// so. A file other than a directory has no default ACL: its `+` is enough.
import type * as ChildProcess from 'node:child_process';
// Named apart: a bundle of the registry loader may declare its own createRequire (the usual ESM banner of esbuild users).
import { createRequire as requireFrom } from 'node:module';
import { escapeText } from '../escape.js';

/** true: it has a POSIX access ACL; false: none (a default ACL alone is none); a string: why that could not be told (`ls: cannot access ...`). */
export type AclAnswer = boolean | string;

const LS = ['/bin/ls', '/usr/bin/ls'];
const GETFACL = ['/usr/bin/getfacl', '/bin/getfacl'];

/**
 * Whether each of `paths` (links followed) has a POSIX access ACL, in their order: one `ls` for all of them, then
 * one `getfacl` for the directories it marks (see above); one each when an answer does not line up (a path it
 * could not look at).
 */
export function extendedAcls(paths: readonly string[]): AclAnswer[] {
  const marked = lsAcls(paths);
  const directories = paths.filter((_, index) => marked[index] === 'directory');
  const access = accessAcls(directories);
  return marked.map((answer) => (answer === 'directory' ? access.shift()! : answer));
}

/** lsAcls' answer for a directory ls marks `+`: an access ACL, a default one, or both. */
type LsAnswer = AclAnswer | 'directory';

/** What `ls -dL` says of each path: no ACL (false), an access ACL (true: a `+` on what is not a directory), `directory`, or why it could not tell. */
function lsAcls(paths: readonly string[]): LsAnswer[] {
  return eachAnswered(paths, listModes, 'ls');
}

/** Whether each of `directories` (links followed) has an access ACL, by `getfacl --access`; one each when its answer does not line up. */
function accessAcls(directories: readonly string[]): AclAnswer[] {
  return eachAnswered(directories, accessEntries, 'getfacl');
}

/**
 * `ask`'s answer for each of `paths`, asked of all at once, else (its answers not one per path) of each alone: a
 * path it could not tell of gets its reason, so one bad path never takes the others' answers with it.
 */
function eachAnswered<T>(paths: readonly string[], ask: (paths: readonly string[]) => T[] | string, tool: string): (T | string)[] {
  if (paths.length === 0) return [];
  const answer = ask(paths);
  if (typeof answer !== 'string' && answer.length === paths.length) return answer;
  if (paths.length === 1) return [typeof answer === 'string' ? answer : `${tool} did not answer for it`];
  return paths.map((path) => eachAnswered([path], ask, tool)[0]!);
}

// Loaded when first needed, not at the top: child_process costs every run start-up time, and only a rare mode needs
// it. Any absolute path serves createRequire for a builtin (the loader's bundle has no import.meta).
function spawnSync(...args: Parameters<typeof ChildProcess.spawnSync>): ReturnType<typeof ChildProcess.spawnSync> {
  return (requireFrom(process.execPath)('node:child_process') as typeof ChildProcess).spawnSync(...args);
}

/**
 * Whether getfacl shows a named user or group in the access ACL of each
 * directory, or why it could not tell. `--omit-header`: no names, whatever they hold; one block each, a blank line after.
 */
function accessEntries(directories: readonly string[]): AclAnswer[] | string {
  const run = runFirstFound(GETFACL, ['--access', '--omit-header', '--numeric', '--absolute-names', '--', ...directories]);
  if (typeof run === 'string') return run;
  if (run !== undefined) {
    const blocks = run.stdout.split(/\n\n+/).filter((block) => block.trim() !== '');
    // A named user or group: a mask alone (left by `setfacl -x`) names no one beyond the owner and the group.
    return blocks.map((block) => /^(?:user|group):[^:\n]+:/m.test(block));
  }
  return `ls shows an ACL, which may be a default one alone (what files made in it later start with, not who may write it), and there is no getfacl at ${GETFACL.join(' or ')} to tell (install the acl package)`;
}

/** The `+` of `ls -ldL` for each path (`directory` for a directory's: access or default), or why ls could not tell. */
function listModes(paths: readonly string[]): LsAnswer[] | string {
  // -U: the paths in the order given; escape: one line each, whatever the names hold; -n: no user lookups.
  const run = runFirstFound(LS, ['-dLnU', '--quoting-style=escape', '--', ...paths]);
  if (typeof run === 'string') return run;
  if (run !== undefined) {
    const lines = run.stdout.split('\n').filter((line) => line !== '');
    const modes = lines.map((line) => /^(\S)\S{9}([+.]?)\s/.exec(line));
    if (modes.some((mode) => mode === null)) return `${run.bin} printed what is not a mode`;
    return modes.map((mode) => (mode![2] !== '+' ? false : mode![1] === 'd' ? 'directory' : true));
  }
  return `no ls at ${LS.join(' or ')}`;
}

/**
 * Who may write a part of a trusted group whose mode has the group-write bit, once `ls` has said it has an ACL
 * (`true`) or why that could not be told: the words the output guard and the root-only judgment share, `more`
 * (`; FIX`) inside the parenthesis.
 */
export function aclWriters(mode: number, gid: number, acl: true | string, more = ''): string {
  const octal = (mode & 0o7777).toString(8).padStart(4, '0');
  const mask = `${mode & 0o040 ? 'r' : '-'}${mode & 0o020 ? 'w' : '-'}${mode & 0o010 ? 'x' : '-'}`;
  return acl === true
    ? `writable by the users and groups its POSIX ACL names (mode ${octal}: its group bits are the ACL's mask, ${mask}${more})`
    : `perhaps writable by users a POSIX ACL names (mode ${octal}, gid ${gid}; whether it has one could not be told: ${acl}${more})`;
}

/**
 * The first of `bins` that is there, run with `args` in the C locale: its stdout when it exits 0, else why it could not
 * tell (its first line on stderr, escaped); undefined when none of them is there.
 */
function runFirstFound(bins: readonly string[], args: readonly string[]): { bin: string; stdout: string } | string | undefined {
  for (const bin of bins) {
    const result = spawnSync(bin, args, {
      encoding: 'utf8',
      env: { LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
      maxBuffer: 1024 * 1024,
    });
    const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') continue;
    if (result.error !== undefined) return `${bin} could not be run (${code ?? escapeText(result.error.message, 200)})`;
    if (result.status !== 0) {
      const said = String(result.stderr)
        .split('\n')
        .find((line) => line.trim() !== '');
      return said !== undefined ? escapeText(said, 300) : `${bin} exited with ${result.status ?? result.signal}`;
    }
    return { bin, stdout: String(result.stdout) };
  }
  return undefined;
}
