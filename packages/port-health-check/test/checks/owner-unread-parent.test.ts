// The owner check run as a user who cannot read every process's open files: a holder whose parent is one of
// those may be that parent's worker (the parent may hold the same socket, passed down by fork), so the holders
// are not known, never a false "wrong owner".
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signal, waitForExit, worldReadableBundle } from '../../../../test-support/index.js';
import { recordSpawned } from '../../../../test-support/guard.js';
import { quietPort, registryText, tempDir } from '../helpers.js';

// Running as another user (setpriv) needs root; CI runs as root.
describe.skipIf(process.getuid?.() !== 0 || !existsSync('/usr/bin/python3'))('owner, run as nobody', () => {
  it("says a root master's worker that dropped to nobody cannot be judged (its parent's files are unreadable), not an intruder", async () => {
    const port = quietPort(new Set());
    // A root master named redis-server binds the port and forks a worker named evil that becomes nobody and keeps
    // the socket (dumpable again, so nobody reads its fds), as a daemon that drops privileges for its workers.
    const code = [
      'import ctypes, os, socket, time',
      'libc = ctypes.CDLL(None)',
      'def name(n): libc.prctl(15, ctypes.c_char_p(n), 0, 0, 0)',
      'name(b"redis-server")',
      `s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", ${port})); s.listen(5)`,
      'if os.fork() == 0:',
      '    name(b"evil"); os.setgid(65534); os.setuid(65534); libc.prctl(4, 1, 0, 0, 0)',
      '    print(os.getpid(), flush=True); time.sleep(3600)',
      'time.sleep(3600)',
    ].join('\n');
    const [master, worker] = await startPair(code);
    try {
      const owner = await ownerResultsAsNobody('redis', port, ['redis-server']);
      expect(owner).toEqual([expect.objectContaining({ severity: 'unknown' })]);
      expect(owner[0]!.reason).toContain(`cannot see every process holding port ${port}: pid ${worker}'s parent redis-server (pid ${master}, user root)`);
      expect(owner[0]!.reason).toContain(
        `its open files (/proc/${master}/fd) are unreadable; run as root to see them (seen: evil (pid ${worker}, user nobody)`,
      );
    } finally {
      await stopPair(master, worker);
    }
  });
  // The launcher's child binds its own socket as nobody, and the launcher (a root runuser, sudo or sshd) keeps
  // running: its files are unreadable too, but a parent not named as the service is not its master.
  for (const [child, globs, severity] of [
    ['web', ['web'], 'ok'],
    ['evil', ['web'], 'error'],
  ] as const) {
    it(`judges a nobody ${child} that a root launcher (runuser) started by its own names: ${severity}`, async () => {
      const port = quietPort(new Set());
      const code = [
        'import ctypes, os, socket, time',
        'libc = ctypes.CDLL(None)',
        'def name(n): libc.prctl(15, ctypes.c_char_p(n), 0, 0, 0)',
        'name(b"runuser")',
        'if os.fork() == 0:',
        `    name(b"${child}"); os.setgid(65534); os.setuid(65534); libc.prctl(4, 1, 0, 0, 0)`,
        `    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", ${port})); s.listen(5)`,
        '    print(os.getpid(), flush=True); time.sleep(3600)',
        'time.sleep(3600)',
      ].join('\n');
      const [launcher, holder] = await startPair(code);
      try {
        const owner = await ownerResultsAsNobody('web', port, [...globs]);
        expect(owner).toEqual([expect.objectContaining({ severity })]);
        expect(owner[0]!.reason).not.toContain('may hold the same socket');
        expect(owner[0]!.reason).toContain(`${child} (pid ${holder}, user nobody)`);
      } finally {
        await stopPair(launcher, holder);
      }
    });
  }
});

