// Each wired unit as systemd would load it (unit file, drop-ins, EnvironmentFile= files), judged with the health
// check's verdicts: does it still claim its port, and can the claim run? What `ports systemd --check` fails on under a
// root, and what the write warns of.
import { join } from 'node:path';
import { escapeText, pathText, quoteValue } from '../escape.js';
import { REGISTRY_ENV } from '../load.js';
import type { Registry } from '../registry.js';
import { DEFAULT_UNIT_DIR, DROP_IN_NAME, type ClaimWiring } from '../render/systemd.js';
import { claimLines, where } from './claim-line.js';
import { claimPortInstall } from './claim-port-install.js';
import {
  brokenUnitFileProblem,
  danglingAliasProblem,
  BUNDLED_CLAIM_FIX,
  claimRegistryProblem,
  judgeClaims,
  skippedDropInProblem,
  unitFileMissing,
  unreadMayHoldClaim,
  type ClaimFinding,
} from './claim-verdict.js';
import { type LoadedUnit, listUnitDirs, loadUnit, mergeUnit, type UnitDirListing } from './effective.js';
import { claimVariables, environmentDoubt, environmentFileFindings, mergeUnitWithEnvironmentFiles } from './environment-files.js';
import { execSearch, isBareCommand } from './exec-search.js';
import { claimLineRegistry, claimRegistryLoader, claimRegistryUnresolved, readsOtherRegistry } from './line-registry.js';
import { claimLineDifferences } from './registry-difference.js';
import { namesRegistry } from './registry-name.js';
import type { ManagerDefaults } from './manager-defaults.js';
import { maskedUnitText } from './masked-unit.js';
import { claimRoot, claimRootProcFinding, claimRootText, procMountedIn } from './root-directory.js';
import { UNIT_DIRS } from './search-path.js';
import { socketConflicts } from './socket-conflict.js';
import { readSocketUnits } from './socket-units.js';
import { startTimeoutFinding } from './start-timeout.js';
import type { ExecLine, UnitFacts, UnreadPart } from './types.js';
import { withWrittenDropIn } from './written-drop-in.js';
import { executableState } from './written-unit-warnings.js';

/**
 * Each wired unit as systemd would load it under `root` (unit file plus every
 * drop-in, in systemd's precedence, and the files of its EnvironmentFile=):
 * does its effective ExecStartPre= list still run claim-port on the service's
 * port? The same model, reader and verdicts as the health check's systemd
 * check (judgeClaims, environmentFileFindings): one line per problem, naming
 * file:line; warnings (a claim without + in a unit with no User=) are printed
 * but do not fail the check, as they do not fail the health check. A claim
 * that holds only if an EnvironmentFile= it could not read leaves its
 * variable alone cannot be told: a problem, as an unreadable drop-in is (the
 * health check's unknown); `untold` counts those problems (unitsVerdictText words them).
 */
