// A Grafana datasource provisioning file: each Prometheus datasource's `url:`
// on this machine points at the upstream's (Prometheus's) port, by the scheme
// its registry protocol says (https for an HTTPS Prometheus). A datasource
// of another type in the same file (Loki on 3100, Tempo on 3200) listens
// elsewhere, and is left alone. A key may be quoted (`"url":`), and a
// datasource may be a flow mapping on its line (`- {type: prometheus, url: ...}`).
// What a quoted scalar holds is text (`name: "a, b}"`, `"#1"`), as YAML reads
// it: the scanners of prometheus-jobs.ts read it so.
import { escapeText, type UrlScheme } from '@dsa110/ports';
import { goPort } from '../go-port.js';
import {
  type BoundAddress,
  characterColumn,
  type Finding,
  notAPort,
  portFix,
  refusedConnection,
  registryInstead,
  type RegistryTakes,
  yamlLineBreaks,
} from './finding.js';
import { isThisHost } from './prometheus.js';
import { flowMappingEntries } from './prometheus-files.js';
import { isSpaceAt, maskQuoted, valueReader } from './prometheus-jobs.js';

interface Datasource {
  /** Its `type:`, undefined when the entry names none (then it is held to the port, as before types were read). */
  type?: string;
  /** Where its list item's `-` stands. */
  readonly indent: number;
  /** Where its own keys stand (after the `-`, or on the next line). */
  keyIndent?: number;
  /** Each url: its line, and the column it starts at (the first place its text stands on the line). */
  readonly urls: { line: number; column?: number; url: string }[];
}

const URL_KEY = /^(['"]?)url\1:\s*['"]?([^'"\s]+)/;
const TYPE_KEY = /^(['"]?)type\1:\s*['"]?([^'"\s]+)/;

/**
 * `http://host:port/...` (any case of the scheme, as Grafana's Go client takes it) -> scheme, host and port (the
 * scheme's default when absent, or empty after the colon, as Go's client dials it); `badPort`, the text after the
 * host's colon, when that is no port (`9x90`, `99999`: Go refuses the URL, or fails to dial it); undefined for
 * anything else (a `$VAR` port, which Grafana expands from its environment, a user:password@ part).
 */
function readUrl(url: string): { scheme: UrlScheme; host: string; port: number } | { scheme: UrlScheme; host: string; badPort: string } | undefined {
  const match = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#\s]+)(?::([^/?#@]*))?(?:[/?#]|$)/i.exec(url);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase() === 'https' ? 'https' : 'http';
  const [host, written] = [match[2]!, match[3]];
  if (written === undefined || written === '') return { scheme, host, port: scheme === 'https' ? 443 : 80 };
  if (written.includes('$')) return undefined;
  const port = goPort(written);
  return port === undefined ? { scheme, host, badPort: written } : { scheme, host, port };
}

/**
 * An error for a url to the upstream's port whose scheme is not the one the registry's protocol says it speaks.
 * Grafana saves the datasource either way; its queries then fail: http to a TLS Prometheus is answered 400
 * ("Client sent an HTTP request to an HTTPS server"), https to a plain one fails ("server gave HTTP response to HTTPS client").
 */
function wrongScheme(url: string, scheme: UrlScheme, expect: DatasourceExpectations): string | undefined {
  const wanted = expect.upstream.scheme;
  if (wanted === undefined || scheme === wanted) return undefined;
  const { name } = expect.upstream;
  const fixed = `${wanted}${url.slice(url.indexOf(':'))}`;
  const why =
    wanted === 'https'
      ? `is HTTPS, so its queries are answered 400 ("Client sent an HTTP request to an HTTPS server")`
      : `is plain HTTP, so its queries fail ("server gave HTTP response to HTTPS client")`;
  return `url ${escapeText(url, 200)} reaches ${name} by ${scheme}, but the registry says ${name} ${why}; write url: ${escapeText(fixed, 200)} (${expect.snippet}), or give ${name} protocol: ${wanted === 'https' ? 'HTTP' : 'HTTPS'} in the registry`;
}

/**
 * An error for a url on this host, on the upstream's port, that none of the sockets listening there takes
 * (refusedConnection): Grafana's connection is refused, and its queries fail ("connection refused"). The fix writes
 * the address to connect to instead in the url's host and port.
 */
