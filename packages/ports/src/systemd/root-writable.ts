// The installed claim-port, as the health check and `ports systemd` judge it:
// which files decide what root runs when systemd runs it (ExecStartPre=+), and the first of them that
// someone besides root may change. npm honours the installer's umask: an
// install under `umask 000` (or 002) leaves claim-port's bin, its dist/ and
// their directories writable by every user (or the group), and any of them
// could then run code as root at every start of a claiming unit.
import { statSync } from 'node:fs';
import { describeArgument, iterableArgument, objectArgument, pathArgument, stringArgument } from '../arguments.js';
import { type RootOnlyFault, rootOnlyFaults, rootOnlyFaultsEach, type RootOnlyStep } from '../cache.js';
import { escapeText } from '../escape.js';
import { hostPath, resolveInRoot } from '../files/root.js';
import type { InterpreterLookup } from './interpreter.js';

export type { RootOnlyFault, RootOnlyStep } from '../cache.js';

/**
 * The files claim-port's bin loads, from its package directory: bin/claim-port.js
 * requires dist/start.cjs, which runs dist/cli.cjs, which loads dist/run.cjs
 * when a port is in use (packages/claim-port/scripts/build.mjs). claim-port
 * judges these at start as root, the health check and `ports systemd` too.
 */
export const CLAIM_PORT_BIN_FILES = Object.freeze(['bin/claim-port.js', 'dist/start.cjs', 'dist/cli.cjs', 'dist/run.cjs'] as const);

/** The file the bin's registry parser is, in the @dsa110/ports Node finds from claim-port's dist/ (with its package.json, whose version decides it is used). */
const PARSER_FILES = ['package.json', 'dist/parse.cjs'] as const;

/**
 * The first part of what root runs when systemd runs `path` (inside `root`;
 * links followed there) that someone besides root may change, with the file
 * it leads to (`file`), or undefined. Judged, each by rootOnlyFault: the
 * file, every link on the way and each directory above (the one holding a
 * file or link even when sticky; one of root's group with the group-write
 * bit by its POSIX ACL, asked of `ls` once for all of them); the
 * interpreters the lookups found (`#!/usr/bin/env`, and node); and, when
 * `path` is claim-port's Node bin (…/bin/claim-port.js), the files it loads
 * (CLAIM_PORT_BIN_FILES) and the registry parser of the @dsa110/ports Node
 * finds from its dist/. Under a
 * `root` another user owns (an image staged without root), that user is
 * trusted as root is, since they may change all of it anyway. A missing
 * or unreadable part ends that file's walk: the other checks say so.
 */
export function rootWritablePart(
  root: string,
  path: string,
  lookups: Iterable<InterpreterLookup> = [],
): (RootOnlyFault & { readonly file: string; readonly sticky?: true }) | undefined {
  pathArgument('rootWritablePart', 'root', root);
  pathArgument('rootWritablePart', 'path', path);
  iterableArgument('rootWritablePart', 'lookups', lookups, 'InterpreterLookup, from readInterpreter');
  const files = [path];
  let index = 0;
  for (const lookup of lookups as Iterable<unknown>) {
    // Each one read where it is used: `[null]` failed inside ("reading 'kind'"), and a found one without its paths walked "undefined".
    const found = lookupPaths(index++, lookup);
    if (found !== undefined) files.push(...found);
  }
  files.push(...packageFiles(root, path));
  // Every walk first, then one `ls` for the parts of root's group with the group-write bit (none in the common case).
  const unique = [...new Set(files)];
  const faults = rootOnlyFaultsEach(root, unique);
  for (const [index, file] of unique.entries()) {
    const first = faults[index]![0];
    if (first !== undefined) return { path: first.path, why: first.why, file, ...(first.sticky && { sticky: true as const }) };
  }
  return undefined;
}

