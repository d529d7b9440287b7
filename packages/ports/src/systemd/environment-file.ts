// EnvironmentFile= as systemd 252 reads it (systemd.exec(5); src/basic/env-file.c,
// load_env_file(); src/core/execute.c, exec_context_load_environment()):
// - `KEY=VALUE` lines; white space around the key and before the value is
//   dropped, and after an unquoted value too;
// - `#` or `;` starts a comment only where a key could start (a line's first
//   non-blank character); a backslash in a comment escapes the next
//   character, so a comment ending in one goes on over the next line;
// - a value that starts with `'` or `"` is quoted: single quotes keep
//   everything, double quotes unescape `\"`, `\\`, `` \` `` and `\$`, keep the
//   backslash before anything else, and drop a backslash-newline; quotes
//   inside an unquoted value are plain characters;
// - outside quotes a backslash keeps the next character, and a
//   backslash-newline continues the value on the next line;
// - a line without `=` is dropped; a key that is not a variable name
//   (`export PORT`, `1X`) is dropped with a log line, the rest of the file
//   still applies; `$VAR` in a value is not expanded;
// - a NUL byte anywhere, or invalid UTF-8 in a key or value, makes systemd
//   refuse the whole file (its `-` prefix then ignores it, else the service
//   does not start); to systemd's UTF-8 check (src/basic/utf8.c,
//   unichar_is_valid()) a Unicode noncharacter (U+FDD0..U+FDEF, and U+FFFE and
//   U+FFFF of every plane) is invalid too, though it is well-formed UTF-8.
// Pure: bytes in, assignments out with the line each key starts on.
import { isUtf8 } from 'node:buffer';
import { describeArgument } from '../arguments.js';
import { NONCHARACTERS, NONCHARACTERS_BEYOND_BMP } from '../characters.js';

/** The largest EnvironmentFile= the health check reads: one larger is unread (its variables unknown), never cut short. */
export const MAX_ENVIRONMENT_FILE_BYTES = 1024 * 1024;

export interface EnvironmentFileAssignment {
  readonly name: string;
  readonly value: string;
  /** 1-based line the key starts on. */
  readonly line: number;
}

