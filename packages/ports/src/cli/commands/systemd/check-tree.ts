// `ports systemd --check`: the files the write would write compared with those on disk (unit-file claims looked for
// where systemd loads them), then, under a root, each wired unit as systemd would load it judged (effectiveProblems).
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Io } from '../../../cli-kit/io.js';
import type { Outcome } from '../../exit-code.js';
import { killedWritersNote } from '../../regenerate.js';
import { escapeText, oneLine } from '../../../escape.js';
import { directoryDriftFix, directoryProblem, exposedDirectories, guardedDirectories } from '../../../files/directories.js';
import { inspectGeneratedFiles, type InspectedFile } from '../../../files/index.js';
import { killedWritersTemps } from '../../../files/write.js';
import { MAX_GENERATED_FILE_BYTES } from '../../../limits.js';
import type { Registry } from '../../../registry.js';
import { unifiedDiff } from '../../../render/diff.js';
import { HEALTH_INTERVAL, HEALTH_SERVICE, type HealthUnit } from '../../../render/health-timer.js';
import { unitOverrideDropIn } from '../../../render/labels.js';
import { DEFAULT_UNIT_DIR, DROP_IN_NAME, systemdDrift, type ClaimWiring, type SystemdDrift, type UnitFilePlace } from '../../../render/systemd.js';
import { ignoredLinkProblem } from '../../../systemd/claim-verdict.js';
import { driftPath } from '../../../systemd/drift-path.js';
import { claimsAlike, claimUntold, effectiveProblems, outUnitAsJudged, unitAsJudged, unitsVerdictText } from '../../../systemd/effective-problems.js';
import { type LoadedUnit, listUnitDirs, loadUnit, type UnitDirListing } from '../../../systemd/effective.js';
import { claimsRead, findClaims, findDropIns } from '../../../systemd/find-claims.js';
import { droppedSettings, foreignFileText } from '../../../systemd/foreign-settings.js';
import { healthOwnerText, healthUnitOwner } from '../../../systemd/health-unit-owner.js';
import { writtenUnitChanges, writtenUnitChangeText } from '../../../systemd/health-units.js';
import { outMaskedText, unitLineAdvice } from '../../../systemd/line-advice.js';
import { maskedUnitText } from '../../../systemd/masked-unit.js';
import type { claimRegistryLoader } from '../../../systemd/line-registry.js';
import type { ManagerDefaults } from '../../../systemd/manager-defaults.js';
import { outClearings, outOwnDropIns, outUnitProblems } from '../../../systemd/out-drop-ins.js';
import { templateOf } from '../../../systemd/search-path.js';
import type { UnitFacts } from '../../../systemd/types.js';
import { exposedDropIns, stake, unitDirectories } from '../../../systemd/unit-dir-exposure.js';
import { sameButRegistryName } from '../../../systemd/registry-name.js';
import { generatedFiles, sharedOutputs, sharedText } from '../../../systemd/unit-outputs.js';
import { outDropInProblems } from './out-drop-in-problems.js';
import { exposedText, readWiredFiles, type UnitDir, type WiredFiles } from './wired-files.js';

export { danglingLink, type UnitDir } from './wired-files.js';

/** checkTree's settings, as the command's options give them. */
export interface CheckOptions {
  readonly claimPort: string;
  readonly registryPath: string | undefined;
  /** --root as given (undefined: this host), as the write's advice names paths. */
  readonly root: string | undefined;
  /** systemd's [Manager] defaults under the effective root, read once a run. */
  readonly managerDefaults: () => ManagerDefaults;
  /** The command that writes the tree again, as the hints name it (regenerateCommand). */
  readonly regenerate: string;
  /** The port-health-check executable the health service runs (--port-health-check). */
  readonly healthCheck: string;
  /** systemd's unit directories under the root, listed once when first asked (asked only under a root). */
  readonly listing: () => UnitDirListing;
  /** The registries claim lines name (`--registry`), each read once. */
  readonly lineRegistries: () => ReturnType<typeof claimRegistryLoader>;
  /** Whether a path a unit names is the registry's file (namesRegistry); undefined: compared as written. */
  readonly names?: (path: string) => boolean;
}

/** A drift line; one of a unit (`unit`) is named by it, as the units' own problems are (`UNIT: masked: ...`). */
type Drift = SystemdDrift & { readonly unit?: string };

