// `ports systemd --out DIR`: the drop-ins in DIR that a wired unit would read once DIR is copied into
// /etc/systemd/system, but that cannot be read here (a FIFO, over 1 MiB, denied) or that systemd skips (a directory
// named *.conf). Each is said once, as a problem of that file with what to do, by the write and by --check alike;
// one that may clear a claim line leaves the unit's claim unknown, and --check fails on it.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { escapeText } from '../../../escape.js';
import { FileReadError } from '../../../files/index.js';
import { foreignLinkParts, readRootSafeFileBytes, rootApproval } from '../../../files/root-read.js';
import { MAX_UNIT_BYTES, UNIT_TOO_LARGE } from '../../../limits.js';
import { DEFAULT_UNIT_DIR, type ClaimWiring } from '../../../render/systemd.js';
import { claimPortArgument } from '../../../systemd/claim-args.js';
import { claimLines } from '../../../systemd/claim-line.js';
import { unreadMayHoldClaim, unreadReadAfter } from '../../../systemd/claim-verdict.js';
import { DIRECTORY_DROP_IN, mergeUnit, NOT_REGULAR_DROP_IN } from '../../../systemd/effective.js';
import { outDropInDirNames, outListing } from '../../../systemd/out-drop-ins.js';
import { chooseDropIns } from '../../../systemd/search-path.js';
import type { UnitDirListing } from '../../../systemd/effective.js';
import type { UnreadPart } from '../../../systemd/types.js';
import { decodeKeepingBadBytes } from '../../../utf8.js';
import { readFailureAdvice } from '../../read-advice.js';
import { isMaskLink } from './wired-files.js';

/** A drop-in in DIR that a wired unit reads and that cannot be read here, or that systemd skips. */
export interface OutDropInProblem {
  /** Relative to DIR (`NAME.service.d/x.conf`), as a SystemdDrift's path. */
  readonly path: string;
  /** What it is, what it does to the units that read it, and what to do (escaped). */
  readonly message: string;
  /** It may clear (or hold) a claim line of a unit that reads it: whether that unit claims its port cannot be told. */
  readonly untold: boolean;
  /** Those units (empty when `untold` is false). */
  readonly units: readonly string[];
  /** --check fails on it: `untold`, or one of `others` reads it too (what it sets there cannot be told, as --check says of those units). */
  readonly fails: boolean;
}

/** What one drop-in path is to the wired units that read it: why it is not read, and who would read it, how. */
interface Found {
  readonly reason: string;
  /** What to do about it. */
  readonly advice: string;
  readonly skipped: boolean;
  /** The units whose claim it may clear or hold, each with the claim line's place (`FILE:LINE`, undefined: none read). */
  readonly untold: Map<string, { readonly port: string; readonly claim: string | undefined }>;
  /** The units that read it before their claim line (it cannot clear it), each with that line (or the empty ExecStartPre= after it), in words. */
  readonly before: Map<string, string>;
  /** Other units written to DIR that read it too (the health check's): what it sets there cannot be told either. */
  readonly also: Set<string>;
}

/**
 * The drop-ins in `unitDir` (--out's bare DIR) each wired unit would read once DIR is copied into place (its own
 * directory, its aliases', its template's and dash prefixes', `service.d/`; by name, as outClearings reads them), that cannot be read
 * here or that systemd skips, each once, whatever the number of units that read it. One read after a unit's claim line
 * (unreadReadAfter: the health check's rule for ExecStart=), or any when no claim line was read (unreadMayHoldClaim),
 * is `untold`: an empty ExecStartPre= in it would clear the claim. A directory named *.conf is none: systemd skips it.
 */
