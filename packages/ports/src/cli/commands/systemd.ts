import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Io } from '../../cli-kit/io.js';
import { escapeText, oneLine, pathText, quoteValue } from '../../escape.js';
import { directoryDriftFix, directoryProblem, exposedDirectories, guardedDirectories, unreadableDirectory } from '../../files/directories.js';
import {
  FileReadError,
  formatBytes,
  hostPath,
  inspectGeneratedFiles,
  readFileBytes,
  readFileIfPresent,
  resolveInRoot,
  type InspectedFile,
} from '../../files/index.js';
import { killedWritersTemps, notFollowed, untrustedLink } from '../../files/write.js';
import { REGISTRY_ENV } from '../../index.js';
import { MAX_GENERATED_FILE_BYTES } from '../../limits.js';
import type { Registry } from '../../registry.js';
import { unifiedDiff } from '../../render/diff.js';
import {
  DEFAULT_HEALTH_CHECK,
  DEFAULT_TEXTFILE,
  HEALTH_INTERVAL,
  HEALTH_SERVICE,
  healthUnits,
  textfileProblem,
  type HealthUnit,
} from '../../render/health-timer.js';
import { unitOverrideDropIn } from '../../render/labels.js';
import {
  claimPortPathProblem,
  claimWiring,
  DEFAULT_CLAIM_PORT,
  DEFAULT_UNIT_DIR,
  DROP_IN_NAME,
  execArgumentProblem,
  systemdDrift,
  type ClaimWiring,
  type SystemdDrift,
  type UnitFilePlace,
} from '../../render/systemd.js';
import { claimPortArgument } from '../../systemd/claim-args.js';
import { claimLines, isClaimPort } from '../../systemd/claim-line.js';
import { brokenUnitFileProblem } from '../../systemd/claim-verdict.js';
import { driftPath } from '../../systemd/drift-path.js';
import { claimsAlike, effectiveProblems, unitAsJudged } from '../../systemd/effective-problems.js';
import { listUnitDirs, loadUnit, mergeUnit, type UnitDirListing } from '../../systemd/effective.js';
import { mergeUnitWithEnvironmentFiles } from '../../systemd/environment-files.js';
import { claimsRead, findClaims, findDropIns } from '../../systemd/find-claims.js';
import { droppedSettings, foreignFileText } from '../../systemd/foreign-settings.js';
import { healthOwnerText, healthUnitOwner } from '../../systemd/health-unit-owner.js';
import { writtenUnitChanges, writtenUnitChangeText } from '../../systemd/health-units.js';
import { isOperatorsUnitDir, isRunTimeUnitDir, outInstanceAdvice, unitLineAdvice } from '../../systemd/line-advice.js';
import { claimRegistryLoader } from '../../systemd/line-registry.js';
import { readManagerDefaults, type ManagerDefaults } from '../../systemd/manager-defaults.js';
import { processFileProblem, rootName } from '../../systemd/registry-in-units.js';
import { chooseDropIns, dropInDirNames, templateOf, UNIT_DIRS } from '../../systemd/search-path.js';
import type { UnitFacts } from '../../systemd/types.js';
import { exposedDropIns, stake, unitDirectories } from '../../systemd/unit-dir-exposure.js';
import { generatedFiles, sharedOutputs, sharedText } from '../../systemd/unit-outputs.js';
import { unitOverrides } from '../../systemd/unit-overrides.js';
import { simplifyPath } from '../../systemd/words.js';
import { writeTree, type UnitLocator } from '../../systemd/write-tree.js';
import { claimPortWarnings, healthCheckWarning, textfileWarning, type Rerun } from '../../systemd/written-unit-warnings.js';
import { decodeKeepingBadBytes } from '../../utf8.js';
import { defineCommand } from '../command.js';
import { load, ORIGIN, type Context } from '../context.js';
import { CommandError, UsageError, type Outcome } from '../exit-code.js';
import { readFailureAdvice } from '../read-advice.js';
import { killedWritersNote, regenerateCommand } from '../regenerate.js';

/** Why a path written into a unit file must be UTF-8. */
const UNIT_TEXT = 'it is written into unit files, and systemd ignores an assignment that is not UTF-8';