/** What every step of one --check shares: the wiring, where it is checked, and the unit directories' listing, read once when first asked. */
interface CheckRun {
  readonly registry: Registry;
  readonly wiring: readonly ClaimWiring[];
  readonly health: readonly HealthUnit[];
  readonly unitDir: string;
  /** Under --root, the root systemd's units are judged under; undefined for --out (a bare directory). */
  readonly effectiveRoot: string | undefined;
  readonly options: CheckOptions;
  readonly place: (path: string) => string;
  readonly listing: () => UnitDirListing;
  readonly lineRegistries: () => ReturnType<typeof claimRegistryLoader>;
  /** Under a root, each unit as systemd would load it (loadUnit), loaded once a run whichever step asks first. */
  readonly loaded: (unit: string) => LoadedUnit;
}

/**
 * `ports systemd --check`: the files the write would write under `unitDir` compared with those on disk, each `claim:
 * unit` service's line looked for in the unit file systemd loads (`unitDirs`), and, under a root (`effectiveRoot`;
 * undefined for --out), each wired unit as systemd would load it judged (effectiveProblems). Each problem is printed
 * to `io` with what to do, then one summary line. Writes nothing; 'failed' when there is a problem.
 */
export async function checkTree(
  io: Io,
  registry: Registry,
  wiring: readonly ClaimWiring[],
  health: readonly HealthUnit[],
  unitDir: string,
  unitDirs: readonly UnitDir[],
  effectiveRoot: string | undefined,
  options: CheckOptions,
  place: (path: string) => string,
): Promise<Outcome> {
  const loadedUnits = new Map<string, LoadedUnit>();
  const run: CheckRun = {
    registry,
    wiring,
    health,
    unitDir,
    effectiveRoot,
    options,
    place,
    listing: options.listing,
    lineRegistries: options.lineRegistries,
    loaded: (unit) => {
      let loaded = loadedUnits.get(unit);
      if (loaded === undefined) loadedUnits.set(unit, (loaded = loadUnit(effectiveRoot!, unit, run.listing())));
      return loaded;
    },
  };
  const wired = await readWiredFiles(wiring, unitDirs, {
    unitDir,
    effectiveRoot,
    root: options.root,
    place,
    regenerate: options.regenerate,
    ...(effectiveRoot !== undefined && { load: run.loaded }),
  });
  const { drift, sharing, unreadSaid } = await fileDrift(io, run, wired);
  drift.push(...directoryDrift(run, wired.shown), ...healthFileDrift(run));
  // What systemd would run is the written file with nothing over it: a higher-priority copy, a mask, a drop-in that sets anything.
  // Under a root said with the effective units' problems, below.
  // --out: a drop-in both tell of (one they read that cannot be read) said once, by outDropInProblems, naming them.
  const healthChanges = healthUnitChanges(health, unitDir, effectiveRoot, options.regenerate).filter((change) => !unreadSaid.has(change.path));
  if (effectiveRoot === undefined) drift.push(...healthChanges.splice(0));
  printDrift(io, run, wired, drift);
  // Not drift (systemd loads no .tmp file), and not a failure: the next write removes them.
  const temps = killedWritersNote(
    killedWritersTemps(
      generatedFiles(wiring, health).map((file) => place(file.path)),
      { remove: false },
    ),
    `under ${escapeText(unitDir)}`,
    options.regenerate,
  );
  if (temps !== undefined) io.err(`${oneLine(temps)}\n`, 'notice');
  const units = effectiveRoot === undefined ? { problems: 0, untold: 0 } : judgeUnits(io, run, wired, drift, sharing, healthChanges);
  const summary = problemsSummary(drift.length, units.problems, units.untold, healthChanges.length, unitDir, effectiveRoot);
  if (summary !== undefined) {
    io.err(`${summary}\n`, 'error');
    return 'failed';
  }
  const dropIns = wiring.filter((entry) => entry.claim === 'drop-in').length;
  io.out(
    `ok: ${dropIns} drop-in${dropIns === 1 ? '' : 's'}, ${wiring.length - dropIns} unit file${wiring.length - dropIns === 1 ? '' : 's'} and the health check's ${health.length} units under ${escapeText(unitDir)} match the registry\n`,
  );
  return 'ok';
}

