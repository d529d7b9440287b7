// A unified diff of two texts, line by line, for `--check` output. Every line of the diff is printed with
// its control characters escaped (the texts are files from disk: a terminal escape or a carriage return in
// one must not reach the terminal), tabs aside: a tab only moves the cursor, and an nft file is indented
// with them (printed as `\t\t`, its diff could be neither read nor applied).
//
// The page on disk may be anything up to the 4 MiB the commands read: a million lines and more, on both
// sides (`ports docs` regenerates a page from itself). So time and memory are bounded whatever the texts:
// - the common prefix and suffix are trimmed (drift is usually small), and of every run of equal lines
//   only the lines a hunk shows are kept;
// - a small middle is compared with an LCS table, as it always was (its diff is the one printed before);
// - a larger one with Myers' O((N+M)·D) algorithm, given up past MAX_EDITS differing lines or MAX_STEPS
//   steps: then the middle is shown whole, removed then added, which is a correct diff, just not the least;
// - a run of more than MAX_RUN removed (or added) lines shows its first MAX_RUN and counts the rest.
import { oneLine, truncate } from '../escape.js';

// A '…' op is a note printed as it is: it stands at (a, b) and covers no line of either text.
type Op = { kind: ' ' | '-' | '+' | '…'; line: string; a: number; b: number };
// Lines [a, aEnd) of the first text replaced by lines [b, bEnd) of the second.
type Block = { a: number; aEnd: number; b: number; bEnd: number };

/** The LCS table's size limit, in cells of 4 bytes: 16 MiB, tens of milliseconds to fill. */
const MAX_TABLE_CELLS = 1 << 22;
/** Myers' search gives up past this many removed plus added lines: a diff that long is no longer read. */
const MAX_EDITS = 2000;
/** …or past this many steps (diagonals tried plus equal lines followed), which bounds its time. */
const MAX_STEPS = 10_000_000;
/** Removed or added lines shown in a row: more is not a page that drifted, and would flood the terminal. */
const MAX_RUN = 500;

/**
 * `loneCr`: a lone CR ends a line, as CommonMark reads a page (a CR LF line still shows its CR): else a page
 * saved with CR line endings is one line, printed whole as the diff of one table cell.
 */
export function unifiedDiff(before: string, after: string, { from = 'a', to = 'b', context = 3, loneCr = false } = {}): string {
  if (before === after) return '';
  const a = splitLines(before, loneCr);
  const b = splitLines(after, loneCr);
  const ops = diffLines(a, b, context);
  const changes = ops.flatMap((op, index) => (op.kind === ' ' ? [] : [index]));
  const hunks: Op[][] = [];
  let first = 0;
  for (let k = 0; k < changes.length; k++) {
    const next = changes[k + 1];
    if (next !== undefined && next - changes[k]! <= 2 * context + 1) continue;
    const lo = Math.max(0, changes[first]! - context);
    const hi = Math.min(ops.length, changes[k]! + context + 1);
    hunks.push(ops.slice(lo, hi));
    first = k + 1;
  }
  const out = [`--- ${from}`, `+++ ${to}`];
  if (hunks.length === 0) out.push('(the texts differ only in the newline at the end)');
  for (const hunk of hunks) {
    const first = hunk[0]!;
    const last = hunk.at(-1)!;
    // From the lines' numbers, not by counting ops: a note stands for lines not shown.
    const aCount = last.a + (last.kind === ' ' || last.kind === '-' ? 1 : 0) - first.a;
    const bCount = last.b + (last.kind === ' ' || last.kind === '+' ? 1 : 0) - first.b;
    out.push(`@@ -${aCount === 0 ? first.a : first.a + 1},${aCount} +${bCount === 0 ? first.b : first.b + 1},${bCount} @@`);
    for (const op of hunk) out.push(op.kind === '…' ? op.line : `${op.kind}${op.line}`);
  }
  return `${out.map(diffLine).join('\n')}\n`;
}

/** The longest diff line printed: oneLine's default. */
const MAX_LINE = 4000;

/** One line of the diff as oneLine prints it, its tabs left as they are. */
function diffLine(line: string): string {
  return truncate(
    line
      .split('\t')
      .map((part) => oneLine(part, MAX_LINE))
      .join('\t'),
    MAX_LINE,
  );
}

