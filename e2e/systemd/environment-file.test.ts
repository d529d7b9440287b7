// EnvironmentFile= under a real systemd: a corpus of env files, each read by
// PID 1 for a oneshot unit (`EnvironmentFile=-<file>`, `ExecStart=/usr/bin/env
// -0`), and the variables the process got compared with what
// parseEnvironmentFile (packages/ports/src/systemd/environment-file.ts) says
// systemd applies: the last assignment of a name wins, and a file systemd
// refuses applies nothing (its `-` prefix keeps the unit starting).
//
// One boot of the throwaway container (container.ts, boot.sh): the units go
// into the stage's units/ (boot.sh copies them into /etc/systemd/system before
// systemd starts, so no daemon-reload), the env files into the stage, and one
// `systemctl start` runs them all. The variables systemd sets itself (PATH,
// INVOCATION_ID, ...) are those of the unit whose file is empty; they are
// left out of every comparison unless the file assigns them.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvironmentFile } from '../../packages/ports/src/systemd/environment-file.js';
import { titled } from '../support/requirements.js';
import { Container, containerSkipReason, endContainerSuite, HostCanary, showRun } from './container.js';

const skip = containerSkipReason();

/** A file's bytes from text and raw bytes. */
const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));

/** The corpus: name, file. The first is the empty file (the baseline of systemd's own variables). */
const CORPUS: [string, Buffer][] = [
  ['empty file', bytes('')],
  ['white space and blank lines only', bytes('  \n\t\n\n   ')],
  ['plain KEY=VALUE', bytes('A=1\nB=two words\nC=/srv/x:y\n')],
  ['no final newline', bytes('A=1\nB=2')],
  ['white space around key and value', bytes('  A = 1  \n\tB\t=\tx y\t\nC  =\n')],
  ['single quotes', bytes(`A='x "y" \\n $Z'\nB='  padded  '\nC='a\\'\nD='multi\nline'\n`)],
  ['double quotes and their escapes', bytes(`A="a \\"q\\" \\\\ \\$HOME \\\`c\\\` \\n \\t \\' \\a"\nB="  padded  "\nC="multi\nline"\n`)],
  ['double quote backslash-newline', bytes(`A="one\\\ntwo"\nB="x\\\r\ny"\n`)],
  ['backslash escapes outside quotes', bytes('A=a\\ \\#b\\\\c\\"d\\\'e\\n\nB=\\  \nC=x\\\\\nD=\\"quoted\\"\n')],
  ['backslash-newline continues an unquoted value', bytes('A=90\\\n00\nB=a\\\nNEXT=1\nC=end\n')],
  ['backslash-CRLF outside quotes', bytes('A=x\\\r\ny\nB=2\n')],
  ['backslash at end of file', bytes('A=x\\')],
  ['open quotes at end of file', bytes('A=1\nB="abc')],
  ['open single quote at end of file', bytes("A='abc\ndef")],
  ['double-quote escape at end of file', bytes('A="x\\')],
  ['after a closing quote: white space skipped, a backslash escapes', bytes(`A="x"\\ y\nB="x"\\\nC=1\nD=\t'x' \t\nE="x "y  \nF=x\\  \nG=x \\ \n`)],
  ['quoted values spanning CRLF lines', bytes(`A='one\r\ntwo'\r\nB="three\r\nfour"\r\n`)],
  ['quotes only open a value', bytes(`A=it's\nB=x"y"\nC="one" 'two'\nD='x'y"z"\nE= "spaced"\nF="x" # not a comment\n`)],
  ['comments with # and ;', bytes('#A=1\n;B=2\n  # C=3\n\t;D=4\nE=5 # kept\nF=a;b\nG=#x\n')],
  ['comment continued by a backslash', bytes('# note \\\nA=1\nB=2\n; again \\\r\nC=3\nD=4\n')],
  ['comment ending the file in a backslash', bytes('A=1\n# tail \\')],
  ['CRLF line ends', bytes('A=1\r\nB="2"\r\nC=3 \r\nD=\r\n')],
  ['CR alone ends a line', bytes('A=1\rB=2\rC=x\ry\n')],
  ['empty values', bytes('A=\nB=""\nC=\'\'\nD=   \nE=\t\nF')],
  ['export and other invalid names', bytes('export A=1\n1X=2\nA.B=3\nA-B=4\nKEY WITH SPACE=5\nÄB=6\nA#B=7\nGOOD=8\n')],
  ['empty keys', bytes('=1\n==2\n =3\nOK=4\n')],
  ['lines without =', bytes('just words\nA=1\nKEY\nB=2\nlast')],
  ['duplicate keys', bytes('P=1\nQ=1\nP=2\nQ=\nR=x\nR="y"\n')],
  ['UTF-8 values', bytes('A=café\nB=日本語\nC="🚀 launch"\nD=\'Ω\'\n')],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${PATH} for systemd not to expand
  ['$VAR and specifiers are not expanded', bytes('A=$HOME\nB=${PATH}:/x\nC="$USER"\nD=%n %i %%\nE=`id`\n')],
  ['systemd variables overridden', bytes('PATH=/opt/bin\nLANG=xx_XX.UTF-8\n')],
  ['long value', bytes(`A=${'x'.repeat(20_000)}\n`)],
  ['many variables', bytes(Array.from({ length: 200 }, (_, i) => `V${i}=${i}\n`).join(''))],
  ['control characters in values', bytes('A="x', [0x01], 'y"\nB=e', [0x1b], '[0m\nC="a\rb"\nD=d', [0x7f], '\nE="tab\there"\n')],
  ['form feed and vertical tab are not white space', bytes([0x0c], 'A=1\n', [0x0b], 'B=2\nC=', [0x0c], 'x', [0x0b], '\n')],
  ['byte order mark', bytes([0xef, 0xbb, 0xbf], 'A=1\nB=2\n')],
  ['NUL byte in a value', bytes('A=1\nB=x', [0x00], 'y\nC=3\n')],
  ['NUL byte in a comment', bytes('A=1\n# x', [0x00], '\nC=3\n')],
  ['invalid UTF-8: lone 0xff in a value', bytes('A=1\nB=caf', [0xff], '\n')],
  ['invalid UTF-8: Latin-1 é in a value', bytes('A=1\nB=caf', [0xe9], '\n')],
  ['invalid UTF-8: truncated sequence at the end', bytes('A=1\nB=caf', [0xc3])],
  ['invalid UTF-8: overlong NUL', bytes('A=1\nB=x', [0xc0, 0x80], '\n')],
  ['invalid UTF-8: surrogate', bytes('A=1\nB=x', [0xed, 0xa0, 0x80], '\n')],
  ['invalid UTF-8: above U+10FFFF', bytes('A=1\nB=x', [0xf4, 0x90, 0x80, 0x80], '\n')],
  ['invalid UTF-8: five-byte form', bytes('A=1\nB=x', [0xf8, 0x88, 0x80, 0x80, 0x80], '\n')],
  ['invalid UTF-8: continuation byte 11xxxxxx', bytes('A=1\nB=x', [0xc3, 0xc3], '\n')],
  ['noncharacter U+FFFE in a value', bytes('A=1\nB=x', [0xef, 0xbf, 0xbe], '\n')],
  ['noncharacter U+FFFF in a value', bytes('A=1\nB=x', [0xef, 0xbf, 0xbf], '\n')],
  ['noncharacter U+FDD0 in a value', bytes('A=1\nB=x', [0xef, 0xb7, 0x90], '\n')],
  ['noncharacter U+1FFFE in a value', bytes('A=1\nB=x', [0xf0, 0x9f, 0xbf, 0xbe], '\n')],
  ['noncharacter U+10FFFF in a value', bytes('A=1\nB=x', [0xf4, 0x8f, 0xbf, 0xbf], '\n')],
  ['noncharacter U+FDEF in double quotes', bytes('A=1\nB="x', [0xef, 0xb7, 0xaf], '"\n')],
  ['noncharacter in a key', bytes('A=1\nB', [0xef, 0xbf, 0xbe], '=2\n')],
  ['noncharacter in a comment', bytes('# ', [0xef, 0xbf, 0xbe], '\nA=1\n')],
  [
    'U+FDCF, U+FDF0, U+E000, U+FFFD and U+10FFFD are fine',
    bytes('A=', [0xef, 0xb7, 0x8f], '\nB=', [0xef, 0xb7, 0xb0], '\nC=', [0xee, 0x80, 0x80], '\nD=', [0xef, 0xbf, 0xbd], '\nE=', [0xf4, 0x8f, 0xbf, 0xbd], '\n'),
  ],
  ['invalid UTF-8 in a key', bytes('A=1\n', [0xff], 'B=2\n')],
  ['invalid UTF-8 in an invalid name', bytes('A=1\nexport B', [0xff], '=2\n')],
  ['invalid UTF-8 in a comment', bytes('# caf', [0xe9], '\nA=1\n')],
  ['invalid UTF-8 in a line without =', bytes('caf', [0xe9], '\nA=1\n')],
  ['invalid UTF-8 in single quotes', bytes("A=1\nB='", [0xff], "'\n")],
];