/**
 * The claim wiring's drift: drop-ins shared through links, files that cannot be judged, and what systemdDrift finds
 * (a unit-file claim without the line that claims as it would, judged alike, is not drift); --out's clearing drop-ins.
 * Prints the warnings it meets on the way. Also returns the wiring paths whose drop-in is one file for two units.
 */
async function fileDrift(io: Io, run: CheckRun, wired: WiredFiles): Promise<{ drift: Drift[]; sharing: ReadonlySet<string>; unreadSaid: ReadonlySet<string> }> {
  const { wiring, health, unitDir, effectiveRoot, place } = run;
  const { claimPort, registryPath, regenerate } = run.options;
  const unreadablePaths = new Set(wired.unreadable.map((item) => item.path));
  const places = claimPlaces(run, wired, unreadablePaths);
  // Drop-ins that are one file through links, each wanted with its own claim: said once, as what to fix; a diff (and
  // running `ports systemd`, which refuses them) could never make both right.
  const shared = sharedOutputs(generatedFiles(wiring, health).map((file) => ({ ...file, path: place(file.path) })));
  const sharing = new Set(shared.flatMap(({ units }) => wiring.filter((entry) => units.includes(entry.unit)).map((entry) => entry.path)));
  const registryDropIns = new Set(wiring.filter((entry) => entry.claim === 'drop-in').map((entry) => entry.path));
  const { warnings: unreadDirs, ...read } = claimsRead(
    effectiveRoot,
    unitDir,
    {
      ...(await findDropIns(unitDir, place, effectiveRoot)),
      claims: await findClaims(unitDir, place, claimPort, effectiveRoot, registryPath, registryDropIns),
    },
    registryDropIns,
  );
  for (const warning of unreadDirs) io.out(`${oneLine(`warning: ${warning}`)}\n`);
  // A claim drop-in of the operator's (no generated header) that sets more than the claim: the write refuses to replace
  // it (droppedSettings), so running it is no fix; said as the write says it.
  const found = systemdDrift(
    wiring,
    { files: wired.files, ...read, places },
    {
      regenerate,
      services: run.registry.services,
      unitDir,
      ...(registryPath !== undefined && { registryPath }),
      ...(run.options.names !== undefined && { names: run.options.names }),
      ...(effectiveRoot !== undefined && { root: effectiveRoot }),
    },
  ).map((item) => {
    const entry = wiring.find((candidate) => candidate.path === item.path);
    if (entry?.claim !== 'drop-in' || item.expected === undefined) return item;
    const dropped = droppedSettings(place(item.path), entry.contents!);
    return dropped.length === 0 ? item : { ...item, message: foreignFileText(place(item.path), dropped) };
  });
  // Another registry's claim drop-in: said, not failed (that registry's own --check judges it).
  for (const item of found) if (item.warning) io.out(`${oneLine(`warning: ${escapeText(driftPath(item.path, unitDir, effectiveRoot))}: ${item.message}`)}\n`);
  const claimWarnings: string[] = [];
  const drift: Drift[] = [
    ...shared.map(({ units, path }) => {
      wired.shown.set(path, path);
      return { path, message: sharedText(units, path) };
    }),
    ...wired.unreadable,
    ...found.filter(
      (item) => !item.warning && !unreadablePaths.has(item.path) && !sharing.has(item.path) && !claimsAsTheLineWould(run, wired, item, claimWarnings),
    ),
    // --out: no second stage judges the units systemd would load, so a drop-in in DIR that clears the claim is said here,
    // and, named by their units as under a root, a unit masked in DIR and a claim line reading another registry.
    ...(effectiveRoot === undefined
      ? [
          ...outClearings(wiring, wired.files, unitDir, claimPort),
          ...outUnitProblems(wiring, wired.files, unitDir, claimPort, registryPath, run.options.managerDefaults().environment).map(({ unit, message }) => ({
            path: unit,
            unit,
            message,
          })),
        ]
      : []),
  ];
  // --out: a drop-in in DIR a unit reads that cannot be read here, once each: one that may clear a claim line fails
  // (whether the unit claims its port cannot be told), as does one the health check's units read too (said here, not
  // again below); one that cannot, or that systemd skips, is a warning.
  const unreadSaid = new Set<string>();
  if (effectiveRoot === undefined)
    for (const problem of outDropInProblems(
      wiring,
      wired.files,
      unitDir,
      claimPort,
      health.map((unit) => unit.path),
    )) {
      unreadSaid.add(problem.path);
      if (problem.fails) drift.push({ path: problem.path, message: problem.message });
      else io.out(`${oneLine(`warning: ${escapeText(join(unitDir, problem.path))}: ${problem.message}`)}\n`);
    }
  // Under --root the merged units are judged again below, warnings included: said once.
  if (effectiveRoot === undefined) for (const warning of claimWarnings) io.out(`${oneLine(`warning: ${warning}`)}\n`);
  return { drift, sharing, unreadSaid };
}

