import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { REGISTRY_ENV } from '../../index.js';
import { unifiedDiff } from '../../render/diff.js';
import { DEFAULT_HEALTH_CHECK, DEFAULT_TEXTFILE, HEALTH_TIMER, healthUnits, textfileProblem, type HealthUnit } from '../../render/health-timer.js';
import { claimPortPathProblem, claimWiring, DEFAULT_CLAIM_PORT, DEFAULT_UNIT_DIR, DROP_IN_NAME, systemdDrift, type ClaimWiring } from '../../render/systemd.js';
import { claimLines, claimTarget, listUnitDirs, loadUnit, mergeUnit, where, type UnitFacts } from '../../systemd/index.js';
import type { Registry } from '../../registry.js';
import { load, type Context } from '../context.js';
import { CommandError, UsageError, type Outcome } from '../exit-code.js';

export async function run(context: Context): Promise<Outcome> {
  const { out, root, check } = context.values as { out?: string; root?: string; check?: boolean };
  const claimPort = (context.values['claim-port'] as string | undefined) ?? DEFAULT_CLAIM_PORT;
  const problem = claimPortPathProblem(claimPort);
  if (problem) throw new UsageError(`ports systemd: --claim-port ${JSON.stringify(claimPort)}: ${problem}`);
  if (out !== undefined && root !== undefined) throw new UsageError('ports systemd: give --out DIR or --root DIR, not both');
  if (out === '' || root === '') throw new UsageError('ports systemd: --out and --root need a directory');
  const unitDir = out ?? (root !== undefined ? join(root, DEFAULT_UNIT_DIR) : DEFAULT_UNIT_DIR);
  // Unit files installed by packages live under /usr/lib or /lib; look there too when checking a root.
  const unitDirs = out !== undefined ? [unitDir] : [unitDir, ...['usr/lib/systemd/system', 'lib/systemd/system'].map((dir) => join(root ?? '/', dir))];

  const health = healthUnitsFor(context, claimPort);

  const registry = await load(context);
  const wiring = claimWiring(registry, claimPort);
  if (!check) return writeTree(context, wiring, health, unitDir);
  // The effective unit (drop-ins merged as systemd does) is judged under a root; --out names a bare directory, not a root.
  const effectiveRoot = out === undefined ? (root ?? '/') : undefined;
  return checkTree(context, registry, wiring, health, unitDir, unitDirs, effectiveRoot, claimPort);
}

/** The health check's service and timer, from --port-health-check, --textfile and the registry this run reads. */
function healthUnitsFor(context: Context, claimPort: string): HealthUnit[] {
  const healthCheck = (context.values['port-health-check'] as string | undefined) ?? DEFAULT_HEALTH_CHECK;
  const textfile = (context.values.textfile as string | undefined) ?? DEFAULT_TEXTFILE;
  const healthProblem = claimPortPathProblem(healthCheck);
  if (healthProblem) throw new UsageError(`ports systemd: --port-health-check ${JSON.stringify(healthCheck)}: ${healthProblem}`);
  const fileProblem = textfileProblem(textfile);
  if (fileProblem) throw new UsageError(`ports systemd: --textfile ${JSON.stringify(textfile)}: ${fileProblem}`);
  // The timer checks the registry this command read: a named one by its absolute path, else the bundled one.
  const named = context.registryPath ?? (context.env[REGISTRY_ENV] || undefined);
  const registry = named === undefined ? undefined : resolve(named);
  const registryProblem = registry === undefined ? undefined : claimPortPathProblem(registry);
  if (registryProblem)
    throw new UsageError(`ports systemd: the registry path ${JSON.stringify(registry)} cannot go into the health check's unit: ${registryProblem}`);
  return healthUnits({ healthCheck, textfile, claimPort, ...(registry !== undefined && { registry }) });
}

