// THE SAFETY GUARD itself: it must refuse whatever the suite did not spawn.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { socketsOn } from '../../../test-support/guard.js';
import { guardPort, isSpawned, signal, spawnListener } from '../../../test-support/index.js';

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

  it('reads holders with its own reader (ss), never with the code under test', async () => {
    const server = await spawnListener();
    expect(socketsOn(server.port)).toEqual([expect.objectContaining({ holders: [expect.objectContaining({ pid: server.pid })] })]);
    const source = readFileSync(new URL('../../../test-support/guard.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/from '@dsa110\/|from '\.\.\/packages\//);
  });
});