export function effectiveProblems(
  registry: Registry,
  wiring: readonly ClaimWiring[],
  root: string,
  {
    claimPort,
    registryPath,
    regenerate,
    managerDefaults,
    asWritten = new Set(),
    said = new Set(),
    load,
  }: {
    readonly claimPort: string;
    readonly registryPath: string | undefined;
    readonly regenerate: string;
    readonly managerDefaults: () => ManagerDefaults;
    /**
     * The `claim: drop-in` units (by name) judged with their claim drop-in as the write leaves it (withWrittenDropIn):
     * --check's, whose drop-in may still differ from the registry, a drift said on its own line. A unit for which that
     * is not known here is not judged: its drift line says what to fix first.
     */
    readonly asWritten?: ReadonlySet<string>;
    /**
     * The files and lines (`FILE`, `FILE:LINE`, as the system under the root names them) a drift line of --check already
     * says what to do with (a stray claim line, a claim-port.conf left from `claim: drop-in`: remove it): a verdict on a
     * line there is left out, so that one line is not two problems with two fixes.
     */
    readonly said?: ReadonlySet<string>;
    /** Each unit as loaded under `root` (loadUnit), when the caller has loaded them already (--check's ignored links); default: loaded here. */
    readonly load?: (unit: string) => LoadedUnit;
  },
): { problems: string[]; warnings: string[]; untold: number } {
  const problems: string[] = [];
  // Of the problems, those that say a verdict cannot be told (a part of the unit unread): not "does not claim its port".
  let untold = 0;
  const warnings: string[] = [];
  const listingProblems: string[] = [];
  const listing = listUnitDirs(root, listingProblems);
  problems.push(...listingProblems);
  untold += listingProblems.length;
  const merged: { entry: ClaimWiring; unit: UnitFacts }[] = [];
  let lineRegistries: ReturnType<typeof claimRegistryLoader> | undefined;
  // A claim line's --registry that is the registry's file by another name (a link, `..`) reads it.
  const names = registryPath === undefined ? undefined : namesRegistry(root, registryPath);
  const defaultEnvironment = managerDefaults().environment;
  const saidAt = (place: string) => said.has(place) || said.has(place.replace(/:\d+$/, ''));
  // The drop-ins systemd skips, each with the units that read it: said once each, after the units are judged.
  const skipped = new Map<string, { readonly part: NonNullable<UnitFacts['skippedDropIns']>[number]; readonly units: string[] }>();
  for (const entry of wiring) {
    const onDisk = load?.(entry.unit) ?? loadUnit(root, entry.unit, listing);
    // Another drop-in of the claim's name is there (read in its place, skipped as a link to nothing, unreadable): the
    // unit as it loads now, which writing the file does not change where that one comes first; never left unjudged
    // (a dangling link in system.control hides the claim: "ok" there was silence on a unit that claims nothing).
    const loaded = (asWritten.has(entry.unit) ? withWrittenDropIn(onDisk, `${DEFAULT_UNIT_DIR}/${entry.path}`, entry.contents!) : undefined) ?? onDisk;
    const unit = mergeUnitWithEnvironmentFiles(root, loaded, { defaultEnvironment });
    const say = (reason: string) => problems.push(`${entry.unit}: ${reason}`);
    const sayUntold = (reason: string) => {
      say(reason);
      untold++;
    };
    // A unit file systemd cannot open either (a link to nothing, a loop of links): the unit cannot load, whatever else it has.
    const broken = unit.unread?.find((part) => part.kind === 'file' && part.broken);
    if (broken !== undefined) {
      say(`systemd cannot load it: ${brokenUnitFileProblem(broken, root)}`);
      continue;
    }
    if (unit.danglingAlias !== undefined) {
      say(`not found: ${danglingAliasProblem(unit.danglingAlias, entry.unit, root)}`);
      continue;
    }
    for (const problem of unit.problems) sayUntold(`cannot read part of the unit: ${problem}`);
    if (unit.masked) {
      // The health check's words (the core's maskedUnitText): where the mask is, and the systemctl unmask or rm that removes it.
      say(`masked: ${maskedUnitText(root, unit.file, entry.unit)}`);
      continue;
    }
    // Drop-ins (the claim drop-in this command writes, say) but no unit file: systemd loads no unit from drop-ins alone.
    if (unitFileMissing(unit)) {
      // The claim drop-in judged as the write would leave it is not on disk when its drift says "missing": never named as there.
      const onDiskPaths = new Set(onDisk.dropIns.map((dropIn) => dropIn.path));
      const [first, ...more] = unit.dropIns.filter((path) => onDiskPaths.has(path));
      const toWrite = unit.dropIns.find((path) => !onDiskPaths.has(path));
      const dropIns = first === undefined ? '' : `, only its drop-in ${pathText(first)}${more.length > 0 ? ` (and ${more.length} more)` : ''}`;
      const nor = toWrite === undefined ? '' : `, nor would its claim drop-in ${pathText(toWrite)} (missing, above) make it load one`;
      say(
        `not found: no unit file in any of systemd's ${UNIT_DIRS.length} unit directories${dropIns}, and systemd loads no unit from drop-ins alone${nor}, so nothing claims port ${effectivePort(registry, entry.service, unit)}; install the service (its package), or remove it from the registry`,
      );
      continue;
    }
    for (const reason of unit.invalid ?? []) say(`systemd would refuse to load it: ${reason}`);
    // A drop-in systemd skips (a link to nothing, a loop of links, a directory): the unit loads without it, as judged
    // below. A warning, as the health check's; once for all the units that read it (`service.d/x.conf/`).
    for (const part of unit.skippedDropIns ?? []) {
      const seen = skipped.get(part.path);
      if (seen === undefined) skipped.set(part.path, { part, units: [entry.unit] });
      else if (!seen.units.includes(entry.unit)) seen.units.push(entry.unit);
    }
    merged.push({ entry, unit });
    const doubt = environmentDoubt(unit, claimVariables(registry, entry.service, unit, [claimPort]));
    const port = effectivePort(registry, entry.service, unit);
    // No claim line in what could be read, and a part that could not be (the unit file systemd loads, a drop-in after
    // the last clearing line, a directory not listed) may hold one: not told, as the health check's unknown (the core's
    // unreadMayHoldClaim decides for both); the error would be a guess.
    const claims = claimLines(unit.execStartPre, [claimPort]);
    const mayClaim = claims.length === 0 ? unreadMayHoldClaim(unit) : [];
    if (mayClaim.length > 0) sayUntold(`cannot tell whether it claims port ${port}: ${unreadClaimText(mayClaim)}`);
    // The claim that runs (a later drop-in may replace this command's) reads the registry the units name, or protects other processes.
    for (const line of claims) {
      if (saidAt(where(line))) continue;
      // What differs for this claim between the registry it reads and this one: none, a warning (as the health check's).
      const read = readsOtherRegistry(line, unit, { path: registryPath, names })
        ? (lineRegistries ??= claimRegistryLoader(root))(claimLineRegistry(line, unit))
        : undefined;
      const differences = claimLineDifferences(line, read, registry);
      const problem = claimRegistryLineProblem(line, unit, registryPath, differences, names);
      if (problem !== undefined && differences?.length === 0) warnings.push(`${entry.unit}: ${problem}`);
      else if (problem !== undefined) say(problem);
      // A relative registry path in a working directory not known here (WorkingDirectory=~): said, as the health check says it.
      const unresolved = problem === undefined ? claimRegistryUnresolved(line, unit) : undefined;
      if (unresolved !== undefined) warnings.push(`${entry.unit}: ${unresolved}`);
      // Chrooted in RootDirectory= (`+` does not lift it): the claim-port that runs is the one inside that directory.
      const chrooted = chrootedClaimPortProblem(root, line, unit);
      if (chrooted !== undefined) say(chrooted);
      // Chrooted without /proc (`+`, MountAPIVFS=no): claim-port cannot see the port's holders.
      const lineRoot = claimRoot(unit);
      const proc = claimRootProcFinding(unit, line, 'directory' in lineRoot ? procMountedIn(root, lineRoot.directory) : undefined);
      if (proc?.severity === 'error') say(proc.reason);
      else if (proc !== undefined) warnings.push(`${entry.unit}: ${proc.reason}`);
    }
    for (const finding of [
      ...environmentFileFindings(unit, entry.service.env),
      ...(mayClaim.length > 0
        ? []
        : claimFindings(registry, entry, unit, claimPort, { registryPath, load: (lineRegistries ??= claimRegistryLoader(root)), names }, regenerate, root)),
    ]) {
      if (finding.where !== undefined && saidAt(finding.where)) continue;
      if (finding.severity === 'error') say(finding.reason);
      else if (finding.severity === 'warning') warnings.push(`${entry.unit}: ${finding.reason}`);
      else if (finding.severity === 'unknown') sayUntold(finding.reason);
      else if (doubt !== undefined) sayUntold(`cannot tell whether it claims the right port: ${finding.reason}, but the port may not be ${port}: ${doubt}`);
    }
  }
  for (const { part, units } of skipped.values()) {
    const names = units.join(', ');
    warnings.push(`${escapeText(names)}: ${skippedDropInProblem(part, names, root)}`);
  }
  // A socket unit that something starts makes PID 1 hold the port: the service never starts, a problem. One that
  // nothing starts yet, a warning.
  const found = socketActivation(root, listing, claimingUnits(registry, merged, claimPort), claimPort);
  problems.push(...found.started);
  warnings.push(...found.idle);
  // A claim that can outlast the unit's start timeout: a warning, as the health check's.
  warnings.push(...startTimeoutWarnings(registry, managerDefaults, merged, claimPort));
  return { problems, warnings, untold };
}

