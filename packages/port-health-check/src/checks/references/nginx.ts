// An nginx site: every `listen` on the service's port, every `proxy_pass` to
// this machine on the upstream's port, and the upstream's metrics location
// restricted (`deny all`). Read as nginx reads it: statements ended by `;`,
// `{` or `}`, whatever the lines (one-line blocks included), `#` comments.
import { escapeText } from '@dsa110/ports';
import { isLoopback } from '../../address.js';
import type { Finding } from './finding.js';
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
 * the line its first word starts on. At most `limit` + 1 statements are read
 * (a file of 4 MiB of `}` is 4 million of them).
 */
export function nginxStatements(text: string, limit = Infinity): Statement[] {
  const statements: Statement[] = [];
  let words: string[] = [];
  let startLine = 1;
  const at: Cursor = { index: 0, line: 1 };
  while (at.index < text.length && statements.length <= limit) {
    const char = text[at.index]!;
    if (SPACE.has(char)) {
      if (char === '\n') at.line++;
      at.index++;
      continue;
    }
    if (char === '#') {
      const end = text.indexOf('\n', at.index);
      at.index = end < 0 ? text.length : end;
      continue;
    }
    if (words.length === 0) startLine = at.line;
    if (char === ';' || char === '{' || char === '}') {
      statements.push({ line: startLine, words, end: char });
      words = [];
      at.index++;
      continue;
    }
    words.push(readWord(text, at));
  }
  if (words.length > 0) statements.push({ line: startLine, words, end: ';' }); // an unterminated last statement, read as nginx would have it
  return statements;
}

interface Cursor {
  index: number;
  line: number;
}

/** Escaped pieces are joined this many at a time, so a word of a million escapes stays a few strings, not a million. */
const PIECES = 4096;

/**
 * One word from the cursor on, quoted or up to a space, `;` or `{` (a `}`
 * inside a word is part of it, as in nginx), the cursor left after it. The
 * word is sliced from the text between escapes: built a character at a time
 * it took about 60 bytes of memory per byte of the file (264 MB for one word
 * of 4 MiB).
 */
function readWord(text: string, at: Cursor): string {
  const quote = text[at.index] === '"' || text[at.index] === "'" ? text[at.index] : undefined;
  if (quote) at.index++;
  let done = '';
  let pieces: string[] = [];
  let from = at.index;
  let variable = false;
  while (at.index < text.length) {
    const char = text[at.index]!;
    if (char === '\\' && at.index + 1 < text.length) {
      const next = text[at.index + 1]!;
      pieces.push(text.slice(from, at.index), unescaped(next));
      if (pieces.length >= PIECES) [done, pieces] = [done + pieces.join(''), []];
      if (next === '\n') at.line++;
      at.index += 2;
      from = at.index;
      continue;
    }
    if (quote) {
      if (char === quote) {
        pieces.push(text.slice(from, at.index));
        at.index++;
        return done + pieces.join('');
      }
      if (char === '\n') at.line++;
      at.index++;
      continue;
    }
    if (SPACE.has(char) || char === ';' || (char === '{' && !variable)) break;
    variable = char === '$';
    at.index++;
  }
  pieces.push(text.slice(from, at.index));
  return done + pieces.join('');
}

/** What nginx makes of `\\` and the character after it: it keeps the backslash before anything but a quote, a backslash, t, r or n. */
function unescaped(next: string): string {
  if (next === '"' || next === "'" || next === '\\') return next;
  return next === 't' ? '\t' : next === 'r' ? '\r' : next === 'n' ? '\n' : `\\${next}`;
}

/** At most this many statements of a site and its includes are read: an include repeated in the files it includes multiplies them (5 a level, 8 deep, is 390,625). */
export const MAX_SITE_STATEMENTS = 100_000;
/** At most this much text of a site's included files is read into statements (gather reads up to 256 files of 4 MiB each). */
export const MAX_SITE_BYTES = 16 * 1024 * 1024;

type SiteStatement = Statement & { readonly file?: string };

