// Pure: claim-port's exit codes. 0 when the port is free at exit (a dry run:
// free, or would be freed); 1 when it is not. A usage error (bad option or
// port, unknown service id) is EXIT_USAGE of @dsa110/ports/cli (64), the same
// code in all three tools; the command decides that, not a claim's action.
import type { ClaimAction } from './result.js';

export const EXIT_FREE = 0;
export const EXIT_NOT_FREE = 1;

export function exitCode(action: ClaimAction): 0 | 1 {
  switch (action) {
    case 'already-free':
    case 'freed':
    case 'would-free':
      return EXIT_FREE;
    case 'refused':
    case 'failed':
      return EXIT_NOT_FREE;
  }
}