/**
 * Pure: why claim line `line` of `unit` (merged) reads another registry than `registryPath` (undefined: the bundled one),
 * with what to do, or undefined when it reads that one (claimRegistryProblem: its --registry, else the unit's
 * $DSA110_PORTS_FILE from Environment= or an EnvironmentFile=). The one wording of the fact, under a root and with --out.
 * `names` (namesRegistry): a path that is the registry's file by another name (a link, `..`) reads it.
 */
export function claimRegistryLineProblem(
  line: ExecLine,
  unit: UnitFacts,
  registryPath: string | undefined,
  differences?: readonly string[],
  names?: (path: string) => boolean,
): string | undefined {
  const lineRoot = claimRoot(unit);
  const problem = claimRegistryProblem(line.argv, registryPath, unit.environment.get(REGISTRY_ENV), unit.workingDirectory, lineRoot, differences, names);
  if (problem === undefined) return undefined;
  // Chrooted (RootDirectory=): no --registry names the root's file from inside; running the claim on the root does.
  const fix = 'directory' in lineRoot ? CHROOT_FIX : registryPath === undefined ? BUNDLED_CLAIM_FIX : `give it --registry ${escapeText(registryPath)}`;
  return `ExecStartPre=${line.value.slice(0, 200)} in ${where(line)} ${problem}; ${fix}`;
}

