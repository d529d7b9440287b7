// A Grafana datasource provisioning file: each Prometheus datasource's `url:`
// on this machine points at the upstream's (Prometheus's) port. A datasource
// of another type in the same file (Loki on 3100, Tempo on 3200) listens
// elsewhere, and is left alone.
import { type Finding, isLoopbackHost, parseUrl, yamlLineBreaks } from './finding.js';

interface Datasource {
  /** Its `type:`, undefined when the entry names none (then it is held to the port, as before types were read). */
  type?: string;
  /** Where its list item's `-` stands. */
  readonly indent: number;
  /** Where its own keys stand (after the `-`, or on the next line). */
  keyIndent?: number;
  readonly urls: { line: number; url: string }[];
}

const URL_KEY = /^url:\s*['"]?([^'"\s]+)/;
const TYPE_KEY = /^type:\s*['"]?([^'"\s]+)/;

export function readGrafanaDatasource(text: string, expect: { upstream: { name: string; port: number } }): Finding[] {
  const findings: Finding[] = [];
  let urls = 0;
  const check = ({ type, urls: found }: Pick<Datasource, 'type' | 'urls'>): void => {
    if (type !== undefined && type !== 'prometheus') return;
    for (const { line, url } of found) {
      const parsed = parseUrl(url);
      if (parsed && isLoopbackHost(parsed.host) && parsed.port !== expect.upstream.port) {
        findings.push({ line, severity: 'error', message: `url ${url}, but ${expect.upstream.name} uses port ${expect.upstream.port}` });
      }
    }
  };
  // Datasources are the items of a block list: an item starts at `- ` at the
  // list's indentation; a deeper `- ` is a list inside one (jsonData's).
  let current: Datasource | undefined;
  const loose: Datasource = { indent: -1, urls: [] };
  const lines = yamlLineBreaks(text).split('\n');
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    const hash = raw.indexOf('#');
    const uncommented = hash < 0 ? raw : raw.slice(0, hash);
    let content = uncommented.trim(); // trim() also drops a CRLF file's \r
    if (content === '') continue;
    let indent = uncommented.length - uncommented.trimStart().length;
    if (content === '-' || content.startsWith('- ')) {
      if (current === undefined || indent <= current.indent) {
        if (current) check(current);
        current = { indent, urls: [] };
      }
      const rest = content.slice(1).trimStart();
      indent += content.length - rest.length;
      content = rest;
      if (content === '') continue;
    } else if (current !== undefined && indent <= current.indent) {
      check(current); // the list has ended
      current = undefined;
    }
    if (current !== undefined) current.keyIndent ??= indent;
    const entry = current ?? loose;
    const url = URL_KEY.exec(content);
    if (url) {
      urls++;
      entry.urls.push({ line: index + 1, url: url[1]! });
    }
    const type = TYPE_KEY.exec(content);
    // The entry's own `type:` (where its first key stands), not one in a map inside it.
    if (type && current !== undefined && indent === current.keyIndent) current.type = type[1]!.toLowerCase();
  }
  if (current) check(current);
  check(loose);
  if (urls === 0) findings.push({ line: 0, severity: 'warning', message: `no datasource url: for ${expect.upstream.name} (ports snippet grafana-datasource)` });
  return findings.sort((a, b) => a.line - b.line);
}
