// The code cache's checksums: zlib's CRC-32 against its published check value
// and zlib.crc32; the WebAssembly function against the same sum written
// plainly with BigInt, on real bytes; every change of one byte seen; the
// memory the loader reads files into; which one a process gets.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CHECKSUM_K, CHECKSUM_SEED, checksum, checksummer, crc32Checksummer, wasmChecksummer } from '../../src/cli-kit/checksum.js';

/** zlib.crc32 where this Node has it (20.15 and later), as the binding's CRC is then there too. */
const publicCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
const hasCrc32 = typeof publicCrc32 === 'function';

const MASK = (1n << 64n) - 1n;
const step = (h: bigint, value: bigint) => {
  const m = ((h ^ value) * CHECKSUM_K) & MASK;
  return ((m << 27n) | (m >> 37n)) & MASK;
};
/** The sum as checksum.ts describes it, one word (then one byte) at a time. */
function plainSum(bytes: Buffer): bigint {
  let h = CHECKSUM_SEED ^ BigInt(bytes.length);
  let at = 0;
  for (; at + 8 <= bytes.length; at += 8) h = step(h, bytes.readBigUInt64LE(at));
  for (; at < bytes.length; at++) h = step(h, BigInt(bytes[at]!));
  return h;
}

describe('checksum: the WebAssembly function', () => {
  const wasm = () => wasmChecksummer();

  it('is the sum checksum.ts describes, for every length to 70 and for 1 MB', () => {
    const bytes = randomBytes(1 << 20);
    for (let length = 0; length <= 70; length++)
      expect(checksum(bytes.subarray(0, length), wasm()), `length ${length}`).toBe(plainSum(bytes.subarray(0, length)));
    expect(checksum(bytes, wasm())).toBe(plainSum(bytes));
    expect(checksum(Buffer.alloc(0), wasm())).toBe(CHECKSUM_SEED);
    expect(wasm()!.kind).toBe('wasm64');
  });

  it('changes with any one byte changed, and with the length', () => {
    const bytes = randomBytes(4099);
    const sum = checksum(bytes, wasm());
    for (let at = 0; at < bytes.length; at += 13) {
      const other = Buffer.from(bytes);
      other[at] = other[at]! ^ (1 + (at % 255));
      expect(checksum(other, wasm()), `byte ${at}`).not.toBe(sum);
    }
    expect(checksum(Buffer.concat([bytes, Buffer.alloc(1)]), wasm())).not.toBe(sum); // a zero byte more
    expect(checksum(Buffer.alloc(8), wasm())).not.toBe(checksum(Buffer.alloc(16), wasm()));
  });

  it('sums bytes in place in its memory, which grows as asked', () => {
    const sums = wasm()!;
    const bytes = randomBytes(200_000);
    const memory = sums.memory(bytes.length + 24);
    expect(memory.length).toBeGreaterThanOrEqual(bytes.length + 24);
    memory.set(bytes, 24);
    expect(sums.sum(24, bytes.length)).toBe(plainSum(bytes));
    expect(sums.sum(24 + 5, 100)).toBe(plainSum(bytes.subarray(5, 105)));
  });

  it('is undefined where WebAssembly cannot run (node --jitless)', () => {
    const module = join(import.meta.dirname, '../../src/cli-kit/checksum.ts');
    const out = execFileSync(
      process.execPath,
      ['--jitless', '--import', 'tsx', '-e', `import(${JSON.stringify(module)}).then((m) => console.log(String(m.wasmChecksummer())))`],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }, // V8 warns on stderr that --jitless turns WebAssembly off
    );
    expect(out).toBe('undefined\n');
  });
});

describe("checksum: zlib's CRC-32", () => {
  it.runIf(hasCrc32)('is the CRC-32 of zlib.crc32 (check value 0xcbf43926), summed in place at any offset', () => {
    const sums = crc32Checksummer({})!;
    expect(sums.kind).toBe('crc32');
    expect(checksum(Buffer.from('123456789'), sums)).toBe(0xcbf43926n);
    expect(checksum(Buffer.alloc(0), sums)).toBe(0n);
    const bytes = randomBytes(300_000);
    const memory = sums.memory(bytes.length + 24);
    expect(memory.length).toBeGreaterThanOrEqual(bytes.length + 24);
    memory.set(bytes, 24);
    expect(sums.sum(24, bytes.length)).toBe(BigInt(publicCrc32!(bytes)));
    expect(sums.sum(24 + 5, 100)).toBe(BigInt(publicCrc32!(bytes.subarray(5, 105))));
  });

  it.runIf(hasCrc32)('keeps its bytes when its memory grows, and sees any one byte changed', () => {
    const sums = crc32Checksummer({})!;
    const bytes = randomBytes(4099);
    sums.memory(bytes.length).set(bytes);
    const grown = sums.memory(1 << 20);
    expect(grown.length).toBeGreaterThanOrEqual(1 << 20);
    expect(Buffer.from(grown.subarray(0, bytes.length)).equals(bytes)).toBe(true);
    const sum = sums.sum(0, bytes.length);
    for (let at = 0; at < bytes.length; at += 13) {
      const other = Buffer.from(bytes);
      other[at] = other[at]! ^ (1 + (at % 255));
      expect(checksum(other, crc32Checksummer({})), `byte ${at}`).not.toBe(sum);
    }
  });

  it('is the one a process gets where Node has it, pending deprecations warned of or not', () => {
    const kind = hasCrc32 ? 'crc32' : 'wasm64';
    expect(checksummer({})?.kind).toBe(kind);
    for (const env of [
      { NODE_OPTIONS: '--pending-deprecation' },
      { NODE_OPTIONS: '--max-old-space-size=100 --pending_deprecation' },
      { NODE_PENDING_DEPRECATION: '1' },
    ])
      expect(checksummer(env)?.kind, JSON.stringify(env)).toBe(kind);
    if (hasCrc32) expect(checksum(Buffer.from('123456789'), crc32Checksummer({ NODE_PENDING_DEPRECATION: '1' }))).toBe(0xcbf43926n);
  });

  it.runIf(hasCrc32)('runs where WebAssembly cannot (node --jitless), and prints no deprecation warning under --pending-deprecation', () => {
    const module = join(import.meta.dirname, '../../src/cli-kit/checksum.ts');
    const sumIn = (flags: string[], env: NodeJS.ProcessEnv = process.env) =>
      spawnSync(
        process.execPath,
        [
          ...flags,
          '--import',
          'tsx',
          '-e',
          `import(${JSON.stringify(module)}).then((m) => console.log(m.checksummer()?.kind, String(m.checksum(Buffer.from('123456789')))))`,
        ],
        { encoding: 'utf8', env },
      );
    expect(sumIn(['--jitless']).stdout).toBe(`crc32 ${0xcbf43926}\n`);
    for (const pending of [sumIn(['--pending-deprecation']), sumIn([], { ...process.env, NODE_PENDING_DEPRECATION: '1' })]) {
      expect(pending.stdout).toBe(`crc32 ${0xcbf43926}\n`);
      expect(pending.stderr).not.toContain('DEP0111');
    }
    // What it avoids: the binding itself warns there.
    const warned = spawnSync(process.execPath, ['--pending-deprecation', '-e', "process.binding('zlib')"], { encoding: 'utf8' });
    expect(warned.stderr).toContain('DEP0111');
  });
});
