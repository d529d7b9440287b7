// What nginx refuses of a server_name value as it reads the directive (ngx_http_core_server_name, nginx 1.22):
// a wildcard `*` at the start not followed by `.` and more, `.` alone, `~` alone, and a regex PCRE2 does not
// compile. Of a regex, only what is certainly an error is said (a parenthesis or class left open, an unmatched `)`,
// a `\` at the end), without reimplementing PCRE2: a pattern whose syntax may hide a parenthesis (extended mode's
// `#` comments, a callout's string) is not judged.

/** nginx -t's words for a server_name value it refuses, and what to write instead; undefined for one it takes. */
export function refusedServerName(name: string): { readonly refused: string; readonly fix: string } | undefined {
  if ((name.startsWith('*') && (name.length < 3 || name[1] !== '.')) || name === '.') {
    return {
      refused: `server name "${name}" is invalid`,
      fix: 'write a name (example.org), a wildcard at one end (*.example.org, www.example.*, .example.org), or a regex after ~',
    };
  }
  if (!name.startsWith('~')) return undefined;
  if (name === '~') return { refused: `empty regex in server name "~"`, fix: 'write the regex after ~, or remove the ~' };
  const error = regexError(name.slice(1));
  return error === undefined ? undefined : { refused: `pcre2_compile() failed: ${error} in "${name.slice(1)}"`, fix: 'correct the regex' };
}

/**
 * Pure: PCRE2's error for a pattern that certainly does not compile: a `\` at its end, a character class or a
 * parenthesis left open, or a `)` with no `(`; undefined when none is certain. `\Q...\E` is literal, `(?#...)` a
 * comment; inside a class parentheses are literal. A POSIX class (`[:alpha:]`) is read as literal characters, which
 * may only hide an error, never make one.
 */
export function regexError(pattern: string): string | undefined {
  // Extended mode's `#` comments and a callout's string argument may hold any parenthesis: not judged.
  if (/\(\?[a-zA-Z^-]*x/.test(pattern) || pattern.includes('(?C')) return undefined;
  let depth = 0;
  let index = 0;
  while (index < pattern.length) {
    const char = pattern[index]!;
    if (char === '\\') {
      if (index + 1 >= pattern.length) return '\\ at end of pattern';
      const next = pattern[index + 1]!;
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', index + 2);
        if (end < 0) return depth > 0 ? 'missing closing parenthesis' : undefined;
        index = end + 2;
        continue;
      }
      index = escapeEnd(pattern, index);
      continue;
    }
    if (char === '[') {
      const end = classEnd(pattern, index);
      if (end === undefined) return 'missing terminating ] for character class';
      index = end + 1;
      continue;
    }
    // A verb's name (`(*MARK:NAME)`) holds anything but `)`.
    if (char === '(' && pattern[index + 1] === '*') {
      const end = pattern.indexOf(')', index);
      if (end < 0) return undefined;
      index = end + 1;
      continue;
    }
    if (char === '(' && pattern.startsWith('(?#', index)) {
      const end = pattern.indexOf(')', index);
      if (end < 0) return 'missing ) after (?# comment';
      index = end + 1;
      continue;
    }
    if (char === '(') depth++;
    else if (char === ')' && --depth < 0) return 'unmatched closing parenthesis';
    index++;
  }
  return depth > 0 ? 'missing closing parenthesis' : undefined;
}

/** The index of the `]` that closes the class opened at `start`, a `]` first in it (after `^`) being literal; undefined when none does. */
function classEnd(pattern: string, start: number): number | undefined {
  let index = start + 1;
  if (pattern[index] === '^') index++;
  if (pattern[index] === ']') index++;
  while (index < pattern.length) {
    const char = pattern[index]!;
    if (char === '\\') {
      if (pattern[index + 1] === 'Q') {
        const end = pattern.indexOf('\\E', index + 2);
        if (end < 0) return undefined;
        index = end + 2;
        continue;
      }
      index = escapeEnd(pattern, index);
      continue;
    }
    // A POSIX class (`[:alpha:]`) in it, as PCRE2's check_posix_syntax finds it: its `]` closes nothing.
    const posix = pattern[index + 1];
    if (char === '[' && (posix === ':' || posix === '.' || posix === '=')) {
      const end = posixEnd(pattern, index + 1);
      if (end !== undefined) {
        index = end + 2;
        continue;
      }
    }
    if (char === ']') return index;
    index++;
  }
  return undefined;
}

/**
 * The index after an escape at `start` (a `\`): `\c` takes the character after it (`\c(` is a control
 * character), `\x{...}` and its kin their braces.
 */
function escapeEnd(pattern: string, start: number): number {
  const letter = pattern[start + 1];
  if (letter === 'c') return start + 3;
  if (letter !== undefined && 'xoNpPgk'.includes(letter) && pattern[start + 2] === '{') {
    const end = pattern.indexOf('}', start + 3);
    return end < 0 ? start + 2 : end + 1;
  }
  return start + 2;
}

/** PCRE2's check_posix_syntax: the index of the terminator (`:`, `.` or `=`) before the `]` that ends a POSIX class opened at `start` (its terminator), or undefined. */
function posixEnd(pattern: string, start: number): number | undefined {
  const terminator = pattern[start];
  for (let index = start + 1; pattern.length - index >= 2; index++) {
    const char = pattern[index];
    if (char === '\\' && (pattern[index + 1] === ']' || pattern[index + 1] === '\\')) index++;
    else if ((char === '[' && pattern[index + 1] === terminator) || char === ']') return undefined;
    else if (char === terminator && pattern[index + 1] === ']') return index;
  }
  return undefined;
}
