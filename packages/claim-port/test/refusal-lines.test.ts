// A refusal's lines: one error line per refused holder (the one line --quiet
// and the journal's err keep), saying what blocks the claim, where a protected
// pattern comes from (FILE:LINE:COL of the registry's claim.protect.processes,
// or built in) and what to do; "nothing was signalled" is progress (info). A
// TIME_WAIT alone says to wait for the kernel and claim again. Real holders on
// loopback, spawned by the suite; every claim behind the guard.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, leasePort, spawnListener } from '../../../test-support/index.js';
import { tempDir } from '../../../test-support/tree.js';
import type { LogLevel } from '../src/claim.js';
import { claimInProcess } from './helpers.js';
import { cleanupStarted, claimOurs, start } from './started.js';

afterEach(cleanupStarted);

const python = '/usr/bin/python3';

/** A registry file that adds `pattern` to the protected names, in a flow list on line 5 (its entry at column 17). */
function guardingRegistry(pattern: string): string {
  const path = join(tempDir('claim-refusal-'), 'p1.yaml');
  writeFileSync(path, `version: 1\nservices: []\nclaim:\n  protect:\n    processes: ["${pattern}"]\n`);
  return path;
}

describe('a refusal by a protected name', () => {
  it('is one line under --quiet, citing the registry entry FILE:LINE:COL and saying what to do (it printed a second error line, and no advice)', async () => {
    const registry = guardingRegistry('cp-guarded');
    const server = await spawnListener({ name: 'cp-guarded' });
    const port = server.port;
    const run = await claimInProcess([String(port), '--registry', registry, '--quiet'], { port });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `[claim-port:${port}] refusing: PID ${server.pid} (cp-guarded) is protected: its name "cp-guarded" matches the protected pattern "cp-guarded" (claim.protect.processes, ${registry}:5:17): if PID ${server.pid} may go, stop it by hand (kill ${server.pid}), or remove or narrow that pattern\n`,
    );
    expect(isAlive(server.pid)).toBe(true);

    // Without --quiet: the same error line, then "nothing was signalled" as progress (info, not err); the JSON's message as before.
    const lines: [string, LogLevel][] = [];
    const result = await claimOurs(port, { registry, log: (line, level) => lines.push([line, level]) });
    expect(result.action).toBe('refused');
    expect(result.message).toMatch(/^refused to free port \d+: PID \d+ \(cp-guarded\) is protected: .*remove or narrow that pattern; nothing was signalled$/);
    expect(lines.filter(([, level]) => level === 'error').map(([line]) => line)).toEqual([
      `refusing: PID ${server.pid} (cp-guarded) is protected: its name "cp-guarded" matches the protected pattern "cp-guarded" (claim.protect.processes, ${registry}:5:17): if PID ${server.pid} may go, stop it by hand (kill ${server.pid}), or remove or narrow that pattern`,
    ]);
    expect(lines.at(-1)).toEqual([`nothing was signalled; port ${port} is still in use`, 'info']);
    expect(isAlive(server.pid)).toBe(true);
  });

  it('of a built-in pattern says it is built in, what lifts it, and what to do', async () => {
    const server = await spawnListener({ name: 'systemd-test' });
    const port = server.port;
    const run = await claimInProcess([String(port), '--quiet'], { port });
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\[claim-port:${port}\\] refusing: PID ${server.pid} \\(systemd-test\\) is protected: its name "systemd-test" matches the built-in protected pattern "systemd-\\*": if PID ${server.pid} may go, stop it by hand \\(kill ${server.pid}\\); only claim\\.protect\\.unprotectBuiltin in the registry lifts a built-in pattern$`,
      ),
    );
    expect(isAlive(server.pid)).toBe(true);
  });
});

describe('a port held only by a TIME_WAIT', () => {
  it('is refused (a timeout shorter than its time left) saying to wait for the kernel for the time it has left and claim again, and why SO_REUSEADDR does not pass it (it ended at "the kernel is still closing it")', async () => {
    // A server made without SO_REUSEADDR closes its connection first (its end then waits in TIME_WAIT) and its listener.
    const server = await start([
      python,
      '-c',
      `import json, os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(4)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
c, _ = s.accept(); c.close(); s.close()
while True: time.sleep(3600)`,
    ]);
    const port = server.first.port;
    await start([
      python,
      '-c',
      `import json, os, socket, time
c = socket.create_connection(('127.0.0.1', ${port}))
while c.recv(1): pass
c.close()
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const result = await claimOurs(port, { dryRun: true });
    expect(result.action, result.message).toBe('refused');
    expect(result.message).toMatch(
      new RegExp(
        `^refused to free port ${port}: nothing listens on port ${port}, but a server could not bind it \\(.*EADDRINUSE\\): 127\\.0\\.0\\.1:${port} -> 127\\.0\\.0\\.1:\\d+ \\(TIME_WAIT, a connection using the port as its local port\\), held by no process \\(the kernel is still closing it\\); wait for the kernel to end it \\(for (5\\d|60) s more\\) and claim port ${port} again, or claim it with a --timeout that long; a TIME_WAIT keeps even a server that sets SO_REUSEADDR from binding only when its own socket was made without SO_REUSEADDR, so a program that sets SO_REUSEADDR before it binds leaves none behind; nothing was signalled$`,
      ),
    );
    expect(isAlive(server.first.pid)).toBe(true);
  });
});
