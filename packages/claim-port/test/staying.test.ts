// Sockets that would outlive a claim's holders and keep a server from binding
// the port (blockersAfterClaim): found before any signal, a dry run included.
// One that certainly would refuses the claim, nobody signalled; one that may
// is a warning. Real processes on loopback (127.0.0.x), every one spawned and
// guarded by the suite.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { hasCommand, isAlive, leasePort, spawnClient, spawnListener, waitUntil } from '../../../test-support/index.js';
import { runNetnsScript } from '../../../test-support/firewall-netns.js';
import { SETTLE_MS } from '../src/claim.js';
import { binFor, claimInProcess } from './helpers.js';
import { cleanupStarted, claimOurs, start } from './started.js';

const root = process.getuid?.() === 0;
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

afterEach(cleanupStarted);

/** A Python program run as nobody (setpriv execs it: the PID is python's) that prints {"pid", "port"} once set up. */
const asNobody = (code: string) => start(['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', python, '-c', code]);

/** A socket bound to 127.0.0.2:PORT and never listening, with SO_REUSEADDR or not. */
const boundOnly = (port: number, reuse: boolean) => `import json, os, socket, time
s = socket.socket()
${reuse ? 's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)' : ''}
s.bind(('127.0.0.2', ${port}))
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`;

/** A client connection whose local end is 127.0.0.2:PORT (bound before connect, with SO_REUSEADDR or not), to a listener of its own on 127.0.0.3. */
const boundClient = (port: number, reuse: boolean) => `import json, os, socket, time
l = socket.socket(); l.bind(('127.0.0.3', 0)); l.listen(1)
c = socket.socket()
${reuse ? 'c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)' : ''}
c.bind(('127.0.0.2', ${port})); c.connect(l.getsockname()); a, _ = l.accept()
print(json.dumps({'pid': os.getpid(), 'port': ${port}, 'peer': l.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`;

