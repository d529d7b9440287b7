import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadRegistry, parseRegistry, RegistryError } from '../src/index.js';
import { minimalRegistry, repoRoot, writeRegistry } from './helpers.js';

describe('RegistryError', () => {
  const Untyped = RegistryError as unknown as new (...args: unknown[]) => RegistryError;

  it('formats every issue, one a line', () => {
    const error = new RegistryError('ports.yaml', [
      { path: 'services.api.port', message: 'must be between 1 and 65535', line: 6, column: 11 },
      { path: '', message: 'too large', line: 0, column: 0 },
    ]);
    expect(error.message).toBe('ports.yaml:6:11: services.api.port: must be between 1 and 65535\nports.yaml: too large');
    expect(error.code).toBe('INVALID_REGISTRY');
  });

  it('given arguments of the wrong type (from JavaScript), is a TypeError naming RegistryError, never "Cannot read properties of null (reading \'map\')"', () => {
    expect(() => new Untyped('x', null)).toThrow(
      new TypeError('RegistryError: issues must be an array of RegistryIssue ({ path, message, line, column }), not null'),
    );
    expect(() => new Untyped(undefined, [])).toThrow(new TypeError('RegistryError: source must be a file name (a string), not undefined'));
    expect(() => new Untyped('x', [null])).toThrow(/^RegistryError: issues\[0\] must be a RegistryIssue .*not null$/);
    expect(() => new Untyped('x', [{ path: '', message: 5, line: 0, column: 0 }])).toThrow(
      new TypeError('RegistryError: issues[0].message must be a string, not number 5'),
    );
    expect(() => new Untyped('x', [{ path: '', message: 'm', line: '1', column: 0 }])).toThrow(/^RegistryError: issues\[0\].line must be a whole number/);
  });
});

describe('formatIssue', () => {
  const untyped = formatIssue as (...args: unknown[]) => string;

  it('prints one issue as one line, a line break or terminal escape in its path or message escaped', () => {
    expect(formatIssue('ports.yaml', { path: 'services.api.port', message: 'must be a number', line: 6, column: 11 })).toBe(
      'ports.yaml:6:11: services.api.port: must be a number',
    );
    expect(formatIssue('ports.yaml', { path: '', message: 'too large', line: 0, column: 0 })).toBe('ports.yaml: too large');
    const forged = formatIssue('ports.yaml', { path: 'a\nb', message: 'first\nports.yaml:1:1: forged\u001b[31m', line: 2, column: 3 });
    expect(forged).toBe('ports.yaml:2:3: a\\nb: first\\nports.yaml:1:1: forged\\e[31m');
    expect(forged.split('\n')).toHaveLength(1);
    // RegistryError's message is its issues' lines, each one line too.
    expect(new RegistryError('ports.yaml', [{ path: '', message: 'a\nb', line: 0, column: 0 }]).message).toBe('ports.yaml: a\\nb');
  });

  it('checks the issue as RegistryError does: formatIssue(\'a\', {}) printed "a: undefined"', () => {
    expect(() => untyped('a', {})).toThrow(new TypeError('formatIssue: issue.path must be a string, not undefined'));
    expect(() => untyped('a', { path: '', line: 0, column: 0 })).toThrow(new TypeError('formatIssue: issue.message must be a string, not undefined'));
    expect(() => untyped('a', { path: '', message: 'm', line: -1, column: 0 })).toThrow(
      new TypeError('formatIssue: issue.line must be a whole number (0 for no place in the file), not number -1'),
    );
    expect(() => untyped('a', { path: '', message: 'm', line: 1 })).toThrow(/^formatIssue: issue\.column must be a whole number .*not undefined$/);
    expect(() => untyped('a', [])).toThrow(new TypeError('formatIssue: issue must be a RegistryIssue ({ path, message, line, column }), not an array'));
    expect(() => untyped(5, { path: '', message: 'm', line: 0, column: 0 })).toThrow(/^formatIssue: source must be a file name/);
  });
});

