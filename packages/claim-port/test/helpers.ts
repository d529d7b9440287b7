// Running claim-port against a port, behind the guard: in-process through
// main(argv, io, env) (most tests), or the built bin (a few, to test the bin).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { type CapturedRun, guardPort, runMain, worldReadablePackage } from '../../../test-support/index.js';
import { main } from '../src/cli.js';

/** `claim-port ...args` in this process; `port` is checked by the guard first, as for runClaim(). */
export async function claimInProcess(args: string[], options: { port?: number; env?: Record<string, string> } = {}): Promise<CapturedRun> {
  if (options.port !== undefined) guardPort(options.port);
  return runMain(main, args, options.env ?? {});
}

export const BIN = fileURLToPath(new URL('../bin/claim-port.js', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * The built bin `user` runs: for another user than root a world-readable copy, since that user may not be able to read
 * the checkout (a clone in a 0700 dir).
 */
export function binFor(user?: string): string {
  if (user === undefined || user === 'root') return BIN;
  const deps = { pidusage: ['package.json', 'lib', 'index.js'], 'ps-list': ['package.json', 'index.js', 'vendor'] };
  return join(worldReadablePackage(dirname(dirname(BIN)), deps), 'bin/claim-port.js');
}

/**
 * Run `claim-port ...args`. `port` is the port the run may act on: the guard
 * checks, right before the run, that only this suite's processes listen there.
 */
export async function runClaim(
  args: string[],
  options: { port?: number; user?: string; env?: NodeJS.ProcessEnv; prefix?: readonly string[] } = {},
): Promise<Run> {
  if (options.port !== undefined) guardPort(options.port);
  const argv = [process.execPath, binFor(options.user), ...args];
  const asUser = options.user ? ['setpriv', `--reuid=${options.user}`, '--regid=nogroup', '--clear-groups', ...argv] : argv;
  // `prefix`: a command that runs it elsewhere (nsenter into a namespace), its own arguments ending in `--`.
  const command = [...(options.prefix ?? []), ...asUser];
  const started = performance.now();
  const child = spawn(command[0]!, command.slice(1), { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr, ms: performance.now() - started };
}

/** python3 by its path where Debian puts it (the tests' respawners run it). */
export const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** A python3 -c script: waits for PID argv[1] to be gone (or a zombie), then listens on 127.0.0.1:argv[2] until killed: what systemd's Restart= would start. */
export const RESPAWN = `import socket, sys, time
def alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f: return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError: return False
while alive(int(sys.argv[1])): time.sleep(0.002)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
for _ in range(4000):
    try: s.bind(('127.0.0.1', int(sys.argv[2]))); break
    except OSError: time.sleep(0.005)
s.listen(16)
time.sleep(3600)`;