/**
 * Where each unit-file claim's line goes, as the write says (unitLineAdvice): not a package's file, and a claim line in
 * one of the unit's own drop-ins is the one to replace (or, when it is the line itself, the line in place). Under a
 * root, an instance read from its template gets the write's advice there (in `wired.fromTemplate`).
 */
function claimPlaces(run: CheckRun, wired: WiredFiles, unreadablePaths: ReadonlySet<string>): Map<string, UnitFilePlace> {
  const { wiring, unitDir, effectiveRoot } = run;
  const places = new Map<string, UnitFilePlace>();
  if (effectiveRoot === undefined) {
    // --out: an instance's line goes in its own drop-in in DIR (outAdvice), which systemd reads after the unit file,
    // whether DIR holds the template, a file of the instance's own, or neither (the unit installed elsewhere).
    for (const entry of wiring) {
      if (entry.claim !== 'unit' || templateOf(entry.unit) === undefined || wired.masked.has(entry.path) || unreadablePaths.has(entry.path)) continue;
      places.set(entry.path, { packaged: false, dropIn: unitOverrideDropIn(entry.unit, unitDir), dropIns: outOwnDropIns(entry.unit, unitDir) });
    }
    return places;
  }
  // Under a root the unit judged is the effective one, as systemd loads it and the health check reads it: the unit file
  // wherever systemd takes it from (/run too), and its drop-ins, whose [Service] lines are the unit's as much as the
  // file's (a claim line in `NAME.service.d/claim.conf` claims).
  for (const entry of wiring) {
    if (entry.claim !== 'unit' || !wired.files.has(entry.path)) continue;
    // An instance read from its template: the write's advice, the instance's own drop-in (a file of its own would
    // replace the template for it). Under --out, outInstanceAdvice says the same drop-in in DIR.
    const loaded = run.loaded(entry.unit);
    if (wired.fromTemplate.has(entry.path))
      wired.fromTemplate.set(entry.path, unitLineAdvice(entry.unit, entry.line, loaded, unitDir, run.options.root, run.options.claimPort).text);
    // Not a claim-port.conf left from `claim: drop-in`: said on its own line (systemdDrift), removed once the line is in.
    // The line in one of these is where the write puts it (an instance's own, a package's unit's): judged below as merged.
    const own = loaded.dropIns.filter((dropIn) => basename(dirname(dropIn.path)) === `${entry.unit}.d` && basename(dropIn.path) !== DROP_IN_NAME);
    places.set(entry.path, {
      packaged: wired.packaged.has(entry.path),
      ...(wired.packaged.get(entry.path) === true && { madeAtRunTime: true }),
      dropIn: unitOverrideDropIn(entry.unit, unitDir),
      dropIns: own.flatMap((dropIn) => (dropIn.text === undefined ? [] : [{ path: join(effectiveRoot, dropIn.path), text: dropIn.text }])),
    });
  }
  return places;
}

/**
 * Whether a unit-file claim found without the exact line still claims its port (`-+`, an id, options, `${VAR}`),
 * judged as the health check judges it (judgeClaims), so that the two tools agree; its warnings go to `warnings`.
 * Under a root the unit judged is the effective one; under --out, DIR's unit file with its own drop-ins there.
 */
