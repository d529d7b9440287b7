// Sets of addresses of one family, as sorted disjoint ranges of numbers: what
// the evaluator carries instead of one source address, so that a rule on
// `ip saddr` splits the sources it is asked about instead of deciding for all
// of them by one sample. Immutable; intersect and subtract search the larger
// set, so a blocklist of many single addresses costs each rule a few steps.
import { addressBits, formatAddress } from './ip.js';

export interface AddressSet {
  readonly family: 4 | 6;
  /** Sorted, disjoint and not touching: [first, last] inclusive. */
  readonly ranges: readonly (readonly [bigint, bigint])[];
}

const top = (family: 4 | 6) => (family === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n);

export const emptySet = (family: 4 | 6): AddressSet => ({ family, ranges: [] });
export const fullSet = (family: 4 | 6): AddressSet => ({ family, ranges: [[0n, top(family)]] });

/** The set of these ranges, in any order, overlapping or not. */
export function fromRanges(family: 4 | 6, ranges: readonly (readonly [bigint, bigint])[]): AddressSet {
  const sorted = ranges.filter(([first, last]) => first <= last).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const [first, last] of sorted) {
    const previous = merged.at(-1);
    if (previous && first <= previous[1] + 1n) {
      if (last > previous[1]) previous[1] = last;
    } else merged.push([first, last]);
  }
  return { family, ranges: merged };
}

/** `10.0.0.0/8` (network and length); undefined when it is not a prefix of that family. */
export function prefixRange(family: 4 | 6, network: string, length: number): readonly [bigint, bigint] | undefined {
  const bits = addressBits(network);
  if (!bits || bits.family !== family || !Number.isInteger(length) || length < 0 || length > bits.bits) return undefined;
  const host = (1n << BigInt(bits.bits - length)) - 1n;
  return [bits.value & ~host, bits.value | host];
}

/** One address as a set; undefined when it is not an address of that family. */
export function addressSet(family: 4 | 6, address: string): AddressSet | undefined {
  const bits = addressBits(address);
  return bits && bits.family === family ? { family, ranges: [[bits.value, bits.value]] } : undefined;
}

/** Prefixes (`127.0.0.0/8`) as a set; a malformed one is a programming error. */
export function prefixesSet(family: 4 | 6, prefixes: readonly string[]): AddressSet {
  return fromRanges(
    family,
    prefixes.map((prefix) => {
      const [network = '', length = ''] = prefix.split('/');
      const range = prefixRange(family, network, Number(length));
      if (!range) throw new TypeError(`not an IPv${family} prefix: ${prefix}`);
      return range;
    }),
  );
}

export const isEmpty = (set: AddressSet): boolean => set.ranges.length === 0;

export function union(a: AddressSet, b: AddressSet): AddressSet {
  if (isEmpty(a)) return b;
  if (isEmpty(b)) return a;
  return fromRanges(a.family, [...a.ranges, ...b.ranges]);
}

/**
 * The first index at or after `from` whose range ends at or after `value`
 * (`ranges.length` when none): a binary search, so that a rule on one address
 * costs a few comparisons against a blocklist's thousands of ranges, not one
 * each (10,000 single-address drops took 9 s a question when each operation
 * walked every range).
 */