// The same process pair on a service's port, inside a range reserved for it, and on a port the registry does not
// name: every check asks holdersOf who holds it, so they say the same of the unreadable parent.
describe.skipIf(process.getuid?.() !== 0 || !existsSync('/usr/bin/python3'))('reserved and unknown listeners agree with the owner, run as nobody', () => {
  /** Python that names itself `parent`, forks a child named `child` that becomes nobody, and binds `port` (in the parent before the fork, or in the child). */
  const pair = (parent: string, child: string, port: number, bindIn: 'parent' | 'child') => {
    const bind = `s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", ${port})); s.listen(5)`;
    return [
      'import ctypes, os, socket, time',
      'libc = ctypes.CDLL(None)',
      'def name(n): libc.prctl(15, ctypes.c_char_p(n), 0, 0, 0)',
      `name(b"${parent}")`,
      ...(bindIn === 'parent' ? [bind] : []),
      'if os.fork() == 0:',
      `    name(b"${child}"); os.setgid(65534); os.setuid(65534); libc.prctl(4, 1, 0, 0, 0)`,
      ...(bindIn === 'child' ? [`    ${bind}`] : []),
      '    print(os.getpid(), flush=True); time.sleep(3600)',
      'time.sleep(3600)',
    ].join('\n');
  };
  /** The owner's result with `id` on `port`; the reserved result for `port` in a range kept for `id` (moved to `elsewhere`); the unknown-listeners result for `port` (no range). */
  async function threeWays(id: string, globs: string[], port: number) {
    const elsewhere = quietPort(new Set([port]));
    const range = { id: `${id}-spare`, name: 'spare', start: port - 1, end: port + 1, purpose: 'spare ports', for: [id] };
    const reports = await reportsAsNobody({
      own: registryText([{ id, port, processes: globs }]),
      reserved: registryText([{ id, port: elsewhere, processes: globs }], [range]),
      none: registryText([{ id, port: elsewhere, processes: globs }]),
    });
    const on = (name: string, check: string) => reports[name]!.results.filter((result) => result.check === check && result.port === port);
    return {
      owner: on('own', 'owner'),
      ownersKnown: reports.own!.services.find((row) => row.id === id)!.ownersKnown,
      reserved: on('reserved', 'reserved'),
      unknown: on('none', 'unknown-listeners'),
    };
  }

  // Each check's expectations soft: a run on a source where they disagree shows every one that does.
  it("a nobody worker under a root master named as the service: the owner, the reserved range and the unknown listener all name the master (it may be the service's worker)", async () => {
    const port = quietPort(new Set());
    const [master, worker] = await startPair(pair('redis-server', 'evil', port, 'parent'));
    try {
      const { owner, ownersKnown, reserved, unknown } = await threeWays('redis', ['redis-server'], port);
      const why = `pid ${worker}'s parent redis-server (pid ${master}, user root)`;
      const held = `held by evil (pid ${worker}, user nobody)`;
      expect.soft(owner).toEqual([expect.objectContaining({ severity: 'unknown' })]);
      expect.soft(owner[0]!.reason).toContain(`cannot see every process holding port ${port}: ${why}`);
      expect.soft(ownersKnown).toBe(false);
      // Not "the range is kept for redis": the holder may be redis's worker.
      expect.soft(reserved).toEqual([expect.objectContaining({ severity: 'unknown' })]);
      expect.soft(reserved[0]!.reason).toContain(held);
      expect.soft(reserved[0]!.reason).toContain(`; cannot tell whether it is redis: ${why}`);
      expect
        .soft(reserved[0]!.reason)
        .toContain(
          `may hold the same socket (a socket is passed down by fork), and its open files (/proc/${master}/fd) are unreadable (run as root to see them)`,
        );
      expect.soft(unknown).toEqual([expect.objectContaining({ severity: 'info' })]);
      expect.soft(unknown[0]!.reason).toContain(held);
      expect.soft(unknown[0]!.reason).toContain(`; a process this user cannot see (${why}`);
    } finally {
      await stopPair(master, worker);
    }
  });

  it('a nobody holder a root launcher (runuser) started: judged by its own names everywhere, its launcher not taken for a master', async () => {
    const port = quietPort(new Set());
    const [launcher, holder] = await startPair(pair('runuser', 'web', port, 'child'));
    try {
      const { owner, ownersKnown, reserved, unknown } = await threeWays('web', ['web'], port);
      expect.soft(owner).toEqual([expect.objectContaining({ severity: 'ok' })]);
      expect.soft(ownersKnown).toBe(true);
      expect.soft(reserved).toEqual([expect.objectContaining({ severity: 'info' })]);
      expect.soft(unknown).toEqual([expect.objectContaining({ severity: 'info' })]);
      for (const result of [...reserved, ...unknown]) {
        expect.soft(result.reason).toContain(`held by web (pid ${holder}, user nobody)`);
        expect.soft(result.reason).not.toContain('cannot');
      }
      expect.soft(reserved[0]!.reason).toMatch(/ \(kept for web\)$/);
    } finally {
      await stopPair(launcher, holder);
    }
  });
});

/** Runs python `code` (which forks once and prints the child's PID): the parent's PID and the child's, both recorded as this suite's. */
async function startPair(code: string): Promise<[number, number]> {
  const parent = spawn('/usr/bin/python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  recordSpawned(parent.pid!);
  const child = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (data: Buffer) => resolve(data.toString()))));
  recordSpawned(child);
  return [parent.pid!, child];
}

async function stopPair(parent: number, child: number): Promise<void> {
  signal(child, 'SIGKILL');
  signal(parent, 'SIGKILL');
  await waitForExit(child);
  await waitForExit(parent);
}

type Result = { check: string; severity: string; reason: string; port?: number };

/** The owner check's results for a one-service registry (`id` on `port`, named `processes`), the check run as nobody. */
async function ownerResultsAsNobody(id: string, port: number, processes: string[]): Promise<{ severity: string; reason: string }[]> {
  const { only } = await reportsAsNobody({ only: registryText([{ id, port, processes }]) });
  return only!.results.filter((result) => result.check === 'owner');
}

/** checkPorts' results and service rows under each registry text (by its name), the check run as nobody, in one run. */
async function reportsAsNobody(
  registries: Record<string, string>,
): Promise<Record<string, { results: Result[]; services: { id: string; ownersKnown: boolean }[] }>> {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  const paths = Object.fromEntries(
    Object.entries(registries).map(([name, text]) => {
      const path = join(dir, `${name}.yaml`);
      writeFileSync(path, text, { mode: 0o644 });
      return [name, path];
    }),
  );
  const bundle = await worldReadableBundle(new URL('../../src/index.ts', import.meta.url).pathname);
  const script = `const m = await import('${bundle}'); const out = {}; for (const [name, registry] of Object.entries(${JSON.stringify(paths)})) { const r = await m.checkPorts({ root: ${JSON.stringify(dir)}, registry }); out[name] = { results: r.results, services: r.services }; } console.log(JSON.stringify(out));`;
  const out = execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: '/',
  });
  return JSON.parse(out) as Record<string, { results: Result[]; services: { id: string; ownersKnown: boolean }[] }>;
}
