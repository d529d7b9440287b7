import { connect } from 'node:net';
import { userInfo } from 'node:os';
// The readers against real listeners this test spawns on loopback.
import { afterEach, describe, expect, it } from 'vitest';
import {
  ancestors,
  readListenSockets,
  readListenSocketsSync,
  readLsofListeners,
  readProcessInfo,
  scanSocketHolders,
  snapshot,
  snapshotSync,
} from '@dsa110/ports/system';
import { escapeText } from '@dsa110/ports';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasCommand, leasePort, signal, spawnClient, spawnListener, waitForExit, waitUntil, worldReadableBundle } from '../../../../test-support/index.js';
import { recordSpawned } from '../../../../test-support/guard.js';
import { scanEveryThread } from '../../src/system/holders.js';
import { tempDir, writeTree } from '../../../../test-support/tree.js';

/** The user the suite runs as (root or not): holders it spawns belong to it. */
const me = userInfo().username;

// Running as or against another user (setpriv) needs root; CI runs as root.
const root = process.getuid?.() === 0;

const hasLsof = hasCommand('lsof');

describe('readListenSockets', () => {
  it('finds IPv4, ::1 and :: listeners with normalized addresses', async () => {
    const v4 = await spawnListener({ host: '127.0.0.1' });
    const v6 = await spawnListener({ host: '::1' });
    const any = await spawnListener({ host: '::' });
    const sockets = await readListenSockets({ ports: [v4.port, v6.port, any.port] });
    expect(sockets).toContainEqual(expect.objectContaining({ address: '127.0.0.1', family: 'IPv4', port: v4.port }));
    expect(sockets).toContainEqual(expect.objectContaining({ address: '::1', family: 'IPv6', port: v6.port }));
    expect(sockets).toContainEqual(expect.objectContaining({ address: '::', family: 'IPv6', port: any.port }));
    expect(sockets.every((s) => s.inode > 0 && s.uid === process.getuid!())).toBe(true);
  });

  it('ignores client connections, accepted connections and bound-but-not-listening sockets', async () => {
    const server = await spawnListener();
    const client = await spawnClient({ port: server.port });
    const bound = await spawnListener({ bindOnly: true });
    const sockets = await readListenSockets({ ports: [server.port, client.output() ? JSON.parse(client.output().split('\n')[0]!).localPort : 0, bound.port] });
    expect(sockets.map((s) => s.port)).toEqual([server.port]);
  });
});

