import { realpathSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { escapeText, oneLine, quoteValue } from '../../escape.js';
import { unreadableDirectory } from '../../files/directories.js';
import { FileReadError, hostPath } from '../../files/index.js';
import { notFollowed, untrustedLink } from '../../files/write.js';
import { REGISTRY_ENV } from '../../index.js';
import type { Registry } from '../../registry.js';
import { DEFAULT_HEALTH_CHECK, DEFAULT_TEXTFILE, HEALTH_SERVICE, healthUnits, textfileProblem, type HealthUnit } from '../../render/health-timer.js';
import { claimPortPathProblem, claimWiring, DEFAULT_CLAIM_PORT, DEFAULT_UNIT_DIR, execArgumentProblem, type ClaimWiring } from '../../render/systemd.js';
import { checkTree, danglingLink, type UnitDir } from './systemd/check-tree.js';
import { isClaimPort } from '../../systemd/claim-line.js';
import { claimsAlike, effectiveProblems, unitAsJudged, unitsVerdictText } from '../../systemd/effective-problems.js';
import { listUnitDirs, loadUnit, type UnitDirListing } from '../../systemd/effective.js';
import { mergeUnitWithEnvironmentFiles } from '../../systemd/environment-files.js';
import { isOperatorsUnitDir, isRunTimeUnitDir } from '../../systemd/line-advice.js';
import { claimRegistryLoader } from '../../systemd/line-registry.js';
import { readManagerDefaults, type ManagerDefaults } from '../../systemd/manager-defaults.js';
import { processFileProblem, rootName } from '../../systemd/registry-in-units.js';
import { namesRegistry } from '../../systemd/registry-name.js';
import { UNIT_DIRS } from '../../systemd/search-path.js';
import type { UnitFacts } from '../../systemd/types.js';
import { unitOverrides } from '../../systemd/unit-overrides.js';
import { generatedFiles } from '../../systemd/unit-outputs.js';
import { refuseRegistryOutput, registryAmong } from '../registry-output.js';
import { simplifyPath } from '../../systemd/words.js';
import { writeTree, type UnitLocator } from './systemd/write-tree.js';
import { claimPortWarnings, healthCheckWarning, textfileWarning, type Rerun } from '../../systemd/written-unit-warnings.js';
import { defineCommand } from '../command.js';
import { load, ORIGIN, type Context } from '../context.js';
import { CommandError, UsageError, type Outcome } from '../exit-code.js';
import { readFailureAdvice } from '../read-advice.js';
import { regenerateCommand } from '../regenerate.js';

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

/** What one `ports systemd` run works from, write or --check: the options read, the registry, and the wiring. */
interface SystemdRun {
  readonly context: Context;
  /** --out DIR (a bare unit directory), when given. */
  readonly out: string | undefined;
  /** --root as given, simplified; undefined for this host. */
  readonly root: string | undefined;
  readonly claimPort: string;
  readonly registryPath: string | undefined;
  readonly registry: Registry;
  readonly unitDir: string;
  readonly wiring: readonly ClaimWiring[];
  readonly health: readonly HealthUnit[];
  readonly overrides: ReturnType<typeof unitOverrides>;
  /** systemd's [Manager] defaults under the root, read at most once in the run. */
  readonly managerDefaults: () => ManagerDefaults;
  /** Each file's host path (under --root, its directory's links resolved inside the root). */
  readonly place: (path: string) => string;
  /** systemd's unit directories under the root (this host's for --out), listed once when first asked. */
  readonly listing: () => UnitDirListing;
  /** The registries claim lines name, read as the units' system reads them (under the root; --out: this host), each once. */
  readonly lineRegistries: () => ReturnType<typeof claimRegistryLoader>;
  /** Whether a path a unit names is the registry's file (namesRegistry, under the root; --out: this host); undefined for the bundled one. */
  readonly names: ((path: string) => boolean) | undefined;
}

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
  // Never over the registry it reads (a registry kept in the unit directory, a hard link there).
  const flag = out !== undefined ? '--out' : root !== undefined ? '--root' : 'the unit directory';
  refuseRegistryOutput(
    'systemd',
    registry.source,
    flag,
    out ?? root ?? unitDir,
    generatedFiles(wiring, health).map((file) => place(file.path)),
    'a unit file',
  );
  let unitListing: UnitDirListing | undefined;
  let lineRegistries: ReturnType<typeof claimRegistryLoader> | undefined;
  const setup: SystemdRun = {
    context,
    out,
    root,
    claimPort,
    registryPath,
    registry,
    unitDir,
    wiring,
    health,
    overrides,
    managerDefaults,
    place,
    listing: () => (unitListing ??= listUnitDirs(root ?? '/', [])),
    lineRegistries: () => (lineRegistries ??= claimRegistryLoader(out === undefined ? (root ?? '/') : '/')),
    // A unit's --registry that is the registry's file by another name (a link, `..`) names it: not drift.
    names: registryPath === undefined ? undefined : namesRegistry(out === undefined ? (root ?? '/') : '/', registryPath),
  };
  return check ? checkRun(setup) : writeRun(setup);
}

