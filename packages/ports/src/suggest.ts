import { MAX_ID_LENGTH } from './limits.js';

/**
 * The longest input that gets a did-you-mean. A suggestion is at most a third of the input's
 * length away (closest()), and every candidate is short (an id is at most MAX_ID_LENGTH; a key,
 * an enum value or a command name shorter), so past 1.5 × MAX_ID_LENGTH no candidate can be near
 * enough; twice it leaves room. Without the bound the comparison cost the product of the lengths:
 * a 10-million-character "service id" took 10 s to be called unknown, a file of 1000 unknown keys
 * of 1000 characters 7 s to be refused.
 */
const MAX_SUGGESTED_INPUT = 2 * MAX_ID_LENGTH;

/**
 * The most cells of the distance table one closest() call fills: a hint is a nicety, never a
 * wait, whatever the number of candidates (the ids of a registry of thousands of services).
 * Past it the nearest candidate found so far is the hint.
 */
const MAX_SUGGEST_CELLS = 1_000_000;

/** Levenshtein distance, small and allocation-light: names here are short. */
export function editDistance(a: string, b: string): number {
  return distanceWithin(a, b, Math.max(a.length, b.length)).distance;
}

/**
 * The Levenshtein distance when it is at most `max`, else max + 1, and the cells it took. Only
 * the band of cells within `max` of the diagonal can be that near, and a row with none at most
 * `max` ends the search: the work is about a.length × (2 × max + 1), not a.length × b.length.
 */
function distanceWithin(a: string, b: string, max: number): { distance: number; cells: number } {
  const over = max + 1;
  if (a === b) return { distance: 0, cells: 0 };
  if (Math.abs(a.length - b.length) > max) return { distance: over, cells: 0 };
  let cells = 0;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => Math.min(index, over));
  for (let i = 1; i <= a.length; i++) {
    const current = new Array<number>(b.length + 1).fill(over);
    current[0] = Math.min(i, over);
    let best = current[0];
    for (let j = Math.max(1, i - max), last = Math.min(b.length, i + max); j <= last; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const cell = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost, over);
      current[j] = cell;
      if (cell < best) best = cell;
      cells++;
    }
    if (best > max) return { distance: over, cells };
    previous = current;
  }
  return { distance: previous[b.length]!, cells };
}

/** The shortest input that a longer candidate is suggested for because it starts with it: `prom` for `prometheus`. */
const MIN_PREFIX = 3;

/**
 * The one candidate that starts with the input (at least MIN_PREFIX
 * characters), as a person shortens a long id (`prom`, `vite-d`: nearer by
 * edits to `vite`, but only `vite-default` goes on from it); else the nearest
 * candidate, if it is near enough to be a plausible typo. Case is ignored.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  return onlyExtension(input, candidates) ?? nearest(input, candidates);
}

/** The one candidate that starts with `input` (case ignored), when exactly one does. */
function onlyExtension(input: string, candidates: readonly string[]): string | undefined {
  if (input.length < MIN_PREFIX || input.length > MAX_SUGGESTED_INPUT) return undefined;
  const lower = input.toLowerCase();
  const extending = candidates.filter((candidate) => candidate.toLowerCase().startsWith(lower));
  return extending.length === 1 ? extending[0] : undefined;
}

function nearest(input: string, candidates: readonly string[]): string | undefined {
  if (input.length > MAX_SUGGESTED_INPUT) return undefined;
  const limit = Math.max(2, Math.floor(input.length / 3));
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  let cells = 0;
  for (const candidate of candidates) {
    // Only a strictly nearer candidate replaces the best (the first of equals wins), so the search
    // can stop at one less than the best so far.
    const { distance, cells: used } = distanceWithin(lower, candidate.toLowerCase(), Math.min(limit, bestDistance - 1));
    cells += used;
    if (distance < bestDistance && distance <= limit) {
      best = candidate;
      bestDistance = distance;
    }
    if (bestDistance === 0 || cells > MAX_SUGGEST_CELLS) break;
  }
  return best;
}

export function didYouMean(input: string, candidates: readonly string[]): string {
  return didYouMeanText(closest(input, candidates));
}

/** ` (did you mean "X"?)` for closest()'s answer, or nothing. */
export function didYouMeanText(suggestion: string | undefined): string {
  return suggestion ? ` (did you mean "${suggestion}"?)` : '';
}