function claimsAsTheLineWould(run: CheckRun, wired: WiredFiles, item: SystemdDrift, warnings: string[]): boolean {
  const entry = run.wiring.find((candidate) => candidate.path === item.path);
  if (entry?.claim !== 'unit') return false;
  let unit: UnitFacts | undefined;
  if (run.effectiveRoot !== undefined) {
    if (!item.message.startsWith('does not contain') && !(item.message.startsWith('missing:') && !wired.masked.has(item.path))) return false;
    unit = unitAsJudged(run.effectiveRoot, entry, run.listing(), run.options.managerDefaults);
  } else {
    const text = wired.files.get(item.path);
    if (text === undefined || !item.message.startsWith('does not contain')) return false;
    unit = outUnitAsJudged(entry.unit, { file: { path: wired.shown.get(item.path) ?? item.path, text }, dropIns: outOwnDropIns(entry.unit, run.unitDir) });
  }
  if (unit === undefined) return false;
  const { registryPath, claimPort } = run.options;
  const alike = claimsAlike(run.registry, entry, unit, claimPort, { registryPath, load: run.lineRegistries(), names: run.options.names });
  // A claim through a wrapper not read: said as "cannot tell" with the units (under a root), as the health check's unknown.
  if (alike === undefined)
    return (
      run.effectiveRoot !== undefined &&
      claimUntold(run.registry, entry, unit, claimPort, { registryPath, load: run.lineRegistries(), names: run.options.names })
    );
  warnings.push(...alike.warnings);
  return true;
}

/** A directory on the way to a drop-in or health unit that others may write, up to /: they choose what systemd runs, as for the file. */
function directoryDrift(run: CheckRun, shown: Map<string, string>): SystemdDrift[] {
  const guarded = guardedDirectories(generatedFiles(run.wiring, run.health).map((file) => run.place(file.path)));
  const unitDirectory = unitDirectories(run.unitDir);
  const drift: SystemdDrift[] = [];
  for (const entry of exposedDirectories(guarded)) {
    shown.set(entry.dir.path, entry.dir.path);
    drift.push({
      path: entry.dir.path,
      message: `${directoryProblem(entry, stake(entry, unitDirectory))}; ${directoryDriftFix(entry, run.options.regenerate)}`,
    });
  }
  for (const { path, reason } of exposedDropIns(guarded, unitDirectory)) {
    shown.set(path, path);
    drift.push({ path, message: reason });
  }
  return drift;
}

/** The health check's unit files against what the write writes: missing, exposed, another's, or different (with the diff). */
function healthFileDrift(run: CheckRun): SystemdDrift[] {
  const { regenerate, registryPath, healthCheck } = run.options;
  return run.health.flatMap((unit): SystemdDrift[] => {
    const [{ current: actual, problem, exposure }] = inspectGeneratedFiles('', [{ ...unit, path: run.place(unit.path) }], {
      maxBytes: MAX_GENERATED_FILE_BYTES,
      root: run.effectiveRoot,
    }) as [InspectedFile];
    if (problem !== undefined) return [{ path: unit.path, message: problem }];
    if (exposure !== undefined) return [{ path: unit.path, message: exposedText(exposure, regenerate) }];
    if (actual === undefined) return [{ path: unit.path, message: `missing: the port health check's unit; run \`${regenerate}\`` }];
    if (actual === unit.contents) return [];
    // The same unit but for the registry's name: another name of its file (a link, `..`), which the health check reads alike.
    if (registryPath !== undefined && run.options.names !== undefined && sameButRegistryName(actual, unit.contents, registryPath, run.options.names)) return [];
    // Another registry's health check, or the operator's own unit: not drift a run could fix (the run refuses to replace it), said as what it is.
    const owner = unit.path === HEALTH_SERVICE ? healthUnitOwner(run.place(unit.path), registryPath, run.effectiveRoot, healthCheck) : undefined;
    if (owner !== undefined) return [{ path: unit.path, message: healthOwnerText(owner, registryPath, run.effectiveRoot === undefined) }];
    const dropped = droppedSettings(run.place(unit.path), unit.contents);
    if (dropped.length > 0) return [{ path: unit.path, message: foreignFileText(run.place(unit.path), dropped), expected: unit.contents, actual }];
    return [{ path: unit.path, message: `differs from what \`ports systemd\` writes; run \`${regenerate}\``, expected: unit.contents, actual }];
  });
}