function splitLines(text: string, loneCr: boolean): string[] {
  const lines = text.split(loneCr ? /\n|\r(?!\n)/ : '\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The ops of the diff, in order, but only those a hunk can show (see `same`), and runs cut at MAX_RUN. */
class OpList {
  readonly ops: Op[] = [];
  private kind: Op['kind'] = ' ';
  private length = 0;
  private hidden = 0;
  private endA = 0;
  private endB = 0;

  push(kind: Op['kind'], line: string, a: number, b: number): void {
    if (kind !== this.kind) {
      this.flush();
      this.kind = kind;
      this.length = 0;
    }
    if ((kind === '-' || kind === '+') && ++this.length > MAX_RUN) {
      this.hidden++;
      this.endA = kind === '-' ? a + 1 : a;
      this.endB = kind === '+' ? b + 1 : b;
      return;
    }
    this.ops.push({ kind, line, a, b });
  }

  /** The `length` equal lines from a[aStart] and b[bStart]: all, or the first `head` and the last `tail`. */
  same(lines: readonly string[], aStart: number, bStart: number, length: number, head: number, tail: number): void {
    for (let k = 0; k < length; k++) {
      if (k === head && length > head + tail) k = length - tail;
      if (k < length) this.push(' ', lines[aStart + k]!, aStart + k, bStart + k);
    }
  }

  done(): Op[] {
    this.flush();
    return this.ops;
  }

  private flush(): void {
    if (this.hidden === 0) return;
    const what = this.kind === '-' ? 'removed' : 'added';
    this.ops.push({ kind: '…', line: `(… and ${this.hidden} more lines ${what}, not shown)`, a: this.endA, b: this.endB });
    this.hidden = 0;
  }
}

function diffLines(a: readonly string[], b: readonly string[], context: number): Op[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  const n = a.length - prefix - suffix;
  const m = b.length - prefix - suffix;
  const list = new OpList();
  if (n > 0 && m > 0 && (n + 1) * (m + 1) <= MAX_TABLE_CELLS) {
    // Of the prefix and suffix, only the `context` lines next to the middle can be shown.
    list.same(a, 0, 0, prefix, 0, context);
    lcsDiff(list, a, b, prefix, n, m);
    list.same(a, a.length - suffix, b.length - suffix, suffix, context, 0);
    return list.done();
  }
  const whole: Block = { a: prefix, aEnd: prefix + n, b: prefix, bEnd: prefix + m };
  // One side empty: the middle is one block, no search needed.
  const blocks = n === 0 || m === 0 ? [whole] : myersDiff(a, b, prefix, n, m);
  if (blocks === undefined) {
    list.same(a, 0, 0, prefix, 0, context);
    list.push('…', `(too many lines differ to match them up: these ${n} lines are shown removed, then ${m} added)`, prefix, prefix);
    pushBlock(list, a, b, whole);
    list.same(a, a.length - suffix, b.length - suffix, suffix, context, 0);
    return list.done();
  }
  let i = 0;
  let j = 0;
  for (const [index, block] of blocks.entries()) {
    // Between two changes, context + 1 lines either side: the gap stays wider than 2 × context + 1, so the
    // hunks split where they would with every line kept.
    list.same(a, i, j, block.a - i, index === 0 ? 0 : context + 1, context + 1);
    pushBlock(list, a, b, block);
    i = block.aEnd;
    j = block.bEnd;
  }
  list.same(a, i, j, a.length - i, context, 0);
  return list.done();
}

function pushBlock(list: OpList, a: readonly string[], b: readonly string[], block: Block): void {
  for (let k = block.a; k < block.aEnd; k++) list.push('-', a[k]!, k, block.b);
  for (let k = block.b; k < block.bEnd; k++) list.push('+', b[k]!, block.aEnd, k);
}

/** The middle, n lines of a and m of b from `start`, by an LCS table: (n + 1) × (m + 1) cells. */
function lcsDiff(list: OpList, a: readonly string[], b: readonly string[], start: number, n: number, m: number): void {
  const midA = a.slice(start, start + n);
  const midB = b.slice(start, start + m);
  const table = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * (m + 1) + j] =
        midA[i] === midB[j] ? table[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(table[(i + 1) * (m + 1) + j]!, table[i * (m + 1) + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && midA[i] === midB[j]) {
      list.push(' ', midA[i]!, start + i, start + j);
      i++;
      j++;
    } else if (i < n && (j === m || table[(i + 1) * (m + 1) + j]! >= table[i * (m + 1) + j + 1]!)) {
      list.push('-', midA[i]!, start + i, start + j);
      i++;
    } else {
      list.push('+', midB[j]!, start + i, start + j);
      j++;
    }
  }
}

/**
 * The middle by Myers' greedy algorithm ("An O(ND) difference algorithm and its variations", 1986): round d
 * finds, on each diagonal k = x − y, the furthest point reached with d lines removed or added. The rounds
 * are kept to walk the path back: (D + 1)² numbers, D at most MAX_EDITS. The changes come back as blocks,
 * in order; undefined past MAX_EDITS or MAX_STEPS.
 */
function myersDiff(a: readonly string[], b: readonly string[], start: number, n: number, m: number): Block[] | undefined {
  if (Math.abs(n - m) > MAX_EDITS) return undefined;
  const max = Math.min(n + m, MAX_EDITS);
  // The furthest x on each diagonal k, at v[k + offset]; −1: not reached (or only outside the texts).
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3).fill(-1);
  const rounds: Int32Array[] = [];
  let steps = 0;
  for (let d = 0; d <= max; d++) {
    const round = new Int32Array(2 * d + 1);
    rounds.push(round);
    for (let k = -d; k <= d; k += 2) {
      let x = d === 0 ? 0 : furthest(v[offset + k - 1]!, v[offset + k + 1]!, k, n, m);
      if (x >= 0) {
        let y = x - k;
        const from = x;
        while (x < n && y < m && a[start + x] === b[start + y]) {
          x++;
          y++;
        }
        steps += x - from;
        if (x === n && y === m) {
          round[k + d] = x;
          return blocksOf(rounds, d, k, start, n, m);
        }
      }
      round[k + d] = x;
      v[offset + k] = x;
      if (++steps > MAX_STEPS) return undefined;
    }
  }
  return undefined;
}

/**
 * Where diagonal k starts in a round: one line of a removed after the point on k − 1 (`removed`: its x),
 * or one of b added after the point on k + 1 (`added`), whichever reaches further and stays inside the
 * texts (−1: neither does); a removal on a tie, as the LCS table's walk prefers. A number, not an object:
 * this runs up to millions of times.
 */
function furthest(removed: number, added: number, k: number, n: number, m: number): number {
  const canAdd = added >= 0 && added - k <= m;
  if (removed >= 0 && removed < n && (!canAdd || removed + 1 >= added)) return removed + 1;
  return canAdd ? added : -1;
}

/** Walks the rounds back from (d, k), the end of both middles, into blocks of the whole texts' lines. */
function blocksOf(rounds: readonly Int32Array[], d: number, k: number, start: number, n: number, m: number): Block[] {
  const blocks: Block[] = [];
  let block: Block | undefined;
  let x = rounds[d]![k + d]!;
  for (; d > 0; d--) {
    const previous = rounds[d - 1]!;
    const at = (diagonal: number) => (Math.abs(diagonal) <= d - 1 ? previous[diagonal + d - 1]! : -1);
    const removed = at(k - 1);
    const moved = furthest(removed, at(k + 1), k, n, m);
    // A removal, as furthest chose it (on a tie too).
    const removal = removed >= 0 && moved === removed + 1;
    // Equal lines from (moved, moved − k) to (x, x − k): they end the block being built.
    if (x > moved && block !== undefined) {
      blocks.push(block);
      block = undefined;
    }
    const y = moved - k;
    if (removal) {
      if (block === undefined) block = { a: moved - 1, aEnd: moved, b: y, bEnd: y };
      else block.a = moved - 1;
      x = moved - 1;
      k--;
    } else {
      if (block === undefined) block = { a: moved, aEnd: moved, b: y - 1, bEnd: y };
      else block.b = y - 1;
      x = moved;
      k++;
    }
  }
  if (block !== undefined) blocks.push(block);
  return blocks.reverse().map((found) => ({ a: start + found.a, aEnd: start + found.aEnd, b: start + found.b, bEnd: start + found.bEnd }));
}