export interface ParsedEnvironmentFile {
  /** The assignments systemd applies, in file order (a later one of a name wins). */
  readonly assignments: readonly EnvironmentFileAssignment[];
  /** Keys systemd drops because they are not variable names (`export PORT`), with their lines. */
  readonly ignored: readonly { readonly key: string; readonly line: number }[];
  /** Why systemd refuses the whole file (none of its assignments apply). */
  readonly error?: string;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const BACKSLASH = 0x5c;
const isNewline = (c: number) => c === LF || c === CR;
const isWhitespace = (c: number) => c === SPACE || c === TAB || c === LF || c === CR;
/** SHELL_NEED_ESCAPE: what `\` unescapes inside double quotes. */
const isShellEscaped = (c: number) => c === 0x22 || c === BACKSLASH || c === 0x60 || c === 0x24;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * The 66 code points systemd's utf8_is_valid() refuses in well-formed UTF-8
 * (exactly Unicode's noncharacters). Listed, not \p{Noncharacter_Code_Point}:
 * making that one cost 0.7 ms at every start of the health check (Node 20).
 */
const NONCHARACTER = new RegExp(`[${NONCHARACTERS}${NONCHARACTERS_BEYOND_BMP}]`, 'u');

/** Why systemd's utf8_is_valid() refuses `bytes`, or undefined when it accepts them. */
function utf8Problem(bytes: Buffer): string | undefined {
  if (!isUtf8(bytes)) return 'invalid UTF-8';
  const noncharacter = NONCHARACTER.exec(bytes.toString('utf8'))?.[0];
  if (noncharacter === undefined) return undefined;
  const code = noncharacter.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `the noncharacter U+${code} (invalid UTF-8 to systemd)`;
}

type State = 'preKey' | 'key' | 'preValue' | 'value' | 'valueEscape' | 'single' | 'double' | 'doubleEscape' | 'comment' | 'commentEscape';

/** parse_env_file_internal() with load_env_file()'s checks, over a file's bytes. */
export function parseEnvironmentFile(bytes: Uint8Array): ParsedEnvironmentFile {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`parseEnvironmentFile: bytes must be a Buffer or Uint8Array, not ${describeArgument(bytes)}`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { assignments: [], ignored: [], error: `it holds a NUL byte (line ${lineAt(bytes, nul)}), and systemd refuses such a file` };
  const assignments: EnvironmentFileAssignment[] = [];
  const ignored: { key: string; line: number }[] = [];
  let error: string | undefined;
  let state: State = 'preKey';
  let line = 1;
  let keyLine = 1;
  let key: number[] = [];
  let value: number[] = [];
  let lastKeyWhitespace = -1;
  let lastValueWhitespace = -1;

  const push = (): void => {
    if (error !== undefined) return;
    const keyBytes = Buffer.from(lastKeyWhitespace >= 0 ? key.slice(0, lastKeyWhitespace) : key);
    const valueBytes = Buffer.from(value);
    const keyProblem = utf8Problem(keyBytes);
    const valueProblem = keyProblem === undefined ? utf8Problem(valueBytes) : undefined;
    if (keyProblem !== undefined) error = `line ${keyLine} has ${keyProblem} in its key, and systemd refuses such a file`;
    else if (valueProblem !== undefined)
      error = `line ${keyLine} has ${valueProblem} in the value of ${keyBytes.toString('utf8')}, and systemd refuses such a file`;
    else {
      const name = keyBytes.toString('utf8');
      if (NAME.test(name)) assignments.push({ name, value: valueBytes.toString('utf8'), line: keyLine });
      else ignored.push({ key: name, line: keyLine });
    }
    key = [];
    value = [];
  };

  for (let index = 0; index < bytes.length; index++) {
    const c = bytes[index]!;
    switch (state) {
      case 'preKey':
        if (c === 0x23 || c === 0x3b) state = 'comment';
        else if (!isWhitespace(c)) {
          state = 'key';
          lastKeyWhitespace = -1;
          keyLine = line;
          key.push(c);
        }
        break;
      case 'key':
        if (isNewline(c)) {
          state = 'preKey';
          key = [];
        } else if (c === 0x3d) {
          state = 'preValue';
          lastValueWhitespace = -1;
        } else {
          if (!isWhitespace(c)) lastKeyWhitespace = -1;
          else if (lastKeyWhitespace < 0) lastKeyWhitespace = key.length;
          key.push(c);
        }
        break;
      case 'preValue':
        if (isNewline(c)) {
          state = 'preKey';
          push();
        } else if (c === 0x27) state = 'single';
        else if (c === 0x22) state = 'double';
        else if (c === BACKSLASH) state = 'valueEscape';
        else if (!isWhitespace(c)) {
          state = 'value';
          value.push(c);
        }
        break;
      case 'value':
        if (isNewline(c)) {
          state = 'preKey';
          if (lastValueWhitespace >= 0) value.length = lastValueWhitespace;
          push();
        } else if (c === BACKSLASH) {
          state = 'valueEscape';
          lastValueWhitespace = -1;
        } else {
          if (!isWhitespace(c)) lastValueWhitespace = -1;
          else if (lastValueWhitespace < 0) lastValueWhitespace = value.length;
          value.push(c);
        }
        break;
      case 'valueEscape':
        state = 'value';
        // A backslash-newline is eaten whole: the value goes on over the next line.
        if (!isNewline(c)) value.push(c);
        break;
      case 'single':
        if (c === 0x27) state = 'preValue';
        else value.push(c);
        break;
      case 'double':
        if (c === 0x22) state = 'preValue';
        else if (c === BACKSLASH) state = 'doubleEscape';
        else value.push(c);
        break;
      case 'doubleEscape':
        state = 'double';
        if (isShellEscaped(c)) value.push(c);
        else if (c !== LF) value.push(BACKSLASH, c);
        break;
      case 'comment':
        if (c === BACKSLASH) state = 'commentEscape';
        else if (isNewline(c)) state = 'preKey';
        break;
      case 'commentEscape':
        state = 'comment';
        break;
    }
    if (c === LF) line++;
  }
  // The file ends inside a value (no final newline, or an open quote): it is set all the same.
  if (state === 'preValue' || state === 'value' || state === 'valueEscape' || state === 'single' || state === 'double' || state === 'doubleEscape') {
    if (state === 'value' && lastValueWhitespace >= 0) value.length = lastValueWhitespace;
    push();
  }
  return error !== undefined ? { assignments: [], ignored: [], error } : { assignments, ignored };
}

/** The 1-based line of byte `offset`. */
function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset; index++) if (bytes[index] === LF) line++;
  return line;
}