/**
 * Seeded random files from the pieces the grammar turns on (keys, `=`, quotes,
 * backslashes, comment marks, white space, line ends, multi-byte and bad
 * bytes), so that the cases nobody thought of are tried too; the seed keeps
 * a failure reproducible.
 */
const RANDOM_SEED = 0x5eed_e4f;
const RANDOM_FILES = 500;
/** What a random line starts with: mostly a key and `=`, sometimes a name systemd drops, a comment, or nothing. */
const LINE_STARTS = ['A=', 'B=', 'C=', 'A =', ' B\t= ', 'PATH=', '_x=', 'export A=', '1X=', 'A B=', '=', '#', ';', '  #', ''];
/** What goes after it: the characters the grammar turns on, and some that it does not. */
const PIECES = ['x', 'y z', '$A', '%n', '=', '"', '"', "'", "'", '\\', '\\', '\\\n', '#', ';', ' ', ' ', '\t', '\r', 'é', '日', '🚀', '\x01', '\f'];
const LINE_ENDS = ['\n', '\n', '\n', '\r\n', '\r'];
/** Bytes systemd refuses in a key or value (not UTF-8, or a noncharacter); one file in eight holds one. */
const BAD_BYTES = [[0xff], [0xc3], [0xe9], [0xef, 0xbf, 0xbe], [0xef, 0xb7, 0x90]];

