// The benchmark's own processes: port holders and filler processes.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAndReap, spawnOwned } from './owned.mjs';
import { portIsOurs } from './sockets.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const holderScript = join(here, '..', 'holder.mjs');

/** Start a holder listening on 127.0.0.1:port; resolves once it listens and the port is verified to be held by it alone. */
export async function startHolder(port) {
  const child = spawnOwned(process.execPath, [holderScript, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const ready = await new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve(true);
    });
    child.exited.then(() => resolve(false));
    setTimeout(() => resolve(false), 10_000).unref();
  });
  if (!ready) {
    await killAndReap([child]);
    throw new Error(`holder on port ${port} did not start: ${err.trim() || 'timeout'}`);
  }
  if (!portIsOurs(port, child.pid)) {
    await killAndReap([child]);
    throw new Error(`port ${port} is not held by our holder (pid ${child.pid}) alone`);
  }
  return child;
}

/** /proc/PID/stat field 22, or undefined when the PID is gone. */
function startTimeOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

/**
 * Start a holder whose parent exits at once, so it is adopted by PID 1 (or a
 * subreaper): the stale process of a crashed service, which claim-port frees
 * without a settle window (a holder with a live parent costs claim-port's 1 s
 * settle window, measured separately). A launcher we own starts it detached
 * and exits; the holder exits by itself once the benchmark's PID is gone. It
 * is signalled only while its PID still has the start time it had when it
 * was started.
 */
export async function startOrphanHolder(port) {
  const launcher = `const { spawn } = require('node:child_process');
const c = spawn(process.execPath, [${JSON.stringify(holderScript)}, ${JSON.stringify(String(port))}, String(process.ppid)], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
process.stdout.write('pid ' + c.pid + '\\n');
c.unref();`;
  const child = spawnOwned(process.execPath, ['-e', launcher], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const pid = await new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const match = /pid (\d+)\n[\s\S]*ready/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    setTimeout(() => resolve(undefined), 10_000).unref();
  });
  await child.exited;
  const startTime = pid === undefined ? undefined : startTimeOf(pid);
  const holder = {
    pid,
    orphan: true,
    stdin: child.stdin,
    exited: (async () => {
      while (pid !== undefined && startTimeOf(pid) === startTime) await new Promise((r) => setTimeout(r, 2));
    })(),
    kill() {
      if (pid !== undefined && startTime !== undefined && startTimeOf(pid) === startTime) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    },
  };
  if (pid === undefined || startTime === undefined) {
    holder.kill();
    child.stdin.destroy();
    throw new Error(`orphan holder on port ${port} did not start: ${err.trim() || 'timeout'}`);
  }
  if (!portIsOurs(port, pid)) {
    holder.kill();
    child.stdin.destroy();
    throw new Error(`port ${port} is not held by our holder (pid ${pid}) alone`);
  }
  return holder;
}

/** Stop holders that are still running (those a peer has not killed already). */
export async function stopHolders(holders) {
  for (const h of holders) h.stdin?.destroy();
  for (const h of holders.filter((h) => h.orphan)) h.kill();
  await Promise.all(holders.filter((h) => h.orphan).map((h) => h.exited));
  await killAndReap(holders.filter((h) => !h.orphan));
}

/**
 * Filler processes: `cat` processes that each hold `fdsEach` extra descriptors
 * (files, /dev nodes, a directory) and block reading a FIFO whose only writer
 * is this process: they exit on their own if the benchmark dies.
 */
export class Fillers {
  constructor(fdsEach = 24) {
    this.fdsEach = fdsEach;
    this.children = [];
    this.dir = mkdtempSync(join(tmpdir(), 'dsa110-bench-'));
    process.once('exit', () => rmSync(this.dir, { recursive: true, force: true }));
    const fifo = join(this.dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // O_RDWR first: it counts as the writer, so the read-only open below does not block.
    this.writer = openSync(fifo, constants.O_RDWR);
    this.reader = openSync(fifo, constants.O_RDONLY);
    writeFileSync(join(this.dir, 'a.log'), 'filler\n');
    writeFileSync(join(this.dir, 'b.dat'), Buffer.alloc(4096));
    const paths = ['/dev/null', '/dev/zero', join(this.dir, 'a.log'), join(this.dir, 'b.dat'), this.dir];
    this.shared = paths.map((p) => openSync(p, constants.O_RDONLY));
    this.stdio = [this.reader, 'ignore', 'ignore'];
    for (let i = 0; i < fdsEach; i++) this.stdio.push(this.shared[i % this.shared.length]);
  }

  get count() {
    return this.children.length;
  }

  /** Grow to `total` fillers, spawning in batches so that signals are still handled. */
  async growTo(total) {
    while (this.children.length < total) {
      const batch = Math.min(100, total - this.children.length);
      for (let i = 0; i < batch; i++) {
        const child = spawnOwned('cat', [], { stdio: this.stdio });
        if (child.pid === undefined) throw new Error('could not spawn a filler process');
        this.children.push(child);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    return this.check();
  }

  /** Count the fillers that are alive and the descriptors they hold, from /proc. */
  check() {
    let alive = 0;
    let fds = 0;
    for (const child of this.children) {
      try {
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'latin1');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        if (state === 'Z') continue;
        fds += readdirSync(`/proc/${child.pid}/fd`).length;
        alive++;
      } catch {
        // gone
      }
    }
    const processes = readdirSync('/proc').filter((n) => n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57).length;
    return { fillers: alive, fillerFds: fds, processesOnMachine: processes };
  }

  async stop() {
    const children = this.children;
    this.children = [];
    await killAndReap(children, 30_000);
    for (const fd of [this.reader, this.writer, ...this.shared]) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
