// What a command's main() gets instead of process: where to print, the
// environment, and whether stdout is a terminal. Tests pass their own (see
// test-support/cli.ts) and call main() in-process; the bins pass processIo().
import { fstatSync } from 'node:fs';
import { fdWriter } from './write.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal (colour may be used); false when not given. */
  readonly stdoutIsTTY?: boolean;
}

/** A terminal, without loading node:tty (and with it net and stream): a TTY is a character device that is not /dev/null. */
function isTerminal(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    // /dev/null is a character device too (1, 3).
    return stat.isCharacterDevice() && !((stat.rdev === 259) /* makedev(1, 3) */);
  } catch {
    return false;
  }
}

/** The real stdout and stderr, through the one writer (back-pressure and EPIPE handled). */
export function processIo(): Io & { flush(): Promise<void> } {
  const out = fdWriter(1);
  const err = fdWriter(2);
  return {
    out: (text) => out.write(text),
    err: (text) => err.write(text),
    get stdoutIsTTY() {
      return isTerminal(1);
    },
    flush: async () => {
      await Promise.all([out.flush(), err.flush()]);
    },
  };
}
