// The two-thread fd scan must find exactly what the one-thread scan finds,
// from the TypeScript source and from a minified bundle (the worker runs the
// scan function's own source text, which minifying must not break).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { readListenSocketsSync, scanSocketHolders, scanSocketHoldersParallel, startScanHelper } from '@dsa110/ports/system';
import { spawnListener } from '../../../../test-support/index.js';

const systemSource = new URL('../../src/system/index.ts', import.meta.url).pathname;

/**
 * A /proc of many processes (directories of real symbolic links, as
 * /proc/PID/fd/N are): 3,000 PIDs with 8 fds each, so that the main thread
 * cannot scan it all before a running worker picks up its share. Socket
 * 4242 is held by the first and the last PID, 4343 by a PID in the middle.
 */
function bigProc(): string {
  const root = mkdtempSync(join(tmpdir(), 'dsa110-bigproc-'));
  for (let pid = 1000; pid < 4000; pid++) {
    const fd = join(root, String(pid), 'fd');
    mkdirSync(fd, { recursive: true });
    for (let n = 0; n < 8; n++)
      symlinkSync(n === 5 && (pid === 1000 || pid === 3999) ? 'socket:[4242]' : n === 6 && pid === 2500 ? 'socket:[4343]' : `/dev/null`, join(fd, String(n)));
  }
  return root;
}

/** A scan with a helper that is running and waiting before the scan starts: up to 3 tries on a busy machine. */
async function withReadyHelper(inodes: number[], procRoot?: string) {
  for (let attempt = 1; ; attempt++) {
    const helper = startScanHelper({ minProcesses: 1, requireIdleCore: false });
    expect(await helper!.ready).toBe(true);
    const scan = await scanSocketHoldersParallel(inodes, { helper, ...(procRoot && { procRoot }) });
    if (scan.threads === 2 || attempt === 3) return scan;
  }
}

