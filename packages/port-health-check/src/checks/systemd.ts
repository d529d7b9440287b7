// Check 3, systemd: the effective unit (unit file plus drop-ins, merged as
// systemd does) of every robust service runs claim-port on the service's
// effective port, as root (`+`), before the service starts, reading the
// registry this check holds (when one is named), a file only root may change;
// and gives the claim time to finish within the unit's start timeout.
import { escapeText, pathText, PortsError, quoteValue, REGISTRY_ENV, type Service } from '@dsa110/ports';
import { effectivePort, envRecord } from '../effective-port.js';
import { serviceResult } from './service-result.js';
import { systemdCommand } from '../ports-command.js';
import { checkSocketActivation } from './socket-activation.js';
import { checkStartTimeout } from './start-timeout.js';
import {
  brokenUnitFileProblem,
  danglingAliasProblem,
  ignoredLinkProblem,
  claimDropInFix,
  claimLineRegistry,
  claimRoot,
  claimRootProcFinding,
  claimLines,
  BUNDLED_CLAIM_FIX,
  claimLineDifferences,
  claimRegistryProblem,
  claimRegistryUnresolved,
  claimTarget,
  DROP_IN_NAME,
  isClaimDropIn,
  isClaimPort,
  judgeClaims,
  maskedUnitText,
  reloadStep,
  parseClaimArgs,
  registryWritableProblem,
  skippedDropInProblem,
  UNIT_DIRS,
  unitFileMissing,
  unreadMayHoldClaim,
  where,
} from '@dsa110/ports/systemd';
import { registryForLine } from '../claim-registry.js';
import type { SystemctlUnit } from '../systemd/systemctl.js';
import type { CheckResult, ExecLine, Facts, UnitFacts } from '../types.js';

export function checkSystemd(facts: Facts, service: Service): CheckResult[] {
  const own = service.robust ? [...ownClaims(facts, service), ...ignoredLinks(facts, service)] : strayClaims(facts, service);
  const foreign = foreignClaims(facts, service);
  return foreign.length === 0 ? own : [...own, ...foreign];
}

/**
 * The links of a robust service's unit name that systemd ignores (`dsa110-api.service -> x`, x not a unit name): a
 * warning each, as the file meant to be the unit (with its claim line, perhaps) is never read; the unit file below it
 * is the one judged.
 */
function ignoredLinks(facts: Facts, service: Service): CheckResult[] {
  const unitName = service.systemd?.unit;
  const unit = unitName === undefined ? undefined : facts.units.get(unitName);
  if (unit?.ignoredLinks === undefined || unitName === undefined) return [];
  const result = serviceResult('systemd', service, effectivePort(facts, service).port);
  return unit.ignoredLinks.map((link) => result('warning', ignoredLinkProblem(link, unitName, unit.file, facts.root), link.path));
}

