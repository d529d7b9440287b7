// The small pieces of systemd's command-line and environment syntax the
// health check needs: splitting into words with quotes and C escapes, the
// ExecStartPre= prefix characters, Environment= assignments, and $VAR /
// ${VAR} expansion. Pure functions; see systemd.service(5) "Command lines"
// and systemd.exec(5) "Environment=".

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', s: ' ' };

/** Split on white space; single and double quotes group, backslash escapes. Unbalanced quotes run to the end. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\' && index + 1 < text.length) {
      const next = text[++index]!;
      word = (word ?? '') + (ESCAPES[next] ?? next);
    } else if (quote) {
      if (char === quote) quote = undefined;
      else word = (word ?? '') + char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= '';
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** `%%` is a literal percent sign; other specifiers are left as written (they never name a port). */
export function expandSpecifiers(text: string): string {
  return text.replace(/%%/g, '%');
}

const PREFIX_CHARS = new Set(['-', '@', ':', '+', '!']);

/** Split an Exec*= value into its prefix characters and the rest. */
export function splitExecPrefixes(value: string): { prefixes: string; command: string } {
  let index = 0;
  while (index < value.length && PREFIX_CHARS.has(value[index]!)) index++;
  return { prefixes: value.slice(0, index), command: value.slice(index) };
}

/**
 * The argv systemd would run: words split, then `${VAR}` replaced inside a
 * word and a word that is exactly `$VAR` replaced by the value's words
 * (nothing when unset). The `:` prefix turns expansion off.
 */
export function execArgv(command: string, env: ReadonlyMap<string, string>, expand = true): string[] {
  const words = splitWords(expandSpecifiers(command));
  if (!expand) return words;
  const argv: string[] = [];
  for (const word of words) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole) {
      const value = env.get(whole[1]!);
      if (value !== undefined) argv.push(...value.split(/\s+/).filter(Boolean));
      continue;
    }
    argv.push(word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env.get(name) ?? ''));
  }
  return argv;
}

/** The `NAME=value` assignments of one Environment= line; invalid words are skipped, as systemd does. */
export function parseEnvironment(value: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const word of splitWords(expandSpecifiers(value))) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(word);
    if (match) pairs.push([match[1]!, match[2]!]);
  }
  return pairs;
}
