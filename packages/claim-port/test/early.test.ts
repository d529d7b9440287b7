// The first look (src/early.ts) against real listeners on loopback: a held
// TCP port comes back with its LISTEN sockets and the holder scan already
// started, and claimPort() either finishes that scan (its holders are the
// claim's) or stops it; never both, never neither.
import { existsSync } from 'node:fs';
import { readListenSocketsSync, startSocketHoldersParallel, type ParallelScanOptions, type StartedHolderScan } from '@dsa110/ports/system';
import { describe, expect, it } from 'vitest';
import { earlyLook, type SeenListening } from '../src/early.js';
import { claimPort } from '../src/index.js';
import { guardPort, spawnListener } from '../../../test-support/index.js';

/** `scan`, with every call to it written down. */
function recorded(scan: StartedHolderScan, calls: string[]): StartedHolderScan {
  return {
    finish: (inodes) => {
      calls.push('finish');
      return scan.finish(inodes);
    },
    cancel: () => {
      calls.push('cancel');
      scan.cancel();
    },
  };
}

/** The first look at a port this suite holds: its sockets and the scan it started. */
async function look(port: number): Promise<SeenListening> {
  guardPort(port);
  const result = await earlyLook(port, {});
  if (!result || !('listening' in result)) throw new Error(`port ${port}: the first look did not find it in use`);
  return result.listening;
}

describe('the first look at a held port', () => {
  it('returns its LISTEN sockets with the holder scan started, which finds the holders', async () => {
    const server = await spawnListener({ host: '127.0.0.1', workers: 2 });
    const seen = await look(server.port);
    expect(seen.sockets).toEqual(readListenSocketsSync({ ports: [server.port] }));
    expect(seen.holders).toBeDefined();
    const scan = await seen.holders!.finish(seen.sockets.map((s) => s.inode));
    expect([...scan.holders.values()].flat().sort((a, b) => a - b)).toEqual(server.pids);
  });

  it('claimPort() finishes the scan the first look started: the claim names its holders', async () => {
    const server = await spawnListener({ host: '127.0.0.1' });
    const seen = await look(server.port);
    const calls: string[] = [];
    const result = await claimPort(server.port, { dryRun: true, usage: false, listening: { ...seen, holders: recorded(seen.holders!, calls) } });
    expect(calls).toEqual(['finish']);
    expect(result.action).toBe('would-free');
    expect(result.holders.map((h) => h.pid)).toEqual([server.pid]);
  });

  it('claimPort() stops the scan when it claims another port, or when the target cannot be resolved', async () => {
    const server = await spawnListener({ host: '127.0.0.1' });
    const other = await spawnListener({ host: '127.0.0.1' });
    const seen = await look(server.port);
    const calls: string[] = [];
    guardPort(other.port);
    const result = await claimPort(other.port, { dryRun: true, usage: false, listening: { ...seen, holders: recorded(seen.holders!, calls) } });
    expect(calls).toEqual(['cancel']);
    expect(result.holders.map((h) => h.pid)).toEqual([other.pid]);

    const again = await look(server.port);
    const failed: string[] = [];
    await expect(
      claimPort('no-such-service', { dryRun: true, usage: false, listening: { ...again, holders: recorded(again.holders!, failed) } }),
    ).rejects.toThrow(/no-such-service/);
    expect(failed).toEqual(['cancel']);
  });
});

// The scan starts at the first look, while the CLI loads the claim engine: a process that forks in between and
// keeps the socket, its parent running on, holds the port too, and the dry run (its JSON) must name it.
describe.runIf(existsSync('/usr/bin/python3'))('a holder forked after the first look', () => {
  /** What the first look returns, its scan started with `options` (the perl scan is chosen above a process count). */
  const lookWith = (options: ParallelScanOptions) => (port: number) => {
    guardPort(port);
    return { port, sockets: readListenSocketsSync({ ports: [port] }), holders: startSocketHoldersParallel(options) };
  };
  const cases = [
    { name: 'the first look itself', seen: look },
    { name: 'the Node scan', seen: lookWith({ perl: false }) },
    ...(['/usr/bin/perl', '/bin/perl'].some((path) => existsSync(path))
      ? [{ name: 'the perl scan', seen: lookWith({ minProcesses: 1, requireIdleCore: false }) }]
      : []),
  ];
  for (const { name, seen } of cases) {
    it(`is named by the dry run beside its parent (${name})`, async () => {
      const server = await spawnListener({ host: '127.0.0.1', forkOnRequest: true });
      const listening = await seen(server.port);
      const child = await server.forkHolder();
      const result = await claimPort(server.port, { dryRun: true, usage: false, listening });
      const both = [server.pid, child].sort((a, b) => a - b);
      expect(result.action).toBe('would-free');
      expect(result.holders.map((h) => h.pid).sort((a, b) => a - b)).toEqual(both);
      expect(result.message).toBe(`dry run: would send SIGTERM to PID ${both[0]}, PID ${both[1]} to free port ${server.port}`);
    });
  }
});
