// Why the units `ports systemd` writes may not run on the system they are for: the claim-port the claim lines run,
// the port-health-check the health service runs, the directory its textfile goes in. Said after the write, not failed.
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { escapeText } from '../escape.js';
import { FileReadError, hostPath } from '../files/index.js';
import { DEFAULT_TEXTFILE, HEALTH_SERVICE, HEALTH_TIMER } from '../render/health-timer.js';
import { claimPortInstall } from './claim-port-install.js';
import { interpreterProblem, readInterpreter, statExecutable, SYSTEMD_DEFAULT_PATH, unitSearchPath } from './interpreter.js';
import { rootWritablePart, rootWritableProblem } from './root-writable.js';
import type { UnitFacts } from './types.js';

/**
 * Why the health check's service cannot write `textfile` on the system the
 * units are for (`root`; `there` says which, for the message), or undefined:
 * its directory (node_exporter's textfile directory, which Debian's
 * prometheus-node-exporter makes) does not exist or is not a directory there,
 * so every run of the timer fails (exit 3: the health check makes no
 * directories). One it cannot look at (another user's, as this user) is not
 * said: root, which runs the service, may.
 */
export function textfileWarning(textfile: string, root: string, there: string, rerun: Rerun): string | undefined {
  const dir = dirname(textfile);
  let state: string;
  try {
    if (statSync(hostPath(root, dir)).isDirectory()) return undefined;
    state = 'is not a directory';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
    state = 'does not exist';
  }
  const other = `run \`${rerun({ textfile: 'FILE' })}\``;
  const fix =
    textfile === DEFAULT_TEXTFILE
      ? `install prometheus-node-exporter (Debian's package makes it), or ${other} naming a .prom file in the directory its textfile collector reads (--collector.textfile.directory)`
      : `make it where node_exporter's textfile collector reads (--collector.textfile.directory; Debian's prometheus-node-exporter reads ${escapeText(dirname(DEFAULT_TEXTFILE))}), or ${other} naming a .prom file in that directory`;
  return `${escapeText(dir)}, the directory ${HEALTH_SERVICE} writes ${escapeText(basename(textfile))} into, ${state}${there}: every run of ${HEALTH_TIMER} fails (exit 3) and node_exporter serves no port health metrics; ${fix}`;
}

/**
 * Why the port-health-check the health check's service runs (--port-health-check) cannot start on the system the
 * units are for (`root`; `there` says which, for the message), or undefined: not an executable file there (as
 * claim-port is judged: executableState), so systemd fails every run of the timer and node_exporter serves no port
 * health metrics. Names the port-health-check installed beside this `ports` when there is one (installedBeside).
 */
export function healthCheckWarning(healthCheck: string, root: string, there: string, rerun: Rerun): string | undefined {
  const state = executableState(root, healthCheck);
  if (state === undefined) return undefined;
  const sibling = installedBeside('port-health-check', root, healthCheck);
  // The tarballs install every package's bins into one prefix: the one the path names (claimPortInstall's rule).
  const fix =
    sibling !== undefined
      ? `run \`${rerun({ 'port-health-check': sibling })}\` (the port-health-check installed beside this ports)`
      : `install port-health-check there (${claimPortInstall(join(dirname(healthCheck), 'claim-port'), root)}), or run \`${rerun({ 'port-health-check': 'PATH' })}\` naming the one installed`;
  return `${escapeText(healthCheck)}, the port-health-check ${HEALTH_SERVICE} runs, ${state}${there}: systemd fails every run of ${HEALTH_TIMER} and node_exporter serves no port health metrics; ${fix}`;
}

/** A warning's fix command: this run again (regenerateCommand), with `replace`'s options in place of those given. */
export type Rerun = (replace?: Readonly<Record<string, string>>) => string;

