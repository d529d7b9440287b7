// Part of the systemd check: a unit whose start timeout is not longer than
// the longest its claim-port lines may take. ExecStartPre= runs within the
// start timeout (TimeoutStartSec=, or TimeoutSec=; else systemd's
// DefaultTimeoutStartSec=, 90 s unless system.conf says otherwise; none for
// Type=oneshot): past it, systemd stops claim-port midway (SIGTERM), and the
// service never starts. A claim may take its timeout (--timeout, else the
// registry's claim.timeoutSeconds; none with --force) and then claim-port's
// own waits (claimWorstCaseSeconds). Pure: facts in, results out.
import { CLAIM_AFTER_TIMEOUT_MS, claimWorstCaseSeconds } from '@dsa110/ports';
import { parseClaimArgs, SYSTEMD_DEFAULT_START_TIMEOUT_SECONDS, where, type UnitFacts } from '@dsa110/ports/systemd';
import type { CheckResult, ExecLine, Facts, Severity } from '../types.js';

type Result = (severity: Severity, reason: string, file?: string) => CheckResult;

/** `5`, `0.25`, `12.25`: seconds as a person writes them (no float noise). */
const seconds = (value: number) => `${Number(value.toFixed(3))}`;

export function checkStartTimeout(facts: Facts, unit: UnitFacts, claims: readonly ExecLine[], result: Result): CheckResult[] {
  const timed = claims.flatMap((line) => {
    const args = parseClaimArgs(line.argv.slice(1));
    // A line that claims nothing (a usage error, --dry-run, --help) is judged by the claim verdict, and takes no time worth a warning.
    if (args.command !== 'claim' || args.dryRun) return [];
    const timeout = args.timeoutSeconds ?? facts.registry.claim.timeoutSeconds;
    const wait = args.force
      ? '--force, no wait before SIGKILL'
      : args.timeoutSeconds !== undefined
        ? `--timeout ${seconds(timeout)} s`
        : `the registry's claim.timeoutSeconds, ${seconds(timeout)} s`;
    return [{ line, worst: claimWorstCaseSeconds(timeout, args.force), wait }];
  });
  if (timed.length === 0) return [];
  const worst = timed.reduce((sum, claim) => sum + claim.worst, 0);
  const limit = startTimeout(facts, unit);
  if (limit.seconds > worst) return [];
  const lines = timed.map((claim) => `${where(claim.line)} (${claim.wait})`).join(', ');
  const claim = `${timed.length > 1 ? `its ${timed.length} claim-port lines take` : 'claim-port takes'} up to ${seconds(worst)} s (${lines}, then up to ${seconds(CLAIM_AFTER_TIMEOUT_MS / 1000)} s of claim-port's own waits each: for killed processes to go, for a supervisor to take the port back, for the bind check)`;
  const suggested = Math.ceil(worst) + SYSTEMD_DEFAULT_START_TIMEOUT_SECONDS;
  return [
    result(
      'warning',
      `${unit.unit} gives its start ${seconds(limit.seconds)} s (${limit.from}), and ${claim}: systemd would stop claim-port midway (ExecStartPre= runs within the start timeout) and ${unit.unit} would never start; ` +
        `set TimeoutStartSec= in its [Service] section to more than ${seconds(worst)} s plus the service's own start-up (say TimeoutStartSec=${suggested}s), or give claim-port a shorter --timeout`,
      limit.file,
    ),
  ];
}

/** The unit's start timeout in seconds (Infinity: none), where it comes from in words, and the file:line to point at. */
function startTimeout(facts: Facts, unit: UnitFacts): { seconds: number; from: string; file?: string } {
  const own = unit.startTimeout;
  if (own) return { seconds: own.seconds, from: `${own.key}=${own.value} at ${own.file}:${own.line}`, file: `${own.file}:${own.line}` };
  if (unit.oneshot) return { seconds: Infinity, from: 'Type=oneshot' };
  const setting = facts.defaultStartTimeout?.setting;
  if (setting)
    return {
      seconds: facts.defaultStartTimeout!.seconds,
      from: `no TimeoutStartSec= of its own, so systemd's DefaultTimeoutStartSec=${setting.value} at ${setting.file}:${setting.line}`,
      file: `${setting.file}:${setting.line}`,
    };
  return {
    seconds: SYSTEMD_DEFAULT_START_TIMEOUT_SECONDS,
    from: `no TimeoutStartSec= of its own, so systemd's default DefaultTimeoutStartSec=${SYSTEMD_DEFAULT_START_TIMEOUT_SECONDS}s`,
    ...(unit.file !== undefined && { file: unit.file }),
  };
}