/** The claim of a robust service's own unit: there, as root, on its effective port, reading this registry, in time. */
function ownClaims(facts: Facts, service: Service): CheckResult[] {
  const effective = effectivePort(facts, service);
  const port = effective.port;
  const result = serviceResult('systemd', service, port);
  if (!service.systemd) return [result('error', 'is robust but the registry names no systemd unit; add systemd.unit to its entry')];
  const unitName = service.systemd.unit;
  const unit = facts.units.get(unitName);
  // No unit file: systemd does not load a service from drop-ins alone (service_load() requires the unit file), so
  // a drop-in with the claim (what `ports systemd` writes) claims nothing until the unit file is installed.
  // One it could not read (or in a unit directory it could not list) may be there: then its drop-ins are judged, as
  // systemd (root) may read it; with no drop-in either, nothing is known.
  // A unit file systemd cannot open either (a link to nothing, a loop of links): it takes it as the unit's all the
  // same, fails to load the unit, and never reads a copy lower down. Not an unknown: the unit cannot start.
  const broken = unit?.unread?.find((part) => part.kind === 'file' && part.broken);
  if (broken !== undefined) return [result('error', `systemd cannot load ${unitName}: ${brokenUnitFileProblem(broken, facts.root)}`, broken.path)];
  // An alias of a unit with no unit file: systemd loads no unit of the name, not even a file of it lower down.
  const dangling = unit?.danglingAlias;
  if (dangling !== undefined) return [result('error', `unit ${unitName} not found: ${danglingAliasProblem(dangling, unitName, facts.root)}`, dangling.path)];
  const hidden = unit !== undefined && unit.problems.length > 0 && !unitFileMissing(unit);
  if (!unit?.file && !(hidden && unit.dropIns.length > 0)) {
    if (hidden) return [result('unknown', `cannot read ${unitName}: ${unit.problems.join('; ')}`)];
    // The directories people install units in, not all 13 (control, transient, generator and attached ones are systemd's own).
    const usual = UNIT_DIRS.filter((dir) => !/\.control$|transient|generator|\.attached$/.test(dir));
    const dirs = `any of systemd's ${UNIT_DIRS.length} unit directories (${usual.map((dir) => `${facts.root === '/' ? '' : facts.root}/${dir}`).join(', ')}, ...)`;
    // What installs it: the unit file is the operator's (claim: unit; `ports systemd` only prints its line), or the
    // service's package (claim: drop-in; `ports systemd` writes the drop-in, which claims nothing without the unit).
    const fix =
      service.systemd.claim === 'unit'
        ? `install it, with the ExecStartPre= line \`${systemdCommand(facts)}\` prints for it in its [Service] section`
        : `install the service (its package), and run \`${systemdCommand(facts)}\`, which writes its claim drop-in`;
    if (!unit || unit.dropIns.length === 0) return [result('error', `unit ${unitName} not found in ${dirs}; ${fix}`)];
    // Drop-ins but no unit file (`ports systemd` writes the claim drop-in whether or not the service is installed).
    const [first, ...more] = unit.dropIns;
    const dropIns = `drop-in ${escapeText(`${facts.root === '/' ? '' : facts.root}${first}`)}${more.length > 0 ? ` (and ${more.length} more)` : ''}`;
    const install = service.systemd.claim === 'unit' ? fix : 'install the service (its package), which provides the unit file its claim drop-in extends';
    return [
      result(
        'error',
        `unit ${unitName} not found: its ${dropIns} exists, but no unit file in ${dirs}, and systemd does not load a unit from drop-ins alone; ${install}`,
      ),
    ];
  }
  if (unit.masked) return [result('error', `unit ${unitName} is masked: ${maskedUnitText(facts.root, unit.file, unitName)}`, unit.file)];

  const results: CheckResult[] = [];
  for (const reason of unit.invalid ?? []) {
    results.push(
      result(
        'error',
        `systemd would refuse to load ${unitName}: ${reason}; fix the line (systemd-analyze verify ${unitName} says the same)`,
        reason.split(': ')[0],
      ),
    );
  }
  if (effective.problem) results.push(result('error', `ignored port override: ${effective.problem}`));
  for (const problem of unit.problems) results.push(result('unknown', `cannot read part of ${unitName}: ${problem}`));
  // A drop-in systemd skips (a link to nothing, a loop of links): the unit loads without it, as judged below.
  for (const part of unit.skippedDropIns ?? []) results.push(result('warning', `${unitName}: ${skippedDropInProblem(part, unitName, facts.root)}`, part.path));

  const moved = effective.override ? ` (${effective.override.variable}=${effective.override.value} from ${where(effective.override)})` : '';
  // The verdict on the claim lines is the core's, shared with `ports systemd --check`.
  // Where `ports systemd` writes the claim: a claim-port.conf elsewhere is not the one it writes (as its --check says).
  const wiring = { claim: service.systemd.claim ?? 'drop-in', unitDir: `${facts.root === '/' ? '' : facts.root}/etc/systemd/system` } as const;
  const findings = judgeClaims(unit, {
    serviceId: service.id,
    port,
    transport: service.transport,
    claimPortPaths: facts.claimPortPaths,
    resolveId: (id, unitEnv, line) => resolveId(registryForLine(facts, line, unit), id, unitEnv),
    moved,
    regenerate: systemdCommand(facts),
    wiring,
    ...(facts.root !== '/' && { root: facts.root }),
  });
  const claims = claimLines(unit.execStartPre, facts.claimPortPaths);
  const claimed = claims.length > 0;
  // The core's decision, shared with `ports systemd --check` (its "cannot tell").
  const unread = unreadMayHoldClaim(unit).length > 0;
  for (const finding of findings) {
    // No claim line in what could be read, but part of the unit could not be: the claim may be in that part
    // (a drop-in only root may read, say). Not an error it cannot stand behind: unknown, as the unread part is.
    if (!claimed && finding.severity === 'error' && unread) {
      results.push(
        result(
          'unknown',
          `${finding.reason.replace(/; run `[^`]*` and install its output$/, '')}, but part of ${unitName} could not be read and may hold the claim`,
          finding.where,
        ),
      );
    } else results.push(result(finding.severity, finding.reason, finding.where));
  }
  results.push(...twiceClaimed(facts, unit, claims, port, service, result));
  results.push(...registryResults(facts, unit, claims, result, wiring));
  results.push(...registryTrustResults(facts, unit, claims, result));
  // Chrooted in RootDirectory= without /proc (`+`, MountAPIVFS=no): claim-port cannot see the port's holders.
  for (const line of claims) {
    const lineRoot = claimRoot(unit);
    const proc = claimRootProcFinding(unit, line, 'directory' in lineRoot ? facts.chrootProc?.get(lineRoot.directory) : undefined);
    if (proc !== undefined) results.push(result(proc.severity, proc.reason, where(line)));
  }
  // No claim line at all: nothing for systemctl to confirm, and no claim a socket unit could defeat.
  if (!claimed) return results;
  results.push(...checkSocketActivation(facts, service, unit, port, result));
  results.push(...checkStartTimeout(facts, unit, claims, result));
  const loaded = facts.systemctl?.get(unitName);
  if (loaded) results.push(confirm(facts, unitName, loaded, claims, port, service.transport, unit, result));
  return results;
}

/**
 * The claim lines of a service that is not robust, whose unit this check
 * reads anyway (gather reads every service's unit): claim-port runs as root
 * at each start of it, though the registry asks for no claim (a service made
 * non-robust, its old line left behind). A warning; an error where the line
 * frees another service's port. `ports systemd --check` says the same of
 * every claim line under its unit directory. And, as for a robust service,
 * an override of the service's port in its unit that the registry refuses.
 */
function strayClaims(facts: Facts, service: Service): CheckResult[] {
  const unitName = service.systemd?.unit;
  const unit = unitName === undefined ? undefined : facts.units.get(unitName);
  if (unit === undefined || unit.masked) return [];
  const effective = effectivePort(facts, service);
  const port = effective.port;
  const result = serviceResult('systemd', service, port);
  // The unit hands the service an override the registry refuses, robust or not: every check runs on the registry's
  // port, which the service may not be on. Said as for a robust service.
  const ignored = effective.problem ? [result('error', `ignored port override: ${effective.problem}`)] : [];
  const strays = claimLines(unit.execStartPre, facts.claimPortPaths).map((line) => {
    const at = where(line);
    const claimed = claimedPort(facts, line, unit);
    const owner =
      'port' in claimed
        ? facts.registry.services.find((other) => other.id !== service.id && other.port === claimed.port && other.transport === claimed.transport)
        : undefined;
    const stray = `ExecStartPre=${line.value.slice(0, 200)} in ${at} runs claim-port as root at each start of ${unitName}, but ${service.id} is not robust in the registry, so nothing asks for a claim`;
    if (owner !== undefined)
      return result('error', `${stray}, and it frees port ${owner.port}, which the registry gives to ${owner.id}, as root; remove the line`, at);
    // Arguments claim-port refuses, or an id it cannot resolve, exit 64: without the `-` prefix the unit never starts.
    // --dry-run, --help, --version exit 0 and do no harm.
    const args = parseClaimArgs(line.argv.slice(1));
    const fails = 'problem' in claimed && (args.command === 'usage-error' || (args.command === 'claim' && !args.dryRun));
    if (fails && !line.prefixes.includes('-'))
      return result('error', `${stray}; worse, ${claimed.problem}, so ${unitName} fails at each start; remove the line`, at);
    return result('warning', `${stray}; remove the line (or make ${service.id} robust)`, at);
  });
  return [...ignored, ...strays];
}

/**
 * Claim lines of units no service of the registry names (gather's foreignClaimUnits: those reading a claim-port.conf)
 * that free this service's port, registry's or effective: each start of such a unit runs claim-port on it as root,
 * which takes the service down (claim-port frees a port for whichever unit runs it). An error, robust or not. Most
 * likely a drop-in `ports systemd` wrote for a unit since renamed or dropped from the registry; one line that many
 * units read (a dash prefix's directory, the type-wide `service.d/`) is one error naming them.
 */
function foreignClaims(facts: Facts, service: Service): CheckResult[] {
  if (facts.foreignClaimUnits === undefined) return [];
  const { port } = effectivePort(facts, service);
  const result = serviceResult('systemd', service, port);
  const byLine = new Map<string, { line: ExecLine; port: number; units: string[] }>();
  for (const [name, unit] of facts.foreignClaimUnits) {
    for (const line of claimLines(unit.execStartPre, facts.claimPortPaths)) {
      // The lines of a claim drop-in left behind, what these units were read for; not a claim an operator wrote in
      // a unit file of their own (seen only when some claim-port.conf made the unit be read: said every run or never).
      if (!isClaimDropIn(line.file)) continue;
      const claimed = claimedPort(facts, line, unit);
      if (!('port' in claimed) || claimed.transport !== service.transport || (claimed.port !== port && claimed.port !== service.port)) continue;
      const key = `${where(line)}\0${claimed.port}`;
      const entry = byLine.get(key) ?? { line, port: claimed.port, units: [] };
      byLine.set(key, entry);
      entry.units.push(name);
    }
  }
  return [...byLine.values()].map(({ line, port: claimedPortNumber, units: unsorted }) => {
    const units = unsorted.sort();
    const at = where(line);
    const dir = line.file.slice(0, line.file.lastIndexOf('/'));
    const dirName = dir.slice(dir.lastIndexOf('/') + 1);
    const single = units.length === 1 ? escapeText(units[0]!) : undefined;
    const who =
      single !== undefined
        ? `${single}, a unit no service of ${facts.registry.source} names, claims`
        : `${units.length} units no service of ${facts.registry.source} names (${listed(units)}) claim`;
    const file =
      dirName === 'service.d'
        ? `a claim drop-in where every service reads it (${escapeText(dir)}/): the file`
        : dirName.endsWith('-.service.d')
          ? `a claim drop-in where every unit named ${escapeText(dirName.slice(0, -'.service.d'.length))}* reads it: the file`
          : 'a claim drop-in `ports systemd` wrote for a unit since renamed or dropped from the registry: the file';
    return result(
      'error',
      `${who} port ${claimedPortNumber}, ${service.id}'s: ExecStartPre=${escapeText(line.value, 200)} in ${escapeText(at)} ` +
        `runs claim-port as root at each start of ${single ?? 'each of them'}, which takes ${service.name} down; remove the line (${file})${reloadStep(facts.root)}`,
      at,
    );
  });
}

