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

/**
 * Edit distance with two neighbours swapped counted as one edit (optimal string alignment: `uwf` is one from `ufw`,
 * as a typo is), small and allocation-light: names here are short.
 */
export function editDistance(a: string, b: string): number {
  return distanceWithin(a, b, Math.max(a.length, b.length)).distance;
}

/**
 * The edit distance (a swap of neighbours one edit) when it is at most `max`, else max + 1, and the cells it took. Only
 * the band of cells within `max` of the diagonal can be that near, and a row with none at most
 * `max` ends the search: the work is about a.length × (2 × max + 1), not a.length × b.length.
 */
function distanceWithin(a: string, b: string, max: number): { distance: number; cells: number } {
  const over = max + 1;
  if (a === b) return { distance: 0, cells: 0 };
  if (Math.abs(a.length - b.length) > max) return { distance: over, cells: 0 };
  let cells = 0;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => Math.min(index, over));
  // The row before `previous`, for a swap of a[i-2..i-1] with b[j-2..j-1]: none before the second row.
  let beforePrevious: number[] | undefined;
  for (let i = 1; i <= a.length; i++) {
    const current = new Array<number>(b.length + 1).fill(over);
    current[0] = Math.min(i, over);
    let best = current[0];
    for (let j = Math.max(1, i - max), last = Math.min(b.length, i + max); j <= last; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let cell = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost, over);
      if (beforePrevious !== undefined && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cell = Math.min(cell, beforePrevious[j - 2]! + 1);
      current[j] = cell;
      if (cell < best) best = cell;
      cells++;
    }
    if (best > max) return { distance: over, cells };
    beforePrevious = previous;
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
 * candidate, if it is near enough to be a plausible typo; else the longest
 * candidate (at least MIN_PREFIX characters) that is an abbreviation of the
 * input, as a person writes a short name out in full (`nftables` for `nft`,
 * `environment` for `env`, `developers` for `dev`). Case is ignored.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  return onlyExtension(input, candidates) ?? nearest(input, candidates) ?? longestStart(input, candidates);
}

/**
 * The longest candidate of at least MIN_PREFIX characters that `input` starts with and goes on from in letters alone
 * (case ignored; the first of equals): the same word written out. One that goes on after a dash, dot or underscore
 * names another thing (`redis-server.socket` is no spelling of `redis`, nor `services_list` of `services`).
 */
function longestStart(input: string, candidates: readonly string[]): string | undefined {
  if (input.length > MAX_SUGGESTED_INPUT) return undefined;
  const lower = input.toLowerCase();
  let best: string | undefined;
  for (const candidate of candidates) {
    if (candidate.length < MIN_PREFIX || candidate.length <= (best?.length ?? 0) || !lower.startsWith(candidate.toLowerCase())) continue;
    if (/^[a-z]+$/.test(lower.slice(candidate.length))) best = candidate;
  }
  return best;
}

/** The one candidate that starts with `input` (case ignored), when exactly one does. */
function onlyExtension(input: string, candidates: readonly string[]): string | undefined {
  if (input.length < MIN_PREFIX || input.length > MAX_SUGGESTED_INPUT) return undefined;
  const lower = input.toLowerCase();
  const extending = candidates.filter((candidate) => candidate.toLowerCase().startsWith(lower));
  return extending.length === 1 ? extending[0] : undefined;
}

/**
 * The nearest candidate by edits, when they are few enough for a typo: at most a third of the input (two in a short
 * one: `rdis`, `redsi` for `redis`), and at most half of the shorter of the two names, so that what is left of it is
 * still most of it: `fish` is two edits from `sh`, which leaves nothing of `sh` but itself, and `js` is no typo of it.
 */
function nearest(input: string, candidates: readonly string[]): string | undefined {
  if (input.length > MAX_SUGGESTED_INPUT) return undefined;
  const inputLimit = Math.max(2, Math.floor(input.length / 3));
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  let cells = 0;
  for (const candidate of candidates) {
    // Only a strictly nearer candidate replaces the best (the first of equals wins), so the search
    // can stop at one less than the best so far.
    const limit = Math.min(inputLimit, Math.floor(Math.min(input.length, candidate.length) / 2));
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