/** A file being read while its includes are spliced in: its statements, the next one, the chain of files that include it. */
interface Frame {
  readonly statements: readonly Statement[];
  next: number;
  readonly file?: string;
  readonly chain: readonly string[];
}

/** What the site's statements are read with: the facts, the findings so far, the budgets left and the files already read into statements. */
interface Reading {
  readonly lookup: IncludeLookup | undefined;
  readonly findings: Finding[];
  statementsLeft: number;
  bytesLeft: number;
  readonly parsed: Map<string, readonly Statement[]>;
  /** An include could not be read: what it may hold (a listen, a proxy_pass) is not known. */
  unread: boolean;
}

const isInclude = (statement: Statement): boolean => statement.end === ';' && statement.words[0] === 'include' && statement.words[1] !== undefined;

/**
 * The statements of a site with every `include FILE;` replaced by the
 * statements of the files it names (from the facts), as nginx reads them;
 * each keeps the file it came from (undefined: the site itself). An include
 * it cannot read is an unknown finding. A stack of files, not recursion, and
 * each file read into statements once: an include repeated at every level
 * costs statements, bounded by MAX_SITE_STATEMENTS (then the reason the site
 * cannot be checked), never the call stack.
 */
function siteStatements(text: string, reading: Reading, self: string | undefined): SiteStatement[] | string {
  const all: SiteStatement[] = [];
  const stack: Frame[] = [{ statements: nginxStatements(text, reading.statementsLeft), next: 0, chain: self !== undefined ? [self] : [] }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const statement = frame.statements[frame.next++];
    if (statement === undefined) {
      stack.pop();
      continue;
    }
    if (--reading.statementsLeft < 0) {
      return `the site and its includes come to more than ${MAX_SITE_STATEMENTS} statements (an include repeated in the files it includes multiplies them), more than this check reads; include each file once`;
    }
    if (isInclude(statement)) stack.push(...includedFrames(statement, frame, reading).reverse());
    else all.push(frame.file !== undefined ? { ...statement, file: frame.file } : statement);
  }
  return all;
}

/** The files an include splices in, as frames to read, in order; an unknown finding for what cannot be read. */
function includedFrames(statement: Statement, frame: Frame, reading: Reading): Frame[] {
  const argument = statement.words[1]!;
  const included = includedFiles(reading.lookup, includePath('nginx-site', argument), frame.chain);
  const unknown = (problem: string, what = 'it'): Frame[] => {
    reading.unread = true;
    reading.findings.push({
      ...(frame.file !== undefined && { file: frame.file }),
      line: statement.line,
      severity: 'unknown',
      message: `include ${shown(argument)}: ${problem}; a listen or proxy_pass in ${what} is not checked`,
    });
    return [];
  };
  if ('problem' in included) return unknown(included.problem);
  const frames: Frame[] = [];
  for (const [index, file] of included.files.entries()) {
    const statements = parsedFile(file, reading);
    if (statements === undefined) {
      const after = included.files.length - index - 1;
      const past = `${shown(file.path)}${after > 0 ? ` and the ${after} after it are` : ' is'} past the ${MAX_SITE_BYTES / 1024 / 1024} MiB of text read for one site, so ${after > 0 ? 'they are' : 'it is'} not read`;
      return [...frames, ...unknown(past, after > 0 ? 'them' : 'it')];
    }
    frames.push({ statements, next: 0, file: file.path, chain: [...frame.chain, file.path] });
  }
  return frames;
}

/** An included file as statements, read once whatever the number of includes naming it; undefined past MAX_SITE_BYTES. */
function parsedFile(file: { path: string; text: string }, reading: Reading): readonly Statement[] | undefined {
  const known = reading.parsed.get(file.path);
  if (known) return known;
  if (file.text.length > reading.bytesLeft) return undefined;
  reading.bytesLeft -= file.text.length;
  const statements = nginxStatements(file.text, reading.statementsLeft);
  reading.parsed.set(file.path, statements);
  return statements;
}

/** A word from a file, for a one-line message. */
const shown = (word: string): string => escapeText(word, 200);