describe('snapshot', () => {
  it('maps one shared socket to every forked worker', async () => {
    const server = await spawnListener({ workers: 2 });
    expect(server.pids).toHaveLength(3);
    const { listeners } = await snapshot({ ports: [server.port] });
    expect(listeners).toHaveLength(1);
    expect(listeners[0]!.ownerKnown).toBe(true);
    expect(listeners[0]!.holders.map((h) => h.pid)).toEqual([...server.pids].sort((a, b) => a - b));
  });

  it('sees two SO_REUSEPORT processes as two sockets with one holder each', async () => {
    const first = await spawnListener({ reusePort: true });
    const second = await spawnListener({ reusePort: true, port: first.port });
    const { listeners } = snapshotSync({ ports: [first.port] });
    expect(listeners).toHaveLength(2);
    expect(listeners.flatMap((l) => l.holders.map((h) => h.pid)).sort()).toEqual([first.pid, second.pid].sort());
  });

  it('infers dual-stack for :: unless 0.0.0.0 shares the port', async () => {
    const any6 = await spawnListener({ host: '::' });
    const v6only = await spawnListener({ host: '::', ipv6Only: true });
    const v4 = await spawnListener({ host: '0.0.0.0', port: v6only.port });
    const { listeners } = await snapshot({ ports: [any6.port, v6only.port] });
    const bindV6Only =
      existsSync('/proc/sys/net/ipv6/bindv6only') && (await import('node:fs')).readFileSync('/proc/sys/net/ipv6/bindv6only', 'utf8').trim() === '1';
    expect(listeners.find((l) => l.port === any6.port)!.dualStack).toBe(!bindV6Only);
    expect(listeners.find((l) => l.port === v6only.port && l.address === '::')!.dualStack).toBe(false);
    expect(listeners.find((l) => l.port === v4.port && l.address === '0.0.0.0')!.dualStack).toBe(false);
  });

  // SO_REUSEPORT shares a port between sockets of one uid, a dual-stack `::` and an IPv4 one included: an IPv4 twin
  // of the same uid proves nothing (the kernel is asked), one of another uid does (the kernel refuses that bind).
  it('takes a :: socket beside a 127.0.0.1 one of its uid (both SO_REUSEPORT) as the kernel has it: dual-stack when 127.0.0.2 reaches it', async () => {
    const reaches = (port: number) =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ host: '127.0.0.2', port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      });
    for (const ipv6Only of [false, true]) {
      const any6 = await spawnListener({ host: '::', reusePort: true, ipv6Only });
      const v4 = await spawnListener({ host: '127.0.0.1', reusePort: true, port: any6.port });
      expect(await reaches(any6.port)).toBe(!ipv6Only);
      for (const { listeners } of [snapshotSync({ ports: [any6.port] }), await snapshot({ ports: [any6.port] })])
        expect(listeners.map((l) => [l.address, l.dualStack]).sort()).toEqual([
          ['127.0.0.1', false],
          ['::', !ipv6Only],
        ]);
      await Promise.all([any6.kill(), v4.kill()]);
    }
  });

  it('reports holder details: user, comm, argv, start time, parent', async () => {
    const server = await spawnListener({ name: 'ports-test-srv' });
    const { listeners } = await snapshot({ ports: [server.port] });
    const holder = listeners[0]!.holders[0]!;
    expect(holder).toMatchObject({ pid: server.pid, ppid: process.pid, user: me, comm: 'ports-test-srv', kernelThread: false });
    // Idle once it listens, but it may still be finishing its ready line when the snapshot looks (a busy machine): running or sleeping, never a zombie.
    expect(['S', 'R']).toContain(holder.state);
    expect(holder.startTime).toBeGreaterThan(0);
    expect(holder.command).toContain('ports-test-srv');
  });

  it('returns nothing for a port nobody listens on, without scanning /proc/*/fd', async () => {
    const server = await spawnListener();
    await server.kill();
    expect((await snapshot({ ports: [server.port] })).listeners).toEqual([]);
  });

  it.skipIf(!root)('names a nobody-owned holder', async () => {
    const server = await spawnListener({ user: 'nobody' });
    const { listeners } = await snapshot({ ports: [server.port] });
    expect(listeners[0]!.uid).toBe(65534);
    expect(listeners[0]!.holders[0]).toMatchObject({ pid: server.pid, user: 'nobody', uid: 65534 });
  });
});

