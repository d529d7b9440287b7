// `ports systemd`'s write: the claim drop-ins and the health check's units under the unit directory, each unit-file
// claim's advice, the claim drop-ins it wrote before that the registry no longer wires removed, and what to run next.
import { lstatSync, realpathSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Io } from '../../../cli-kit/io.js';
import { CommandError, type Outcome } from '../../exit-code.js';
import { concurrentWriteText } from '../../regenerate.js';
import { escapeText, oneLine } from '../../../escape.js';
import { exposedDirectories, guardedDirectories, writeThroughDirectories } from '../../../files/directories.js';
import { ConcurrentWriteError, FileReadError, FileWriteError, writeGeneratedFiles, type WrittenFile } from '../../../files/index.js';
import { readRootSafeFileIfPresent } from '../../../files/root-read.js';
import { MAX_GENERATED_FILE_BYTES, MAX_UNIT_BYTES } from '../../../limits.js';
import type { Registry } from '../../../registry.js';
import { HEALTH_SERVICE, HEALTH_TIMER, type HealthUnit } from '../../../render/health-timer.js';
import { claimPortDropIn, DEFAULT_UNIT_DIR, DROP_IN_NAME, GENERATED_HEADER, systemdDrift, type ClaimWiring } from '../../../render/systemd.js';
import { printedShellWord } from '../../../shell-word.js';
import { driftPath } from '../../../systemd/drift-path.js';
import { readsAtBoot } from '../../../systemd/reload.js';
import type { LoadedUnit } from '../../../systemd/effective.js';
import { claimsRead, findClaims, findDropIns } from '../../../systemd/find-claims.js';
import { foreignFileText, foreignSettings, localDropIn, regularFileText, settingsText } from '../../../systemd/foreign-settings.js';
import { healthOwnerText, healthUnitOwner } from '../../../systemd/health-unit-owner.js';
import {
  alikeAdvice,
  byHandText,
  lineInPlace,
  maskedUnitsText,
  outAdvice,
  unitLineAdvice,
  type LinePlace,
  type OutUnit,
} from '../../../systemd/line-advice.js';
import { outClearings, outOwnDropIns, outUnitProblems, type OutUnitProblem } from '../../../systemd/out-drop-ins.js';
import { templateOf } from '../../../systemd/search-path.js';
import type { EnvironmentSetting, ExecLine, UnitFacts } from '../../../systemd/types.js';
import { outUnitAsJudged } from '../../../systemd/effective-problems.js';
import { exposedDropIns, stake, unitDirectories } from '../../../systemd/unit-dir-exposure.js';
import { generatedFiles, sharedOutputs, sharedText, type UnitOutput } from '../../../systemd/unit-outputs.js';
import { overrideNote, type Override } from '../../../systemd/unit-overrides.js';
import { outDropInProblems, type OutDropInProblem } from './out-drop-in-problems.js';
import { isMaskLink, unitReadProblem } from './wired-files.js';

/** What writeTree writes with, as the command's options and the registry give it. */
interface WriteSettings {
  readonly services: Registry['services'];
  readonly claimPort: string;
  readonly registryPath: string | undefined;
  readonly source: string;
  /** Where the units' registry paths name files (undefined for --out, a bare directory). */
  readonly registryRoot: string | undefined;
  /** The command that writes the tree again, as the hints name it (regenerateCommand). */
  readonly regenerate: string;
  /** The port-health-check executable the health service runs (--port-health-check). */
  readonly healthCheck: string;
  /**
   * Whether `unit` (as merged) already claims `entry`'s port as its line would (claimsAlike, with this run's registry):
   * under --out, asked of DIR's files as --check judges them (outUnitAsJudged), so that the write calls done what it accepts.
   */
  readonly claimsAlike: (entry: ClaimWiring, unit: UnitFacts) => { readonly claim: ExecLine } | undefined;
  /** systemd's DefaultEnvironment= where --out's units run (this host), read when first asked. */
  readonly defaultEnvironment: () => ReadonlyMap<string, EnvironmentSetting>;
}

/**
 * `ports systemd`'s write: the claim drop-ins and the health check's units (`wiring`, `health`) written under `unitDir`
 * (each file's host path from `place`), unless a file there is another's to keep; then, printed to `io`, each `claim:
 * unit` service's line with where it goes (`located`: how the unit file systemd loads is found, undefined for --out),
 * the notes on lines that name their service (`overrides`), the claim drop-ins it wrote before for units the registry
 * no longer wires (removed) and the warnings. `defaultDir`: the unit directory is the default one, so a write refused
 * there is told of --out and --root. The outcome, the units whose advice says what to fix (a line to add by hand, a unit file systemd refuses), and the files and lines its warnings say what to do with.
 */
