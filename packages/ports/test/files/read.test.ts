// The safe reader on real special files: each is refused at once (a hang
// would time the test out), and no read goes past the limit.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FileReadError, PATH_CHANGED, readApprovedFileBytes, readApprovedFilePrefix, readTextFile } from '../../src/files/read.js';
import { waitUntil } from '../../../../test-support/index.js';
import { straceHolding } from '../../../../test-support/strace.js';
import { device, fifo, isRoot, NOT_ROOT, privateDir, unixSocket } from './special.js';

const READ_TS = JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/files/read.ts')).href);
const hasStrace = spawnSync('strace', ['-V']).status === 0;

function refusal(path: string, maxBytes = 1024): FileReadError {
  try {
    readTextFile(path, { maxBytes });
  } catch (error) {
    expect(error).toBeInstanceOf(FileReadError);
    return error as FileReadError;
  }
  throw new Error(`${path} was read`);
}

describe('readTextFile', () => {
  it('reads a regular file, and one of exactly the limit', () => {
    const dir = privateDir();
    writeFileSync(join(dir, 'a'), 'x'.repeat(1024));
    expect(readTextFile(join(dir, 'a'), { maxBytes: 1024 })).toHaveLength(1024);
    symlinkSync(join(dir, 'a'), join(dir, 'link'));
    expect(readTextFile(join(dir, 'link'), { maxBytes: 1024 })).toHaveLength(1024);
  });

  it('names a path too long in words, not ENAMETOOLONG', () => {
    const dir = privateDir();
    expect(refusal(join(dir, 'a'.repeat(300)))).toMatchObject({ kind: 'io', reason: 'the path is too long (a name over 255 bytes, or over 4095 in all)' });
    expect(refusal(`${dir}/${'b/'.repeat(2100)}x`).reason).toBe('the path is too long (a name over 255 bytes, or over 4095 in all)');
  });

  it('says in words that the process ran out of descriptors (EMFILE), and what to raise: nothing about the file', () => {
    // A child that holds every descriptor its limit allows, then reads: the limit is the process's, not the file's.
    // Another thread of it (tsx's loader) may close a descriptor of its own meanwhile, on a loaded machine: the read
    // then gets it; it takes that one too and reads again, up to 5 times.
    const script = `const { readTextFile } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/files/read.ts')).href)});
const { openSync } = await import('node:fs');
const held = [];
let said = 'read';
for (let attempt = 0; attempt < 5 && said === 'read'; attempt++) {
  try { for (;;) held.push(openSync('/dev/null', 'r')); } catch {}
  try { readTextFile('/proc/self/stat', { maxBytes: 4096 }); } catch (error) { said = error.kind + ' ' + error.reason; }
}
console.log(said);`;
    const run = spawnSync('sh', ['-c', 'ulimit -n 256; exec "$0" --import tsx --input-type=module -e "$1"', process.execPath, script], {
      encoding: 'utf8',
      cwd: join(import.meta.dirname, '../..'),
    });
    expect([run.stdout, run.stderr]).toEqual([
      'io too many open files in this process (EMFILE): raise its limit (ulimit -n, or LimitNOFILE= in its unit)\n',
      '',
    ]);
  });

  it('refuses a file one byte over the limit', () => {
    const dir = privateDir();
    writeFileSync(join(dir, 'a'), 'x'.repeat(1025));
    expect(refusal(join(dir, 'a'))).toMatchObject({ kind: 'too-large', reason: 'it is larger than 1 KiB' });
  });

  it('reads a /proc file (stat says 0 bytes) up to the limit, not past it', () => {
    expect(readTextFile('/proc/self/status', { maxBytes: 1 << 20 })).toMatch(/^Name:/);
    expect(refusal('/proc/self/maps', 16)).toMatchObject({ kind: 'too-large' });
  });

  it('refuses a FIFO at once, with nobody writing to it', () => {
    const dir = privateDir();
    expect(refusal(fifo(dir))).toMatchObject({ kind: 'not-regular', reason: 'it is a FIFO (named pipe), not a regular file' });
    symlinkSync(join(dir, 'fifo'), join(dir, 'to-fifo'));
    expect(refusal(join(dir, 'to-fifo')).kind).toBe('not-regular');
  });

  it('refuses a directory and a Unix socket', async () => {
    const dir = privateDir();
    mkdirSync(join(dir, 'd'));
    expect(refusal(join(dir, 'd')).reason).toBe('it is a directory, not a regular file');
    const { path, server } = await unixSocket(dir);
    try {
      expect(refusal(path).reason).toBe('it is a socket, not a regular file');
    } finally {
      server.close();
    }
  });

  it('names a missing file, and a path through a file that is not a directory, without a stack trace', () => {
    expect(refusal('/nonexistent/x')).toMatchObject({ kind: 'missing', reason: 'no such file' });
    const file = join(privateDir(), 'plain');
    writeFileSync(file, 'x');
    // Missing still (no file is there: the health check's absent config stays absent), but said as it is.
    expect(refusal(join(file, 'below'))).toMatchObject({ kind: 'missing', code: 'ENOTDIR', reason: `${file} is a regular file, not a directory` });
    expect(refusal(join(file, 'a/b/c')).reason).toBe(`${file} is a regular file, not a directory`);
    expect(refusal(`${file}/`).reason).toBe(`${file} is a regular file, not a directory`);
    expect(refusal(join(privateDir(), 'none/x'))).toMatchObject({ kind: 'missing', code: 'ENOENT', reason: 'no such file' });
    // Expected by the hundred on a big registry: built without the cost of a stack (about 25 µs each).
    expect(refusal('/nonexistent/x').stack).toBe('FileReadError: /nonexistent/x: no such file');
  });

  it.skipIf(!isRoot)(`refuses private copies of /dev/urandom, /dev/zero and a block device without reading them (${isRoot ? 'as root' : NOT_ROOT})`, () => {
    const dir = privateDir();
    const started = performance.now();
    expect(refusal(device(dir, 'urandom', 'c', 1, 9)).reason).toBe('it is a character device, not a regular file');
    expect(refusal(device(dir, 'zero', 'c', 1, 5)).kind).toBe('not-regular');
    expect(refusal(device(dir, 'ram0', 'b', 1, 0)).reason).toBe('it is a block device, not a regular file');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses the real /dev/urandom at once (a character device; only stat is used)', () => {
    expect(refusal('/dev/urandom').reason).toBe('it is a character device, not a regular file');
  });

  // A link's target replaced by a FIFO between the stat and the open: the open (O_NONBLOCK) does not wait for a
  // writer that never comes, and fstat on the descriptor refuses what it opened. strace holds the open of the link
  // (-P: only calls on that path; the link is made after strace starts, or strace would trace its target instead).
  it.skipIf(!hasStrace)(
    `opens a FIFO swapped in behind a link without waiting, and refuses it${hasStrace ? '' : ' [skipped: needs strace]'}`,
    async () => {
      const dir = privateDir();
      const target = join(dir, 'target');
      const link = join(dir, 'link');
      const script = `const { readTextFile } = await import(${READ_TS});
const { symlinkSync, writeFileSync } = await import('node:fs');
writeFileSync(${JSON.stringify(target)}, 'regular\\n');
symlinkSync(${JSON.stringify(target)}, ${JSON.stringify(link)});
process.stdout.write('opening\\n');
try { console.log('read', JSON.stringify(readTextFile(${JSON.stringify(link)}, { maxBytes: 1024 }))); } catch (error) { console.log(error.kind, error.reason); }`;
      const child = spawn('strace', ['-P', link, ...straceHolding('open,openat', 1000, script)], {
        cwd: join(import.meta.dirname, '../../../..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
      // Its lstat and stat of the link come at once after `opening`; its open is held a second: swap the target then.
      await waitUntil(() => stdout.startsWith('opening\n'), 20_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Made beside it, then renamed over it: a new inode (one made after the file's removal may reuse its number).
      renameSync(fifo(dir, 'fifo'), target);
      const swapped = performance.now();
      // No writer opens the FIFO: an open that waited for one would wait for ever, so after 5 s one comes (and writes
      // nothing), letting the child end; the open is held for less than a second after the swap.
      const release = setTimeout(() => closeSync(openSync(target, constants.O_WRONLY | constants.O_NONBLOCK)), 5000);
      const code = await closed;
      clearTimeout(release);
      // Looked at again (a rename is no attack as a rule): the FIFO is what the link leads to now, refused by its stat.
      expect([code, stderr, stdout]).toEqual([0, '', 'opening\nnot-regular it is a FIFO (named pipe), not a regular file\n']);
      expect(performance.now() - swapped).toBeLessThan(4000);
    },
    40_000,
  );

  // A file replaced by a rename between the look and the open (an editor's save, the atomic write the README advises
  // for ports.yaml): it failed as `changed`, and claim-port then fell back to its built-in protected list. It is looked
  // at again and the new file read; a path replaced at every look is refused as changed.
  it.skipIf(!hasStrace)(
    `reads the new file when a rename replaces it between the look and the open; refuses a path replaced at every look${hasStrace ? '' : ' [skipped: needs strace]'}`,
    async () => {
      for (const swaps of [1, 5]) {
        const dir = privateDir();
        const target = join(dir, 'ports.yaml');
        writeFileSync(target, 'old\n');
        const script = `const { readTextFile } = await import(${READ_TS});
process.stdout.write('opening\\n');
try { console.log('read', JSON.stringify(readTextFile(${JSON.stringify(target)}, { maxBytes: 1024 }))); } catch (error) { console.log(error.kind, error.reason); }`;
        const child = spawn('strace', ['-P', target, ...straceHolding('open,openat', 400, script)], {
          cwd: join(import.meta.dirname, '../../../..'),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
        await waitUntil(() => stdout.startsWith('opening\n'), 20_000);
        // Each open is held 400 ms: a rename lands inside each of the first `swaps` of them.
        for (let swap = 1; swap <= swaps; swap++) {
          await new Promise((resolve) => setTimeout(resolve, swap === 1 ? 150 : 400));
          writeFileSync(`${target}.new`, `new ${swap}\n`);
          renameSync(`${target}.new`, target);
        }
        expect(await closed).toBe(0);
        expect(stdout).toBe(swaps === 1 ? 'opening\nread "new 1\\n"\n' : `opening\nchanged ${PATH_CHANGED}\n`);
      }
    },
    60_000,
  );
});

describe('readApprovedFilePrefix', () => {
  it('gives the first maxBytes bytes of a file of any size, where readApprovedFileBytes refuses one over them', () => {
    const dir = privateDir();
    // Sizes around the limit and around a read's chunk (64 KiB), the limit inside a chunk and at its end.
    for (const limit of [1, 100, 65_536, 70_000]) {
      for (const size of [0, limit - 1, limit, limit + 1, 65_536, 65_537, 200_000]) {
        if (size < 0) continue;
        const bytes = Buffer.from(Array.from({ length: size }, (_, index) => index % 251));
        const path = join(dir, `f-${limit}-${size}`);
        writeFileSync(path, bytes);
        expect(readApprovedFilePrefix(path, { maxBytes: limit }).equals(bytes.subarray(0, limit)), `${size} bytes, limit ${limit}`).toBe(true);
        if (size > limit) expect(() => readApprovedFileBytes(path, { maxBytes: limit })).toThrow(/larger than/);
      }
    }
  });
});