/** --check: the files against the registry, and under a root the units systemd would load (checkTree). */
function checkRun({
  context,
  out,
  root,
  claimPort,
  registryPath,
  registry,
  unitDir,
  wiring,
  health,
  managerDefaults,
  place,
  listing,
  lineRegistries,
  names,
}: SystemdRun): Promise<Outcome> {
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
      listing,
      lineRegistries,
      names,
    },
    place,
  );
}

/** The write (writeTree), then what may still keep the written claims from running or working, said as warnings. */
async function writeRun(setup: SystemdRun): Promise<Outcome> {
  const { context, out, root, claimPort, registryPath, registry, unitDir, wiring, health, overrides, managerDefaults, place } = setup;
  // Where each unit-file claim's line goes: the unit file systemd loads (as --check and the health check find it);
  // none when the unit already claims its port as the line would (claimsAlike: what --check accepts).
  const { listing } = setup;
  // Each line's registry read as --check reads it: under the root, else (--out: a bare directory) on this host.
  const alikeIn = (entry: ClaimWiring, unit: UnitFacts) =>
    claimsAlike(registry, entry, unit, claimPort, { registryPath, load: setup.lineRegistries(), names: setup.names });
  const located: UnitLocator | undefined =
    out === undefined
      ? {
          root,
          load: (unit) => loadUnit(root ?? '/', unit, listing()),
          claimsAlike: (entry) => {
            const unit = unitAsJudged(root ?? '/', entry, listing(), managerDefaults);
            const alike = unit && alikeIn(entry, unit);
            // Only a line where the unit's own claim goes (its file, its own NAME.d/): one in a drop-in other units
            // read too (service.d/, a dash prefix's, a template's) is a stray claim --check fails on.
            return alike && (alike.claim.file === unit.file || basename(dirname(alike.claim.file)) === `${entry.unit}.d`) ? alike : undefined;
          },
        }
      : undefined;
  const { outcome, advised, said } = await writeTree(
    context.io,
    {
      services: registry.services,
      claimPort,
      registryPath,
      source: escapeText(registry.source),
      registryRoot: out === undefined ? (root ?? '/') : undefined,
      regenerate: regenerateCommand(context, 'systemd', REGENERATE_FLAGS),
      healthCheck: healthCheckOption(context),
      claimsAlike: alikeIn,
      defaultEnvironment: () => managerDefaults().environment,
    },
    wiring,
    health,
    unitDir,
    place,
    out === undefined && root === undefined,
    located,
    overrides,
  );
  if (outcome !== 'ok') return outcome;
  // A warning's fix: this run again, every option in effect repeated (as --check's hints), with the one it names replaced.
  const rerun: Rerun = (replace) => regenerateCommand(context, 'systemd', REGENERATE_FLAGS, replace);
  const merged = out === undefined ? warnUnitProblems(setup, advised, said, rerun) : undefined;
  // The claim-port the lines run may not be there, or not start under systemd: said, not failed (the files are right).
  if (wiring.length > 0)
    for (const line of claimPortWarnings(claimPort, out === undefined ? root : undefined, merged, rerun))
      context.io.err(`${oneLine(`warning: ${line}`)}\n`, 'warn');
  // The directory the health check writes its textfile into may not be there (node_exporter not installed): every
  // timer run would fail (exit 3). Said, not failed, as above.
  // Where the units are for: --out's on this host, else the root's (said, as ` under ROOT`).
  const lookIn = out === undefined ? (root ?? '/') : '/';
  const lookedIn = out !== undefined ? ' on this host' : root === undefined ? '' : ` under ${escapeText(root)}`;
  const warning = textfileWarning(textfileOption(context), lookIn, lookedIn, rerun);
  if (warning !== undefined) context.io.err(`${oneLine(`warning: ${warning}`)}\n`, 'warn');
  // So may the port-health-check its service runs: looked for as claim-port is.
  const healthCheck = healthCheckWarning(healthCheckOption(context), lookIn, lookedIn, rerun);
  if (healthCheck !== undefined) context.io.err(`${oneLine(`warning: ${healthCheck}`)}\n`, 'warn');
  return outcome;
}

