// What a command says to do about a file it could not read, where the remedy is the
// same whatever the file is for: each failure of the system, not of the file, with its own.
import { describe, expect, it } from 'vitest';
import { FileReadError } from '../../src/files/read.js';
import { readFailureAdvice } from '../../src/cli/read-advice.js';

describe('readFailureAdvice', () => {
  it('says what to do for a path that cannot be followed, a failing disk, and a system out of files or memory', () => {
    const advice = (code: string) => readFailureAdvice(new FileReadError('/x', 'io', 'reason', code));
    expect(advice('ELOOP')).toBe('check the path');
    expect(advice('ENAMETOOLONG')).toBe('check the path');
    expect(advice('EIO')).toBe('check the disk it is on (dmesg shows the error), then run again');
    expect(advice('ENFILE')).toBe('close programs that hold many files open, or raise fs.file-max, then run again');
    expect(advice('ENOMEM')).toBe('free some memory, then run again');
  });

  it('leaves the rest to the command (what the file is for decides) or to the reason, which says it already', () => {
    expect(readFailureAdvice(new FileReadError('/x', 'too-large', 'it is larger than 4 MiB'))).toBeUndefined();
    expect(readFailureAdvice(new FileReadError('/x', 'denied', 'permission denied', 'EACCES'))).toBeUndefined();
    expect(readFailureAdvice(new FileReadError('/x', 'io', 'too many open files in this process (EMFILE): raise its limit', 'EMFILE'))).toBeUndefined();
  });
});
