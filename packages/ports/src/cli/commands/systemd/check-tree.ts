// `ports systemd --check`: the files the write would write compared with those on disk (unit-file claims looked for
// where systemd loads them), then, under a root, each wired unit as systemd would load it judged (effectiveProblems).
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Io } from '../../../cli-kit/io.js';
import { CommandError, type Outcome } from '../../exit-code.js';
import { readFailureAdvice } from '../../read-advice.js';
import { killedWritersNote } from '../../regenerate.js';
import { escapeText, oneLine, pathText } from '../../../escape.js';
import { directoryDriftFix, directoryProblem, exposedDirectories, guardedDirectories } from '../../../files/directories.js';
import { FileReadError, hostPath, inspectGeneratedFiles, readFileIfPresent, resolveInRoot, type InspectedFile } from '../../../files/index.js';
import { killedWritersTemps } from '../../../files/write.js';
import { MAX_GENERATED_FILE_BYTES, MAX_UNIT_BYTES, UNIT_TOO_LARGE } from '../../../limits.js';
import type { Registry } from '../../../registry.js';
import { unifiedDiff } from '../../../render/diff.js';
import { HEALTH_INTERVAL, HEALTH_SERVICE, type HealthUnit } from '../../../render/health-timer.js';
import { unitOverrideDropIn } from '../../../render/labels.js';
import { DEFAULT_UNIT_DIR, DROP_IN_NAME, systemdDrift, type ClaimWiring, type SystemdDrift, type UnitFilePlace } from '../../../render/systemd.js';
import { brokenUnitFileProblem } from '../../../systemd/claim-verdict.js';
import { driftPath } from '../../../systemd/drift-path.js';
import { claimsAlike, effectiveProblems, outUnitAsJudged, unitAsJudged, unitsVerdictText } from '../../../systemd/effective-problems.js';
import { listUnitDirs, loadUnit, type UnitDirListing } from '../../../systemd/effective.js';
import { claimsRead, findClaims, findDropIns } from '../../../systemd/find-claims.js';
import { droppedSettings, foreignFileText } from '../../../systemd/foreign-settings.js';
import { healthOwnerText, healthUnitOwner } from '../../../systemd/health-unit-owner.js';
import { writtenUnitChanges, writtenUnitChangeText } from '../../../systemd/health-units.js';
import { outInstanceAdvice, unitLineAdvice } from '../../../systemd/line-advice.js';
import { claimRegistryLoader } from '../../../systemd/line-registry.js';
import type { ManagerDefaults } from '../../../systemd/manager-defaults.js';
import { outClearings, outOwnDropIns } from '../../../systemd/out-drop-ins.js';
import { templateOf } from '../../../systemd/search-path.js';
import type { UnitFacts } from '../../../systemd/types.js';
import { exposedDropIns, stake, unitDirectories } from '../../../systemd/unit-dir-exposure.js';
import { generatedFiles, sharedOutputs, sharedText } from '../../../systemd/unit-outputs.js';

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
  {
    claimPort,
    registryPath,
    root,
    managerDefaults,
    regenerate,
    healthCheck,
  }: {
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
  },
  place: (path: string) => string,
): Promise<Outcome> {
  const files = new Map<string, string | undefined>();
  const shown = new Map<string, string>();
  /** Unit-file claims of an instance found in its template's file (no file of its own): what to say beside a missing line. */
  const fromTemplate = new Map<string, string>();
  /** Unit files masked (linked to /dev/null), by path: said as such, not as missing. */
  const masked = new Map<string, string>();
  /** Unit-file claims whose unit file is not the operator's (a package's, or made at run time: true), by path. */
  const packaged = new Map<string, boolean>();
  const unreadable: SystemdDrift[] = [];
  /** The claim drop-ins the write would replace with the registry's (every one it can read, but for a link or a FIFO), by unit. */
  const rewritable = new Set<string>();
  // A claim drop-in or health unit someone else may write runs what they write, as root: drift, whatever it holds.
  const exposed = (exposure: string) =>
    `${exposure}: whoever may write it chooses what systemd runs as root; run \`${regenerate}\` to replace it with one of root's, 0644`;
  for (const entry of wiring) {
    shown.set(entry.path, join(unitDir, entry.path));
    if (entry.claim === 'drop-in') {
      // The drop-in is this command's file: judged as `ports systemd` would write it (a link or a FIFO there is drift).
      const [{ current, problem, exposure }] = inspectGeneratedFiles('', [{ path: place(entry.path), contents: entry.contents! }], {
        maxBytes: MAX_GENERATED_FILE_BYTES,
        root: effectiveRoot,
      }) as [InspectedFile];
      if (problem !== undefined) unreadable.push({ path: entry.path, message: problem });
      else if (exposure !== undefined) unreadable.push({ path: entry.path, message: exposed(exposure) });
      else files.set(entry.path, current);
      if (problem === undefined) rewritable.add(entry.unit);
      continue;
    }
    // The file systemd loads: the unit's own, else (an instance) its template's, first directory first.
    const template = templateOf(entry.unit);
    search: for (const name of template ? [entry.path, template] : [entry.path]) {
      for (const dir of unitDirs) {
        // Masked (a link to /dev/null, as `systemctl mask` makes): systemd never starts it, whatever a later directory holds.
        if (isMaskLink(join(dir.shown, name))) {
          masked.set(entry.path, join(dir.shown, name));
          break search;
        }
        const text = await readText(join(dir.shown, name), () => dir.open(name));
        if (text === undefined) {
          // A link to nothing: systemd takes it as the unit's file and fails to load the unit; it never reads a lower copy.
          const leads = dir.danglingLink?.(name);
          if (leads === undefined) continue;
          const under = root === undefined || root === '/' ? '' : ` under ${escapeText(root)}`;
          const part = {
            path: join(dir.shown.slice((root ?? '/').replace(/\/+$/, '').length), name),
            reason: `it leads to ${pathText(leads)}, which does not exist${under}`,
          };
          unreadable.push({ path: entry.path, message: `systemd cannot load ${escapeText(entry.unit)}: ${brokenUnitFileProblem(part, root ?? '/')}` });
          shown.set(entry.path, join(dir.shown, name));
          break search;
        }
        files.set(entry.path, text);
        shown.set(entry.path, join(dir.shown, name));
        if (dir.packaged) packaged.set(entry.path, dir.madeAtRunTime ?? false);
        // Under --root replaced below by the write's advice there (unitLineAdvice); under --out, the write's (outAdvice).
        if (name !== entry.path) fromTemplate.set(entry.path, outInstanceAdvice(entry.unit, name, unitDir));
        break search;
      }
    }
  }
  const unreadablePaths = new Set(unreadable.map((item) => item.path));
  // A unit file without the exact line may still claim its port (`-+`, an id, options, `${VAR}`): judged then as the
  // health check judges it (judgeClaims), so that the two tools agree: its errors fail, its warnings are printed.
  const claimWarnings: string[] = [];
  // Under a root the unit judged is the effective one, as systemd loads it and the health check reads it: the unit file
  // wherever systemd takes it from (/run too), and its drop-ins, whose [Service] lines are the unit's as much as the
  // file's (a claim line in `NAME.service.d/claim.conf` claims). --out names a bare directory: its unit file alone.
  let listing: UnitDirListing | undefined;
  // Where each unit-file claim's line goes, as the write says (unitLineAdvice): not a package's file, and a claim line in
  // one of the unit's own drop-ins is the one to replace (or, when it is the line itself, the line in place).
  const places = new Map<string, UnitFilePlace>();
  if (effectiveRoot === undefined) {
    // --out: an instance's line goes in its own drop-in in DIR (outAdvice), which systemd reads after the unit file,
    // whether DIR holds the template, a file of the instance's own, or neither (the unit installed elsewhere).
    for (const entry of wiring) {
      if (entry.claim !== 'unit' || templateOf(entry.unit) === undefined || masked.has(entry.path) || unreadablePaths.has(entry.path)) continue;
      places.set(entry.path, { packaged: false, dropIn: unitOverrideDropIn(entry.unit, unitDir), dropIns: outOwnDropIns(entry.unit, unitDir) });
    }
  } else {
    for (const entry of wiring) {
      if (entry.claim !== 'unit' || !files.has(entry.path)) continue;
      listing ??= listUnitDirs(effectiveRoot, []);
      // An instance read from its template: the write's advice, the instance's own drop-in (a file of its own would
      // replace the template for it). Under --out, the advice above (outInstanceAdvice) says the same drop-in in DIR.
      const loaded = loadUnit(effectiveRoot, entry.unit, listing);
      if (fromTemplate.has(entry.path)) fromTemplate.set(entry.path, unitLineAdvice(entry.unit, entry.line, loaded, unitDir, root, claimPort).text);
      // Not a claim-port.conf left from `claim: drop-in`: said on its own line (systemdDrift), removed once the line is in.
      // The line in one of these is where the write puts it (an instance's own, a package's unit's): judged below as merged.
      const own = loaded.dropIns.filter((dropIn) => basename(dirname(dropIn.path)) === `${entry.unit}.d` && basename(dropIn.path) !== DROP_IN_NAME);
      places.set(entry.path, {
        packaged: packaged.has(entry.path),
        ...(packaged.get(entry.path) === true && { madeAtRunTime: true }),
        dropIn: unitOverrideDropIn(entry.unit, unitDir),
        dropIns: own.flatMap((dropIn) => (dropIn.text === undefined ? [] : [{ path: join(effectiveRoot, dropIn.path), text: dropIn.text }])),
      });
    }
  }
  let lineRegistries: ReturnType<typeof claimRegistryLoader> | undefined;
  const judgedAlike = (item: SystemdDrift): boolean => {
    const entry = wiring.find((candidate) => candidate.path === item.path);
    if (entry?.claim !== 'unit') return false;
    let unit: UnitFacts;
    if (effectiveRoot !== undefined) {
      if (!item.message.startsWith('does not contain') && !(item.message.startsWith('missing:') && !masked.has(item.path))) return false;
      listing ??= listUnitDirs(effectiveRoot, []);
      const judged = unitAsJudged(effectiveRoot, entry, listing, managerDefaults);
      if (judged === undefined) return false;
      unit = judged;
    } else {
      // DIR's unit file for it (its own, or its template's) with its own drop-ins there: as the write's advice judges it.
      const text = files.get(item.path);
      if (text === undefined || !item.message.startsWith('does not contain')) return false;
      const judged = outUnitAsJudged(entry.unit, { file: { path: shown.get(item.path) ?? item.path, text }, dropIns: outOwnDropIns(entry.unit, unitDir) });
      if (judged === undefined) return false;
      unit = judged;
    }
    const alike = claimsAlike(registry, entry, unit, claimPort, { registryPath, load: (lineRegistries ??= claimRegistryLoader(effectiveRoot ?? '/')) });
    if (alike === undefined) return false;
    claimWarnings.push(...alike.warnings);
    return true;
  };
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
    { files, ...read, places },
    { regenerate, services: registry.services, unitDir, ...(registryPath !== undefined && { registryPath }) },
  ).map((item) => {
    const entry = wiring.find((candidate) => candidate.path === item.path);
    if (entry?.claim !== 'drop-in' || item.expected === undefined) return item;
    const dropped = droppedSettings(place(item.path), entry.contents!);
    return dropped.length === 0 ? item : { ...item, message: foreignFileText(place(item.path), dropped) };
  });
  // Another registry's claim drop-in: said, not failed (that registry's own --check judges it).
  for (const item of found) if (item.warning) io.out(`${oneLine(`warning: ${escapeText(driftPath(item.path, unitDir, effectiveRoot))}: ${item.message}`)}\n`);
  const drift: SystemdDrift[] = [
    ...shared.map(({ units, path }) => {
      shown.set(path, path);
      return { path, message: sharedText(units, path) };
    }),
    ...unreadable,
    ...found.filter((item) => !item.warning && !unreadablePaths.has(item.path) && !sharing.has(item.path) && !judgedAlike(item)),
    // --out: no second stage judges the units systemd would load, so a drop-in in DIR that clears the claim is said here.
    ...(effectiveRoot === undefined ? outClearings(wiring, files, unitDir, claimPort) : []),
  ];
  // Under --root the merged units are judged again below, warnings included: said once.
  if (effectiveRoot === undefined) for (const warning of claimWarnings) io.out(`${oneLine(`warning: ${warning}`)}\n`);
  // A directory on the way to a drop-in or health unit that others may write, up to /: they choose what systemd runs, as for the file.
  const guarded = guardedDirectories(generatedFiles(wiring, health).map((file) => place(file.path)));
  const unitDirectory = unitDirectories(unitDir);
  for (const entry of exposedDirectories(guarded)) {
    shown.set(entry.dir.path, entry.dir.path);
    drift.push({ path: entry.dir.path, message: `${directoryProblem(entry, stake(entry, unitDirectory))}; ${directoryDriftFix(entry, regenerate)}` });
  }
  for (const { path, reason } of exposedDropIns(guarded, unitDirectory)) {
    shown.set(path, path);
    drift.push({ path, message: reason });
  }
  for (const unit of health) {
    const [{ current: actual, problem, exposure }] = inspectGeneratedFiles('', [{ ...unit, path: place(unit.path) }], {
      maxBytes: MAX_GENERATED_FILE_BYTES,
      root: effectiveRoot,
    }) as [InspectedFile];
    if (problem !== undefined) drift.push({ path: unit.path, message: problem });
    else if (exposure !== undefined) drift.push({ path: unit.path, message: exposed(exposure) });
    else if (actual === undefined) drift.push({ path: unit.path, message: `missing: the port health check's unit; run \`${regenerate}\`` });
    else if (actual !== unit.contents) {
      // Another registry's health check, or the operator's own unit: not drift a run could fix (the run refuses to replace it), said as what it is.
      const owner = unit.path === HEALTH_SERVICE ? healthUnitOwner(place(unit.path), registryPath, effectiveRoot, healthCheck) : undefined;
      const dropped = owner === undefined ? droppedSettings(place(unit.path), unit.contents) : [];
      if (owner !== undefined) drift.push({ path: unit.path, message: healthOwnerText(owner, registryPath, effectiveRoot === undefined) });
      else if (dropped.length > 0) drift.push({ path: unit.path, message: foreignFileText(place(unit.path), dropped), expected: unit.contents, actual });
      else drift.push({ path: unit.path, message: `differs from what \`ports systemd\` writes; run \`${regenerate}\``, expected: unit.contents, actual });
    }
  }
  // What systemd would run is the written file with nothing over it: a higher-priority copy, a mask, a drop-in that sets anything.
  // Under a root said with the effective units' problems, below.
  const healthChanges = healthUnitChanges(health, unitDir, effectiveRoot, regenerate);
  if (effectiveRoot === undefined) drift.push(...healthChanges.splice(0));
  for (const item of drift) {
    const path = shown.get(item.path) ?? driftPath(item.path, unitDir, effectiveRoot);
    const printed = escapeText(masked.get(item.path) ?? path);
    const unit = wiring.find((entry) => entry.path === item.path)?.unit;
    const message =
      masked.has(item.path) && item.message.startsWith('missing:') && unit !== undefined
        ? `masked (a link to /dev/null), so systemd never starts ${escapeText(unit)}, nor claims its port; unmask it (\`systemctl unmask ${escapeText(unit)}\`) and install the unit with its claim line, or remove the service from the registry`
        : fromTemplate.has(item.path) && item.message.startsWith('does not contain')
          ? `${item.message.replace(/ in its \[Service\] section[,;].*$/, ' in its [Service] section')}: ${fromTemplate.get(item.path)}`
          : item.message;
    io.out(`${oneLine(`${printed}: ${message}`)}\n`);
    if (item.expected !== undefined)
      io.out(unifiedDiff(item.actual ?? '', item.expected, { from: `${printed} (on disk)`, to: `${printed} (from the registry)` }));
  }
  // Not drift (systemd loads no .tmp file), and not a failure: the next write removes them.
  const temps = killedWritersNote(
    killedWritersTemps(
      generatedFiles(wiring, health).map((file) => place(file.path)),
      { remove: false },
    ),
    `under ${escapeText(unitDir)}`,
    regenerate,
  );
  if (temps !== undefined) io.err(`${oneLine(temps)}\n`, 'notice');
  // Under a root, each wired unit as systemd would load it is judged in the same run, whatever drifted: one run lists
  // every problem. A claim drop-in is judged as the write would leave it (its drift is said above); a unit whose own
  // file drifted otherwise (a unit-file claim without its line, a drop-in that is a link or one file for two units) is
  // judged once that is fixed, since its verdict now would repeat the drift line.
  let unitProblems = 0;
  let untoldProblems = 0;
  if (effectiveRoot !== undefined) {
    const drifted = new Set(drift.map((item) => item.path));
    const judged = wiring.filter((entry) => (entry.claim === 'drop-in' ? rewritable.has(entry.unit) && !sharing.has(entry.path) : !drifted.has(entry.path)));
    const { problems, warnings, untold } = effectiveProblems(registry, judged, effectiveRoot, {
      claimPort,
      registryPath,
      regenerate,
      managerDefaults,
      asWritten: rewritable,
      // Drift paths are relative to the unit directory checked, /etc/systemd/system under the root, or absolute there. A
      // claim drop-in judged as written is not one: its lines are the registry's, judged as the write's would be.
      said: new Set(
        drift
          .filter((item) => !wiring.some((entry) => entry.path === item.path && entry.claim === 'drop-in' && rewritable.has(entry.unit)))
          .map((item) => (item.path.startsWith('/') ? item.path : `${DEFAULT_UNIT_DIR}/${item.path}`)),
      ),
    });
    for (const warning of warnings) io.out(`${oneLine(`warning: ${warning}`)}\n`);
    for (const problem of problems) io.out(`${oneLine(problem)}\n`);
    for (const change of healthChanges) io.out(`${oneLine(`${escapeText(driftPath(change.path, unitDir, effectiveRoot))}: ${change.message}`)}\n`);
    unitProblems = problems.length + healthChanges.length;
    untoldProblems = untold;
  }
  const summary = problemsSummary(drift.length, unitProblems, untoldProblems, healthChanges.length > 0, unitDir, effectiveRoot);
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
 * Pure: --check's last line, counting every problem it listed, or undefined when there is none: `files` in the files
 * (drift), `units` in the units systemd would load under `root` (the effective units' problems and, when
 * `healthChanged`, the health check's units that are not the files written), judged in the same run; `untold` of
 * them cannot be told (a file the units load unread).
 */
function problemsSummary(files: number, units: number, untold: number, healthChanged: boolean, unitDir: string, root: string | undefined): string | undefined {
  const count = (n: number) => (n === 1 ? '1 problem' : `${n} problems`);
  // Not "differs from the registry": a file with the right lines that others may change is one of them.
  const inFiles = `in the claim wiring under ${escapeText(unitDir)}, ${files + units === 1 ? '' : 'each '}listed above with what to do`;
  const loaded = `the units systemd would load under ${escapeText(root ?? '/')}`;
  if (files > 0 && units > 0) return `${count(files + units)} ${inFiles}: ${files} in the files, and ${units} in ${loaded}`;
  if (files > 0) return `${count(files)} ${inFiles}`;
  if (units === 0) return undefined;
  return healthChanged
    ? `${count(units)}: the files match the registry, but ${loaded} are not the files, each listed above with what to do`
    : `${count(units)}: the files match the registry, but ${loaded} ${unitsVerdictText(units, untold, 'do not claim their ports')}`;
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

/** A unit directory --check reads: as printed, and the host path of a file in it (links resolved inside --root). */
export interface UnitDir {
  readonly shown: string;
  open(name: string): string;
  /** Where `name` leads (under the root) when it is a link to nothing there: systemd takes it as the unit's file and fails to load it. */
  danglingLink?(name: string): string | undefined;
  /** Not the operator's: a package's unit directory (/usr/lib, /lib), or one made at run time (/run); a claim line goes in a drop-in (unitLineAdvice). */
  readonly packaged?: boolean;
  /** Under /run: made at run time (a generator, a transient unit), which a reboot replaces. */
  readonly madeAtRunTime?: boolean;
}

/** Where `path` (under `root`) leads when it is a link to nothing there; undefined for anything else. */
export function danglingLink(root: string, path: string): string | undefined {
  try {
    if (!lstatSync(join(hostPath(root, dirname(path)), basename(path))).isSymbolicLink()) return undefined;
    const inside = resolveInRoot(root, path);
    return statSync(join(root, inside), { throwIfNoEntry: false }) === undefined ? inside : undefined;
  } catch {
    return undefined; // not there, a loop (the read says so), unreadable
  }
}

/** Whether `path` is a link to /dev/null: a masked unit (systemd reads no further). */
function isMaskLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink() && readlinkSync(path) === '/dev/null';
  } catch {
    return false;
  }
}

/**
 * A unit file or drop-in as systemd would read it (links followed, inside --root); undefined when absent. No further
 * than MAX_UNIT_BYTES, as every reader of units (loadUnit, findClaims): a line past it is seen by none of them.
 */
async function readText(shown: string, open: () => string): Promise<string | undefined> {
  try {
    return readFileIfPresent(open(), { maxBytes: MAX_UNIT_BYTES });
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    // Too large: said as the other readers say it, what to do included.
    if (error.kind === 'too-large') throw new CommandError(`ports systemd: cannot read ${escapeText(shown)}: ${UNIT_TOO_LARGE}`);
    const advice = unitReadAdvice(error);
    throw new CommandError(`ports systemd: cannot read ${escapeText(shown)}: ${error.reason}${advice === undefined ? '' : `; ${advice}`}`);
  }
}

/** What to do about a unit file readText could not read; undefined where the reason says it (a path that changed). */
function unitReadAdvice(error: FileReadError): string | undefined {
  switch (error.kind) {
    case 'denied':
      return 'run as root, as systemd reads it';
    case 'not-regular':
      return "replace it with the unit's file (a regular file, or a link to one), which systemd can load";
    default:
      return readFailureAdvice(error);
  }
}