/** Unit names for a one-line reason: the first three, escaped, and how many more. */
function listed(units: readonly string[]): string {
  const shown = units.slice(0, 3).map((unit) => escapeText(unit));
  return units.length > 3 ? `${shown.join(', ')} and ${units.length - 3} more` : shown.join(', ');
}

/**
 * A `claim: drop-in` unit whose claim-port.conf claims its port, and a claim
 * line in another of its files claims it again (one left from `claim: unit`):
 * a warning for each such line, to remove (a line that claims another port is
 * judgeClaims' error). As `ports systemd --check` says it.
 */
function twiceClaimed(
  facts: Facts,
  unit: UnitFacts,
  claims: readonly ExecLine[],
  port: number,
  service: Service,
  result: (severity: CheckResult['severity'], reason: string, file?: string) => CheckResult,
): CheckResult[] {
  if (service.systemd?.claim !== 'drop-in') return [];
  const dropIn = `/${service.systemd.unit}.d/${DROP_IN_NAME}`;
  const claimsOwn = (line: ExecLine) => {
    const claimed = claimedPort(facts, line, unit);
    return 'port' in claimed && claimed.port === port && claimed.transport === service.transport;
  };
  const generated = claims.find((line) => line.file.endsWith(dropIn) && claimsOwn(line));
  if (generated === undefined) return [];
  return claims
    .filter((line) => !line.file.endsWith(dropIn) && claimsOwn(line))
    .map((line) =>
      result(
        'warning',
        `ExecStartPre=${line.value.slice(0, 200)} in ${where(line)} claims port ${port} again: the registry wires the claim of ${service.systemd!.unit} in ${generated.file}; remove the line`,
        where(line),
      ),
    );
}

