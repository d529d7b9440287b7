// A service's own workers (workers.ts), against real processes: a python3
// server that binds its port and hands the listening socket to workers it
// starts with multiprocessing's `spawn`, as uvicorn --workers does (each runs
// as `python3 -c "from multiprocessing.spawn import spawn_main; ..."`), read
// by the real gather() and judged by the owner and reserved checks.
import { spawn } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, leasePort, signal, waitForExit, waitUntil } from '../../../../test-support/index.js';
import { recordSpawned } from '../../../../test-support/guard.js';
import { cgroupsWritable, makeUnitCgroup } from '../../../../test-support/cgroup.js';
import { checkListening } from '../../src/checks/listening.js';
import { checkOwner } from '../../src/checks/owner.js';
import { checkUnknownListeners } from '../../src/checks/unknown-listeners.js';
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
  via?: 'pipe';
  exit?: boolean;
  workers?: WorkerSpec[];
}

const started: number[] = [];
afterEach(async () => {
  for (const pid of started.splice(0)) if (isAlive(pid)) signal(pid, 'SIGKILL');
});

/**
 * The server (socket-workers.py) on a leased loopback port with `workers`: its port, PIDs by role (`server`, `1`,
 * `1.2`, ...) and its $TMPDIR.
 */
async function serve(workers: WorkerSpec[], reusePort = false, closeOwn = false): Promise<{ port: number; pids: Record<string, number>; tmp: string }> {
  const port = leasePort({ ranges: [[20001, 30000]] });
  // multiprocessing's pymp-* directory is removed only by a clean exit, and these processes end by SIGKILL: a $TMPDIR
  // of the test's own (tempDir: removed after it), open to all as /tmp is, for a worker that has become nobody.
  const tmp = tempDir('dsa110-pymp-');
  chmodSync(tmp, 0o1777);
  const child = spawn('python3', [script, JSON.stringify({ host: '127.0.0.1', port, reusePort, closeOwn, workers })], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: tmp },
  });
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
  return { port, pids, tmp };
}

async function owner(port: number, unit?: string): Promise<CheckResult[]> {
  const registry = testRegistry([{ id: 'api', port, processes: ['socket-workers'], ...(unit && { unit }) }]);
  const facts = await gather({ registry, root: tempDir(), firewall: false });
  return checkOwner(facts, registry.service('api'));
}

/** The PIDs of the processes an owner error names as intruders, in its order. */
function intrudersOf(result: CheckResult): number[] {
  const intruders = result.reason.slice(0, result.reason.indexOf(', not by Api'));
  return [...intruders.matchAll(/\(pid (\d+), user /g)].map((match) => Number(match[1]));
}

/** The parent PID /proc/PID/stat gives now. */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/**
 * Runs `body` with the service's unit made (a cgroup named for it, as systemd makes a system unit's), to which it moves
 * the PIDs it is given: the descent rule holds only there. What it started is killed, and the cgroup removed, after.
 */
async function inUnit(body: (unit: string, move: (pids: Record<string, number>) => void) => Promise<void>): Promise<void> {
  const unit = `s65-api-${process.pid}.service`;
  const cgroup = makeUnitCgroup(unit)!;
  try {
    await body(unit, (pids) => {
      for (const pid of Object.values(pids)) cgroup.move(pid);
    });
  } finally {
    const spawned = started.splice(0);
    for (const pid of spawned) if (isAlive(pid)) signal(pid, 'SIGKILL');
    await Promise.all(spawned.map((pid) => waitForExit(pid)));
    cgroup.remove();
  }
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

  it.skipIf(!cgroupsWritable)(
    'a holder whose parent let go of the socket once its own worker had it is the service, a worker of that parent, in its unit',
    () =>
      inUnit(async (unit, move) => {
        const { port, pids } = await serve([{}, { letGo: true, workers: [{}] }]);
        move(pids);
        const results = await owner(port, unit);
        expect(results.map((result) => result.severity)).toEqual(['ok']);
        expect(results[0]!.reason).toContain(`(pid ${pids['2.1']}, user ${me}, worker of pid ${pids['2']})`);
      }),
  );

  it.skipIf(!isRoot)('a worker that dropped privileges (another user, as nginx’s www-data workers) is the service', async () => {
    const { port, pids } = await serve([{ user: 'nobody' }]);
    const results = await owner(port);
    expect(results.map((result) => result.severity)).toEqual(['ok']);
    expect(results[0]!.reason).toContain(`python3 (pid ${pids['1']}, user nobody, worker of pid ${pids.server}): `);
  });
});

