// @dsa110/port-health-check: hold the registry against the live machine.
// checkPorts() gathers the facts once, runs the pure checks and returns a
// report; the renderers turn it into text, JSON or Prometheus metrics.
import { accessSync, constants, statSync } from 'node:fs';
import {
  describeArgument,
  envArgument,
  escapeText,
  loadRegistry,
  optionsArgument,
  PortsError,
  RegistryError,
  registryArgument,
  registryPath,
  type Registry,
} from '@dsa110/ports';
import { now } from '@dsa110/ports/system';
import { runChecks } from './checks/index.js';
import { registryFailed } from './checks/registry.js';
import { gather, startSocketRead } from './gather.js';
import { buildReport, serviceRows, type HealthReport } from './report.js';
import { chosenService } from './spaced-ids.js';

export interface CheckPortsOptions {
  /** A ports.yaml path or a loaded Registry; default $DSA110_PORTS_FILE, then the bundled registry. */
  registry?: string | Registry;
  /**
   * Where a `registry` path came from, said in an error about reading it (the
   * CLI: `from --registry`). A path from $DSA110_PORTS_FILE is always named so.
   */
  registryOrigin?: string;
  /** Read unit and configuration files under this directory instead of `/`. The socket table is always the live one. */
  root?: string;
  /** Check only these service ids (the reserved and unknown-listener checks run only when all are checked). */
  services?: readonly string[];
  /** Unknown listeners are warnings, and unknown results count as warnings in the exit code. */
  strict?: boolean;
  /** Executable paths that count as claim-port besides any named `claim-port` (e.g. a custom `ports systemd --claim-port`). */
  claimPortPaths?: readonly string[];
  /**
   * Read the live nftables ruleset (`nft -j list ruleset`, needs root) and report a robust, non-public
   * service that listens beyond loopback and that the firewall lets outside connections reach. Default true.
   */
  firewall?: boolean;
  /** Where $DSA110_PORTS_FILE and $DSA110_PORTS_CACHE are read; default process.env. A service's port override comes from its unit's Environment=, never from here. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Every option checkPorts takes, one per key of CheckPortsOptions (the compiler holds the two together). */
const CHECK_PORTS_OPTIONS: Readonly<Record<keyof CheckPortsOptions, true>> = {
  registry: true,
  registryOrigin: true,
  root: true,
  services: true,
  strict: true,
  claimPortPaths: true,
  firewall: true,
  env: true,
};
const CHECK_PORTS_KEYS = Object.keys(CHECK_PORTS_OPTIONS);

/**
 * Run every check. An invalid registry is reported (registry errors, exit
 * code 1), not thrown. Throws PortsError for what makes the check
 * meaningless: an unknown service id (code UNKNOWN_SERVICE), a root that is
 * not a directory (code NOT_FOUND).
 */
export function checkPorts(options?: CheckPortsOptions): Promise<HealthReport> {
  try {
    return checkChecked(checkOptions(options));
  } catch (error) {
    return Promise.reject(error);
  }
}

async function checkChecked(options: CheckPortsOptions): Promise<HealthReport> {
  const startedAt = new Date();
  const started = now();
  const root = options.root ?? '/';
  const strict = options.strict ?? false;
  const done = (registry: Registry | string, rest: Pick<HealthReport, 'services' | 'results'>) =>
    buildReport({ registry, root, strict, startedAt, durationMs: now() - started, ...rest });

  const notRoot = rootProblem(root);
  if (notRoot) throw new PortsError('NOT_FOUND', `root ${escapeText(root)} ${notRoot}; give the top of the tree to check (default /)`);
  // The live sockets do not depend on the registry: on a busy machine perl's fd scan reads while it loads.
  const socketRead = startSocketRead();
  let registry: Registry;
  try {
    registry =
      typeof options.registry === 'object'
        ? options.registry
        : await loadRegistry({
            path: options.registry,
            ...(options.env && { env: options.env }),
            ...(options.registry !== undefined && options.registryOrigin !== undefined && { origin: options.registryOrigin }),
          });
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    return done(error.source, { services: [], results: registryFailed(error) });
  }
  const chosen = options.services?.length ? [...new Set(options.services.map((id) => chosenService(registry, id)))] : undefined;
  // Naming every service is checking every service: the host-wide checks run too (a timer's line built from `ports list`).
  const services = chosen && chosen.length < registry.services.length ? chosen : undefined;
  // The file read, when one was named (never for a Registry passed in): the claim lines must name it too (the systemd check).
  const named =
    typeof options.registry === 'object'
      ? undefined
      : registryPath({ ...(options.registry !== undefined && { path: options.registry }), ...(options.env && { env: options.env }) });
  const facts = await gather({
    registry,
    root,
    ...(services && { services }),
    claimPortPaths: options.claimPortPaths ?? [],
    ...(named !== undefined && { registryPath: named }),
    ...(named === undefined && typeof options.registry !== 'object' && { bundledRegistry: true }),
    firewall: options.firewall ?? true,
    socketRead,
  });
  const results = runChecks(facts, { strict });
  return done(registry, { services: serviceRows(facts, results), results });
}

export { exitCode, EXIT, type ExitCode } from './exit-code.js';
export { renderText, type TextOptions } from './report/text.js';
export { renderJson, JSON_SCHEMA_ID } from './report/json.js';
export { renderPrometheus } from './report/prometheus.js';
export { writeAtomic } from './write-atomic.js';
export type { HealthReport, ListenerRow, ServiceRow } from './report.js';
export type { CheckResult, CheckId, Severity, ProcessFacts } from './types.js';
export { CHECK_IDS, SEVERITIES } from './types.js';

/** Why `path` cannot be the root to check, or undefined when it is a directory. */
function rootProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isDirectory()) return 'is not a directory';
    // A directory this user cannot list and enter: every file under it would be "cannot read", named as if on the host.
    accessSync(path, constants.R_OK | constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'does not exist';
    if (code === 'EACCES' || code === 'EPERM') return 'cannot be read (permission denied; run as root or as its owner)';
    if (code === 'ELOOP') return 'is a loop of symbolic links';
    return 'is not a directory';
  }
}