export function outDropInProblems(
  wiring: readonly ClaimWiring[],
  files: ReadonlyMap<string, string | undefined>,
  unitDir: string,
  claimPort: string,
  /** The other units written to DIR (the health check's), named as also reading a drop-in found here. */
  others: readonly string[] = [],
): OutDropInProblem[] {
  const found = new Map<string, Found>();
  const note = (path: string, { reason, advice, skipped }: Unread): Found => {
    let entry = found.get(path);
    if (entry === undefined) found.set(path, (entry = { reason, advice, skipped, untold: new Map(), before: new Map(), also: new Set() }));
    return entry;
  };
  const listing = outListing(unitDir);
  for (const entry of wiring) {
    const listed = listDropIns(entry.unit, unitDir, listing);
    const dropIns: { path: string; text: string }[] = [];
    // A directory that cannot be listed here (as a user who is not root) may hold any drop-in: never taken as empty.
    const unread: (UnreadPart & { readonly why: Unread })[] = listed.unlisted.map(({ dir, why }) => ({ kind: 'listing', path: dir, reason: why.reason, why }));
    const port = claimPortArgument(entry.port, entry.service.transport);
    for (const { dir, name } of chooseDropIns(listed.found)) {
      const path = `${dir}/${name}`;
      const read = readDropIn(join(unitDir, path));
      if (read === undefined) continue;
      // The unit's own claim drop-in, when it cannot be read: --check's drift line on it says what to do, once.
      if (!('text' in read) && entry.claim === 'drop-in' && path === entry.path) continue;
      if ('text' in read) dropIns.push({ path, text: read.text });
      else if (read.skipped) note(path, read).before.set(entry.unit, port);
      else unread.push({ kind: 'drop-in', path, name: Buffer.from(name), reason: read.reason, why: read });
    }
    if (unread.length === 0) continue;
    const text = entry.claim === 'unit' ? files.get(entry.path) : undefined;
    const unit = mergeUnit({ unit: entry.unit, ...(text !== undefined && { file: { path: entry.path, text } }), dropIns, problems: [], unread });
    const last = claimLines(unit.execStartPre, [claimPort]).at(-1);
    const mayClear = new Set((last === undefined ? unreadMayHoldClaim(unit) : unreadReadAfter(unit, last.file)).map((part) => part.path));
    for (const part of unread) {
      const problem = note(part.path, part.why);
      if (mayClear.has(part.path)) problem.untold.set(entry.unit, { port, claim: last && `${join(unitDir, last.file)}:${last.line}` });
      // Before the claim line, or (none read) before an empty ExecStartPre= that clears whatever it holds.
      else {
        const at = last ?? unit.execStartPreCleared!;
        problem.before.set(entry.unit, `${last === undefined ? 'the empty ExecStartPre= at' : 'its claim line at'} ${join(unitDir, at.file)}:${at.line}`);
      }
    }
  }
  // One the health check's units read too (`service.d/`) is said here once for all: --check's own line on those units leaves it to this one.
  for (const unit of others)
    for (const { dir, name } of chooseDropIns(listDropIns(unit, unitDir, listing).found)) {
      const problem = found.get(`${dir}/${name}`);
      if (problem !== undefined && !problem.skipped) problem.also.add(unit);
    }
  return [...found].map(([path, problem]) => ({
    path,
    message: problemText(unitDir, problem),
    untold: problem.untold.size > 0,
    units: [...problem.untold.keys()],
    fails: problem.untold.size > 0 || problem.also.size > 0,
  }));
}

/**
 * The drop-in directories of `unit` in DIR (its aliases' too: outDropInDirNames), each with its entries (none when it is not there, or a loop of links, which
 * systemd reads nothing from either), as chooseDropIns takes them; and those that cannot be listed here (`unlisted`:
 * denied to a user who is not root), each with why and what to do: any drop-in in one may clear a claim line.
 */
function listDropIns(
  unit: string,
  unitDir: string,
  listing: UnitDirListing,
): { found: { dir: string; names: string[] }[]; unlisted: { dir: string; why: Unread }[] } {
  const unlisted: { dir: string; why: Unread }[] = [];
  const found = outDropInDirNames(unit, unitDir, listing).map((dir) => {
    // As root, never listed through a link another user owns (it could name a root-only directory): said as unread.
    const link = foreignLink(join(unitDir, dir), 'directory');
    if (link !== undefined) {
      unlisted.push({ dir, why: { ...link, skipped: false } });
      return { dir, names: [] };
    }
    try {
      return { dir, names: readdirSync(join(unitDir, dir)) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ELOOP') {
        unlisted.push({ dir, why: { ...unreadBy(code, 'the directory cannot be listed'), skipped: false } });
      }
      return { dir, names: [] };
    }
  });
  return { found, unlisted };
}

/** As root, the first link on the way to `path` that another user owns (rootApproval), as an Unread's reason and advice; undefined when none. */
function foreignLink(path: string, what: 'file' | 'directory'): { reason: string; advice: string } | undefined {
  const approval = rootApproval(path);
  if (approval === undefined || !('link' in approval)) return undefined;
  // The reason is escaped where it is said (problemText), the advice is not.
  const { reason } = foreignLinkParts(approval.link, (text) => text);
  return { reason, advice: `${foreignLinkParts(approval.link).fix}, or put the ${what} itself in its place` };
}

