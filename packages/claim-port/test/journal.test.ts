// Under systemd claim-port's stderr is the journal (ExecStartPre=): each line
// starts with its level, so `journalctl -p err -u redis-server` shows a refused
// claim (`<3>`), a warning is `<4>`, a progress line `<6>`. Only where
// $JOURNAL_STREAM names the bin's own stderr (a real file here, or a socket);
// a redirected stderr gets plain lines. The built bin, behind the guard.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guardPort, leasePort, runWithStderrFile, runWithStderrSocket, spawnListener } from '../../../test-support/index.js';
import { fromSource } from '../../../test-support/raw-bytes.js';
import { tempDir } from '../../../test-support/tree.js';
import { BIN } from './helpers.js';

/** How the bin is started: the built one, and its sources under tsx (node options, then the script). */
const BINS: [string, string[]][] = [
  ['the built bin', [BIN]],
  ['the source under tsx', fromSource('packages/claim-port/src/bin.ts')],
];

describe('claim-port with stderr on the journal', () => {
  it.each(BINS)(
    '%s: a refusal (a protected holder) is <3> on its refusal line, the one err line, and "nothing was signalled" progress (<6>); the JSON on stdout has no level',
    async (_, [script, ...nodeArgs]) => {
      const server = await spawnListener({ name: 'systemd-test' });
      guardPort(server.port);
      const run = runWithStderrFile(script!, [...nodeArgs, String(server.port), '--json'], 'stderr');
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toMatchObject({ action: 'refused' });
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines.filter((line) => line.startsWith('<3>'))).toEqual([
        expect.stringMatching(new RegExp(`^<3>\\[claim-port:${server.port}\\] refusing: PID ${server.pid} \\(systemd-test\\) is protected`)),
      ]);
      expect(lines).toContainEqual(`<6>[claim-port:${server.port}] nothing was signalled; port ${server.port} is still in use`);
      for (const line of lines) expect(line).toMatch(/^<[3-6]>\[claim-port:/);
    },
  );

  it('the same refusal has no level when $JOURNAL_STREAM names another file, or is unset', async () => {
    const server = await spawnListener({ name: 'systemd-test' });
    for (const journal of ['other', 'unset'] as const) {
      guardPort(server.port);
      const run = runWithStderrFile(BIN, [String(server.port)], journal);
      expect(run.code, journal).toBe(1);
      expect(run.stderr, journal).toMatch(new RegExp(`^\\[claim-port:${server.port}\\] refusing: PID ${server.pid} \\(systemd-test\\) is protected`, 'm'));
      expect(run.stderr, journal).not.toMatch(/<\d>/);
    }
  });

  it('a warning is <4> and a progress line <6>', () => {
    const port = leasePort();
    guardPort(port);
    const missing = join(tempDir('claim-journal-'), 'missing.yaml');
    const run = runWithStderrFile(BIN, [String(port), '--registry', missing], 'stderr');
    expect(run.code).toBe(0);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^<4>\\[claim-port:${port}\\] warning: .*missing\\.yaml: cannot read the registry`)));
    expect(lines).toContainEqual(`<6>[claim-port:${port}] port ${port} is free; nothing to do`);
  });

  it('a usage error is <3>, on a file or a socket named by $JOURNAL_STREAM', async () => {
    const line = '[claim-port:?] error: unknown option --bogus; see claim-port --help\n';
    expect(runWithStderrFile(BIN, ['--bogus'], 'stderr')).toMatchObject({ code: 64, stderr: `<3>${line}` });
    expect(runWithStderrFile(BIN, ['--bogus'], 'unset')).toMatchObject({ code: 64, stderr: line });
    expect(await runWithStderrSocket(BIN, ['--bogus'])).toMatchObject({ code: 64, stderr: `<3>${line}` });
  });
});