/** Where a statement is, for a finding. */
const place = (statement: SiteStatement): { file?: string; line: number } => ({
  ...(statement.file !== undefined && { file: statement.file }),
  line: statement.line,
});

/** Where a statement is, in a message about another line: `line 7`, or `file:7` in another file. */
function lineWords(statement: SiteStatement, from: { file?: string }): string {
  return statement.file === from.file ? `line ${statement.line}` : `${shown(statement.file ?? 'the site')}:${statement.line}`;
}

// --- listen ---

/** A listen value's port, or why it has none nginx would take as the service's (a warning). */
function listenPort(value: string, expect: NginxExpectations): number | string {
  const fix = `write listen ${expect.port};`;
  if (/^\d+$/.test(value)) return Number(value) <= 65535 ? Number(value) : `not a port nginx accepts (it refuses to start); ${fix}`;
  const bracket = /^\[[0-9a-fA-F:.]+\](?::(.*))?$/.exec(value);
  const colon = value.lastIndexOf(':');
  const port = bracket ? bracket[1] : colon >= 0 ? value.slice(colon + 1) : undefined;
  if (port !== undefined) return /^\d+$/.test(port) && Number(port) <= 65535 ? Number(port) : `not a port nginx accepts (it refuses to start); ${fix}`;
  if (bracket || value === '*' || value.toLowerCase() === 'localhost' || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(value)) return 80;
  // nginx reads any other word as a host name on port 80, resolved when it starts: most often a typo.
  return `not a port, and as a host name it means port 80 on whatever ${shown(value)} resolves to; ${fix}`;
}

function checkListen(statement: SiteStatement, expect: NginxExpectations): Finding | undefined {
  const value = statement.words[1]!;
  const port = listenPort(value, expect);
  if (typeof port === 'string') return { ...place(statement), severity: 'warning', message: `listen ${shown(value)}: ${port}` };
  if (port === expect.port) return undefined;
  return { ...place(statement), severity: 'error', message: `listen ${shown(value)}, but the registry says ${expect.name} uses port ${expect.port}` };
}

// --- proxy targets ---

/** The directives that pass a request on, with the URL schemes each takes (none: host:port only) and their default ports. */
const PASSES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  proxy_pass: { http: 80, https: 443 },
  grpc_pass: { '': 80, grpc: 80, grpcs: 443 },
  uwsgi_pass: { '': 0, uwsgi: 0, suwsgi: 0 },
  fastcgi_pass: { '': 0 },
  scgi_pass: { '': 0 },
};

/** Where a pass directive sends requests: a host and its port (undefined: none written and no default), `variable`, or undefined (a UNIX socket, a scheme nginx refuses). */
function passTarget(directive: string, value: string): { host: string; port: number | undefined } | 'variable' | undefined {
  const schemes = PASSES[directive]!;
  const scheme = /^([a-zA-Z]+):\/\//.exec(value);
  // nginx compares the scheme case-insensitively (HTTP://h proxies like http://h).
  const name = scheme ? scheme[1]!.toLowerCase() : '';
  if (!(name in schemes) || (!scheme && value.startsWith('unix:'))) return undefined;
  const authority = value.slice(scheme ? scheme[0].length : 0).split('/')[0]!;
  if (authority.includes('$')) return 'variable';
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(authority);
  if (!match) return undefined;
  const fallback = schemes[name]! || undefined;
  return { host: match[1]!, port: match[2] !== undefined ? Number(match[2]) : fallback };
}

/** The IPv4 address glibc's inet_aton reads (`127.1`, `0x7f.0.0.1`, `2130706433`), as a number; undefined for anything else. */
function inetAton(host: string): number | undefined {
  const parts = host.split('.');
  if (parts.length > 4) return undefined;
  const values = parts.map((part) =>
    /^0x[0-9a-f]+$/i.test(part) ? parseInt(part, 16) : /^0[0-7]*$/.test(part) ? parseInt(part, 8) : /^[1-9]\d*$/.test(part) ? Number(part) : NaN,
  );
  if (values.some((value) => Number.isNaN(value))) return undefined;
  const last = values.pop()!;
  if (values.some((value) => value > 255) || last >= 2 ** (8 * (4 - values.length))) return undefined;
  return values.reduce((sum, value, index) => sum + value * 2 ** (8 * (3 - index)), 0) + last;
}