/** Each drift as one line (a masked unit and a template's missing line said as such), with its diff when there is one. */
function printDrift(io: Io, run: CheckRun, wired: WiredFiles, drift: readonly Drift[]): void {
  const { masked, fromTemplate, shown } = wired;
  for (const item of drift) {
    if (item.unit !== undefined) {
      io.out(`${oneLine(`${escapeText(item.unit)}: ${item.message}`)}\n`);
      continue;
    }
    const path = shown.get(item.path) ?? driftPath(item.path, run.unitDir, run.effectiveRoot);
    const unit = run.wiring.find((entry) => entry.path === item.path)?.unit;
    const mask = item.message.startsWith('missing:') && unit !== undefined ? masked.get(item.path) : undefined;
    if (mask !== undefined) {
      // Named by its unit, as the units' own problems are ("UNIT: masked: ..."), in the write's words.
      io.out(`${oneLine(`${escapeText(unit!)}: masked: ${maskedText(run, mask, unit!)}`)}\n`);
      continue;
    }
    const printed = escapeText(path);
    const message =
      fromTemplate.has(item.path) && item.message.startsWith('does not contain')
        ? `${item.message.replace(/ in its \[Service\] section[,;].*$/, ' in its [Service] section')}: ${fromTemplate.get(item.path)}`
        : item.message;
    io.out(`${oneLine(`${printed}: ${message}`)}\n`);
    if (item.expected !== undefined)
      io.out(unifiedDiff(item.actual ?? '', item.expected, { from: `${printed} (on disk)`, to: `${printed} (from the registry)` }));
  }
}

/**
 * A wired unit's mask (`mask`: its file as printed, a link to /dev/null or empty), and what to do: under a root the
 * health check's words (maskedUnitText: `systemctl --root=ROOT unmask`, or remove a package's file), with --out what
 * removes it from DIR (outMaskedText); then the write again, which says where the claim line goes, or the registry.
 */
function maskedText(run: CheckRun, mask: string, unit: string): string {
  const then = `then run \`${run.options.regenerate}\` to learn where its claim line goes, or remove the service from the registry`;
  if (run.effectiveRoot === undefined) return `${outMaskedText(mask, run.unitDir)}; ${then}`;
  const inRoot = run.effectiveRoot === '/' ? mask : mask.slice(run.effectiveRoot.replace(/\/+$/, '').length);
  return `${maskedUnitText(run.effectiveRoot, inRoot, unit)}; ${then}`;
}

/**
 * Under a root, each wired unit as systemd would load it, judged in the same run, whatever drifted: one run lists
 * every problem. A claim drop-in is judged as the write would leave it (its drift is said above); a unit whose own
 * file drifted otherwise (a unit-file claim without its line, a drop-in that is a link or one file for two units) is
 * judged once that is fixed, since its verdict now would repeat the drift line. Prints each problem; returns the counts.
 */
function judgeUnits(
  io: Io,
  run: CheckRun,
  wired: WiredFiles,
  drift: readonly SystemdDrift[],
  /** The claim drop-ins that are one file for two units (said as drift, never judged as written). */
  sharing: ReadonlySet<string>,
  healthChanges: readonly SystemdDrift[],
): { problems: number; untold: number } {
  const { wiring, unitDir, effectiveRoot } = run;
  const { claimPort, registryPath, regenerate, managerDefaults } = run.options;
  const drifted = new Set(drift.map((item) => item.path));
  const judged = wiring.filter((entry) =>
    entry.claim === 'drop-in' ? wired.rewritable.has(entry.unit) && !sharing.has(entry.path) : !drifted.has(entry.path),
  );
  const { problems, warnings, untold } = effectiveProblems(run.registry, judged, effectiveRoot!, {
    claimPort,
    registryPath,
    regenerate,
    managerDefaults,
    asWritten: wired.rewritable,
    load: run.loaded,
    // Drift paths are relative to the unit directory checked, /etc/systemd/system under the root, or absolute there. A
    // claim drop-in judged as written is not one: its lines are the registry's, judged as the write's would be.
    said: new Set(
      drift
        .filter((item) => !wiring.some((entry) => entry.path === item.path && entry.claim === 'drop-in' && wired.rewritable.has(entry.unit)))
        .map((item) => (item.path.startsWith('/') ? item.path : `${DEFAULT_UNIT_DIR}/${item.path}`)),
    ),
  });
  for (const warning of [...ignoredLinkWarnings(run), ...warnings]) io.out(`${oneLine(`warning: ${warning}`)}\n`);
  for (const problem of problems) io.out(`${oneLine(problem)}\n`);
  for (const change of healthChanges) io.out(`${oneLine(`${escapeText(driftPath(change.path, unitDir, effectiveRoot))}: ${change.message}`)}\n`);
  return { problems: problems.length + healthChanges.length, untold };
}

