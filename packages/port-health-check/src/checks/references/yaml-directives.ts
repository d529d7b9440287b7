// Directives Go's yaml.v2 (Prometheus's parser) refuses before the first
// document: `%YAML` other than 1.1 ("found incompatible YAML document"), a
// second `%YAML` ("found duplicate %YAML directive"), a `%TAG` handle given
// twice ("found duplicate %TAG directive"), and a name other than YAML or TAG
// ("found unknown directive name"). Each refuses the whole file (promtool
// check config 2.42); other YAML readers take some of them.

/** A directive yaml.v2 refuses: its line and promtool's words. */
export interface RefusedDirective {
  readonly line: number;
  readonly promtool: string;
}

/** The first directive yaml.v2 refuses among the lines before the first document's content, if any. */
export function refusedDirective(text: string): RefusedDirective | undefined {
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\r|\n/);
  let version = false;
  const tags = new Set<string>();
  for (const [index, raw] of lines.entries()) {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (!raw.startsWith('%')) return undefined; // a document's content, or its `---`
    const line = index + 1;
    const [name = '', value = ''] = raw.slice(1).split(/[ \t]+/);
    if (name === 'YAML') {
      if (version) return { line, promtool: 'found duplicate %YAML directive' };
      version = true;
      if (value !== '1.1') return { line, promtool: 'found incompatible YAML document' };
    } else if (name === 'TAG') {
      if (tags.has(value)) return { line, promtool: 'found duplicate %TAG directive' };
      tags.add(value);
    } else return { line, promtool: 'found unknown directive name' };
  }
  return undefined;
}