describe('holder scan and processes', () => {
  it.skipIf(!root)('reports other users’ processes as unreadable when not root, never guessing an owner', async () => {
    const server = await spawnListener();
    // nobody may not be able to read the checkout (a clone in a 0700 dir): a world-readable bundle of the reader.
    const bundle = await worldReadableBundle(new URL('../../src/system/index.ts', import.meta.url).pathname);
    const script = `
      import('${bundle}').then(async (m) => {
        const s = await m.snapshot({ ports: [${server.port}] });
        console.log(JSON.stringify({ known: s.listeners.map((l) => l.ownerKnown), holders: s.listeners.map((l) => l.holders.length), unreadable: s.unreadable.includes(${server.pid}) }));
      });`;
    const out = execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: '/',
    });
    expect(JSON.parse(out)).toEqual({ known: [false], holders: [0], unreadable: true });
  });

  it('scans only the PIDs given, when given', async () => {
    const server = await spawnListener();
    const [socket] = await readListenSockets({ ports: [server.port] });
    expect(scanSocketHolders([socket!.inode], { pids: [server.pid] }).holders.get(socket!.inode)).toEqual([server.pid]);
    expect(scanSocketHolders([socket!.inode], { pids: [process.pid] }).holders.size).toBe(0);
    expect(scanSocketHolders([socket!.inode], { pids: [server.pid], skip: new Set([server.pid]) }).holders.size).toBe(0);
    expect(() => scanSocketHolders([socket!.inode], { pids: [0] })).toThrow(/scanSocketHolders.*options\.pids/);
  });

  it('scans for several inodes at once', async () => {
    const a = await spawnListener();
    const b = await spawnListener({ workers: 1 });
    const sockets = await readListenSockets({ ports: [a.port, b.port] });
    const scan = scanSocketHolders(sockets.map((s) => s.inode));
    expect([...scan.holders.values()].map((pids) => pids.length).sort()).toEqual([1, 2]);
  });

  it('keeps the bytes of an argv and comm that are not UTF-8, for escapeText to show as \\xNN (not all as the same U+FFFD)', async () => {
    // sh's printf makes the raw bytes 0xff 0xfe; the child renames itself (comm) with bytes too, and ends when its stdin closes.
    const code = "import ctypes, sys\nctypes.CDLL(None).prctl(15, b'bad\\xffname', 0, 0, 0)\nprint('ready', flush=True)\nsys.stdin.read()";
    const child = spawn('sh', ['-c', 'exec python3 -c "$0" "$(printf \'a\\377\\376b\')" \'\\xff\'', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve) => child.stdout!.once('data', resolve));
      const info = readProcessInfo(child.pid!)!;
      expect(escapeText(info.comm)).toBe('bad\\xffname');
      // The bad bytes, and a literal backslash-x typed by the process, are told apart.
      expect(escapeText(info.command)).toMatch(/ a\\xff\\xfeb \\\\xff$/);
      expect(JSON.parse(JSON.stringify(info.command))).toBe(info.command);
    } finally {
      child.stdin!.end();
      await new Promise((resolve) => child.once('close', resolve));
    }
  });

  it('keeps the bytes of an executable name that is not UTF-8 (exe), as of argv and comm', async () => {
    const dir = tempDir();
    const copy = Buffer.concat([Buffer.from(`${dir}/py`), Buffer.from([0xff])]);
    copyFileSync(realpathSync(existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'), copy);
    chmodSync(copy, 0o755);
    symlinkSync(copy, `${dir}/link`); // spawn() takes a string; /proc/PID/exe names the copy
    const child = spawn(`${dir}/link`, ['-c', "import sys\nprint('ready', flush=True)\nsys.stdin.read()"], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve) => child.stdout!.once('data', resolve));
      expect(escapeText(readProcessInfo(child.pid!)!.exe!)).toBe('py\\xff');
    } finally {
      child.stdin!.end();
      await new Promise((resolve) => child.once('close', resolve));
    }
  });

  it('reads a kernel thread, the ancestry, and nothing for a dead PID', () => {
    const kthreadd = readProcessInfo(2);
    if (kthreadd) expect(kthreadd.kernelThread).toBe(true);
    expect(readProcessInfo(process.pid)!.kernelThread).toBe(false);
    expect(ancestors(process.pid)).toContain(process.ppid);
    expect(readProcessInfo(2 ** 22 + 1)).toBeUndefined();
  });
});

describe.skipIf(!hasLsof)('lsof fallback (live)', () => {
  it('agrees with /proc on a real listener', async () => {
    const server = await spawnListener({ host: '::1' });
    const listeners = await readLsofListeners(server.port);
    expect(listeners).toEqual([expect.objectContaining({ pid: server.pid, family: 'IPv6', address: '::1', port: server.port })]);
    await server.kill();
    expect(await readLsofListeners(server.port)).toEqual([]);
  });
});

