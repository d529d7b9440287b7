// What to do about a file a command could not read, for the failures whose
// remedy is the same whatever the file is for: the links on its path, the
// disk, the system's limits. A command adds its own advice for a file that is
// missing, unreadable to this user, not a regular file or too large, which
// depends on what the file is (a page, a unit file, the registry).
import type { FileReadError } from '../files/read.js';

/** The advice for `error` when it is one of those; undefined otherwise, or when its reason says it already (EMFILE, a path that changed). */
export function readFailureAdvice(error: FileReadError): string | undefined {
  if (error.kind !== 'io') return undefined;
  switch (error.code) {
    case 'ELOOP':
    case 'ENAMETOOLONG':
      return 'check the path';
    case 'EIO':
      return 'check the disk it is on (dmesg shows the error), then run again';
    case 'ENFILE':
      return 'close programs that hold many files open, or raise fs.file-max, then run again';
    case 'ENOMEM':
      return 'free some memory, then run again';
    default:
      return undefined;
  }
}
