// One writer for the three bins' stdout and stderr. Writes go straight to the
// file descriptor (touching process.stdout builds a stream, and loads net or
// tty for it: 1-2 ms that every service start would pay for one line). Two
// cases a plain writeSync loop gets wrong:
// - a full non-blocking pipe (EAGAIN): the rest, and everything after it, goes
//   to a stream that waits for the reader (libuv's poll), never a busy loop;
// - a reader that went away (EPIPE, `| head -1`): the output is dropped
//   silently, and the command's exit code stands;
// - any other error (ENOSPC on /dev/full or a full disk, EIO): the output is
//   dropped and the error kept in `error`, never thrown from a write (a throw
//   from the error path would print a second error or a stack trace); the bin
//   then says so in one line (io.ts, finishOutput).
// A blocking pipe that is full holds writeSync, and the thread with it (no
// signal listener runs): ownDescription() ends that where a signal must be heard.
import { constants, fstatSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';

export interface FdWriter {
  /** Write all of `text`, now or (on a full pipe) as soon as the reader takes it. */
  write(text: string): void;
  /** Resolves when everything written has reached the descriptor (or was dropped on EPIPE). */
  flush(): Promise<void>;
  /**
   * From now on no write to a pipe or FIFO waits in the kernel: writes go to a description of its own on the same
   * pipe (/proc/self/fd/N opened again, non-blocking), so what a full pipe cannot take at once waits in the event
   * loop (the stream, loaded only then) and signal listeners run. The description the process was given, shared
   * with the pipe's other writers, keeps its flags (a SIGKILL leaves nothing changed). A file, a terminal or a
   * socket (the journal's: it cannot be opened again) is written as before. Two syscalls; no module loaded.
   * True when writes now go to a pipe's own description.
   */
  ownDescription(): boolean;
  /** True once the reader went away or a write failed: later writes are dropped. */
  readonly closed: boolean;
  /** The error that ended the output, other than a reader going away (EPIPE); undefined while all is well. */
  readonly error: NodeJS.ErrnoException | undefined;
}

/** The stream that takes over a full pipe: process.stdout/stderr for 1 and 2, else a socket on the fd. */
async function streamFor(fd: number): Promise<Writable> {
  if (fd === 1) return process.stdout;
  if (fd === 2) return process.stderr;
  // A pipe or FIFO: net.Socket polls it for writability (loaded only when a pipe is full).
  const { Socket } = await import('node:net');
  return new Socket({ fd, readable: false, writable: true });
}

export function fdWriter(fd: number, makeStream: (fd: number) => Promise<Writable> = streamFor): FdWriter {
  let stream: Promise<Writable> | undefined;
  // Where writes go: `fd`, or once ownDescription() has opened it, the pipe's own non-blocking description.
  let target = fd;
  let closed = false;
  let failure: NodeJS.ErrnoException | undefined;
  let pending = Promise.resolve();
  const fail = (error: NodeJS.ErrnoException): void => {
    closed = true;
    if (error.code !== 'EPIPE') failure ??= error;
  };

  const toStream = (buffer: Buffer): void => {
    stream ??= makeStream(target).then((created) => created.on('error', fail));
    const made = stream;
    pending = pending.then(async () => {
      const writable = await made;
      await new Promise<void>((resolve) => {
        if (closed) resolve();
        else writable.write(buffer, () => resolve());
      });
    });
  };

  return {
    get closed() {
      return closed;
    },
    get error() {
      return failure;
    },
    write(text: string): void {
      if (closed || text === '') return;
      let buffer = Buffer.from(text);
      if (stream !== undefined) {
        toStream(buffer); // keep the order: once queued, always queued
        return;
      }
      while (buffer.length > 0) {
        let written: number;
        try {
          written = writeSync(target, buffer);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') {
            toStream(buffer);
            return;
          }
          fail(error as NodeJS.ErrnoException);
          return;
        }
        if (written <= 0) {
          toStream(buffer);
          return;
        }
        buffer = buffer.subarray(written);
      }
    },
    flush: () => pending,
    ownDescription: () => {
      if (target !== fd) return true;
      if (closed || stream !== undefined) return false;
      try {
        if (!fstatSync(fd).isFIFO()) return false;
        // A new open file description of the same pipe (close-on-exec, as every open of Node's); it closes with the process.
        target = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK);
        return true;
      } catch {
        // No /proc, a pipe this user may not open, a FIFO whose reader has gone (ENXIO): written as before.
        return false;
      }
    },
  };
}
