// A service's own workers (workers.ts), against real processes: a python3
// server that binds its port and hands the listening socket to workers it
// starts with multiprocessing's `spawn`, as uvicorn --workers does (each runs
// as `python3 -c "from multiprocessing.spawn import spawn_main; ..."`), read
// by the real gather() and judged by the owner and reserved checks.
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, leasePort, signal } from '../../../../test-support/index.js';
import { recordSpawned } from '../../../../test-support/guard.js';
import { checkOwner } from '../../src/checks/owner.js';
import { checkReserved } from '../../src/checks/reserved.js';
import { gather } from '../../src/gather.js';
import type { CheckResult } from '../../src/types.js';
import { tempDir, testRegistry } from '../helpers.js';

const script = fileURLToPath(new URL('../fixtures/socket-workers.py', import.meta.url));
/** The user the suite runs as: the server and its workers are its. */
const me = userInfo().username;
const isRoot = process.getuid?.() === 0;

interface WorkerSpec {
  share?: boolean;
  own?: boolean;
  user?: string;
  letGo?: boolean;
  workers?: WorkerSpec[];
}

const started: number[] = [];
afterEach(async () => {
  for (const pid of started.splice(0)) if (isAlive(pid)) signal(pid, 'SIGKILL');
});

/** The server (socket-workers.py) on a leased loopback port with `workers`: its port and PIDs by role (`server`, `1`, `1.2`, ...). */
async function serve(workers: WorkerSpec[], reusePort = false): Promise<{ port: number; pids: Record<string, number> }> {
  const port = leasePort();
  const child = spawn('python3', [script, JSON.stringify({ host: '127.0.0.1', port, reusePort, workers })], { stdio: ['ignore', 'pipe', 'pipe'] });
  recordSpawned(child.pid!);
  started.push(child.pid!);
  let output = '';
  const pids = await new Promise<Record<string, number>>((resolve, reject) => {
    child.stderr.on('data', (data: Buffer) => (output += data.toString()));
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString();
      const ready = output.split('\n').find((line) => line.startsWith('{"ready"'));
      if (ready) resolve((JSON.parse(ready) as { pids: Record<string, number> }).pids);
    });
    child.on('exit', (code) => reject(new Error(`socket-workers.py exited (${code}): ${output}`)));
  });
  for (const [role, pid] of Object.entries(pids)) {
    if (role === 'server') continue;
    recordSpawned(pid);
    started.push(pid);
  }
  return { port, pids };
}

async function owner(port: number): Promise<CheckResult[]> {
  const registry = testRegistry([{ id: 'api', port, processes: ['socket-workers'] }]);
  const facts = await gather({ registry, root: tempDir(), firewall: false });
  return checkOwner(facts, registry.service('api'));
}

describe('owner: a service whose workers hold the socket it passed them', () => {
  it('spawn workers holding the server’s socket are the service, each said to be a worker of the server', async () => {
    const { port, pids } = await serve([{}, {}]);
    const results = await owner(port);
    expect(results.map((result) => result.severity)).toEqual(['ok']);
    expect(results[0]!.reason).toContain(`python3 (pid ${pids['1']}, user ${me}, worker of pid ${pids.server}): `);
    expect(results[0]!.reason).toContain(`python3 (pid ${pids['2']}, user ${me}, worker of pid ${pids.server}): `);
    expect(results[0]!.reason).toContain('from multiprocessing.spawn import spawn_main');
  });

  it('a chain, each holding the socket (a reloader, its server, that server’s workers), is the service', async () => {
    const { port, pids } = await serve([{ workers: [{}, {}] }]);
    const results = await owner(port);
    expect(results.map((result) => result.severity)).toEqual(['ok']);
    expect(results[0]!.reason).toContain(`(pid ${pids['1']}, user ${me}, worker of pid ${pids.server})`);
    expect(results[0]!.reason).toContain(`(pid ${pids['1.1']}, user ${me}, worker of pid ${pids['1']})`);
    expect(results[0]!.reason).toContain(`(pid ${pids['1.2']}, user ${me}, worker of pid ${pids['1']})`);
  });

  it('a child with a socket of its own on the port (SO_REUSEPORT), with the server’s or without, is an intruder; a sibling that shares the socket is not', async () => {
    const { port, pids } = await serve([{}, { share: false, own: true }, { own: true }], true);
    const results = await owner(port);
    expect(results.map((result) => result.severity)).toEqual(['error']);
    const intruders = results[0]!.reason.slice(0, results[0]!.reason.indexOf(', not by Api'));
    expect([...intruders.matchAll(/\(pid (\d+), user /g)].map((match) => Number(match[1]))).toEqual([pids['2'], pids['3']]);
    expect(results[0]!.reason).not.toContain('worker of pid');
  });

  it('a holder whose parent does not hold the socket (it let go once its own worker had it) is an intruder, though it descends from the server', async () => {
    const { port, pids } = await serve([{}, { letGo: true, workers: [{}] }]);
    const results = await owner(port);
    expect(results.map((result) => result.severity)).toEqual(['error']);
    const intruders = results[0]!.reason.slice(0, results[0]!.reason.indexOf(', not by Api'));
    expect([...intruders.matchAll(/\(pid (\d+), user /g)].map((match) => Number(match[1]))).toEqual([pids['2.1']]);
  });

  it.skipIf(!isRoot)('a worker that dropped privileges (another user, as nginx’s www-data workers) is the service', async () => {
    const { port, pids } = await serve([{ user: 'nobody' }]);
    const results = await owner(port);
    expect(results.map((result) => result.severity)).toEqual(['ok']);
    expect(results[0]!.reason).toContain(`python3 (pid ${pids['1']}, user nobody, worker of pid ${pids.server}): `);
  });
});

describe('reserved: a range kept for a service whose workers hold its socket', () => {
  it('is the service’s (info), not someone else’s', async () => {
    const { port } = await serve([{}, {}]);
    const registry = testRegistry(
      [{ id: 'api', port: port + 1, processes: ['socket-workers'] }],
      [{ id: 'api-alt', name: 'spare', start: port, end: port, purpose: 'spare', for: ['api'] }],
    );
    const facts = await gather({ registry, root: tempDir(), firewall: false });
    expect(checkReserved(facts).map((result) => `${result.severity}: ${result.reason.slice(0, result.reason.indexOf(', held by'))}`)).toEqual([
      `info: port ${port} in reserved "api-alt" (${port}: spare) is in use on 127.0.0.1:${port}`,
    ]);
  });
});
