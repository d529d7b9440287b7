// The "did you mean" of the references check's unknown names (a Redis directive, a prometheus.yml field): one rule for
// both, so a typo is answered alike whichever daemon's file holds it.

/** The most edits a name may be from what it was meant to be: beyond two, a hint is a guess. */
const MAX_EDITS = 2;

/**
 * The name of `names` at most two edits from `name` (a letter added, dropped or changed, or two neighbours swapped),
 * the nearest; undefined when none is, or when two are equally near, as either hint could mislead.
 */
export function nearestName(name: string, names: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = MAX_EDITS + 1;
  let tie = false;
  for (const candidate of names) {
    // The lengths alone bound the distance from below: most candidates end here, and a long name costs nothing.
    if (Math.abs(candidate.length - name.length) >= bestDistance) continue;
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance, tie] = [candidate, distance, false];
    else if (distance === bestDistance) tie = true;
  }
  return tie ? undefined : best;
}

/** Optimal string alignment distance (Levenshtein with two neighbours swapped as one edit, as a typo swaps them). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
    }
  return rows[a.length]![b.length]!;
}