export const command = defineCommand({
  summary: "write the claim-port drop-ins and the health check's timer units; print the unit-file lines",
  flags: {
    out: { type: 'string', value: 'DIR', help: `the unit directory to write to (default: ${DEFAULT_UNIT_DIR})` },
    root: { type: 'string', value: 'DIR', help: `use DIR/${DEFAULT_UNIT_DIR.replace(/^\//, '')} (a staged or mounted root) as the unit directory` },
    'claim-port': { type: 'string', value: 'PATH', help: `the claim-port executable (default: ${DEFAULT_CLAIM_PORT})` },
    'port-health-check': {
      type: 'string',
      value: 'PATH',
      help: ['the port-health-check executable dsa110-port-health.service runs', `(default: ${DEFAULT_HEALTH_CHECK})`],
    },
    textfile: { type: 'string', value: 'FILE', help: ['the .prom file it writes for node_exporter', `(default: ${DEFAULT_TEXTFILE})`] },
    check: { type: 'boolean', help: 'write nothing; exit 1 when the files differ from the registry' },
  },
  exclusive: [['out', 'root']],
  outputs: { out: 'the unit files are written under a directory', root: 'the unit files are written under a root directory' },
  utf8Paths: {
    out: 'the unit files under it are written and read by UTF-8 names',
    root: 'the unit files under it are written and read by UTF-8 names',
    'claim-port': UNIT_TEXT,
    'port-health-check': UNIT_TEXT,
    textfile: UNIT_TEXT,
  },
  run,
});