/**
 * Pure: what the `problems` effectiveProblems found say of the units, for a count's line (`the units systemd would
 * load ...`): `fails`, the caller's words for a unit that does not claim its port, unless some are `untold`, which
 * cannot be told (a file they load unread, one too large to read): never said not to claim, when none is known not to.
 */
export function unitsVerdictText(problems: number, untold: number, fails: string): string {
  if (untold === 0) return fails;
  const why =
    untold === 1
      ? 'a file they load or a wrapper they run claim-port through cannot be read'
      : 'files they load or wrappers they run claim-port through cannot be read';
  return untold === problems ? `may not claim their ports: ${why}, so it cannot be told` : `${fails}, or ${why}`;
}

/** Pure: why a claim may hide in `parts` (unreadMayHoldClaim's), in words: each part, then that nothing read claims the port. */
function unreadClaimText(parts: readonly UnreadPart[]): string {
  const said = parts.map((part) =>
    part.kind === 'file'
      ? `systemd loads it from ${pathText(part.path)}, which cannot be read`
      : part.kind === 'drop-in'
        ? `its drop-in ${pathText(part.path)} cannot be read`
        : `${pathText(part.path)} cannot be listed, and may hold its files`,
  );
  const read = parts.every((part) => part.kind === 'file') ? 'no drop-in claims it' : 'nothing that could be read claims it';
  return `${said.join('; ')}, and ${read}`;
}

/**
 * The registry the units name (`registryPath`; undefined: the bundled one), the loader of those claim lines name
 * (claimRegistryLoader), and, when given, whether a path names the registry's file (namesRegistry: a link to it is it).
 */
