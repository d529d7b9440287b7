// Levels for the journal (cli-kit/journal.ts): stderr is the journal only when
// $JOURNAL_STREAM names fd 2's own device and inode; then every stderr line
// starts with its level (`<3>` an error), and stdout is left as it is. The
// pure decision and the line writer, then the built `ports` bin with its
// stderr on a real file or socket.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Io } from '../../src/cli-kit/io.js';
import { isJournalStream, journalLines, type Severity } from '../../src/cli-kit/journal.js';
import { main } from '../../src/cli/main.js';
import { minimalRegistry } from '../helpers.js';
import { checkout, committedDocs, replaceOnce, rootRegistry, tempDir } from '../cli/helpers.js';
import { runWithStderrFile, runWithStderrSocket } from '../../../../test-support/index.js';
import { bin, requireBuilt } from '../cli/helpers.js';

describe('isJournalStream: $JOURNAL_STREAM against the fstat of fd 2', () => {
  const stderr = { dev: 2049n, ino: 1234567n };

  it("is the journal when DEVICE:INODE are the stream's own, in decimal", () => {
    expect(isJournalStream('2049:1234567', stderr)).toBe(true);
  });

  it('is not when stderr went elsewhere (another device or inode), or the variable is unset or malformed', () => {
    expect(isJournalStream('2049:1234568', stderr)).toBe(false);
    expect(isJournalStream('2050:1234567', stderr)).toBe(false);
    expect(isJournalStream(undefined, stderr)).toBe(false);
    for (const bad of ['', '2049', '2049:', ':1234567', '2049:1234567:1', ' 2049:1234567', '2049:1234567\n', '0x801:1234567', '-1:1234567'])
      expect(isJournalStream(bad, stderr), bad).toBe(false);
    expect(isJournalStream('2049:1234567', undefined)).toBe(false); // fd 2 closed
  });

  it('compares inodes beyond 2^53 exactly (no rounding through a double)', () => {
    const big = { dev: 8n, ino: 2n ** 63n + 1n };
    expect(isJournalStream(`8:${2n ** 63n + 1n}`, big)).toBe(true);
    expect(isJournalStream(`8:${2n ** 63n}`, big)).toBe(false);
  });
});

describe('journalLines: the level at the start of every line, and nowhere else', () => {
  it('gives each line of a piece the level of its severity', () => {
    const levelled = journalLines();
    expect(levelled('a\n', 'error')).toBe('<3>a\n');
    expect(levelled('b\n', 'warn')).toBe('<4>b\n');
    expect(levelled('c\n', 'notice')).toBe('<5>c\n');
    expect(levelled('d\n', 'info')).toBe('<6>d\n');
    expect(levelled('one\ntwo\nthree\n', 'error')).toBe('<3>one\n<3>two\n<3>three\n');
  });

  it('adds none where a piece goes on with a line an earlier piece began', () => {
    const levelled = journalLines();
    expect(levelled('port-health-check: ', 'error')).toBe('<3>port-health-check: ');
    expect(levelled('the rest\nnext', 'error')).toBe('the rest\n<3>next');
    expect(levelled('', 'error')).toBe('');
    expect(levelled(' ends\n', 'error')).toBe(' ends\n');
    expect(levelled('new\n', 'warn')).toBe('<4>new\n');
  });

  it('cannot be forged by text inside a line: a name holding "<0>" stays text after the real level', () => {
    const levelled = journalLines();
    expect(levelled('[claim-port:6379] refusing: PID 7 (<0>evil) is protected\n', 'error')).toBe(
      '<3>[claim-port:6379] refusing: PID 7 (<0>evil) is protected\n',
    );
    // A piece that starts with a level-like text still gets its own first: journald reads only the first.
    expect(levelled('<7>x\n', 'error')).toBe('<3><7>x\n');
  });

  it('takes the level from the writer, never from the text: a line that says "warning:" is what it was written as', () => {
    const levelled = journalLines();
    expect(levelled('warning: /etc/x: not ours\n', 'info')).toBe('<6>warning: /etc/x: not ours\n');
    expect(levelled('ports.yaml:4:5: warning: x\n', 'warn')).toBe('<4>ports.yaml:4:5: warning: x\n');
    // On stderr the level is not optional: a writer that leaves it out does not compile (it was guessed from the text).
    expectTypeOf<Io['err']>().parameter(1).toEqualTypeOf<Severity>();
    // On stdout it is: a document for a program (JSON, metrics) is written as it is.
    expectTypeOf<Io['out']>().parameter(1).toEqualTypeOf<Severity | undefined>();
  });

  it('leaves a piece without a level as it is, and still knows where its lines end', () => {
    const levelled = journalLines();
    expect(levelled('{"a":\n1}\n', undefined)).toBe('{"a":\n1}\n');
    expect(levelled('error: x\n', 'error')).toBe('<3>error: x\n');
    expect(levelled('{"b":', undefined)).toBe('{"b":');
    expect(levelled('2}\nnext\n', 'warn')).toBe('2}\n<4>next\n'); // the line begun without a level is not given one halfway
  });
});