/** What to do about a drop-in (or its directory) this user may not read, and about one nobody can. */
const AS_ROOT = 'run as root, as systemd reads it';
const MAKE_READABLE = 'make it readable, or remove it';

/** Why a drop-in or its directory, which `what` failed on with errno `code`, is not read, and what to do. */
function unreadBy(code: string | undefined, what: string): { reason: string; advice: string } {
  const denied = code === 'EACCES' || code === 'EPERM';
  return { reason: `${what} (${denied ? 'permission denied' : (code ?? 'error')})`, advice: denied ? AS_ROOT : MAKE_READABLE };
}

/** Why a drop-in is not read, and what to do; `skipped`: systemd skips it too (a directory), so it sets nothing. */
interface Unread {
  readonly reason: string;
  readonly advice: string;
  readonly skipped: boolean;
}

/** A drop-in's text, or why it is not read; undefined when it is gone, or masked (empty, a link to /dev/null). */
function readDropIn(path: string): { readonly text: string } | Unread | undefined {
  // As root, nothing looked at through another user's link (a link to /dev/null, read by none, still masks).
  const link = isMaskLink(path) ? undefined : foreignLink(path, 'file');
  if (link !== undefined) return { ...link, skipped: false };
  // A link to /dev/null masks a drop-in (systemd.unit(5)): nothing to read, as an empty file.
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    // A loop of links: systemd cannot open it either, and skips it without a word (as under --root: skippedDropInProblem).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      return { reason: 'it is a loop of symbolic links, which systemd skips without a word', advice: 'fix the link or remove it', skipped: true };
    return { ...unreadBy(code, 'it cannot be looked at'), skipped: false };
  }
  if (stats === undefined || stats.isCharacterDevice()) return undefined;
  if (stats.isDirectory()) return { reason: `${DIRECTORY_DROP_IN.reason}: systemd skips it without a word`, advice: DIRECTORY_DROP_IN.fix, skipped: true };
  try {
    return { text: decodeKeepingBadBytes(readRootSafeFileBytes(path, { maxBytes: MAX_UNIT_BYTES })) };
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    if (error.kind === 'missing') return undefined;
    return { ...dropInReadProblem(error), skipped: false };
  }
}

/** Why a drop-in could not be read, and what to do. */
function dropInReadProblem(error: FileReadError): { reason: string; advice: string } {
  switch (error.kind) {
    case 'too-large': {
      // UNIT_TOO_LARGE, said as every reader of units says it: `REASON; make it smaller ...`.
      const cut = UNIT_TOO_LARGE.indexOf('; ');
      return { reason: UNIT_TOO_LARGE.slice(0, cut), advice: UNIT_TOO_LARGE.slice(cut + 2) };
    }
    case 'denied':
      return { reason: error.reason, advice: AS_ROOT };
    case 'not-regular':
      return { reason: `${error.reason}, ${NOT_REGULAR_DROP_IN.why}`, advice: NOT_REGULAR_DROP_IN.fix };
    default:
      return { reason: error.reason, advice: readFailureAdvice(error) ?? MAKE_READABLE };
  }
}

/** Pure: one drop-in's line (after its path): what it is, what that does to the units that read it, what to do. */
function problemText(unitDir: string, { reason, advice: fix, skipped, untold, before, also }: Found): string {
  const names = (units: Iterable<string>) => [...units].map((unit) => escapeText(unit)).join(', ');
  const copied = `once ${escapeText(unitDir)} is copied into ${DEFAULT_UNIT_DIR}`;
  if (skipped) return `${escapeText(reason)}, so ${copied} nothing in it applies to ${names(before.keys())}; ${fix}`;
  const advice = also.size === 0 ? fix : `what it sets for ${names(also)} cannot be told either; ${fix}`;
  const what = `cannot be read here: ${escapeText(reason)}`;
  if (untold.size === 0) {
    const each = [...before].map(([unit, at]) => `${escapeText(unit)} reads it before ${escapeText(at)}`);
    return `${what}; ${each.join('; ')}, so it cannot clear a claim line, but what else it sets is not known; ${advice}`;
  }
  const each = [...untold].map(([unit, { port, claim }]) =>
    claim === undefined
      ? `it may hold the claim line of ${escapeText(unit)} (none read here claims port ${port})`
      : `${escapeText(unit)} reads it after its claim line (${escapeText(claim)}), which an empty ExecStartPre= in it would clear`,
  );
  const they = untold.size === 1 ? 'claims its port' : 'claim their ports';
  return `${what}; ${each.join('; ')}, so whether ${names(untold.keys())} ${they} ${copied} cannot be told; ${advice}`;
}
