/**
 * The one-character escapes of a double-quoted YAML scalar (YAML 1.2, 5.7;
 * Go's yaml.v2 reads the same), each as the character it stands for, besides
 * `\\`, `\"` and `\/` (themselves): for code that decodes such a scalar by
 * hand, or finds the escape that wrote a character (the registry's messages,
 * the health check's prometheus.yml reader).
 */
export const YAML_DOUBLE_QUOTE_ESCAPES: Readonly<Record<string, string>> = Object.freeze({
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
});
