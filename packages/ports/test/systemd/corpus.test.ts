// The systemd model against systemd itself, on the differential corpus
// (fixtures/systemd-corpus.ts): every hand-made case's expectations are held
// against the model and against `systemd-analyze verify --root` (does the unit
// load?); each random ExecStartPre= line is loaded by both and must load (or
// not) alike. What a running systemd loads, command by command, is compared in
// the e2e container (e2e/systemd/corpus.test.ts).
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasCommand } from '../../../../test-support/index.js';
import { recordSpawned, signal } from '../../../../test-support/guard.js';
import { tempDir, writeTree } from '../../../../test-support/tree.js';
import { corpusModel, type CorpusOutcome, verifyOutcome } from './corpus-model.js';
import { CORPUS, type CorpusCase, RANDOM_CORPUS } from './fixtures/systemd-corpus.js';

const analyze = hasCommand('systemd-analyze');

/** The trees the cases need: one shared root for the ordinary cases, one per isolated case. */
function roots<C extends Pick<CorpusCase, 'files' | 'isolated'>>(cases: readonly C[]): Array<{ root: string; cases: C[] }> {
  const shared = cases.filter((c) => !c.isolated);
  const groups = [shared, ...cases.filter((c) => c.isolated).map((c) => [c])];
  return groups.map((group) => {
    const root = tempDir('dsa110-corpus-');
    for (const c of group) writeTree(root, c.files);
    return { root, cases: group };
  });
}

/** What the case says the model answers: systemd's answer, unless a divergence is recorded. */
function expectedOfModel(c: CorpusCase): CorpusOutcome {
  const expected = c.divergence?.model ?? c;
  return { loads: expected.loads, ...(expected.commands && { commands: expected.commands }) };
}

describe('the systemd model on the corpus', () => {
  let outcomes: Map<string, CorpusOutcome>;
  beforeAll(() => {
    outcomes = new Map();
    for (const { root, cases } of roots(CORPUS)) for (const c of cases) outcomes.set(c.name, corpusModel(root, c.unit));
  });

  it(`has ${CORPUS.length} hand-made cases with distinct names and units`, () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(89);
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
    expect(new Set(CORPUS.map((c) => c.unit)).size).toBe(CORPUS.length);
  });

  it.each(CORPUS.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const outcome = outcomes.get(c.name)!;
    const expected = expectedOfModel(c);
    expect(outcome.loads, JSON.stringify(outcome)).toBe(expected.loads);
    // Flags are compared where the case gives them; path defaults to argv[0].
    const seen = outcome.commands?.map((command, index) => (expected.commands?.[index]?.flags ? command : { ...command, flags: undefined }));
    if (expected.commands) expect(seen).toEqual(expected.commands.map((command) => ({ path: command.argv[0], flags: undefined, ...command })));
  });
});

describe.skipIf(!analyze)(
  `systemd-analyze verify agrees (${analyze ? 'systemd-analyze installed' : 'skipped: systemd-analyze is not installed; scripts/install-system-packages.sh installs systemd'})`,
  () => {
    let verified: Map<string, { loads: boolean | 'masked'; output: string }>;
    beforeAll(() => {
      verified = new Map();
      const runnable = [...CORPUS.filter((c) => !c.blocksSystemd), ...RANDOM_CORPUS];
      for (const { root, cases } of roots(runnable)) {
        for (const [unit, result] of verifyOutcome(
          root,
          cases.map((c) => c.unit),
        ))
          verified.set(unit, result);
      }
    }, 60_000);

    it.each(CORPUS.filter((c) => c.blocksSystemd).map((c) => [c.name, c] as const))('%s: systemd blocks on it', async (_, c) => {
      const root = writeTree(tempDir('dsa110-corpus-'), c.files);
      const fifos = Object.entries(c.files).flatMap(([path, entry]) => (typeof entry === 'object' && 'fifo' in entry ? [join(root, path)] : []));
      const child = spawn('systemd-analyze', ['verify', '--man=no', `--root=${root}`, c.unit], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'notice' },
        stdio: 'ignore',
      });
      recordSpawned(child.pid!);
      const exited = new Promise<boolean>((resolve) => child.once('exit', () => resolve(true)));
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const blocked = child.exitCode === null && child.signalCode === null;
      // Let it finish rather than kill it: a killed systemd-analyze leaves the
      // directories it made in /tmp behind. A writer that opens and closes the
      // FIFO gives the reader blocked in open() an end of file, and it goes on.
      let finished = false;
      for (let tries = 0; tries < 50 && !finished; tries++) {
        for (const fifo of fifos) {
          try {
            closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
          } catch {
            // ENXIO: no reader has it open (yet, or any more)
          }
        }
        finished = await Promise.race([exited, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100))]);
      }
      if (!finished) {
        signal(child.pid!, 'SIGKILL');
        await exited;
      }
      expect({ blocked, finished }).toEqual({ blocked: true, finished: true });
    });

    it.each(CORPUS.filter((c) => !c.blocksSystemd).map((c) => [c.name, c] as const))('%s', (_, c) => {
      const result = verified.get(c.unit)!;
      expect(result.loads, result.output).toBe(c.loads);
    });

    it(`loads each of ${RANDOM_CORPUS.length} random ExecStartPre= lines exactly when the model does`, () => {
      const root = tempDir('dsa110-corpus-model-');
      for (const c of RANDOM_CORPUS) writeTree(root, c.files);
      const mismatches = RANDOM_CORPUS.flatMap((c) => {
        const model = corpusModel(root, c.unit);
        const systemd = verified.get(c.unit)!;
        return model.loads === systemd.loads ? [] : [`${c.name}: model ${JSON.stringify(model)}, systemd ${systemd.loads}\n${systemd.output}`];
      });
      expect(mismatches).toEqual([]);
    });
  },
);