/** The interpreter and path of one of rootWritablePart's `lookups` (number `index`) when it is found, checked; undefined for the other kinds. */
function lookupPaths(index: number, lookup: unknown): readonly [string, string] | undefined {
  const at = `rootWritablePart: lookups[${index}]`;
  if (typeof lookup !== 'object' || lookup === null)
    throw new TypeError(`${at} must be an InterpreterLookup ({ kind, ... }), from readInterpreter, not ${describeArgument(lookup)}`);
  const { kind, interpreter, path } = lookup as Record<string, unknown>;
  if (kind !== 'found') {
    // The other kinds name no file to walk; only a kind that is no kind at all is the caller's mistake.
    if (typeof kind === 'string') return undefined;
    throw new TypeError(`${at}.kind must be a string ("found", "missing", ...), not ${describeArgument(kind)}`);
  }
  if (typeof interpreter !== 'string') throw new TypeError(`${at}.interpreter must be a path (a string), not ${describeArgument(interpreter)}`);
  if (typeof path !== 'string') throw new TypeError(`${at}.path must be a path (a string), not ${describeArgument(path)}`);
  return [interpreter, path];
}

/** Pure: the one line's middle of a fault (after what runs it): what, where, why it matters, what to do. */
export function rootWritableProblem(fault: RootOnlyFault & { readonly file: string; readonly sticky?: true }): string {
  objectArgument('rootWritableProblem', 'fault', fault, '{ path, why, file }, as rootWritablePart gives it');
  checkFault('rootWritableProblem', fault, ['path', 'why', 'file']);
  const through = fault.path === fault.file ? '' : ` (on the way to ${escapeText(fault.file)})`;
  const fix = sharedDirectory(fault)
    ? `install it in a directory only root may change (/usr/local), and leave ${escapeText(fault.path)} as it is (${SHARED_ON_PURPOSE})`
    : "make it root's and writable only by root (chown root:root, chmod go-w); an npm install under umask 000 or 002 leaves the whole install so: reinstall under umask 022";
  return `${escapeText(fault.path)}${through} ${fault.why}, and root runs it at each start of a unit that claims its port (ExecStartPre=+), so whoever may change it may run code as root; ${fix}`;
}

/** The directories every user shares by design, sticky (FHS): what they hold moves elsewhere; their mode is never to be changed. */
const SHARED_DIRECTORIES: ReadonlySet<string> = new Set(['/tmp', '/var/tmp', '/dev/shm']);

/** Why such a directory is left as it is. */
const SHARED_ON_PURPOSE = 'every user shares it, sticky, on purpose: chmod go-w would break their files';

/** A fault in one of SHARED_DIRECTORIES, sticky as it should be (another sticky directory may be shared by mistake: its fix is given both ways). */
function sharedDirectory(fault: { readonly path: string; readonly sticky?: boolean }): boolean {
  return fault.sticky === true && SHARED_DIRECTORIES.has(fault.path);
}

/**
 * The part of the registry at `path` (inside `root`, links followed there)
 * that makes it no registry for root's claim-port, or undefined: the first
 * symbolic link on the way that root (under a `root` another user owns, that
 * user) does not own, which claim-port as root refuses to follow (the
 * loader's rule); else the file itself when someone besides root may change
 * it; else the first directory that someone besides root may change (the
 * one holding it even when sticky, one above), judged as the files root runs
 * are (rootOnlyFaults): the file first, as the fix most often is its own. Whoever may
 * change the registry decides what root's claim-port may signal
 * (claim.protect: unprotectBuiltin, pidsUpTo) and which port a service id
 * frees. A missing part ends the walk (what reads the file says so), and
 * a missing file is judged by its directories (whoever may write them may put
 * one there); something other than a regular file at `path` (a directory, a
 * FIFO, /dev/null) is nothing: the loader refuses it, and says so.
 */
export function registryWritablePart(root: string, path: string): RootOnlyStep | undefined {
  pathArgument('registryWritablePart', 'root', root);
  pathArgument('registryWritablePart', 'path', path);
  const faults = rootOnlyFaults(root, path);
  if (faults.length === 0 || notRegular(root, path)) return undefined;
  return faults.find((fault) => fault.kind === 'link') ?? faults.find((fault) => fault.kind === 'file') ?? faults[0];
}