// Sockets that /proc/PID/fd does not show: in a thread's fd table (a leader that exited, or a table of the thread's own).
describe.skipIf(!existsSync('/usr/bin/python3'))("holders in threads' fd tables", () => {
  const started: number[] = [];
  afterEach(async () => {
    for (const pid of started.splice(0)) {
      signal(pid, 'SIGKILL');
      await waitForExit(pid);
    }
  });

  /** A python3 program that prints {"port", "pids"} once set up; every PID it names is recorded with the guard. */
  async function python(code: string): Promise<{ port: number; pids: number[] }> {
    const child = spawn('/usr/bin/python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    recordSpawned(child.pid!);
    started.push(child.pid!);
    const line = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout!.on('data', (data: Buffer) => {
        text += data.toString();
        if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
      });
      child.once('close', (code) => reject(new Error(`python3 exited (${code}) before it was ready`)));
    });
    const message = JSON.parse(line) as { port: number; pids: number[] };
    for (const pid of message.pids) {
      if (pid === child.pid) continue;
      recordSpawned(pid);
      started.push(pid);
    }
    return message;
  }

  it.skipIf(!root)(
    'finds a process whose leader exited beside a holder /proc/PID/fd shows (a socket with a known holder was not looked for further)',
    async () => {
      const { port, pids } = await python(`import ctypes, json, os, socket, threading, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
child = os.fork()
if child == 0:
    threading.Thread(target=lambda: time.sleep(3600)).start()
    ctypes.CDLL(None).pthread_exit(None)
print(json.dumps({'port': s.getsockname()[1], 'pids': [os.getpid(), child]}), flush=True)
time.sleep(3600)`);
      await waitUntil(() => readdirSync(`/proc/${pids[1]}/fd`).length === 0);
      const [socket] = await readListenSockets({ ports: [port] });
      expect(scanSocketHolders([socket!.inode]).holders.get(socket!.inode)).toEqual([...pids].sort((a, b) => a - b));
      expect((await snapshot({ ports: [port], parallel: true })).listeners[0]!.holders.map((h) => h.pid).sort((a, b) => a - b)).toEqual(
        [...pids].sort((a, b) => a - b),
      );
    },
  );

  it.runIf(root && hasCommand('unshare'))(
    "reads PID 2 of a PID namespace's own /proc as any process (only the host's kthreadd, PF_KTHREAD, is skipped with its children)",
    async () => {
      // PID 1 of a fresh PID namespace holds the socket; PID 2, a fork whose leader exited, holds it too (its fd directory is empty).
      const child = spawn(
        'unshare',
        [
          '--pid',
          '--fork',
          '--kill-child=SIGKILL',
          '--mount-proc',
          '/usr/bin/python3',
          '-c',
          `import ctypes, os, socket, threading, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
if os.fork() == 0:
    threading.Thread(target=lambda: time.sleep(3600)).start()
    ctypes.CDLL(None).pthread_exit(None)
print(s.getsockname()[1], flush=True)
time.sleep(3600)`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      recordSpawned(child.pid!);
      started.push(child.pid!);
      const port = Number(await new Promise<string>((resolve) => child.stdout!.once('data', (data: Buffer) => resolve(String(data).trim()))));
      // Only unshare is signalled: --kill-child has the kernel kill its child, the namespace's init, which ends the namespace.
      const [init] = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'latin1').trim().split(' ').map(Number);
      // The namespace's own /proc, where PID 2 is the fork: read through its init's root.
      const proc = `/proc/${init}/root/proc`;
      await waitUntil(() => readdirSync(`${proc}/2/fd`).length === 0);
      const [socket] = await readListenSockets({ ports: [port] });
      expect(scanSocketHolders([socket!.inode], { procRoot: proc }).holders.get(socket!.inode)).toEqual([1, 2]);
    },
  );

  it("finds a socket only a thread's own fd table holds (unshare(CLONE_FILES)) with threads: 'every', and says its owner is unknown without", async () => {
    const { port, pids } = await python(`import ctypes, json, os, socket, threading, time
libc = ctypes.CDLL(None, use_errno=True)
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
port = s.getsockname()[1]
ready = threading.Event()
def hold():
    if libc.unshare(0x400) != 0: raise OSError(ctypes.get_errno(), 'unshare(CLONE_FILES)')
    ready.set()
    time.sleep(3600)
threading.Thread(target=hold, daemon=True).start()
ready.wait(); s.close()
print(json.dumps({'port': port, 'pids': [os.getpid()]}), flush=True)
time.sleep(3600)`);
    const [socket] = await readListenSockets({ ports: [port] });
    expect(scanSocketHolders([socket!.inode]).holders.size).toBe(0);
    expect(scanSocketHolders([socket!.inode], { threads: 'every' }).holders.get(socket!.inode)).toEqual(pids);
    expect(scanSocketHolders([socket!.inode], { threads: 'every', pids }).holders.get(socket!.inode)).toEqual(pids);
    expect((await snapshot({ ports: [port], parallel: true, threads: 'every' })).listeners[0]).toMatchObject({ ownerKnown: true, holders: [{ pid: pids[0] }] });
    expect(snapshotSync({ ports: [port] }).listeners[0]).toMatchObject({ ownerKnown: false, holders: [] });
    expect(() => scanSocketHolders([socket!.inode], { threads: 'all' as 'every' })).toThrow(
      /^scanSocketHolders: options\.threads must be 'every' or undefined/,
    );
  });

  it("reads a thread's table at once only when its size is not its leader's; those that look shared only while a socket has no holder, within the budget, else the process is unreadable", async () => {
    // 20 threads share the leader's table; one has its own, holding the socket the leader closed.
    const { port, pids } = await python(`import ctypes, json, os, socket, threading, time
libc = ctypes.CDLL(None, use_errno=True)
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
port = s.getsockname()[1]
for _ in range(20): threading.Thread(target=lambda: time.sleep(3600), daemon=True).start()
ready = threading.Event()
def hold():
    if libc.unshare(0x400) != 0: raise OSError(ctypes.get_errno(), 'unshare(CLONE_FILES)')
    ready.set()
    time.sleep(3600)
threading.Thread(target=hold, daemon=True).start()
ready.wait(); s.close()
print(json.dumps({'port': port, 'pids': [os.getpid()]}), flush=True)
time.sleep(3600)`);
    const [socket] = await readListenSockets({ ports: [port] });
    const wanted = (inode: number) => new Map([[`socket:[${inode}]`, inode]]);
    // Its own table is found with no time for the others (budget 0).
    expect(scanEveryThread(pids, [], wanted(socket!.inode), '/proc', 0)).toEqual({ found: [pids[0], socket!.inode], unreadable: [] });
    // A socket no table holds: the 20 that look shared are read within the budget, or the process is said unread.
    expect(scanEveryThread(pids, [], wanted(1), '/proc', 0)).toEqual({ found: [], unreadable: pids });
    expect(scanEveryThread(pids, [], wanted(1), '/proc', 5000)).toEqual({ found: [], unreadable: [] });
  });
});