/** Whether connecting to a host reaches this machine: loopback in any spelling glibc resolves (`127.1`, `localhost.`), or the unspecified address (`0.0.0.0`, `::`), which Linux connects to loopback. */
function reachesThisHost(host: string): boolean {
  const bare = (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host).toLowerCase().replace(/\.$/, '');
  if (bare === 'localhost' || bare === '::' || isLoopback(bare)) return true;
  const v4 = inetAton(bare);
  return v4 !== undefined && (v4 === 0 || Math.floor(v4 / 2 ** 24) === 127);
}

interface Upstream {
  readonly name: string;
  readonly servers: SiteStatement[];
}

/** The findings for every pass directive: each to this machine on the upstream's port, directly or through every server of a named `upstream` block. */
function checkPasses(passes: readonly SiteStatement[], upstreams: ReadonlyMap<string, Upstream>, expect: NginxExpectations): Finding[] {
  const wanted = expect.upstream;
  return passes.flatMap((pass): Finding[] => {
    const [directive, value] = [pass.words[0]!, pass.words[1]!];
    const target = passTarget(directive, value);
    if (target === 'variable')
      return [{ ...place(pass), severity: 'unknown', message: `${directive} ${shown(value)}: set from a variable, which this check does not follow` }];
    if (target === undefined) return [];
    const upstream = upstreams.get(target.host.toLowerCase());
    if (upstream) return upstream.servers.flatMap((server) => checkUpstreamServer(server, upstream, pass, expect));
    if (!reachesThisHost(target.host) || target.port === undefined || target.port === wanted.port) return [];
    return [{ ...place(pass), severity: 'error', message: `${directive} ${shown(value)}, but ${wanted.name} uses port ${wanted.port}` }];
  });
}

function checkUpstreamServer(server: SiteStatement, upstream: Upstream, pass: SiteStatement, expect: NginxExpectations): Finding[] {
  const address = server.words[1]!;
  if (address.startsWith('unix:')) return [];
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(address);
  if (!match || !reachesThisHost(match[1]!)) return [];
  const port = match[2] !== undefined ? Number(match[2]) : 80;
  if (port === expect.upstream.port) return [];
  const via = `${pass.words[0]} ${shown(pass.words[1]!)} at ${lineWords(pass, server)}`;
  return [
    {
      ...place(server),
      severity: 'error',
      message: `server ${shown(address)} in upstream ${shown(upstream.name)} (${via}), but ${expect.upstream.name} uses port ${expect.upstream.port}`,
    },
  ];
}

// --- access to the metrics location ---

/** Whether an allow or deny argument can match a client from elsewhere (not loopback, not a UNIX socket). */
function reachesElsewhere(argument: string): boolean {
  if (argument === 'unix:') return false;
  if (argument === 'all') return true;
  const [address, bits] = argument.split('/') as [string, string | undefined];
  if (!isLoopback(address)) return true;
  if (bits === undefined) return false;
  return address.includes(':') && !address.includes('.') ? Number(bits) < 128 : Number(bits) < 8;
}

/**
 * Whether access rules (allow and deny, in order) keep every client but this
 * machine out, as ngx_http_access_module decides: the first rule that matches
 * the client wins, and a client no rule matches is let in. So a deny of
 * everyone (`deny all`, or `0.0.0.0/0` and `::/0`) must come before any allow
 * that reaches beyond loopback: `allow all; deny all;` is open to all, with
 * `satisfy any` or not. Returns the allow that opens it, `none` when nothing
 * denies everyone, undefined when restricted.
 */
