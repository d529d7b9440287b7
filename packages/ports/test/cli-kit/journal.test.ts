// Levels for the journal (cli-kit/journal.ts): stderr is the journal only when
// $JOURNAL_STREAM names fd 2's own device and inode; then every stderr line
// starts with its level (`<3>` an error), and stdout is left as it is. The
// pure decision and the line writer, then the built `ports` bin with its
// stderr on a real file or socket.
import { describe, expect, it } from 'vitest';
import { isJournalStream, journalLines } from '../../src/cli-kit/journal.js';
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

  it('makes a line given no severity info, or a warning when it says "warning:"', () => {
    const levelled = journalLines();
    expect(levelled('wrote docs/ports.md\n')).toBe('<6>wrote docs/ports.md\n');
    expect(levelled('warning: /etc/x: not ours\n')).toBe('<4>warning: /etc/x: not ours\n');
  });
});

describe('the built ports bin, stderr on the journal or not', () => {
  it('starts each line of a usage error with <3> when $JOURNAL_STREAM names its stderr file', () => {
    requireBuilt();
    const run = runWithStderrFile(bin, ['list', '--bogus'], 'stderr');
    expect(run.code).toBe(64);
    expect(run.stderr).toBe('<3>ports list: unknown option "--bogus"; usage: ports list [--json]\n<3>Run "ports list --help" for usage.\n');
  });

  it('adds no level when $JOURNAL_STREAM names another file (stderr was redirected) or is unset', () => {
    requireBuilt();
    for (const journal of ['other', 'unset'] as const) {
      const run = runWithStderrFile(bin, ['list', '--bogus'], journal);
      expect(run.code, journal).toBe(64);
      expect(run.stderr, journal).toBe('ports list: unknown option "--bogus"; usage: ports list [--json]\nRun "ports list --help" for usage.\n');
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
    expect(run.stderr).toMatch(/^<3>ports list: unknown option "--bogus".*\n<3>Run "ports list --help" for usage\.\n$/);
  });
});
