// A registry file must be UTF-8: decoding other bytes would silently turn
// them into U+FFFD (a Latin-1 "Café" in a note becomes "Caf�" on the
// reference page). The check is Node's native isUtf8; only a failing file is
// walked byte by byte to say where.
import { isUtf8 } from 'node:buffer';
import { describeArgument, integerArgument, stringArgument } from './arguments.js';
import type { RegistryIssue } from './errors.js';

/** The offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const extra = lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : 0;
    if (extra === 0) return i;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const [low, high] =
      lead === 0xe0 ? [0xa0, 0xbf] : lead === 0xed ? [0x80, 0x9f] : lead === 0xf0 ? [0x90, 0xbf] : lead === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    const second = bytes[i + 1];
    if (second === undefined || second < low || second > high) return i;
    for (let k = 2; k <= extra; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
    }
    i += extra + 1;
  }
  return -1;
}

/**
 * Bytes from outside (a process's argv, comm, executable path or cgroup) as text: UTF-8, with each byte
 * of an invalid sequence kept as the lone surrogate U+DC80+byte (Python's
 * "surrogateescape"), which escapeText shows as `\xNN`, where decoding with
 * Buffer#toString would turn every one into the same U+FFFD.
 */
export function decodeKeepingBadBytes(input: Uint8Array): string {
  if (!(input instanceof Uint8Array)) throw new TypeError(`decodeKeepingBadBytes: bytes must be a Buffer or Uint8Array, not ${describeArgument(input)}`);
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let text = '';
  let rest = bytes;
  for (let bad = firstInvalidUtf8(rest); bad >= 0; bad = firstInvalidUtf8(rest)) {
    text += rest.subarray(0, bad).toString('utf8') + String.fromCharCode(0xdc00 + rest[bad]!);
    rest = rest.subarray(bad + 1);
  }
  return text + rest.toString('utf8');
}

/** A byte decodeKeepingBadBytes kept: a lone U+DC80-U+DCFF (not the second half of a pair). */
const KEPT_BYTE = /(?<![\ud800-\udbff])[\udc80-\udcff]/;
const KEPT_BYTES = new RegExp(KEPT_BYTE.source, 'g');

/** Whether `text` holds a byte decodeKeepingBadBytes kept (it was read from bytes that are not UTF-8). */
export function hasKeptBadBytes(text: string): boolean {
  return KEPT_BYTE.test(text);
}

/**
 * decodeKeepingBadBytes undone: the bytes `text` was read from, each lone
 * U+DC80+byte back to its byte, the rest UTF-8. A lone surrogate is no
 * character and no UTF-8 name holds one, so this never names another file.
 */
export function encodeKeepingBadBytes(text: string): Buffer {
  if (typeof text !== 'string') throw new TypeError(`encodeKeepingBadBytes: text must be a string, not ${describeArgument(text)}`);
  const parts: Buffer[] = [];
  let start = 0;
  for (const { index } of text.matchAll(KEPT_BYTES)) {
    parts.push(Buffer.from(text.slice(start, index), 'utf8'), Buffer.of(text.charCodeAt(index) - 0xdc00));
    start = index + 1;
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/**
 * A byte an escape wrote (`\xNN`, `\NNN`: a unit file's C escapes, a unit name's, a Redis quoted string's, lsof's
 * name), as the text reading it keeps it: below 0x80 its ASCII character, above a kept byte (U+DC80+byte), which
 * joinKeptBytes then joins into the character its neighbours make with it (`\xc3\xa9` is `é`, not `Ã©`); alone, it
 * stays a byte, shown `\xe9` by escapeText and opened as that byte by fileSystemPath.
 */
export function escapedByte(byte: number): string {
  integerArgument('escapedByte', 'byte', byte, 0, 255, 'a byte (an integer from 0 to 255)');
  return String.fromCharCode(byte < 0x80 ? byte : 0xdc00 + byte);
}

/** `text` with its kept bytes (escapedByte, decodeKeepingBadBytes) that form UTF-8 read as those characters; the rest kept. */
export function joinKeptBytes(text: string): string {
  stringArgument('joinKeptBytes', 'text', text);
  return KEPT_BYTE.test(text) ? decodeKeepingBadBytes(encodeKeepingBadBytes(text)) : text;
}

/**
 * A path as fs opens it: the string itself, or, when it holds bytes that are
 * not UTF-8 kept by decodeKeepingBadBytes (a --registry path read back from
 * /proc/self/cmdline), those bytes; Node would encode each as U+FFFD's three.
 */
export function fileSystemPath(path: string): string | Buffer {
  stringArgument('fileSystemPath', 'path', path);
  return KEPT_BYTE.test(path) ? encodeKeepingBadBytes(path) : path;
}

/** Undefined for UTF-8 text; else one issue at the first bad byte's line and column. */
export function utf8Problem(bytes: Buffer): RegistryIssue | undefined {
  if (isUtf8(bytes)) return undefined;
  const offset = firstInvalidUtf8(bytes);
  if (offset < 0) return undefined;
  // Lines as YAML 1.2 counts them, and so every other issue's: CR LF, LF, and a lone CR (an old Mac file) each end one.
  let line = 1;
  let lineStart = 0;
  for (let at = 0; at < offset; at++) {
    const byte = bytes[at];
    if (byte === 0x0a || (byte === 0x0d && bytes[at + 1] !== 0x0a)) {
      line++;
      lineStart = at + 1;
    }
  }
  // In UTF-16 code units, as yaml counts the columns of every other issue.
  const column = bytes.subarray(lineStart, offset).toString('utf8').length + 1;
  const hex = bytes[offset]!.toString(16).padStart(2, '0');
  return { path: '', message: `the file is not UTF-8 text (byte 0x${hex}); save it as UTF-8`, line, column };
}
