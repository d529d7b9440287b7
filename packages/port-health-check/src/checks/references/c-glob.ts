// The last part of an include glob, matched as nginx and Redis match it: both
// call glibc's glob(3) with no flags, which lists the directory (`.` and `..`
// too) and keeps each name fnmatch(3) takes with FNM_PERIOD, in the C locale
// they run in under systemd (LANG unset): byte by byte, `?` one byte (a 2-byte
// UTF-8 `é` needs `??`), POSIX classes of ASCII only, ranges by byte value (a
// descending one, `[z-a]`, holds nothing), `!` or `^` negating, `]` first a
// member, `\` escaping, an unclosed `[` itself. A hand-written byte matcher, not
// a RegExp: a pattern is no JS regular expression, and `[z-a]` is not even a
// valid one. Held to the real glob(3) by test/checks/references/c-glob.test.ts.
import { fileSystemPath } from '@dsa110/ports/system';

/** A name matched as glob(3) matches it: text (U+DC80+byte for a byte that is not UTF-8) or its bytes. */
export interface CGlob {
  test(name: string | Uint8Array): boolean;
}

/** The bytes a path part stands for: UTF-8, a kept byte (U+DC80+byte, decodeKeepingBadBytes) as that byte. */
export function nameBytes(name: string | Uint8Array): Uint8Array {
  if (typeof name !== 'string') return name;
  const path = fileSystemPath(name);
  return typeof path === 'string' ? Buffer.from(path, 'utf8') : path;
}

/**
 * The names of a directory's `entries` (readdir's, as bytes) that glob(3) gives for the last part `pattern`, in its
 * order (strcmp's in the C locale: by bytes); `.` and `..` too where the pattern takes them (`.*`: nginx then fails
 * on the directory, Redis reads it as an empty file).
 */
export function cGlobMatches(pattern: string, entries: readonly Uint8Array[]): Buffer[] {
  const matcher = globPart(pattern);
  return [Buffer.from('.'), Buffer.from('..'), ...entries.map((entry) => Buffer.from(entry.buffer, entry.byteOffset, entry.byteLength))]
    .filter((name) => matcher.test(name))
    .sort(Buffer.compare);
}

/**
 * Whether glob(3) matches a path part against the directory's names, as glibc's __glob_pattern_type tells: a `*`, a
 * `?`, or a `[` with a `]` after it, none escaped by `\`. Any other part (`conf.d`, `a[b`, `\*`) it takes as one name.
 */
export function isPatternPart(part: string): boolean {
  let bracket = false;
  for (let at = 0; at < part.length; at++) {
    const c = part[at];
    if (c === '*' || c === '?') return true;
    if (c === '\\') at++;
    else if (c === '[') bracket = true;
    else if (c === ']' && bracket) return true;
  }
  return false;
}

/** The name a part with no pattern in it (isPatternPart) stands for: each `\` escapes the character after it. */
export function unescapedPart(part: string): string {
  return part.replace(/\\([\s\S])/g, '$1');
}

/**
 * A directory part as glob(3) takes it: glibc splits the pattern at its last `/` and drops a `\` that ends the part
 * before it, unless another escapes it (`conf\/*.conf` is `conf/*.conf`, `conf\\/` keeps `conf\\`), so each
 * directory part in turn. Checked with glibc 2.36's glob(3) and Redis 7.0.15.
 */
export function directoryPart(part: string): string {
  let backslashes = 0;
  while (part[part.length - 1 - backslashes] === '\\') backslashes++;
  return backslashes % 2 === 1 ? part.slice(0, -1) : part;
}

/**
 * Whether glob(3) would give `path` for the absolute `pattern` (given the file is there): part by part, a pattern
 * part matched as globPart, any other as its name (unescapedPart), a directory part first as directoryPart.
 */
export function cGlobMatchesPath(pattern: string, path: string): boolean {
  const split = pattern.split('/');
  const parts = split.map((part, at) => (at < split.length - 1 ? directoryPart(part) : part));
  const names = path.split('/');
  return (
    parts.length === names.length && parts.every((part, at) => (isPatternPart(part) ? globPart(part).test(names[at]!) : unescapedPart(part) === names[at]))
  );
}

/** glob(3)'s matcher for one path part (`*.conf`), with no flags given to glob, in the C locale. */
export function globPart(pattern: string): CGlob {
  const bytes = nameBytes(pattern);
  return { test: (name) => fnmatchPeriod(bytes, nameBytes(name)) };
}

