// The exit-code policy, as the seed's bash script had it so that existing
// cron jobs and alerting keep working. NOT the Nagios order (Nagios: 1 is
// WARNING, 2 is CRITICAL, 3 UNKNOWN).
import type { Severity } from './types.js';

export const EXIT = {
  /** Every check passed (ok and info only). */
  ok: 0,
  /** At least one error. */
  errors: 1,
  /** Warnings but no errors (with --strict, unknowns count as warnings). */
  warnings: 2,
  /** The check could not run: unknown --service, missing --root, unwritable --output. */
  failed: 3,
  /**
   * A usage error (unknown option, bad or missing value): EX_USAGE, as in
   * claim-port and ports. Written out, not imported from the internal CLI kit,
   * so the published types stand alone; test/exit-code.test.ts ties the two.
   */
  usage: 64,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The code when the report (or an error's JSON) could not be written to stdout: 3, the check could not deliver it; a usage error keeps 64 (systemd shows `status=64/USAGE`). */
export function unwrittenStdoutCode(code: number): ExitCode {
  return code === EXIT.usage ? EXIT.usage : EXIT.failed;
}

export function exitCode(counts: Readonly<Record<Severity, number>>, strict: boolean): ExitCode {
  if (counts.error > 0) return EXIT.errors;
  if (counts.warning > 0 || (strict && counts.unknown > 0)) return EXIT.warnings;
  return EXIT.ok;
}