function refusedUrl(url: string, host: string, expect: DatasourceExpectations): string | undefined {
  const refused = refusedConnection(host, expect.upstream.port, expect.upstream.listeners);
  if (!refused) return undefined;
  const start = url.indexOf('://') + 3;
  const authority = /^[^/?#]*/.exec(url.slice(start))![0];
  const fixed = `${url.slice(0, start)}${refused.instead}${url.slice(start + authority.length)}`;
  return `url ${escapeText(url, 200)}, but ${refused.why}, so Grafana's connection to ${expect.upstream.name} is refused and its queries fail; write url: ${escapeText(fixed, 200)} (${expect.snippet})`;
}

/**
 * The outer `type` and `url` of a flow mapping written on one line
 * (`{name: A, type: prometheus, url: "http://..."}`), as YAML reads them
 * (a `,` or `}` inside quotes ends nothing; quotes and escapes undone); the
 * first of each; undefined when it does not close on the line (not read).
 */
function flowDatasource(text: string): { type?: string; url?: string; urlAt?: number } | undefined {
  const masked = maskQuoted(text);
  if (!masked.endsWith('}')) return undefined; // a `}` inside quotes closes nothing
  const found: { type?: string; url?: string; urlAt?: number } = {};
  const valueAt = valueReader(text, masked);
  for (const { key, colon } of flowMappingEntries(text)) {
    if ((key !== 'type' && key !== 'url') || found[key] !== undefined) continue;
    let value = colon + 1;
    while (isSpaceAt(text, value)) value++;
    found[key] = valueAt(value).items[0] ?? '';
    // Where its text starts: inside its quotes, if quoted.
    if (key === 'url') found.urlAt = value + (text[value] === '"' || text[value] === "'" ? 1 : 0);
  }
  return found;
}

/** The column (in characters, Finding.column) of the text at UTF-16 `index` of its line: where the reader found the url, not the first place the same text stands on the line. */
const columnOf = (raw: string, index: number): { column: number } => ({ column: characterColumn(raw, 0, index) });

/** A line without its comment: a `#` at its start or after white space, outside quotes, as YAML has it (`"#1"` and `http://h/#x` hold none). */
function withoutComment(raw: string): string {
  const masked = maskQuoted(raw);
  for (let at = masked.indexOf('#'); at >= 0; at = masked.indexOf('#', at + 1)) {
    if (at === 0 || isSpaceAt(masked, at - 1)) return raw.slice(0, at);
  }
  return raw;
}

/**
 * `snippet`: the command that prints the datasource as the registry wants it (`ports snippet grafana-datasource`, as the references check builds it);
 * `upstream.scheme`: the one it is reached by (urlScheme), left out when a url's scheme is not held to it;
 * `upstream.listeners`: the sockets listening on its port on this machine, when they were read: a url on this host that none of
 * them takes (refusedConnection: `127.0.0.2:PORT` beside a listener on 127.0.0.1 only) is refused. Left out, or none, it is held to the port alone.
 */
export interface DatasourceExpectations {
  readonly upstream: {
    readonly name: string;
    readonly port: number;
    readonly scheme?: UrlScheme;
    readonly listeners?: readonly BoundAddress[];
    /** Whether the registry would take a url's port for the upstream instead (RegistryTakes). */
    readonly registryTakes?: RegistryTakes;
  };
  readonly snippet: string;
}

export function readGrafanaDatasource(text: string, expect: DatasourceExpectations): Finding[] {
  const findings: Finding[] = [];
  let urls = 0;
  const check = ({ type, urls: found }: Pick<Datasource, 'type' | 'urls'>): void => {
    if (type !== undefined && type !== 'prometheus') return;
    for (const { line, column, url } of found) {
      const parsed = readUrl(url);
      if (parsed && 'badPort' in parsed) {
        // An http(s) URL whose port is none: its queries fail wherever it points. What it means to say: this host on the upstream's port, or some port of another.
        const fix = isThisHost(parsed.host) ? portFix('its port', expect.upstream.port, expect.snippet) : 'write the port the server listens on';
        findings.push({
          line,
          ...(column !== undefined && { column }),
          severity: 'error',
          message: `url ${escapeText(url, 200)}: ${notAPort(parsed.badPort)}, so Grafana's queries to it fail; ${fix}`,
        });
      } else if (!parsed) {
        findings.push({
          line,
          severity: 'unknown',
          message: `url ${escapeText(url, 200)} is not an http(s) URL this check reads: whether it is ${expect.upstream.name} on port ${expect.upstream.port} is not known`,
        });
      } else if (isThisHost(parsed.host) && parsed.port !== expect.upstream.port) {
        findings.push({
          line,
          ...(column !== undefined && { column }),
          severity: 'error',
          message: `url ${escapeText(url, 200)}, but ${expect.upstream.name} uses port ${expect.upstream.port}; ${portFix('its port', expect.upstream.port, expect.snippet, registryInstead(expect.upstream, parsed.port))}`,
        });
      } else if (isThisHost(parsed.host)) {
        const at = { line, ...(column !== undefined && { column }) };
        const refused = refusedUrl(url, parsed.host, expect);
        if (refused !== undefined) findings.push({ ...at, severity: 'error', message: refused });
        const message = wrongScheme(url, parsed.scheme, expect);
        if (message !== undefined) findings.push({ ...at, severity: 'error', message });
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
    const uncommented = withoutComment(raw);
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
    if (content.startsWith('{') && current !== undefined && indent === current.keyIndent) {
      const flow = flowDatasource(content);
      if (!flow) {
        findings.push({
          line: index + 1,
          severity: 'unknown',
          message: 'a datasource written as a flow mapping over several lines is not read: its url is not checked',
        });
        urls++; // said here: not "no url"
        continue;
      }
      if (flow.type !== undefined) current.type = flow.type.toLowerCase();
      if (flow.url !== undefined) {
        urls++;
        current.urls.push({ line: index + 1, ...columnOf(raw, indent + flow.urlAt!), url: flow.url });
      }
      continue;
    }
    const url = URL_KEY.exec(content);
    if (url) {
      urls++;
      // The content starts at `indent` of the line (after any `- `), the url at the end of the key's match.
      entry.urls.push({ line: index + 1, ...columnOf(raw, indent + url[0].length - url[2]!.length), url: url[2]! });
    }
    const type = TYPE_KEY.exec(content);
    // The entry's own `type:` (where its first key stands), not one in a map inside it.
    if (type && current !== undefined && indent === current.keyIndent) current.type = type[2]!.toLowerCase();
  }
  if (current) check(current);
  check(loose);
  if (urls === 0) findings.push({ line: 0, severity: 'warning', message: `no datasource url: for ${expect.upstream.name} (${expect.snippet})` });
  return findings.sort((a, b) => a.line - b.line);
}
