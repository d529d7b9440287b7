// The code cache's checksum: the WebAssembly function against the same sum
// written plainly with BigInt, on real bytes; every change of one byte seen;
// and the memory the loader reads files into.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKSUM_K, CHECKSUM_SEED, checksum, checksummer } from '../../src/cli-kit/checksum.js';

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

describe('checksum', () => {
  it('is the sum checksum.ts describes, for every length to 70 and for 1 MB', () => {
    const bytes = randomBytes(1 << 20);
    for (let length = 0; length <= 70; length++) expect(checksum(bytes.subarray(0, length)), `length ${length}`).toBe(plainSum(bytes.subarray(0, length)));
    expect(checksum(bytes)).toBe(plainSum(bytes));
    expect(checksum(Buffer.alloc(0))).toBe(CHECKSUM_SEED);
  });

  it('changes with any one byte changed, and with the length', () => {
    const bytes = randomBytes(4099);
    const sum = checksum(bytes);
    for (let at = 0; at < bytes.length; at += 13) {
      const other = Buffer.from(bytes);
      other[at] = other[at]! ^ (1 + (at % 255));
      expect(checksum(other), `byte ${at}`).not.toBe(sum);
    }
    expect(checksum(Buffer.concat([bytes, Buffer.alloc(1)]))).not.toBe(sum); // a zero byte more
    expect(checksum(Buffer.alloc(8))).not.toBe(checksum(Buffer.alloc(16)));
  });

  it('sums bytes in place in its memory, which grows as asked', () => {
    const sums = checksummer()!;
    const bytes = randomBytes(200_000);
    const memory = sums.memory(bytes.length + 24);
    expect(memory.length).toBeGreaterThanOrEqual(bytes.length + 24);
    memory.set(bytes, 24);
    expect(sums.sum(24, bytes.length)).toBe(plainSum(bytes));
    expect(sums.sum(24 + 5, 100)).toBe(plainSum(bytes.subarray(5, 105)));
  });

  it('is undefined where WebAssembly cannot run (node --jitless): the bins then compile as usual', () => {
    const module = join(import.meta.dirname, '../../src/cli-kit/checksum.ts');
    const out = execFileSync(
      process.execPath,
      ['--jitless', '--import', 'tsx', '-e', `import(${JSON.stringify(module)}).then((m) => console.log(String(m.checksum(Buffer.from('x')))))`],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }, // V8 warns on stderr that --jitless turns WebAssembly off
    );
    expect(out).toBe('undefined\n');
  });
});
