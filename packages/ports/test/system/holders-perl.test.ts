// What the perl scan's output means: only records it can account for are
// taken; a process perl could not read completely, or any output that does not
// parse, is left to the Node scan (recheck), never guessed.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { perlExecutable, readChildOutput, SCAN_SCRIPT } from '../../src/system/holders-perl.js';
import { tempDir, writeTree } from '../../../../test-support/tree.js';

const wanted = new Map([
  ['socket:[100]', 100],
  ['socket:[200]', 200],
]);
const records = (...fields: (string | number)[][]) => fields.map((record) => `${record.join('\0')}\0`).join('');

describe('readChildOutput', () => {
  it('takes the holders of wanted sockets and the empty fd directories, for PIDs with a d record', () => {
    const out = records(['d', 10, 3], ['s', 10, 'socket:[100] 3'], ['s', 10, 'socket:[999] 3'], ['d', 11, 0], ['d', 12, 1], ['s', 12, 'socket:[200] 3']);
    expect(readChildOutput([10, 11, 12], out, wanted)).toEqual({ scan: { found: [10, 100, 12, 200], unreadable: [], empty: [11] }, recheck: [] });
  });

  it('leaves a PID with an error record to the Node scan, and drops what was read of it', () => {
    const out = records(['d', 10, 2], ['s', 10, 'socket:[100] 3'], ['e', 10, 13], ['e', 11, 2], ['d', 12, 0]);
    expect(readChildOutput([10, 11, 12], out, wanted)).toEqual({ scan: { found: [], unreadable: [], empty: [12] }, recheck: [10, 11] });
  });

  it('leaves a PID with no record at all to the Node scan', () => {
    expect(readChildOutput([10, 11], records(['d', 10, 1], ['s', 10, 'socket:[100] 3']), wanted)).toEqual({
      scan: { found: [10, 100], unreadable: [], empty: [] },
      recheck: [11],
    });
  });

  it.each([
    ['output cut short (no final NUL)', `${records(['d', 10, 1])}s\u000010\u0000socket:[1`],
    ['a PID it was not given', records(['d', 10, 1], ['s', 99, 'socket:[100] 3'])],
    ['a PID written oddly', records(['d', '010', 1])],
    ['an unknown record', records(['d', 10, 1], ['x', 10, 1])],
    ['a count that is not a number', records(['d', 10, 'lots'])],
    ['a record cut in two', 'd\u000010\u0000'],
  ])('leaves every PID to the Node scan on %s', (_, out) => {
    expect(readChildOutput([10, 11], out, wanted)).toEqual({ scan: { found: [], unreadable: [], empty: [] }, recheck: [10, 11] });
  });

  it('with links, keeps every socket link with its fd, of the PIDs it read completely only', () => {
    const out = records(['d', 10, 3], ['s', 10, 'socket:[100] 4'], ['s', 10, 'socket:[999] 7'], ['d', 12, 1], ['s', 12, 'socket:[300] 5'], ['e', 12, 13]);
    expect(readChildOutput([10, 12], out, wanted, true)).toEqual({
      scan: { found: [10, 100], unreadable: [], empty: [], links: [10, 100, 4, 10, 999, 7] },
      recheck: [12],
    });
  });

  it('leaves every PID to the Node scan on a socket record without its fd', () => {
    expect(readChildOutput([10], records(['d', 10, 1], ['s', 10, 'socket:[100]']), wanted)).toEqual({
      scan: { found: [], unreadable: [], empty: [] },
      recheck: [10],
    });
  });

  it('reads nothing from an empty output: every PID is rechecked', () => {
    expect(readChildOutput([10], '', wanted).recheck).toEqual([10]);
  });
});

const perl = perlExecutable();

