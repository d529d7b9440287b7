// A unit whose start timeout is not longer than the longest its claim-port
// lines may take. ExecStartPre= runs within the start timeout
// (TimeoutStartSec=, or TimeoutSec=; else systemd's DefaultTimeoutStartSec=,
// 90 s unless system.conf says otherwise; none for Type=oneshot): past it,
// systemd stops claim-port midway (SIGTERM), and the service never starts. A
// claim may take its timeout (--timeout, else the registry's
// claim.timeoutSeconds; none with --force) and then claim-port's own waits
// (claimWorstCaseSeconds). One judgement for the health check's systemd check
// and `ports systemd`, so the two say the same. Pure: facts in, words out.
import { describeArgument, isArraySafely, listProblem, objectArgument } from '../arguments.js';
import { claimWorstCaseSeconds } from '../claim-time.js';
import { CLAIM_AFTER_TIMEOUT_MS, isClaimTimeout, MAX_CLAIM_TIMEOUT_SECONDS, MIN_CLAIM_TIMEOUT_SECONDS } from '../limits.js';
import { parseClaimArgs } from './claim-args.js';
import { where } from './claim-line.js';
import { SYSTEMD_DEFAULT_START_TIMEOUT_SECONDS, type DefaultStartTimeout } from './manager-defaults.js';
import type { ExecLine, UnitFacts } from './types.js';

/** Why a unit's start timeout is too short for its claims, and the file:line to point at (the setting, else the unit file). */
export interface StartTimeoutFinding {
  readonly reason: string;
  readonly where?: string;
}

/** `5`, `0.25`, `12.25`: seconds as a person writes them (no float noise). */
const seconds = (value: number) => `${Number(value.toFixed(3))}`;

/**
 * Why `unit` would be stopped by systemd before its claim-port lines `claims`
 * (claimLines of its ExecStartPre=) are done, or undefined when its start
 * timeout leaves them time. `registryTimeoutSeconds`: the claim.timeoutSeconds
 * of the registry the lines read, for a line without --timeout.
 * `managerDefault`: systemd's DefaultTimeoutStartSec= (readDefaultStartTimeout);
 * left out, systemd's built-in 90 s.
 */
export function startTimeoutFinding(
  unit: UnitFacts,
  claims: readonly ExecLine[],
  registryTimeoutSeconds: number,
  managerDefault?: DefaultStartTimeout,
): StartTimeoutFinding | undefined {
  // objectArgument first: it refuses a revoked Proxy, whose unit.unit read failed inside.
  objectArgument('startTimeoutFinding', 'unit', unit, "a unit's facts, from mergeUnit");
  if (typeof unit.unit !== 'string') throw new TypeError(`startTimeoutFinding: unit.unit must be a unit name (a string), not ${describeArgument(unit.unit)}`);
  if (!isArraySafely(claims)) throw new TypeError(`startTimeoutFinding: claims must be an array of ExecLine (claimLines), not ${describeArgument(claims)}`);
  // Each line's argv is parsed below: `[{}]` failed inside on "reading 'slice'".
  for (const [index, line] of claims.entries()) {
    const argv: unknown = typeof line === 'object' && line !== null ? (line as Partial<ExecLine>).argv : undefined;
    const problem = listProblem(`claims[${index}].argv`, argv);
    if (problem !== undefined) throw new TypeError(`startTimeoutFinding: ${problem}`);
  }
  if (!isClaimTimeout(registryTimeoutSeconds))
    throw new (typeof registryTimeoutSeconds === 'number' ? RangeError : TypeError)(
      `startTimeoutFinding: registryTimeoutSeconds must be a registry's claim.timeoutSeconds, ${MIN_CLAIM_TIMEOUT_SECONDS} to ${MAX_CLAIM_TIMEOUT_SECONDS} seconds, not ${describeArgument(registryTimeoutSeconds)}`,
    );
  const timed = claims.flatMap((line) => {
    const args = parseClaimArgs(line.argv.slice(1));
    // A line that claims nothing (a usage error, --dry-run, --help) is judged by the claim verdict, and takes no time worth a warning.
    if (args.command !== 'claim' || args.dryRun) return [];
    const timeout = args.timeoutSeconds ?? registryTimeoutSeconds;
    const wait = args.force
      ? '--force, no wait before SIGKILL'
      : args.timeoutSeconds !== undefined
        ? `--timeout ${seconds(timeout)} s`
        : `the registry's claim.timeoutSeconds, ${seconds(timeout)} s`;
    return [{ line, worst: claimWorstCaseSeconds(timeout, args.force), wait }];
  });
  if (timed.length === 0) return undefined;
  const worst = timed.reduce((sum, claim) => sum + claim.worst, 0);
  const limit = startTimeout(unit, managerDefault);
  if (limit.seconds > worst) return undefined;
  const lines = timed.map((claim) => `${where(claim.line)} (${claim.wait})`).join(', ');
  const claim = `${timed.length > 1 ? `its ${timed.length} claim-port lines take` : 'claim-port takes'} up to ${seconds(worst)} s (${lines}, then up to ${seconds(CLAIM_AFTER_TIMEOUT_MS / 1000)} s of claim-port's own waits each: for killed processes to go, for a supervisor to take the port back, for the bind check)`;
  const suggested = Math.ceil(worst) + SYSTEMD_DEFAULT_START_TIMEOUT_SECONDS;
  return {
    reason:
      `${unit.unit} gives its start ${seconds(limit.seconds)} s (${limit.from}), and ${claim}: systemd would stop claim-port midway (ExecStartPre= runs within the start timeout) and ${unit.unit} would never start; ` +
      `set TimeoutStartSec= in its [Service] section to more than ${seconds(worst)} s plus the service's own start-up (say TimeoutStartSec=${suggested}s), or give claim-port a shorter --timeout`,
    ...(limit.where !== undefined && { where: limit.where }),
  };
}

/** The unit's start timeout in seconds (Infinity: none), where it comes from in words, and the file:line to point at. */
function startTimeout(unit: UnitFacts, managerDefault: DefaultStartTimeout | undefined): { seconds: number; from: string; where?: string } {
  const own = unit.startTimeout;
  if (own) return { seconds: own.seconds, from: `${own.key}=${own.value} at ${own.file}:${own.line}`, where: `${own.file}:${own.line}` };
  if (unit.oneshot) return { seconds: Infinity, from: 'Type=oneshot' };
  const setting = managerDefault?.setting;
  if (setting)
    return {
      seconds: managerDefault!.seconds,
      from: `no TimeoutStartSec= of its own, so systemd's DefaultTimeoutStartSec=${setting.value} at ${setting.file}:${setting.line}`,
      where: `${setting.file}:${setting.line}`,
    };
  return {
    seconds: SYSTEMD_DEFAULT_START_TIMEOUT_SECONDS,
    from: `no TimeoutStartSec= of its own, so systemd's default DefaultTimeoutStartSec=${SYSTEMD_DEFAULT_START_TIMEOUT_SECONDS}s`,
    ...(unit.file !== undefined && { where: unit.file }),
  };
}
