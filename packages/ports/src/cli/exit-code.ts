// The `ports` command's exit-code policy, in one screen:
//   0  done; the check passed
//   1  the check or validation failed, or the thing asked for does not exist or
//      cannot be done (unknown id, bad override, range full, stale docs,
//      drifted unit files, invalid or unreadable registry, missing marker,
//      an installed registry parser that is broken)
//  64  usage error (EX_USAGE, as in claim-port and port-health-check): unknown
//      command or option, missing or extra argument
import { EXIT_USAGE, workingDirectoryGone } from '../cli-kit/conventions.js';
import { PortsError, RegistryError } from '../index.js';
import { isParserNotInstalled } from '../parser-file.js';
import { MarkerError } from '../render/splice.js';

export type Outcome = 'ok' | 'failed' | 'usage';

/** A mistake in the command line: printed with a pointer to --help, exit 64. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An expected failure the command reports in one line (file missing, port range full, ...). */
export class CommandError extends Error {
  override name = 'CommandError';
}

export function exitCode(outcome: Outcome): 0 | 1 | typeof EXIT_USAGE {
  switch (outcome) {
    case 'ok':
      return 0;
    case 'failed':
      return 1;
    case 'usage':
      return EXIT_USAGE;
  }
}

/** How a thrown error ends the command; `expected` is false for bugs (printed with their stack). */
export function outcomeOfError(error: unknown): { outcome: Outcome; expected: boolean } {
  if (error instanceof UsageError) return { outcome: 'usage', expected: true };
  // The installed parser broken (parser-file.ts): one line saying what to reinstall; ports could not run.
  if (
    error instanceof RegistryError ||
    error instanceof PortsError ||
    error instanceof MarkerError ||
    error instanceof CommandError ||
    isParserNotInstalled(error) ||
    workingDirectoryGone(error) !== undefined
  ) {
    return { outcome: 'failed', expected: true };
  }
  return { outcome: 'failed', expected: false };
}
