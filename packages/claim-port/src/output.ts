// Writing to stdout and stderr straight to the file descriptors. Touching
// process.stdout or process.stderr builds a stream object (and loads net or
// tty for it): about 1-2 ms that every service start would pay for one line.
import { writeSync } from 'node:fs';

function writeAll(fd: number, text: string): void {
  let buffer = Buffer.from(text);
  while (buffer.length > 0) {
    try {
      const written = writeSync(fd, buffer);
      if (written <= 0) return; // never spin on a descriptor that takes nothing
      buffer = buffer.subarray(written);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // a non-blocking pipe that is full: try again
      return; // EPIPE and the like: the reader is gone; nothing useful to do
    }
  }
}

export const out = (text: string): void => writeAll(1, text);
export const err = (text: string): void => writeAll(2, text);