export interface ClaimLineRegistries {
  readonly registryPath: string | undefined;
  readonly load: ReturnType<typeof claimRegistryLoader>;
  readonly names?: (path: string) => boolean;
}

/** The verdict on a unit's claim lines: the core's (judgeClaims), shared with the health check's systemd check. */
function claimFindings(
  registry: Registry,
  entry: ClaimWiring,
  unit: UnitFacts,
  claimPort: string,
  lines: ClaimLineRegistries,
  regenerate?: string,
  root?: string,
): ClaimFinding[] {
  const service = entry.service;
  const port = effectivePort(registry, service, unit);
  // Where the port came from when the unit moved it (Environment=, an EnvironmentFile=), as the health check says it.
  const setting = service.env ? unit.environment.get(service.env) : undefined;
  return judgeClaims(unit, {
    serviceId: service.id,
    port,
    transport: service.transport,
    claimPortPaths: [claimPort],
    ...(setting && port !== service.port && { moved: ` (${service.env}=${setting.value} from ${where(setting)})` }),
    // The command that wrote what was checked, when a unit has no claim (the bare `ports systemd` writes the bundled registry's, to /).
    ...(regenerate !== undefined && { regenerate }),
    // Where the registry's claim goes: a claim-port.conf elsewhere is not the one the command writes (as --check says it).
    ...(root !== undefined && { wiring: { claim: entry.claim, unitDir: join(root, DEFAULT_UNIT_DIR) } }),
    // A fix under --root ends as the write's own advice does (reloadStep), not with the host's daemon-reload.
    ...(root !== undefined && root !== '/' && { root }),
    // In the registry the line reads (its --registry, the unit's $DSA110_PORTS_FILE), as claim-port resolves it.
    resolveId: (id, env, line) => {
      const own = readsOtherRegistry(line, unit, { path: lines.registryPath, names: lines.names }) ? lines.load(claimLineRegistry(line, unit)) : undefined;
      if (typeof own === 'string') return { problem: own };
      const reads = own ?? registry;
      if (!reads.has(id)) return { problem: `claim-port argument ${quoteValue(id)} is neither a port nor a service id in ${pathText(reads.source)}` };
      try {
        return { port: reads.resolvePort(id, { env: { ...env } }).port, transport: reads.service(id).transport };
      } catch (error) {
        return { problem: (error as Error).message };
      }
    },
  });
}

/**
 * Whether `unit` (as merged) claims `entry`'s port as its line would, judged as the health check judges it
 * (claimFindings: an `-+` prefix, the id, options, `${VAR}` alike), each claim line reading the registry the units
 * name (a line that reads another protects other processes): its first claim line and the findings' warnings
 * (`UNIT: reason`) when it does, else undefined. What --check accepts for a `claim: unit` service without the exact
 * line, and the write's advice calls in place.
 */
export function claimsAlike(
  registry: Registry,
  entry: ClaimWiring,
  unit: UnitFacts,
  claimPort: string,
  lines: ClaimLineRegistries,
): { readonly claim: ExecLine; readonly warnings: string[] } | undefined {
  const findings = claimFindings(registry, entry, unit, claimPort, lines);
  if (findings.some((finding) => finding.severity === 'error')) return undefined;
  const claims = claimLines(unit.execStartPre, [claimPort]);
  const fromEnvironment = unit.environment.get(REGISTRY_ENV);
  const elsewhere = (line: ExecLine) =>
    claimRegistryProblem(line.argv, lines.registryPath, fromEnvironment, unit.workingDirectory, claimRoot(unit), undefined, lines.names) !== undefined ||
    claimRegistryUnresolved(line, unit) !== undefined;
  if (claims.length === 0 || claims.some(elsewhere)) return undefined;
  return { claim: claims[0]!, warnings: findings.filter((finding) => finding.severity === 'warning').map((finding) => `${entry.unit}: ${finding.reason}`) };
}