function randomFiles(seed: number, count: number): [string, Buffer][] {
  // mulberry32: small, seeded, the same sequence on every machine.
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  return Array.from({ length: count }, (_, index) => {
    const parts: (string | number[])[] = [];
    for (let line = 1 + Math.floor(next() * 6); line > 0; line--) {
      parts.push(pick(LINE_STARTS));
      for (let piece = Math.floor(next() * 8); piece > 0; piece--) parts.push(pick(PIECES));
      if (line > 1 || next() < 0.7) parts.push(pick(LINE_ENDS));
    }
    if (next() < 1 / 8) parts.splice(Math.floor(next() * (parts.length + 1)), 0, pick(BAD_BYTES));
    return [`random ${index} (seed ${seed.toString(16)})`, bytes(...parts)] as [string, Buffer];
  });
}

CORPUS.push(...randomFiles(RANDOM_SEED, RANDOM_FILES));

const UNIT = (index: number) => `dsa110-envfile-${String(index).padStart(3, '0')}.service`;
const OUT = '/run/dsa110-envfile';

/** `env -0` output: name -> value bytes. */
function environmentOf(output: Buffer): Map<string, Buffer> {
  const vars = new Map<string, Buffer>();
  let start = 0;
  for (let end = output.indexOf(0); end >= 0; start = end + 1, end = output.indexOf(0, start)) {
    const entry = output.subarray(start, end);
    const eq = entry.indexOf(0x3d);
    vars.set(entry.subarray(0, eq).toString('latin1'), Buffer.from(entry.subarray(eq + 1)));
  }
  return vars;
}

/** A value for the report: the text when it is UTF-8, else its bytes in hex. */
const shown = (value: Buffer): string => (Buffer.from(value.toString('utf8')).equals(value) ? value.toString('utf8') : `<bytes ${value.toString('hex')}>`);

