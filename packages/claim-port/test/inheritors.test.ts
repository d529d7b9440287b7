// README step 6: a process found holding a holder's socket once the holders
// were signalled is followed (judged as a holder, and signalled) only when a
// holder started it: at or after the holder's start, as its uid, tied to it by
// lineage, process group, session or cgroup (Claim.heirOf). A process that
// received the socket (any user can send a listening socket over a Unix socket
// to a daemon that takes fds from anyone) is never signalled: the claim stops
// and names it. Real processes on loopback, all spawned here (claimOurs checks
// the guard, and that everything signalled was ours).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { guardPort, isAlive, leasePort, signal, waitUntil } from '../../../test-support/index.js';
import { BIN } from './helpers.js';
import { cleanupStarted, claimOurs, start } from './started.js';

const root = process.getuid?.() === 0;
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const py = (code: string) => start([python, '-c', code]);

const dirs: string[] = [];
afterEach(async () => {
  await cleanupStarted();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A daemon that takes fds from anyone over a datagram Unix socket at `path` and keeps them, ignoring SIGTERM (one that
 * shuts down slowly). start() waits for a line with `port`: the victim's is its socket's path.
 */
function victim(path: string) {
  return py(`import array, json, os, signal, socket
signal.signal(signal.SIGTERM, signal.SIG_IGN)
u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); u.bind(${JSON.stringify(path)}); os.chmod(${JSON.stringify(path)}, 0o777)
print(json.dumps({'pid': os.getpid(), 'port': ${JSON.stringify(path)}}), flush=True)
keep = []
while True:
    m, anc, f, a = u.recvmsg(100, socket.CMSG_SPACE(64))
    keep += [array.array('i', d[:len(d) // 4 * 4]).tolist() for l, t, d in anc]`);
}

/** A holder of a leased port that, on SIGTERM, sends its listening socket to the Unix socket at `path` and exits. */
function passer(path: string) {
  return py(`import array, json, os, signal, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
def give(*_):
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(array.array('i', [s.fileno()])))], 0, ${JSON.stringify(path)})
    os._exit(0)
signal.signal(signal.SIGTERM, give)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(1)`);
}

describe("a holder's socket in a process no holder started", () => {
  it.each([
    ['before the holder', 'it was running before PID'],
    ['after the holder, in a session of its own', 'nor in the process group, session or cgroup'],
  ])('a daemon started %s, which receives the socket on SIGTERM, is never signalled: the claim stops and names it (exit 1)', async (order, why) => {
    const dir = mkdtempSync(join(tmpdir(), 'claim-port-inheritors-'));
    dirs.push(dir);
    const path = join(dir, 'v.sock');
    const first = order === 'before the holder' ? await victim(path) : undefined;
    // Start times count in clock ticks (10 ms): the holder starts a tick or more after the victim, or the other way.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const holder = await passer(path);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const daemon = first ?? (await victim(path));
    const { pid, port } = holder.first;
    const keeper = daemon.first.pid;
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 0.5, settleMs: 0, log: (line) => lines.push(line) });
    const log = lines.join('\n');
    expect(result.action, log).toBe('failed');
    expect(isAlive(keeper)).toBe(true);
    expect(log).not.toMatch(new RegExp(`sent SIG[A-Z]+ to PID ${keeper}\\b`));
    expect(result.holders[0]).toMatchObject({ pid, signals: ['SIGTERM'], outcome: 'exited' });
    expect(result.holders[1]).toMatchObject({ pid: keeper, inheritedFrom: [pid], signals: [], outcome: 'refused' });
    expect(result.holders[1]!.reason).toContain(
      `it holds the socket of PID ${pid}, a holder of port ${port}, but nothing ties it to it as a process it started (`,
    );
    expect(result.holders[1]!.reason).toContain(why);
    expect(result.holders[1]!.reason).toContain(`if PID ${keeper} may go, stop it by hand (kill ${keeper})`);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^not signalling PID ${keeper} \\(python3, user [^,]+, uid ${process.getuid?.()}\\): it holds the socket`)),
    );
    expect(result.message).toMatch(
      new RegExp(`^port ${port} is still in use by PID ${keeper} \\(python3, .*\\(not signalled: it holds the socket of PID ${pid}`),
    );
    // It stops there: no SIGKILL wait, no settle window.
    expect(log).not.toMatch(/still in use after|watching port/);
    // The JSON says what the text says: nothing ties it to the holder, so no supervisor (the holder's parent, which
    // is its parent too) and no holder that left it behind.
    expect(result.retakenBy).toEqual([{ pid: keeper, user: result.holders[1]!.user, command: result.holders[1]!.command }]);
  });

  it.skipIf(!root)(
    "a child the holder forked that runs as another uid, given the socket on SIGTERM, is not signalled: it does not run as the holder's uid",
    async () => {
      // Tied to the holder in every other way (its child, in its process group and session, started after it): only its uid differs.
      const holder = await py(`import array, json, os, signal, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
child = os.fork()
if child == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    s.close()
    os.setgid(65534); os.setuid(65534)
    msg, anc, flags, addr = b.recvmsg(1, socket.CMSG_LEN(4))
    kept = array.array('i', anc[0][2])[0]
    while True: time.sleep(3600)
def give(*_):
    a.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [s.fileno()]))])
    os._exit(0)
signal.signal(signal.SIGTERM, give)
time.sleep(0.2)
print(json.dumps({'pid': os.getpid(), 'pids': [child], 'port': s.getsockname()[1], 'child': child}), flush=True)
while True: time.sleep(1)`);
      const { pid, port } = holder.first;
      const child = holder.first.child as number;
      const lines: string[] = [];
      const result = await claimOurs(port, { timeoutSeconds: 0.5, settleMs: 0, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('failed');
      expect(isAlive(child)).toBe(true);
      expect(result.holders[1]).toMatchObject({ pid: child, uid: 65534, inheritedFrom: [pid], signals: [], outcome: 'refused' });
      expect(result.holders[1]!.reason).toContain(`(it runs as uid 65534, PID ${pid} ran as uid 0)`);
      // Not "left behind by" the holder in the JSON either (it is in the holder's process group, but was refused).
      expect(result.retakenBy).toEqual([{ pid: child, user: result.holders[1]!.user, command: result.holders[1]!.command }]);
    },
  );
  it.skipIf(!root)("a child of a holder that itself held another user's socket is not followed: whoever made the socket chose where it went", async () => {
    // Two fd keepers of one uid, the second forked by the first (its child, in its session, started after it). nobody's
    // listener hands its socket to the first at once (a holder from the start, of a socket it did not make) and to the
    // second on SIGTERM: every tie to the first holds, but neither keeper ever held the port of its own doing.
    const dir = mkdtempSync(join(tmpdir(), 'claim-port-inheritors-'));
    dirs.push(dir);
    chmodSync(dir, 0o711);
    const [first, second] = [join(dir, 'k1.sock'), join(dir, 'k2.sock')];
    const keepers = await py(`import array, json, os, signal, socket, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
def keep(path):
    u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); u.bind(path); os.chmod(path, 0o777)
    return u
one = keep(${JSON.stringify(first)})
time.sleep(0.03)
child = os.fork()
if child == 0:
    one.close()
    two = keep(${JSON.stringify(second)})
    kept = []
    while True:
        m, anc, f, a = two.recvmsg(100, socket.CMSG_SPACE(64))
        kept += [array.array('i', d[:len(d) // 4 * 4]).tolist() for l, t, d in anc]
time.sleep(0.2)
print(json.dumps({'pid': os.getpid(), 'pids': [child], 'port': 1, 'child': child}), flush=True)
kept = []
while True:
    m, anc, f, a = one.recvmsg(100, socket.CMSG_SPACE(64))
    kept += [array.array('i', d[:len(d) // 4 * 4]).tolist() for l, t, d in anc]`);
    const holder = await start([
      'setpriv',
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      python,
      '-c',
      `import array, json, os, signal, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
def send(path):
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(array.array('i', [s.fileno()])))], 0, path)
send(${JSON.stringify(first)})
def give(*_):
    send(${JSON.stringify(second)})
    os._exit(0)
signal.signal(signal.SIGTERM, give)
time.sleep(0.2)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(1)`,
    ]);
    const { pid, port } = holder.first;
    const child = keepers.first.child as number;
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 0.5, settleMs: 0, log: (line) => lines.push(line) });
    const log = lines.join('\n');
    expect(result.action, log).toBe('failed');
    expect(isAlive(child)).toBe(true);
    expect(log).not.toMatch(new RegExp(`sent SIG[A-Z]+ to PID ${child}\\b`));
    const kept = result.holders.find((h) => h.pid === child);
    expect(kept, log).toMatchObject({ signals: [], outcome: 'refused' });
    expect(kept!.inheritedFrom).toContain(pid);
    expect(kept!.reason).toContain('it holds a socket uid 65534 made, not it');
  });
});

describe('a process a holder started is followed', () => {
  it('a child forked on SIGTERM that keeps the socket is signalled and the port freed; its line says how it is tied to the holder', async () => {
    const holder = await py(`import json, os, signal, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
def handover(*_):
    if os.fork() == 0:
        os.write(1, (json.dumps({'pid': os.getpid()}) + '\\n').encode())
        while True: time.sleep(3600)
    time.sleep(0.1)
    os._exit(0)
signal.signal(signal.SIGTERM, handover)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(1)`);
    const { pid, port } = holder.first;
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 0.5, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('freed');
    const child = result.holders[1]!;
    expect(holder.pids).toContain(child.pid);
    expect(child).toMatchObject({ inheritedFrom: [pid], signals: ['SIGTERM'], outcome: 'exited' });
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^PID ${child.pid} \\(python3\\) holds the socket of PID ${pid}, which is gone; .*; it is in the process group PID ${pid} was in: `),
      ),
    );
  });

  it.skipIf(!root)(
    'a worker an inetd respawned as another user after its first worker died is followed, and its line names no dead worker as the one that started it',
    async () => {
      // inetd's `wait` service: the listening socket is each worker's stdin; the inetd (root, SIGTERM ignored) starts
      // another worker, as nobody, when one exits. The second worker is in the first one's process group, and born
      // after it was gone: the first did not start it, the inetd did.
      const inetd = await py(`import json, os, signal, socket, subprocess
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
work = lambda: subprocess.Popen([${JSON.stringify(python)}, '-c', 'import time\\ntime.sleep(600)'], stdin=s.fileno(), user=65534, group=65534)
w = work()
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1], 'pids': [w.pid], 'worker': w.pid}), flush=True)
while True:
    w.wait(); w = work()
    print(json.dumps({'pids': [w.pid]}), flush=True)`);
      const { pid, port } = inetd.first;
      const first = inetd.first.worker as number;
      const lines: string[] = [];
      const result = await claimOurs(port, { timeoutSeconds: 0.5, settleMs: 0, log: (line) => lines.push(line) });
      const log = lines.join('\n');
      expect(result.action, log).toBe('freed');
      const second = result.holders.find((h) => h.pid !== pid && h.pid !== first);
      expect(second, log).toMatchObject({ inheritedFrom: expect.arrayContaining([first]), signals: expect.arrayContaining(['SIGKILL']) });
      const line = lines.find((l) => l.startsWith(`PID ${second!.pid} (python3) holds the socket of `));
      expect(line, log).toBeDefined();
      expect(line).not.toMatch(new RegExp(`PID ${first} started it`));
      expect(line).toMatch(new RegExp(`; it is in the process group PID (${first}|${pid}) was in: |; it is a child of PID ${pid}\\b`));
    },
  );

  it.skipIf(!root)(
    'one that renamed itself sshd, run by another user from a program that bears no such name, is signalled as a disguised holder is: warned of, with its disguise in the JSON',
    async () => {
      const holder = await start([
        'setpriv',
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        python,
        '-c',
        `import ctypes, json, os, signal, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
def handover(*_):
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(15, b'sshd', 0, 0, 0)
        os.write(1, (json.dumps({'pid': os.getpid()}) + '\\n').encode())
        while True: time.sleep(3600)
    time.sleep(0.1)
    os._exit(0)
signal.signal(signal.SIGTERM, handover)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(1)`,
      ]);
      const { pid, port } = holder.first;
      const lines: string[] = [];
      const result = await claimOurs(port, { timeoutSeconds: 0.5, settleMs: 0, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('freed');
      const child = result.holders[1]!;
      expect(child).toMatchObject({ comm: 'sshd', inheritedFrom: [pid], signals: ['SIGTERM'], outcome: 'exited' });
      expect(child.disguise).toMatch(/^named "sshd" \(protected pattern "sshd"\) but runs /);
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^PID ${child.pid} \\(sshd\\) is not protected: named "sshd"`)));
    },
  );
});

