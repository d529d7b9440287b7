// How long a claim may take, from claim-port's limits: what a unit's start
// timeout must exceed (the health check's systemd check holds it there).
// Kept out of limits.ts, which imports nothing of arguments.ts (that one reads limits.ts through suggest.ts).
import { describeArgument } from './arguments.js';
import { CLAIM_AFTER_TIMEOUT_MS, timeoutProblem } from './limits.js';

/**
 * The longest one claim may take, in seconds: its wait between SIGTERM and
 * SIGKILL (none with --force, which sends SIGKILL at once), then
 * CLAIM_AFTER_TIMEOUT_MS. A unit's start timeout (TimeoutStartSec=) must be
 * longer, or systemd stops the claim midway and the service never starts.
 */
export function claimWorstCaseSeconds(timeoutSeconds: number, force = false): number {
  // A published function: a wrong argument is a TypeError naming it, not NaN seconds (or "Cannot convert a Symbol").
  if (typeof timeoutSeconds !== 'number')
    throw new TypeError(`claimWorstCaseSeconds: timeoutSeconds must be a number of seconds, not ${describeArgument(timeoutSeconds)}`);
  // A number claim-port refuses (-1, NaN, 301) is no claim's: an impossible number, a RangeError.
  const problem = timeoutProblem(timeoutSeconds);
  if (problem !== undefined)
    throw new RangeError(`claimWorstCaseSeconds: timeoutSeconds ${problem} (claim-port's --timeout), not ${describeArgument(timeoutSeconds)}`);
  if (typeof force !== 'boolean') throw new TypeError(`claimWorstCaseSeconds: force must be true, false or left out, not ${describeArgument(force)}`);
  return (force ? 0 : timeoutSeconds) + CLAIM_AFTER_TIMEOUT_MS / 1000;
}