describe('owner: a service whose main process handed its socket on and closed its own copy', () => {
  it.skipIf(!cgroupsWritable)(
    'its children, the only holders now (the socket inherited, or passed over a Unix socket), in its unit, are the service, each a worker of it',
    () =>
      inUnit(async (unit, move) => {
        const { port, pids, tmp } = await serve([{}, { via: 'pipe' }], false, true);
        move(pids);
        // The socket passed over a Unix socket made multiprocessing's temp dir: in the test's $TMPDIR, not the host's /tmp.
        expect(readdirSync(tmp).filter((name) => name.startsWith('pymp-'))).toHaveLength(1);
        const results = await owner(port, unit);
        expect(results.map((result) => result.severity)).toEqual(['ok']);
        expect(results[0]!.reason).toContain(`python3 (pid ${pids['1']}, user ${me}, worker of pid ${pids.server}): `);
        expect(results[0]!.reason).toContain(`python3 (pid ${pids['2']}, user ${me}, worker of pid ${pids.server}): `);
        expect(results[0]!.reason).not.toContain(`(pid ${pids.server},`);
      }),
  );

  it('with no unit (or a cgroup that names none), its children are intruders: nothing says who started them', async () => {
    const { port, pids } = await serve([{}, {}], false, true);
    // The service with no unit, and with one whose cgroup none of them is in (the suite's own: `/` without systemd).
    for (const unit of [undefined, `s65-api-${process.pid}.service`]) {
      const results = await owner(port, unit);
      expect(results.map((result) => result.severity)).toEqual(['error']);
      expect(intrudersOf(results[0]!)).toEqual([pids['1'], pids['2']]);
    }
  });

  it('a listener a `node` started (a terminal of VS Code) on the port of a service named `node` with no unit is an intruder, not its worker', async () => {
    const port = leasePort({ ranges: [[20001, 30000]] });
    const listen = `import socket, time\ns = socket.socket()\ns.bind(('127.0.0.1', ${port}))\ns.listen(5)\nprint('ok', flush=True)\ntime.sleep(3600)\n`;
    const terminal = `const c = require('node:child_process').spawn('python3', ['-c', ${JSON.stringify(listen)}], { stdio: ['ignore', 'pipe', 'inherit'] }); c.stdout.once('data', () => console.log(c.pid)); setInterval(() => {}, 1e6);`;
    const node = spawn(process.execPath, ['-e', terminal], { stdio: ['ignore', 'pipe', 'inherit'] });
    recordSpawned(node.pid!);
    started.push(node.pid!);
    const listener = Number(await new Promise<string>((resolve) => node.stdout.once('data', (data: Buffer) => resolve(data.toString().trim()))));
    recordSpawned(listener);
    started.push(listener);
    expect(parentOf(listener)).toBe(node.pid);
    const registry = testRegistry([{ id: 'vite', port, processes: ['node'] }]);
    const results = checkOwner(await gather({ registry, root: tempDir(), firewall: false }), registry.service('vite'));
    expect(results.map((result) => result.severity)).toEqual(['error']);
    expect(results[0]!.reason).toMatch(new RegExp(`^vite \\(${port}\\): port ${port} is held by python3 \\(pid ${listener}, user ${me}\\): `));
    expect(results[0]!.reason).not.toContain('worker of pid');
  });

  it.skipIf(!cgroupsWritable)('a grandchild whose parent let go too is the service, through a parent that holds nothing, in its unit', () =>
    inUnit(async (unit, move) => {
      const { port, pids } = await serve([{ letGo: true, workers: [{}] }], false, true);
      move(pids);
      const results = await owner(port, unit);
      expect(results.map((result) => result.severity)).toEqual(['ok']);
      expect(results[0]!.reason).toContain(`(pid ${pids['1.1']}, user ${me}, worker of pid ${pids['1']})`);
    }),
  );

  it('a child with a socket of its own (SO_REUSEPORT) is still an intruder; so is the one with the socket handed down, as nothing tells the two apart', async () => {
    const { port, pids } = await serve([{}, { share: false, own: true }], true, true);
    const results = await owner(port);
    expect(results.map((result) => result.severity)).toEqual(['error']);
    expect(intrudersOf(results[0]!)).toEqual([pids['1'], pids['2']]);
    expect(results[0]!.reason).not.toContain('worker of pid');
  });

  it('an orphan (its parent exited, it is PID 1’s or a subreaper’s child now) is an intruder, though it holds the socket the service bound', async () => {
    const { port, pids } = await serve([{ exit: true, workers: [{}] }], false, true);
    await waitUntil(() => parentOf(pids['1.1']!) !== pids['1']);
    expect(parentOf(pids['1.1']!)).not.toBe(pids.server);
    const results = await owner(port);
    expect(results.map((result) => result.severity)).toEqual(['error']);
    expect(intrudersOf(results[0]!)).toEqual([pids['1.1']]);
  });

  it.skipIf(!cgroupsWritable)('a parent PID reused between two reads (a process started after its child) is not the parent', () =>
    inUnit(async (unit, move) => {
      const { port, pids } = await serve([{}], false, true);
      move(pids);
      const registry = testRegistry([{ id: 'api', port, processes: ['socket-workers'], unit }]);
      const facts = await gather({ registry, root: tempDir(), firewall: false });
      expect(checkOwner(facts, registry.service('api'))[0]!.severity).toBe('ok');
      // The same real facts, with the server's PID read as a newcomer's: started after the worker it would be the parent of.
      const lineage = new Map(facts.lineage);
      const worker = lineage.get(pids['1']!)!;
      lineage.set(pids.server!, { ...lineage.get(pids.server!)!, startTime: worker.startTime! + 1 });
      const results = checkOwner({ ...facts, lineage }, registry.service('api'));
      expect(results.map((result) => result.severity)).toEqual(['error']);
      expect(intrudersOf(results[0]!)).toEqual([pids['1']]);
    }),
  );

  it.skipIf(!cgroupsWritable)(
    'a child in the service’s unit is its worker; one in another unit is an intruder, though it descends from the server',
    async () => {
      const unit = `s65-api-${process.pid}.service`;
      const theirs = makeUnitCgroup(unit)!;
      const other = makeUnitCgroup(`s65-other-${process.pid}.service`)!;
      try {
        const { port, pids } = await serve([{}, {}], false, true);
        for (const role of ['server', '1', '2']) theirs.move(pids[role]!);
        expect((await owner(port, unit)).map((result) => result.severity)).toEqual(['ok']);
        other.move(pids['2']!);
        const results = await owner(port, unit);
        expect(results.map((result) => result.severity)).toEqual(['error']);
        expect(intrudersOf(results[0]!)).toEqual([pids['2']]);
      } finally {
        const spawned = started.splice(0);
        for (const pid of spawned) if (isAlive(pid)) signal(pid, 'SIGKILL');
        await Promise.all(spawned.map((pid) => waitForExit(pid)));
        theirs.remove();
        other.remove();
      }
    },
  );
});