export async function writeTree(
  io: Io,
  settings: WriteSettings,
  wiring: readonly ClaimWiring[],
  health: readonly HealthUnit[],
  unitDir: string,
  place: (path: string) => string,
  defaultDir: boolean,
  located?: UnitLocator,
  overrides: ReadonlyMap<string, Override> = new Map(),
): Promise<{ readonly outcome: Outcome; readonly advised: ReadonlySet<string>; readonly said: ReadonlySet<string> }> {
  const files = generatedFiles(wiring, health).map((file) => ({ ...file, path: place(file.path) }));
  const foreign = checkWritable(io, settings, files, place);
  if (foreign === undefined) return { outcome: 'failed', advised: new Set<string>(), said: new Set<string>() };
  const wrote = writeFiles(io, settings, files, foreign, unitDir, defaultDir);
  const { dropIns, masked } = await findDropIns(unitDir, place, settings.registryRoot);
  const { unreadDropIns, unitProblems } = located === undefined ? outDirProblems(settings, wiring, health, unitDir) : NO_OUT_PROBLEMS;
  const misread = new Set(unitProblems.filter((problem) => problem.masked !== true).map((problem) => problem.unit));
  const unknown = unreadDropInsByUnit(unreadDropIns, unitDir);
  const { byHand, toMend, maskedUnits } = printUnitAdvice(io, settings, wiring, unitDir, dropIns, located, unknown, misread);
  maskedUnits.push(...unitProblems.filter((problem) => problem.masked === true).map((problem) => problem.unit));
  printOverrideNotes(io, wiring, overrides);
  const { said, removed } = await removeLeftovers(io, settings, wiring, files, unitDir, place, { dropIns, masked });
  printOutDirWarnings(io, settings.regenerate, unitDir, unreadDropIns, unitProblems, misread);
  printUnitsLeft(io, settings.regenerate, byHand, maskedUnits);
  if (wrote > 0 || removed > 0) io.err(`${nextSteps(located)}\n`, 'info');
  return { outcome: 'ok', advised: new Set([...byHand.map((entry) => entry.unit), ...toMend, ...maskedUnits]), said };
}

/** A file this run writes, with what a file of the operator's there sets that the write would drop or replace (foreignSettings). */
type ForeignFile = { readonly path: string } & ReturnType<typeof foreignSettings>;

/**
 * The checks made before anything is written, in this order. Returns each file's foreign settings (for writeFiles to
 * say), or undefined when a refusal was said to `io`; throws a CommandError when the unit directory's health check is
 * another registry's. Nothing is written after a refusal.
 */
function checkWritable(
  io: Io,
  { registryPath, registryRoot, healthCheck }: WriteSettings,
  files: readonly UnitOutput[],
  place: (path: string) => string,
): ForeignFile[] | undefined {
  // Two units whose drop-in directories are one directory through links: one file, two claims. Neither is written.
  const shared = sharedOutputs(files);
  if (shared.length > 0) {
    for (const { units, path } of shared) io.err(`${oneLine(`ports systemd: ${sharedText(units, path)}; nothing was written`)}\n`, 'error');
    return undefined;
  }
  // One unit directory has one health check: another registry's would be replaced without a word.
  const owner = healthUnitOwner(place(HEALTH_SERVICE), registryPath, registryRoot, healthCheck);
  if (owner !== undefined)
    throw new CommandError(
      `ports systemd: cannot write ${escapeText(place(HEALTH_SERVICE))}: ${healthOwnerText(owner, registryPath, registryRoot === undefined)}; nothing was written`,
    );
  // A file of the operator's at one of these paths (no generated header) that sets more than this run writes there:
  // replacing it would drop their settings without a word. Nothing is written until it is moved.
  const foreign = files.map((file) => ({ path: file.path, ...foreignSettings(file.path, file.contents) }));
  if (foreign.some(({ dropped }) => dropped.length > 0)) {
    for (const { path, dropped } of foreign)
      if (dropped.length > 0)
        io.err(`${oneLine(`ports systemd: cannot write ${escapeText(path)}: ${foreignFileText(path, dropped)}; nothing was written`)}\n`, 'error');
    return undefined;
  }
  return foreign;
}

