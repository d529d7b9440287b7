// Whether a file or directory has a POSIX ACL. With one, the mode's group bits
// are the ACL's mask, the most any user or group it names may do: a
// directory `root:root` with `user:1234:rwx` shows 0775, and would pass as
// writable only by root's group. An ACL can let anyone but the owner write
// only through the mask, so only a mode with the group-write bit can hide one,
// and only where that bit is not already counted (group root, or the running
// user's own). Node has no getxattr: coreutils `ls` (essential on Debian) is
// asked, only then, and shows `+` after the mode for an access ACL, or a
// default one on a directory (gnulib's file_has_acl reads the
// system.posix_acl_access and system.posix_acl_default attributes).
import type * as ChildProcess from 'node:child_process';
// Named apart: a bundle of the registry loader may declare its own createRequire (the usual ESM banner of esbuild users).
import { createRequire as requireFrom } from 'node:module';
import { escapeText } from '../escape.js';

/** true: it has a POSIX ACL; false: none; a string: why that could not be told (`ls: cannot access ...`). */
export type AclAnswer = boolean | string;

const LS = ['/bin/ls', '/usr/bin/ls'];

/**
 * Whether each of `paths` (links followed) has a POSIX ACL, in their order: one `ls` for all of them, one each when
 * its answer does not line up (a path it could not look at).
 */
export function extendedAcls(paths: readonly string[]): AclAnswer[] {
  if (paths.length === 0) return [];
  const answer = listModes(paths);
  if (typeof answer !== 'string' && answer.length === paths.length) return answer;
  if (paths.length === 1) return [typeof answer === 'string' ? answer : 'ls did not answer for it'];
  return paths.map((path) => extendedAcls([path])[0]!);
}

/** The `+` of `ls -ldL` for each path, or why ls could not tell. */
function listModes(paths: readonly string[]): AclAnswer[] | string {
  // Loaded here, not at the top: child_process costs every run start-up time, and only a rare mode needs it.
  // Any absolute path serves createRequire for a builtin (the loader's bundle has no import.meta).
  const { spawnSync } = requireFrom(process.execPath)('node:child_process') as typeof ChildProcess;
  for (const bin of LS) {
    // -U: the paths in the order given; escape: one line each, whatever the names hold; -n: no user lookups.
    const result = spawnSync(bin, ['-dLnU', '--quoting-style=escape', '--', ...paths], {
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
      const said = result.stderr.split('\n').find((line) => line.trim() !== '');
      return said !== undefined ? escapeText(said, 300) : `${bin} exited with ${result.status ?? result.signal}`;
    }
    const lines = result.stdout.split('\n').filter((line) => line !== '');
    const modes = lines.map((line) => /^\S{10}([+.]?)\s/.exec(line)?.[1]);
    if (modes.some((mode) => mode === undefined)) return `${bin} printed what is not a mode`;
    return modes.map((mode) => mode === '+');
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
