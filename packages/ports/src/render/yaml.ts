// A small YAML writer for the generated Prometheus and Grafana files: block
// maps and lists, every string quoted (single quotes, or a JSON string when it holds
// control characters: JSON strings are YAML scalars), so nothing a registry holds can change the document's shape.
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

function hasControl(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029 || code === 0xfeff) return true;
  }
  return false;
}

/** Single-quoted (only ' is special: doubled) when the text is printable; else a JSON string. */
export function quote(text: string): string {
  if (hasControl(text)) return JSON.stringify(text);
  return `'${text.replace(/'/g, "''")}'`;
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
  return `${[...header.map((line) => `# ${line}`.trimEnd()), ...lines(value, '')].join('\n')}\n`;
}