/**
 * Each claim line that runs (after the drop-ins) and reads another registry
 * than the one this check holds: claim-port, at the next start, could signal
 * processes this registry protects, with another claim timeout. An error,
 * as a claim of the wrong port is: the harm is done unattended, at a restart,
 * and cannot be undone; the fix is one argument. The rule (the path as claim-port
 * parses it, `//` and `/./` alike, a relative one in the unit's
 * WorkingDirectory=; nothing for the bundled registry) is the core's, the one
 * `ports systemd --check` applies. A line whose relative registry path is in a
 * working directory not known here (`~`) is a warning saying so.
 */
function registryResults(
  facts: Facts,
  unit: Pick<UnitFacts, 'unit' | 'aliases' | 'file' | 'environment' | 'workingDirectory' | 'rootDirectory' | 'rootImage' | 'rootDirectoryStartOnly'>,
  claims: readonly ExecLine[],
  result: (severity: CheckResult['severity'], reason: string, file?: string) => CheckResult,
  wiring?: { readonly claim: 'unit' | 'drop-in'; readonly unitDir: string },
): CheckResult[] {
  const registryPath = facts.registryPath;
  const regenerate = systemdCommand(facts);
  const edit = registryPath === undefined ? BUNDLED_CLAIM_FIX : `give it --registry ${escapeText(registryPath)}, as \`${regenerate}\` writes it`;
  // A claim-port.conf is the write's to change, not the operator's by hand: the registry's in /etc/systemd/system is
  // written again; a package's of that name is left, and the one written in /etc is read in its place (claimDropInFix).
  const fix = (line: ExecLine) =>
    (registryPath !== undefined && wiring !== undefined
      ? claimDropInFix(line, unit, {
          claim: `claim with --registry ${escapeText(registryPath)}`,
          regenerate,
          wiring,
          ...(facts.root !== '/' && { root: facts.root }),
        })
      : undefined) ?? edit;
  return claims.flatMap((line) => {
    const at = where(line);
    // A registry no line can name (outside the root, a Registry passed in) holds no line to it; the bundled one does.
    // What differs for this claim between the registry it reads and this one, when both are loaded: none, a warning.
    const read = registryForLine(facts, line, unit);
    const differences = read === facts.registry ? undefined : claimLineDifferences(line, read, facts.registry);
    // The registry checked by another name (a link to it, `..`): that file is read.
    const alias = facts.checkedRegistryAliases?.has(claimLineRegistry(line, unit) ?? '') === true;
    const problem =
      (registryPath === undefined && facts.bundledRegistry !== true) || alias
        ? undefined
        : claimRegistryProblem(line.argv, registryPath, unit.environment.get(REGISTRY_ENV), unit.workingDirectory, claimRoot(unit), differences);
    // Chrooted (RootDirectory=): no --registry names the root's file from inside; running the claim on the root does.
    const fixed = 'directory' in claimRoot(unit) ? "add RootDirectoryStartOnly=yes to [Service] to run it on the host's root" : fix(line);
    // Hidden from the line by its unit's sandboxing (PrivateTmp=, ProtectHome=, InaccessiblePaths=), without `+`: claim-port does not find it there.
    const path = line.prefixes.includes('+') ? undefined : claimLineRegistry(line, unit);
    const hidden = path === undefined ? undefined : facts.hiddenClaimRegistries?.get(unit.unit)?.get(path);
    const hides =
      hidden === undefined
        ? []
        : [
            result(
              'warning',
              hidden.mounted === true
                ? `ExecStartPre=${line.value.slice(0, 200)} in ${at} reads its registry ${escapeText(path!)}, but ${escapeText(hidden.setting.value, 200)} (${escapeText(`${hidden.setting.file}:${hidden.setting.line}`, 500)}) mounts another file or directory at ${escapeText(hidden.path)}${hidden.its} for the line (it has no \`+\`), so which registry claim-port reads there is not known here; move the registry out of it, or the setting, or run the line with \`+\``
                : `ExecStartPre=${line.value.slice(0, 200)} in ${at} reads its registry ${escapeText(path!)}, but ${escapeText(hidden.setting.value, 200)} (${escapeText(`${hidden.setting.file}:${hidden.setting.line}`, 500)}) hides ${escapeText(hidden.path)}${hidden.its} from the line (it has no \`+\`), so claim-port does not read the file there: it warns, claims a port number with its built-in protected list alone, and refuses a service id (exit 64); move the registry out of it, or the setting, or run the line with \`+\``,
              at,
            ),
          ];
    if (problem !== undefined)
      return [...hides, result(differences?.length === 0 ? 'warning' : 'error', `ExecStartPre=${line.value.slice(0, 200)} in ${at} ${problem}; ${fixed}`, at)];
    if (hides.length > 0) return hides;
    // A relative registry path in a working directory not known here (WorkingDirectory=~): said, never passed in silence.
    const unresolved = claimRegistryUnresolved(line, unit);
    return unresolved === undefined ? [] : [result('warning', unresolved, at)];
  });
}