describe('large socket tables', () => {
  it('finds every listener when the table is longer than one read (80 listeners, > 4 KiB)', async () => {
    const count = 80;
    const { spawn } = await import('node:child_process');
    // One process with 80 listeners, spawned and killed by this test.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `
      const net = require('net'); const ports = []; let left = ${count};
      for (let i = 0; i < ${count}; i++) { const s = net.createServer().listen(0, '127.0.0.1', () => { ports.push(s.address().port); if (--left === 0) console.log(JSON.stringify(ports)); }); }
      setInterval(() => {}, 1e6);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const ports: number[] = await new Promise((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(String(d)))));
      const found = await readListenSockets({ ports });
      expect(found.map((s) => s.port).sort()).toEqual([...ports].sort());
      expect(found.every((s) => s.address === '127.0.0.1')).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('a socket table the kernel counts empty is not read', () => {
  // Reading a table walks the kernel's whole established hash (~1 ms) even when
  // it lists nothing; /proc/net/sockstat{,6} count the family's sockets, listeners included.
  const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`fixtures/${name}`, import.meta.url)), 'latin1');
  const proc = (files: Record<string, string>) =>
    writeTree(tempDir(), { 'net/tcp': fixture('proc-net-tcp.txt'), 'net/tcp6': fixture('proc-net-tcp6.txt'), ...files });
  const families = (root: string) => [...new Set(readListenSocketsSync({ procRoot: root }).map((socket) => socket.family))];

  it('skips tcp6 at "TCP6: inuse 0" and tcp at "TCP: inuse 0", and reads a table whose count is above 0', () => {
    const v4 = 'sockets: used 7\nTCP: inuse 3 orphan 0 tw 0 alloc 3 mem 1\nUDP: inuse 0 mem 0\n';
    expect(families(proc({ 'net/sockstat': v4, 'net/sockstat6': 'TCP6: inuse 0\nUDP6: inuse 0\n' }))).toEqual(['IPv4']);
    expect(families(proc({ 'net/sockstat': v4.replace('inuse 3', 'inuse 0'), 'net/sockstat6': 'TCP6: inuse 2\n' }))).toEqual(['IPv6']);
    expect(families(proc({ 'net/sockstat': v4, 'net/sockstat6': 'TCP6: inuse 2\nUDP6: inuse 0\n' }))).toEqual(['IPv4', 'IPv6']);
  });

  it('reads the tables when the counts are missing or not understood', () => {
    expect(families(proc({}))).toEqual(['IPv4', 'IPv6']);
    expect(families(proc({ 'net/sockstat': 'TCP: inuse zero\n', 'net/sockstat6': 'TCP6: in use 0\n' }))).toEqual(['IPv4', 'IPv6']);
    expect(families(proc({ 'net/sockstat': 'UDP: inuse 0\n', 'net/sockstat6': 'XTCP6: inuse 0\n' }))).toEqual(['IPv4', 'IPv6']);
    expect(families(proc({ 'net/sockstat': 'TCP: inuse 0x\n', 'net/sockstat6': 'TCP6: inuse 0' }))).toEqual(['IPv4', 'IPv6']);
  });

  // The rule rests on the kernel counting a listener as in use: shown in a network namespace of
  // its own (unshare needs root), read through /proc/PID (its net/ is the process's namespace).
  it.runIf(root && hasCommand('unshare'))('finds IPv4 and IPv6 listeners in a fresh network namespace, and none before they listen', async () => {
    const script = `
      const net = require('net'); let n = 0;
      process.stdin.once('data', () => { for (const host of ['::', '0.0.0.0']) net.createServer().listen(0, host, () => { if (++n === 2) console.log('listening'); }); });
      console.log('ready'); setInterval(() => {}, 1e6);`;
    const child = spawn('unshare', ['--net', process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const next = () => new Promise<string>((resolve) => child.stdout!.once('data', (data: Buffer) => resolve(String(data).trim())));
    try {
      expect(await next()).toBe('ready');
      const procRoot = `/proc/${child.pid}`;
      expect(readFileSync(`${procRoot}/net/sockstat6`, 'latin1')).toMatch(/^TCP6: inuse 0$/m);
      expect(readListenSocketsSync({ procRoot })).toEqual([]);
      child.stdin!.write('go\n');
      expect(await next()).toBe('listening');
      expect(readFileSync(`${procRoot}/net/sockstat6`, 'latin1')).toMatch(/^TCP6: inuse 1$/m);
      const found = readListenSocketsSync({ procRoot });
      expect(found.map((socket) => `${socket.family} ${socket.address}`).sort()).toEqual(['IPv4 0.0.0.0', 'IPv6 ::']);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('readListenSockets / snapshot given odd options (from JavaScript)', () => {
  const read = readListenSocketsSync as (options?: unknown) => unknown;
  it('ports that are not port numbers are a TypeError/RangeError naming them (a string used to match nothing, silently)', async () => {
    expect(() => read({ ports: '8000' })).toThrow(
      new TypeError('readListenSocketsSync: options.ports must be an array (or other iterable) of port numbers, not the string "8000"'),
    );
    expect(() => read({ ports: 8000 })).toThrow(/not number 8000$/);
    expect(() => read({ ports: ['22'] })).toThrow(/^readListenSocketsSync: each of options.ports must be a number 1-65535, not the string "22"/);
    expect(() => read({ ports: [Number.NaN] })).toThrow(RangeError);
    // Each names itself: the sync one's errors used to name readListenSockets.
    await expect((readListenSockets as (options?: unknown) => Promise<unknown>)({ ports: 'x' })).rejects.toThrow(
      /^readListenSockets: options.ports must be an array .*not the string "x"$/,
    );
    expect(read({ ports: new Set([1]), procRoot: '/proc' })).toEqual(expect.any(Array));
  });

  it('a procRoot or options that is not a (non-empty) string / object is a TypeError', async () => {
    expect(() => read({ procRoot: 42 })).toThrow(/^readListenSocketsSync: options.procRoot must be a non-empty string .*not number 42$/);
    expect(() => read({ procRoot: '' })).toThrow(/not an empty string$/); // it read /net/tcp
    expect(() => read(null)).toThrow(/^readListenSocketsSync: options must be an object/);
    await expect((snapshot as (options?: unknown) => Promise<unknown>)(null)).rejects.toThrow(/^snapshot: options must be an object/);
    expect(() => (snapshotSync as (options?: unknown) => unknown)('x')).toThrow(/^snapshotSync: options must be an object .*not the string "x"$/);
  });
});
