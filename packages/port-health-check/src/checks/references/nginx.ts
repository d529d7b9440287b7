// An nginx site: every `listen` on the service's port, every `proxy_pass` to
// this machine on the upstream's port, and the upstream's metrics location
// restricted (`deny all`). Read as nginx reads it: statements ended by `;`,
// `{` or `}`, whatever the lines (one-line blocks included), `#` comments.
import { type Finding, isLoopbackHost, parseUrl } from './finding.js';

export interface NginxExpectations {
  readonly name: string;
  readonly port: number;
  readonly upstream: { readonly name: string; readonly port: number; readonly metrics: string };
}

interface Statement {
  readonly line: number;
  readonly text: string;
  /** What ended it: `;` a directive, `{` a block opening, `}` a block closing. */
  readonly end: ';' | '{' | '}';
}

/** nginx's configuration as statements with the line each starts on: `;`, `{` and `}` end them, `#` comments to the end of the line. */
export function nginxStatements(text: string): Statement[] {
  const statements: Statement[] = [];
  let current = '';
  let startLine = 1;
  let line = 1;
  let quote: string | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\n') line++;
    if (quote) {
      if (char === quote && text[index - 1] !== '\\') quote = undefined;
      current += char;
      continue;
    }
    if (char === '#') {
      while (index + 1 < text.length && text[index + 1] !== '\n') index++;
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    if (char === ';' || char === '{' || char === '}') {
      statements.push({ line: startLine, text: current.trim().replace(/\s+/g, ' '), end: char });
      current = '';
      continue;
    }
    if (current.trim() === '' && !/\s/.test(char)) startLine = line;
    current += char;
  }
  return statements;
}

export function readNginxSite(text: string, expect: NginxExpectations): Finding[] {
  const findings: Finding[] = [];
  const open: { path?: string; line: number; denyAll: boolean }[] = [];
  const metricsLocations: { path: string; line: number; denyAll: boolean }[] = [];
  let listens = 0;
  for (const statement of nginxStatements(text)) {
    if (statement.end === '{') {
      const location = /^location (?:[=~^*]+ )?(\S+)$/.exec(statement.text);
      open.push({ ...(location && { path: location[1]! }), line: statement.line, denyAll: false });
      continue;
    }
    if (statement.end === '}') {
      const closed = open.pop();
      if (closed?.path?.startsWith(expect.upstream.metrics)) metricsLocations.push({ path: closed.path, line: closed.line, denyAll: closed.denyAll });
      continue;
    }
    const [directive, ...args] = statement.text.split(' ');
    const { line } = statement;
    if (directive === 'listen' && args[0] !== undefined && !args[0].startsWith('unix:')) {
      listens++;
      const value = args[0];
      const port = /^\d+$/.test(value) ? Number(value) : Number(/:(\d+)$/.exec(value)?.[1] ?? 80);
      if (port !== expect.port)
        findings.push({ line, severity: 'error', message: `listen ${value}, but the registry says ${expect.name} uses port ${expect.port}` });
    }
    if (directive === 'proxy_pass' && args[0] !== undefined) {
      const url = parseUrl(args[0]);
      if (url && isLoopbackHost(url.host) && url.port !== expect.upstream.port) {
        findings.push({ line, severity: 'error', message: `proxy_pass ${args[0]}, but ${expect.upstream.name} uses port ${expect.upstream.port}` });
      }
    }
    if (directive === 'deny' && args[0] === 'all' && open.length > 0) open[open.length - 1]!.denyAll = true;
  }
  for (const unclosed of open)
    if (unclosed.path?.startsWith(expect.upstream.metrics)) metricsLocations.push({ path: unclosed.path, line: unclosed.line, denyAll: unclosed.denyAll });
  if (listens === 0) findings.push({ line: 0, severity: 'warning', message: `no listen directive (nginx then listens on 80); add listen ${expect.port};` });
  for (const location of metricsLocations) {
    if (!location.denyAll) {
      findings.push({
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