function firstEndingFrom(ranges: readonly (readonly [bigint, bigint])[], value: bigint, from: number): number {
  let low = from;
  let high = ranges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (ranges[middle]![1] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

export function intersect(a: AddressSet, b: AddressSet): AddressSet {
  if (isEmpty(a) || isEmpty(b)) return emptySet(a.family);
  // Each range of the set with fewer, against the ranges of the other that it overlaps.
  const [few, many] = a.ranges.length <= b.ranges.length ? [a.ranges, b.ranges] : [b.ranges, a.ranges];
  const out: [bigint, bigint][] = [];
  let k = 0;
  for (const [first, last] of few) {
    k = firstEndingFrom(many, first, k);
    while (k < many.length && many[k]![0] <= last) {
      const [otherFirst, otherLast] = many[k]!;
      // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.max refuses
      const from = otherFirst > first ? otherFirst : first;
      // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.min refuses
      const to = otherLast < last ? otherLast : last;
      out.push([from, to]);
      // A range of `many` that goes on past this one may overlap the next of `few` too.
      if (otherLast > last) break;
      k++;
    }
  }
  return { family: a.family, ranges: out };
}

/** `a` without `b`. */
export function subtract(a: AddressSet, b: AddressSet): AddressSet {
  if (isEmpty(a) || isEmpty(b)) return a;
  const ranges = a.ranges;
  const out: (readonly [bigint, bigint])[] = [];
  let touched = false;
  // a's ranges before index `i` are done; what is left of ranges[i] starts at `from`.
  let i = 0;
  let from = ranges[0]![0];
  for (const [cutFirst, cutLast] of b.ranges) {
    const k = firstEndingFrom(ranges, cutFirst, i);
    if (k === ranges.length) break;
    if (k > i) {
      // Untouched by this cut: kept as they are (the first one less what an earlier cut took).
      out.push(from === ranges[i]![0] ? ranges[i]! : [from, ranges[i]![1]]);
      for (let n = i + 1; n < k; n++) out.push(ranges[n]!);
      i = k;
      from = ranges[k]![0];
    }
    while (i < ranges.length && from <= cutLast) {
      touched = true;
      if (from < cutFirst) out.push([from, cutFirst - 1n]);
      if (ranges[i]![1] > cutLast) {
        from = cutLast + 1n;
        break;
      }
      i++;
      if (i < ranges.length) from = ranges[i]![0];
    }
  }
  // Nothing taken away: the same set (a remembered chain result stays found by it).
  if (!touched) return a;
  if (i < ranges.length) {
    out.push(from === ranges[i]![0] ? ranges[i]! : [from, ranges[i]![1]]);
    for (let n = i + 1; n < ranges.length; n++) out.push(ranges[n]!);
  }
  return { family: a.family, ranges: out };
}

export const sameSet = (a: AddressSet, b: AddressSet): boolean =>
  a.family === b.family && a.ranges.length === b.ranges.length && a.ranges.every(([f, l], n) => f === b.ranges[n]![0] && l === b.ranges[n]![1]);

const keys = new WeakMap<AddressSet, string>();

/** A string equal for equal sets (remembered per set: a blocklist's complement has many ranges). */
export function setKey(set: AddressSet): string {
  let known = keys.get(set);
  if (known === undefined) {
    known = `${set.family}:${set.ranges.map(([first, last]) => `${first.toString(36)}-${last.toString(36)}`).join(',')}`;
    keys.set(set, known);
  }
  return known;
}

/** A range as the shortest text: `10.0.0.0/8` when it is a prefix, `1.0.0.0-126.255.255.255` otherwise, one address alone. */
function describeRange(family: 4 | 6, [first, last]: readonly [bigint, bigint]): string {
  if (first === last) return formatAddress(family, first);
  const size = last - first + 1n;
  // A prefix: a power of two in size, aligned on it.
  if ((size & (size - 1n)) === 0n && first % size === 0n) return `${formatAddress(family, first)}/${(family === 4 ? 32 : 128) - (size.toString(2).length - 1)}`;
  return `${formatAddress(family, first)}-${formatAddress(family, last)}`;
}

/** The first `max` ranges, and how many more: `203.0.113.0/24, 198.51.100.7 and 3 more ranges`. */
export function describeSet(set: AddressSet, max = 3): string {
  const shown = set.ranges.slice(0, max).map((range) => describeRange(set.family, range));
  const more = set.ranges.length - shown.length;
  if (shown.length === 0) return 'no address';
  return more > 0 ? `${shown.join(', ')} and ${more} more range${more === 1 ? '' : 's'}` : shown.join(', ');
}