describe.skipIf(skip !== undefined)(titled('under a real systemd: EnvironmentFile= as PID 1 reads it, against parseEnvironmentFile', skip), () => {
  let c: Container;
  let dir: string | undefined;
  const canary = new HostCanary('systemd-envfile');
  const received = new Map<number, Map<string, Buffer>>();

  beforeAll(async () => {
    canary.plant();
    dir = Container.prepare();
    const stage = join(dir, 'stage');
    mkdirSync(join(stage, 'envfiles'));
    for (const [index, [name, file]] of CORPUS.entries()) {
      writeFileSync(join(stage, 'envfiles', `${index}.env`), file);
      writeFileSync(
        join(stage, 'units', UNIT(index)),
        [
          '[Unit]',
          `Description=EnvironmentFile= corpus: ${name.replace(/%/g, '%%')}`,
          '',
          '[Service]',
          'Type=oneshot',
          `EnvironmentFile=-/opt/dsa110-e2e/envfiles/${index}.env`,
          'ExecStart=/usr/bin/env -0',
          `StandardOutput=file:${OUT}/${index}`,
          '',
        ].join('\n'),
      );
    }
    c = await Container.boot(dir);
    const make = await c.exec(['mkdir', '-p', OUT]);
    expect(make.code, showRun(make)).toBe(0);
    // Every unit in one transaction: systemctl returns once all of them have run.
    const start = await c.exec(['systemctl', 'start', ...CORPUS.map((_, index) => UNIT(index))], { timeoutMs: 120_000 });
    expect(start.code, showRun(start)).toBe(0);
    // Each output as one line of base64 (binary-safe through the exec's UTF-8 stdout).
    const read = await c.sh(`cd ${OUT} && for f in *; do printf '%s ' "$f"; base64 -w0 "$f"; echo; done`);
    expect(read.code, showRun(read)).toBe(0);
    for (const line of read.stdout.split('\n').filter(Boolean)) {
      const [index, data] = line.split(' ');
      received.set(Number(index), environmentOf(Buffer.from(data ?? '', 'base64')));
    }
  }, 300_000);

  afterAll(() => endContainerSuite(c, dir, canary), 60_000);

  it('the random files try both sides: most apply variables, some are refused, some drop keys', () => {
    const parsed = CORPUS.slice(-RANDOM_FILES).map(([, file]) => parseEnvironmentFile(file));
    const refused = parsed.filter((file) => file.error !== undefined).length;
    const applying = parsed.filter((file) => file.error === undefined && file.assignments.length > 0).length;
    const dropping = parsed.filter((file) => file.ignored.length > 0).length;
    expect(applying, `${applying} of ${RANDOM_FILES} apply a variable`).toBeGreaterThan(RANDOM_FILES / 3);
    expect(refused, `${refused} of ${RANDOM_FILES} refused`).toBeGreaterThan(RANDOM_FILES / 20);
    expect(dropping, `${dropping} of ${RANDOM_FILES} drop a key`).toBeGreaterThan(RANDOM_FILES / 20);
  });

  it('boots on the overlay, and the host /tmp canary survives', async () => {
    expect((await c.exec(['findmnt', '-n', '-o', 'SOURCE,FSTYPE', '/'])).stdout.trim()).toBe('dsa110-e2e-root overlay');
    expect(existsSync(canary.path)).toBe(true);
  });

  it(`every one of the ${CORPUS.length} units ran and wrote its environment`, () => {
    expect(CORPUS.map((_, index) => index).filter((index) => !received.has(index))).toEqual([]);
    expect(received.get(0)!.has('INVOCATION_ID')).toBe(true);
  });

  it('for every file, the variables systemd handed the process are the ones parseEnvironmentFile says it applies', () => {
    const own = new Set(received.get(0)!.keys());
    const mismatches = CORPUS.flatMap(([name, file], index) => {
      const parsed = parseEnvironmentFile(file);
      const expected = new Map<string, string>();
      for (const { name: key, value } of parsed.error === undefined ? parsed.assignments : []) expected.set(key, value);
      const got = new Map<string, string>();
      for (const [key, value] of received.get(index) ?? []) if (!own.has(key) || expected.has(key)) got.set(key, shown(value));
      const ours = Object.fromEntries([...expected].sort(([a], [b]) => (a < b ? -1 : 1)));
      const theirs = Object.fromEntries([...got].sort(([a], [b]) => (a < b ? -1 : 1)));
      return JSON.stringify(ours) === JSON.stringify(theirs)
        ? []
        : [
            `${name} (${JSON.stringify(file.toString('latin1'))})\n  parser:  ${JSON.stringify(ours)}${parsed.error ? ` [refused: ${parsed.error}]` : ''}\n  systemd: ${JSON.stringify(theirs)}`,
          ];
    });
    expect(mismatches.join('\n')).toBe('');
  });
});
