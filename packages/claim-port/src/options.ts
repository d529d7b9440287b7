// What a claim is asked to do: claimPort()'s options and its one error.
// Its own module so that the first half of the command (early.ts) and the
// engine (claim.ts) share it without importing each other.
import { describeArgument, envArgument, optionsArgument, registryArgument, type PortsError, type RegistryError } from '@dsa110/ports';
import type { Transport } from '@dsa110/ports/system';
import type { ProcessControl } from './processes.js';
import type { Reader } from './reader.js';
import type { SeenListening } from './early.js';

export type LogLevel = 'info' | 'warn' | 'error';

export interface ClaimOptions {
  /** Signal nothing; report what would be done. */
  dryRun?: boolean;
  /** SIGKILL at once, no SIGTERM. */
  force?: boolean;
  /** Seconds between SIGTERM and SIGKILL; default the registry's claim.timeoutSeconds (5). */
  timeoutSeconds?: number;
  /**
   * 'tcp' or 'udp': the transport of a numeric port (default tcp). A service
   * id takes its transport from the registry; giving another one is a usage error.
   */
  transport?: Transport;
  /** A loaded registry, or the path of a ports.yaml; default $DSA110_PORTS_FILE, else the bundled one. */
  registry?: import('@dsa110/ports').Registry | string;
  /**
   * Where a `registry` path came from, said in an error about reading it
   * (claim-port's CLI: `from --registry`). A path from $DSA110_PORTS_FILE is
   * always named so.
   */
  registryOrigin?: string;
  /** Where env overrides (CONTIMG_API_PORT, ...), DSA110_PORTS_FILE and SYSTEMD_UNIT_PATH are read; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Receives every human-readable line (without the `[claim-port:PORT]` prefix). Default: silent. */
  log?: (line: string, level: LogLevel, port?: number) => void;
  /** Collect CPU and memory of holders with pidusage for the log (default: when `log` is given). */
  usage?: boolean;
  /** How long to wait for SIGKILLed processes to disappear (ms, default CLAIM_KILL_WAIT_MS, 2000). */
  killWaitMs?: number;
  /** How long to watch for a supervisor re-taking the port after its holders are gone (ms, default SETTLE_MS, 1000). */
  settleMs?: number;
  /** How sockets are read: default /proc where it exists, else lsof. */
  reader?: Reader;
  /** How processes are recognised again and signalled: default /proc and kill(2). */
  processes?: ProcessControl;
  /** What a first look just found listening on the port (the CLI's): reused, not read again. */
  listening?: SeenListening;
  /**
   * Stops the claim where it is once aborted (the command aborts it on SIGTERM,
   * SIGINT or SIGHUP): nothing more is signalled, and the result says what was
   * done so far (`interrupted`: the abort's reason when it is a string, the
   * signal's name from the command, else "aborted").
   */
  signal?: AbortSignal;
}

/**
 * Every option claimPort takes, one per key of ClaimOptions (the compiler holds the two together):
 * a key not listed is a TypeError, `dryrun` for `dryRun` above all, which would claim for real.
 * The test hooks (reader, processes, listening) are options too, though the README leaves them out.
 */
const CLAIM_OPTIONS: Readonly<Record<keyof ClaimOptions, true>> = {
  dryRun: true,
  force: true,
  timeoutSeconds: true,
  transport: true,
  registry: true,
  registryOrigin: true,
  env: true,
  log: true,
  usage: true,
  killWaitMs: true,
  settleMs: true,
  reader: true,
  processes: true,
  listening: true,
  signal: true,
};
const CLAIM_OPTION_KEYS = Object.keys(CLAIM_OPTIONS);

/** A claim that cannot even start: bad port or timeout, unknown service id, unusable registry or override. */
export class ClaimUsageError extends Error {
  override name = 'ClaimUsageError';
  /** Stable across copies of this package: test `error.code`, not only `instanceof`. */
  readonly code = 'CLAIM_USAGE';
  /** The port, when it is known. */
  readonly port?: number;
  /**
   * The error of @dsa110/ports this one stands for, when there is one: its `code` says which
   * (`UNKNOWN_SERVICE`, `BAD_OVERRIDE`, `INVALID_REGISTRY`), which `code` here (always CLAIM_USAGE)
   * does not. Absent otherwise, not an own property set to undefined (`declare`: no class field).
   */
  declare readonly cause?: PortsError | RegistryError;
  constructor(message: string, port?: number, cause?: PortsError | RegistryError) {
    super(message, cause === undefined ? undefined : { cause });
    if (port !== undefined) this.port = port;
  }
}

/**
 * claimPort()'s arguments from JavaScript, checked before anything is read or
 * signalled: a wrong type is a TypeError naming the option, never ignored
 * (`claimPort('api', 'dry-run')` must not claim for real). Returns a copy of
 * the options, each getter read once.
 */
export function checkClaimArguments(portOrId: unknown, options: unknown): ClaimOptions {
  const fn = 'claimPort';
  if (typeof portOrId !== 'number' && typeof portOrId !== 'string') {
    throw new TypeError(`${fn}: portOrId must be a port number, a decimal string or a service id, not ${describeArgument(portOrId)}`);
  }
  // optionsArgument's copy has no prototype: an option left out is never read through a polluted Object.prototype.
  const copy = optionsArgument(fn, options as object | undefined, CLAIM_OPTION_KEYS) as Record<string, unknown>;
  const bad = (name: string, what: string): never => {
    throw new TypeError(`${fn}: options.${name} must be ${what} or left out, not ${describeArgument(copy[name])}`);
  };
  for (const name of ['dryRun', 'force', 'usage']) if (copy[name] !== undefined && typeof copy[name] !== 'boolean') bad(name, 'a boolean');
  if (copy.timeoutSeconds !== undefined && typeof copy.timeoutSeconds !== 'number') bad('timeoutSeconds', 'a number of seconds');
  if (copy.transport !== undefined && copy.transport !== 'tcp' && copy.transport !== 'udp') bad('transport', '"tcp" or "udp"');
  // A path or a real Registry (the health check's test, shared): `{ path }` failed deep inside, or was ignored on a free port.
  registryArgument(fn, copy.registry);
  if (copy.registryOrigin !== undefined && typeof copy.registryOrigin !== 'string') bad('registryOrigin', 'a string');
  // An object of strings (a number among them is a TypeError here, not only once the registry is read).
  if (copy.env !== undefined) envArgument(fn, copy.env as ClaimOptions['env']);
  if (copy.log !== undefined && typeof copy.log !== 'function') bad('log', 'a function');
  for (const name of ['killWaitMs', 'settleMs']) {
    const value = copy[name];
    if (value === undefined) continue;
    if (typeof value !== 'number') bad(name, 'a number of milliseconds');
    if (!(Number.isFinite(value) && (value as number) >= 0))
      throw new RangeError(`${fn}: options.${name} must be a finite number of milliseconds >= 0, not ${value}`);
  }
  if (copy.signal !== undefined && !(copy.signal instanceof AbortSignal)) bad('signal', 'an AbortSignal');
  for (const name of ['reader', 'processes', 'listening']) {
    if (copy[name] !== undefined && (typeof copy[name] !== 'object' || copy[name] === null)) bad(name, 'an object');
  }
  return copy as ClaimOptions;
}