describe('a process that exits on its own while the claim runs', () => {
  it("a pre-fork master's workers that end by themselves once the master is killed are neither inheritors nor killed: none is named as a zombie with a live thread, none is reported SIGKILLed", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claim-port-prefork-'));
    dirs.push(dir);
    const statuses = join(dir, 'statuses.json');
    // A subreaper that reaps nothing until SIGUSR1 (a worker that exits once the master is gone stays a zombie, which
    // kill(2) still reaches), then writes how each child ended; under it a master that ignores SIGTERM and, from then
    // on (the guard sees no worker before the claim), forks a worker every 30 ms that keeps the socket and exits after 0.3 s.
    const prefork = await py(`import ctypes, json, os, signal, socket, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
if os.fork() != 0:
    def reap(*_):
        out = {}
        while True:
            try: pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError: break
            if pid == 0: break
            out[pid] = 'killed' if os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9 else 'exited'
        with open(${JSON.stringify(statuses)} + '.tmp', 'w') as f: json.dump(out, f)
        os.rename(${JSON.stringify(statuses)} + '.tmp', ${JSON.stringify(statuses)})
    signal.signal(signal.SIGUSR1, reap)
    while True: time.sleep(3600)
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
termed = []
signal.signal(signal.SIGTERM, lambda *_: termed.append(1))
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True:
    if termed and os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.write(1, (json.dumps({'pid': os.getpid()}) + '\\n').encode())
        time.sleep(0.3)
        os._exit(0)
    time.sleep(0.03)`);
    const { pid, port } = prefork.first;
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 0.5, settleMs: 0, log: (line) => lines.push(line) });
    const log = lines.join('\n');
    expect(result.action, log).toBe('freed');
    expect(result.holders[0], log).toMatchObject({ pid, signals: ['SIGTERM', 'SIGKILL'], outcome: 'killed' });
    expect(log).not.toContain('its main thread exited');
    expect(
      result.holders.filter((h) => h.command.startsWith('[')),
      log,
    ).toEqual([]);
    signal(prefork.child.pid!, 'SIGUSR1');
    await waitUntil(() => existsSync(statuses), 5000);
    const ended: Record<string, 'killed' | 'exited'> = JSON.parse(readFileSync(statuses, 'utf8'));
    // Each worker the claim took for an inheritor: SIGKILLed and reported killed, or not signalled (it ended by itself).
    for (const h of result.holders.slice(1)) {
      const how = ended[h.pid];
      if (how === 'exited') expect(h, log).toMatchObject({ signals: [] });
      if (h.outcome === 'killed') expect(how, log).toBe('killed');
    }
  });
});