export async function run(context: Context): Promise<Outcome> {
  const { out, root: givenRoot, check } = context.values as { out?: string; root?: string; check?: boolean };
  // Named in messages as it names the same directory (`/srv/img/` as `/srv/img`).
  const root = givenRoot === undefined ? undefined : simplifyPath(givenRoot);
  const claimPort = (context.values['claim-port'] as string | undefined) ?? DEFAULT_CLAIM_PORT;
  const problem = claimPortPathProblem(claimPort);
  if (problem) throw new UsageError(`ports systemd: --claim-port ${quoteValue(claimPort)}: ${problem}`);
  // givenRoot, not root: simplifyPath makes '' '.', and `--root "$STAGE"` with STAGE unset would write into the working directory (/etc itself, run from /).
  if (out === '' || givenRoot === '') throw new UsageError('ports systemd: --out and --root need a directory');
  if (root !== undefined) await requireRoot(root);
  // Under --root, a link means what it means inside the root (`systemctl link` leaves absolute links in
  // /etc/systemd/system): the unit directory and every unit file read are found there, never on the host.
  const unitDir = out ?? (root !== undefined ? inRoot(root, DEFAULT_UNIT_DIR) : DEFAULT_UNIT_DIR);
  // A unit directory that is a file, or that this user may not read, is one line: not the same reason once per file.
  const unreadable = check ? unreadableDirectory(unitDir) : undefined;
  if (unreadable !== undefined) throw new CommandError(`ports systemd: cannot check ${escapeText(unitDir)}: ${unreadable}`);
  // The unit file systemd loads: the first of its unit directories that has it (UNIT_DIRS), as the write's advice and the
  // health check find it. Only /etc/systemd/system, /usr/lib and /lib were read here: a unit in /usr/local/lib/systemd/system,
  // where the write says the line goes, was "missing", and one under /run shadowing /etc was never seen.
  const unitDirs: UnitDir[] =
    out !== undefined
      ? [{ shown: unitDir, open: (name) => join(unitDir, name) }]
      : UNIT_DIRS.map((relative) => {
          const dir = `/${relative}`;
          return {
            shown: join(root ?? '/', dir),
            open: (name: string) => hostPath(root ?? '/', `${dir}/${name}`),
            danglingLink: (name: string) => danglingLink(root ?? '/', `${dir}/${name}`),
            // The operator's to edit (as unitLineAdvice says); a package's or made at run time, else: its line goes in a drop-in.
            packaged: !isOperatorsUnitDir(dir),
            madeAtRunTime: isRunTimeUnitDir(dir),
          };
        });

  // The registry every claim line and the health check name, as the system that runs the units sees it.
  const registryPath = unitRegistry(context, root);
  // The programs are looked for where the units run: under --root, else on this host (--out's units too, as its warnings look).
  const health = healthUnitsFor(context, claimPort, registryPath, out === undefined ? (root ?? '/') : '/');

  const registry = await load(context);
  // systemd's [Manager] defaults under the root (system.conf and its drop-ins): read at most once in this run, when a
  // unit is merged (DefaultEnvironment=) or a claim's start timeout judged (DefaultTimeoutStartSec=).
  let defaults: ManagerDefaults | undefined;
  const managerDefaults = () => (defaults ??= readManagerDefaults(root ?? '/'));
  // A unit that moves its service's port (Environment=, an EnvironmentFile=) gets a claim by service id (claimWiring says
  // why). Read as --check and the health check read it; with --out, the files in DIR alone (what is copied along with the
  // claims, such as an operator's drop-in moving the port), their EnvironmentFile= files on this host.
  const overrides = unitOverrides(registry, out === undefined ? (root ?? '/') : '/', managerDefaults, out === undefined ? undefined : [resolve(out)]);
  const wiring = claimWiring(registry, claimPort, registryPath, new Set(overrides.keys()));
  // Each file's host path: under --root its directory's links resolved inside the root too (a drop-in
  // directory linked with an absolute link); the file itself is judged as it is (a link there is refused).
  const place = (path: string) =>
    root === undefined || out !== undefined ? join(unitDir, path) : join(inRoot(root, `${DEFAULT_UNIT_DIR}/${dirname(path)}`), basename(path));
  if (!check) {
    // A warning's fix: this run again, every option in effect repeated (as --check's hints), with the one it names replaced.
    const rerun: Rerun = (replace) => regenerateCommand(context, 'systemd', REGENERATE_FLAGS, replace);
    // Where each unit-file claim's line goes: the unit file systemd loads (as --check and the health check find it);
    // none when the unit already claims its port as the line would (claimsAlike: what --check accepts).
    let unitListing: UnitDirListing | undefined;
    let lineRegistries: ReturnType<typeof claimRegistryLoader> | undefined;
    const listing = () => (unitListing ??= listUnitDirs(root ?? '/', []));
    const located: UnitLocator | undefined =
      out === undefined
        ? {
            root,
            load: (unit) => loadUnit(root ?? '/', unit, listing()),
            claimsAlike: (entry) => {
              const unit = unitAsJudged(root ?? '/', entry, listing(), managerDefaults);
              const alike =
                unit && claimsAlike(registry, entry, unit, claimPort, { registryPath, load: (lineRegistries ??= claimRegistryLoader(root ?? '/')) });
              // Only a line where the unit's own claim goes (its file, its own NAME.d/): one in a drop-in other units
              // read too (service.d/, a dash prefix's, a template's) is a stray claim --check fails on.
              return alike && (alike.claim.file === unit.file || basename(dirname(alike.claim.file)) === `${entry.unit}.d`) ? alike : undefined;
            },
          }
        : undefined;
    const { outcome, byHand } = await writeTree(
      context.io,
      {
        services: registry.services,
        claimPort,
        registryPath,
        source: escapeText(registry.source),
        registryRoot: out === undefined ? (root ?? '/') : undefined,
        regenerate: regenerateCommand(context, 'systemd', REGENERATE_FLAGS),
        healthCheck: healthCheckOption(context),
      },
      wiring,
      health,
      unitDir,
      place,
      out === undefined && root === undefined,
      located,
      overrides,
    );
    // The claims just wired may never run or work, for what else the units systemd would load hold: a bad port override
    // (claim-port refuses it: the start fails), an empty ExecStartPre= in a later drop-in, a socket unit on the port, a
    // start timeout the claim can outlast... Judged as `--check` judges them once the files match (effectiveProblems),
    // and said, not failed: the files are what the registry asks for; `--check` fails on them. The units whose line goes
    // in by hand are left out: their advice above says what to add.
    let merged: UnitFacts[] | undefined;
    if (out === undefined) {
      const effectiveRoot = root ?? '/';
      const listing = listUnitDirs(effectiveRoot, []);
      merged = wiring.map((entry) =>
        mergeUnitWithEnvironmentFiles(effectiveRoot, loadUnit(effectiveRoot, entry.unit, listing), { defaultEnvironment: managerDefaults().environment }),
      );
      if (outcome === 'ok') {
        const judged = wiring.filter((entry) => !byHand.has(entry.unit));
        const { problems, warnings } = effectiveProblems(registry, judged, effectiveRoot, { claimPort, registryPath, regenerate: rerun(), managerDefaults });
        for (const line of [...problems, ...warnings]) context.io.err(`${oneLine(`warning: ${line}`)}\n`, 'warn');
        if (problems.length > 0) {
          const under = root === undefined ? '' : ` under ${escapeText(root)}`;
          context.io.err(
            `${oneLine(`${problems.length === 1 ? '1 problem' : `${problems.length} problems`}: the files are written as the registry asks, but the units systemd would load${under} do not claim their ports as they should (said above); \`${rerun()} --check\` fails until ${problems.length === 1 ? 'it is' : 'they are'} fixed`)}\n`,
            'warn',
          );
        }
      }
    }
    // The claim-port the lines run may not be there, or not start under systemd: said, not failed (the files are right).
    if (outcome === 'ok' && wiring.length > 0)
      for (const line of claimPortWarnings(claimPort, out === undefined ? root : undefined, merged, rerun))
        context.io.err(`${oneLine(`warning: ${line}`)}\n`, 'warn');
    // The directory the health check writes its textfile into may not be there (node_exporter not installed): every
    // timer run would fail (exit 3). Said, not failed, as above.
    if (outcome === 'ok') {
      // Where the units are for: --out's on this host, else the root's (said, as ` under ROOT`).
      const lookIn = out === undefined ? (root ?? '/') : '/';
      const lookedIn = out !== undefined ? ' on this host' : root === undefined ? '' : ` under ${escapeText(root)}`;
      const warning = textfileWarning(textfileOption(context), lookIn, lookedIn, rerun);
      if (warning !== undefined) context.io.err(`${oneLine(`warning: ${warning}`)}\n`, 'warn');
      // So may the port-health-check its service runs: looked for as claim-port is.
      const healthCheck = healthCheckWarning(healthCheckOption(context), lookIn, lookedIn, rerun);
      if (healthCheck !== undefined) context.io.err(`${oneLine(`warning: ${healthCheck}`)}\n`, 'warn');
    }
    return outcome;
  }
  // The effective unit (drop-ins merged as systemd does) is judged under a root; --out names a bare directory, not a root.
  const effectiveRoot = out === undefined ? (root ?? '/') : undefined;
  return checkTree(
    context.io,
    registry,
    wiring,
    health,
    unitDir,
    unitDirs,
    effectiveRoot,
    {
      claimPort,
      registryPath,
      root,
      managerDefaults,
      regenerate: regenerateCommand(context, 'systemd', REGENERATE_FLAGS),
      healthCheck: healthCheckOption(context),
    },
    place,
  );
}

/**
 * --root names a system that is there (a staged tree, a mounted image): a missing one is a typo or an
 * image not mounted, so nothing is made under it (as root, a whole etc/systemd/system would appear at
 * the typo's path) and --check does not report every file "missing". --out DIR is made when missing.
 */
async function requireRoot(root: string): Promise<void> {
  let why: string | undefined;
  try {
    if (!(await stat(root)).isDirectory()) why = 'not a directory';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    why = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : `cannot be read (${code ?? 'error'})`;
  }
  if (why !== undefined) {
    throw new CommandError(
      `ports systemd: --root ${escapeText(root)}: ${why}; give the root of a staged or mounted system (or --out DIR for a plain directory, made when missing)`,
    );
  }
}

/** The health check's service and timer, from --port-health-check, --textfile and the registry the units name (unitRegistry). */
function healthUnitsFor(context: Context, claimPort: string, registry: string | undefined, lookIn: string): HealthUnit[] {
  const healthCheck = healthCheckOption(context);
  const textfile = textfileOption(context);
  const healthProblem = claimPortPathProblem(healthCheck);
  if (healthProblem) throw new UsageError(`ports systemd: --port-health-check ${quoteValue(healthCheck)}: ${healthProblem}`);
  const same = sameProgramProblem(context, claimPort, healthCheck, lookIn);
  if (same) throw new UsageError(`ports systemd: ${same}`);
  const fileProblem = textfileProblem(textfile);
  if (fileProblem) throw new UsageError(`ports systemd: --textfile ${quoteValue(textfile)}: ${fileProblem}`);
  return healthUnits({ healthCheck, textfile, claimPort, ...(registry !== undefined && { registry }) });
}

/**
 * Why the claim-port and the port-health-check the units would run are one program, or undefined. They must be two:
 * dsa110-port-health.service's ExecStart= runs the health check with `--claim-port PATH`, and a command that is
 * claim-port (its path, however spelt, or a claim-port's name: isClaimPort, as --check and the health check read a
 * unit) there would be read as a claim line, so `--check` refused what the write wrote. The same file under two
 * names (a link, a hard link: the same device and inode, where both exist under `lookIn`, the root the units run
 * in) is one program too. Two programs that merely share a directory or a target name elsewhere are not refused.
 */
function sameProgramProblem(context: Context, claimPort: string, healthCheck: string, lookIn: string): string | undefined {
  const shown = (flag: 'claim-port' | 'port-health-check', path: string) =>
    `--${flag} ${quoteValue(path)}${context.values[flag] === undefined ? ' (the default)' : ''}`;
  const both = `${shown('claim-port', claimPort)} and ${shown('port-health-check', healthCheck)}`;
  const fix = `give --claim-port the claim-port executable and --port-health-check the port-health-check one (default: ${DEFAULT_HEALTH_CHECK}), two different programs`;
  const why = `${HEALTH_SERVICE} runs the health check with --claim-port, and a claim-port there would be read as a claim line (\`ports systemd --check\` would refuse the units written)`;
  if (simplifyPath(claimPort) === simplifyPath(healthCheck)) return `${both} name the same program, but ${why}; ${fix}`;
  if (isClaimPort(healthCheck, [claimPort]))
    return `${shown('port-health-check', healthCheck)} is named as claim-port is (${escapeText(basename(healthCheck))}), so ${HEALTH_SERVICE}'s ExecStart= would be read as a claim-port line; give the port-health-check executable, under its own name (default: ${DEFAULT_HEALTH_CHECK})`;
  const claimFile = fileIdentity(lookIn, claimPort);
  const healthFile = fileIdentity(lookIn, healthCheck);
  if (claimFile === undefined || healthFile === undefined || claimFile.dev !== healthFile.dev || claimFile.ino !== healthFile.ino) return undefined;
  const under = lookIn === '/' ? '' : ` under ${escapeText(lookIn)}`;
  return `${both} are one file${under} (${escapeText(claimFile.real)}, reached by links or hard links), but ${why}; ${fix}`;
}

/** The device, inode and real path of the file `path` names inside `root` (links followed there), or undefined when there is none or it cannot be looked at. */
function fileIdentity(root: string, path: string): { dev: number; ino: number; real: string } | undefined {
  try {
    const host = hostPath(root, path);
    const stats = statSync(host);
    let real = host;
    try {
      real = realpathSync(host);
    } catch {
      // gone meanwhile, or a directory on the way not searchable: the path looked at
    }
    return { dev: stats.dev, ino: stats.ino, real };
  } catch {
    return undefined;
  }
}

/** The port-health-check executable the health service runs: --port-health-check, else DEFAULT_HEALTH_CHECK. */
function healthCheckOption(context: Context): string {
  return (context.values['port-health-check'] as string | undefined) ?? DEFAULT_HEALTH_CHECK;
}

/** The .prom file the health check's service writes: --textfile, else DEFAULT_TEXTFILE. */
function textfileOption(context: Context): string {
  return (context.values.textfile as string | undefined) ?? DEFAULT_TEXTFILE;
}

/**
 * The registry path every unit this command writes names (each claim line's
 * `--registry` and the health check's): the one this run reads, when named
 * (--registry, $DSA110_PORTS_FILE), else undefined (the bundled registry,
 * which claim-port and the health check read by default). The one place that
 * decides it, so that claim-port protects what the health check checks.
 * Absolute, since systemd runs the units from /. Under --root ROOT it must lie
 * inside ROOT and is named as the booted system sees it (rootName); with --out
 * DIR, a plain directory that is no root, it is the host's path as it is.
 * Refused (exit 64): a path a unit line cannot hold, a file of this process.
 */
function unitRegistry(context: Context, root: string | undefined): string | undefined {
  const named = context.registryPath ?? (context.env[REGISTRY_ENV] || undefined);
  if (named === undefined) return undefined;
  const origin = context.registryPath === undefined ? ORIGIN.env : ORIGIN.option;
  const given = resolve(named);
  const refuse = (path: string, problem: string) =>
    new UsageError(`ports systemd: the registry path ${quoteValue(path)} (${origin}) cannot go into the units: ${problem}`);
  const processProblem = processFileProblem(given);
  if (processProblem) throw refuse(given, processProblem);
  const inRootName = root === undefined ? { path: given } : rootName(root, named, given);
  if ('problem' in inRootName) throw refuse(given, inRootName.problem);
  const problem = execArgumentProblem(inRootName.path);
  if (problem) throw refuse(inRootName.path, problem);
  return inRootName.path;
}

/** The options a run that writes the tree again repeats (regenerateCommand): where it writes, and what the units run. */
const REGENERATE_FLAGS = ['out', 'root', 'claim-port', 'port-health-check', 'textfile'];

/**
 * `ports systemd --check`: the files the write would write under `unitDir` compared with those on disk, each `claim:
 * unit` service's line looked for in the unit file systemd loads (`unitDirs`), and, under a root (`effectiveRoot`;
 * undefined for --out), each wired unit as systemd would load it judged (effectiveProblems). Each problem is printed
 * to `io` with what to do, then one summary line. Writes nothing; 'failed' when there is a problem.
 */
async function checkTree(
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
      const text = files.get(item.path);
      if (text === undefined || !item.message.startsWith('does not contain') || fromTemplate.has(item.path)) return false;
      unit = mergeUnit({ unit: entry.unit, file: { path: shown.get(item.path) ?? item.path, text }, dropIns: [], problems: [] });
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
  if (effectiveRoot !== undefined) {
    const drifted = new Set(drift.map((item) => item.path));
    const judged = wiring.filter((entry) => (entry.claim === 'drop-in' ? rewritable.has(entry.unit) && !sharing.has(entry.path) : !drifted.has(entry.path)));
    const { problems, warnings } = effectiveProblems(registry, judged, effectiveRoot, {
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
  }
  const summary = problemsSummary(drift.length, unitProblems, healthChanges.length > 0, unitDir, effectiveRoot);
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
 * `healthChanged`, the health check's units that are not the files written), judged in the same run.
 */
function problemsSummary(files: number, units: number, healthChanged: boolean, unitDir: string, root: string | undefined): string | undefined {
  const count = (n: number) => (n === 1 ? '1 problem' : `${n} problems`);
  // Not "differs from the registry": a file with the right lines that others may change is one of them.
  const inFiles = `in the claim wiring under ${escapeText(unitDir)}, ${files + units === 1 ? '' : 'each '}listed above with what to do`;
  const loaded = `the units systemd would load under ${escapeText(root ?? '/')}`;
  if (files > 0 && units > 0) return `${count(files + units)} ${inFiles}: ${files} in the files, and ${units} in ${loaded}`;
  if (files > 0) return `${count(files)} ${inFiles}`;
  if (units === 0) return undefined;
  return healthChanged
    ? `${count(units)}: the files match the registry, but ${loaded} are not the files, each listed above with what to do`
    : `${count(units)}: the files match the registry, but ${loaded} do not claim their ports`;
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

/**
 * A unit's own drop-ins in the bare directory of --out (`UNIT.d/*.conf`, by name, as systemd reads them), but not a
 * claim-port.conf left from `claim: drop-in` (said on its own line, to be removed once the line is in): each with its
 * path as printed and its text. One that is not a regular file or cannot be read is left out (nothing to accept).
 */
function outOwnDropIns(unit: string, unitDir: string): { readonly path: string; readonly text: string }[] {
  const dir = join(unitDir, `${unit}.d`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no such directory
  }
  return names
    .filter((name) => name.endsWith('.conf') && name !== DROP_IN_NAME)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      try {
        return statSync(path).isFile() ? [{ path, text: decodeKeepingBadBytes(readFileBytes(path, { maxBytes: MAX_GENERATED_FILE_BYTES })) }] : [];
      } catch {
        return [];
      }
    });
}

/**
 * With --out DIR (a bare directory: no unit is loaded, and the units are judged no further), each wired claim that
 * an empty ExecStartPre= in a drop-in in DIR clears, as systemd would read DIR once copied into /etc/systemd/system
 * as laid out: the unit's drop-ins there (its own directory, its template's, its dash prefixes', the type-wide
 * `service.d/`, the first of a file name winning, then all by file name: chooseDropIns), after its unit file when DIR
 * has it. One drift each, at the clearing line, when the claim's file is there (its line is then what is cleared) and
 * no claim-port line is read after it. Drop-ins under /usr/lib or /run on the system it is copied to are not known here.
 */
function outClearings(wiring: readonly ClaimWiring[], files: ReadonlyMap<string, string | undefined>, unitDir: string, claimPort: string): SystemdDrift[] {
  const drift: SystemdDrift[] = [];
  const text = (path: string): string | undefined => {
    try {
      const host = join(unitDir, path);
      return statSync(host).isFile() ? decodeKeepingBadBytes(readFileBytes(host, { maxBytes: MAX_GENERATED_FILE_BYTES })) : undefined;
    } catch {
      return undefined; // gone, unreadable or too big: said by the drift above, or nothing systemd reads either
    }
  };
  for (const entry of wiring) {
    if (files.get(entry.path) === undefined) continue;
    const found = dropInDirNames(entry.unit).map((dir) => {
      try {
        return { dir, names: readdirSync(join(unitDir, dir)) };
      } catch {
        return { dir, names: [] }; // no such directory
      }
    });
    const dropIns = chooseDropIns(found).flatMap(({ dir, name }) => {
      const read = text(`${dir}/${name}`);
      return read === undefined ? [] : [{ path: `${dir}/${name}`, text: read }];
    });
    const file = entry.claim === 'unit' ? { path: entry.path, text: files.get(entry.path) } : undefined;
    const unit = mergeUnit({ unit: entry.unit, ...(file && { file }), dropIns, problems: [] });
    const cleared = unit.execStartPreCleared;
    if (cleared === undefined || claimLines(unit.execStartPre, [claimPort]).length > 0) continue;
    const port = claimPortArgument(entry.port, entry.service.transport);
    drift.push({
      path: `${cleared.file}:${cleared.line}`,
      message: `the empty ExecStartPre= here clears every earlier ExecStartPre= of ${escapeText(entry.unit)}, its claim line in ${escapeText(join(unitDir, entry.path))} included, so once ${escapeText(unitDir)} is copied into ${DEFAULT_UNIT_DIR} as laid out nothing frees port ${port} before it starts; remove that line or add the claim after it`,
    });
  }
  return drift;
}

/** hostPath(root, path), a loop of links there one line (exit 1), never a stack trace. */
function inRoot(root: string, path: string): string {
  // A link another user owns is not followed inside the root either: its owner could point it at any directory.
  const planted = untrustedLink(path, root);
  if (planted) throw new CommandError(`ports systemd: ${notFollowed(planted, 'directory')}; remove it, or \`chown -h root:root\` it; nothing was written`);
  try {
    return hostPath(root, path);
  } catch (error) {
    if (error instanceof FileReadError) {
      const advice = readFailureAdvice(error);
      throw new CommandError(`ports systemd: cannot follow ${escapeText(join(root, path))}: ${error.reason}${advice === undefined ? '' : `; ${advice}`}`);
    }
    throw error;
  }
}

/** A unit directory --check reads: as printed, and the host path of a file in it (links resolved inside --root). */
interface UnitDir {
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
function danglingLink(root: string, path: string): string | undefined {
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

/** A unit file or drop-in as systemd would read it (links followed, inside --root); undefined when absent. */
async function readText(shown: string, open: () => string): Promise<string | undefined> {
  try {
    return readFileIfPresent(open(), { maxBytes: MAX_GENERATED_FILE_BYTES });
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
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
    case 'too-large':
      return `a unit file is a few kB, and this command reads at most ${formatBytes(MAX_GENERATED_FILE_BYTES)}: see what it holds, and replace it with the unit's own file`;
    default:
      return readFailureAdvice(error);
  }
}