/**
 * Why the claim-port the written lines run may not start under systemd, one
 * line each: it is not an executable file on the system the units are for
 * (`root`, the host when undefined; with --out, this host), or its #! line
 * runs an interpreter that the PATH systemd gives the units (each unit's own,
 * else systemd's default; readInterpreter, as the health check) does not
 * have, or someone besides root may change it, what it runs or what it
 * loads (rootWritablePart, as the health check). A missing one names the
 * claim-port installed beside this `ports`.
 */
export function claimPortWarnings(claimPort: string, root: string | undefined, units: readonly UnitFacts[] | undefined, rerun: Rerun): string[] {
  const system = root ?? '/';
  const there = units === undefined ? ' on this host' : root === undefined ? '' : ` under ${escapeText(root)}`;
  const shown = escapeText(claimPort);
  const state = executableState(system, claimPort);
  if (state !== undefined) {
    const sibling = installedBeside('claim-port', system, claimPort);
    const fix =
      sibling !== undefined
        ? `run \`${rerun({ 'claim-port': sibling })}\` (the claim-port installed beside this ports)`
        : `install claim-port there (${claimPortInstall(claimPort, system)}), or run \`${rerun({ 'claim-port': 'PATH' })}\` naming the one installed`;
    return [`${shown}, the claim-port the units run, ${state}${there}: systemd fails to start each unit that claims its port; ${fix}`];
  }
  const searchPaths = new Map((units ?? []).map((unit) => unitSearchPath(unit)).map((searchPath) => [searchPath.value, searchPath]));
  if (searchPaths.size === 0) searchPaths.set(SYSTEMD_DEFAULT_PATH, unitSearchPath(undefined));
  const warnings = new Set<string>();
  const lookups = [...searchPaths.values()].map((searchPath) => readInterpreter(system, claimPort, searchPath));
  for (const lookup of lookups) {
    const problem = interpreterProblem(lookup);
    if (problem !== undefined) warnings.add(`${shown}, the claim-port the units run${there}: ${problem}`);
  }
  // Root runs it: a part of it (or of what it runs and loads) that others may change is theirs to run as root.
  const writable = rootWritablePart(system, claimPort, lookups);
  if (writable !== undefined) warnings.add(`${shown}, the claim-port the units run${there}: ${rootWritableProblem(writable)}`);
  return [...warnings];
}

/** Undefined when `path` is an executable file inside `root`; else what it is instead ("does not exist", "is not an executable file"). */
export function executableState(root: string, path: string): string | undefined {
  const at = statExecutable(root, path);
  switch (at.kind) {
    case 'executable':
      return undefined;
    case 'missing':
      return 'does not exist';
    case 'not-regular':
      return 'is not a regular file (nothing systemd can run)';
    case 'not-executable':
      return 'is not an executable file';
    case 'unreadable':
      return `cannot be looked at (${at.error instanceof FileReadError ? at.error.reason : ((at.error as NodeJS.ErrnoException).code ?? 'error')})`;
  }
}

/**
 * The `name` bin (claim-port, port-health-check) installed beside the running `ports`, executable inside `root`, other than `given`:
 * npm links every package's bins into one directory (`<prefix>/bin/claim-port` beside `<prefix>/bin/ports`,
 * `node_modules/.bin/` for a project), so the directory this bin was run from, as invoked and as
 * a global install's package directory (`<prefix>/lib/node_modules/@dsa110/ports`) places it.
 */
function installedBeside(name: string, root: string, given: string, script: string | undefined = process.argv[1]): string | undefined {
  if (!script) return undefined;
  const candidates = [join(dirname(resolve(script)), name)];
  try {
    const global = /^(.*)\/lib\/node_modules\/@dsa110\/ports\/bin\/[^/]+$/.exec(realpathSync(script));
    if (global) candidates.push(join(global[1] || '/', 'bin', name));
  } catch {
    // gone: the directory as invoked only
  }
  return candidates.find((path) => path !== given && executableState(root, path) === undefined);
}