/**
 * checkPorts()'s options from JavaScript, checked: a wrong type is a TypeError
 * naming the option, never ignored (`services: 'api'` used to check services
 * "a", "p", "i"). Returns a copy, each getter read once.
 */
function checkOptions(options: unknown): CheckPortsOptions {
  const fn = 'checkPorts';
  // optionsArgument's copy has no prototype: an option left out is never read through a polluted Object.prototype.
  // A misspelt key (`servics`) is a TypeError: ignored, every service would be checked.
  const copy = optionsArgument(fn, options as object | undefined, CHECK_PORTS_KEYS) as Record<string, unknown>;
  const bad = (name: string, what: string): never => {
    throw new TypeError(`${fn}: options.${name} must be ${what} or left out, not ${describeArgument(copy[name])}`);
  };
  // A Registry by its shape, not instanceof (one from another copy of @dsa110/ports is as good): the test
  // claimPort makes too. A plain object (`{ path }`, a parsed YAML) failed deep inside with "reading 'flatMap'".
  registryArgument(fn, copy.registry);
  if (copy.registryOrigin !== undefined && typeof copy.registryOrigin !== 'string') bad('registryOrigin', 'a string');
  if (copy.root !== undefined && !(typeof copy.root === 'string' && copy.root !== '')) bad('root', 'a directory (a non-empty string)');
  for (const name of ['services', 'claimPortPaths']) {
    const list = copy[name];
    if (list === undefined) continue;
    if (!Array.isArray(list)) bad(name, 'an array of strings');
    // An empty list would check every service (as leaving it out does), the opposite of what it says.
    if (name === 'services' && (list as unknown[]).length === 0)
      throw new TypeError(`${fn}: options.services is an empty array; give at least one service id, or leave it out to check every service`);
    for (const [i, entry] of (list as unknown[]).entries()) {
      if (typeof entry !== 'string') throw new TypeError(`${fn}: options.${name}[${i}] must be a string, not ${describeArgument(entry)}`);
    }
  }
  for (const name of ['strict', 'firewall']) if (copy[name] !== undefined && typeof copy[name] !== 'boolean') bad(name, 'a boolean');
  if (copy.env !== undefined) envArgument(fn, copy.env as CheckPortsOptions['env']);
  return copy as CheckPortsOptions;
}