const Ch = {
  Bang: 0x21,
  Dot: 0x2e,
  Colon: 0x3a,
  Equals: 0x3d,
  Question: 0x3f,
  Open: 0x5b,
  Backslash: 0x5c,
  Close: 0x5d,
  Caret: 0x5e,
  Star: 0x2a,
  Dash: 0x2d,
  LowA: 0x61,
  LowZ: 0x7a,
} as const;

/** glibc gives up on a class name this long (`[[:aaaa...:]]`): the pattern is ill-formed. */
const CLASS_NAME_MAX = 2048;

/** The C locale's classes (glibc's C ctype: ASCII only; no byte from 0x80 is in any). */
const CLASSES: Record<string, (byte: number) => boolean> = {
  alnum: (b) => isDigit(b) || isUpper(b) || isLower(b),
  alpha: (b) => isUpper(b) || isLower(b),
  blank: (b) => b === 0x20 || b === 0x09,
  cntrl: (b) => b < 0x20 || b === 0x7f,
  digit: (b) => isDigit(b),
  graph: (b) => b > 0x20 && b < 0x7f,
  lower: (b) => isLower(b),
  print: (b) => b >= 0x20 && b < 0x7f,
  punct: (b) => b > 0x20 && b < 0x7f && !isDigit(b) && !isUpper(b) && !isLower(b),
  space: (b) => b === 0x20 || (b >= 0x09 && b <= 0x0d),
  upper: (b) => isUpper(b),
  xdigit: (b) => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66),
};

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}
function isUpper(b: number): boolean {
  return b >= 0x41 && b <= 0x5a;
}
function isLower(b: number): boolean {
  return b >= 0x61 && b <= 0x7a;
}

/** What a bracket expression does with one byte: where the pattern goes on after it, or no match. */
type Bracket = { next: number } | 'no' | 'unclosed';

/**
 * The bracket expression whose `[` is just before `start`, for `byte`: glibc reads it as far as it needs for that
 * byte, so an ill-formed one fails only for some bytes (`[a` is `[` then `a` for the name `[a`, and nothing for `a`).
 */
function bracket(pattern: Uint8Array, start: number, byte: number): Bracket {
  const at = (index: number): number => pattern[index] ?? 0;
  let p = start;
  const negated = at(p) === Ch.Bang || at(p) === Ch.Caret;
  if (negated) p++;
  // A member matched: the rest of the expression is passed over, and must be well formed.
  const matched = (): Bracket => {
    for (;;) {
      const c = at(p++);
      if (c === Ch.Close) break;
      // Unclosed after all: glibc 2.36 takes the `[` as itself, as when no member matched (`[[:punct:]` matches `[:`).
      if (c === 0) return 'unclosed';
      if (c === Ch.Backslash) {
        if (at(p) === 0) return 'no';
        p++;
      } else if (c === Ch.Open && at(p) === Ch.Colon) {
        const colon = p;
        for (let length = 1; ; length++) {
          const d = at(++p);
          if (length === CLASS_NAME_MAX) return 'no';
          if (at(p) === Ch.Colon && at(p + 1) === Ch.Close) break;
          if (d < Ch.LowA || d >= Ch.LowZ) {
            p = colon - 2;
            break;
          }
        }
        p += 2;
      } else if (c === Ch.Open && at(p) === Ch.Equals) {
        if (at(++p) === 0) return 'no';
        if (at(++p) !== Ch.Equals || at(p + 1) !== Ch.Close) return 'no';
        p += 2;
      } else if (c === Ch.Open && at(p) === Ch.Dot) {
        for (;;) {
          const d = at(++p);
          if (d === 0) return 'no';
          if (d === Ch.Dot && at(p + 1) === Ch.Close) break;
        }
        p += 2;
      }
    }
    return negated ? 'no' : { next: p };
  };
  // `[.x.]`: a collating symbol; the C locale names only single characters. Its character, with p past it, or no match.
  const symbol = (): number | 'no' => {
    const from = p;
    for (;;) {
      const d = at(++p);
      if (d === Ch.Dot && at(p + 1) === Ch.Close) break;
      if (d === 0) return 'no';
    }
    p += 2;
    return p - from === 4 ? at(from + 1) : 'no';
  };
  let c = at(p++);
  for (;;) {
    let low: number | undefined;
    // glibc reads `-]` after a collating symbol as the start of a range, so the symbol is no member by itself
    // (`[[.a.]-]` holds `-` and not `a`); after any other member, as a `-` member (`[a-]` holds both).
    let dashCloseRanges = false;
    if (c === Ch.Backslash) {
      if (at(p) === 0) return 'no';
      c = at(p++);
      low = c;
    } else if (c === Ch.Open && at(p) === Ch.Colon) {
      const colon = p;
      let name = '';
      for (;;) {
        if (name.length === CLASS_NAME_MAX) return 'no';
        const d = at(++p);
        if (d === Ch.Colon && at(p + 1) === Ch.Close) {
          p += 2;
          break;
        }
        if (d < Ch.LowA || d >= Ch.LowZ) {
          // No class name (`[[:x-y]`): the `[` is a member.
          p = colon;
          name = '';
          break;
        }
        name += String.fromCharCode(d);
      }
      if (p === colon) low = Ch.Open;
      else {
        const inClass = CLASSES[name];
        if (inClass === undefined) return 'no';
        if (inClass(byte)) return matched();
        c = at(p++);
      }
    } else if (c === Ch.Open && at(p) === Ch.Equals) {
      // `[=x=]`: in the C locale, the character itself.
      const member = at(p + 1);
      if (member !== 0 && at(p + 2) === Ch.Equals && at(p + 3) === Ch.Close) {
        p += 4;
        if (byte === member) return matched();
        c = at(p++);
      } else low = Ch.Open;
    } else if (c === 0) return 'unclosed';
    else if (c === Ch.Open && at(p) === Ch.Dot) {
      const member = symbol();
      if (member === 'no') return 'no';
      low = member;
      dashCloseRanges = true;
    } else low = c;
    if (low !== undefined) {
      const range = at(p) === Ch.Dash && at(p + 1) !== 0 && (dashCloseRanges || at(p + 1) !== Ch.Close);
      if (!range && low === byte) return matched();
      c = at(p++);
      const end = rangeEnd(c, low);
      if (end === 'no') return 'no';
      if (end === 'matched') return matched();
      if (end === 'next') c = at(p++);
    }
    if (c === Ch.Close) break;
  }
  return negated ? { next: p } : 'no';

  // After a member `low`, with `c` the byte after it: a range `low-END` (by byte value), or none ('none').
  function rangeEnd(dash: number, low: number): 'none' | 'no' | 'matched' | 'next' {
    if (dash !== Ch.Dash || at(p) === Ch.Close) return 'none';
    let end = at(p++);
    if (end === Ch.Open && at(p) === Ch.Dot) {
      const member = symbol();
      if (member === 'no') return 'no';
      end = member;
    } else {
      if (end === Ch.Backslash) end = at(p++);
      if (end === 0) return 'no';
    }
    return low <= byte && byte <= end ? 'matched' : 'next';
  }
}

