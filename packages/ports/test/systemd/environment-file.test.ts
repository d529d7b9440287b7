// The EnvironmentFile= parser against systemd 252's env-file.c, case by case.
import { describe, expect, it } from 'vitest';
import { parseEnvironmentFile } from '../../src/systemd/environment-file.js';

const parse = (text: string | Uint8Array) => parseEnvironmentFile(typeof text === 'string' ? Buffer.from(text) : text);
const values = (text: string) => Object.fromEntries(parse(text).assignments.map(({ name, value }) => [name, value]));

describe('parseEnvironmentFile', () => {
  it('reads KEY=VALUE lines with the line each key starts on, white space around key and value dropped', () => {
    expect(parse('# ports\n\nSVC_PORT=9000\n  HOST = 127.0.0.1  \n').assignments).toEqual([
      { name: 'SVC_PORT', value: '9000', line: 3 },
      { name: 'HOST', value: '127.0.0.1', line: 4 },
    ]);
  });

  it('takes # and ; as comments only where a key starts; later on a line they are the value', () => {
    expect(values('#A=1\n ;B=2\nC=3 # not a comment\nD=a;b\n')).toEqual({ C: '3 # not a comment', D: 'a;b' });
    // A backslash in a comment escapes the next character: the newline too, so the next line is comment as well.
    expect(values('# note \\\nE=5\nF=6\n')).toEqual({ F: '6' });
  });

  it('quotes: single keep everything, double unescape only \\" \\\\ \\` \\$ and drop a backslash-newline', () => {
    expect(values(`A='x "y" \\n $Z'\nB="a \\"q\\" \\\\ \\$HOME \\n \\\`c\\\`"\nC="one\\\ntwo"\n`)).toEqual({
      A: 'x "y" \\n $Z',
      B: 'a "q" \\ $HOME \\n `c`',
      C: 'onetwo',
    });
    // Quotes only open a value; inside an unquoted one they are characters. A quoted value spans lines.
    expect(values(`A=it's\nB="multi\nline" \nC=x"y"\n`)).toEqual({ A: "it's", B: 'multi\nline', C: 'x"y"' });
    expect(values(`A="one" 'two'\n`)).toEqual({ A: 'onetwo' });
  });

  it('outside quotes a backslash keeps the next character, and a backslash-newline continues the value', () => {
    const parsed = parse('SVC_PORT=90\\\n00\nB=a\\ \\#b \\\nNEXT=1\n');
    expect(parsed.assignments).toEqual([
      { name: 'SVC_PORT', value: '9000', line: 1 },
      { name: 'B', value: 'a #b NEXT=1', line: 3 },
    ]);
  });

  it('drops keys that are not variable names (export, spaces, leading digit) and lines without =, keeping the rest', () => {
    const parsed = parse('export SVC_PORT=9000\n1X=2\njust words\nGOOD=1\nKEY WITH SPACE=3\n');
    expect(parsed.assignments).toEqual([{ name: 'GOOD', value: '1', line: 4 }]);
    expect(parsed.ignored).toEqual([
      { key: 'export SVC_PORT', line: 1 },
      { key: '1X', line: 2 },
      { key: 'KEY WITH SPACE', line: 5 },
    ]);
    expect(parsed.error).toBeUndefined();
  });

  it('does not expand $VAR; an empty value is empty; a last line without newline counts; CRLF ends lines', () => {
    expect(values(`A=$B \${C}\nD=\nE`)).toEqual({ A: `$B \${C}`, D: '' });
    expect(values('A=1\r\nB="2"\r\nC=3')).toEqual({ A: '1', B: '2', C: '3' });
    expect(parse('A=1\r\nB=2\r\n').assignments.map((a) => a.line)).toEqual([1, 2]);
  });

  it('a later line of a name wins (all are returned, in order)', () => {
    expect(values('P=1\nP=2\n')).toEqual({ P: '2' });
  });

  it('refuses the whole file, as systemd does, for a NUL byte or invalid UTF-8 in a key or value; not in a comment', () => {
    expect(parse(Buffer.from('A=1\nB=2\0\n'))).toEqual({
      assignments: [],
      ignored: [],
      error: 'it holds a NUL byte (line 2), and systemd refuses such a file',
    });
    expect(parse(Buffer.from([...Buffer.from('A=1\nB=caf'), 0xe9, 0x0a])).error).toBe(
      'line 2 has invalid UTF-8 in the value of B, and systemd refuses such a file',
    );
    expect(parse(Buffer.from([0xff, ...Buffer.from('=1\n')])).error).toBe('line 1 has invalid UTF-8 in its key, and systemd refuses such a file');
    expect(parse(Buffer.from([...Buffer.from('# caf'), 0xe9, ...Buffer.from('\nA=1\n')]))).toEqual({
      assignments: [{ name: 'A', value: '1', line: 2 }],
      ignored: [],
    });
  });

  it('refuses the whole file for a Unicode noncharacter in a key or value, as systemd 252 does (well-formed UTF-8, invalid to systemd)', () => {
    // Proved against PID 1 in e2e/systemd/environment-file.test.ts: each of these files applies nothing.
    const withValue = (...noncharacter: number[]) => parse(Buffer.from([...Buffer.from('A=1\nB=x'), ...noncharacter, 0x0a]));
    expect(withValue(0xef, 0xbf, 0xbe)).toEqual({
      assignments: [],
      ignored: [],
      error: 'line 2 has the noncharacter U+FFFE (invalid UTF-8 to systemd) in the value of B, and systemd refuses such a file',
    });
    expect(withValue(0xef, 0xbf, 0xbf).error).toMatch(/U\+FFFF/);
    expect(withValue(0xef, 0xb7, 0x90).error).toMatch(/U\+FDD0/);
    expect(withValue(0xef, 0xb7, 0xaf).error).toMatch(/U\+FDEF/);
    expect(withValue(0xf0, 0x9f, 0xbf, 0xbe).error).toMatch(/U\+1FFFE/);
    expect(withValue(0xf4, 0x8f, 0xbf, 0xbf).error).toMatch(/U\+10FFFF/);
    expect(parse(Buffer.from([...Buffer.from('A=1\nB'), 0xef, 0xbf, 0xbe, ...Buffer.from('=2\n')])).error).toBe(
      'line 2 has the noncharacter U+FFFE (invalid UTF-8 to systemd) in its key, and systemd refuses such a file',
    );
    // Their neighbours are fine, and so is a noncharacter in a comment (never checked).
    expect(values('A=\uFDCF\nB=\uFDF0\nC=\uFFFD\nD=\u{10FFFD}\n')).toEqual({ A: '\uFDCF', B: '\uFDF0', C: '\uFFFD', D: '\u{10FFFD}' });
    expect(values('# \uFFFE\nA=1\n')).toEqual({ A: '1' });
  });

  it('refuses what is not bytes', () => {
    expect(() => parseEnvironmentFile('A=1' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
