// THE SAFETY GUARD itself: it must refuse whatever the suite did not spawn.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killGroup, recordSpawned, socketsOn } from '../../../test-support/guard.js';
import { ephemeralRange, leasePort } from '../../../test-support/test-port.js';
import { guardPort, isAlive, isSpawned, signal, spawnListener, waitForExit } from '../../../test-support/index.js';

describe('test-support guard', () => {
  it('refuses to signal PIDs the suite did not spawn', () => {
    expect(() => signal(1)).toThrow(/did not spawn/);
    expect(() => signal(process.pid)).toThrow(/did not spawn/);
    expect(() => signal(process.ppid)).toThrow(/did not spawn/);
    expect(() => signal(-1)).toThrow(/did not spawn/);
  });

  it('signals a listener it spawned, then refuses it once gone', async () => {
    const server = await spawnListener();
    expect(isSpawned(server.pid)).toBe(true);
    signal(server.pid, 'SIGKILL');
    await new Promise((resolve) => server.child.once('exit', resolve));
    expect(() => signal(server.pid)).toThrow(/did not spawn/);
  });

  it('refuses low ports and ports held by anything else', async () => {
    expect(() => guardPort(80)).toThrow(/high ports/);
    // A listener started behind test-support's back is foreign to the guard.
    const foreign = spawn(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port))"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const port = await new Promise<number>((resolve) => foreign.stdout!.once('data', (d: Buffer) => resolve(Number(String(d)))));
      expect(() => guardPort(port)).toThrow(new RegExp(`held by PID ${foreign.pid} .*did not spawn`));
    } finally {
      foreign.kill('SIGKILL'); // our own child, by its ChildProcess handle
    }
    const server = await spawnListener();
    expect(() => guardPort(server.port)).not.toThrow();
  });

  it('refuses a foreign UDP socket on the port when asked about udp', async () => {
    const foreign = spawn(process.execPath, ['-e', "const s=require('dgram').createSocket('udp4').bind(0,'127.0.0.1',()=>console.log(s.address().port))"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const port = await new Promise<number>((resolve) => foreign.stdout!.once('data', (d: Buffer) => resolve(Number(String(d)))));
      expect(() => guardPort(port, 'udp')).toThrow(new RegExp(`held by PID ${foreign.pid} .*did not spawn`));
    } finally {
      foreign.kill('SIGKILL'); // our own child, by its ChildProcess handle
    }
  });

  it("kills a spawned leader's process group after the leader has exited, while a member lives; refuses a group it did not start", async () => {
    expect(() => killGroup(process.pid)).toThrow(/refusing to signal process group .*did not spawn its leader/);
    expect(() => killGroup(1)).toThrow(/refusing/);
    // A detached shell (a group of its own) starts sleep in the background, says its PID, and exits: sleep stays in the group.
    const leader = spawn('/bin/sh', ['-c', 'sleep 30 & echo $!'], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    recordSpawned(leader.pid!);
    const member = await new Promise<number>((resolve) => leader.stdout!.once('data', (data: Buffer) => resolve(Number(String(data).trim()))));
    recordSpawned(member);
    try {
      await new Promise((resolve) => (leader.exitCode === null ? leader.once('exit', resolve) : resolve(undefined)));
      expect(await waitForExit(leader.pid!, 5000)).toBe(true);
      expect(isAlive(member)).toBe(true);
      killGroup(leader.pid!);
      expect(await waitForExit(member, 5000)).toBe(true);
      expect(() => killGroup(leader.pid!)).not.toThrow(); // an empty group: nothing to signal
    } finally {
      if (isSpawned(member)) signal(member, 'SIGKILL');
    }
  });

  it('reads holders with its own reader (ss), never with the code under test', async () => {
    const server = await spawnListener();
    expect(socketsOn(server.port)).toEqual([expect.objectContaining({ holders: [expect.objectContaining({ pid: server.pid })] })]);
    const source = readFileSync(new URL('../../../test-support/guard.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/from '@dsa110\/|from '\.\.\/packages\//);
  });
});

describe('test-support listener ports', () => {
  it("are outside the kernel's ephemeral range, so that no bind(0) or connect() elsewhere is given one a claim just freed", async () => {
    const [low, high] = ephemeralRange();
    const servers = await Promise.all([spawnListener(), spawnListener({ python: true }), spawnListener({ host: '::1' })]);
    for (const { port } of servers) {
      expect(port < low || port > high, `${port} in ${low}-${high}`).toBe(true);
      expect(port).toBeGreaterThanOrEqual(20_000);
    }
  });

  it('are leased: never given twice while the lease runs (in any process: a lease is a directory made with mkdir)', () => {
    const pool = { root: mkdtempSync(join(tmpdir(), 'dsa110-test-ports-')), ranges: [[20_000, 20_049]] as [number, number][] };
    const leased: number[] = [];
    let exhausted = '';
    for (let i = 0; i < 60 && !exhausted; i++) {
      try {
        leased.push(leasePort(pool));
      } catch (error) {
        exhausted = String(error);
      }
    }
    expect(new Set(leased).size).toBe(leased.length);
    expect(leased.length).toBeLessThanOrEqual(50);
    expect(exhausted).toMatch(/no free port left to lease in 20000-20049/);
    rmSync(pool.root, { recursive: true });
  });

  it('a block of consecutive ports is leased whole', (context) => {
    const root = mkdtempSync(join(tmpdir(), 'dsa110-test-ports-'));
    // Ten low ports: no test listener (all leased from 20000 up) and no bind(0) is ever given one.
    const ranges: [number, number][] = [[1030, 1039]];
    if (Array.from({ length: 10 }, (_, i) => socketsOn(1030 + i)).some((sockets) => sockets.length > 0)) context.skip(); // a service there
    expect(leasePort({ root, ranges, count: 10 })).toBe(1030);
    expect(() => leasePort({ root, ranges, count: 1 })).toThrow(/no free port left to lease in 1030-1039/);
    expect(() => leasePort({ root, ranges: [[1030, 1038]], count: 10 })).toThrow(/no free block of 10 ports left to lease/);
    rmSync(root, { recursive: true });
  });

  it('a block that fails on a port leased elsewhere leaves none of its ports leased', (context) => {
    const root = mkdtempSync(join(tmpdir(), 'dsa110-test-ports-'));
    const ranges: [number, number][] = [[1040, 1044]];
    if (Array.from({ length: 5 }, (_, i) => socketsOn(1040 + i)).some((sockets) => sockets.length > 0)) context.skip(); // a service there
    // The last port of the only block is taken: every attempt at the block fails on it, after leasing the four below.
    expect(leasePort({ root, ranges: [[1044, 1044]] })).toBe(1044);
    expect(() => leasePort({ root, ranges, count: 5 })).toThrow(/no free block of 5 ports left to lease/);
    // Those four are free to lease one by one: the failed attempts took none of them for 20 minutes.
    expect([0, 1, 2, 3].map(() => leasePort({ root, ranges: [[1040, 1043]] })).sort()).toEqual([1040, 1041, 1042, 1043]);
    rmSync(root, { recursive: true });
  });
});
