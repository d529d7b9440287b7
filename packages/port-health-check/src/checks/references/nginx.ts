// An nginx site: every `listen` on the service's port, every `proxy_pass` to
// this machine on the upstream's port, and the upstream's metrics location
// restricted (`deny all`). Read as nginx reads it: statements ended by `;`,
// `{` or `}`, whatever the lines (one-line blocks included), `#` comments.
import { type Finding, isLoopbackHost, parseUrl } from './finding.js';
import { includedFiles, includePath, type IncludeLookup } from './include-files.js';

export interface NginxExpectations {
  readonly name: string;
  readonly port: number;
  readonly upstream: { readonly name: string; readonly port: number; readonly metrics: string };
}

interface Statement {
  readonly line: number;
  /** The directive and its arguments, quotes removed and escapes applied, as nginx reads them. */
  readonly words: readonly string[];
  /** What ended it: `;` a directive, `{` a block opening, `}` a block closing. */
  readonly end: ';' | '{' | '}';
}

const SPACE = new Set([' ', '\t', '\r', '\n']);

/**
 * nginx's configuration as statements, read as nginx's own tokenizer
 * (ngx_conf_read_token) reads it: words separated by spaces; `;` and `{` end
 * a statement, `}` (at the start of a word) closes a block; `#` starts a
 * comment only at the start of a word (`http://h/#x` is one word); a word in
 * `"..."` or `'...'` loses its quotes (`listen "8080";` is port 8080) and
 * `\\` escapes the next character; `${name}` is one word. Each statement keeps
 * the line its first word starts on.
 */
export function nginxStatements(text: string): Statement[] {
  const statements: Statement[] = [];
  let words: string[] = [];
  let startLine = 1;
  let line = 1;
  let index = 0;
  const length = text.length;
  while (index < length) {
    const char = text[index]!;
    if (SPACE.has(char)) {
      if (char === '\n') line++;
      index++;
      continue;
    }
    if (char === '#') {
      while (index < length && text[index] !== '\n') index++;
      continue;
    }
    if (words.length === 0) startLine = line;
    if (char === ';' || char === '{' || char === '}') {
      statements.push({ line: startLine, words, end: char });
      words = [];
      index++;
      continue;
    }
    // A word: quoted, or up to a space, `;` or `{` (a `}` inside a word is part of it, as in nginx).
    let word = '';
    const quote = char === '"' || char === "'" ? char : undefined;
    if (quote) index++;
    let variable = false;
    while (index < length) {
      const c = text[index]!;
      if (c === '\\' && index + 1 < length) {
        const next = text[index + 1]!;
        // nginx keeps a backslash before anything but a quote, a backslash, t, r or n.
        word += next === '"' || next === "'" || next === '\\' ? next : next === 't' ? '\t' : next === 'r' ? '\r' : next === 'n' ? '\n' : `\\${next}`;
        if (next === '\n') line++;
        index += 2;
        continue;
      }
      if (quote) {
        index++;
        if (c === quote) break;
        if (c === '\n') line++;
        word += c;
        continue;
      }
      if (SPACE.has(c) || c === ';' || (c === '{' && !variable)) break;
      variable = c === '$';
      word += c;
      index++;
    }
    words.push(word);
  }
  if (words.length > 0) statements.push({ line: startLine, words, end: ';' }); // an unterminated last statement, read as nginx would have it
  return statements;
}

/**
 * The statements of a site with every `include FILE;` replaced by the
 * statements of the files it names (from the facts), as nginx reads them;
 * each keeps the file it came from (undefined: the site itself). An include
 * it cannot read is an unknown finding.
 */
function siteStatements(text: string, lookup: IncludeLookup | undefined, findings: Finding[], self: string | undefined): (Statement & { file?: string })[] {
  const all: (Statement & { file?: string })[] = [];
  const read = (source: string, file: string | undefined, chain: readonly string[]): void => {
    for (const statement of nginxStatements(source)) {
      if (statement.end === ';' && statement.words[0] === 'include' && statement.words[1] !== undefined) {
        const included = includedFiles(lookup, includePath('nginx-site', statement.words[1]), chain);
        if ('problem' in included) {
          findings.push({
            ...(file !== undefined && { file }),
            line: statement.line,
            severity: 'unknown',
            message: `include ${statement.words[1]}: ${included.problem}; a listen or proxy_pass in it is not checked`,
          });
        } else for (const each of included.files) read(each.text, each.path, [...chain, each.path]);
        continue;
      }
      all.push({ ...statement, ...(file !== undefined && { file }) });
    }
  };
  read(text, undefined, self !== undefined ? [self] : []);
  return all;
}

export function readNginxSite(text: string, expect: NginxExpectations, lookup?: IncludeLookup, self?: string): Finding[] {
  const findings: Finding[] = [];
  const open: { file?: string; path?: string; line: number; denyAll: boolean }[] = [];
  const metricsLocations: { file?: string; path: string; line: number; denyAll: boolean }[] = [];
  let listens = 0;
  for (const statement of siteStatements(text, lookup, findings, self)) {
    const file = statement.file !== undefined ? { file: statement.file } : {};
    if (statement.end === '{') {
      const location = statement.words[0] === 'location' ? /^(?:[=~^*]+ ?)?(\S+)$/.exec(statement.words.slice(1).join(' ')) : null;
      open.push({ ...file, ...(location && { path: location[1]! }), line: statement.line, denyAll: false });
      continue;
    }
    if (statement.end === '}') {
      const closed = open.pop();
      if (closed?.path?.startsWith(expect.upstream.metrics)) metricsLocations.push({ ...closed, path: closed.path });
      continue;
    }
    const [directive, ...args] = statement.words;
    const { line } = statement;
    if (directive === 'listen' && args[0] !== undefined && !args[0].startsWith('unix:')) {
      listens++;
      const value = args[0];
      const port = /^\d+$/.test(value) ? Number(value) : Number(/:(\d+)$/.exec(value)?.[1] ?? 80);
      if (port !== expect.port)
        findings.push({ ...file, line, severity: 'error', message: `listen ${value}, but the registry says ${expect.name} uses port ${expect.port}` });
    }
    if (directive === 'proxy_pass' && args[0] !== undefined) {
      const url = parseUrl(args[0]);
      if (url && isLoopbackHost(url.host) && url.port !== expect.upstream.port) {
        findings.push({ ...file, line, severity: 'error', message: `proxy_pass ${args[0]}, but ${expect.upstream.name} uses port ${expect.upstream.port}` });
      }
    }
    if (directive === 'deny' && args[0] === 'all' && open.length > 0) open[open.length - 1]!.denyAll = true;
  }
  for (const unclosed of open) if (unclosed.path?.startsWith(expect.upstream.metrics)) metricsLocations.push({ ...unclosed, path: unclosed.path });
  if (listens === 0) findings.push({ line: 0, severity: 'warning', message: `no listen directive (nginx then listens on 80); add listen ${expect.port};` });
  for (const location of metricsLocations) {
    if (!location.denyAll) {
      findings.push({
        ...(location.file !== undefined && { file: location.file }),
        line: location.line,
        severity: 'error',
        message: `location ${location.path} is not restricted to localhost; add allow 127.0.0.1; deny all;`,
      });
    }
  }
  if (metricsLocations.length === 0) {
    findings.push({
      line: 0,
      severity: 'warning',
      message: `no location ${expect.upstream.metrics} restricting ${expect.upstream.name}'s metrics to localhost (ports snippet nginx-site)`,
    });
  }
  return findings;
}