describe('a socket that would outlive the holders and block the bind', () => {
  it.skipIf(!root)('bound, not listening, without SO_REUSEADDR, of another user: refused up front, dry run and real run, nothing signalled', async () => {
    const port = leasePort();
    const blocker = await asNobody(boundOnly(port, false));
    const server = await spawnListener({ port }); // 127.0.0.1, SO_REUSEADDR (libuv)
    for (const dryRun of [true, false]) {
      const lines: string[] = [];
      const result = await claimOurs(port, { dryRun, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('refused');
      expect(result.holders).toEqual([expect.objectContaining({ pid: server.pid, signals: [], outcome: 'spared' })]);
      expect(result.message).toMatch(
        new RegExp(
          `^refused to free port ${port}: 127\\.0\\.0\\.2:${port} bound, not listening, held by PID ${blocker.first.pid} \\(python3\\): .*: it would keep a server from binding port ${port} after the holders exit \\(it was bound without SO_REUSEADDR\\); stop PID ${blocker.first.pid} or make it close the socket; nothing was signalled$`,
        ),
      );
      expect(result.blockers).toEqual([{ socket: `127.0.0.2:${port} bound, not listening`, holders: [expect.objectContaining({ pid: blocker.first.pid })] }]);
      expect(lines.some((line) => line.startsWith('dry run: would send'))).toBe(false);
      expect(isAlive(server.pid)).toBe(true);
      expect(isAlive(blocker.first.pid)).toBe(true);
    }
    // The command: exit 1, as for every refusal.
    const run = await claimInProcess([String(port), '--dry-run', '--quiet'], { port });
    expect(run.code).toBe(1);
    expect(isAlive(server.pid)).toBe(true);
  });

  it('bound, not listening, with nothing listening on the port: refused, not failed, dry run and real run alike, nothing signalled, exit 1', async () => {
    const port = leasePort();
    const blocker = await start([python, '-c', boundOnly(port, false)]);
    const pid = blocker.first.pid;
    const messages: string[] = [];
    for (const dryRun of [true, false]) {
      const lines: string[] = [];
      const result = await claimOurs(port, { dryRun, log: (line) => lines.push(line) });
      // Nothing was tried (no holder to signal): a refusal as step 5's, never a failure; the dry run says what the real run does.
      expect(result, lines.join('\n')).toMatchObject({ action: 'refused', dryRun, holders: [] });
      expect(result.message).toMatch(
        new RegExp(
          `^refused to free port ${port}: nothing listens on port ${port}, but a server could not bind it \\(0\\.0\\.0\\.0: EADDRINUSE\\): .*held by PID ${pid} \\(python3\\): .*; stop PID ${pid} or make it close the socket; nothing was signalled$`,
        ),
      );
      expect(result.blockers).toEqual([expect.objectContaining({ holders: [expect.objectContaining({ pid })] })]);
      expect(lines.at(-1)).toBe(`nothing was signalled; port ${port} is still in use`);
      expect(isAlive(pid)).toBe(true);
      messages.push(result.message);
    }
    expect(messages[0]).toBe(messages[1]);
    // The command, both ways: exit 1 (the port is not free), "action":"refused" in the JSON.
    for (const args of [['--dry-run'], []]) {
      const run = await claimInProcess([String(port), ...args, '--json', '--quiet'], { port });
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toMatchObject({ action: 'refused', dryRun: args.length > 0 });
    }
    expect(isAlive(pid)).toBe(true);
  });

  it.skipIf(!root)('bound, not listening, WITH SO_REUSEADDR: no refusal, no warning; the holder is freed', async () => {
    const port = leasePort();
    const other = await asNobody(boundOnly(port, true));
    const server = await spawnListener({ port });
    const lines: string[] = [];
    const result = await claimOurs(port, { log: (line, level) => lines.push(`${level}: ${line}`) });
    expect(result.action, lines.join('\n')).toBe('freed');
    expect(lines.filter((line) => !line.startsWith('info: '))).toEqual([]);
    expect(isAlive(server.pid)).toBe(false);
    expect(isAlive(other.first.pid)).toBe(true);
  });

  it.each([false, true])('a connection using the port on another address (SO_REUSEADDR: %s): decided by a bind of that address', async (reuse) => {
    const server = await spawnListener();
    const client = await start([python, '-c', boundClient(server.port, reuse)]);
    const lines: string[] = [];
    const result = await claimOurs(server.port, { log: (line, level) => lines.push(`${level}: ${line}`) });
    if (reuse) {
      expect(result.action, lines.join('\n')).toBe('freed');
      expect(lines.filter((line) => !line.startsWith('info: '))).toEqual([]);
      expect(isAlive(server.pid)).toBe(false);
    } else {
      expect(result.action, lines.join('\n')).toBe('refused');
      expect(result.message).toContain(
        `127.0.0.2:${server.port} -> 127.0.0.3:${client.first.peer} (ESTABLISHED, a connection using the port as its local port), held by PID ${client.first.pid} (python3)`,
      );
      expect(result.message).toMatch(/; stop PID \d+ or make it close the socket; nothing was signalled$/);
      expect(result.holders[0]).toMatchObject({ pid: server.pid, signals: [] });
      expect(isAlive(server.pid)).toBe(true);
    }
    expect(isAlive(client.first.pid)).toBe(true);
  });

  it('a connection on the address of the listener being freed: decided by its own SO_REUSEADDR as root (refused up front); else a warning, and the claim says what it sent when the bind fails', async () => {
    // Both SO_REUSEPORT: the client's socket shares 127.0.0.1:PORT with the listener, whose socket a bind there would meet first.
    const server = await spawnListener({ reusePort: true });
    const client = await start([
      python,
      '-c',
      `import json, os, socket, time
l = socket.socket(); l.bind(('127.0.0.3', 0)); l.listen(1)
c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
c.bind(('127.0.0.1', ${server.port})); c.connect(l.getsockname()); a, _ = l.accept()
print(json.dumps({'pid': os.getpid(), 'port': ${server.port}, 'peer': l.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const socket = `127.0.0.1:${server.port} -> 127.0.0.3:${client.first.peer} (ESTABLISHED, a connection using the port as its local port), held by PID ${client.first.pid} (python3): `;
    if (root) {
      // perl reads the connection's own SO_REUSEADDR (pidfd_getfd): it has none, so it would block; nobody is signalled.
      for (const dryRun of [true, false]) {
        const result = await claimOurs(server.port, { dryRun });
        expect(result.action).toBe('refused');
        expect(result.message).toContain(socket);
        expect(result.message).toContain('(it was bound without SO_REUSEADDR)');
        expect(isAlive(server.pid)).toBe(true);
      }
      expect(isAlive(client.first.pid)).toBe(true);
      return;
    }
    const warning = new RegExp(
      `^warn: ${socket.replace(/[.()]/g, '\\$&')}.*: may still keep a server from binding port ${server.port} after the holders exit \\(whether it has SO_REUSEADDR cannot be told while the holders run: a listener being freed shares the address, or it could not be examined\\); if the claim then fails, stop PID ${client.first.pid} or make it close the socket$`,
    );
    const dry: string[] = [];
    expect((await claimOurs(server.port, { dryRun: true, log: (line, level) => dry.push(`${level}: ${line}`) })).action).toBe('would-free');
    expect(dry).toContainEqual(expect.stringMatching(warning));
    const lines: string[] = [];
    const result = await claimOurs(server.port, { log: (line, level) => lines.push(`${level}: ${line}`) });
    expect(lines).toContainEqual(expect.stringMatching(warning));
    // It has no SO_REUSEADDR: once the holder is gone, the bind fails, and the line says what was sent and what to do.
    expect(result.action, lines.join('\n')).toBe('failed');
    expect(
      result.message.startsWith(`sent SIGTERM to PID ${server.pid} (gone); nothing holds port ${server.port} any more, but a server could not bind it (`),
    ).toBe(true);
    expect(result.message).toContain(socket);
    expect(result.message.endsWith(`; stop PID ${client.first.pid} or make it close the socket`)).toBe(true);
    expect(isAlive(client.first.pid)).toBe(true);
  });

  it('a connection without SO_REUSEADDR from [::1] beside a listener on 0.0.0.0 (IPv4 only: no overlap): refused up front', async () => {
    const port = leasePort();
    const blocker = await start([
      python,
      '-c',
      `import json, os, socket, time
l = socket.socket(socket.AF_INET6); l.bind(('::1', 0)); l.listen(1)
c = socket.socket(socket.AF_INET6); c.bind(('::1', ${port})); c.connect(l.getsockname()[:2]); a, _ = l.accept()
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const server = await start([
      python,
      '-c',
      `import json, os, socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', ${port})); s.listen(1)
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const lines: string[] = [];
    const result = await claimOurs(port, { dryRun: true, log: (line, level) => lines.push(`${level}: ${line}`) });
    // It was a warning ("may still keep a server from binding"): 0.0.0.0 was taken to overlap every address.
    expect(result.action, lines.join('\n')).toBe('refused');
    expect(result.blockers).toEqual([expect.objectContaining({ holders: [expect.objectContaining({ pid: blocker.first.pid })] })]);
    expect(isAlive(server.first.pid)).toBe(true);
  });

  // A fork-per-connection server (as C servers are written): its child closes the listener and keeps the accepted
  // connection, which takes the listener's SO_REUSEADDR. Without it, the child's connection keeps a server from binding
  // the port once the server is gone; the dry run warned (undecidable) and exited 0, the real run killed the server and
  // then failed on it. Read from the connection itself, before any signal: both refuse up front, or neither warns.
  it.skipIf(!root).each([false, true])(
    'a fork-per-connection server (SO_REUSEADDR: %s) whose child keeps an accepted connection: decided by its own SO_REUSEADDR before any signal, dry run and real run alike',
    async (reuse) => {
      const port = leasePort();
      const server = await start([
        python,
        '-c',
        `import json, os, signal, socket, time
l = socket.socket()
${reuse ? 'l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)' : ''}
l.bind(('127.0.0.1', ${port})); l.listen(16)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True:
    c, _ = l.accept()
    if os.fork() == 0:
        l.close()
        print(json.dumps({'pid': os.getpid(), 'child': True}), flush=True)
        while True: time.sleep(3600)
    c.close()`,
      ]);
      await spawnClient({ port });
      expect(await waitUntil(() => server.pids.length >= 2, 5000)).toBe(true);
      const child = server.pids.find((pid) => pid !== server.first.pid)!;
      const connection = `127.0.0.1:${port} -> 127.0.0.1:`;
      for (const dryRun of [true, false]) {
        const lines: string[] = [];
        const result = await claimOurs(port, { dryRun, settleMs: 0, log: (line, level) => lines.push(`${level}: ${line}`) });
        const log = lines.join('\n');
        expect(log).not.toContain('cannot be told');
        if (reuse) {
          expect(result.action, log).toBe(dryRun ? 'would-free' : 'freed');
          expect(
            lines.filter((line) => !line.startsWith('info: ')),
            log,
          ).toEqual([]);
        } else {
          expect(result.action, log).toBe('refused');
          expect(result.message).toMatch(
            new RegExp(
              `^refused to free port ${port}: ${connection.replace(/[.]/g, '\\.')}\\d+ \\(ESTABLISHED, a connection using the port as its local port\\), held by PID ${child} \\(python3\\): .*: it would keep a server from binding port ${port} after the holders exit \\(it was bound without SO_REUSEADDR\\); stop PID ${child} or make it close the socket; nothing was signalled$`,
            ),
          );
          expect(result.holders).toEqual([expect.objectContaining({ pid: server.first.pid, signals: [] })]);
        }
      }
      expect(isAlive(server.first.pid)).toBe(!reuse);
      expect(isAlive(child)).toBe(true);
    },
  );

  it("the server's own accepted connection does not count: no warning, freed", async () => {
    const server = await spawnListener();
    await spawnClient({ port: server.port });
    for (const dryRun of [true, false]) {
      const lines: string[] = [];
      const result = await claimOurs(server.port, { dryRun, log: (line, level) => lines.push(`${level}: ${line}`) });
      expect(result.action, lines.join('\n')).toBe(dryRun ? 'would-free' : 'freed');
      expect(lines.filter((line) => !line.startsWith('info: '))).toEqual([]);
    }
  });

  it('UDP: a client socket connected to a peer, bound to the port, refuses the claim up front (a server binds UDP without SO_REUSEADDR)', async () => {
    const port = leasePort();
    const holder = await start([
      python,
      '-c',
      `import json, os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', ${port}))
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const client = await start([
      python,
      '-c',
      `import json, os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.2', ${port})); s.connect(('127.0.0.3', 9))
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`,
    ]);
    for (const dryRun of [true, false]) {
      const result = await claimOurs(port, { transport: 'udp', dryRun });
      expect(result.action).toBe('refused');
      expect(result.message).toContain(`127.0.0.2:${port}/udp bound and connected to 127.0.0.3:9, held by PID ${client.first.pid} (python3)`);
      expect(result.message).toContain('(a server binds a UDP port without SO_REUSEADDR)');
      expect(isAlive(holder.first.pid)).toBe(true);
    }
  });
});

describe('a dry run names what the settle window would watch for', () => {
  it('a holder under a shell loop: the dry run warns, naming the loop and the window', async () => {
    const port = leasePort();
    const json = JSON.stringify({ host: '127.0.0.1', port, role: 'listener' });
    const listenerChild = new URL('../../../test-support/listener-child.mjs', import.meta.url).pathname;
    const loop = await start(['bash', '-c', `while :; do "${process.execPath}" "${listenerChild}" '${json}'; done`]);
    const holder = loop.first.pids ? (loop.first.pids as number[])[0]! : loop.first.pid;
    const lines: string[] = [];
    const result = await claimOurs(port, { dryRun: true, log: (line, level) => lines.push(`${level}: ${line}`) });
    expect(result.action).toBe('would-free');
    expect(lines).toContainEqual(
      `warn: dry run: PID ${loop.child.pid} (bash), the parent of PID ${holder}, is still running and may start it again: a real run watches port ${port} for ${SETTLE_MS} ms after the holders are gone, and fails if it is taken again (stop PID ${loop.child.pid} first if it would)`,
    );
    expect(isAlive(holder)).toBe(true);
  });

  it('a holder whose parent is claim-port (here: the test) gets no such warning', async () => {
    const server = await spawnListener();
    const lines: string[] = [];
    await claimOurs(server.port, { dryRun: true, log: (line, level) => lines.push(`${level}: ${line}`) });
    expect(lines.filter((line) => !line.startsWith('info: '))).toEqual([]);
  });
});

describe('a bind that still fails after the signals says what was signalled and what to do', () => {
  it.skipIf(!root)('--quiet: the one line names the SIGTERM sent, the blocker and the next step', async () => {
    const port = leasePort();
    // A holder that, on SIGTERM, leaves a child holding a socket bound to 127.0.0.2:PORT without SO_REUSEADDR (never listening), then exits:
    // nothing to see before the signal.
    const holder = await start([
      python,
      '-c',
      `import json, os, signal, socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', ${port})); s.listen(16)
def term(signum, frame):
    r, w = os.pipe()
    if os.fork() == 0:
        s.close()
        b = socket.socket(); b.bind(('127.0.0.2', ${port}))
        print(json.dumps({'pid': os.getpid()}), flush=True)
        os.write(w, b'x')
        while True: time.sleep(3600)
    os.read(r, 1)
    os._exit(0)
signal.signal(signal.SIGTERM, term)
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const run = await claimInProcess([String(port), '--quiet'], { port });
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const child = holder.pids.find((pid) => pid !== holder.first.pid);
    expect(child).toBeDefined();
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\[claim-port:${port}\\] sent SIGTERM to PID ${holder.first.pid} \\(gone\\); nothing holds port ${port} any more, but a server could not bind it \\(0\\.0\\.0\\.0: EADDRINUSE\\): .*held by PID ${child} \\(python3\\): .*; stop PID ${child} or make it close the socket$`,
      ),
    );
    expect(isAlive(child!)).toBe(true);
  });
});

/** Whether fixtures/unbindable-address-netns.sh can run here: root (namespaces, pidfd_getfd), unshare, ip, python3 and perl. */
const canRunUnbindableNetns =
  root && hasCommand('unshare', ['--version']) && hasCommand('ip', ['-V']) && hasCommand('python3', ['--version']) && hasCommand('perl', ['-v']);

describe.skipIf(!canRunUnbindableNetns)('a connection on an address a bind cannot take to try it', () => {
  // Before, the bind that tries it failed with EINVAL or EADDRNOTAVAIL, taken for "cannot be told": the dry run warned
  // and exited 0, and the real run killed the listener, then failed on the connection.
  it.each([
    ['link-local', '[fe80::1]'],
    ['removed', '10.9.9.9'],
  ] as const)('%s: its own SO_REUSEADDR is read (none: it blocks), and the claim is refused before any signal, dry run and real run', async (mode, local) => {
    const port = 18_250;
    const run = await runNetnsScript({
      script: fileURLToPath(new URL('./fixtures/unbindable-address-netns.sh', import.meta.url)),
      args: [mode, String(port), process.execPath, binFor()],
      env: {},
      timeoutMs: 60_000,
    });
    const lines = run.output.trim().split('\n');
    expect(
      lines.filter((line) => /^rc=\d+$/.test(line)),
      run.output,
    ).toEqual(['rc=1', 'rc=1']);
    const refusal = new RegExp(
      `^\\[claim-port:${port}\\] refusing: ${local.replace(/[.[\]]/g, '\\$&')}:${port} -> .* \\(ESTABLISHED, a connection using the port as its local port\\), held by PID \\d+ \\(python3\\): .*: it would keep a server from binding port ${port} after the holders exit \\(it was bound without SO_REUSEADDR\\); stop PID \\d+ or make it close the socket$`,
    );
    expect(
      lines.filter((line) => refusal.test(line)),
      run.output,
    ).toHaveLength(2);
    expect(run.output).not.toContain('sent SIGTERM');
    expect(lines).toContain('listener alive');
  });
});

describe('an IPv6 remote end is written in brackets', () => {
  // Before, `::1:9` and `fe80::1:19333`: an address of its own, with no port to tell.
  it('a UDP socket connected to [::1]:9, and a TCP connection to [::1]:Q whose other end is on this machine, named with it', async () => {
    const udpPort = leasePort();
    const udp = await start([
      python,
      '-c',
      `import json, os, socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(('::1', ${udpPort})); s.connect(('::1', 9))
print(json.dumps({'pid': os.getpid(), 'port': ${udpPort}}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const udpResult = await claimOurs(udpPort, { transport: 'udp', dryRun: true });
    expect(udpResult.message).toContain(`: [::1]:${udpPort}/udp bound and connected to [::1]:9, held by PID ${udp.first.pid} (python3)`);
    const port = leasePort();
    const tcp = await start([
      python,
      '-c',
      `import json, os, socket, time
l = socket.socket(socket.AF_INET6); l.bind(('::1', 0)); l.listen(1)
c = socket.socket(socket.AF_INET6); c.bind(('::1', ${port})); c.connect(l.getsockname()[:2]); a, _ = l.accept()
print(json.dumps({'pid': os.getpid(), 'port': ${port}, 'peer': l.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const peer = tcp.first.peer as number;
    const result = await claimOurs(port, { dryRun: true });
    expect(result.message).toContain(
      `: [::1]:${port} -> [::1]:${peer} (ESTABLISHED, a connection using the port as its local port), held by PID ${tcp.first.pid} (python3)`,
    );
    expect(result.message).toContain(`, its other end [::1]:${peer} (ESTABLISHED) held on this machine by PID ${tcp.first.pid} (python3)`);
  });
});
