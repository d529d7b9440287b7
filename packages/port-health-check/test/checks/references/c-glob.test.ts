// The include glob matcher held to the real glob(3) (real-glob.ts), on a temp dir of many names, non-UTF-8 bytes among them.
import { readdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cGlobMatches, globPart } from '../../../src/checks/references/c-glob.js';
import { tempDir } from '../../helpers.js';
import { realGlob } from './real-glob.js';

/** A pattern as the include's text holds it: UTF-8, a byte that is not as U+DC80+byte. */
const asText = (bytes: Buffer): string => {
  let text = '';
  for (let at = 0; at < bytes.length; ) {
    const lead = bytes[at]!;
    if (lead === 0xc3 && (bytes[at + 1]! & 0xc0) === 0x80) {
      text += bytes.subarray(at, at + 2).toString('utf8');
      at += 2;
    } else {
      text += lead < 0x80 ? String.fromCharCode(lead) : String.fromCharCode(0xdc00 + lead);
      at++;
    }
  }
  return text;
};

const NAMES: readonly Buffer[] = [
  ...'a b c d z A Z 0 9 ab ba abc a.conf b.conf z.conf .a .conf .. ...  -  ! ^ ] [ [a a[ [] ]] \\ a\\ \\a : [: = . _ ~ * ? a*b a?b é éa aé ab.conf x.conf'
    .split(' ')
    .filter((name) => name !== '' && name !== '.' && name !== '..')
    .map((name) => Buffer.from(name)),
  Buffer.from([0x78, 0xff]),
  Buffer.from([0xff]),
  Buffer.from([0x80]),
  Buffer.from([0xc3]),
  Buffer.from([0xe9]),
  Buffer.from([0x78, 0xff, 0x2e, 0x63, 0x6f, 0x6e, 0x66]),
  Buffer.from([0x09]),
  Buffer.from([0x20]),
  Buffer.from([0x7f]),
  Buffer.from('a b'),
];

// Pieces of patterns: every special of glob(3) and its odd corners (classes, equivalence classes, collating symbols,
// escapes, ranges both ways, ] first, unclosed brackets), and bytes that are not UTF-8.
const PIECES: readonly (string | number[])[] = [
  'a',
  'b',
  'z',
  'A',
  '0',
  '9',
  '.',
  '-',
  ']',
  '[',
  '!',
  '^',
  '\\',
  '*',
  '?',
  ':',
  '=',
  ' ',
  'é',
  '[:alpha:]',
  '[:digit:]',
  '[:upper:]',
  '[:punct:]',
  '[:space:]',
  '[:cntrl:]',
  '[:foo:]',
  '[:alp',
  '[=a=]',
  '[=',
  '[.a.]',
  '[.-.]',
  '[.ab.]',
  'a-z',
  'z-a',
  '!-]',
  '\\]',
  '\\\\',
  'conf',
  '.conf',
  [0xff],
  [0x80],
  [0xc3],
  [0xe9],
];

/** A small seeded generator (mulberry32), so a failure names a pattern that fails again. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function patterns(count: number, seed: number): Buffer[] {
  const next = random(seed);
  const made: Buffer[] = [];
  for (let index = 0; index < count; index++) {
    const parts: Buffer[] = [];
    const length = 1 + Math.floor(next() * 6);
    for (let part = 0; part < length; part++) {
      const piece = PIECES[Math.floor(next() * PIECES.length)]!;
      parts.push(typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece));
    }
    // Brackets are the hard part: open one, around some of the pieces, most of the time.
    if (next() < 0.6) parts.splice(Math.floor(next() * parts.length), 0, Buffer.from(next() < 0.3 ? '[!' : next() < 0.2 ? '[^' : '['));
    if (next() < 0.5) parts.splice(Math.floor(next() * (parts.length + 1)), 0, Buffer.from(']'));
    made.push(Buffer.concat(parts));
  }
  return made;
}

describe('include globs match as glob(3) does (C locale)', () => {
  const dir = tempDir();
  for (const name of NAMES) writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), name]), '');
  const entries = readdirSync(dir, { encoding: 'buffer' });
  const shown = (names: readonly Buffer[]) => names.map((name) => JSON.stringify(asText(name)));

  it('agrees with glibc glob(3) on thousands of generated patterns over names that are not UTF-8 too', () => {
    expect(dir).not.toMatch(/[*?[\\]/);
    const all = [
      ...patterns(4000, 110),
      ...['.*', '*', '?', '??', '[z-a]*', '[[:alpha:]]*', '[]d]*', '[!a]', '[^a]', '\\*', '[a', 'x?', '[.]*', '\\.*'].map((p) => Buffer.from(p)),
    ];
    const real = realGlob(`${dir}/`, all);
    const differ = all.flatMap((pattern, index) => {
      const mine = cGlobMatches(asText(pattern), entries);
      const theirs = real[index]!;
      return Buffer.concat(mine).equals(Buffer.concat(theirs)) && mine.length === theirs.length
        ? []
        : [`${JSON.stringify(asText(pattern))}: glob(3) ${shown(theirs).join(' ')}; matcher ${shown(mine).join(' ')}`];
    });
    expect(differ).toEqual([]);
  });

  it('the cases found by hand: a descending range is no error and holds nothing; ? is one byte; classes, ] first, negation, escapes, dots', () => {
    const names = (pattern: string) => shown(cGlobMatches(pattern, entries));
    expect(names('[z-a]*.conf')).toEqual([]);
    expect(names('[[:alpha:]].conf')).toEqual(['"a.conf"', '"b.conf"', '"x.conf"', '"z.conf"']);
    expect(names('[]d]')).toEqual(['"]"', '"d"']);
    // é is two bytes: ? alone never matches it, ?? does (and so x\xff, one byte each).
    expect(names('?')).not.toContain('"é"');
    expect(names('??')).toEqual(expect.arrayContaining(['"é"', '"x\\udcff"']));
    expect(names('[!a]')).toEqual(names('[^a]'));
    expect(names('\\*')).toEqual(['"*"']);
    expect(names('*.conf')).not.toContain('".conf"');
    expect(names('.*')).toEqual(['"."', '".."', '"..."', '".a"', '".conf"']);
    expect(names('[a')).toEqual(['"[a"']);
    // `-]` after a collating symbol starts a range (with no end) for glibc; after a plain member it is a `-` member.
    expect(['a', '-'].map((name) => globPart('[[.a.]-]').test(name))).toEqual([false, true]);
    expect(['a', '-'].map((name) => globPart('[a-]').test(name))).toEqual([true, true]);
    expect(globPart('x\udcff.conf').test(Buffer.from([0x78, 0xff, 0x2e, 0x63, 0x6f, 0x6e, 0x66]))).toBe(true);
    expect(globPart('*').test('x\udcff.conf')).toBe(true);
  });

  it('takes a pattern of many stars in linear time, not exponential', () => {
    const name = Buffer.from('a'.repeat(200));
    const started = process.hrtime.bigint();
    expect(globPart(`${'*a'.repeat(40)}b`).test(name)).toBe(false);
    expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(2);
  });
});