/** What --out's DIR itself holds that --check fails on or warns of, said after the write as --check says it. */
interface OutDirProblems {
  /** A drop-in in DIR a unit reads that cannot be read here (--check fails on it when it may clear a claim line); nothing here writes or removes it. */
  readonly unreadDropIns: readonly OutDropInProblem[];
  /** A unit masked in DIR, a claim line reading another registry (outUnitProblems). */
  readonly unitProblems: readonly OutUnitProblem[];
}

/** Not with --out: the unit directory is one systemd reads, whose units the advice judges as loaded. */
const NO_OUT_PROBLEMS: OutDirProblems = { unreadDropIns: [], unitProblems: [] };

/** --out's problems of DIR (OutDirProblems), read after the write, as --check reads DIR. */
function outDirProblems(settings: WriteSettings, wiring: readonly ClaimWiring[], health: readonly HealthUnit[], unitDir: string): OutDirProblems {
  const unreadDropIns = outDropInProblems(
    wiring,
    outUnitFiles(wiring, unitDir, settings.claimPort),
    unitDir,
    settings.claimPort,
    health.map((unit) => unit.path),
  );
  const unitProblems = outUnitProblems(
    wiring,
    new Map([
      ...outUnitFiles(wiring, unitDir, settings.claimPort),
      ...wiring.filter((entry) => entry.claim === 'drop-in').map((entry) => [entry.path, entry.contents] as const),
    ]),
    unitDir,
    settings.claimPort,
    settings.registryPath,
    settings.defaultEnvironment(),
  );
  return { unreadDropIns, unitProblems };
}

/** (--out) Each unit a drop-in in DIR that cannot be read may clear the claim of, with those drop-ins' paths, for printUnitAdvice. */
function unreadDropInsByUnit(unreadDropIns: readonly OutDropInProblem[], unitDir: string): Map<string, string[]> {
  const unknown = new Map<string, string[]>();
  for (const problem of unreadDropIns) for (const unit of problem.units) unknown.set(unit, [...(unknown.get(unit) ?? []), join(unitDir, problem.path)]);
  return unknown;
}

/**
 * The note on each line that names its service by id, printed after the advice, whose `UNIT:` line is followed by the
 * line to install. A value claim-port refuses gets no note (that the line frees the port the service really uses would
 * not be true): the warnings after the write say why.
 */
function printOverrideNotes(io: Io, wiring: readonly ClaimWiring[], overrides: ReadonlyMap<string, Override>): void {
  for (const entry of wiring) {
    const override = overrides.get(entry.service.id);
    if (entry.byId && override !== undefined && !override.refused) io.out(`${oneLine(overrideNote(entry, override))}\n`);
  }
}