/** `ports ARGS` in-process, in `cwd`, with its stderr levelled as the bin levels it when stderr is the journal. */
async function journalPorts(args: readonly string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const levelled = journalLines();
  let stdout = '';
  let stderr = '';
  const io: Io = { out: (text) => void (stdout += text), err: (text, severity) => void (stderr += levelled(text, severity)) };
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(args, io, {});
    return { code, stdout, stderr };
  } finally {
    process.chdir(previous);
  }
}

describe("each stderr line of a ports command has the level of what it says (the docs' <3> error, <4> warning, <6> the rest)", () => {
  it('ports validate: its FILE:LINE:COL: warning: line is <4> (it was <6>: only a line starting "warning:" was one)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'unprot.yaml'), `${minimalRegistry}claim:\n  protect:\n    unprotectBuiltin: [sshd]\n`);
    const run = await journalPorts(['validate', 'unprot.yaml'], dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^<4>unprot\.yaml:\d+:\d+: warning: claim\.protect\.unprotectBuiltin removes built-in protection from sshd: .*\n$/);
  });

  it('a failed --check (ports monitoring, docs, systemd) says why on stderr as an error, <3> (it was <6>)', async () => {
    const dir = checkout(replaceOnce(rootRegistry, 'port: 9090', 'port: 9091'), committedDocs);
    for (const empty of ['missing', 'units']) mkdirSync(join(dir, empty));
    const monitoring = await journalPorts(['monitoring', '--check', '--out', join(dir, 'missing')], dir);
    expect(monitoring.code).toBe(1);
    expect(monitoring.stderr).toMatch(/^<3>\d+ of \d+ files under .* are missing or stale: run ".*\n$/);
    const docs = await journalPorts(['docs', '--check'], dir);
    expect(docs.code).toBe(1);
    expect(docs.stderr).toMatch(/^<3>docs\/ports\.md is stale: run "ports docs/);
    const systemd = await journalPorts(['systemd', '--check', '--out', join(dir, 'units')], dir);
    expect(systemd.code).toBe(1);
    // It reads the bundled registry, which the edited ports.yaml no longer matches: said first, as a warning (<4>).
    expect(systemd.stderr).toMatch(
      /^<4>warning: ports\.yaml differs from .*\n<3>\d+ problems? in the claim wiring under .*, (each )?listed above with what to do\n$/,
    );
  });

  it('ports systemd: its warnings are <4>, the daemon-reload advice <6>', async () => {
    const dir = checkout();
    const units = await journalPorts(['systemd', '--out', join(dir, 'units')], dir);
    expect(units.stderr).toMatch(/^<6>Copy them into \/etc\/systemd\/system as they are laid out, then run "systemctl daemon-reload"/m);
    expect(
      units.stderr
        .split('\n')
        .filter(Boolean)
        .every((line) => /^<[46]>/.test(line)),
      units.stderr,
    ).toBe(true);
  });
});

describe('the built ports bin, stderr on the journal or not', () => {
  it('starts each line of a usage error with <3> when $JOURNAL_STREAM names its stderr file', () => {
    requireBuilt();
    const run = runWithStderrFile(bin, ['list', '--bogus'], 'stderr');
    expect(run.code).toBe(64);
    expect(run.stderr).toBe('<3>ports list: unknown option --bogus; usage: ports list [--json]\n<3>Run "ports list --help" for usage.\n');
  });

  it('adds no level when $JOURNAL_STREAM names another file (stderr was redirected) or is unset', () => {
    requireBuilt();
    for (const journal of ['other', 'unset'] as const) {
      const run = runWithStderrFile(bin, ['list', '--bogus'], journal);
      expect(run.code, journal).toBe(64);
      expect(run.stderr, journal).toBe('ports list: unknown option --bogus; usage: ports list [--json]\nRun "ports list --help" for usage.\n');
    }
  });

  it("leaves stdout as it is, also when stdout is the same stream (a unit's default)", () => {
    requireBuilt();
    const run = runWithStderrFile(bin, ['list', '--json', '--bogus'], 'stderr', { sameFile: true });
    expect(run.code).toBe(64);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.filter((line) => line.startsWith('<3>'))).toHaveLength(2);
    const json = lines.filter((line) => !line.startsWith('<3>'));
    expect(json).toHaveLength(1);
    expect(JSON.parse(json[0]!)).toMatchObject({ tool: 'ports', error: { kind: 'usage' }, exitCode: 64 });
  });

  it("says <3> on a socket named by $JOURNAL_STREAM, as the journal's stream is one", async () => {
    requireBuilt();
    const run = await runWithStderrSocket(bin, ['list', '--bogus']);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/^<3>ports list: unknown option --bogus;.*\n<3>Run "ports list --help" for usage\.\n$/);
  });
});
