// Real listeners on loopback for tests: each is a child process (node, or
// python3 for what node 20 cannot do) that resolves once it is listening.
// Every PID is recorded with the guard; all are SIGKILLed after each test
// (or after the file, for scope: 'file').
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach } from 'vitest';
import { leasePort } from './test-port.js';
import { forgetSpawned, isAlive, isSpawned, recordSpawned, waitForExit } from './guard.js';
import { worldReadable } from './world-readable.js';

export interface ListenerOptions {
  /** Loopback only: 127.0.0.1 (default), ::1, or for wildcard tests 0.0.0.0 / :: (still only reached over loopback). */
  host?: string;
  /**
   * Default: a port outside the kernel's ephemeral range, leased so that no
   * other test takes it in the next 10 minutes (see test-port.ts). 0: an
   * ephemeral port, which any bind(0) on the machine may be given once freed.
   */
  port?: number;
  /** SO_REUSEPORT (a python3 listener): spawn two on the same port for a reuse-port group. */
  reusePort?: boolean;
  /** Bind the port but never listen (python3). */
  bindOnly?: boolean;
  /**
   * This many unbound TCP sockets too (python3), made before the port's
   * socket (lower fds: /proc/PID/fd lists them first); in no /proc/net table,
   * as a bound-only socket is not.
   */
  unboundSockets?: number;
  /** Each of its sockets (the port's and the unbound ones) in this many more fds (python3; os.dup, RLIMIT_NOFILE raised to its hard limit). */
  dups?: number;
  /** A Multipath TCP socket (IPPROTO_MPTCP; python3): where /proc/sys/net/mptcp/enabled is 1. */
  mptcp?: boolean;
  /** Forked workers that share the one listening socket (each holds its fd). */
  workers?: number;
  /** Ignore SIGTERM: only SIGKILL ends it. */
  ignoreTerm?: boolean;
  /** A python3 listener that forks a child keeping its listening socket at each forkHolder() call (it keeps running itself). */
  forkOnRequest?: boolean;
  /** On SIGTERM, close and exit after this many ms. */
  graceMs?: number;
  /** process.title (also the comm); for a python3 listener, the comm (prctl PR_SET_NAME). */
  name?: string;
  /** Run the listener with this binary instead of node (or python3 with `python`): e.g. a copy named `sshd`. */
  executable?: string;
  /** A python3 listener (listener-child.py) even for a plain listener. */
  python?: boolean;
  /** Run as this user (via setpriv), e.g. 'nobody'. Needs root. */
  user?: string;
  /** In a network namespace of its own (unshare --net, which execs it: its PID is the listener's). Needs root. Its port is that namespace's. */
  netns?: boolean;
  /**
   * A supervisor (python3) whose child listens; the moment the child dies the
   * supervisor itself listens on the port (SO_REUSEPORT, bound in advance): a
   * different process re-taking the port.
   */
  supervisor?: boolean;
  respawnDelayMs?: number;
  /** For `::`: refuse IPv4 (IPV6_V6ONLY). */
  ipv6Only?: boolean;
  /** 'test' (default): killed after the current test; 'file': after the test file. */
  scope?: 'test' | 'file';
}