describe('scanSocketHoldersParallel', () => {
  it('finds every holder the one-thread scan finds', async () => {
    const shared = await spawnListener({ host: '127.0.0.1', workers: 3 });
    const single = await spawnListener({ host: '::1' });
    const inodes = readListenSocketsSync({ ports: [shared.port, single.port] }).map((s) => s.inode);
    expect(inodes.length).toBeGreaterThanOrEqual(2);
    const expected = scanSocketHolders(inodes);
    // Forced on (a few processes): the worker takes part if it picks up a share before the main thread ends.
    const { threads, ...parallel } = await withReadyHelper(inodes);
    expect([1, 2]).toContain(threads);
    expect(parallel).toEqual(expected);
    expect(await scanSocketHoldersParallel(inodes, { minProcesses: 1, requireIdleCore: false })).toEqual({ ...expected, threads: expect.any(Number) });
    expect((await scanSocketHoldersParallel(inodes)).threads).toBe(1); // a few processes: one thread pays better
    expect([...parallel.holders.values()].flat()).toEqual(expect.arrayContaining([...shared.pids, ...single.pids]));
  });

  it('works from a minified bundle', async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const dir = mkdtempSync(join(tmpdir(), 'dsa110-parallel-'));
    writeFileSync(
      join(dir, 'entry.ts'),
      `import { readListenSocketsSync, scanSocketHoldersParallel, startScanHelper } from ${JSON.stringify(systemSource)};
const inodes = readListenSocketsSync({ ports: [Number(process.argv[2])] }).map((s) => s.inode);
let scan;
for (let attempt = 0; attempt < 3 && scan?.threads !== 2; attempt++) {
  const helper = startScanHelper({ minProcesses: 1, requireIdleCore: false });
  if (!(await helper.ready)) throw new Error('the minified worker did not start');
  scan = await scanSocketHoldersParallel([4242], { helper, procRoot: process.argv[3] });
  if (scan.holders.get(4242).join() !== '1000,3999') throw new Error('wrong holders ' + scan.holders.get(4242));
}
const live = await scanSocketHoldersParallel(inodes, { minProcesses: 1, requireIdleCore: false });
scan.holders = live.holders;
console.log(JSON.stringify({ threads: scan.threads, pids: [...scan.holders.values()].flat() }));`,
    );
    await esbuild.build({
      entryPoints: [join(dir, 'entry.ts')],
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      outfile: join(dir, 'out.mjs'),
      logLevel: 'error',
    });
    const result = JSON.parse(execFileSync(process.execPath, [join(dir, 'out.mjs'), String(listener.port), bigProc()], { encoding: 'utf8' }));
    expect(result).toEqual({ threads: 2, pids: listener.pids });
  });

  it('uses a helper started ahead of the scan, and finds what one thread finds', async () => {
    const shared = await spawnListener({ host: '127.0.0.1', workers: 2 });
    const inodes = readListenSocketsSync({ ports: [shared.port] }).map((s) => s.inode);
    const { threads, ...parallel } = await withReadyHelper(inodes);
    expect([1, 2]).toContain(threads);
    expect(parallel).toEqual(scanSocketHolders(inodes));
    expect(parallel.holders.get(inodes[0]!)).toEqual([...shared.pids].sort((a, b) => a - b));
  });

  it('splits a large /proc with a running worker, and finds every holder either thread saw', async () => {
    const procRoot = bigProc();
    const { threads, ...parallel } = await withReadyHelper([4242, 4343], procRoot);
    expect(threads).toBe(2);
    expect(parallel).toEqual(scanSocketHolders([4242, 4343], { procRoot }));
    expect(parallel.holders).toEqual(
      new Map([
        [4242, [1000, 3999]],
        [4343, [2500]],
      ]),
    );
  }, 30_000);

  it('never waits for a helper that has not started: the main thread scans it all', async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const inodes = readListenSocketsSync({ ports: [listener.port] }).map((s) => s.inode);
    // A scan of this machine takes a few ms, a worker's start-up tens: the scan ends first.
    // (Retried: a starved main thread could, rarely, let the worker win; then it must take part.)
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const helper = startScanHelper({ minProcesses: 1, requireIdleCore: false })!;
      let ready = false;
      void helper.ready.then(() => (ready = true));
      const { threads, ...scan } = await scanSocketHoldersParallel(inodes, { helper });
      expect(scan.holders.get(inodes[0]!)).toEqual(listener.pids);
      outcomes.push(`${threads} ${ready}`);
      if (threads === 1 && !ready) break;
    }
    expect(outcomes).toContain('1 false');
  });

  it('a closed helper is not used', async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const inodes = readListenSocketsSync({ ports: [listener.port] }).map((s) => s.inode);
    const helper = startScanHelper({ minProcesses: 1, requireIdleCore: false })!;
    await helper.ready;
    helper.close();
    const { threads, ...scan } = await scanSocketHoldersParallel(inodes, { helper });
    expect(threads).toBe(1);
    expect(scan.holders.get(inodes[0]!)).toEqual(listener.pids);
  });

  it.skipIf(availableParallelism() < 2)('starts a helper only with many tasks and an idle core, from one read of /proc/loadavg', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dsa110-loadavg-'));
    const gate = (line: string, options = {}) => {
      writeFileSync(join(root, 'loadavg'), `${line}\n`);
      const helper = startScanHelper({ procRoot: root, ...options });
      helper?.close();
      return helper !== undefined;
    };
    expect(gate('0.52 0.40 0.31 1/1450 4242')).toBe(true); // many tasks, only this one runnable
    expect(gate(`0.52 0.40 0.31 ${availableParallelism()}/1450 4242`)).toBe(false); // every core busy
    expect(gate(`0.52 0.40 0.31 ${availableParallelism()}/1450 4242`, { requireIdleCore: false })).toBe(true);
    expect(gate('0.52 0.40 0.31 1/120 4242')).toBe(false); // a small machine: one thread is faster
    expect(gate('0.52 0.40 0.31 1/120 4242', { minProcesses: 100 })).toBe(true);
    expect(gate('garbage')).toBe(false);
  });
});
