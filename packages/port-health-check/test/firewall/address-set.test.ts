// The address-set arithmetic the evaluator splits sources with, held against
// membership tested one address at a time, and the printed forms against
// Node's own parser (node:net, which the health check does not load).
import { isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  type AddressSet,
  describeSet,
  emptySet,
  fromRanges,
  fullSet,
  intersect,
  prefixesSet,
  sameSet,
  setKey,
  subtract,
  union,
} from '../../src/firewall/address-set.js';
import { addressBits, formatAddress } from '../../src/firewall/ip.js';

const has = (set: AddressSet, value: bigint) => set.ranges.some(([first, last]) => first <= value && value <= last);

/** A few random ranges among the first 64 IPv4 addresses: small enough to test every address. */
function randomSet(seed: number): AddressSet {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) % 64;
  return fromRanges(
    4,
    Array.from({ length: 1 + (seed % 5) }, () => {
      const [a, b] = [next(), next()];
      return [BigInt(Math.min(a, b)), BigInt(Math.max(a, b))] as const;
    }),
  );
}

describe('address sets', () => {
  it('union, intersection and difference agree with testing each address; results stay sorted, disjoint and apart', () => {
    for (let seed = 1; seed < 200; seed++) {
      const [a, b] = [randomSet(seed), randomSet(seed * 7 + 3)];
      const [both, either, only] = [intersect(a, b), union(a, b), subtract(a, b)];
      const values = Array.from({ length: 64 }, (_, value) => BigInt(value));
      expect(values.map((value) => [has(both, value), has(either, value), has(only, value)])).toEqual(
        values.map((value) => [has(a, value) && has(b, value), has(a, value) || has(b, value), has(a, value) && !has(b, value)]),
      );
      for (const set of [both, either, only]) for (let i = 1; i < set.ranges.length; i++) expect(set.ranges[i]![0] > set.ranges[i - 1]![1] + 1n).toBe(true);
    }
  });

  it('taking nothing away gives the same set back (a remembered chain result is found by it), and equal sets have one key', () => {
    const set = prefixesSet(4, ['10.0.0.0/8']);
    expect(subtract(set, prefixesSet(4, ['192.168.0.0/16']))).toBe(set);
    expect(setKey(union(prefixesSet(4, ['10.0.0.0/9']), prefixesSet(4, ['10.128.0.0/9'])))).toBe(setKey(set));
    expect(sameSet(subtract(fullSet(6), fullSet(6)), emptySet(6))).toBe(true);
  });

  it('prints ranges as prefixes where they are one, as first-last otherwise, and says how many more', () => {
    expect(describeSet(prefixesSet(4, ['203.0.113.0/24', '10.0.0.0/8']))).toBe('10.0.0.0/8, 203.0.113.0/24');
    expect(describeSet(fromRanges(4, [[1n << 24n, (127n << 24n) - 1n]]))).toBe('1.0.0.0-126.255.255.255');
    expect(describeSet(prefixesSet(6, ['2001:db8::7/128', 'fd00::/8']))).toBe('2001:db8::7, fd00::/8');
    expect(describeSet(prefixesSet(4, ['1.0.0.0/8', '3.0.0.0/8', '5.0.0.0/8', '7.0.0.0/8', '9.0.0.0/8']))).toBe(
      '1.0.0.0/8, 3.0.0.0/8, 5.0.0.0/8 and 2 more ranges',
    );
    expect(describeSet(emptySet(4))).toBe('no address');
  });

  it('formats IPv6 as RFC 5952 does (Node reads it back to the same number), IPv4-mapped with its IPv4 part', () => {
    for (const text of [
      '::',
      '::1',
      '2001:db8::7',
      '1:0:0:1::1',
      '1::1:0:0:1:1',
      '1:0:2:3:4:5:6:7',
      'fe80::1:2',
      '1:2:3:4:5:6:7:8',
      'ffff::',
      '::ffff:10.1.2.3',
    ]) {
      const bits = addressBits(text)!;
      const printed = formatAddress(6, bits.value);
      expect(printed).toBe(text);
      expect(isIPv6(printed)).toBe(true);
    }
    expect(formatAddress(4, addressBits('203.0.113.7')!.value)).toBe('203.0.113.7');
  });
});
