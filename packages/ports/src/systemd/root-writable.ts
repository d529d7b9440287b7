// The installed claim-port, as the health check and `ports systemd` judge it:
// which files decide what root runs when systemd runs it (ExecStartPre=+), and the first of them that
// someone besides root may change. npm honours the installer's umask: an
// install under `umask 000` (or 002) leaves claim-port's bin, its dist/ and
// their directories writable by every user (or the group), and any of them
// could then run code as root at every start of a claiming unit.
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { objectArgument, pathArgument } from '../arguments.js';
import { type RootOnlyFault, rootOnlyFault } from '../cache.js';
import { escapeText } from '../escape.js';
import { hostPath, resolveInRoot } from '../files/root.js';
import type { InterpreterLookup } from './interpreter.js';

export type { RootOnlyFault } from '../cache.js';

/**
 * The files claim-port's bin loads, from its package directory: bin/claim-port.js
 * requires dist/start.cjs, which runs dist/cli.cjs, which loads dist/run.cjs
 * when a port is in use (packages/claim-port/scripts/build.mjs). claim-port
 * judges these at start as root, the health check and `ports systemd` too.
 */
export const CLAIM_PORT_BIN_FILES = ['bin/claim-port.js', 'dist/start.cjs', 'dist/cli.cjs', 'dist/run.cjs'] as const;

/** The file the bin's registry parser is, in the @dsa110/ports Node finds from claim-port's dist/ (with its package.json, whose version decides it is used). */
const PARSER_FILES = ['package.json', 'dist/parse.cjs'] as const;

/**
 * The first part of what root runs when systemd runs `path` (inside `root`;
 * links followed there) that someone besides root may change, with the file
 * it leads to (`file`), or undefined. Judged, each by rootOnlyFault: the
 * file, every link on the way and each directory above (the one holding a
 * file or link even when sticky); the interpreters the lookups found
 * (`#!/usr/bin/env`, and node); and, when `path` is claim-port's Node bin
 * (…/bin/claim-port.js), the files it loads (CLAIM_PORT_BIN_FILES) and the
 * registry parser of the @dsa110/ports Node finds from its dist/. Under a
 * `root` another user owns (an image staged without root), that user is
 * trusted as root is, since they may change all of it anyway. A missing
 * or unreadable part ends that file's walk: the other checks say so.
 */
export function rootWritablePart(
  root: string,
  path: string,
  lookups: Iterable<InterpreterLookup> = [],
): (RootOnlyFault & { readonly file: string }) | undefined {
  pathArgument('rootWritablePart', 'root', root);
  pathArgument('rootWritablePart', 'path', path);
  const files = [path];
  for (const lookup of lookups) if (lookup.kind === 'found') files.push(lookup.interpreter, lookup.path);
  files.push(...packageFiles(root, path));
  for (const file of new Set(files)) {
    const fault = walk(root, file);
    if (fault !== undefined) return { ...fault, file };
  }
  return undefined;
}

/** Pure: the one line's middle of a fault (after what runs it): what, where, why it matters, what to do. */
export function rootWritableProblem(fault: RootOnlyFault & { readonly file: string }): string {
  objectArgument('rootWritableProblem', 'fault', fault, '{ path, why, file }, as rootWritablePart gives it');
  const through = fault.path === fault.file ? '' : ` (on the way to ${escapeText(fault.file)})`;
  return `${escapeText(fault.path)}${through} ${fault.why}, and root runs it at each start of a unit that claims its port (ExecStartPre=+), so whoever may change it may run code as root; make it root's and writable only by root (chown root:root, chmod go-w); an npm install under umask 000 or 002 leaves the whole install so: reinstall under umask 022`;
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

/** The first part of `path` (inside `root`, links followed there as resolveInRoot does) rootOnlyFault refuses; in-root paths. */
function walk(root: string, path: string): RootOnlyFault | undefined {
  const todo = path.split('/').filter((part) => part !== '' && part !== '.');
  const done: string[] = [];
  // A staged tree (--root) another user owns is theirs to change whole: judged against its owner, else root.
  let owner: number;
  try {
    owner = root === '/' ? 0 : statSync(root).uid;
  } catch {
    return undefined;
  }
  const judge = (parts: readonly string[], holds: boolean): RootOnlyFault | undefined => {
    const why = rootOnlyFault(lstatSync(join(root, ...parts)), holds, owner);
    return why === undefined ? undefined : { path: `/${parts.join('/')}`, why };
  };
  try {
    let fault = judge([], todo.length === 1);
    for (let links = 0; fault === undefined && todo.length > 0; ) {
      const part = todo.shift()!;
      if (part === '..') {
        done.pop();
        continue;
      }
      const info = lstatSync(join(root, ...done, part));
      const last = todo.length === 0;
      if (info.isSymbolicLink() || last) {
        // What names the file: its directory, even sticky, and the link or the file itself.
        fault = judge(done, true) ?? judge([...done, part], false);
        if (fault !== undefined || !info.isSymbolicLink()) break;
        if (++links > 40) return undefined; // a loop: the other checks say so
        const target = readlinkSync(join(root, ...done, part));
        if (target.startsWith('/')) done.length = 0;
        todo.unshift(...target.split('/').filter((piece) => piece !== '' && piece !== '.'));
        continue;
      }
      done.push(part);
      fault = judge(done, false);
    }
    return fault;
  } catch {
    return undefined; // missing or unreadable: the other checks say so
  }
}