describe("a holder's socket handed to claim-port's own parent", () => {
  // The parent that runs claim-port (a deploy script's python) takes fds over a Unix socket; the holder hands it its
  // listener on SIGTERM and exits. The parent is claim-port's ancestor: rightly not signalled. The advice named its
  // parent, "its supervisor", as for a holder a supervisor started again: a process that holds no socket.
  it('is not signalled, and the advice names it, never its parent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claim-port-handoff-'));
    dirs.push(dir);
    const path = join(dir, 'fds.sock');
    const holder = await py(`import array, json, os, signal, socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
def on_term(*_):
    u = socket.socket(socket.AF_UNIX); u.connect(${JSON.stringify(path)})
    u.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [s.fileno()]))])
    os._exit(0)
signal.signal(signal.SIGTERM, on_term)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`);
    const { pid, port } = holder.first;
    guardPort(port);
    // The parent: takes the fd, runs claim-port and says what it printed (one line, once it is done).
    const parent = await py(`import array, json, os, socket, subprocess, threading
srv = socket.socket(socket.AF_UNIX); srv.bind(${JSON.stringify(path)}); srv.listen(1)
got = []
def take():
    c, _ = srv.accept(); m, anc, f, a = c.recvmsg(1, socket.CMSG_LEN(4))
    got.append(array.array('i', anc[0][2])[0])
threading.Thread(target=take, daemon=True).start()
run = subprocess.run([${JSON.stringify(process.execPath)}, ${JSON.stringify(BIN)}, '${port}', '--timeout', '0.3', '--json'], capture_output=True, text=True)
print(json.dumps({'pid': os.getpid(), 'port': ${port}, 'code': run.returncode, 'out': run.stdout, 'err': run.stderr, 'got': len(got)}), flush=True)`);
    const { code, out, err, got } = parent.first as unknown as { code: number; out: string; err: string; got: number };
    const me = parent.first.pid;
    expect(got, err).toBe(1);
    expect(code, err).toBe(1);
    const result = JSON.parse(out) as { action: string; message: string; holders: { pid: number; signals: string[]; outcome: string }[] };
    expect(result.holders, err).toEqual([
      expect.objectContaining({ pid, signals: ['SIGTERM'] }),
      expect.objectContaining({ pid: me, signals: [], outcome: 'protected' }),
    ]);
    expect(result.message).toMatch(
      new RegExp(
        `^port ${port} is still in use by PID ${me} \\(python3\\): .*\\(it holds the socket of PID ${pid}, passed on or left to it, and was not signalled\\): stop PID ${me} \\(claim-port's own ancestor, which it never signals\\) first$`,
      ),
    );
    expect(result.message).not.toContain('supervisor');
  });
});