/**
 * After a write under a root: the claims just wired may never run or work, for what else the units systemd would load
 * hold: a bad port override (claim-port refuses it: the start fails), an empty ExecStartPre= in a later drop-in, a
 * socket unit on the port, a start timeout the claim can outlast... Judged as `--check` judges them once the files
 * match (effectiveProblems), and said, not failed: the files are what the registry asks for; `--check` fails on them.
 * The units whose line goes in by hand (`advised`), or whose unit file systemd refuses, are left out: their advice
 * says what to add or fix. Returns the wired units as merged, for claimPortWarnings.
 */
function warnUnitProblems(
  { context, root, claimPort, registryPath, registry, wiring, managerDefaults }: SystemdRun,
  advised: ReadonlySet<string>,
  said: ReadonlySet<string>,
  rerun: Rerun,
): UnitFacts[] {
  const effectiveRoot = root ?? '/';
  const listing = listUnitDirs(effectiveRoot, []);
  const merged = wiring.map((entry) =>
    mergeUnitWithEnvironmentFiles(effectiveRoot, loadUnit(effectiveRoot, entry.unit, listing), { defaultEnvironment: managerDefaults().environment }),
  );
  const judged = wiring.filter((entry) => !advised.has(entry.unit));
  const { problems, warnings, untold } = effectiveProblems(registry, judged, effectiveRoot, {
    claimPort,
    registryPath,
    regenerate: rerun(),
    managerDefaults,
    said,
  });
  for (const line of [...problems, ...warnings]) context.io.err(`${oneLine(`warning: ${line}`)}\n`, 'warn');
  if (problems.length > 0) {
    const under = root === undefined ? '' : ` under ${escapeText(root)}`;
    context.io.err(
      `${oneLine(`${problems.length === 1 ? '1 problem' : `${problems.length} problems`}: the files are written as the registry asks, but the units systemd would load${under} ${unitsVerdictText(problems.length, untold, 'do not claim their ports as they should')} (said above); \`${rerun()} --check\` fails until ${problems.length === 1 ? 'it is' : 'they are'} fixed`)}\n`,
      'warn',
    );
  }
  return merged;
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
  // The health check writes its textfile on every run: never over the registry the units name (by path, or, on this host, any name).
  if (registry !== undefined && (simplifyPath(textfile) === simplifyPath(registry) || (lookIn === '/' && registryAmong(registry, [textfile]) !== undefined)))
    throw new UsageError(
      `ports systemd: --textfile ${quoteValue(textfile)} is the registry the units read (${quoteValue(registry)}): port-health-check would replace it with its metrics on every run; give --textfile another file (default: ${DEFAULT_TEXTFILE}) (nothing was written)`,
    );
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