/** (--out) The warnings on DIR's own problems (OutDirProblems), each as --check says it, and what --check fails until. */
function printOutDirWarnings(
  io: Io,
  regenerate: string,
  unitDir: string,
  unreadDropIns: readonly OutDropInProblem[],
  unitProblems: readonly OutUnitProblem[],
  misread: ReadonlySet<string>,
): void {
  for (const { path, message } of unreadDropIns) io.err(`${oneLine(`warning: ${escapeText(join(unitDir, path))}: ${message}`)}\n`, 'warn');
  const untold = unreadDropIns.filter((problem) => problem.untold).length;
  if (untold > 0)
    io.err(
      `${oneLine(`${untold === 1 ? '1 drop-in' : `${untold} drop-ins`} in ${escapeText(unitDir)} cannot be read here and may clear a claim line (said above); \`${regenerate} --check\` fails until ${untold === 1 ? 'it is' : 'they are'} fixed`)}\n`,
      'warn',
    );
  for (const { unit, message } of unitProblems) io.err(`${oneLine(`warning: ${escapeText(unit)}: ${message}`)}\n`, 'warn');
  if (misread.size > 0)
    io.err(
      `${oneLine(`${misread.size === 1 ? '1 unit' : `${misread.size} units`} (${[...misread].map((unit) => escapeText(unit)).join(', ')}) would run claim lines that read another registry once ${escapeText(unitDir)} is copied into ${DEFAULT_UNIT_DIR} (said above); \`${regenerate} --check\` fails until ${misread.size === 1 ? 'it reads' : 'they read'} this one`)}\n`,
      'warn',
    );
}

/** The units --check fails on until someone acts: the lines to add by hand, then the masked units. */
function printUnitsLeft(io: Io, regenerate: string, byHand: readonly { unit: string; place: LinePlace }[], maskedUnits: readonly string[]): void {
  if (byHand.length > 0) io.err(`${oneLine(byHandText(byHand, `${regenerate} --check`))}\n`, 'warn');
  // Masked: counted as --check counts them ("masked"), never among the lines to add, which would not make them run.
  if (maskedUnits.length > 0) io.err(`${oneLine(maskedUnitsText(maskedUnits, `${regenerate} --check`))}\n`, 'warn');
}

/**
 * Write the files (each directory on the way narrowed first when others may write it) and say each: written or
 * unchanged, a replaced file of the operator's and what of it is now this command's, a drop-in of another's there.
 * Returns how many were written.
 */
function writeFiles(
  io: Io,
  { source, registryRoot, regenerate }: WriteSettings,
  files: readonly UnitOutput[],
  foreign: readonly { readonly path: string; readonly replaced: readonly string[] }[],
  unitDir: string,
  defaultDir: boolean,
): number {
  // One that sets only what this run writes there, to other values (a schedule, a program path of the operator's):
  // replaced, as the file is this command's by its name, and said (below), so that a value of theirs is not lost in silence.
  const guarded = guardedDirectories(files.map((file) => file.path));
  const exposed = exposedDirectories(guarded);
  const unitDirs = unitDirectories(unitDir);
  let written: WrittenFile[];
  let made: string[];
  try {
    ({ written, made } = writeThroughDirectories(
      exposed,
      (entry) => stake(entry, unitDirs),
      // Under --root, a link's target is said under it, as the system booted from there reads it.
      () => writeGeneratedFiles('', files, { maxBytes: MAX_GENERATED_FILE_BYTES, root: registryRoot }),
    ));
  } catch (error) {
    if (error instanceof ConcurrentWriteError) throw new CommandError(`ports systemd: ${concurrentWriteText(unitDir, error, source, regenerate)}`);
    if (!(error instanceof FileWriteError)) throw error;
    // Only the default directory gets the hint: with --out or --root the user already chose where.
    const hint = defaultDir && ['EACCES', 'EPERM', 'EROFS'].includes(error.code ?? '') ? ` (to write elsewhere: --out DIR or --root DIR)` : '';
    throw new CommandError(`ports systemd: cannot write ${escapeText(error.path)}: ${error.reason}${hint}`);
  }
  for (const file of written) io.out(`${file.wrote ? 'wrote' : 'unchanged'} ${escapeText(file.path)}\n`);
  for (const { path, replaced } of foreign)
    if (replaced.length > 0)
      io.err(
        `${oneLine(`warning: ${escapeText(path)}: it was not a file \`ports systemd\` wrote (no "${GENERATED_HEADER}" line); what it set that this command sets there is now this command's (it had ${settingsText(replaced)}); to keep a value of your own, set it in a drop-in of your own (${escapeText(localDropIn(path))})`)}\n`,
        'warn',
      );
  for (const line of made) io.out(`${line}\n`);
  // Another's drop-in there is reported, not removed: it may be the operator's own, made by hand.
  for (const { path, reason } of exposedDropIns(guarded, unitDirs))
    io.err(`${oneLine(`warning: ${escapeText(path)}: ${reason} (\`ports systemd\` changes only its own files)`)}\n`, 'warn');
  const wrote = written.filter((file) => file.wrote).length;
  if (wrote > 0) io.done?.(`it wrote ${wrote} file${wrote === 1 ? '' : 's'} under ${escapeText(unitDir)}`);
  return wrote;
}

/**
 * Each `claim: unit` service's line, printed with where it goes (or that the unit already claims as it would). Returns
 * the units whose line goes in by hand (this command writes no unit file, and --check fails until each has it),
 * those whose unit file systemd refuses or that cannot be read here (the advice says so, and what to do; the verdicts
 * after the write would repeat it, and --check fails on the file, not for a missing line), and those masked (the
 * advice says how to unmask each; --check fails on them as masked, not as missing).
 */
function printUnitAdvice(
  io: Io,
  { claimPort, claimsAlike }: WriteSettings,
  wiring: readonly ClaimWiring[],
  unitDir: string,
  dropIns: readonly string[],
  located: UnitLocator | undefined,
  /** (--out) The units a drop-in in DIR that cannot be read may clear the claim of, with those drop-ins (outDropInProblems). */
  unknown: ReadonlyMap<string, readonly string[]>,
  /** (--out) The units whose claim line would read another registry (outUnitProblems): never "nothing to do". */
  misread: ReadonlySet<string> = new Set(),
): { byHand: { unit: string; place: LinePlace }[]; toMend: string[]; maskedUnits: string[] } {
  const byHand: { unit: string; place: LinePlace }[] = [];
  const toMend: string[] = [];
  const maskedUnits: string[] = [];
  for (const entry of wiring) {
    if (entry.claim !== 'unit') continue;
    const loaded = located?.load(entry.unit);
    // Another line the unit runs that claims the port as this one would (`-+`, the id, options): --check accepts it.
    const inPlace = loaded !== undefined && lineInPlace(entry.unit, entry.line, loaded) !== undefined;
    const alike = loaded !== undefined && !inPlace ? located!.claimsAlike(entry) : undefined;
    const advice = misreadAdvice(
      unknownAfter(
        loaded === undefined
          ? outUnitAdvice(entry, unitDir, claimPort, claimsAlike)
          : alike !== undefined
            ? alikeAdvice(entry, alike.claim, located!.root)
            : unitLineAdvice(entry.unit, entry.line, loaded, unitDir, located!.root, claimPort),
        unknown.get(entry.unit),
      ),
      misread.has(entry.unit),
    );
    // A line in place that a later empty ExecStartPre= clears is not one to add: the advice says what to remove instead.
    if (advice.masked) maskedUnits.push(entry.unit);
    else if (advice.refused || advice.unread) toMend.push(entry.unit);
    else if (!advice.text.endsWith('nothing to do') && alike === undefined && !inPlace && !advice.inPlace)
      byHand.push({ unit: entry.unit, place: advice.place });
    // Switched from `claim: drop-in`: the old drop-in goes once the line is in (systemdDrift says the same of the drop-in).
    const leftover = `${entry.unit}.d/${DROP_IN_NAME}`;
    const then = dropIns.includes(leftover) ? `, then remove ${escapeText(join(unitDir, leftover))}, the drop-in the registry wired the claim in before` : '';
    io.out(`${oneLine(`${escapeText(entry.unit)}: ${advice.text}${then}`)}:\n${entry.line}\n`);
  }
  return { byHand, toMend, maskedUnits };
}

/**
 * An advice that calls the line done ("nothing to do") when the unit's claim line would read another registry (`misread`,
 * from outUnitProblems, whose warning says why and what to do): never "nothing to do", and never a line to add by hand.
 */
function misreadAdvice(advice: ReturnType<typeof outUnitAdvice>, misread: boolean): ReturnType<typeof outUnitAdvice> {
  if (!misread || !advice.text.endsWith(', nothing to do')) return advice;
  return { ...advice, text: `${advice.text.slice(0, -', nothing to do'.length)}, but it would read another registry than this one (below)`, unread: true };
}

/**
 * An advice that calls the line done ("nothing to do") when a drop-in read after it cannot be read (`unread`, from
 * outDropInProblems): it may clear the line, so never "nothing to do"; the drop-in's own warning says what to do, and
 * the unit is left to it (`unread`), never counted as a line to add by hand.
 */
function unknownAfter(advice: ReturnType<typeof outUnitAdvice>, unread: readonly string[] | undefined): ReturnType<typeof outUnitAdvice> {
  if (unread === undefined || !advice.text.endsWith(', nothing to do')) return advice;
  const files = unread.map((path) => escapeText(path)).join(' and ');
  return {
    ...advice,
    text: `${advice.text.slice(0, -', nothing to do'.length)}, but ${files}, read after it, cannot be read here (below), so whether it still runs cannot be told`,
    unread: true,
  };
}

/**
 * The claim drop-ins this command wrote for units the registry no longer wires (removed, renamed): its own, removed;
 * any other unexpected claim said as a warning. Returns how many were removed, and the files and lines the warnings
 * say what to do with (as the system names them, as --check collects them): the verdicts on the units after the write
 * leave them out, so that one line is not two warnings with one fix twice.
 */
async function removeLeftovers(
  io: Io,
  { claimPort, registryPath, registryRoot, regenerate, services }: WriteSettings,
  wiring: readonly ClaimWiring[],
  files: readonly UnitOutput[],
  unitDir: string,
  place: (path: string) => string,
  found: { readonly dropIns: readonly string[]; readonly masked: readonly string[] },
): Promise<{ said: Set<string>; removed: number }> {
  const expected = new Set(wiring.filter((entry) => entry.claim === 'drop-in').map((entry) => entry.path));
  const { warnings: unreadDirs, ...read } = claimsRead(
    registryRoot,
    unitDir,
    { ...found, claims: await findClaims(unitDir, place, claimPort, registryRoot, registryPath, expected) },
    expected,
  );
  for (const warning of unreadDirs) io.err(`${oneLine(`warning: ${warning}`)}\n`, 'warn');
  const tree = { files: new Map(), ...read };
  let removed = 0;
  const said = new Set<string>();
  const options = {
    regenerate,
    services,
    unitDir,
    ...(registryPath !== undefined && { registryPath }),
    ...(registryRoot !== undefined && { root: registryRoot }),
  };
  for (const drift of systemdDrift(wiring, tree, options)) {
    const gone =
      drift.leftover !== undefined &&
      removeLeftover(
        unitDir,
        drift.path,
        claimPortDropIn(drift.leftover.target, claimPort, drift.leftover.transport, registryPath),
        files.map((file) => file.path),
      );
    if (gone) {
      const unit = drift.path.slice(0, drift.path.indexOf('.d/'));
      io.out(
        `${oneLine(`removed ${escapeText(join(unitDir, drift.path))} (a claim drop-in it wrote before: no robust service in the registry uses ${escapeText(unit)} now)`)}\n`,
      );
      removed++;
      continue;
    }
    // Unit names here come from the directory listing: one line each, whatever they hold.
    if (drift.message.startsWith('unexpected') || drift.warning) {
      io.err(`${oneLine(`warning: ${escapeText(driftPath(drift.path, unitDir, registryRoot))}: ${drift.message}`)}\n`, 'warn');
      said.add(drift.path.startsWith('/') ? drift.path : `${DEFAULT_UNIT_DIR}/${drift.path}`);
    }
  }
  return { said, removed };
}

/**
 * Remove the claim drop-in `relative` (`NAME.service.d/claim-port.conf`) of `unitDir` when it is exactly `contents`
 * (the drop-in this command writes for the claim it holds, with this run's --claim-port and registry: its header,
 * `[Service]`, that one line; a file the operator edited is left, and said), a regular file in a directory that is
 * no link (a drop-in directory linked to another unit's, as for an alias name, holds that unit's claim drop-in: the
 * file this run just wrote, which it must not remove), is none of the files this run wrote (`written`, by device and
 * inode), and no directory on its way may be written by someone besides root (guardedDirectories: one could swap a
 * link in, and the unlink would remove a file elsewhere); then its directory, when that was all it held. Whether it
 * was removed.
 */
function removeLeftover(unitDir: string, relative: string, contents: string, written: readonly string[]): boolean {
  const dir = join(unitDir, dirname(relative));
  const path = join(dir, basename(relative));
  try {
    if (!lstatSync(dir).isDirectory() || realpathSync(dir) !== join(realpathSync(unitDir), dirname(relative))) return false;
    if (regularFileText(path) !== contents) return false;
    const { dev, ino } = lstatSync(path);
    if (
      written.some((other) => {
        const info = statSync(other, { throwIfNoEntry: false });
        return info !== undefined && info.dev === dev && info.ino === ino;
      })
    )
      return false;
    if (exposedDirectories(guardedDirectories([path])).length > 0) return false;
    unlinkSync(path);
  } catch {
    return false;
  }
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (the operator's own drop-ins), or not ours to remove: left.
  }
  return true;
}

/**
 * What makes systemd use the files written: on this host, a daemon-reload and the timer enabled; under
 * --root, nothing until that tree boots (the timer can be enabled there now, offline); with --out, they
 * are copied into a unit directory first.
 */
function nextSteps(located: UnitLocator | undefined): string {
  const enable = `"systemctl enable --now ${HEALTH_TIMER}" once to start the health check's timer`;
  if (located === undefined) return `Copy them into /etc/systemd/system as they are laid out, then run "systemctl daemon-reload" and ${enable}.`;
  if (located.root !== undefined && located.root !== '/') {
    const offline = ['systemctl', `--root=${located.root}`, 'enable', HEALTH_TIMER].map(printedShellWord).join(' ');
    return `${readsAtBoot(located.root, 'them')}; to enable the health check's timer there now: ${offline}.`;
  }
  return `Run "systemctl daemon-reload" for systemd to read the changes, and ${enable}.`;
}

