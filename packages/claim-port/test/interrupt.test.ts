// The built bin interrupted while it claims: systemd's SIGTERM to an
// ExecStartPre= that overran TimeoutStartSec=, an operator's Ctrl-C (SIGINT),
// a closed terminal (SIGHUP), and every other signal whose default action
// ends a process; SIGUSR1 is said and ignored. Real holders this suite spawned, the real bin
// (`pnpm build` first), real signals: the claim stops where it is (no SIGKILL,
// a holder it continued keeps running), says so in one error line, prints its
// result with --json, and exits 128 + the signal's number.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync, readFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { guardPort, isAlive, leasePort, signal, spawnListener, waitUntil } from '../../../test-support/index.js';
import { tempDir } from '../../../test-support/tree.js';
import { BIN } from './helpers.js';
import { cleanupStarted, start } from './started.js';

afterEach(cleanupStarted);

/** A process's state letter (/proc/PID/stat field 3): T when stopped. */
const stateOf = (pid: number): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ').at(-1)![0];
  } catch {
    return undefined;
  }
};

interface BinRun {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr matches `pattern`; rejects if the bin exits first or after 15 s. */
  waitFor(pattern: RegExp): Promise<void>;
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** `claim-port ...args` on `port` (the guard checks it first); stdout a pipe read here, or the descriptor given; `env` added to ours. */
function startBin(port: number, args: string[], stdout: 'pipe' | number = 'pipe', env: NodeJS.ProcessEnv = {}): BinRun {
  guardPort(port);
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, String(port), ...args], { stdio: ['ignore', stdout, 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout?.on('data', (data: Buffer) => (out += data));
  child.stderr!.on('data', (data: Buffer) => (err += data));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.on('close', (code, by) => resolve({ code, signal: by, ms: performance.now() - started })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    closed,
    waitFor: async (pattern) => {
      let exited = false;
      void closed.then(() => (exited = true));
      const seen = await waitUntil(() => pattern.test(err) || exited, 15_000);
      if (!seen || !pattern.test(err)) throw new Error(`claim-port did not print ${pattern} (exit ${child.exitCode ?? child.signalCode}): ${err}`);
    },
  };
}

/** Our own bin, if a failed assertion left it running: by its own handle. */
function stop(run: BinRun | undefined): void {
  if (run && run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
}

describe('claim-port interrupted while it claims', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
    ['SIGHUP', 129],
    // Their default action ends a process too (signal(7)): left to it, claim-port died without a word or its JSON.
    ['SIGQUIT', 128 + constants.signals.SIGQUIT],
    ['SIGABRT', 128 + constants.signals.SIGABRT],
    ['SIGUSR2', 128 + constants.signals.SIGUSR2],
    ['SIGALRM', 128 + constants.signals.SIGALRM],
  ] as const)(
    'by %s after its SIGTERM to a stopped holder that ignores it: no SIGKILL, the holder left running, one error line, the JSON result, exit %d',
    async (sig, exit) => {
      const server = await spawnListener({ ignoreTerm: true });
      signal(server.pid, 'SIGSTOP');
      expect(await waitUntil(() => stateOf(server.pid) === 'T')).toBe(true);
      let run: BinRun | undefined;
      try {
        run = startBin(server.port, ['--timeout', '5', '--json']);
        await run.waitFor(new RegExp(`PID ${server.pid}\\b.* was stopped: sent SIGCONT`));
        run.child.kill(sig);
        const { code, signal: by, ms } = await run.closed;
        expect(run.stdout().endsWith('\n') && run.stdout().split('\n')).toHaveLength(2);
        const json = JSON.parse(run.stdout());
        expect(json).toMatchObject({
          port: server.port,
          transport: 'tcp',
          action: 'failed',
          interrupted: sig,
          dryRun: false,
          listeners: [`127.0.0.1:${server.port}`],
          holders: [{ pid: server.pid, signals: ['SIGTERM', 'SIGCONT'], outcome: 'interrupted' }],
        });
        expect(json.message).toMatch(
          new RegExp(
            `^interrupted by ${sig} after sending SIGTERM and SIGCONT to PID ${server.pid}( \\([^)]*\\))? \\(still running\\); nothing more was sent; port ${server.port} is still in use$`,
          ),
        );
        expect(run.stderr().trimEnd().split('\n').at(-1)).toBe(`[claim-port:${server.port}] error: ${json.message}`);
        expect(run.stderr()).not.toContain('SIGKILL');
        expect({ code, by }).toEqual({ code: exit, by: null });
        // Stopped at once, not after the 5 s timeout.
        expect(ms).toBeLessThan(4000);
        expect(isAlive(server.pid)).toBe(true);
        expect(stateOf(server.pid)).not.toBe('T');
      } finally {
        stop(run);
      }
    },
  );

  it('SIGUSR1 (log rotation) is said and ignored: no inspector opens, the claim goes on to its SIGKILL and frees the port', async () => {
    const server = await spawnListener({ ignoreTerm: true });
    let run: BinRun | undefined;
    try {
      // --inspect-port=0: were the inspector to open, not on its well-known port.
      run = startBin(server.port, ['--timeout', '2', '--json'], 'pipe', { NODE_OPTIONS: '--inspect-port=127.0.0.1:0' });
      await run.waitFor(new RegExp(`sent SIGTERM to PID ${server.pid}\\b`));
      run.child.kill('SIGUSR1');
      await run.waitFor(/SIGUSR1 ignored/);
      const { code } = await run.closed;
      expect(run.stderr()).toContain(`[claim-port:${server.port}] SIGUSR1 ignored: it stops no claim\n`);
      expect(run.stderr()).not.toMatch(/Debugger|inspector/);
      expect(JSON.parse(run.stdout())).toMatchObject({ action: 'freed', holders: [{ pid: server.pid, signals: ['SIGTERM', 'SIGKILL'], outcome: 'killed' }] });
      expect(code).toBe(0);
    } finally {
      stop(run);
    }
  });

  it('says the port is free when it is: a holder that closed its socket on SIGTERM and runs on, interrupted in the settle window', async () => {
    const port = leasePort();
    // Closes its listener on SIGTERM and keeps running (a drain); its parent, this worker, keeps the settle window open.
    const script = `const port=Number(process.argv[1]);const s=require('net').createServer().listen(port,'127.0.0.1',()=>console.log(JSON.stringify({pid:process.pid,port})));process.on('SIGTERM',()=>s.close());setInterval(()=>{},1<<30)`;
    const holder = await start([process.execPath, '-e', script, String(port)]);
    let run: BinRun | undefined;
    try {
      run = startBin(port, ['--timeout', '5', '--json']);
      await run.waitFor(/watching port \d+ for/);
      run.child.kill('SIGTERM');
      const { code } = await run.closed;
      const json = JSON.parse(run.stdout());
      expect(json).toMatchObject({ action: 'failed', interrupted: 'SIGTERM', holders: [{ pid: holder.first.pid, signals: ['SIGTERM'], outcome: 'released' }] });
      expect(json.message).toMatch(
        new RegExp(
          `^interrupted by SIGTERM after sending SIGTERM to PID ${holder.first.pid}.* \\(still running\\); nothing more was sent; port ${port} is free$`,
        ),
      );
      expect(run.stderr().trimEnd().split('\n').at(-1)).toBe(`[claim-port:${port}] error: ${json.message}`);
      expect(code).toBe(143);
      expect(isAlive(holder.first.pid)).toBe(true);
    } finally {
      stop(run);
    }
  });

  it('a signal once the claim has decided changes nothing: sent again and again from the moment its JSON arrives, the exit code is still 0', async () => {
    // Between its last line and its exit (a few ms), a signal left to its default action ended claim-port by it: exit
    // 130 after `"action":"freed"`. Signalled from the first bytes of its result until it has exited (this loop holds
    // the worker's event loop, so the child is not reaped while it runs: the PID stays ours); several claims, as the
    // gap is a few ms on a busy host.
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const server = await spawnListener();
      let run: BinRun | undefined;
      try {
        run = startBin(server.port, ['--json', '--quiet']);
        const { child } = run;
        await new Promise<void>((resolve, reject) => {
          child.stdout!.once('data', () => resolve());
          void run!.closed.then(() => reject(new Error(`claim-port exited before its result: ${run!.stderr()}`)));
        });
        let sent = 0;
        for (const until = performance.now() + 60; performance.now() < until; sent++) child.kill(sig);
        const { code, signal: by } = await run.closed;
        expect(sent).toBeGreaterThan(0);
        expect(JSON.parse(run.stdout())).toMatchObject({ port: server.port, action: 'freed' });
        expect(JSON.parse(run.stdout())).not.toHaveProperty('interrupted');
        expect({ sig, code, by }).toEqual({ sig, code: 0, by: null });
      } finally {
        stop(run);
      }
    }
  });