async function writeTree(context: Context, wiring: readonly ClaimWiring[], health: readonly HealthUnit[], unitDir: string): Promise<Outcome> {
  let wrote = 0;
  const write = async (path: string, contents: string, dir: string): Promise<void> => {
    if ((await readText(path)) === contents) {
      context.io.out(`unchanged ${path}\n`);
      return;
    }
    try {
      await mkdir(dir, { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, contents, { mode: 0o644 });
      await rename(temporary, path);
    } catch (error) {
      throw new CommandError(`ports systemd: cannot write ${path}: ${ioProblem(error)}; run as root, or pass --out DIR or --root DIR`);
    }
    context.io.out(`wrote ${path}\n`);
    wrote++;
  };
  for (const entry of wiring) {
    if (entry.claim === 'drop-in') await write(join(unitDir, entry.path), entry.contents!, join(unitDir, `${entry.unit}.d`));
  }
  for (const unit of health) await write(join(unitDir, unit.path), unit.contents, unitDir);
  for (const entry of wiring) {
    if (entry.claim !== 'unit') continue;
    context.io.out(`${entry.unit}: its unit file claims the port; put this line in the [Service] section of ${join(unitDir, entry.unit)}:\n${entry.line}\n`);
  }
  for (const drift of systemdDrift(wiring, { files: new Map(), dropIns: await findDropIns(unitDir) })) {
    if (drift.message.startsWith('unexpected')) context.io.err(`warning: ${join(unitDir, drift.path)}: ${drift.message}\n`);
  }
  if (wrote > 0) {
    context.io.err(
      `Run "systemctl daemon-reload" for systemd to read the changes, and "systemctl enable --now ${HEALTH_TIMER}" once to start the health check's timer.\n`,
    );
  }
  return 'ok';
}

async function checkTree(
  context: Context,
  registry: Registry,
  wiring: readonly ClaimWiring[],
  health: readonly HealthUnit[],
  unitDir: string,
  unitDirs: readonly string[],
  effectiveRoot: string | undefined,
  claimPort: string,
): Promise<Outcome> {
  const files = new Map<string, string | undefined>();
  const shown = new Map<string, string>();
  for (const entry of wiring) {
    const candidates = entry.claim === 'unit' ? unitDirs : [unitDir];
    shown.set(entry.path, join(unitDir, entry.path));
    for (const dir of candidates) {
      const text = await readText(join(dir, entry.path));
      if (text === undefined) continue;
      files.set(entry.path, text);
      shown.set(entry.path, join(dir, entry.path));
      break;
    }
  }
  const drift = [...systemdDrift(wiring, { files, dropIns: await findDropIns(unitDir) })];
  for (const unit of health) {
    const actual = await readText(join(unitDir, unit.path));
    if (actual === undefined) drift.push({ path: unit.path, message: "missing: the port health check's unit; run `ports systemd`" });
    else if (actual !== unit.contents)
      drift.push({ path: unit.path, message: 'differs from what `ports systemd` writes; run `ports systemd`', expected: unit.contents, actual });
  }
  for (const item of drift) {
    const path = shown.get(item.path) ?? join(unitDir, item.path);
    context.io.out(`${path}: ${item.message}\n`);
    if (item.expected !== undefined)
      context.io.out(unifiedDiff(item.actual ?? '', item.expected, { from: `${path} (on disk)`, to: `${path} (from the registry)` }));
  }
  if (drift.length > 0) {
    context.io.err(`${drift.length} problem${drift.length === 1 ? '' : 's'}: the claim wiring under ${unitDir} differs from the registry\n`);
    return 'failed';
  }
  if (effectiveRoot !== undefined) {
    const problems = effectiveProblems(registry, wiring, effectiveRoot, claimPort);
    for (const problem of problems) context.io.out(`${problem}\n`);
    if (problems.length > 0) {
      context.io.err(
        `${problems.length} problem${problems.length === 1 ? '' : 's'}: the files match the registry, but the units systemd would load under ${effectiveRoot} do not claim their ports\n`,
      );
      return 'failed';
    }
  }
  const dropIns = wiring.filter((entry) => entry.claim === 'drop-in').length;
  context.io.out(
    `ok: ${dropIns} drop-in${dropIns === 1 ? '' : 's'}, ${wiring.length - dropIns} unit file${wiring.length - dropIns === 1 ? '' : 's'} and the health check's ${health.length} units under ${unitDir} match the registry\n`,
  );
  return 'ok';
}

/**
 * Each wired unit as systemd would load it under `root` (unit file plus every
 * drop-in, in systemd's precedence): does its effective ExecStartPre= list
 * still run claim-port on the service's port? The same model and verdict as
 * the health check's systemd check; one line per problem, naming file:line.
 */
function effectiveProblems(registry: Registry, wiring: readonly ClaimWiring[], root: string, claimPort: string): string[] {
  const problems: string[] = [];
  const listingProblems: string[] = [];
  const listing = listUnitDirs(root, listingProblems);
  problems.push(...listingProblems);
  for (const entry of wiring) {
    const unit = mergeUnit(loadUnit(root, entry.unit, listing));
    const service = entry.service;
    const expected = effectivePort(registry, service, unit);
    const shownPort = `${expected}${service.transport === 'udp' ? '/udp' : ''}`;
    const say = (reason: string) => problems.push(`${entry.unit}: ${reason}`);
    for (const problem of unit.problems) say(`cannot read part of the unit: ${problem}`);
    if (unit.masked) {
      say(`masked (${unit.file} is empty or links to /dev/null), so systemd never starts it`);
      continue;
    }
    for (const reason of unit.invalid ?? []) say(`systemd would refuse to load it: ${reason}`);
    const claims = claimLines(unit.execStartPre, [claimPort]);
    if (claims.length === 0) {
      const cleared = unit.execStartPreCleared;
      say(
        cleared
          ? `the empty ExecStartPre= in ${where(cleared)} clears every earlier ExecStartPre=, the claim-port line included, so nothing frees port ${shownPort} before it starts; remove that line or add the claim after it`
          : `no effective ExecStartPre= calls claim-port, so nothing frees port ${shownPort} before it starts (read ${[unit.file, ...unit.dropIns].filter(Boolean).join(', ')})`,
      );
      continue;
    }
    for (const line of claims) {
      const shown = `ExecStartPre=${line.value.slice(0, 200)} in ${where(line)}`;
      const target = claimTarget(line.argv);
      let claimed: { port: number; transport: 'tcp' | 'udp' } | undefined;
      if ('problem' in target) say(`${shown}: ${target.problem}`);
      else if ('port' in target) claimed = { port: target.port, transport: target.transport ?? 'tcp' };
      else if (!registry.has(target.id)) say(`${shown}: claim-port argument "${target.id}" is neither a port nor a service id in ${registry.source}`);
      else {
        try {
          claimed = { port: registry.resolvePort(target.id, { env: envRecord(unit) }).port, transport: registry.service(target.id).transport };
        } catch (error) {
          say(`${shown}: ${(error as Error).message}`);
        }
      }
      if (claimed && (claimed.port !== expected || claimed.transport !== service.transport)) {
        say(
          `${shown} claims port ${claimed.port}${claimed.transport === 'udp' ? '/udp' : ''}, but ${service.id} uses port ${shownPort}; it would free the wrong port`,
        );
      } else if (claimed && !line.prefixes.includes('+')) {
        say(`${shown} lacks the + prefix, so claim-port runs as the service's user and cannot signal other users' processes`);
      }
    }
  }
  return problems;
}

function envRecord(unit: UnitFacts): Record<string, string> {
  return Object.fromEntries([...unit.environment].map(([name, setting]) => [name, setting.value]));
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

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw new CommandError(`ports systemd: cannot read ${path}: ${ioProblem(error)}`);
  }
}

function ioProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a path component is not a directory';
  return (error as Error).message;
}

/** Every `*.d/claim-port.conf` in the unit directory, relative to it. */
async function findDropIns(unitDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(unitDir);
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const name of entries.sort()) {
    if (!name.endsWith('.d')) continue;
    if ((await readText(join(unitDir, name, DROP_IN_NAME))) !== undefined) found.push(`${name}/${DROP_IN_NAME}`);
  }
  return found;
}