/**
 * Each registry a claim line of the unit reads (claimLineRegistry) that
 * someone besides root may change (gather's registryWritablePart): an error,
 * once per file, at the first line that reads it. claim-port reads it as
 * root, and whoever may write it decides what root signals (claim.protect)
 * and which port a service id frees; claim-port only warns at each start (a
 * refusal would keep the service down), so this is where it pages.
 */
function registryTrustResults(
  facts: Facts,
  unit: Pick<UnitFacts, 'environment' | 'workingDirectory' | 'rootDirectory' | 'rootImage' | 'rootDirectoryStartOnly'>,
  claims: readonly ExecLine[],
  result: (severity: CheckResult['severity'], reason: string, file?: string) => CheckResult,
): CheckResult[] {
  const faults = facts.registryFaults;
  if (faults === undefined) return [];
  const said = new Set<string>();
  return claims.flatMap((line) => {
    const path = claimLineRegistry(line, unit);
    const fault = path === undefined ? undefined : faults.get(path);
    if (fault === undefined || said.has(path!)) return [];
    said.add(path!);
    const at = where(line);
    const under = facts.root === '/' ? '' : ` (under ${escapeText(facts.root)})`;
    return [result('error', `the claim line in ${at} reads a registry root may not trust${under}: ${registryWritableProblem(path!, fault)}`, at)];
  });
}