describe('RegistryError.protect: what a registry that does not validate still protects', () => {
  const claim = (protect: string) => `claim:\n  protect:\n${protect}\n`;
  const broken = (text: string) => {
    try {
      parseRegistry(text);
    } catch (error) {
      if (error instanceof RegistryError) return error;
      throw error;
    }
    throw new Error('expected a RegistryError');
  };

  it('keeps claim.protect.processes and pidsUpTo when a typo elsewhere breaks the file (a claim adds them to the built-in list)', async () => {
    const typo = minimalRegistry.replace('    port: 6379\n', '    port: 6379\n    portt: 1\n') + claim('    processes: ["py*", celery]\n    pidsUpTo: 4000000');
    const error = broken(typo);
    expect(error.message).toMatch(/unknown key "portt"/);
    expect(error.protect).toEqual({ processes: ['py*', 'celery'], pidsUpTo: 4000000 });
    expect(Object.isFrozen(error.protect)).toBe(true);
    // The same through loadRegistry({ path }) (the file's parser, as claim-port reads it).
    await expect(loadRegistry({ path: writeRegistry(typo), env: {} })).rejects.toMatchObject({ protect: { processes: ['py*', 'celery'], pidsUpTo: 4000000 } });
  });

  it('keeps them whatever else is wrong: another version, a broken claim.timeoutSeconds', () => {
    const other = minimalRegistry.replace('version: 1', 'version: 2') + claim('    processes: [keepme]');
    expect(broken(other).protect).toEqual({ processes: ['keepme'] });
    const timeout = `${minimalRegistry}claim:\n  timeoutSeconds: -1\n  protect:\n    pidsUpTo: 500\n`;
    expect(broken(timeout).protect).toEqual({ processes: [], pidsUpTo: 500 });
  });

  it('keeps each pattern and bound that is valid on its own, only those, and never a removal (unprotectBuiltin)', () => {
    const mixed = `${minimalRegistry}${claim('    processes: [good, "", 5, "a b c d e f g h i j k l m n o p q r s t u v w x y z"]\n    unprotectBuiltin: [sshd]\n    pidsUpTo: 0')}`;
    const error = broken(mixed);
    expect(error.protect?.processes).toContain('good');
    expect(error.protect?.processes).not.toContain('');
    expect(error.protect?.processes).not.toContain(5);
    expect(error.protect).not.toHaveProperty('pidsUpTo');
    expect(error.protect).not.toHaveProperty('unprotectBuiltin');
  });

  it('keeps every copy: a processes or pidsUpTo key given twice, a pattern without a list, a list behind a tag or an alias (protection only grows)', () => {
    // A duplicate key is kept as its first copy for the rest of the checks: the protections of both count here, either order.
    for (const twice of ['    processes: []\n    processes: [python3]', '    processes: [python3]\n    processes: []']) {
      expect(broken(`${minimalRegistry}${claim(twice)}`).protect, twice).toEqual({ processes: ['python3'] });
    }
    expect(broken(`${minimalRegistry}claim:\n  protect:\n    processes: [a]\nclaim:\n  protect:\n    processes: [b]\n`).protect).toEqual({
      processes: ['a', 'b'],
    });
    expect(broken(`${minimalRegistry}${claim('    pidsUpTo: 3\n    pidsUpTo: 300')}`).protect).toEqual({ processes: [], pidsUpTo: 300 });
    expect(broken(`${minimalRegistry}${claim('    processes: python3')}`).protect).toEqual({ processes: ['python3'] });
    expect(broken(`${minimalRegistry}${claim('    processes: !!seq [python3]')}`).protect).toEqual({ processes: ['python3'] });
    const aliased = `x: &names [python3, "celery*"]\n${minimalRegistry}${claim('    processes: *names')}`;
    expect(broken(aliased).protect).toEqual({ processes: ['python3', 'celery*'] });
    // A file yaml reads whole but for a character YAML does not allow (a DEL in a comment) still protects; so does one
    // with a syntax error, as far as yaml could read it: a stray line at the end unprotects nothing.
    expect(broken(`${minimalRegistry}# note\u007f\n${claim('    processes: [python3]')}`).protect).toEqual({ processes: ['python3'] });
    expect(broken(`${minimalRegistry}claim:\n  protect:\n    processes: [keepme]\n   bad: [\n`).protect).toEqual({ processes: ['keepme'] });
    expect(broken(`${claim('    processes: ["python3*"]')}${minimalRegistry}  - bad: [\n`).protect).toEqual({ processes: ['python3*'] });
  });

  it('is absent when the file names no protection (broken YAML that names none too), or is another kind of YAML file', () => {
    // Absent, not a key holding undefined (Object.keys listed it, and a spread copied it).
    const none = broken(minimalRegistry.replace('version: 1', 'version: 2'));
    expect(Object.hasOwn(none, 'protect')).toBe(false);
    expect(Object.keys(none)).not.toContain('protect');
    expect(Object.hasOwn(new RegistryError('x', []), 'protect')).toBe(false);
    expect(Object.hasOwn(new RegistryError('x', [], { processes: [] }), 'protect')).toBe(true);
    expect(broken(minimalRegistry.replace('version: 1', 'version: 2')).protect).toBeUndefined();
    expect(broken('services: [\n  - id: x\n').protect).toBeUndefined();
    expect(broken('image: nginx\nports: ["80:80"]\n').protect).toBeUndefined();
    // A prototype key is no protection of the file's.
    expect(broken(`${minimalRegistry.replace('version: 1', 'version: 2')}claim:\n  __proto__:\n    processes: [keepme]\n`).protect).toBeUndefined();
  });

  it('keeps them in a file too large or too full to read as YAML (a log appended to it): its top-level claim blocks are read alone', async () => {
    const log = (lines: number) => `# appended log\n${'2026-12-05 17:00:00 something happened somewhere in the pipeline again\n'.repeat(lines)}`;
    const top = `${minimalRegistry}${claim('    processes: [keepme, "py*"]\n    pidsUpTo: 300')}`;
    const large = `${top}${log(16_000)}`;
    expect(Buffer.byteLength(large)).toBeGreaterThan(1024 * 1024);
    const error = broken(large);
    expect(error.message).toMatch(/larger than 1 MiB/);
    expect(error.protect).toEqual({ processes: ['keepme', 'py*'], pidsUpTo: 300 });
    // Read from the file: refused at 1 MiB as a registry, its first 16 MiB read for the claim blocks, wherever they are.
    await expect(loadRegistry({ path: writeRegistry(large), env: {} })).rejects.toMatchObject({ protect: { processes: ['keepme', 'py*'], pidsUpTo: 300 } });
    const late = `${minimalRegistry}${log(20_000)}"claim" :\r\n  # a comment\r\n\r\n  protect: {processes: [late]}\r\nother: 1\r\n  processes: [not-claim]\r\n`;
    await expect(loadRegistry({ path: writeRegistry(late), env: {} })).rejects.toMatchObject({ protect: { processes: ['late'] } });
    // Every claim block (a key given twice): each one's protections.
    expect(broken(`${top}${log(16_000)}claim:\n  protect:\n    processes: [second]\n`).protect).toEqual({
      processes: ['keepme', 'py*', 'second'],
      pidsUpTo: 300,
    });
    // Too many values (a flow list of numbers well under 1 MiB): the same.
    const full = `${top}x: [${'1,'.repeat(200_000)}1]\n`;
    expect(broken(full).message).toMatch(/values, too many|more than \d+ values/);
    expect(broken(full).protect).toEqual({ processes: ['keepme', 'py*'], pidsUpTo: 300 });
    // None named, or only a look-alike that is no top-level key: none kept.
    expect(broken(`${minimalRegistry}${log(16_000)}`).protect).toBeUndefined();
    expect(broken(`${minimalRegistry}  claim:\n    protect: {processes: [indented]}\n${log(16_000)}`).protect).toBeUndefined();
    expect(broken(`${minimalRegistry}claims:\n  protect: {processes: [other]}\n${log(16_000)}`).protect).toBeUndefined();
  });

  it('reads each claim block of such a file alone: a stray one (a log line, a huge list) hides nothing the real one protects', () => {
    const log = `# appended log\n${'2026-12-05 17:00:00 something happened somewhere in the pipeline again\n'.repeat(16_000)}`;
    const top = `${minimalRegistry}${claim('    processes: [keepme]')}`;
    // A log line that looks like the key, with a list of 110,000 values (too many for one registry), in a file under 1 MiB.
    expect(broken(`${top}claim: [${'a,'.repeat(110_000)}a]\n`).protect).toEqual({ processes: ['keepme'] });
    // The same, or a `claim:` with 120,000 indented lines under it, in an oversize file.
    expect(broken(`${top}${log}claim:\n${'  x\n'.repeat(120_000)}`).protect).toEqual({ processes: ['keepme'] });
    // The claim block last, and a log whose lines are indented under it: read as far as YAML reads its top.
    expect(broken(`${top}${'  2026-12-05 17:00:00 an indented log line of the pipeline, again and again\n'.repeat(16_000)}`).protect).toEqual({
      processes: ['keepme'],
    });
    // Only CR and LF start a line, as in YAML: a `claim:` after U+2028 in a comment (after the log, so out of the real
    // block) is part of the comment.
    expect(broken(`${top}${log}# note\u2028claim: {protect: {processes: [node]}}\n`).protect).toEqual({ processes: ['keepme'] });
    // Blocks nested deeper than a registry may (`[` 32,760 times, four of them): read up to that line, never a crash
    // (yaml's composer recursed into them, and V8 ran out of memory: exit 134).
    expect(broken(`${top}${`claim: ${'['.repeat(32_760)}\n`.repeat(4)}`).protect).toEqual({ processes: ['keepme'] });
  });

  it('reads the claim blocks of a file of 16 MiB and more: its first 16 MiB, cut at a CR or LF line break', async () => {
    const mib16 = 16 * 1024 * 1024;
    // Lone CRs for line ends (an old Mac file): its claim block is kept, past 16 MiB too.
    const cr = `${minimalRegistry}${claim('    processes: [keepme]')}`.replaceAll('\n', '\r');
    const crFile = `${cr}${'# an old Mac log line, long enough\r'.repeat(Math.ceil(mib16 / 34) + 1000)}`;
    expect(crFile.length).toBeGreaterThan(mib16);
    await expect(loadRegistry({ path: writeRegistry(crFile), env: {} })).rejects.toMatchObject({ protect: { processes: ['keepme'] } });
    // Exactly 16 MiB, the claim block its last line with no line break after it: read whole, not cut.
    const tail = 'claim: {protect: {processes: [last]}}';
    const exact = `${minimalRegistry}${'#'.repeat(mib16 - Buffer.byteLength(minimalRegistry) - tail.length - 1)}\n${tail}`;
    expect(Buffer.byteLength(exact)).toBe(mib16);
    await expect(loadRegistry({ path: writeRegistry(exact), env: {} })).rejects.toMatchObject({ protect: { processes: ['last'] } });
    // One byte more, cut inside that line: not read as a value it is not.
    await expect(loadRegistry({ path: writeRegistry(`${exact}x`), env: {} })).rejects.not.toHaveProperty('protect');
  });

  it('given a protect of the wrong shape (from JavaScript), is a TypeError naming RegistryError', () => {
    const Untyped = RegistryError as unknown as new (...args: unknown[]) => RegistryError;
    expect(() => new Untyped('x', [], { processes: 'sshd' })).toThrow(
      new TypeError('RegistryError: protect.processes must be an array of strings, not the string "sshd"'),
    );
    // An entry at fault is named, not the list called no list ("not processes an array").
    expect(() => new Untyped('x', [], { processes: ['sshd', 1] })).toThrow(new TypeError('RegistryError: protect.processes[1] must be a string, not number 1'));
    expect(() => new Untyped('x', [], { processes: [], pidsUpTo: -1 })).toThrow(/not pidsUpTo number -1$/);
    expect(new Untyped('x', [], { processes: ['a'] }).protect).toEqual({ processes: ['a'] });
  });
});

