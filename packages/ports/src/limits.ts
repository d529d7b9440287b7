// Limits that more than one module enforces or prints, each written once.

/** claim-port's wait between SIGTERM and SIGKILL: the registry's claim.timeoutSeconds, and --timeout. */
export const DEFAULT_CLAIM_TIMEOUT_SECONDS = 5;
/** Longer than this is a typo, not a wait: it would hold the service's start (ExecStartPre=) for minutes. */
export const MAX_CLAIM_TIMEOUT_SECONDS = 300;

/** A timeout claim-port accepts: more than 0, at most MAX_CLAIM_TIMEOUT_SECONDS. */
export function isClaimTimeout(seconds: number): boolean {
  return seconds > 0 && seconds <= MAX_CLAIM_TIMEOUT_SECONDS;
}