export interface SpawnedListener {
  /** The spawned child (the supervisor, for supervisor: true). */
  readonly pid: number;
  /** Every PID it started so far (the child, its workers, respawned children). */
  readonly pids: number[];
  /** The processes holding the listening socket at start. */
  readonly holders: number[];
  readonly port: number;
  readonly host: string;
  readonly child: ChildProcess;
  /** Its output so far (stdout + stderr). */
  output(): string;
  /**
   * With forkOnRequest: fork a child that inherits the listening socket and
   * keeps it (a new holder, recorded with the guard); resolves with its PID once
   * it exists. Rejects for any other listener.
   */
  forkHolder(): Promise<number>;
  /** With forkOnRequest: start a thread in the listener; resolves with its thread id (a PID number, not a process). */
  startThread(): Promise<number>;
  /** SIGKILL everything it started; resolves when they are gone. */
  kill(): Promise<void>;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const nodeScript = `${here}listener-child.mjs`;
const pythonScript = `${here}listener-child.py`;
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const live: { listener: SpawnedListener; scope: 'test' | 'file' }[] = [];

afterEach(async () => {
  await killSpawned('test');
});
afterAll(async () => {
  await killSpawned('file');
});
// Last resort if the worker exits with listeners still running.
process.on('exit', () => {
  for (const { listener } of live) for (const pid of listener.pids) if (isSpawned(pid)) process.kill(pid, 'SIGKILL');
});

/** SIGKILL every listener of `scope` (default: all) this suite spawned. */
export async function killSpawned(scope?: 'test' | 'file'): Promise<void> {
  const victims = live.filter((entry) => scope === undefined || entry.scope === scope || scope === 'file');
  await Promise.all(victims.map(({ listener }) => listener.kill()));
}

function start(role: string, options: ListenerOptions & { host: string }): Promise<SpawnedListener> {
  const usePython =
    options.reusePort ||
    options.bindOnly ||
    options.unboundSockets ||
    options.dups ||
    options.mptcp ||
    options.supervisor ||
    options.python ||
    options.forkOnRequest;
  const { scope = 'test', executable, user, netns, python: _python, ...childOptions } = options;
  // Another user may not be able to read the checkout (a clone in a 0700 dir): run a world-readable copy.
  const script = (path: string) => (user ? worldReadable(path) : path);
  const argv = usePython
    ? [executable ?? python, script(pythonScript), JSON.stringify(childOptions)]
    : [executable ?? process.execPath, script(nodeScript), JSON.stringify({ ...childOptions, role })];
  const asUser = user ? ['setpriv', `--reuid=${user}`, `--regid=${user === 'nobody' ? 'nogroup' : user}`, '--clear-groups', ...argv] : argv;
  const command = netns ? ['unshare', '--net', ...asUser] : asUser;
  const child = spawn(command[0]!, command.slice(1), { stdio: [options.forkOnRequest ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let output = '';
  const pids: number[] = [];
  // forkHolder() calls waiting for their child's PID, in order (the listener forks one per line it reads).
  const forks: ((pid: number) => void)[] = [];
  const threads: ((tid: number) => void)[] = [];
  const track = (pid: number) => {
    if (!pids.includes(pid)) pids.push(pid);
    recordSpawned(pid);
  };
  if (child.pid !== undefined) track(child.pid);

  const listener = new Promise<SpawnedListener>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`listener did not start within 15 s: ${output}`)), 15_000);
    let buffer = '';
    child.stderr!.on('data', (data: Buffer) => (output += data.toString()));
    child.stdout!.on('data', (data: Buffer) => {
      output += data.toString();
      buffer += data.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let message: { ready?: boolean; spawned?: number; thread?: number; pids?: number[]; holders?: number[]; port?: number; error?: string };
        try {
          message = JSON.parse(line);
        } catch {
          continue;
        }
        if (message.spawned) {
          track(message.spawned);
          forks.shift()?.(message.spawned);
        }
        if (message.thread) threads.shift()?.(message.thread);
        if (message.error) {
          clearTimeout(timer);
          reject(new Error(`listener failed: ${message.error}`));
        }
        if (message.ready) {
          for (const pid of message.pids ?? []) track(pid);
          clearTimeout(timer);
          const spawned: SpawnedListener = {
            pid: child.pid!,
            pids,
            holders: message.holders ?? message.pids ?? [],
            port: message.port!,
            host: options.host,
            child,
            output: () => output,
            forkHolder: () =>
              options.forkOnRequest && child.stdin
                ? new Promise<number>((resolveFork) => {
                    forks.push(resolveFork);
                    child.stdin!.write('fork\n');
                  })
                : Promise.reject(new Error('forkHolder: the listener was not spawned with forkOnRequest')),
            startThread: () =>
              options.forkOnRequest && child.stdin
                ? new Promise<number>((resolveThread) => {
                    threads.push(resolveThread);
                    child.stdin!.write('thread\n');
                  })
                : Promise.reject(new Error('startThread: the listener was not spawned with forkOnRequest')),
            kill: async () => {
              // The spawned child first, so a supervisor cannot respawn what follows.
              for (const pid of [...pids]) {
                if (isSpawned(pid) && isAlive(pid)) process.kill(pid, 'SIGKILL');
              }
              await Promise.all(pids.map((pid) => waitForExit(pid, 5000)));
              for (const pid of pids) forgetSpawned(pid);
              const index = live.findIndex((entry) => entry.listener === spawned);
              if (index >= 0) live.splice(index, 1);
            },
          };
          live.push({ listener: spawned, scope });
          resolve(spawned);
        }
      }
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`listener exited (${code ?? sig}) before listening: ${output}`));
    });
  });
  return listener.catch(async (error) => {
    for (const pid of pids) if (isSpawned(pid)) process.kill(pid, 'SIGKILL');
    throw error;
  });
}

/** Start a real listener; resolves with its PIDs and port once it listens. */
export function spawnListener(options: ListenerOptions = {}): Promise<SpawnedListener> {
  const host = options.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', '0.0.0.0', '::'].includes(host) && !host.startsWith('127.')) {
    throw new Error(`spawnListener: ${host} is not a loopback or wildcard address; tests stay on loopback`);
  }
  if (options.port !== undefined) return start('listener', { ...options, host });
  return startOnLeasedPort({ ...options, host });
}

/** On a leased port; another one if something outside the lease (a service, a foreign test) holds it. */
async function startOnLeasedPort(options: ListenerOptions & { host: string }): Promise<SpawnedListener> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start('listener', { ...options, port: leasePort() });
    } catch (error) {
      if (attempt >= 10 || !/EADDRINUSE|Address already in use/.test(String(error))) throw error;
    }
  }
}

/** A process holding a client connection to host:port (never a listener). */
export function spawnClient(options: { host?: string; port: number; scope?: 'test' | 'file' }): Promise<SpawnedListener> {
  return start('client', { host: options.host ?? '127.0.0.1', port: options.port, scope: options.scope ?? 'test' });
}