describe('PortsError codes', () => {
  it("are thrown where the README's table says: those it calls reserved by no package's source, the others by some", () => {
    const readme = readFileSync(`${repoRoot}packages/ports/README.md`, 'utf8');
    const rows = [...readme.matchAll(/^\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \| (.*) \|$/gm)].map(([, codes, rest]) => ({
      codes: [...codes!.matchAll(/`([A-Z_]+)`/g)].map(([, code]) => code!),
      reserved: rest!.startsWith('never: reserved'),
    }));
    expect(rows.flatMap((row) => row.codes).sort()).toEqual(['BAD_OVERRIDE', 'BAD_PORT', 'IO', 'NOT_FOUND', 'UNKNOWN_SERVICE']);
    // Every package's source, the ports command's included: a code is thrown as a literal `'CODE'`.
    const sources = ['ports', 'claim-port', 'port-health-check']
      .flatMap((name) =>
        readdirSync(`${repoRoot}packages/${name}/src`, { recursive: true, encoding: 'utf8' }).map((file) => `${repoRoot}packages/${name}/src/${file}`),
      )
      .filter((file) => file.endsWith('.ts') && !file.endsWith('/errors.ts'))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    for (const { codes, reserved } of rows) for (const code of codes) expect(sources.includes(`'${code}'`), code).toBe(!reserved);
  });
});