function openingRule(rules: readonly SiteStatement[]): SiteStatement | 'none' | undefined {
  const denied = new Set<string>();
  for (const rule of rules) {
    const argument = rule.words[1] ?? '';
    if (rule.words[0] === 'allow' && reachesElsewhere(argument)) return rule;
    if (rule.words[0] === 'deny') denied.add(argument === '0.0.0.0/0' || argument === '::/0' ? argument : argument === 'all' ? 'all' : '');
    if (denied.has('all') || (denied.has('0.0.0.0/0') && denied.has('::/0'))) return undefined;
  }
  return 'none';
}

/** A `location` block's match: a prefix (`/x`, `^~ /x`), exact (`= /x`), or regular expression (`~ re`, `~* re`, also written `~re`). */
interface LocationMatch {
  readonly modifier: '' | '=' | '^~' | '~' | '~*';
  readonly path: string;
}

function locationMatch(words: readonly string[]): LocationMatch | undefined {
  if (words.length === 3 && ['=', '^~', '~', '~*'].includes(words[1]!)) return { modifier: words[1] as LocationMatch['modifier'], path: words[2]! };
  if (words.length !== 2) return undefined;
  const word = words[1]!;
  // As ngx_http_core_location: a leading = or ~ (~*) in the one word is the modifier.
  if (word.startsWith('~*')) return { modifier: '~*', path: word.slice(2) };
  if (word.startsWith('~')) return { modifier: '~', path: word.slice(1) };
  if (word.startsWith('=')) return { modifier: '=', path: word.slice(1) };
  return { modifier: '', path: word };
}

/**
 * Whether a location serves the metrics path: a prefix or exact location
 * starting with it (as before), or a regular expression that matches it
 * (nginx takes a matching regex location over any prefix one but `^~`), read
 * as JavaScript's Unicode expressions, which refuse what they do not know
 * (PCRE's `(?i)`, `\A`, possessive `a++`) rather than read it otherwise:
 * those, and POSIX classes, are `unknown`.
 */
function servesMetrics(location: LocationMatch, metrics: string): boolean | 'unknown' {
  if (location.modifier !== '~' && location.modifier !== '~*') return location.path.startsWith(metrics);
  if (location.path.includes('[:')) return 'unknown';
  try {
    return new RegExp(location.path, location.modifier === '~*' ? 'iu' : 'u').test(metrics);
  } catch {
    return 'unknown';
  }
}

interface Block {
  readonly statement: SiteStatement;
  readonly location?: LocationMatch;
  readonly rules: SiteStatement[];
}

/** A finding for a location that serves the metrics path, unless only this machine may reach it. */
function checkMetricsLocation(block: Block, enclosing: readonly Block[], expect: NginxExpectations): Finding | undefined {
  const location = block.location!;
  const metrics = expect.upstream.metrics;
  const serves = servesMetrics(location, metrics);
  const name = `location ${location.modifier === '' ? '' : `${location.modifier} `}${shown(location.path)}`;
  if (serves === 'unknown') {
    return {
      ...place(block.statement),
      severity: 'unknown',
      message: `${name}: cannot tell whether this regular expression matches ${metrics} (nginx takes a matching one over the ${metrics} location)`,
    };
  }
  if (!serves) return undefined;
  // A location without allow or deny of its own takes the rules of the block around it (ngx_http_access_merge_loc_conf).
  const rules = [block, ...[...enclosing].reverse()].find((each) => each.rules.length > 0)?.rules ?? [];
  const opening = openingRule(rules);
  if (opening === undefined) return undefined;
  const regex = location.modifier === '~' || location.modifier === '~*';
  const subject = regex ? `${name} matches ${metrics} (nginx takes a matching regex location over a prefix one) and is` : `${name} is`;
  const why =
    opening === 'none'
      ? '; add allow 127.0.0.1; deny all;'
      : `: ${opening.words[0]} ${shown(opening.words[1]!)} (${lineWords(opening, block.statement)}) admits ${opening.words[1] === 'all' ? 'everyone' : 'clients from elsewhere'} before any deny all, and nginx takes the first rule that matches; put allow 127.0.0.1; allow ::1; deny all; first`;
  return { ...place(block.statement), severity: 'error', message: `${subject} not restricted to localhost${why}` };
}

// --- the site ---

