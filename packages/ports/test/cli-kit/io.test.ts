// The bin's last step (finishOutput): a stdout that cannot be written is one
// line on stderr and a failing exit code, never a stack trace; the built
// `ports` bin with its stdout on /dev/full (ENOSPC on every write). Then its
// end (exitNow): at once, unless a signal listener is still there.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin, requireBuilt } from '../cli/helpers.js';

function portsToDevFull(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  requireBuilt();
  const full = openSync('/dev/full', 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DSA110_PORTS_CACHE: 'off' },
      stdio: ['ignore', full, 'pipe'],
    });
    closeSync(full);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe.skipIf(!existsSync('/dev/full'))('ports with stdout on /dev/full', () => {
  it('says so in one line and exits 1 instead of 0 (was: "internal error" and a stack trace)', async () => {
    const run = await portsToDevFull(['list']);
    expect(run.stderr).toBe('ports: cannot write to standard output: no space left on the device\n');
    expect(run.code).toBe(1);
  });

  it('keeps a usage error its code (64), and says why nothing reached stdout', async () => {
    const run = await portsToDevFull(['list', '--json', '--bogus']);
    expect(run.code).toBe(64);
    expect(run.stderr.split('\n').at(-2)).toBe('ports: cannot write to standard output: no space left on the device');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('says which files it wrote when the lines naming them were lost (systemd --out, monitoring --out: exit 1 said nothing of the files)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ports-full-'));
    try {
      for (const [command, count] of [
        ['systemd', /it wrote \d+ files under /],
        ['monitoring', /it wrote \d+ files under /],
      ] as const) {
        const out = join(dir, command);
        const run = await portsToDevFull([command, '--out', out]);
        expect(run.code).toBe(1);
        const last = run.stderr.split('\n').at(-2)!;
        expect(last).toMatch(count);
        expect(last).toBe(
          `ports: cannot write to standard output: no space left on the device; ${count.exec(last)![0]}${out}, and what it printed of that was lost (run it again with stdout on a terminal or a file)`,
        );
        expect(readdirSync(out).length).toBeGreaterThan(0);
        // Again: nothing changed, so nothing is said of files.
        expect((await portsToDevFull([command, '--out', out])).stderr.split('\n').at(-2)).toBe(
          'ports: cannot write to standard output: no space left on the device',
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('processIo().neverBlock()', () => {
  it('one full pipe for stdout and stderr (2>&1): lines wait in one queue, and reach the reader in the order written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-kit-io-'));
    const path = join(dir, 'pipe');
    spawnSync('mkfifo', [path]);
    const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const filler = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    let filled = 0;
    try {
      for (const chunk = Buffer.alloc(4096, '.'); ; ) filled += writeSync(filler, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
    // Blocking, as a shell hands it over, and the same description for both.
    const given = openSync(path, constants.O_WRONLY);
    const io = new URL('../../src/cli-kit/io.ts', import.meta.url).pathname;
    const env = { ...process.env };
    delete env.JOURNAL_STREAM;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { processIo } = await import(${JSON.stringify(io)});
const io = processIo();
io.neverBlock();
for (let i = 0; i < 40; i++) { io.err(\`err \${i}\\n\`, 'info'); io.out(\`out \${i}\\n\`); }
(await import('node:fs')).writeSync(3, 'queued');
await io.flush();`,
      ],
      { stdio: ['ignore', given, given, 'pipe'], env },
    );
    // Its lines wait on the full pipe before anything is read.
    const queued = new Promise((resolve) => child.stdio[3]!.once('data', resolve));
    closeSync(given);
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    let exited = false;
    void closed.then(() => (exited = true));
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(65536);
    const drain = () => {
      for (;;) {
        try {
          const n = readSync(read, buffer);
          if (n <= 0) return;
          chunks.push(Buffer.from(buffer.subarray(0, n)));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return;
          throw error;
        }
      }
    };
    try {
      await Promise.race([queued, closed]);
      const deadline = Date.now() + 10_000;
      while (!exited && Date.now() < deadline) {
        drain();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      drain();
      expect(await closed).toBe(0);
      const expected = Array.from({ length: 40 }, (_, i) => `err ${i}\nout ${i}\n`).join('');
      expect(Buffer.concat(chunks).subarray(filled).toString()).toBe(expected);
    } finally {
      closeSync(filler);
      closeSync(read);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('exitNow', () => {
  const io = new URL('../../src/cli-kit/io.ts', import.meta.url).pathname;
  const temps = new URL('../../src/files/temp-files.ts', import.meta.url).pathname;
  /**
   * A process that queues a line for the next turn of its loop, then calls exitNow(3). `listen`: first a temporary
   * file held and released (its SIGTERM listener stays two turns more), or a SIGTERM listener of its own that stays
   * (claim-port's, ignoring a signal once its claim has decided).
   */
  const end = (listen?: 'temp' | 'own') =>
    spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { exitNow } = await import(${JSON.stringify(io)});
const { holdTemp, releaseTemp } = await import(${JSON.stringify(temps)});
${listen === 'temp' ? "holdTemp('.report.tmp'); releaseTemp('.report.tmp');" : ''}
${listen === 'own' ? "process.on('SIGTERM', () => {});" : ''}
setImmediate(() => process.stdout.write('the loop ran on\\n'));
process.on('exit', (code) => process.stdout.write(\`exit \${code}\\n\`));
exitNow(3);`,
      ],
      { encoding: 'utf8' },
    );

  it('exits with the code at once: what the loop still had queued never runs, exit listeners do', () => {
    const run = end();
    expect(run.stdout).toBe('exit 3\n');
    expect(run.status).toBe(3);
  });

  it("leaves the end to Node while a temporary file's signal listener is there (a signal may be waiting in the loop), with the same code", () => {
    const run = end('temp');
    expect(run.stdout).toBe('the loop ran on\nexit 3\n');
    expect(run.status).toBe(3);
  });

  it('exits at once past a signal listener of its own that stays (claim-port ignoring a late signal)', () => {
    const run = end('own');
    expect(run.stdout).toBe('exit 3\n');
    expect(run.status).toBe(3);
  });
});
