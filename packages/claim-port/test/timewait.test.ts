// TIME_WAITs of a server made without SO_REUSEADDR: Linux refuses a bind of
// the port (even with SO_REUSEADDR) while one is there, for up to 60 s. A
// claim foretells them before any signal (as root: the listener's
// SO_REUSEADDR is read with perl and pidfd_getfd), refuses when they would
// outlast its timeout, and waits for them when they would not. Real
// processes on loopback; the TIME_WAITs are made by connections the test
// opens itself, which the server closes first.
import { connect } from 'node:net';
import { canBindSync } from '@dsa110/ports/system';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, leasePort } from '../../../test-support/index.js';
import { cleanupStarted, claimOurs, start } from './started.js';

afterEach(cleanupStarted);

const root = process.getuid?.() === 0;
const python = '/usr/bin/python3';

/** A server on 127.0.0.1:PORT made without SO_REUSEADDR that answers each connection and closes it first (`serve` of them; then it closes its listener too when `thenClose`). */
const server = (port: number, thenClose = false, serve = 1000) =>
  start([
    python,
    '-c',
    `import json, os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${port})); s.listen(8)
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
for _ in range(${serve}):
    c, _ = s.accept(); c.sendall(b'ok'); c.close()
${thenClose ? 's.close()' : ''}
while True: time.sleep(3600)`,
  ]);

/** Connects to 127.0.0.1:`port`, reads until the server closes, then closes: the server's end waits in TIME_WAIT. */
const served = (port: number) =>
  new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', reject);
    socket.on('data', () => {});
    socket.on('end', () => socket.end());
    socket.on('close', () => resolve());
  });

describe('TIME_WAITs of a listener without SO_REUSEADDR', () => {
  it.skipIf(!root)('that would outlast the timeout: refused before any signal, dry run and real run alike, with the time they have left', async () => {
    const port = leasePort();
    const listener = await server(port);
    await served(port);
    await served(port);
    for (const dryRun of [true, false]) {
      const lines: string[] = [];
      const result = await claimOurs(port, { dryRun, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('refused');
      expect(result.message).toMatch(
        new RegExp(
          `^refused to free port ${port}: 127\\.0\\.0\\.1:${port} was bound without SO_REUSEADDR: 2 TIME_WAITs on the port would keep a server from binding port ${port} for up to (59|60) s after the holders are gone \\(Linux refuses the bind while a TIME_WAIT of such a socket is there\\), longer than the 5 s timeout; stop PID ${listener.first.pid} by hand and claim port ${port} (59|60) s later, or give the service SO_REUSEADDR, or claim it with --timeout (60|61); nothing was signalled$`,
        ),
      );
      expect(result.holders).toEqual([expect.objectContaining({ pid: listener.first.pid, signals: [], outcome: 'spared' })]);
      expect(lines.some((line) => line.startsWith('dry run: would send'))).toBe(false);
      expect(isAlive(listener.first.pid)).toBe(true);
    }
  });

  it.skipIf(!root)('a connection it holds (a TIME_WAIT once it is stopped) is foretold too', async () => {
    const port = leasePort();
    // It never answers: the connection stays open, held by the server.
    const listener = await server(port, false, 0);
    const client = connect(port, '127.0.0.1');
    client.on('error', () => {});
    await new Promise((resolve) => client.on('connect', resolve));
    try {
      const result = await claimOurs(port, { timeoutSeconds: 2 });
      expect(result.action, result.message).toBe('refused');
      expect(result.message).toContain(
        `: 1 connection it holds (each a TIME_WAIT once it is stopped) would keep a server from binding port ${port} for up to 60 s after the holders are gone`,
      );
      expect(result.message).toContain('longer than the 2 s timeout');
      expect(isAlive(listener.first.pid)).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('that end within the timeout are waited for: after the stop (said up front, as root), and where nothing listens (a dry run says it would)', async () => {
    // Port a: a server still listening, with a TIME_WAIT; port b: one that has closed its listener too (its TIME_WAIT alone).
    const [a, b] = [leasePort(), leasePort()];
    const listener = await server(a);
    await server(b, true, 1);
    await Promise.all([served(a), served(b)]);
    const dry = await claimOurs(b, { dryRun: true, timeoutSeconds: 70 });
    expect(dry.action, dry.message).toBe('would-free');
    expect(dry.message).toMatch(
      new RegExp(
        `^dry run: nothing listens on port ${b}, but 1 TIME_WAIT keeps a server from binding it for (59|60) s more: a real run waits for the kernel to end it \\(within the 70 s timeout\\)$`,
      ),
    );
    const linesA: string[] = [];
    const linesB: string[] = [];
    const [resultA, resultB] = await Promise.all([
      claimOurs(a, { timeoutSeconds: 70, log: (line) => linesA.push(line) }),
      claimOurs(b, { timeoutSeconds: 70, log: (line) => linesB.push(line) }),
    ]);
    expect(resultA.action, linesA.join('\n')).toBe('freed');
    expect(resultA.holders).toEqual([expect.objectContaining({ pid: listener.first.pid, signals: ['SIGTERM'] })]);
    if (root)
      expect(linesA).toContainEqual(
        expect.stringMatching(
          `^127\\.0\\.0\\.1:${a} was bound without SO_REUSEADDR: 1 TIME_WAIT on the port would keep a server from binding port ${a} for up to (59|60) s after the holders are gone .*; waiting for them after the stop \\(within the 70 s timeout\\)$`,
        ),
      );
    expect(linesA).toContainEqual(
      expect.stringMatching(`^1 TIME_WAIT on port ${a} .* keeps a server from binding it for \\d+ s more: waiting for the kernel to end it`),
    );
    expect(resultB.action, linesB.join('\n')).toBe('already-free');
    expect(resultB.message).toBe(`port ${b} is free (its TIME_WAITs have ended); nothing to do`);
    expect(linesB).toContainEqual(
      expect.stringMatching(`^1 TIME_WAIT on port ${b} .* keeps a server from binding it for (59|60) s more: waiting for the kernel to end it`),
    );
    expect(canBindSync(a, 'tcp')?.ok).toBe(true);
    expect(canBindSync(b, 'tcp')?.ok).toBe(true);
  }, 100_000);
});