/**
 * As root, the registry this check read itself, when someone besides root may
 * change it: one error of this check, with no service, unless a claim line
 * names the same file (its services' results say it). What it holds decides
 * the verdicts here and, through `ports systemd`, every claim line's registry.
 */
export function checkOwnRegistry(facts: Facts): CheckResult[] {
  const fault = facts.ownRegistryFault;
  const file = facts.registryFile;
  if (fault === undefined || file === undefined) return [];
  if (facts.registryPath !== undefined && facts.registryFaults?.has(facts.registryPath)) return [];
  return [{ check: 'systemd', severity: 'error', reason: `the registry this check reads as root: ${registryWritableProblem(file, fault)}`, file }];
}

/** Where systemd runs: does the unit it has loaded claim the port too? */
function confirm(
  facts: Facts,
  unitName: string,
  loaded: SystemctlUnit,
  fileClaims: readonly Pick<ExecLine, 'argv'>[],
  port: number,
  transport: 'tcp' | 'udp',
  unit: Pick<UnitFacts, 'environment'>,
  result: (severity: CheckResult['severity'], reason: string) => CheckResult,
): CheckResult {
  if (loaded.needDaemonReload) {
    return result(
      'warning',
      `systemd has not reloaded ${unitName} since its files changed, so the running configuration may not match them; run systemctl daemon-reload`,
    );
  }
  const claimsPort = (exec: Pick<ExecLine, 'argv'>) => {
    const claimed = claimedPort(facts, exec, unit);
    return 'port' in claimed && claimed.port === port && claimed.transport === transport;
  };
  const claims = loaded.execStartPre.filter((exec) => isClaimPort(exec.argv[0], facts.claimPortPaths));
  const match = claims.find(claimsPort);
  if (!match) {
    // No reload pending: systemd runs the files as they are. A reload cannot help where they claim another port
    // (said above: fix them, then reload); where they claim this one, systemd reads a file this check did not.
    const why = !fileClaims.some(claimsPort)
      ? `; it runs its files as they are (no daemon-reload pending): fix them as said above, then run systemctl daemon-reload`
      : `, though its files do and no daemon-reload is pending: systemd reads a file this check did not (systemctl cat ${unitName} lists them)`;
    return result('warning', `the ${unitName} systemd has loaded (systemctl show) does not run claim-port ${port}${why}`);
  }
  return result(
    match.privileged ? 'ok' : 'warning',
    `systemctl show confirms systemd has loaded ExecStartPre=${match.privileged ? '+' : ''}${match.argv.join(' ')}`,
  );
}

function claimedPort(
  facts: Facts,
  line: Pick<ExecLine, 'argv'>,
  unit: Pick<UnitFacts, 'environment'>,
): { port: number; transport: 'tcp' | 'udp' } | { problem: string } {
  const target = claimTarget(line.argv);
  if (!('id' in target)) return 'problem' in target ? target : { port: target.port, transport: target.transport ?? 'tcp' };
  return resolveId(registryForLine(facts, line, unit), target.id, envRecord(unit.environment));
}

/** The port and transport of a service id given to claim-port, with the unit's Environment=, in the registry the line reads (or why it cannot load). */
function resolveId(
  registry: Facts['registry'] | string,
  id: string,
  env: Readonly<Record<string, string>>,
): { port: number; transport: 'tcp' | 'udp' } | { problem: string } {
  if (typeof registry === 'string') return { problem: registry };
  if (!registry.has(id)) return { problem: `claim-port argument ${quoteValue(id)} is neither a port nor a service id in ${pathText(registry.source)}` };
  try {
    return { port: registry.resolvePort(id, { env: { ...env } }).port, transport: registry.service(id).transport };
  } catch (error) {
    if (error instanceof PortsError) return { problem: error.message };
    throw error;
  }
}