/**
 * Pure: one line's middle for registryWritablePart's `fault` of the registry
 * `file` (as the claim line or the command names it): what, who may change
 * it, why it matters, what to do. The words claim-port warns with as root
 * and the health check's systemd check errs with.
 */
export function registryWritableProblem(file: string, fault: RootOnlyStep): string {
  pathArgument('registryWritableProblem', 'file', file);
  objectArgument('registryWritableProblem', 'fault', fault, '{ path, why, kind }, as registryWritablePart gives it');
  checkFault('registryWritableProblem', fault, ['path', 'why', 'kind']);
  const at = escapeText(fault.path);
  const fix =
    fault.kind === 'file'
      ? `make it root's and writable only by root (chown root:root ${at}; chmod go-w ${at})`
      : sharedDirectory(fault)
        ? `keep the registry in a directory only root may change (/etc/dsa110/ports.yaml), and leave ${at} as it is (${SHARED_ON_PURPOSE})`
        : fault.sticky
          ? `keep the registry in a directory only root may change (/etc/dsa110/ports.yaml), or, if ${at} is not meant to be shared (it is sticky, as /tmp is), make it root's (chown root:root ${at}; chmod go-w ${at})`
          : `keep the registry in a directory only root may change (/etc/dsa110/ports.yaml), or make this one so (chown root:root ${at}; chmod go-w ${at})`;
  const what = fault.path === file ? `the registry ${at}` : `${at} (on the way to the registry ${escapeText(file)})`;
  if (fault.kind === 'link') {
    return `${what} ${fault.why}: root's claim-port refuses to follow another user's link (it could point root at any file) and claims by its built-in protected list instead (a claim by service id fails); give --registry the path of the file itself, or make the link root's (chown -h root:root ${at})`;
  }
  return `${what} ${fault.why}: root's claim-port reads it (ExecStartPre=+), so whoever may change it decides which processes root signals (claim.protect) and which port a service id frees; ${fix}`;
}

/**
 * The text fields of a fault these functions print, each a string: a TypeError naming `fn` and the field
 * (`rootWritableProblem({})` used to say "escapeText: value must be a string", naming another function).
 */
function checkFault(fn: string, fault: object, keys: readonly string[]): void {
  for (const key of keys) stringArgument(fn, `fault.${key}`, (fault as Record<string, unknown>)[key], `a string, as ${fn.replace('Problem', 'Part')} gives it`);
  const { sticky } = fault as Record<string, unknown>;
  if (sticky !== undefined && typeof sticky !== 'boolean')
    throw new TypeError(`${fn}: fault.sticky must be true, false or left out, as ${fn.replace('Problem', 'Part')} gives it, not ${describeArgument(sticky)}`);
}

/** Whether `path` (inside `root`, links followed there) is there and not a regular file. */
function notRegular(root: string, path: string): boolean {
  try {
    return !statSync(hostPath(root, resolveInRoot(root, path))).isFile();
  } catch {
    return false; // missing (or a loop): its directories still count
  }
}

/** claim-port's files (CLAIM_PORT_BIN_FILES) and its registry parser, in-root paths, when `path` leads to its bin. */
function packageFiles(root: string, path: string): string[] {
  let real: string;
  try {
    real = resolveInRoot(root, path);
  } catch {
    return [];
  }
  const bin = `/${CLAIM_PORT_BIN_FILES[0]}`;
  if (!real.endsWith(bin)) return [];
  const pkg = real.slice(0, -bin.length);
  const files = CLAIM_PORT_BIN_FILES.map((file) => `${pkg}/${file}`);
  // As Node looks for @dsa110/ports from dist/: each directory's node_modules, up (none in a directory named node_modules).
  for (let dir = `${pkg}/dist`; ; dir = dir.slice(0, dir.lastIndexOf('/')) || '/') {
    if (!dir.endsWith('/node_modules')) {
      const ports = `${dir === '/' ? '' : dir}/node_modules/@dsa110/ports`;
      try {
        statSync(hostPath(root, `${ports}/package.json`));
        files.push(...PARSER_FILES.map((file) => `${ports}/${file}`));
        break;
      } catch {
        // not here: further up
      }
    }
    if (dir === '/') break;
  }
  return files;
}
