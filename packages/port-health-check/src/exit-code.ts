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

/**
 * The code when stdout could not be written (a full disk, /dev/full): 3 when it held the report (or an
 * error's JSON), which the check then could not deliver; the check's own `code` when `reportWritten`
 * (--output wrote the report to its file, stdout held only the problem lines): the file, with
 * dsa110_port_health_exit_code, and the exit status then agree, as when the reader of stdout went away.
 * A usage error keeps 64 (systemd shows `status=64/USAGE`).
 */
export function unwrittenStdoutCode(code: number, reportWritten = false): ExitCode {
  if (code === EXIT.usage) return EXIT.usage;
  return reportWritten && (code === EXIT.ok || code === EXIT.errors || code === EXIT.warnings) ? code : EXIT.failed;
}

export function exitCode(counts: Readonly<Record<Severity, number>>, strict: boolean): ExitCode {
  if (counts.error > 0) return EXIT.errors;
  if (counts.warning > 0 || (strict && counts.unknown > 0)) return EXIT.warnings;
  return EXIT.ok;
}