/** fnmatch(3) of `name` by `pattern` with FNM_PERIOD alone (glob(3)'s flags when given none), bytes, C locale. */
export function fnmatchPeriod(pattern: Uint8Array, name: Uint8Array): boolean {
  // Positions already known not to match, so that `*a*a*a*b` is not tried in exponential time.
  const failed = new Set<number>();
  const width = name.length + 1;
  const match = (start: number, from: number, leading: boolean): boolean => {
    const key = (start * width + from) * 2 + (leading ? 1 : 0);
    if (failed.has(key)) return false;
    const result = matchFrom(start, from, leading);
    if (!result) failed.add(key);
    return result;
  };
  const at = (index: number): number => pattern[index] ?? 0;
  const matchFrom = (start: number, from: number, leadingAtStart: boolean): boolean => {
    let p = start;
    let n = from;
    let leading = leadingAtStart;
    while (p < pattern.length) {
      const c = pattern[p++]!;
      if (c === Ch.Question) {
        if (n === name.length || (name[n] === Ch.Dot && leading)) return false;
      } else if (c === Ch.Backslash) {
        const escaped = at(p++);
        if (escaped === 0 || n === name.length || name[n] !== escaped) return false;
      } else if (c === Ch.Star) {
        if (n < name.length && name[n] === Ch.Dot && leading) return false;
        // Stars and question marks after it: each `?` takes one byte (the leading-dot rule stays as it was at the star).
        let next = at(p++);
        for (; next === Ch.Question || next === Ch.Star; next = at(p++)) {
          if (next === Ch.Question) {
            if (n === name.length) return false;
            n++;
          }
        }
        if (next === 0) return true;
        p--;
        for (let tryAt = n; tryAt < name.length; tryAt++) if (match(p, tryAt, tryAt === n ? leading : false)) return true;
        return false;
      } else if (c === Ch.Open) {
        if (n === name.length || (name[n] === Ch.Dot && leading)) return false;
        const result = bracket(pattern, p, name[n]!);
        if (result === 'no') return false;
        if (result === 'unclosed') {
          if (name[n] !== Ch.Open) return false;
        } else p = result.next;
      } else if (n === name.length || name[n] !== c) return false;
      leading = false;
      n++;
    }
    return n === name.length;
  };
  return match(0, 0, true);
}
