// The one writer of the three bins, on a real FIFO: a full non-blocking pipe
// is waited for (not spun on), order is kept, and a reader that goes away
// ends the output quietly.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fdWriter } from '../../src/cli-kit/write.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A FIFO with both ends open non-blocking (the read end first, so the write end can open). */
function fifo(): { read: number; write: number } {
  const dir = mkdtempSync(join(tmpdir(), 'cli-kit-'));
  dirs.push(dir);
  const path = join(dir, 'pipe');
  execFileSync('mkfifo', [path]);
  const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const write = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  return { read, write };
}

function drain(fd: number): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(65536);
  for (;;) {
    try {
      const n = readSync(fd, buffer);
      if (n <= 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw error;
    }
  }
  return Buffer.concat(chunks).toString();
}

/** Reads `read` while `writer` flushes (up to 5 s), then what is left; fails the test if the flush never ends. */
async function drainUntilFlushed(writer: ReturnType<typeof fdWriter>, read: number): Promise<string> {
  let received = '';
  let flushed = false;
  void writer.flush().then(() => (flushed = true));
  const deadline = Date.now() + 5000;
  while (!flushed && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    received += drain(read);
  }
  received += drain(read);
  expect(flushed).toBe(true);
  return received;
}

describe('fdWriter', () => {
  it('waits for a full pipe instead of spinning, and keeps the order', async () => {
    const { read, write } = fifo();
    const writer = fdWriter(write);
    const big = 'x'.repeat(300_000); // far more than a pipe holds (64 KiB)
    const started = process.cpuUsage();
    writer.write(big);
    writer.write('\nthe end\n');
    // The call returned with the pipe full: the rest waits for the reader.
    let received = drain(read);
    expect(received.length).toBeLessThan(big.length);
    received += await drainUntilFlushed(writer, read);
    expect(received).toBe(`${big}\nthe end\n`);
    // A busy loop on EAGAIN would burn the CPU for as long as the reader waits.
    const cpu = process.cpuUsage(started);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(1000);
    closeSync(read);
  });

  it('ownDescription: a full pipe given blocking no longer holds the thread, the description given keeps its flags, the order is kept', async () => {
    const { read, write } = fifo();
    closeSync(write);
    const path = join(dirs.at(-1)!, 'pipe');
    // As a shell or systemd hands a pipe over: blocking, and shared with its other writers.
    const given = openSync(path, constants.O_WRONLY);
    const flags = (fd: number) => /flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'))![1];
    const before = flags(given);
    const writer = fdWriter(given);
    expect(writer.ownDescription()).toBe(true);
    expect(writer.ownDescription()).toBe(true); // once
    const big = 'x'.repeat(300_000);
    // Without its own description, this write waits in the kernel until the pipe is read: here, forever.
    writer.write(big);
    writer.write('\nthe end\n');
    expect(flags(given)).toBe(before);
    let received = drain(read);
    expect(received.length).toBeLessThan(big.length);
    received += await drainUntilFlushed(writer, read);
    expect(received).toBe(`${big}\nthe end\n`);
    expect(flags(given)).toBe(before);
    closeSync(given);
    closeSync(read);
  });

  it('ownDescription leaves a file as it is (nothing to wait for), and says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-kit-'));
    dirs.push(dir);
    const file = openSync(join(dir, 'out'), 'w');
    const writer = fdWriter(file);
    expect(writer.ownDescription()).toBe(false);
    writer.write('kept\n');
    closeSync(file);
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('kept\n');
  });

  it('drops output quietly once the reader is gone (EPIPE)', async () => {
    const { read, write } = fifo();
    closeSync(read);
    const writer = fdWriter(write);
    expect(() => writer.write('nobody reads this\n')).not.toThrow();
    expect(writer.closed).toBe(true);
    expect(() => writer.write('nor this\n')).not.toThrow();
    await writer.flush();
    closeSync(write);
  });

  it.skipIf(!existsSync('/dev/full'))('keeps a write error (ENOSPC on /dev/full) instead of throwing it, and drops the rest', async () => {
    const full = openSync('/dev/full', 'w');
    const writer = fdWriter(full);
    expect(writer.error).toBeUndefined();
    expect(() => writer.write('lost\n')).not.toThrow();
    expect(writer.closed).toBe(true);
    expect(writer.error?.code).toBe('ENOSPC');
    expect(() => writer.write('also lost\n')).not.toThrow();
    await writer.flush();
    closeSync(full);
  });
});
