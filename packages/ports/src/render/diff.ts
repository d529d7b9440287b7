// A unified diff of two texts, line by line, for `--check` output. Small
// inputs only (reference pages, unit files): common prefix and suffix are
// trimmed, the rest is an LCS table. Every line of the diff is printed with
// its control characters escaped (the texts are files from disk: a terminal
// escape or a carriage return in one must not reach the terminal).
import { oneLine } from '../escape.js';

type Op = { kind: ' ' | '-' | '+'; line: string; a: number; b: number };

/**
 * `loneCr`: a lone CR ends a line, as CommonMark reads a page (a CR LF line still shows its CR): else a page
 * saved with CR line endings is one line, printed whole as the diff of one table cell.
 */
export function unifiedDiff(before: string, after: string, { from = 'a', to = 'b', context = 3, loneCr = false } = {}): string {
  if (before === after) return '';
  const a = splitLines(before, loneCr);
  const b = splitLines(after, loneCr);
  const ops = diffLines(a, b);
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
    const aCount = hunk.filter((op) => op.kind !== '+').length;
    const bCount = hunk.filter((op) => op.kind !== '-').length;
    out.push(`@@ -${aCount === 0 ? first.a : first.a + 1},${aCount} +${bCount === 0 ? first.b : first.b + 1},${bCount} @@`);
    for (const op of hunk) out.push(`${op.kind}${op.line}`);
  }
  return `${out.map((line) => oneLine(line)).join('\n')}\n`;
}

function splitLines(text: string, loneCr: boolean): string[] {
  const lines = text.split(loneCr ? /\n|\r(?!\n)/ : '\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
  const midA = a.slice(prefix, a.length - suffix);
  const midB = b.slice(prefix, b.length - suffix);
  const n = midA.length;
  const m = midB.length;
  const table = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * (m + 1) + j] =
        midA[i] === midB[j] ? table[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(table[(i + 1) * (m + 1) + j]!, table[i * (m + 1) + j + 1]!);
    }
  }
  const ops: Op[] = [];
  for (let k = 0; k < prefix; k++) ops.push({ kind: ' ', line: a[k]!, a: k, b: k });
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && midA[i] === midB[j]) {
      ops.push({ kind: ' ', line: midA[i]!, a: prefix + i, b: prefix + j });
      i++;
      j++;
    } else if (i < n && (j === m || table[(i + 1) * (m + 1) + j]! >= table[i * (m + 1) + j + 1]!)) {
      ops.push({ kind: '-', line: midA[i]!, a: prefix + i, b: prefix + j });
      i++;
    } else {
      ops.push({ kind: '+', line: midB[j]!, a: prefix + i, b: prefix + j });
      j++;
    }
  }
  for (let k = 0; k < suffix; k++) ops.push({ kind: ' ', line: a[a.length - suffix + k]!, a: a.length - suffix + k, b: b.length - suffix + k });
  return ops;
}
