// The registry's globs (a service's `processes`, `claim.protect.processes`),
// as the shell writes them: `*` any run of characters, `?` one character,
// `[...]` one character of a set (`[0-9]`, `[!a-z]` or `[^a-z]` for one not
// in it; a `]` first in the set is one of it). One reading for the schema,
// which refuses a glob that is not well formed, and for the matchers.
import { escapeText } from './escape.js';

/** One character of a glob, as a regular expression's source; STAR for `*`. */
const STAR = null;
type Token = string | typeof STAR;

/**
 * A glob whose `[...]` sets are each closed, as bracket() below reads them: `[`, then `!` or `^`
 * (always a negation there) and any first member, or a first member that is neither; more
 * members, then `]`. A first member may be `]`, so `[]]` and `[!]]` are sets, and `[]`, `[!]`
 * and `[^]` are unclosed, as in fnmatch. The two alternatives start differently, so a validator
 * never backtracks. A pattern, so that the schema (and schema.json, which a pattern is all it can
 * say) refuses an unclosed `[` as globProblem does; a range that runs backwards only globProblem.
 */
export const CLOSED_SETS = /^(?:[^[]|\[(?:[!^][\s\S]|[^!^])[^\]]*\])*$/;

/**
 * Why `glob` is not a well-formed glob, or undefined: a `[` that no `]` closes
 * (to mean the character itself, write `[[]`), or a range whose ends are in
 * the wrong order (`[9-0]`). A protected pattern that silently matched
 * nothing, or its text literally, would leave the process open to a claim.
 */
export function globProblem(glob: string): string | undefined {
  try {
    globTokens(glob);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * A glob as an anchored RegExp (u: `?` and a set take one character, not one UTF-16 unit; s: `?`
 * and `*` take line breaks too, CR, LF, U+2028, which a process may put in its name to slip past
 * a protected pattern). Not
 * `.*` for each `*`: `^.*a.*a.*b$` backtracks through every split of the name, so a glob of three
 * stars took seconds on a 2,000-character argv[0] that any user can give a process holding a port
 * (the health check and claim-port run as root). Each run between stars is matched at its first
 * place, inside a lookahead, which JavaScript never backtracks into: that is a glob's answer (a
 * later place only leaves less room for what follows), in time linear in the name. Throws an Error
 * saying what is wrong with a glob that is not well formed (globProblem).
 */
export function compileGlob(glob: string): RegExp {
  const runs: string[][] = [[]];
  for (const token of globTokens(glob)) {
    if (token === STAR) runs.push([]);
    else runs[runs.length - 1]!.push(token);
  }
  const last = runs.length - 1;
  const text = (run: readonly string[]) => run.join('');
  const middle = runs.slice(1, last).filter((run) => run.length > 0);
  const body =
    last === 0 ? text(runs[0]!) : `${text(runs[0]!)}${middle.map((run, index) => `(?=(.*?${text(run)}))\\${index + 1}`).join('')}.*${text(runs[last]!)}`;
  return new RegExp(`^${body}$`, 'su');
}

function globTokens(glob: string): Token[] {
  const chars = [...glob];
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') tokens.push(STAR);
    else if (c === '?') tokens.push('.');
    else if (c === '[') {
      const set = bracket(chars, i);
      tokens.push(set.source);
      i = set.end;
    } else tokens.push(literal(c));
  }
  return tokens;
}

/** The set that opens at chars[open] (a `[`): its source and where its `]` is. */
function bracket(chars: readonly string[], open: number): { source: string; end: number } {
  let i = open + 1;
  const negated = chars[i] === '!' || chars[i] === '^';
  if (negated) i++;
  let items = '';
  for (let first = true; i < chars.length; first = false) {
    const c = chars[i]!;
    if (c === ']' && !first) return { source: `[${negated ? '^' : ''}${items}]`, end: i };
    const to = chars[i + 2];
    if (chars[i + 1] === '-' && to !== undefined && to !== ']') {
      if (c.codePointAt(0)! > to.codePointAt(0)!)
        throw new Error(`the range ${escapeText(`[${c}-${to}]`)} runs backwards: write ${escapeText(`[${to}-${c}]`)}`);
      items += `${inSet(c)}-${inSet(to)}`;
      i += 3;
    } else {
      items += inSet(c);
      i++;
    }
  }
  throw new Error(`the [ at character ${open + 1} is not closed by a ]: to match a [ itself, write [[]`);
}

const literal = (c: string) => (/[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c);
const inSet = (c: string) => (/[\]\\^[-]/.test(c) ? `\\${c}` : c);
