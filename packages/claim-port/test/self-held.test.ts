// A socket on the port that claim-port itself inherited from the program that
// started it (which closed its own copy): claim-port keeps it open through its
// own bind check, so it blocks that bind as another process's would. It is
// named as claim-port itself, and refused before any signal, with what to do
// (start claim-port without that descriptor), never "a process claim-port
// cannot identify" or "stop PID <claim-port>". Before, with a listener beside
// it, the dry run said would-free and the real run killed the listener, then
// failed on claim-port's own socket. The built bin, started by a python3
// program that hands it the socket (pass_fds), closes its copy, and waits.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { guardPort, isAlive, leasePort, spawnListener } from '../../../test-support/index.js';
import { binFor, python } from './helpers.js';
import { cleanupStarted, start } from './started.js';

const root = process.getuid?.() === 0;

afterEach(cleanupStarted);

/** A python3 program: makes the socket `kind` on 127.0.0.1:argv[2], starts argv[3:] with it, closes its copy, prints {"pid", "rc"}. */
const HANDS_OVER = `import json, socket, struct, subprocess, sys
kind, port, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
if kind == 'udp':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', port)); s.connect(('127.0.0.1', 9))
else:
    s = socket.socket(); s.bind(('127.0.0.1', port))
    if kind == 'connection':
        # Reset at its last close (SO_LINGER 0): no TIME_WAIT on the port for the next run.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        server = socket.socket(); server.bind(('127.0.0.3', 0)); server.listen(1)
        s.connect(server.getsockname()); accepted, _ = server.accept()
child = subprocess.Popen(argv, pass_fds=(s.fileno(),)); s.close()
print(json.dumps({'pid': child.pid, 'rc': child.wait()}), flush=True)`;

/** claim-port `args` started with the inherited socket `kind` on 127.0.0.1:`port`: its PID, exit status and stderr lines. */
async function claimWithInherited(kind: 'bound' | 'connection' | 'udp', port: number, args: string[]): Promise<{ pid: number; rc: number; lines: string[] }> {
  guardPort(port, kind === 'udp' ? 'udp' : 'tcp');
  const child = spawn(python, ['-c', HANDS_OVER, kind, String(port), process.execPath, binFor(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  await new Promise((resolve) => child.on('close', resolve));
  if (!stdout.startsWith('{')) throw new Error(`the program that hands the socket over failed: ${stderr}`);
  const { pid, rc } = JSON.parse(stdout) as { pid: number; rc: number };
  return { pid, rc, lines: stderr.trimEnd().split('\n') };
}

/** A UDP server on 127.0.0.2:`port` (a python3 program of the test's), printing {"pid", "port"}. */
const udpServer = (port: number) =>
  start([
    python,
    '-c',
    `import json, os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.2', ${port}))
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`,
  ]);

const INHERITED = 'which inherited the socket from the program that started it';
const ADVICE = 'start claim-port without that descriptor (close it, or mark it close-on-exec, before the exec)';

describe('a socket claim-port itself inherited, beside a listener on another address', () => {
  it.each([
    ['bound', (port: number) => `127.0.0.1:${port} bound, not listening`],
    ['connection', (port: number) => `127.0.0.1:${port} -> 127.0.0.3:`],
    ['udp', (port: number) => `127.0.0.1:${port}/udp bound and connected to 127.0.0.1:9`],
  ] as const)('%s: refused before any signal, dry run and real run, naming claim-port itself and what to do', async (kind, socket) => {
    // Read by perl as root only: without root, a bound socket out of the tables cannot be examined.
    if (kind === 'bound' && !root) return;
    const port = leasePort();
    const server = kind === 'udp' ? (await udpServer(port)).first : await spawnListener({ port, host: '127.0.0.2' });
    for (const args of [['--dry-run'], []]) {
      const run = await claimWithInherited(kind, port, [kind === 'udp' ? `${port}/udp` : String(port), ...args]);
      const refusal = run.lines.find((line) => line.startsWith(`[claim-port:${port}] refusing: `));
      expect(run.rc, run.lines.join('\n')).toBe(1);
      expect(refusal, run.lines.join('\n')).toContain(socket(port));
      expect(refusal).toContain(`, held by claim-port itself (PID ${run.pid}), ${INHERITED}: it would keep a server from binding port ${port}`);
      expect(refusal!.endsWith(`; ${ADVICE}`)).toBe(true);
      expect(run.lines.join('\n')).not.toMatch(/sent SIG|would send SIG|stop PID/);
      expect(isAlive(server.pid)).toBe(true);
    }
  });
});

describe('a socket claim-port itself inherited, alone on the port', () => {
  it.each([
    ['bound', "a socket bound to the port but not listening (the kernel's tables do not list such sockets)"],
    ['connection', '127.0.0.1:PORT -> 127.0.0.3:'],
    ['udp', '127.0.0.1:PORT/udp bound and connected to 127.0.0.1:9'],
  ] as const)('%s: named as claim-port itself, with what to do, never as a process it cannot identify or one to stop', async (kind, socket) => {
    if (kind === 'bound' && !root) return;
    const port = leasePort();
    const run = await claimWithInherited(kind, port, [kind === 'udp' ? `${port}/udp` : String(port)]);
    const refusal = run.lines.find((line) => line.startsWith(`[claim-port:${port}] refusing: `));
    expect(run.rc, run.lines.join('\n')).toBe(1);
    expect(refusal, run.lines.join('\n')).toContain(`${socket.replace('PORT', String(port))}`);
    // A connection's other end, the program's own server, is named after it (not signalled).
    expect(refusal).toContain(`, held by claim-port itself (PID ${run.pid}), ${INHERITED}`);
    expect(refusal!.endsWith(`; ${ADVICE}`)).toBe(true);
    expect(refusal).not.toMatch(/cannot identify|stop PID/);
  });
});
