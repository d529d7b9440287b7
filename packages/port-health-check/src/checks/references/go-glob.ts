// Go's path/filepath glob, as Prometheus expands scrape_config_files and
// file_sd_configs files (filepath.Glob): `*` any run of characters but `/`,
// `?` one character, `[a-z]` and `[^a-z]` a class, `\` escapes the next
// character; unlike glob(3) (nginx, Redis: includes.ts), `*` and `?` match a
// leading dot too, and a glob may stand in any part of the path. A malformed
// pattern (`[` unclosed, `[]`, a trailing `\`) is filepath.ErrBadPattern.
// Pure: gather.ts lists the directories.

/** Whether a path part holds Go's glob characters (`*`, `?`, `[`, and `\` on Unix), as filepath.hasMeta. */
export function hasGoMeta(part: string): boolean {
  return /[*?[\\]/.test(part);
}

const codePoint = (char: string) => `\\u{${char.codePointAt(0)!.toString(16)}}`;

/**
 * One path part's pattern as a regular expression matching a whole name, as
 * filepath.Match; a string saying why it is malformed (Go's ErrBadPattern)
 * otherwise.
 */
export function goGlobPart(pattern: string): RegExp | string {
  const chars = [...pattern];
  let source = '';
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index]!;
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '\\') {
      if (index + 1 >= chars.length) return `"${pattern}" ends in an escaping \\`;
      source += codePoint(chars[++index]!);
    } else if (char === '[') {
      // filepath.Match's class: [ [^] { lo[-hi] }+ ], each end maybe \-escaped; `-` or `]` unescaped is no end.
      let at = index + 1;
      let negated = false;
      if (chars[at] === '^') {
        negated = true;
        at++;
      }
      const ranges: string[] = [];
      const end = (): string | undefined => {
        let next = chars[at];
        if (next === undefined || next === '-' || next === ']') return undefined;
        if (next === '\\') next = chars[++at];
        if (next === undefined) return undefined;
        at++;
        return chars[at] === undefined ? undefined : next; // Go: a class must be closed after it
      };
      for (;;) {
        if (chars[at] === ']' && ranges.length > 0) break;
        const low = end();
        if (low === undefined) return `"${pattern}" has an unclosed or malformed [ ] class`;
        let high = low;
        if (chars[at] === '-') {
          at++;
          const upper = end();
          if (upper === undefined) return `"${pattern}" has an unclosed or malformed [ ] class`;
          high = upper;
        }
        ranges.push(low === high ? codePoint(low) : `${codePoint(low)}-${codePoint(high)}`);
      }
      // A range Go accepts but matches nothing with (z-a) would throw here: keep it, matching nothing.
      const body = ranges.filter((range) => !range.includes('-') || rangeOrdered(range)).join('');
      source += negated ? `[^/${body}]` : body === '' ? '(?!)' : `[${body}]`;
      index = at;
    } else source += codePoint(char);
  }
  return new RegExp(`^${source}$`, 'u');
}

function rangeOrdered(range: string): boolean {
  const [low, high] = range.split('-').map((end) => Number.parseInt(end.slice(3, -1), 16));
  return low! <= high!;
}