/**
 * Whether `unit`'s only claim runs claim-port through a wrapper the core does not read (judgeClaims' `unknown`,
 * `sudo claim-port 8000`): not known to claim the port, nor known not to, so --check does not ask for the exact line
 * (its "cannot tell" says what the health check's unknown says).
 */
export function claimUntold(registry: Registry, entry: ClaimWiring, unit: UnitFacts, claimPort: string, lines: ClaimLineRegistries): boolean {
  const findings = claimFindings(registry, entry, unit, claimPort, lines);
  return findings.some((finding) => finding.severity === 'unknown') && !findings.some((finding) => finding.severity === 'error');
}

/**
 * A unit as --check judges a `claim: unit` service's claim under `root` (claimsAlike): merged with its drop-ins and
 * EnvironmentFile= files, but not a claim-port.conf left from `claim: drop-in` (no claim of the unit file's: it is to
 * be removed); undefined when systemd would not load it from a unit file (masked, no file, refused).
 */
export function unitAsJudged(root: string, entry: ClaimWiring, listing: UnitDirListing, managerDefaults: () => ManagerDefaults): UnitFacts | undefined {
  const loaded = loadUnit(root, entry.unit, listing);
  const kept = { ...loaded, dropIns: loaded.dropIns.filter((dropIn) => dropIn.path !== `${DEFAULT_UNIT_DIR}/${entry.unit}.d/${DROP_IN_NAME}`) };
  const unit = mergeUnitWithEnvironmentFiles(root, kept, { defaultEnvironment: managerDefaults().environment });
  return unit.masked || unit.file === undefined || (unit.invalid ?? []).length > 0 ? undefined : unit;
}

/**
 * Pure: a unit as --check judges a `claim: unit` service's claim under --out DIR (claimsAlike), a bare directory read as
 * systemd would read it once copied into ${DEFAULT_UNIT_DIR} as laid out: `found.file`, DIR's unit file for it (its own,
 * else its template's), merged with `found.dropIns`, the unit's own drop-ins there (outOwnDropIns: a claim line in one is
 * the unit's, as under a root; a claim-port.conf left from `claim: drop-in` is not, as unitAsJudged leaves it out). Its
 * EnvironmentFile= files are not read (they are on the system DIR is copied to). Undefined when DIR has no unit file for
 * it or systemd would refuse that file (no unit loads). What --check accepts and what the write calls done, alike.
 */
export function outUnitAsJudged(
  unit: string,
  found: { readonly file?: { readonly path: string; readonly text: string }; readonly dropIns: readonly { readonly path: string; readonly text: string }[] },
): UnitFacts | undefined {
  if (found.file === undefined) return undefined;
  const merged = mergeUnit({ unit, file: found.file, dropIns: found.dropIns, problems: [] });
  return (merged.invalid ?? []).length > 0 ? undefined : merged;
}

interface ClaimingUnit {
  readonly unit: UnitFacts;
  readonly port: number;
  readonly transport: 'tcp' | 'udp';
}

/** The wired units whose effective ExecStartPre= runs claim-port (not masked), with the port each claims. */
function claimingUnits(registry: Registry, units: readonly { entry: ClaimWiring; unit: UnitFacts }[], claimPort: string): ClaimingUnit[] {
  return units.flatMap(({ entry, unit }) =>
    !unit.masked && claimLines(unit.execStartPre, [claimPort]).length > 0
      ? [{ unit, port: effectivePort(registry, entry.service, unit), transport: entry.service.transport }]
      : [],
  );
}

/**
 * `FILE:LINE: reason` for each claiming unit that systemd can start whose start timeout
 * is too short for its claim-port lines (startTimeoutFinding, the health
 * check's verdict), their timeout the registry's claim.timeoutSeconds (the
 * registry the lines name). systemd's DefaultTimeoutStartSec= (`managerDefaults`, the run's one read of
 * system.conf) is asked for only when a claiming unit sets no start timeout of its own.
 */
