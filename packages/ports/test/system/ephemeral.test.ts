// The kernel's ephemeral port range, from the real /proc and from files made here.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EPHEMERAL_RANGE_FILE, parsePortRange, readEphemeralRange } from '@dsa110/ports/system';
import { tempDir } from '../../../../test-support/tree.js';

describe('readEphemeralRange', () => {
  it("reads this machine's range", () => {
    const [start, end] = readFileSync(EPHEMERAL_RANGE_FILE, 'latin1').trim().split(/\s+/).map(Number);
    expect(readEphemeralRange()).toEqual({ start, end });
  });

  it('is undefined for a missing or malformed file, for a start past the end, and for a number that is no port (0, 65536)', () => {
    const dir = tempDir();
    expect(readEphemeralRange(join(dir, 'missing'))).toBeUndefined();
    for (const [text, expected] of [
      ['1024\t65000\n', { start: 1024, end: 65000 }],
      ['  40000   40000  ', { start: 40000, end: 40000 }],
      ['60999 32768\n', undefined],
      ['32768\n', undefined],
      ['a b\n', undefined],
      // No port: the kernel keeps the range within 1-65535.
      ['1 65536\n', undefined],
      ['0 0\n', undefined],
      ['0 100\n', undefined],
      ['1 99999999999999999999\n', undefined],
      ['1 65535\n', { start: 1, end: 65535 }],
    ] as const) {
      writeFileSync(join(dir, 'range'), text);
      expect(readEphemeralRange(join(dir, 'range')), JSON.stringify(text)).toEqual(expected);
      expect(parsePortRange(text)).toEqual(expected);
    }
    expect(() => parsePortRange(42 as unknown as string)).toThrow(/^parsePortRange: text must be/);
  });
});