/** Each `claim: unit` service's unit file in --out's DIR (as outUnit reads it: its own, else its template's), by wiring path, for outDropInProblems. */
function outUnitFiles(wiring: readonly ClaimWiring[], unitDir: string, claimPort: string): Map<string, string | undefined> {
  const files = new Map<string, string | undefined>();
  for (const entry of wiring) if (entry.claim === 'unit') files.set(entry.path, outUnit(entry, unitDir, claimPort).file?.text);
  return files;
}

/** How `ports systemd` finds the unit file systemd loads for a unit (not with --out): under `root` (undefined: this host). */
export interface UnitLocator {
  readonly root: string | undefined;
  load(unit: string): LoadedUnit;
  /** Whether the unit, as --check judges it, already claims `entry`'s port as its line would (claimsAlike). */
  claimsAlike(entry: ClaimWiring): { readonly claim: ExecLine } | undefined;
}

/**
 * The advice under --out for a unit-file claim's unit: what DIR holds for it (outUnit), its line already there or
 * cleared (outAdvice), or another claim line that claims the port as this one would in the unit file or a drop-in of
 * the unit's own (`claimsAlike` of the unit as --check judges it, outUnitAsJudged): done, as --check accepts it.
 */
function outUnitAdvice(
  entry: ClaimWiring,
  unitDir: string,
  claimPort: string,
  claimsAlike: (entry: ClaimWiring, unit: UnitFacts) => { readonly claim: ExecLine } | undefined,
): ReturnType<typeof outAdvice> {
  const found = outUnit(entry, unitDir, claimPort);
  const advice = outAdvice(entry.unit, entry.line, unitDir, found);
  // The exact line in place, or in a file systemd refuses or that cannot be read (no unit loads, and nothing is alike): said as outAdvice says it.
  if (advice.inPlace || advice.refused || advice.unread) return advice;
  const judged = outUnitAsJudged(entry.unit, found);
  const alike = judged === undefined ? undefined : claimsAlike(entry, judged);
  if (alike === undefined) return advice;
  // Cleared by an empty ExecStartPre= read after it (outClearings): --check fails it, so never "nothing to do".
  if (found.cleared !== undefined) return outAdvice(entry.unit, entry.line, unitDir, { ...found, alike: alike.claim });
  return { ...alikeAdvice(entry, alike.claim, undefined), inPlace: true };
}

