// The differential corpus under a running systemd: every unit of the corpus
// (packages/ports/test/systemd/fixtures/systemd-corpus.ts, hand-made cases
// and 500 random ExecStartPre= lines) installed in one boot of the throwaway
// container (container.ts, boot.sh), and for each unit what systemd loaded
// (LoadState, and ExecStartPreEx over D-Bus: path, argv, flags) compared with
// the model's answer. The host side (systemd-analyze verify) is in the unit
// tests; this is what PID 1 itself makes of the files.
//
// One boot: the ordinary cases and the random ones in one phase; each case
// that writes the type-wide service.d/ (which would apply to every unit) in a
// phase of its own, its files removed after it. Cases on which systemd blocks
// (a FIFO drop-in; a FIFO at a unit file's name, which only PID 1 opens) are
// never installed: PID 1 would hang on them.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusModel, type CorpusOutcome } from '../../packages/ports/test/systemd/corpus-model.js';
import { CONTAINER_HOST, CORPUS, type CorpusCase, RANDOM_CORPUS, type RandomCase } from '../../packages/ports/test/systemd/fixtures/systemd-corpus.js';
import { writeTree } from '../../test-support/tree.js';
import { titled } from '../support/requirements.js';
import { Container, containerSkipReason, endContainerSuite, HostCanary, showRun } from './container.js';

const skip = containerSkipReason();

type Case = CorpusCase | RandomCase;
/** Never installed: PID 1 would hang on these (a FIFO drop-in, a FIFO at a unit file's name). */
const blocksPid1 = (c: CorpusCase) => c.blocksSystemd === true || c.blocksPid1 === true;
const runnable: Case[] = [...CORPUS.filter((c) => !blocksPid1(c)), ...RANDOM_CORPUS];
const phases: Case[][] = [runnable.filter((c) => !c.isolated), ...runnable.filter((c) => c.isolated).map((c) => [c])];

/** The D-Bus object path of a unit (bus_label_escape: letters and digits kept, anything else _xx). */
function objectPath(unit: string): string {
  const label = [...Buffer.from(unit)]
    .map((byte) => (/[A-Za-z0-9]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `_${byte.toString(16).padStart(2, '0')}`))
    .join('');
  return `/org/freedesktop/systemd1/unit/${label}`;
}

/**
 * The script run inside the container for one phase: each unit's
 * ExecStartPreEx (path, argv, flags) as busctl's JSON, one line per unit, in
 * order. `systemctl show` cannot be used for argv: it joins argv with spaces.
 */
const QUERY = `set -u
while IFS= read -r path; do
  busctl --json=short get-property org.freedesktop.systemd1 "$path" org.freedesktop.systemd1.Service ExecStartPreEx 2>/dev/null || echo null
done
`;

type Exec = { data: Array<[string, string[], string[], ...unknown[]]> } | null;

/** systemd's answer in the corpus's shape. */
function outcomeOf(state: string, exec: Exec): Required<CorpusOutcome> {
  const loads = state === 'loaded' ? true : state === 'masked' ? 'masked' : false;
  const commands = loads === true ? (exec?.data ?? []).map(([path, argv, flags]) => ({ argv, path, flags: [...flags].sort() })) : [];
  return { loads, commands };
}