/** SCAN_SCRIPT's records, from its stdout and its fork's fd 3 together, as [kind, pid, value] triples. */
async function runScript(proc: string, ways: 1 | 2, pids: readonly number[]): Promise<{ code: number | null; records: string[][] }> {
  const child = spawn(perl!, ['-f', '-e', SCAN_SCRIPT, '--', proc, String(ways), ...pids.map(String)], {
    stdio: ['ignore', 'pipe', 'inherit', 'pipe'],
    env: {},
  });
  // Each stream whole, one after the other: a record is never split between them, but chunks of the two interleave.
  const out: Buffer[] = [];
  const forked: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => forked.push(chunk));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const fields = Buffer.concat([...out, ...forked])
    .toString('latin1')
    .split('\0');
  fields.pop();
  const records: string[][] = [];
  for (let index = 0; index < fields.length; index += 3) records.push(fields.slice(index, index + 3));
  return { code, records };
}

describe.skipIf(perl === undefined)('SCAN_SCRIPT, run by perl over a proc tree', () => {
  // PIDs in the tree have an fd directory (a socket link and a file link); the others do not exist (ENOENT).
  const proc = () =>
    writeTree(tempDir(), {
      '5/fd/0': { symlink: 'socket:[500]' },
      '5/fd/1': { symlink: '/dev/null' },
      '16387/fd/3': { symlink: 'socket:[16387]' },
      '20001/fd/0': { symlink: '/dev/null' },
    });

  // 20,001 PIDs: past 16,384 the chunks grow (to 10 PIDs here), and the last chunk is partial.
  const pids = Array.from({ length: 20_001 }, (_, index) => index + 1);

  for (const ways of [1, 2] as const) {
    it(`reads each PID exactly once, in ${ways} process${ways === 2 ? 'es sharing one queue' : ''}`, async () => {
      const { code, records } = await runScript(proc(), ways, pids);
      expect(code).toBe(0);
      const listed = records.filter(([kind]) => kind === 'd').map(([, pid, count]) => `${pid}:${count}`);
      expect(listed.sort()).toEqual(['16387:1', '20001:1', '5:2']);
      expect(
        records
          .filter(([kind]) => kind === 's')
          .map(([, pid, link]) => `${pid} ${link?.split(' ')[0]}`)
          .sort(),
      ).toEqual(['16387 socket:[16387]', '5 socket:[500]']);
      const perPid = new Map<string, number>();
      for (const [kind, pid] of records) if (kind !== 's') perPid.set(pid!, (perPid.get(pid!) ?? 0) + 1);
      expect(perPid.size).toBe(pids.length);
      expect([...perPid.values()].every((count) => count === 1)).toBe(true);
      expect(records.filter(([kind]) => kind === 'e').every(([, , errno]) => errno === '2')).toBe(true);
    });
  }
});

describe.skipIf(perl === undefined)('SCAN_SCRIPT, a socket in many fds', () => {
  it('writes each socket of a process once, however many of its fds are on it (not a record per fd: 2 million of them for 100 sockets)', async () => {
    const tree: Record<string, { symlink: string }> = { '7/fd/0': { symlink: '/dev/null' }, '7/fd/1': { symlink: 'socket:[701]' } };
    for (let fd = 2; fd < 2002; fd++) tree[`7/fd/${fd}`] = { symlink: 'socket:[700]' };
    const { code, records } = await runScript(writeTree(tempDir(), tree), 1, [7]);
    expect(code).toBe(0);
    // With the fd read on each first (what unlistedSocketHolders hands perl to examine).
    expect(records.filter(([kind]) => kind === 's').map(([, , link]) => link)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^socket:\[700\] \d+$/), 'socket:[701] 1']),
    );
    expect(records.filter(([kind]) => kind === 's')).toHaveLength(2);
    // Every fd still counted: the directory was read whole.
    expect(records.filter(([kind]) => kind === 'd')).toEqual([['d', '7', '2002']]);
  });
});

describe.skipIf(!perl)('startPerlScan out of descriptors', () => {
  it('gives every PID back to the Node scan (stdout undefined) when spawn() can make no pipe (EMFILE), never throws', () => {
    const fixture = fileURLToPath(new URL('./fixtures/perl-scan-without-fds.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', fixture], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const { held, outputs } = JSON.parse(run.stdout) as { held: number; outputs: { share: number[]; stdout?: string }[] };
    expect(held).toBeGreaterThan(0);
    expect(outputs).toEqual([{ share: [run.pid] }]);
  });
});