/**
 * What --out's bare directory holds for a unit-file claim's unit, read as --check reads it (readWiredFiles): the unit's
 * own file there, else its template's, or the first of them that masks the unit (a link to /dev/null, or empty) or cannot be read
 * (too large, not a regular file, a link loop, denied), with why, as --check says it; its own drop-ins; the empty
 * ExecStartPre= there that clears its line.
 */
function outUnit(entry: ClaimWiring, unitDir: string, claimPort: string): OutUnit {
  const template = templateOf(entry.unit);
  let file: OutUnit['file'];
  for (const name of template === undefined ? [entry.path] : [entry.path, template]) {
    const path = join(unitDir, name);
    if (isMaskLink(path)) return { masked: path, dropIns: outOwnDropIns(entry.unit, unitDir) };
    let text: string | undefined;
    try {
      text = readRootSafeFileIfPresent(path, { maxBytes: MAX_UNIT_BYTES });
    } catch (error) {
      if (!(error instanceof FileReadError)) throw error;
      // What it holds is not known: never "put this line" (it may be there), nor "nothing to do"; --check fails here too.
      return { unread: { path, reason: unitReadProblem(error) }, dropIns: outOwnDropIns(entry.unit, unitDir) };
    }
    if (text === undefined) continue;
    // Empty: masked, as a link to /dev/null is (systemd's null_or_empty_path), whatever a later name holds.
    if (text === '') return { masked: path, dropIns: outOwnDropIns(entry.unit, unitDir) };
    file = { path, text };
    break;
  }
  const cleared = file === undefined ? undefined : outClearings([entry], new Map([[entry.path, file.text]]), unitDir, claimPort)[0]?.path;
  return { ...(file && { file }), dropIns: outOwnDropIns(entry.unit, unitDir), ...(cleared !== undefined && { cleared: join(unitDir, cleared) }) };
}
