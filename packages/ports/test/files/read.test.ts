// The safe reader on real special files: each is refused at once (a hang
// would time the test out), and no read goes past the limit.
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FileReadError, readTextFile } from '../../src/files/read.js';
import { device, fifo, isRoot, NOT_ROOT, privateDir, unixSocket } from './special.js';

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
    const script = `const { readTextFile } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../src/files/read.ts')).href)});
const { openSync } = await import('node:fs');
const held = [];
try { for (;;) held.push(openSync('/dev/null', 'r')); } catch {}
try { readTextFile('/proc/self/stat', { maxBytes: 4096 }); console.log('read'); } catch (error) { console.log(error.kind, error.reason); }`;
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
});
