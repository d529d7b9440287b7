// Under systemd the timer's service writes stderr to the journal: each line then
// starts with its level (`<3>` an error, `<4>` a warning), so `journalctl -p err`
// shows a check that could not run. Only where $JOURNAL_STREAM names the bin's
// own stderr (a real file here, or a socket), never on a redirected stderr.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runWithStderrFile, runWithStderrSocket } from '../../../test-support/index.js';
import { tempDir } from './helpers.js';
import { scenario } from './scenario.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(packageDir, 'bin/port-health-check.js');

beforeAll(() => {
  if (!existsSync(join(packageDir, 'dist/cli.cjs'))) throw new Error('port-health-check is not built: run `npx -y pnpm@10.34.9 build` first');
});

describe('port-health-check with stderr on the journal', () => {
  it('a usage error is <3> when $JOURNAL_STREAM names its stderr, and plain otherwise', () => {
    const line = 'port-health-check: unknown option --bogus; see port-health-check --help\n';
    const journal = runWithStderrFile(bin, ['--bogus'], 'stderr');
    expect(journal.code).toBe(64);
    expect(journal.stderr).toBe(`<3>${line}`);
    for (const other of ['other', 'unset'] as const) {
      const run = runWithStderrFile(bin, ['--bogus'], other);
      expect(run.code, other).toBe(64);
      expect(run.stderr, other).toBe(line);
    }
  });

  it('an error that stops the check (exit 3) is <3>; the JSON on stdout has none', () => {
    const registry = join(tempDir(), 'ports.yaml');
    writeFileSync(registry, '{"version": 1, "services": []}\n');
    const run = runWithStderrFile(bin, ['--registry', registry, '--output', registry, '--json'], 'stderr');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^<3>port-health-check: cannot write .*: it is the registry this check reads .*\n$/);
    expect(JSON.parse(run.stdout)).toMatchObject({ tool: 'port-health-check', exitCode: 3 });
  });

  it('a warning is <4>; the problem lines on stdout keep their text', async () => {
    const broken = await scenario({ broken: true });
    const file = join(tempDir(), 'dsa110_ports.prom');
    writeFileSync(file, '');
    chmodSync(file, 0o666);
    const run = runWithStderrFile(
      bin,
      ['--registry', broken.registryPath, '--root', broken.root, '--no-firewall', '--format', 'prometheus', '--output', file],
      'stderr',
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`<4>port-health-check: warning: made ${file} 0644: it was writable by its group and others (mode 0666)\n`);
    expect(run.stdout).toMatch(/^error: /m);
    expect(run.stdout).not.toMatch(/<\d>/);
  });

  it("with stdout on the journal too (a unit's default), each problem line has its level: journalctl -p warning shows a timer's findings", async () => {
    const broken = await scenario({ broken: true });
    const file = join(tempDir(), 'dsa110_ports.prom');
    const args = ['--registry', broken.registryPath, '--root', broken.root, '--no-firewall'];
    // The timer's unit: the report to the textfile, the problems on stdout.
    const timer = runWithStderrFile(bin, [...args, '--format', 'prometheus', '--output', file], 'stderr', { sameFile: true });
    expect(timer.code).toBe(1);
    const lines = timer.stderr.trimEnd().split('\n');
    for (const line of lines) expect(line, timer.stderr).toMatch(/^(<3>error: |<4>warning: |<5>unknown: )/);
    expect(lines).toContainEqual(expect.stringMatching(/^<3>error: \[access\] redis /));
    expect(readFileSync(file, 'utf8')).not.toMatch(/<\d>/); // the metrics are a document: as they are
    // By hand under a unit (`systemd-run port-health-check`): the whole text report, every line with its level.
    const full = runWithStderrFile(bin, args, 'stderr', { sameFile: true });
    expect(full.code).toBe(1);
    const report = full.stderr.trimEnd().split('\n');
    expect(report[0]).toMatch(/^<6>PORT +SERVICE/);
    expect(report).toContainEqual(expect.stringMatching(/^<3>Errors \(1\)$/));
    expect(report.at(-1)).toMatch(/^<3>port-health-check: 1 error, .*: exit 1$/);
    // JSON on the journal's stdout is left as it is.
    const json = runWithStderrFile(bin, [...args, '--json'], 'stderr', { sameFile: true });
    expect(JSON.parse(json.stderr)).toMatchObject({ exitCode: 1 });
    // stdout elsewhere (a pipe) while stderr is the journal: plain lines.
    const piped = runWithStderrFile(bin, args, 'stderr');
    expect(piped.stdout).not.toMatch(/<\d>/);
  });

  it("a usage error is <3> on a socket named by $JOURNAL_STREAM, as the journal's stream is one", async () => {
    const run = await runWithStderrSocket(bin, ['--bogus']);
    expect(run.code).toBe(64);
    expect(run.stderr).toBe('<3>port-health-check: unknown option --bogus; see port-health-check --help\n');
  });
});
