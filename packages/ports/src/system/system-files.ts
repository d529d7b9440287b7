// The files the system readers read (/proc, /proc/sys, /etc/passwd), through
// the bounded reader of files/read.ts: a FIFO, device, socket or directory
// where a file is expected (a procRoot laid out by hand, a link to /dev/zero)
// is refused at once, never read until it ends (a FIFO never does, /dev/zero
// never ends), and no read goes past a limit (src/limits.ts). procfs files
// are regular files whose size says 0: read to their end, with the system
// calls readFileSync made (open, fstat, read, close), or without the fstat
// under the real /proc (see readProcText).
import { readSystemFileBytes } from '../files/read.js';
import { MAX_PROC_FILE_BYTES } from '../limits.js';

/**
 * `file` under `procRoot` (`net/sockstat`, `${pid}/stat`). Under the real /proc the files these
 * readers name are the kernel's, regular files whatever happens, and are read without the fstat
 * that refuses a FIFO or device (about 2.4 µs a file; a snapshot reads three for each holder);
 * under any other procRoot (a test's tree, /proc/PID) each is checked. Every open is
 * O_NONBLOCK and every read bounded, checked or not. FileReadError when it cannot be read.
 */
export function readProcBytes(procRoot: string, file: string, maxBytes = MAX_PROC_FILE_BYTES): Buffer {
  return readSystemFileBytes(`${procRoot}/${file}`, maxBytes, procRoot === '/proc');
}

/** readProcBytes as latin1 text (each byte one character, NULs kept). */
export function readProcText(procRoot: string, file: string, maxBytes = MAX_PROC_FILE_BYTES): string {
  return readProcBytes(procRoot, file, maxBytes).toString('latin1');
}

/** readProcText, or undefined when the file cannot be read (missing, gone, not a regular file, too large). */
export function tryReadProcText(procRoot: string, file: string, maxBytes = MAX_PROC_FILE_BYTES): string | undefined {
  try {
    return readProcText(procRoot, file, maxBytes);
  } catch {
    return undefined;
  }
}

/** A file at any path a program chose (the ephemeral range's, /etc/passwd) as latin1 text, always checked to be a regular file; undefined when it cannot be read. */
export function tryReadSystemText(path: string, maxBytes = MAX_PROC_FILE_BYTES): string | undefined {
  try {
    return readSystemFileBytes(path, maxBytes).toString('latin1');
  } catch {
    return undefined;
  }
}
