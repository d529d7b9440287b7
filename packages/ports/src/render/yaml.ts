// A small YAML writer for the generated Prometheus and Grafana files: block
// maps and lists, every string quoted (single quotes, or double quotes with escapes when it
// holds a character a reader would not take as written), so nothing a registry holds can change the document's shape.
// No dependency: the `ports` bin stays free of the yaml package at start-up.

export type YamlValue = string | number | boolean | null | readonly YamlValue[] | { readonly [key: string]: YamlValue | undefined };

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function scalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`yaml: cannot write the number ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  return quote(value);
}

/**
 * What a YAML reader does not read back as written: C0 and C1 controls and DEL
 * (go-yaml, which Prometheus uses, refuses the file: "control characters are
 * not allowed"), the line breaks YAML 1.1 adds to \n (NEL, LS, PS: folded to a
 * space even inside quotes), the byte order mark, U+FFFE and U+FFFF (refused),
 * and a lone surrogate (no UTF-8 holds it).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const NOT_AS_WRITTEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

/** `char` as a YAML double-quoted escape; a lone surrogate, which no escape can write, as U+FFFD (as wellFormedJson). */
function escaped(char: string): string {
  const code = char.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) return '\uFFFD';
  return NAMED_ESCAPES[char] ?? `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Single-quoted (only ' is special: doubled) when every character reads back
 * as written; else double-quoted, with `\` and `"` escaped and each character
 * of NOT_AS_WRITTEN as an escape (`\n`, `\u007f`), which YAML 1.1 and 1.2
 * readers alike turn back into it.
 */
export function quote(text: string): string {
  if (text.search(NOT_AS_WRITTEN) === -1) return `'${text.replace(/'/g, "''")}'`;
  return `"${text.replace(/[\\"]/g, '\\$&').replace(NOT_AS_WRITTEN, escaped)}"`;
}

/** A comment line: nothing in it may end the comment (a line break) or make a reader refuse the file. */
function comment(line: string): string {
  return `# ${line.replace(NOT_AS_WRITTEN, escaped)}`.trimEnd();
}

function key(name: string): string {
  return PLAIN_KEY.test(name) ? name : quote(name);
}

function isEmpty(value: YamlValue): boolean {
  return Array.isArray(value) ? value.length === 0 : typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

function lines(value: YamlValue, indent: string): string[] {
  if (value === null || typeof value !== 'object') return [`${indent}${scalar(value)}`];
  if (Array.isArray(value)) {
    return value.flatMap((item: YamlValue) => {
      if (item !== null && typeof item === 'object' && !isEmpty(item)) {
        const [first, ...rest] = lines(item, `${indent}  `);
        return [`${indent}- ${first!.slice(indent.length + 2)}`, ...rest];
      }
      return [`${indent}- ${inline(item)}`];
    });
  }
  return Object.entries(value).flatMap(([name, item]) => {
    if (item === undefined) return [];
    if (item !== null && typeof item === 'object' && !isEmpty(item)) return [`${indent}${key(name)}:`, ...lines(item, `${indent}  `)];
    return [`${indent}${key(name)}: ${inline(item)}`];
  });
}

function inline(value: YamlValue): string {
  if (Array.isArray(value)) return '[]';
  if (value !== null && typeof value === 'object') return '{}';
  return scalar(value as string | number | boolean | null);
}

/** The document, with `header` lines as # comments on top. */
export function toYaml(value: YamlValue, header: readonly string[] = []): string {
  return `${[...header.map(comment), ...lines(value, '')].join('\n')}\n`;
}