function startTimeoutWarnings(registry: Registry, managerDefaults: () => ManagerDefaults, units: readonly { unit: UnitFacts }[], claimPort: string): string[] {
  const claiming = units.flatMap(({ unit }) => {
    // Masked, or drop-ins alone (no unit file): systemd starts nothing, so nothing times out.
    const claims = unit.masked || unitFileMissing(unit) ? [] : claimLines(unit.execStartPre, [claimPort]);
    return claims.length > 0 ? [{ unit, claims }] : [];
  });
  const managerDefault = claiming.some(({ unit }) => unit.startTimeout === undefined && !unit.oneshot) ? managerDefaults().startTimeout : undefined;
  return claiming.flatMap(({ unit, claims }) => {
    const finding = startTimeoutFinding(unit, claims, registry.claim.timeoutSeconds, managerDefault);
    return finding === undefined ? [] : [finding.where === undefined ? finding.reason : `${finding.where}: ${finding.reason}`];
  });
}

/**
 * Socket units that listen on a port claim-port must free (socket activation: PID 1 holds the port and claim-port
 * refuses), by the verdict the health check uses (socketConflicts), as `FILE:LINE: reason` lines: those something
 * starts (the service can never start), and those nothing starts yet. Socket units are read only when a unit claims.
 */
function socketActivation(root: string, listing: UnitDirListing, claiming: readonly ClaimingUnit[], claimPort: string): { started: string[]; idle: string[] } {
  const started: string[] = [];
  const idle: string[] = [];
  if (claiming.length === 0) return { started, idle };
  const sockets = readSocketUnits(
    root,
    listing,
    claiming.map(({ unit }) => unit),
  );
  for (const { unit, port, transport } of claiming) {
    for (const conflict of socketConflicts(unit, sockets.get(unit.unit) ?? [], { port, transport, claimPortPaths: [claimPort] })) {
      (conflict.started ? started : idle).push(`${conflict.where}: ${conflict.reason}`);
    }
  }
  return { started, idle };
}

/** The port systemd hands the service: its unit's Environment= override of the service's variable, else the registry's (as the health check). */
function effectivePort(registry: Registry, service: ClaimWiring['service'], unit: UnitFacts): number {
  const setting = service.env ? unit.environment.get(service.env) : undefined;
  if (!service.env || !setting) return service.port;
  try {
    return registry.resolvePort(service.id, { env: { [service.env]: setting.value } }).port;
  } catch {
    return service.port;
  }
}

/**
 * Why the claim-port a chrooted claim line runs cannot run, one line, or undefined: the line's command looked up
 * inside the unit's RootDirectory= under `root` (a bare name in the directories systemd searches), as systemd runs
 * it, `+` or not, unless RootDirectoryStartOnly=yes.
 */
const CHROOT_FIX = "add RootDirectoryStartOnly=yes to [Service] to run it on the host's root";

function chrootedClaimPortProblem(root: string, line: ExecLine, unit: UnitFacts): string | undefined {
  const lineRoot = claimRoot(unit);
  if (!('directory' in lineRoot)) return undefined;
  const command = line.argv[0]!;
  const inside = join(root, lineRoot.directory);
  const candidates = isBareCommand(command) ? execSearch(unit).dirs.map((dir) => `${dir.replace(/\/+$/, '')}/${command}`) : [command];
  const states = candidates.map((path) => executableState(inside, path));
  if (states.includes(undefined)) return undefined;
  const path = candidates[0] ?? command;
  return `ExecStartPre=${line.value.slice(0, 200)} in ${where(line)} runs claim-port${claimRootText(lineRoot)}, which \`+\` does not lift, and ${escapeText(join(inside, path))} ${states[0] ?? 'does not exist'}: systemd fails to start the unit; install claim-port there (${claimPortInstall(path.startsWith('/') ? path : undefined, inside)}), or ${CHROOT_FIX}`;
}
