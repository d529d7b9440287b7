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

/** The owner check's results for a one-service registry (`id` on `port`, named `processes`), the check run as nobody. */
async function ownerResultsAsNobody(id: string, port: number, processes: string[]): Promise<{ severity: string; reason: string }[]> {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  const registry = join(dir, 'ports.yaml');
  writeFileSync(registry, registryText([{ id, port, processes }]), { mode: 0o644 });
  const bundle = await worldReadableBundle(new URL('../../src/index.ts', import.meta.url).pathname);
  const script = `import('${bundle}').then((m) => m.checkPorts({ root: ${JSON.stringify(dir)}, registry: ${JSON.stringify(registry)} })).then((r) => console.log(JSON.stringify(r.results.filter((x) => x.check === 'owner'))));`;
  const out = execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: '/',
  });
  return JSON.parse(out) as { severity: string; reason: string }[];
}