describe('listening: where a service whose workers hold its socket listens instead', () => {
  it.skipIf(!cgroupsWritable).each([
    ['holds the socket too', false],
    ['closed its copy', true],
  ])('names the service, and its workers as the owner check does, when the server %s (in its unit)', (_, closeOwn) =>
    inUnit(async (unit, move) => {
      const { port, pids } = await serve([{}], false, closeOwn);
      move(pids);
      const given = leasePort({ ranges: [[20001, 30000]] });
      const registry = testRegistry([{ id: 'api', port: given, group: 'production', access: 'private', processes: ['socket-workers'], unit }]);
      const facts = await gather({ registry, root: tempDir(), firewall: false });
      const [result, ...more] = checkListening(facts, registry.service('api'));
      expect(more).toEqual([]);
      expect(result!.severity).toBe('error');
      expect(result!.reason).toContain(`; by its names it listens on port ${port} (127.0.0.1:${port}, held by `);
      expect(result!.reason).toContain(`python3 (pid ${pids['1']}, user ${me}, worker of pid ${pids.server}): `);
      expect(result!.reason.includes(`(pid ${pids.server}, user ${me}): `)).toBe(!closeOwn);
      expect(checkUnknownListeners(facts, { strict: false }).find((other) => other.port === port)!.reason).toContain("by its names it is Api's (api)");
    }),
  );
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
