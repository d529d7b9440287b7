// Pure: the exit code of a claim. 0 when the port is free at exit (a dry run:
// free, or would be freed); 1 when it is not. Usage errors (2) never get here.
import type { ClaimAction } from './result.js';

export const EXIT_FREE = 0;
export const EXIT_NOT_FREE = 1;
export const EXIT_USAGE = 2;

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