describe.skipIf(skip !== undefined)(titled('under a real systemd: the differential corpus, as PID 1 loads it', skip), () => {
  let c: Container;
  let dir: string | undefined;
  const canary = new HostCanary('systemd-corpus');
  const systemd = new Map<string, Required<CorpusOutcome>>();
  const model = new Map<string, Required<CorpusOutcome>>();

  beforeAll(async () => {
    canary.plant();
    dir = Container.prepare();
    const stage = join(dir, 'stage');
    for (const [index, phase] of phases.entries()) {
      const root = join(stage, 'corpus', String(index));
      for (const item of phase) writeTree(root, item.files);
      writeFileSync(join(stage, 'corpus', `${index}.paths`), `${phase.map((item) => objectPath(item.unit)).join('\n')}\n`);
      for (const item of phase) {
        // The container's host name (boot.sh sets it) for %H, %q and %l; other host specifiers stay as written.
        const outcome = corpusModel(root, item.unit, { H: CONTAINER_HOST, q: CONTAINER_HOST, l: CONTAINER_HOST });
        model.set(item.unit, { ...outcome, commands: outcome.commands.map((command) => ({ ...command, flags: [...(command.flags ?? [])].sort() })) });
      }
    }
    writeFileSync(join(stage, 'query.sh'), QUERY);
    c = await Container.boot(dir);
    // busctl needs the system bus: the container boots basic.target only, so start D-Bus.
    const bus = await c.exec(['systemctl', 'start', 'dbus.socket', 'dbus.service']);
    expect(bus.code, showRun(bus)).toBe(0);
    for (const [index, phase] of phases.entries()) {
      const files = phase.flatMap((item) => Object.keys(item.files));
      const install = await c.sh(`cp -a /opt/dsa110-e2e/corpus/${index}/. / && systemctl daemon-reload`, { timeoutMs: 60_000 });
      expect(install.code, showRun(install)).toBe(0);
      // LoadState of every unit in one call (which loads them), in the order given; then ExecStartPreEx of each.
      const states = await c.exec(['systemctl', 'show', '-p', 'LoadState', '--value', '--', ...phase.map((item) => item.unit)], { timeoutMs: 120_000 });
      expect(states.code, showRun(states)).toBe(0);
      const loadStates = states.stdout.split('\n').filter((line) => line !== '');
      expect(loadStates).toHaveLength(phase.length);
      const query = await c.sh(`bash /opt/dsa110-e2e/query.sh < /opt/dsa110-e2e/corpus/${index}.paths`, { timeoutMs: 300_000 });
      expect(query.code, showRun(query)).toBe(0);
      const execs = query.stdout.trim().split('\n');
      expect(execs).toHaveLength(phase.length);
      for (const [i, item] of phase.entries()) systemd.set(item.unit, outcomeOf(loadStates[i]!, JSON.parse(execs[i]!) as Exec));
      if (index > 0) {
        // An isolated phase: take its files away again, so the next phase sees none of them.
        const remove = await c.exec(['rm', '-rf', ...files.map((file) => `/${file}`)]);
        expect(remove.code, showRun(remove)).toBe(0);
        await c.exec(['systemctl', 'daemon-reload']);
      }
    }
  }, 600_000);

  afterAll(() => endContainerSuite(c, dir, canary), 60_000);

  it('boots on the overlay, and the host /tmp canary survives', async () => {
    expect((await c.exec(['findmnt', '-n', '-o', 'SOURCE,FSTYPE', '/'])).stdout.trim()).toBe('dsa110-e2e-root overlay');
    expect((await c.exec(['hostname'])).stdout.trim()).toBe(CONTAINER_HOST);
    expect(existsSync(canary.path)).toBe(true);
  });

  it(`systemd loaded every one of the ${runnable.length} corpus units`, () => {
    expect(runnable.filter((item) => !systemd.has(item.unit)).map((item) => item.unit)).toEqual([]);
  });

  it.each(CORPUS.filter((c) => !blocksPid1(c)).map((c) => [c.name, c] as const))('%s: systemd loads what the case says', (_, item) => {
    const loaded = systemd.get(item.unit)!;
    expect(loaded.loads).toBe(item.loads);
    if (item.commands && loaded.loads === true) {
      const expected = item.commands.map((command) => ({ path: command.argv[0], ...command }));
      expect(loaded.commands.map((command, i) => (expected[i]?.flags ? command : { ...command, flags: undefined }))).toEqual(
        expected.map((command) => ({ ...command, flags: command.flags ? [...command.flags].sort() : undefined })),
      );
    }
  });

  it('the model and systemd agree on every unit: loads or not, and each ExecStartPre= command (path, argv, flags)', () => {
    const mismatches = runnable.flatMap((item) => {
      const ours = model.get(item.unit)!;
      const theirs = systemd.get(item.unit);
      const divergence = 'divergence' in item ? item.divergence : undefined;
      if (divergence) return [];
      return JSON.stringify(ours) === JSON.stringify(theirs) ? [] : [`${item.name}\n  model:   ${JSON.stringify(ours)}\n  systemd: ${JSON.stringify(theirs)}`];
    });
    expect(mismatches.join('\n')).toBe('');
  });
});
