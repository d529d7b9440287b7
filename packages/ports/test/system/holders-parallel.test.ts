// The two-thread fd scan must find exactly what the one-thread scan finds,
// from the TypeScript source and from a minified bundle (the worker runs the
// scan function's own source text, which minifying must not break).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { readListenSocketsSync, scanSocketHolders, scanSocketHoldersParallel } from '@dsa110/ports/system';
import { spawnListener } from '../../../../test-support/index.js';
import { tempDir } from '../../../../test-support/tree.js';

const systemSource = new URL('../../src/system/index.ts', import.meta.url).pathname;

describe('scanSocketHoldersParallel', () => {
  it('finds every holder the one-thread scan finds', async () => {
    const shared = await spawnListener({ host: '127.0.0.1', workers: 3 });
    const single = await spawnListener({ host: '::1' });
    const inodes = readListenSocketsSync({ ports: [shared.port, single.port] }).map((s) => s.inode);
    expect(inodes.length).toBeGreaterThanOrEqual(2);
    const expected = scanSocketHolders(inodes);
    const { threads, ...parallel } = await scanSocketHoldersParallel(inodes, { minProcesses: 1, requireIdleCore: false });
    expect(threads).toBe(2);
    expect(parallel).toEqual(expected);
    expect((await scanSocketHoldersParallel(inodes)).threads).toBe(1); // a few processes: one thread pays better
    expect([...parallel.holders.values()].flat()).toEqual(expect.arrayContaining([...shared.pids, ...single.pids]));
  });

  it('works from a minified bundle', async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const dir = tempDir('dsa110-parallel-');
    writeFileSync(
      join(dir, 'entry.ts'),
      `import { readListenSocketsSync, scanSocketHoldersParallel } from ${JSON.stringify(systemSource)};
const inodes = readListenSocketsSync({ ports: [Number(process.argv[2])] }).map((s) => s.inode);
const scan = await scanSocketHoldersParallel(inodes, { minProcesses: 1, requireIdleCore: false });
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
    const result = JSON.parse(execFileSync(process.execPath, [join(dir, 'out.mjs'), String(listener.port)], { encoding: 'utf8' }));
    expect(result).toEqual({ threads: 2, pids: listener.pids });
  });
});
