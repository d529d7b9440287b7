// What a command's main() gets instead of process: where to print, the
// environment, and whether stdout is a terminal. Tests pass their own (see
// test-support/cli.ts) and call main() in-process; the bins pass processIo().
import { fstatSync } from 'node:fs';
import { envObjectArgument } from '../arguments.js';
import { holdingTempSignals } from '../files/temp-files.js';
import { isJournalStream, journalLines, type Severity, type StreamId } from './journal.js';
import { fdWriter } from './write.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface Io {
  /**
   * Text for stdout; with a severity, lines for people whose level the journal
   * should keep (a health check's problem lines): where stdout is the journal,
   * each line starts with its level, as on stderr. Without one (a document
   * for a program: JSON, metrics), the text is written as it is.
   */
  out(text: string, severity?: Severity): void;
  /**
   * A line (or lines) for stderr, and how much it matters, said by the caller
   * (never guessed from the text): where stderr is the journal, each line
   * starts with its level (journal.ts). Escape values before they get here.
   */
  err(text: string, severity: Severity): void;
  /** stdout is a terminal (colour may be used); false when not given. */
  readonly stdoutIsTTY?: boolean;
  /**
   * What the command changed besides printing (`it wrote 4 files under /srv/units`), in a clause: the
   * lines on stdout that say so are lost when stdout cannot be written, so finishOutput says it again.
   */
  done?(text: string): void;
  /**
   * From now on no write to a pipe holds the thread when the pipe is full (nobody reads it): it waits in the
   * event loop, so signal listeners run (claim-port's, while it claims). The bins' io only (FdWriter.ownDescription).
   */
  neverBlock?(): void;
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

/** The bins' io: the real stdout and stderr. */
export interface ProcessIo extends Io {
  /** Resolves when everything written has reached its descriptor (or was dropped). */
  flush(): Promise<void>;
  /** Why stdout could not be written (a full disk, an I/O error), once it failed; a reader that went away is not a failure. */
  readonly outError: NodeJS.ErrnoException | undefined;
  /**
   * The same of stderr. Nothing can say so; it matters only to a command whose answer is its stderr
   * (claim-port --test without --json), which then exits 1, as a command whose stdout failed does.
   */
  readonly errError: NodeJS.ErrnoException | undefined;
  /** What the command said it changed (done()), in order. */
  readonly changes: readonly string[];
}

/** A descriptor's device and inode, or undefined when it is closed. */
function streamId(fd: 1 | 2): StreamId | undefined {
  try {
    const { dev, ino } = fstatSync(fd, { bigint: true });
    return { dev, ino };
  } catch {
    return undefined;
  }
}

/**
 * The real stdout and stderr, through the one writer (back-pressure and EPIPE
 * handled). When stderr is the journal ($JOURNAL_STREAM names fd 2; one fstat,
 * only when the variable is set), each stderr line carries its level, `<3>`
 * for an error (journal.ts); when stdout is (fd 1, as under a unit by
 * default), each line written with a severity does too, the rest as given.
 */
export function processIo(env: Env = process.env): ProcessIo {
  envObjectArgument('processIo', 'env', env);
  const out = fdWriter(1);
  let err = fdWriter(2);
  const journal = env.JOURNAL_STREAM;
  const levelledErr = journal && isJournalStream(journal, streamId(2)) ? journalLines() : undefined;
  const levelledOut = journal && isJournalStream(journal, streamId(1)) ? journalLines() : undefined;
  const done: string[] = [];
  return {
    done: (text) => void done.push(text),
    get changes() {
      return done;
    },
    out: (text, severity) => out.write(levelledOut ? levelledOut(text, severity) : text),
    err: (text, severity) => err.write(levelledErr ? levelledErr(text, severity) : text),
    get stdoutIsTTY() {
      return isTerminal(1);
    },
    neverBlock: () => {
      const piped = out.ownDescription();
      const [outId, errId] = [streamId(1), streamId(2)];
      // One pipe for both (2>&1): one description and one queue, so that the lines keep their order when it is full.
      if (piped && outId !== undefined && errId !== undefined && outId.dev === errId.dev && outId.ino === errId.ino) err = out;
      else err.ownDescription();
    },
    get outError() {
      return out.error;
    },
    get errError() {
      return err.error;
    },
    flush: async () => {
      await Promise.all([out.flush(), err.flush()]);
    },
  };
}

/** Words for a failed write to stdout. */
function writeProblem(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EIO':
      return 'input/output error';
    case 'EBADF':
      return 'it is not open for writing';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EFBIG':
      return 'the file is too large';
    default:
      return error.code ?? 'write failed';
  }
}

/**
 * The bin's last step, after main(): waits for the output, and when stdout
 * could not be written (`ports list > /dev/full`) says so in one line on
 * stderr, `PREFIX: cannot write to standard output: no space left on the
 * device` (PREFIX: the tool's own error prefix), with what the command changed
 * (done(): `ports systemd --out DIR > /dev/full` wrote its files, and the lines
 * naming them were lost), and returns `failed(code)`: each tool's policy (ports: 1 for a
 * success; the health check: 3; claim-port: its code, which says what became
 * of the port). A reader that went away (`| head -1`) is not a failure.
 */
export async function finishOutput(io: ProcessIo, prefix: string, code: number, failed: (code: number) => number): Promise<number> {
  await io.flush();
  const error = io.outError;
  if (error === undefined) return code;
  const changed =
    io.changes.length === 0 ? '' : `; ${io.changes.join('; ')}, and what it printed of that was lost (run it again with stdout on a terminal or a file)`;
  io.err(`${prefix}: cannot write to standard output: ${writeProblem(error)}${changed}\n`, 'error');
  await io.flush();
  return failed(code);
}

/**
 * The bin's end, once finishOutput has written everything: exit with `code`
 * now (process.exit; 'exit' listeners still run, and the code cache entry is
 * written in one). Left to Node (process.exitCode), the process first ran
 * what V8 still had queued for a process that lives on, a scavenge of the
 * young generation posted once it is 80% full among them, then took its heap
 * apart: milliseconds after the last line, which a unit's ExecStartPre= waits
 * for. Measured as systemd runs the tools (interleaved, medians): claim-port
 * freeing an orphaned holder 108.6 against 105.0 ms (40 runs; `node -e 0`
 * 62.8 ms), the health check 86.5 against 85.1 ms (50 runs; 54.4 ms). While
 * a temp file's signal listener is still there (for two turns of the loop
 * after its rename: files/temp-files.ts), a signal may be waiting in the
 * loop's signal pipe, and must end the process once the file is in place:
 * Node ends it then, as before. Other listeners (claim-port's, which ignore a
 * signal once the claim has decided) stay until the exit.
 */
export function exitNow(code: number): void {
  if (holdingTempSignals()) process.exitCode = code;
  else process.exit(code);
}
