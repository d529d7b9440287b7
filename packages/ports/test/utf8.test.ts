// A registry file must be UTF-8 text: other bytes are refused with the line
// and column of the first one, never decoded into U+FFFD.
import { writeFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { loadRegistry, RegistryError } from '../src/index.js';
import { decodeKeepingBadBytes, escapedByte, firstInvalidUtf8, joinKeptBytes } from '../src/utf8.js';
import { minimalRegistry, writeRegistry } from './helpers.js';

async function loadBytes(bytes: Buffer): Promise<{ error: unknown; path: string }> {
  const path = writeRegistry('');
  writeFileSync(path, bytes);
  const error = await loadRegistry({ path, env: {} }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return { error, path };
}

describe('a registry that is not UTF-8', () => {
  it('is refused at the first bad byte, with its line and column (was: loaded, the byte turned into U+FFFD)', async () => {
    // "Caf\xe9" as Latin-1 would write it, in the name of the second service.
    const text = minimalRegistry.replace('name: Redis', 'name: Café Rédis');
    const bytes = Buffer.from(text, 'latin1');
    const { error, path } = await loadBytes(bytes);
    expect(error).toBeInstanceOf(RegistryError);
    const line = text.split('\n').findIndex((row) => row.includes('Café')) + 1;
    expect((error as RegistryError).message).toBe(`${path}:${line}:14: the file is not UTF-8 text (byte 0xe9); save it as UTF-8`);
  });

  it('is refused when saved as UTF-16, at 1:1', async () => {
    const { error, path } = await loadBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(minimalRegistry, 'utf16le')]));
    expect((error as RegistryError).message).toBe(`${path}:1:1: the file is not UTF-8 text (byte 0xff); save it as UTF-8`);
  });

  it('counts the column as every issue does (UTF-16 code units, as yaml does) after multi-byte characters', async () => {
    const text = minimalRegistry.replace('name: Redis', 'name: Ré€😀');
    const bytes = Buffer.concat([
      Buffer.from(text.slice(0, text.indexOf('😀') + 2)),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from(text.slice(text.indexOf('😀') + 2)),
    ]);
    const { error } = await loadBytes(bytes);
    expect((error as RegistryError).issues[0]).toMatchObject({
      column: 4 + 'name: Ré€😀'.length + 1,
      message: 'the file is not UTF-8 text (byte 0xc0); save it as UTF-8',
    });
  });

  it('counts lines as YAML 1.2 and every other issue do (CR LF, LF, a lone CR): a bad byte and a NUL at the same place, the same line:col', async () => {
    const text = minimalRegistry.replace('name: Redis', 'name: Caf\u00e9');
    const line = text.split('\n').findIndex((row) => row.includes('Caf\u00e9')) + 1;
    const column = text.split('\n')[line - 1]!.indexOf('\u00e9') + 1;
    const rows = text.split('\n');
    for (const [ending, eols] of [
      ['LF', ['\n']],
      ['CR LF', ['\r\n']],
      ['a lone CR', ['\r']],
      ['mixed', ['\r\n', '\n', '\r']],
    ] as const) {
      const ended = rows.map((row, index) => (index === 0 ? row : `${eols[index % eols.length]}${row}`)).join('');
      const bad = await loadBytes(Buffer.from(ended, 'latin1'));
      expect((bad.error as RegistryError).message, ending).toBe(`${bad.path}:${line}:${column}: the file is not UTF-8 text (byte 0xe9); save it as UTF-8`);
      // A NUL at the same place: the line and column the parser gives.
      const nul = await loadBytes(Buffer.from(ended.replace('\u00e9', '\0')));
      expect((nul.error as RegistryError).issues[0], ending).toMatchObject({ line, column });
    }
  });

  it('loads UTF-8 text with a byte order mark and characters of every length', async () => {
    const text = `\ufeff${minimalRegistry.replace('name: Redis', 'name: Ré€😀 \ufffd')}`;
    const { error } = await loadBytes(Buffer.from(text));
    expect(error).toBeUndefined();
  });
});

describe('firstInvalidUtf8', () => {
  it.each([
    ['an overlong slash', [0x61, 0xc0, 0xaf], 1],
    ['an overlong three-byte form', [0xe0, 0x80, 0xaf], 0],
    ['a surrogate', [0x61, 0x62, 0xed, 0xa0, 0x80], 2],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a cut sequence at the end', [0x61, 0xe2, 0x82], 1],
    ['a lone continuation byte', [0x80], 0],
    ['valid text', [...Buffer.from('aé€😀')], -1],
  ])('%s', (_name, bytes, offset) => {
    expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(offset);
  });

  it("agrees with Node's isUtf8 on random bytes", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 5000; round++) {
      const bytes = Buffer.from(
        Array.from({ length: random() % 12 }, () => [0x41, 0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xa0, 0x90][random() % 12]!),
      );
      expect(firstInvalidUtf8(bytes) === -1, bytes.toString('hex')).toBe(isUtf8(bytes));
    }
  });
});

describe('decodeKeepingBadBytes', () => {
  it('decodes UTF-8 as Buffer#toString does, and keeps each bad byte as U+DC80+byte', () => {
    expect(decodeKeepingBadBytes(Buffer.from('héllo \u{1f600}'))).toBe('héllo \u{1f600}');
    expect(decodeKeepingBadBytes(Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xc3]))).toBe(`a${String.fromCharCode(0xdcff, 0xdcfe)}b${String.fromCharCode(0xdcc3)}`);
    // An overlong form and a surrogate encoded in UTF-8 are bad bytes too, each of them.
    expect(decodeKeepingBadBytes(Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]))).toBe(String.fromCharCode(0xdcc0, 0xdcaf, 0xdced, 0xdca0, 0xdc80));
  });
});

describe('escapedByte and joinKeptBytes', () => {
  it('keep a byte above 0x7f as decodeKeepingBadBytes keeps one, then join the UTF-8 such bytes make', () => {
    expect(escapedByte(0x41)).toBe('A');
    expect(escapedByte(0xe9)).toBe('\udce9');
    expect(joinKeptBytes(`caf${escapedByte(0xc3)}${escapedByte(0xa9)}`)).toBe('café');
    expect(joinKeptBytes(`x${escapedByte(0xff)}y`)).toBe('x\udcffy');
    expect(joinKeptBytes('plain é')).toBe('plain é');
    expect(joinKeptBytes(decodeKeepingBadBytes(Buffer.from([0x61, 0xc3])) + escapedByte(0xa9))).toBe('aé');
    expect(() => escapedByte(256)).toThrow(/^escapedByte: byte must be /);
    expect(() => escapedByte('65' as unknown as number)).toThrow(/^escapedByte: byte must be a byte/);
    expect(() => joinKeptBytes(undefined as unknown as string)).toThrow(/^joinKeptBytes: text must be a string, not undefined$/);
  });
});