/** What one pass over the site's statements collects. */
interface SiteFacts {
  readonly findings: Finding[];
  readonly passes: SiteStatement[];
  readonly upstreams: Map<string, Upstream>;
  listens: number;
  metricsLocations: number;
}

function closeBlock(block: Block, open: readonly Block[], expect: NginxExpectations, facts: SiteFacts): void {
  if (!block.location) return;
  const regex = block.location.modifier === '~' || block.location.modifier === '~*';
  if (!regex && block.location.path.startsWith(expect.upstream.metrics)) facts.metricsLocations++;
  const finding = checkMetricsLocation(block, open, expect);
  if (finding) facts.findings.push(finding);
}

function readDirective(statement: SiteStatement, open: readonly Block[], expect: NginxExpectations, facts: SiteFacts): void {
  const [directive, argument] = statement.words;
  if (directive === undefined || argument === undefined) return;
  const inner = open[open.length - 1];
  if (directive === 'listen' && !argument.startsWith('unix:')) {
    facts.listens++;
    const finding = checkListen(statement, expect);
    if (finding) facts.findings.push(finding);
  } else if (directive in PASSES) facts.passes.push(statement);
  else if ((directive === 'allow' || directive === 'deny') && inner) inner.rules.push(statement);
  else if (directive === 'server' && inner?.statement.words[0] === 'upstream')
    facts.upstreams.get(inner.statement.words[1]!.toLowerCase())?.servers.push(statement);
}

export function readNginxSite(text: string, expect: NginxExpectations, lookup?: IncludeLookup, self?: string): Finding[] | string {
  const reading: Reading = { lookup, findings: [], statementsLeft: MAX_SITE_STATEMENTS, bytesLeft: MAX_SITE_BYTES, parsed: new Map(), unread: false };
  const statements = siteStatements(text, reading, self);
  if (typeof statements === 'string') return statements;
  const facts: SiteFacts = { findings: reading.findings, passes: [], upstreams: new Map(), listens: 0, metricsLocations: 0 };
  const open: Block[] = [];
  for (const statement of statements) {
    if (statement.end === '{') {
      const [kind, name] = statement.words;
      const location = kind === 'location' ? locationMatch(statement.words) : undefined;
      if (kind === 'upstream' && name !== undefined && statement.words.length === 2) facts.upstreams.set(name.toLowerCase(), { name, servers: [] });
      open.push({ statement, ...(location && { location }), rules: [] });
    } else if (statement.end === '}') {
      const closed = open.pop();
      if (closed) closeBlock(closed, open, expect, facts);
    } else readDirective(statement, open, expect, facts);
  }
  while (open.length > 0) closeBlock(open.pop()!, open, expect, facts);
  facts.findings.push(...checkPasses(facts.passes, facts.upstreams, expect));
  facts.findings.push(...missing(facts, reading, expect));
  return distinct(facts.findings);
}

/** Warnings for what the site lacks: a listen, a pass to the upstream (unless an include it could not read may hold one), the metrics location. */
function missing(facts: SiteFacts, reading: Reading, expect: NginxExpectations): Finding[] {
  const { name, port, metrics } = expect.upstream;
  const found: Finding[] = [];
  if (facts.listens === 0) found.push({ line: 0, severity: 'warning', message: `no listen directive (nginx then listens on 80); add listen ${expect.port};` });
  if (facts.passes.length === 0 && !reading.unread) {
    found.push({
      line: 0,
      severity: 'warning',
      message: `no proxy_pass to ${name} (port ${port}): nginx passes nothing to it; add location /api/ { proxy_pass http://127.0.0.1:${port}; } (ports snippet nginx-site)`,
    });
  }
  if (facts.metricsLocations === 0) {
    found.push({ line: 0, severity: 'warning', message: `no location ${metrics} restricting ${name}'s metrics to localhost (ports snippet nginx-site)` });
  }
  return found;
}

/** The findings once each: an include repeated in included files says the same thing of the same line many times. */
function distinct(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = `${finding.file ?? ''}\0${finding.line}\0${finding.severity}\0${finding.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