  it('a decided claim whose JSON waits on a full pipe nobody reads ends at once with its exit code on SIGTERM, the pipe given left as it was', async () => {
    // The pipe is full before claim-port starts (a reader that stopped reading, a pipe other writers filled): its JSON
    // line cannot be written. A blocking write held the thread, and listeners that ignore a late signal kept it from
    // ending claim-port (a non-blocking pipe's write waited in the loop): only SIGKILL did, systemd's after TimeoutStartSec=.
    const fifo = join(tempDir('claim-port-decided-'), 'stdout');
    const made = spawn('mkfifo', [fifo]);
    await new Promise((resolve) => made.on('close', resolve));
    const filler = openSync(fifo, fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
    for (const chunk = Buffer.alloc(65536, 'x'); ; ) {
      try {
        writeSync(filler, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw error;
      }
    }
    // As given to claim-port: one opened for writing alone (blocking), and the filler's own (non-blocking).
    const blocking = openSync(fifo, fsConstants.O_WRONLY);
    const flags = (fd: number) => /flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'))![1];
    try {
      for (const [mode, fd] of [
        ['blocking', blocking],
        ['non-blocking', filler],
      ] as const) {
        const server = await spawnListener();
        const before = flags(fd);
        let run: BinRun | undefined;
        try {
          run = startBin(server.port, ['--timeout', '5', '--json'], fd);
          await run.waitFor(new RegExp(`port ${server.port} is free`));
          await new Promise((resolve) => setTimeout(resolve, 200));
          expect({ mode, running: run.child.exitCode === null && run.child.signalCode === null }).toEqual({ mode, running: true });
          // It waits on a description of its own: the one it was given (shared with the pipe's other writers) stays
          // blocking. (A non-blocking one any Node program makes blocking as it starts.)
          if (mode === 'blocking') expect(flags(fd)).toBe(before);
          run.child.kill('SIGTERM');
          const { code, signal: by } = await Promise.race([
            run.closed,
            new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${mode}: SIGTERM did not end the decided claim`)), 3000)),
          ]);
          expect({ mode, code, by }).toEqual({ mode, code: 0, by: null });
          expect(run.stderr()).not.toContain('interrupted');
          if (mode === 'blocking') expect(flags(fd)).toBe(before);
        } finally {
          stop(run);
        }
      }
    } finally {
      closeSync(blocking);
      closeSync(filler);
    }
  });

  it('after it has said so, a second signal ends it at once: here while its JSON waits for a full pipe nobody reads', async () => {
    const server = await spawnListener({ ignoreTerm: true });
    const fifo = join(tempDir('claim-port-interrupt-'), 'stdout');
    const made = spawn('mkfifo', [fifo]);
    await new Promise((resolve) => made.on('close', resolve));
    // Opened for reading and writing (no open blocks), and filled: nobody reads it.
    const fd = openSync(fifo, fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
    let run: BinRun | undefined;
    try {
      for (const chunk = Buffer.alloc(65536, 'x'); ; ) {
        try {
          writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
          throw error;
        }
      }
      run = startBin(server.port, ['--timeout', '5', '--json'], fd);
      await run.waitFor(new RegExp(`sent SIGTERM to PID ${server.pid}\\b`));
      run.child.kill('SIGTERM');
      await run.waitFor(/error: interrupted by SIGTERM/);
      // Its JSON line cannot be written: it waits for the reader.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(run.child.exitCode).toBeNull();
      run.child.kill('SIGTERM');
      const { signal: by } = await Promise.race([
        run.closed,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('a second SIGTERM did not end it')), 2000)),
      ]);
      expect(by).toBe('SIGTERM');
      expect(isAlive(server.pid)).toBe(true);
    } finally {
      stop(run);
      closeSync(fd);
    }
  });
});
