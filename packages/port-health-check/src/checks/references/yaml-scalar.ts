// A YAML scalar's text as YAML reads it, from its text as written: the
// quotes dropped, `''` in single quotes one quote, the escapes of double
// quotes applied. Shared by prometheus.yml's line reader and its reading of
// repeated keys (a key is the same key however it is quoted or escaped).
import { YAML_DOUBLE_QUOTE_ESCAPES } from '@dsa110/ports';

/** The text without a quote (`'` or `"`) at its start and one at its end, each if there. */
export function unquote(text: string): string {
  const start = isQuote(text.charCodeAt(0)) ? 1 : 0;
  const end = text.length > start && isQuote(text.charCodeAt(text.length - 1)) ? text.length - 1 : text.length;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

export const isQuote = (code: number) => code === 39 /* ' */ || code === 34; /* " */

/**
 * A scalar as YAML reads it: `'it''s'` is it's, `"a\"b\tc"` has its escapes
 * applied, a plain one is itself; a lone quote at either end is dropped, as
 * unquote does.
 */
export function yamlScalar(text: string): string {
  const quote = text[0];
  if (text.length < 2 || (quote !== "'" && quote !== '"') || text[text.length - 1] !== quote) return unquote(text);
  const inner = text.slice(1, -1);
  if (quote === "'") return inner.replaceAll("''", "'");
  return inner.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[\s\S])/g, (whole, escaped: string) => {
    if (escaped.length === 1) return YAML_DOUBLE_QUOTE_ESCAPES[escaped] ?? escaped;
    const point = parseInt(escaped.slice(1), 16);
    return point <= 0x10ffff ? String.fromCodePoint(point) : whole; // past Unicode: YAML refuses it, and so does Prometheus
  });
}
