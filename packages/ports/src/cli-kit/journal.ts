// Log levels for the journal. Under systemd a unit's stderr is a stream to
// journald, which stores every line as priority 6 (info) unless the line starts
// with a kernel-style level, `<3>` (SD_ERR, sd-daemon(3)); journald strips that
// prefix and keeps the level (SyslogLevelPrefix=, on by default,
// systemd.exec(5)). So `journalctl -p err` and alerts on priority see a refused
// claim only when its line carries `<3>`.
//
// The prefix is written only where stderr really is that stream: systemd sets
// $JOURNAL_STREAM to the stream's "DEVICE:INODE" (decimal), and a process whose
// stderr was redirected elsewhere (`claim-port 6379 2>log`, a pipe) still
// inherits the variable, so the fstat of fd 2 must match it (systemd.exec(5),
// $JOURNAL_STREAM). Pure functions here; processIo (io.ts) does the one fstat.
//
// The level is the writer's to give, with each line: a command knows whether
// a line is its failure, a warning or progress; the text does not say so
// reliably (`FILE:LINE:COL: warning: ...`, the summary of a failed check).

/** How much a stderr line matters; a level of syslog(3): error 3, warn 4, notice 5, info 6. */
export type Severity = 'error' | 'warn' | 'notice' | 'info';

const LEVEL: Readonly<Record<Severity, string>> = { error: '<3>', warn: '<4>', notice: '<5>', info: '<6>' };

/** The device and inode of a file descriptor (fstat's, as bigint: an inode may exceed 2^53). */
export interface StreamId {
  readonly dev: bigint;
  readonly ino: bigint;
}

/**
 * Whether stderr (or stdout: the same test with fd 1's fstat) is the journal:
 * `journalStream` ($JOURNAL_STREAM) is "DEVICE:INODE" in decimal and names
 * `stderr` (the descriptor's fstat; undefined when it could not be read).
 * Anything else (unset, empty, malformed, another stream) is false: no prefix.
 * Under a unit whose stdout and stderr both go to the journal (the default)
 * they are one stream, which the variable names.
 */
export function isJournalStream(journalStream: string | undefined, stderr: StreamId | undefined): boolean {
  if (stderr === undefined || journalStream === undefined) return false;
  const match = /^(\d{1,20}):(\d{1,20})$/.exec(journalStream);
  return match !== null && BigInt(match[1]!) === stderr.dev && BigInt(match[2]!) === stderr.ino;
}

/**
 * What adds the level to each line for the journal: called with each piece of
 * a stream in order, it returns the piece with `<N>` at the start of every line
 * (the first, and after each newline that more text follows), and nothing
 * inside a line, so no text in a message can make a level (values are escaped
 * to one line before they get here: oneLine, escapeText). A piece that goes on
 * with a line an earlier piece began gets no prefix there. A piece without a
 * severity (stdout's JSON or metrics, a document for a program) is left as it
 * is, and journald stores its lines as info.
 */
export function journalLines(): (text: string, severity: Severity | undefined) => string {
  let atLineStart = true;
  return (text, severity) => {
    if (text === '') return text;
    if (severity === undefined) {
      atLineStart = text.endsWith('\n');
      return text;
    }
    const level = LEVEL[severity];
    let result = '';
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf('\n', start);
      const stop = end < 0 ? text.length : end + 1;
      if (atLineStart) result += level;
      result += text.slice(start, stop);
      atLineStart = end >= 0;
      start = stop;
    }
    return result;
  };
}
