// nameHash: FNV-1a, 32 bits, as the published test vectors give it.
import { describe, expect, it } from 'vitest';
import { nameHash } from '../src/name-hash.js';

describe('nameHash', () => {
  it("is FNV-1a's 32-bit hash, 8 hex digits", () => {
    expect(nameHash('')).toBe('811c9dc5');
    expect(nameHash('a')).toBe('e40c292c');
    expect(nameHash('foobar')).toBe('bf9cf968');
    expect(nameHash('\0')).toBe('050c5d1f');
  });
});
