// The command's arguments as the kernel gave them. Node decodes argv as UTF-8
// and turns each byte that is not UTF-8 into U+FFFD, so `--registry
// /etc/dsa110/p\xffrts.yaml` would name no file (or another one, whose name
// holds a real U+FFFD), and claim-port, root in ExecStartPre=+, would drop the
// operator's protections for its built-in list. /proc/self/cmdline still holds
// the bytes: an argument with U+FFFD in it is read back from there, each byte
// that is not UTF-8 kept as U+DC80+byte (decodeKeepingBadBytes), which the
// registry reader opens as that byte and every message prints as `\xff`.
import { readFileSync } from 'node:fs';
import { decodeKeepingBadBytes } from '@dsa110/ports/system';

export interface CommandLine {
  /** The arguments after the script, with the bytes of those Node could not decode read back. */
  readonly argv: readonly string[];
  /**
   * An argument held bytes that are not UTF-8 and they could not be read back
   * (no /proc, or a cmdline that no longer matches): each U+FFFD in `argv` may
   * stand for any bytes, so a path holding one must not be opened.
   */
  readonly bytesLost: boolean;
}

const REPLACEMENT = '\uFFFD';

/**
 * Pure: `args` (process.argv after node and the script), each argument holding
 * U+FFFD replaced by its bytes from `cmdline` (/proc/self/cmdline: every word
 * of the process's argv, each ended by a NUL); `bytesLost` when they cannot be
 * matched. The script's arguments are cmdline's last words: node's options and
 * the script come before them, and process.execArgv does not count all of
 * those (`node -- bin` has no `--` in it; a single-executable app has no
 * script word), so they are counted from the end, and each word must decode
 * to exactly what Node gave, or nothing is taken from cmdline.
 */
export function recoverArguments(args: readonly string[], cmdline: Buffer | undefined): CommandLine {
  if (!args.some((arg) => arg.includes(REPLACEMENT))) return { argv: args, bytesLost: false };
  const words = cmdline === undefined ? undefined : nulSeparated(cmdline);
  if (words === undefined || words.length < args.length + 1) return { argv: args, bytesLost: true };
  const own = words.slice(words.length - args.length);
  if (own.some((word, index) => word.toString('utf8') !== args[index])) return { argv: args, bytesLost: true };
  return { argv: args.map((arg, index) => (arg.includes(REPLACEMENT) ? decodeKeepingBadBytes(own[index]!) : arg)), bytesLost: false };
}

/** The words of a cmdline, or undefined when it is not one (empty, or not ended by a NUL: a process that rewrote its argv area). */
function nulSeparated(bytes: Buffer): Buffer[] | undefined {
  if (bytes.length === 0 || bytes[bytes.length - 1] !== 0) return undefined;
  const words: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    const end = bytes.indexOf(0, start);
    words.push(bytes.subarray(start, end));
    start = end + 1;
  }
  return words;
}

/** This process's arguments (recoverArguments); /proc/self/cmdline is read only when an argument holds U+FFFD. */
export function commandLine(argv: readonly string[] = process.argv): CommandLine {
  const args = argv.slice(2);
  if (!args.some((arg) => arg.includes(REPLACEMENT))) return { argv: args, bytesLost: false };
  let cmdline: Buffer | undefined;
  try {
    cmdline = readFileSync('/proc/self/cmdline');
  } catch {
    cmdline = undefined; // no /proc (macOS): the bytes are lost
  }
  return recoverArguments(args, cmdline);
}