/**
 * Under a root, each link of a wired unit's name that systemd ignores (`svc.service -> x`, x no unit name; UnitFacts'
 * `ignoredLinks`), in the health check's words (ignoredLinkProblem), once a unit: a warning, as the health check's, and
 * as --check's other facts that are no drift (a drop-in systemd skips): the unit loads from the file below it, judged on
 * its own, but the file the link names (with a claim line, perhaps) is never read. Every wired unit, drifted or not:
 * "does not contain" the claim line is the drift when the line is in the file the link names.
 */
function ignoredLinkWarnings(run: CheckRun): string[] {
  const root = run.effectiveRoot!;
  const warnings: string[] = [];
  for (const unit of new Set(run.wiring.map((entry) => entry.unit))) {
    const loaded = run.loaded(unit);
    for (const link of loaded.ignoredLinks ?? []) warnings.push(`${escapeText(unit)}: ${ignoredLinkProblem(link, unit, loaded.file?.path, root)}`);
  }
  return warnings;
}

/**
 * Pure: --check's last line, counting every problem it listed, or undefined when there is none: `files` in the files
 * (drift), `units` in the units systemd would load under `root` (the effective units' problems and `healthChanged`
 * of the health check's units that are not the files written), judged in the same run; `untold` of them cannot be
 * told (a file the units load unread).
 */
function problemsSummary(files: number, units: number, untold: number, healthChanged: number, unitDir: string, root: string | undefined): string | undefined {
  const count = (n: number) => (n === 1 ? '1 problem' : `${n} problems`);
  // Not "differs from the registry": a file with the right lines that others may change is one of them.
  const inFiles = `in the claim wiring under ${escapeText(unitDir)}, ${files + units === 1 ? '' : 'each '}listed above with what to do`;
  const loaded = `the units systemd would load under ${escapeText(root ?? '/')}`;
  if (files > 0 && units > 0) return `${count(files + units)} ${inFiles}: ${files} in the files, and ${units} in ${loaded}`;
  if (files > 0) return `${count(files)} ${inFiles}`;
  if (units === 0) return undefined;
  if (healthChanged === 0) return `${count(units)}: the files match the registry, but ${loaded} ${unitsVerdictText(units, untold, 'do not claim their ports')}`;
  const claims = units - healthChanged;
  return claims === 0
    ? `${count(units)}: the files match the registry, but ${loaded} are not the files, each listed above with what to do`
    : `${count(units)}: the files match the registry, but ${loaded} are not the files (${healthChanged}) and ${unitsVerdictText(claims, untold, 'do not claim their ports as they should')} (${claims}), each listed above with what to do`;
}

/**
 * The health check's units as systemd would load them (writtenUnitChanges): under `root` (the host's `/`, or --root's)
 * from every unit directory, each with its drop-ins; with --out DIR (`root` undefined), DIR alone, as it would be read
 * once copied into ${DEFAULT_UNIT_DIR}. One drift for each file that changes what the health check runs.
 */
function healthUnitChanges(health: readonly HealthUnit[], unitDir: string, root: string | undefined, regenerate: string): SystemdDrift[] {
  const dir = root === undefined ? resolve(unitDir) : DEFAULT_UNIT_DIR;
  const listing = root === undefined ? listUnitDirs('/', [], [dir]) : listUnitDirs(root, []);
  const instead = (unit: string) =>
    unit === HEALTH_SERVICE
      ? `what the health check runs is \`ports systemd\`'s to write: give --port-health-check, --textfile, --claim-port or --registry to \`${regenerate}\` instead`
      : `the health check's timer runs a minute after boot and every ${HEALTH_INTERVAL}, as \`ports systemd\` writes it`;
  return health.flatMap((unit) => {
    const written = join(dir, unit.path);
    return writtenUnitChanges(root ?? '/', unit.path, written, listing).map((change) => ({
      // --out: named as DIR was given (`out/timer.d/x.conf`), as the other findings there are.
      path: root === undefined && change.path.startsWith(`${dir}/`) ? relative(dir, change.path) : change.path,
      message: writtenUnitChangeText(unit.path, change, root === undefined ? join(unitDir, unit.path) : driftPath(written, unitDir, root), instead(unit.path)),
    }));
  });
}
