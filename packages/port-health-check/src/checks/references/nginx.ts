// An nginx site: a `listen` on the service's port and none on another
// service's, every `proxy_pass` to this machine on the upstream's port (or on
// another service's own, held to that service), and the upstream's metrics
// location restricted (`deny all`). Read as nginx reads it: statements ended by `;`,
// `{` or `}`, whatever the lines (one-line blocks included), `#` comments.
import { escapeText, quoteValue, truncate, type AccessLevel, type UrlScheme } from '@dsa110/ports';
import { type AddressBits, addressBits } from '@dsa110/ports/system';
import { isLoopback, isLoopbackNetwork, isUnspecified } from '../../address.js';
import { formatAddress } from '../../firewall/ip.js';
import {
  type BoundAddress,
  characterColumn,
  type Finding,
  orRegistry,
  portFix,
  reachesListener,
  refusedConnection,
  registryInstead,
  type RegistryTakes,
} from './finding.js';
import { includedFiles, includePath, isGlob, sameIncludeAt, type IncludeLookup } from './include-files.js';
import { dottedQuad, inetAton } from './glibc-host.js';
import { NGINX_CONF_PREFIX } from './nginx-main.js';
import {
  clashingSockets,
  listenKey,
  DUPLICATE_WORDS,
  duplicateListen,
  type Duplicate,
  type ListenAddress,
  listenAddress,
  listenOptions,
  openedSockets,
  type OpenedSocket,
  type PortListen,
  unboundMapped,
} from './nginx-listen.js';
import { refusedServerName } from './nginx-server-name.js';

/** What nginx refusing a line means: said after each refusal nginx -t shows. */
const REFUSES_CONFIG = ', so it does not start, or reload, with this configuration';

export interface NginxExpectations {
  readonly name: string;
  readonly port: number;
  /** Whether the registry would take a listen's port for the site instead (RegistryTakes); left out, that is never offered. */
  readonly registryTakes?: RegistryTakes;
  /**
   * Its access level: localhost and dev bind loopback only, public and private every address (the firewall narrows
   * private), as the nginx-site snippet writes `listen`; left out, no listen address is held to it.
   */
  readonly access?: AccessLevel;
  /** The scheme it serves by (urlScheme: https for an HTTPS site, which needs `ssl` on its listen); left out, no listen is held to it. */
  readonly scheme?: UrlScheme;
  /**
   * `scheme`: the one it is reached by (urlScheme: https for an HTTPS service), for the proxy_pass a fix names; http when left out.
   * `listeners`: the sockets listening on its port on this machine, when they were read: a pass (or an upstream block's server) on
   * this host that none of them takes (refusedConnection: `127.0.0.2:PORT` beside a listener on 127.0.0.1 only) is refused.
   * Left out, or none, passes are held to the port alone.
   * `speaksHttp`: the registry says HTTP or HTTPS (not TCP, which says nothing of TLS): only then is a grpc_pass's
   * scheme (grpc or grpcs) held to it; proxy_pass is held to `scheme` whatever the protocol, as documented.
   */
  readonly upstream: {
    readonly name: string;
    readonly port: number;
    readonly metrics: string;
    readonly scheme?: UrlScheme;
    readonly speaksHttp?: boolean;
    readonly listeners?: readonly BoundAddress[];
    /** Whether the registry would take a pass's port for the upstream instead (RegistryTakes). */
    readonly registryTakes?: RegistryTakes;
  };
  /** The command that prints the site as the registry wants it, named after a fix (`ports snippet nginx-site`, as the references check builds it). */
  readonly snippet: string;
  /**
   * The registry's other services a listen of nginx's may take the port of (not those nginx itself serves: their
   * `processes` name nginx), by their effective ports, `claimed` when claim-port frees the port for them (robust);
   * left out, none is looked for.
   */
  readonly others?: readonly { readonly name: string; readonly port: number; readonly transport: 'tcp' | 'udp'; readonly claimed?: boolean }[];
  /** The registry's reserved ranges not kept (`for:`) for the service: a listen of nginx's in one takes a port the registry keeps from it. */
  readonly reserved?: readonly { readonly name: string; readonly start: number; readonly end: number }[];
  /**
   * The registry's other TCP services (not the upstream), by their effective ports: a pass to this host on one of
   * those ports reaches that service, and is held to it (its scheme, its listeners), not to the upstream.
   */
  readonly services?: readonly Reached[];
}

/** A service a pass reaches, as a pass is held to it: the upstream, or another service of the registry on its own port. */
export type Reached = NginxExpectations['upstream'];

/**
 * nginx's main configuration, as gather read it under the root, when nginx loads from it: its path and text, its
 * includes (by pattern), and the path by which it loads the site (undefined: it does not).
 */
export interface NginxConfig {
  readonly path: string;
  readonly text: string;
  readonly lookup: IncludeLookup;
  readonly site?: string;
  /** The host names of the root's /etc/hosts (lower case), by which nginx resolves a pass's host first; undefined: not read. */
  readonly hosts?: ReadonlySet<string>;
  /** nginx loads a copy of the site that differs from it, in its place: the site's own listens are not nginx's. */
  readonly copy?: true;
}

interface Statement {
  readonly line: number;
  /** The 1-based column its first word starts at, in characters (Finding.column). */
  readonly column: number;
  /** The directive and its arguments, quotes removed and escapes applied, as nginx reads them. */
  readonly words: readonly string[];
  /** What ended it: `;` a directive, `{` a block opening, `}` a block closing. */
  readonly end: ';' | '{' | '}';
  /**
   * A character nginx's tokenizer refuses after its last word, where it stopped reading the file (`listen "80""";`:
   * nginx -t: unexpected """), and where it stands; the statement is then no directive nginx reads.
   */
  readonly unexpected?: { readonly char: string; readonly line: number; readonly column: number };
}

const SPACE = new Set([' ', '\t', '\r', '\n']);
/** What nginx takes right after a closing quote, besides a space. */
const AFTER_QUOTE = new Set([';', '{', ')']);

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
  let startColumn = 1;
  const at: Cursor = { index: 0, line: 1, lineStart: 0, counted: 0, column: 1 };
  while (at.index < text.length && statements.length <= limit) {
    const char = text[at.index]!;
    if (SPACE.has(char)) {
      if (char === '\n') newLine(at, at.index);
      at.index++;
      continue;
    }
    if (char === '#') {
      const end = text.indexOf('\n', at.index);
      at.index = end < 0 ? text.length : end;
      continue;
    }
    if (words.length === 0) [startLine, startColumn] = [at.line, columnAt(text, at)];
    if (char === ';' || char === '{' || char === '}') {
      statements.push({ line: startLine, column: startColumn, words, end: char });
      words = [];
      at.index++;
      continue;
    }
    words.push(readWord(text, at));
    // After a closing quote nginx wants a space, `;`, `{` or `)`: anything else ends its reading of the file
    // (ngx_conf_read_token: unexpected "X"). An unclosed quote reads to the end of the text.
    const next = text[at.index];
    if ((char === '"' || char === "'") && next !== undefined && !SPACE.has(next) && !AFTER_QUOTE.has(next)) {
      const unexpected = { char: next, line: at.line, column: columnAt(text, at) };
      statements.push({ line: startLine, column: startColumn, words, end: ';', unexpected });
      return statements;
    }
  }
  if (words.length > 0) statements.push({ line: startLine, column: startColumn, words, end: ';' }); // an unterminated last statement, read as nginx would have it
  return statements;
}

interface Cursor {
  index: number;
  line: number;
  /** Where the cursor's line starts in the text, for a column. */
  lineStart: number;
  /** How far along its line the characters are counted, and the column there: each character counted once, however many statements a line holds. */
  counted: number;
  column: number;
}

/** The cursor's line ends at the newline at `index`. */
function newLine(at: Cursor, index: number): void {
  at.line++;
  at.lineStart = index + 1;
  at.counted = index + 1;
  at.column = 1;
}

/** The cursor's column, in characters (Finding.column): counted on from where the last one was. */
function columnAt(text: string, at: Cursor): number {
  at.column += characterColumn(text, at.counted, at.index) - 1;
  at.counted = at.index;
  return at.column;
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
      if (next === '\n') newLine(at, at.index + 1);
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
      if (char === '\n') newLine(at, at.index);
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
  /** Where a relative include is read from: the directory of nginx's main configuration (includePath). */
  readonly confPrefix: string;
  /** The RootDirectory= nginx runs chrooted in, where an absolute include is (includePath). */
  readonly root?: string;
  readonly findings: Finding[];
  statementsLeft: number;
  bytesLeft: number;
  readonly parsed: Map<string, readonly Statement[]>;
  /** An include could not be read: what it may hold (a listen, a proxy_pass) is not known. */
  unread: boolean;
  /** nginx's tokenizer stopped at a character it refuses (Statement.unexpected): nginx reads no more; said alone. */
  refused: boolean;
  /** Whether an include loop is a finding of this reading (the site's), not one said elsewhere (nginx's main configuration's). */
  readonly sayLoops: boolean;
  /** Each unknown for an include that cannot be read, by its message: where it was said (its finding's index, its line) and the other lines that gave it again. */
  readonly unreadIncludes: Map<string, { readonly index: number; readonly first: string; readonly others: Set<string> }>;
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
    if (statement.unexpected !== undefined) {
      // nginx stops at it and refuses the configuration: what follows in the file is not read, as though not there.
      reading.unread = true;
      reading.refused = true;
      const { char, line, column } = statement.unexpected;
      const at = `${frame.file ?? frame.chain[0] ?? 'the site'}:${line}`;
      const message = `nginx refuses this file at an unexpected ${shown(char)} after a closing quote (nginx -t: unexpected "${shown(char)}" in ${shown(at)})${REFUSES_CONFIG}; put a space, ; or { after the quoted word, or remove the extra quote`;
      reading.findings.push({ ...(frame.file !== undefined && { file: frame.file }), line, column, severity: 'error', message });
      continue;
    }
    if (isInclude(statement)) stack.push(...includedFrames(statement, frame, reading).reverse());
    else all.push(frame.file !== undefined ? { ...statement, file: frame.file } : statement);
  }
  return all;
}

/** The files an include splices in, as frames to read, in order; a finding for what cannot be read (an error for one file that is not there). */
function includedFrames(statement: Statement, frame: Frame, reading: Reading): Frame[] {
  const argument = statement.words[1]!;
  const included = includedFiles(reading.lookup, includePath('nginx-site', argument, reading.confPrefix, reading.root), frame.chain);
  const unknown = (problem: string, what = 'it'): Frame[] => {
    reading.unread = true;
    return sayOnce(`include ${shown(argument)}: ${problem}; a listen or proxy_pass in ${what} is not checked`, 'unknown');
  };
  const sayOnce = (message: string, severity: Finding['severity']): Frame[] => {
    // The same include given on several lines (or in a file included several times) is said once, at its first line,
    // naming the others, as the Redis reader says it: one finding to act on, not one per line.
    const here = `${frame.file ?? frame.chain[0] ?? 'the site'}:${statement.line}`;
    const said = reading.unreadIncludes.get(message);
    if (said === undefined) {
      reading.unreadIncludes.set(message, { index: reading.findings.length, first: here, others: new Set() });
      reading.findings.push({ ...(frame.file !== undefined && { file: frame.file }), line: statement.line, column: statement.column, severity, message });
    } else if (here !== said.first && !said.others.has(here)) {
      // A set, and only five of it shown: a list searched per line made an include repeated 20,000 times take seconds.
      said.others.add(here);
      reading.findings[said.index] = { ...reading.findings[said.index]!, message: `${message} ${sameIncludeAt(said.others)}` };
    }
    return [];
  };
  // One file named (no glob), or a name a glob matches (every one but a dot file, whichever include holds the site),
  // that nginx cannot open or read: it refuses the configuration (ngx_conf_include, checked with nginx 1.22 -t); the
  // rest is judged as if the include were not there.
  if ('problem' in included && included.missing) {
    const glob = isGlob(argument);
    const [failed, fix] = included.directory
      ? [
          'pread() ... failed (21: Is a directory)',
          glob
            ? 'rename or move the directory the glob matches'
            : `include the files in it (include ${shown(argument.replace(/\/$/, ''))}/*.conf;), or remove the include`,
        ]
      : included.linkLoop
        ? [
            'open() ... failed (40: Too many levels of symbolic links)',
            glob ? 'remove the link, or point it at a file' : 'point the link at a file, or remove the include',
          ]
        : [
            'open() ... failed (2: No such file or directory)',
            glob ? 'remove the link, or create the file it names' : 'create the file, or remove the include',
          ];
    return sayOnce(
      `include ${shown(argument)}: ${included.problem}, so nginx refuses a configuration that loads it (nginx -t fails: "${failed}"), and does not start, or reload, with it; ${fix}`,
      'error',
    );
  }
  // A loop in nginx's main configuration is said by gather, as nginx refuses it (nginxLoadFinding): not again here.
  if ('problem' in included && included.loop !== undefined && !reading.sayLoops) {
    reading.unread = true;
    return [];
  }
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

/** Where a statement is, to the column, for a finding about a value the registry holds otherwise. */
const placeAt = (statement: SiteStatement): { file?: string; line: number; column: number } => ({ ...place(statement), column: statement.column });

/** Where a statement is, in a message about another line: `line 7`, or `file:7` in another file. */
function lineWords(statement: SiteStatement, from: { file?: string }): string {
  return statement.file === from.file ? `line ${statement.line}` : `${shown(statement.file ?? 'the site')}:${statement.line}`;
}

/** Where the nginx-site snippet passes requests to the upstream (`https://` for an HTTPS one): the proxy_pass a fix names. */
function backend(expect: NginxExpectations, reached: Reached = expect.upstream): string {
  return `${reached.scheme ?? 'http'}://127.0.0.1:${reached.port}`;
}

/** What a pass directive writes to reach the upstream: proxy_pass its URL (backend), grpc_pass grpc:// or grpcs://, the others an address. */
function passTo(directive: string, expect: NginxExpectations, reached: Reached = expect.upstream): string {
  if (directive === 'proxy_pass') return backend(expect, reached);
  if (directive === 'grpc_pass') return backend(expect, reached).replace(/^http/, 'grpc');
  return `127.0.0.1:${reached.port}`;
}

/** ` (ports snippet nginx-site)` after a fix for a pass to the upstream, which the snippet writes; nothing for another service's. */
const snippetAside = (expect: NginxExpectations, reached: Reached): string => (reached === expect.upstream ? ` (${expect.snippet})` : '');

// --- listen ---

/**
 * A listen value's port as nginx reads it, or why it has none: `refused`, a value nginx -t refuses (it does not start),
 * or `doubt`, a word nginx reads as a host name on port 80 (most often a typo).
 */
function readListenPort(
  value: string,
  expect: NginxExpectations,
  fix = `write listen ${expect.port};`,
): { port: number } | { refused: string } | { doubt: string } {
  // 1 to 65535: nginx -t refuses 0 too ("invalid port in "0" of the "listen" directive").
  const valid = (port: string) => (/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535 ? Number(port) : undefined);
  const refused = { refused: `not a port nginx accepts (it refuses to start); ${fix}` };
  if (/^\d+$/.test(value)) {
    const port = valid(value);
    return port === undefined ? refused : { port };
  }
  const bracket = /^\[[0-9a-fA-F:.]+\](?::(.*))?$/.exec(value);
  // The port is after the first colon, as nginx reads it (ngx_parse_inet_url): `::1` is port ":1", which it refuses.
  const colon = bracket ? -1 : value.indexOf(':');
  const port = bracket ? bracket[1] : colon >= 0 ? value.slice(colon + 1) : undefined;
  if (port !== undefined && valid(port) === undefined) return refused;
  // nginx -t: "no host in ":80" of the "listen" directive".
  if (colon === 0) return { refused: `no host before the port, which nginx refuses (nginx -t: "no host in ..."), so it does not start; ${fix}` };
  if (port !== undefined) return { port: valid(port)! };
  if (bracket || value === '*' || value.toLowerCase() === 'localhost' || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(value)) return { port: 80 };
  // nginx reads any other word as a host name on port 80, resolved when it starts: most often a typo.
  return { doubt: `not a port, and as a host name it means port 80 on whatever ${shown(value)} resolves to; ${fix}` };
}

/** A listen value's port, or why it has none nginx would take as the service's (readListenPort). */
function listenPort(value: string, expect: NginxExpectations): number | string {
  const read = readListenPort(value, expect);
  return 'port' in read ? read.port : 'refused' in read ? read.refused : read.doubt;
}

/** What is wrong with a listen's value itself: nginx refuses it (it does not start), an error, as every refusal nginx -t shows; a host name, a warning. */
function checkListenValue(statement: SiteStatement, expect: NginxExpectations, fix?: string): Finding[] {
  const value = statement.words[1]!;
  const read = readListenPort(value, expect, fix);
  if ('refused' in read) return [{ ...place(statement), severity: 'error', message: `listen ${shown(value)}: ${read.refused}` }];
  if ('doubt' in read) return [{ ...place(statement), severity: 'warning', message: `listen ${shown(value)}: ${read.doubt}` }];
  return [];
}

function checkListen(statement: SiteStatement, expect: NginxExpectations): Finding[] {
  const value = statement.words[1]!;
  const read = readListenPort(value, expect);
  if (!('port' in read)) return checkListenValue(statement, expect);
  const { port } = read;
  if (port === expect.port) return []; // its address is judged with the port's other listens (portSockets)
  // Another port (443 beside 80, a redirect server's 80 beside 443) is the site's to open, unless the registry gives
  // it to another service (otherServicePorts); the registry's own port must be listened on too (noOwnPort). Its
  // address is held only where it reaches beyond loopback for a localhost or dev service: that exposes the service.
  const reach = listenReach(value);
  return reach !== undefined && wrongReach(reach, expect, true) ? [accessFinding(statement, reach, expect, port)] : [];
}

/**
 * An error when the site listens on ports (all of them known) and none is the registry's: nginx does not serve it
 * there. Offered the registry change where every listen is on one port. Nothing when an include was not read.
 */
function noOwnPort(listens: readonly HttpListen[], reading: Reading, expect: NginxExpectations): Finding[] {
  const ports = listens.map((listen) => listenPort(listen.statement.words[1]!, expect));
  if (reading.unread || listens.length === 0 || ports.some((port) => typeof port !== 'number' || port === expect.port)) return [];
  const distinctPorts = [...new Set(ports as number[])];
  const instead = distinctPorts.length === 1 ? registryInstead(expect, distinctPorts[0]) : undefined;
  const message = `no listen on port ${expect.port}, the one the registry gives ${expect.name} (the site listens on ${distinctPorts.join(', ')}), so nginx does not serve it there; add listen ${expect.port}; (${expect.snippet})${orRegistry(instead)}`;
  return [{ ...placeAt(listens[0]!.statement), severity: 'error', message }];
}

/**
 * Whether a listen's reach disagrees with the registry's access level: beyond loopback for localhost and dev;
 * loopback for public and private, where no other socket of the port reaches further (`wider`).
 */
function wrongReach(reach: 'every' | 'loopback' | 'address', expect: NginxExpectations, wider: boolean): boolean {
  if (expect.access === undefined) return false;
  return expect.access === 'localhost' || expect.access === 'dev' ? reach !== 'loopback' : reach === 'loopback' && !wider;
}

/**
 * Where a listen value makes nginx accept connections from (the port aside): `every` address (`80`, `*:80`,
 * `0.0.0.0:80`, `[::]:80`), `loopback` only (`127.0.0.1:80`, `[::1]:80`, `localhost:80`), another address of
 * this host (`10.0.0.5:80`: reachable from elsewhere); undefined for a host name, which nginx resolves when it starts.
 */
function listenReach(value: string): 'every' | 'loopback' | 'address' | undefined {
  const colon = value.lastIndexOf(':');
  if ((colon >= 0 ? value.slice(0, colon) : value).toLowerCase() === 'localhost') return 'loopback';
  const address = listenAddress(value);
  if (address === undefined) return undefined;
  return address.wildcard ? 'every' : address.loopback ? 'loopback' : 'address';
}

/** A listen directive of http {} (or of the site read alone), the server block it is in, and whether it is the site's (or a file the site includes). */
interface HttpListen {
  readonly statement: SiteStatement;
  readonly server: object;
  readonly inSite: boolean;
  /** Its server (the site's) passes requests on (proxy_pass and the like): the site's own, not a stub_status or redirect server beside it. */
  readonly passes?: boolean;
}

/** The words nginx prints for an address and port: `0.0.0.0:80`, `[::]:80`. */
const socketText = (listen: PortListen<HttpListen>, port: number): string => `${listen.address.shown}:${port}`;

/** A listen as written, for a message: `listen [::]:80 ipv6only=on`. */
const listenText = (statement: SiteStatement): string => `listen ${statement.words.slice(1).map(shown).join(' ')}`;

/** How a listen is named in a message about another: `listen [::]:80 (line 3)`, or `(FILE:3)` in another file. */
function listenWords(listen: HttpListen, from: SiteStatement): string {
  const again = listen.statement.file === from.file && listen.statement.line === from.line && listen.statement.column === from.column;
  return `${listenText(listen.statement)} (${lineWords(listen.statement, from)}${again ? ', the same line read again through another include' : ''})`;
}

/** How a message says each Duplicate of the earlier listen, and what to do. */
const DUPLICATE_FIXES: Readonly<Record<Duplicate, { readonly also: string; readonly fix: string }>> = {
  server: { also: 'in the same server is on', fix: 'remove one of them' },
  options: { also: 'sets socket options on', fix: 'keep the socket options (backlog=, reuseport, ipv6only= and the like) on one of them only' },
  default_server: { also: 'is default_server on', fix: 'keep default_server on one of them only' },
};

/** What nginx refuses of every listen of http {} (nginx -t fails: it does not start, or reload): a parameter, or a duplicate of an address and port. */
function refusedListens(listens: readonly HttpListen[], expect: NginxExpectations): Finding[] {
  const findings: Finding[] = [];
  const ports = new Map<number, PortListen<HttpListen>[]>();
  for (const listen of listens) {
    const [, value, ...flags] = listen.statement.words as [string, string, ...string[]];
    const options = listenOptions(flags);
    if ('refused' in options) {
      const message = `${listenText(listen.statement)}: nginx refuses ${shown(options.flag)} (nginx -t: ${shown(options.refused)})${REFUSES_CONFIG}; correct it or remove it (the parameters listen takes: https://nginx.org/en/docs/http/ngx_http_core_module.html#listen)`;
      findings.push({ ...placeAt(listen.statement), severity: 'error', message });
      continue;
    }
    // Another server's value nginx refuses (or reads as a host name), held as the site's own are (checkListen): the site's are said there.
    if (!listen.inSite) findings.push(...checkListenValue(listen.statement, expect, 'write the port that server is to listen on'));
    const port = listenPort(value, expect);
    const address = listenAddress(value);
    if (typeof port !== 'number' || address === undefined) continue;
    const onPort = ports.get(port) ?? [];
    ports.set(port, onPort);
    onPort.push({ at: listen, server: listen.server, address, options });
  }
  for (const [port, onPort] of ports) {
    const duplicate = duplicateListen(onPort);
    if (duplicate === undefined) continue;
    const { listen, earlier, why } = duplicate;
    const address = socketText(listen, port);
    const { also, fix } = DUPLICATE_FIXES[why];
    const message = `${listenText(listen.at.statement)}: nginx refuses it, as ${listenWords(earlier.at, listen.at.statement)} ${also} ${address} too (nginx -t: "${DUPLICATE_WORDS[why]} ${address}")${REFUSES_CONFIG}; ${fix}`;
    findings.push({ ...placeAt(listen.at.statement), severity: 'error', message });
  }
  for (const [port, onPort] of ports) {
    const mapped = unboundMapped(onPort);
    if (mapped === undefined) continue;
    const v4 = formatAddress(4, addressBits(mapped.address.shown.slice(1, -1))!.value & 0xffffffffn);
    const message = `${listenText(mapped.at.statement)}: an IPv4-mapped IPv6 address, which Linux does not bind nginx's IPv6-only socket to, so nginx does not start, nor passes nginx -t ("bind() to ${socketText(mapped, port)} failed (22: Invalid argument)"); write listen ${v4}:${port}; instead`;
    findings.push({ ...placeAt(mapped.at.statement), severity: 'error', message });
  }
  return findings;
}

/**
 * The findings on the sockets nginx opens for the service's port, from every listen of http {} on it (the site's and,
 * when nginx's main configuration was read, the rest of what it loads): sockets Linux will not both open; then, from
 * the site's own listens (nginx picks the server for a connection among those listening on the address it came to,
 * so a site's `listen 127.0.0.1:80` beside another server's `listen 80` shares that socket, yet only connections to
 * 127.0.0.1 reach it): an address the registry's access level disagrees with, no listen that takes IPv4, and another
 * server that nginx answers with instead (siteNotServed), or that takes the site's loopback address (loopbackShadowed). Nothing where a host name (resolved by nginx when it starts)
 * is among them.
 */
function portSockets(listens: readonly HttpListen[], expect: NginxExpectations, complete: boolean, names?: ServerNames, itself = false): Finding[] {
  const onPort = listens.filter((listen) => listenPort(listen.statement.words[1]!, expect) === expect.port);
  const parsed: PortListen<HttpListen>[] = [];
  for (const listen of onPort) {
    const options = listenOptions(listen.statement.words.slice(2));
    const address = listenAddress(listen.statement.words[1]!);
    if ('refused' in options) return []; // nginx does not start: said as such
    if (address !== undefined) parsed.push({ at: listen, server: listen.server, address, options });
  }
  // nginx does not start: said as such (refusedListens).
  if (duplicateListen(parsed) !== undefined || unboundMapped(parsed) !== undefined) return [];
  const sockets = openedSockets(parsed);
  const clash = clashingSockets(sockets);
  if (clash) return [clashFinding(clash)];
  const own = onPort.filter((listen) => listen.inSite);
  // A host name (not localhost) may be an address beyond loopback, and so may a listen in an include not read: not known to be narrower.
  const wider = !complete || own.some((listen) => listenReach(listen.statement.words[1]!) !== 'loopback');
  const findings = own.flatMap((listen) => {
    const reach = listenReach(listen.statement.words[1]!);
    return reach !== undefined && wrongReach(reach, expect, wider) ? [accessFinding(listen.statement, reach, expect)] : [];
  });
  // An include not read may hold the site's server_name, or a default_server of its own; without the order nginx loads
  // the site in (names undefined: it does not load it, or loads a copy), which server is first is not known.
  const ownParsed = parsed.filter((listen) => listen.at.inSite);
  // A site listen on a host name may be on the loopback address itself: whether the site is shadowed there is not known.
  const notServed = [
    ...(complete && names !== undefined ? siteNotServed(parsed, names, expect) : []),
    ...(complete && itself && ownParsed.length === own.length ? loopbackShadowed(parsed, expect, names) : []),
  ];
  // A host name may resolve to any address: which addresses the site takes is not known.
  if (findings.length > 0 || ownParsed.length !== own.length || ownParsed.length === 0 || !complete) return [...findings, ...notServed];
  // A `[::]` listen takes IPv4 where its socket is dual-stack (ipv6only=off on any listen of that address).
  const dualStack = new Set(sockets.filter((socket) => socket.dualStack).map((socket) => listenKey(socket.own[0]!)));
  const ipv4 = ownParsed.filter((listen) => listen.address.family === 4 || dualStack.has(listenKey(listen)));
  // Public and private: some IPv4 listen must take connections from other hosts; else any IPv4 one will do.
  const fromElsewhere = expect.access === 'public' || expect.access === 'private';
  if (ipv4.some((listen) => !fromElsewhere || !listen.address.loopback)) return notServed;
  return [noIPv4Finding(ownParsed, ipv4, expect), ...notServed];
}

/** The server_name values of each server block of http {} nginx loads, by the block's statement. */
type ServerNames = ReadonlyMap<object, readonly string[]>;

/**
 * Whether a server_name value is one a client's Host header may match: not `""` (no Host header: the default server
 * answers those), nor `_`, the catch-all no client sends, which Debian's default site has too (nginx 1.22 -t:
 * `conflicting server name "_" on 0.0.0.0:80, ignored`; requests with or without a Host header, `Host: _` too, reach
 * the default site).
 */
const clientName = (name: string): boolean => name !== '' && name !== '_';

/**
 * Errors at the site's listens on an address and port where another server is nginx's default (`default_server`,
 * else the first server nginx loads with a listen there) and the site's server has no server_name a request can
 * match (none, or only `""` or `_`): nginx answers every request whose Host header matches no server_name with the default
 * server, so it never serves the site to a client that sends one (Debian's stock `sites-enabled/default` and a site
 * without server_name, both on port 80). Said once per address and port, at the site's first listen there.
 */
function siteNotServed(listens: readonly PortListen<HttpListen>[], names: ServerNames, expect: NginxExpectations): Finding[] {
  const defaults = new Map<string, PortListen<HttpListen>>();
  for (const listen of listens) {
    const key = listenKey(listen);
    const known = defaults.get(key);
    if (known === undefined || (listen.options.defaultServer && !known.options.defaultServer)) defaults.set(key, listen);
  }
  const said = new Set<string>();
  return listens.flatMap((listen): Finding[] => {
    const key = listenKey(listen);
    const chosen = defaults.get(key)!;
    if (!listen.at.inSite || chosen.at.inSite || said.has(key)) return [];
    const named = names.get(listen.server) ?? [];
    if (named.some(clientName)) return [];
    said.add(key);
    const none = named.includes('_') ? 'no server_name but _, which no client sends' : 'no server_name';
    const statement = listen.at.statement;
    const how = chosen.options.defaultServer ? 'it is default_server there' : 'it is the first server nginx loads there';
    const file = chosen.at.statement.file;
    const remove = file?.includes('/sites-enabled/') ? `remove that site (rm ${shown(file)})` : 'remove that server or its listen there';
    const message = `${listenText(statement)}: nginx answers requests to ${listen.address.shown}:${expect.port} whose Host header matches no server_name with its default server, ${listenWords(chosen.at, statement)}, as ${how}, and this server has ${none}, so nginx never serves ${expect.name}'s site to a client that sends a Host header (browsers, curl); ${remove}, or add default_server to this listen and remove it from that one, or give this server the server_name its clients use`;
    return [{ ...placeAt(statement), severity: 'error', message }];
  });
}

/** The loopback addresses clients on this host connect to (localhost), each of its family: the addresses a site's loopback-only locations are for. */
const LOOPBACK_ADDRESSES = [listenAddress('127.0.0.1:80')!, listenAddress('[::1]:80')!];

/**
 * The first server_name of `names` a client on this host may send to `loopback` (localhost, the address itself), or
 * may match one by a wildcard, a regex or a variable: nginx picks a server by name among those on the address a
 * connection came to before any default_server, so a server so named keeps those requests whatever the site listens.
 */
function loopbackName(names: readonly string[], loopback: ListenAddress): string | undefined {
  const hosts = ['localhost', loopback.shown.toLowerCase()];
  return names.find((name) => clientName(name) && (hosts.includes(name.toLowerCase()) || /^[~.$]|\*/.test(name)));
}

/**
 * Errors at the site's wildcard listens (`80`, `[::]:80`) on a family whose loopback address (127.0.0.1, ::1) another
 * server, and none of the site's, listens on itself (`listen 127.0.0.1:80`): nginx picks the servers for a connection
 * by the exact address it came to where any listens there (ngx_http_init_connection, whatever the sockets), the
 * wildcard's servers only where none does, and the Host header only among those; so every connection over that
 * loopback gets the other server, and the site's loopback-only locations (its /metrics) are never served.
 * What to do, as nginx 1.22 confirms: where no other server there is named for loopback (`names`), the site's own
 * `listen 127.0.0.1:80 default_server;` (a plain one leaves the first server nginx loads the default; two default_server
 * on one address is nginx -t's "a duplicate default server"); else, or where the names are not known, move that server
 * off the port or remove it (removing only its listen leaves it on `*:80`, nginx's default, first there again).
 * TCP alone: a quic listen's socket is UDP, apart from HTTP/1's.
 */
function loopbackShadowed(listens: readonly PortListen<HttpListen>[], expect: NginxExpectations, names?: ServerNames): Finding[] {
  const tcp = listens.filter((listen) => listen.options.transport === 'tcp');
  // The site's servers that pass requests on, else all of its own: a stub_status server in the site file shadows it too.
  const passing = tcp.filter((listen) => listen.at.passes === true);
  const site = new Set((passing.length > 0 ? passing : tcp.filter((listen) => listen.at.inSite)).map((listen) => listen.server));
  return LOOPBACK_ADDRESSES.flatMap((loopback): Finding[] => {
    const there = tcp.filter((listen) => listen.address.key === loopback.key);
    const wildcard = tcp.find((listen) => site.has(listen.server) && listen.address.family === loopback.family && listen.address.wildcard);
    if (there.length === 0 || there.some((listen) => site.has(listen.server)) || wildcard === undefined) return [];
    const other = there[0]!.at.statement;
    const socket = `${loopback.shown}:${expect.port}`;
    const where = `${lineWords(other, wildcard.at.statement)}:${other.column}`;
    const rmSite = other.file?.includes('/sites-enabled/') ? `that site (rm ${shown(other.file)})` : undefined;
    const named =
      names === undefined ? undefined : there.map((listen) => loopbackName(names.get(listen.server) ?? [], loopback)).find((name) => name !== undefined);
    const defaulted = there.find((listen) => listen.options.defaultServer);
    let fix: string;
    if (names !== undefined && named === undefined) {
      const undefault = defaulted === undefined ? '' : ` and remove default_server from ${listenWords(defaulted.at, wildcard.at.statement)}`;
      fix = `add listen ${socket} default_server; to this server${undefault}, or remove ${rmSite ?? 'that server'}`;
    } else {
      const why = named === undefined ? '' : ` (its server_name ${shown(named)} keeps requests to ${socket} whatever this server listens on)`;
      fix = `move that server to another port, or remove ${rmSite ?? 'it'}${why}`;
    }
    const message = `${listenText(wildcard.at.statement)} does not take connections to ${socket}: ${listenText(other)} (${where}) is on that address itself, and nginx hands a connection to the servers listening on the exact address it came to where any does (the Host header chooses among those only), so every request over ${loopback.family === 4 ? 'IPv4' : 'IPv6'} loopback gets that server, never this one (nor its loopback-only locations); ${fix}`;
    return [{ ...placeAt(wildcard.at.statement), severity: 'error', message }];
  });
}

/** An error for a listen whose address the registry's access level disagrees with: loopback for a public or private service, beyond loopback for a localhost or dev one. */
function accessFinding(statement: SiteStatement, reach: 'every' | 'loopback' | 'address', expect: NginxExpectations, port = expect.port): Finding {
  const value = statement.words[1]!;
  const registry = `the registry says ${expect.name} is access: ${expect.access}`;
  const message =
    reach !== 'loopback'
      ? `listen ${shown(value)} accepts connections ${reach === 'every' ? 'on every address' : 'from other hosts'}, but ${registry} (loopback only); write listen 127.0.0.1:${port}; and listen [::1]:${port}; (${expect.snippet}), or give ${expect.name} access: private or public in the registry`
      : `listen ${shown(value)} accepts connections from this host only, but ${registry} (every address; the firewall narrows it); write listen ${port}; and listen [::]:${port}; (${expect.snippet}), or give ${expect.name} access: localhost in the registry`;
  return { ...placeAt(statement), severity: 'error', message };
}

/**
 * The error for a site whose listens on the port take no IPv4 connection (or, for a public or private service, none
 * from other hosts): said at its first `[::]` listen (IPv6 only: nginx's ipv6only=on, its default since 1.3.4), else its first IPv6 one.
 */
function noIPv4Finding(listens: readonly PortListen<HttpListen>[], ipv4: readonly PortListen<HttpListen>[], expect: NginxExpectations): Finding {
  const { port } = expect;
  const v6 = listens.filter((listen) => listen.address.family === 6);
  const wildcard = v6.find((listen) => listen.address.wildcard);
  const at = (wildcard ?? v6[0] ?? listens[0]!).at.statement;
  const local = expect.access === 'localhost' || expect.access === 'dev';
  const only = `${listenText(at)} takes IPv6 connections only${wildcard ? " (ipv6only=on is nginx's default for [::] since 1.3.4)" : ''}`;
  if (ipv4.length > 0) {
    const loopback = [...new Set(ipv4.map((listen) => `${listen.address.shown}:${port}`))].join(', ');
    return {
      ...placeAt(at),
      severity: 'error',
      message: `${only}, and on IPv4 port ${port} takes connections from this host only (${loopback}), but the registry says ${expect.name} is access: ${expect.access}, so IPv4 clients from other hosts are refused; add listen ${port}; (${expect.snippet}), or give ${expect.name} access: localhost in the registry`,
    };
  }
  const add = local ? `listen 127.0.0.1:${port};` : `listen ${port};`;
  const dual = wildcard && !local ? `, or write listen [::]:${port} ipv6only=off;` : '';
  return {
    ...placeAt(at),
    severity: 'error',
    message: `${only}, and no listen on port ${port} takes IPv4, so IPv4 clients${local ? ' (127.0.0.1)' : ''} are refused; add ${add} (${expect.snippet})${dual}`,
  };
}

/** The error for two sockets of the service's port that Linux will not both open: nginx exits at start, though nginx -t passes. */
function clashFinding([one, other]: [OpenedSocket<HttpListen>, OpenedSocket<HttpListen>]): Finding {
  // Said at the listen that makes the second socket: the dual-stack one, else the one whose options make it bind beside the wildcard.
  const [late, early] = one.dualStack || (!one.address.wildcard && other.address.wildcard) ? [one, other] : [other, one];
  // The dual-stack one is said at the listen that sets ipv6only=off, which may not be its address's first.
  const listen = late.dualStack ? late.own.find((each) => each.options.ipv6only === false)! : late.own[0]!;
  const first = early.own[0]!;
  const why = late.dualStack
    ? `takes IPv4 too (ipv6only=off) beside ${listenWords(first.at, listen.at.statement)}`
    : `opens a socket of its own (its socket options make nginx bind it) beside ${listenWords(first.at, listen.at.statement)}`;
  const fix = late.dualStack
    ? 'remove ipv6only=off, or the IPv4 listen'
    : 'move its socket options (backlog=, reuseport and the like) to the listen of the whole port, or remove that one';
  const message = `${listenText(listen.at.statement)} ${why}, and Linux refuses the second of them ("bind() ... failed (98: Address already in use)"), so nginx does not start, though nginx -t passes; ${fix}`;
  return { ...placeAt(listen.at.statement), severity: 'error', message };
}

/** What a listen on the site's port that the registry's clients are served by is, written in full: ssl first for HTTPS, and none of the parameters listenErrors says wrong. */
function servedListen(value: string, flags: readonly string[], wanted: UrlScheme): string {
  const dropped = new Set(['ssl', 'quic', 'proxy_protocol', ...(wanted === 'http' ? ['http2'] : [])]);
  return `listen ${[shown(value), ...(wanted === 'https' ? ['ssl'] : []), ...flags.filter((flag) => !dropped.has(flag)).map(shown)].join(' ')};`;
}

/**
 * The errors for a listen on the site's port whose first bytes the registry's clients do not speak (nginx -t passes
 * each). Its TLS against the registry's protocol (`tls`): HTTPS needs `ssl` (or `quic`, TLS over UDP), plain HTTP
 * neither; a TLS client of a plain listen fails its handshake ("wrong version number"; `http2` without `ssl` is
 * cleartext HTTP/2, the same to it), and a plain HTTP request to an `ssl` one is answered 400 ("The plain HTTP request
 * was sent to HTTPS port"). For plain HTTP, `http2` without TLS: before nginx 1.25.1 it makes the port HTTP/2 alone
 * (ngx_http_init_connection hands each connection to ngx_http_v2_init, which answers an HTTP/1.1 request with HTTP/2
 * frames and a GOAWAY); 1.25.1 reads the first bytes and serves HTTP/1.1 beside it. Which nginx runs is not read, so it
 * is held to the older (Debian 12's is 1.22). And `proxy_protocol` (`proxy`, said whatever the TLS):
 * nginx reads a PROXY protocol header first on every connection, which only a proxy in front sends, and drops any
 * other unanswered ("broken header"); the registry has no such proxy.
 */
function listenErrors(statement: SiteStatement, expect: NginxExpectations, merged: boolean): { tls: Finding[]; proxy: Finding[] } {
  const wanted = expect.scheme;
  const [, value, ...flags] = statement.words as [string, string, ...string[]];
  // A listen on another port is an error of its own (or a redirect to this one): its TLS is not the registry's.
  if (wanted === undefined || listenPort(value, expect) !== expect.port) return { tls: [], proxy: [] };
  const own = flags.includes('ssl') || flags.includes('quic');
  // Without ssl of its own, TLS from another listen on its address and port: a plain-HTTP registry's error is said at that one.
  const tls = own || merged;
  const written = `listen ${statement.words.slice(1).map(shown).join(' ')}`;
  const fixed = servedListen(value, flags, wanted);
  const error = (message: string): Finding => ({ ...placeAt(statement), severity: 'error', message });
  const found: { tls: Finding[]; proxy: Finding[] } = { tls: [], proxy: [] };
  const tlsWrong = tls !== (wanted === 'https') && own === tls;
  if (tlsWrong && wanted === 'https')
    found.tls.push(
      error(
        `${written} serves plain HTTP${flags.includes('http2') ? ' (http2 without ssl is cleartext HTTP/2)' : ''}, but the registry says ${expect.name} is HTTPS, so a client's TLS handshake fails ("wrong version number"); write ${fixed} with ssl_certificate and ssl_certificate_key (${expect.snippet}), or give ${expect.name} protocol: HTTP in the registry`,
      ),
    );
  else if (tlsWrong)
    found.tls.push(
      error(
        `${written} serves TLS, but the registry says ${expect.name} is plain HTTP, so a plain HTTP request is answered 400 ("The plain HTTP request was sent to HTTPS port"); write ${fixed} (${expect.snippet}), or give ${expect.name} protocol: HTTPS in the registry`,
      ),
    );
  if (wanted === 'http' && !tls && flags.includes('http2'))
    found.tls.push(
      error(
        `${written} makes port ${expect.port} HTTP/2 alone (cleartext, for clients that know it beforehand) on nginx before 1.25.1, but the registry says ${expect.name} is plain HTTP, so a plain HTTP/1.1 request (a browser's, curl's) is answered with HTTP/2 frames and the connection closed (curl: "Received HTTP/0.9 when not allowed"), though nginx -t passes; write ${fixed} (${expect.snippet}), and http2 on; beside it for cleartext HTTP/2 too on nginx 1.25.1 or later (which serves both on a plain listen, and deprecates the http2 parameter)`,
      ),
    );
  if (flags.includes('proxy_protocol')) {
    const client = wanted === 'https' ? "a client's TLS handshake" : "a plain HTTP request (a browser's, curl's)";
    found.proxy.push(
      error(
        `${written} makes nginx read a PROXY protocol header first on every connection to it, which only a proxy in front of nginx sends, but the registry says clients reach ${expect.name} by ${wanted === 'https' ? 'HTTPS' : 'plain HTTP'} on port ${expect.port}, so ${client} gets no answer: nginx drops the connection ("broken header" in its error log), though nginx -t passes; write ${fixed} (${expect.snippet})`,
      ),
    );
  }
  return found;
}

/**
 * The socket a listen value stands for, as a key: TCP or UDP (`quic`), the address (`80`, `*:80` and `0.0.0.0:80`
 * are one; `127.1` is 127.0.0.1, as nginx reads it; an IPv6 address in any spelling; a host name as written) and the port.
 */
function listenSocket(value: string, flags: readonly string[], port: number): string {
  const address = listenAddress(value);
  const colon = value.lastIndexOf(':');
  const host = address?.key ?? (colon >= 0 ? value.slice(0, colon) : value).toLowerCase();
  return `${flags.includes('quic') ? 'udp' : 'tcp'} ${host} ${port}`;
}

/**
 * The listens' errors (listenErrors), or, where an `ssl on;` makes a server's listens TLS whatever they say, one
 * unknown in place of those of their TLS (and HTTP/2). nginx keeps one set of options per address and port: an `ssl` on any listen of it (in any server)
 * makes every listen on it TLS (nginx 1.22 says nothing of it; 1.25 warns "protocol options redefined"), so a
 * listen without ssl on the port of one with it serves TLS, and is held to the registry as such. So are http2 and
 * proxy_protocol (ngx_http_add_addresses ORs them too), said at the listen that sets them. `others`: the listens of
 * http {} nginx loads beside the site's (another server, another file: conf.d/a.conf's `listen 8080 http2;` makes the
 * site's `listen 8080;` HTTP/2 alone too, nginx 1.22 answering its plain HTTP/1.1 request with HTTP/2 frames).
 * Exact addresses only: each address of a port has options of its own (ngx_http_add_addrs), even where nginx binds the
 * wildcard alone, so `listen 8080 http2;` leaves the site's `listen 127.0.0.1:8080;` plain, and another server's
 * `listen 127.0.0.1:8080 http2;` is no matter of the site's `listen 8080;` (nginx hands 127.0.0.1's connections to
 * that server, never the site: loopbackShadowed's error). The site's server is the one passing requests on, as there.
 */
function listenTls(facts: SiteFacts, expect: NginxExpectations, others: readonly SiteStatement[] = []): Finding[] {
  const tlsSockets = new Set<string>();
  const sockets = new Map<SiteStatement, string>();
  for (const statement of [...facts.tls, ...others]) {
    const [, value, ...flags] = statement.words as [string, string, ...string[]];
    const port = listenPort(value, expect);
    if (typeof port !== 'number') continue;
    const socket = listenSocket(value, flags, port);
    sockets.set(statement, socket);
    if (flags.includes('ssl') || flags.includes('quic')) tlsSockets.add(socket);
  }
  const onPort = facts.listens.filter((listen) => listenPort(listen.statement.words[1]!, expect) === expect.port);
  const passing = onPort.filter((listen) => listen.passes === true);
  const site = new Set((passing.length > 0 ? passing : onPort).map((listen) => listen.statement));
  const siteSockets = new Set([...site].map((statement) => sockets.get(statement)));
  // Another server's listen on an address the site's server does not listen on sets options for connections it never gets.
  const listens = [...facts.tls, ...others].filter((statement) => site.has(statement) || (sockets.has(statement) && siteSockets.has(sockets.get(statement))));
  const found = listens.map((statement) => {
    const socket = sockets.get(statement);
    return listenErrors(statement, expect, socket !== undefined && tlsSockets.has(socket));
  });
  const proxy = found.flatMap((each) => each.proxy);
  if (facts.sslOn === undefined || expect.scheme === undefined) return found.flatMap((each) => [...each.tls, ...each.proxy]);
  const message = `ssl on turns TLS on for every listen of its server (deprecated; nginx 1.25.1 refuses it), so whether ${expect.name} serves ${expect.scheme === 'https' ? 'HTTPS' : 'plain HTTP'} on port ${expect.port} as the registry says is not read; write listen ${expect.port}${expect.scheme === 'https' ? ' ssl' : ''}; instead`;
  // nginx reads a PROXY protocol header before any TLS: its error stands whatever ssl on does.
  return [{ ...placeAt(facts.sslOn), severity: 'unknown', message }, ...proxy];
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

/**
 * The pass directives whose scheme a variable may give (`$scheme://127.0.0.1:8000`): nginx builds the URL per
 * request and reads its scheme then (ngx_http_proxy_eval, ngx_http_grpc_eval: grpc:// or grpcs://).
 */
const VARIABLE_SCHEME = new Set(['proxy_pass', 'grpc_pass']);

/**
 * A host and port as nginx reads an address (ngx_parse_inet_url): an IPv6
 * address in brackets, then maybe `:port`; else a host, and a port after its
 * first `:`. A port nginx refuses (not digits alone, 0, over 65535, empty:
 * `8000x`, `+8001`, `8000\e`; nginx -t: "invalid port in upstream") is
 * `badPort`, as written; undefined for an address nginx refuses otherwise.
 */
function nginxAddress(authority: string): { host: string; port?: number } | { host: string; badPort: string } | undefined {
  let host = authority;
  let port: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0 || (close + 1 < authority.length && authority[close + 1] !== ':')) return undefined;
    host = authority.slice(0, close + 1);
    if (close + 1 < authority.length) port = authority.slice(close + 2);
  } else {
    const colon = authority.indexOf(':');
    if (colon >= 0) [host, port] = [authority.slice(0, colon), authority.slice(colon + 1)];
  }
  if (port === undefined) return { host };
  return /^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535 ? { host, port: Number(port) } : { host, badPort: port };
}

/** Why nginx refuses a port (nginxAddress's badPort), and what to write instead, for a message after the value. */
function badPortText(port: string, fix: string): string {
  const what = port === '' ? 'no port after the colon' : `${quoteValue(port, 200)} is not a port`;
  return `${what} nginx accepts (1 to 65535), so it refuses the file ("invalid port in upstream") and does not start; ${fix}`;
}

/** Where a pass directive sends requests to a host: its port (undefined: none written and no default known), and whether a variable gives its scheme. */
type PassHost = { host: string; port: number | undefined; portWritten: boolean; variableScheme?: true };

/**
 * Where a pass directive sends requests: a host and its port (undefined: none
 * written and no default), the port written when nginx refuses it
 * (`badPort`), `variable` (the whole URL, its host or its port from a variable), or undefined
 * (a UNIX socket, a scheme nginx refuses). A proxy_pass or grpc_pass scheme
 * from a variable (`$scheme://127.0.0.1:8000`: nginx builds the URL per
 * request, http or https; grpc or grpcs) leaves the host and port written:
 * `variableScheme`, with no default port (80 or 443 is the variable's to decide).
 */
function passTarget(directive: string, value: string): PassHost | { host: string; badPort: string } | 'variable' | undefined {
  const schemes = PASSES[directive]!;
  const scheme = /^([a-zA-Z]+):\/\//.exec(value) ?? (VARIABLE_SCHEME.has(directive) ? /^([^/:?]*\$[^/:?]*):\/\//.exec(value) : null);
  const variableScheme = scheme?.[1]?.includes('$') === true;
  // nginx compares the scheme case-insensitively (HTTP://h proxies like http://h).
  const name = scheme ? scheme[1]!.toLowerCase() : '';
  // A URL no scheme starts but a variable does (`proxy_pass $backend;`, `$u/api/`): nginx takes the whole of it,
  // scheme, host and port, from the variable per request. Not followed (unknown), never read as no pass at all.
  if (!scheme && value.startsWith('$')) return 'variable';
  if ((!variableScheme && !(name in schemes)) || (!scheme && value.startsWith('unix:'))) return undefined;
  // The address ends at the URI's `/` or the arguments' `?`, as nginx reads it.
  // `http://unix:/run/app.sock:/uri` is a UNIX socket, as nginx reads it (ngx_parse_url), no host and port.
  if (value.slice(scheme ? scheme[0].length : 0).startsWith('unix:')) return undefined;
  const authority = value.slice(scheme ? scheme[0].length : 0).split(/[/?]/)[0]!;
  if (authority.includes('$')) return 'variable';
  const address = nginxAddress(authority);
  if (!address || 'badPort' in address) return address;
  const portWritten = address.port !== undefined;
  if (variableScheme) return { host: address.host, port: address.port, portWritten, variableScheme: true };
  return { host: address.host, port: address.port ?? (schemes[name]! || undefined), portWritten };
}

/**
 * An unknown for a pass to this machine whose scheme a variable gives (`$scheme://127.0.0.1:8000`): nginx takes
 * http or https (grpc_pass: grpc or grpcs) per request, so whether it speaks the upstream's scheme (and, with no port written, which port
 * it reaches) is not known. Its host and port are held to the registry as any other pass's.
 */
function variableSchemeFinding(pass: SiteStatement, portWritten: boolean, expect: NginxExpectations, reached: Reached = expect.upstream): Finding {
  const [directive, value] = [pass.words[0]!, pass.words[1]!];
  const { name } = reached;
  const scheme = value.slice(0, value.indexOf('://'));
  const portWords = !portWritten ? ", and so its port (the scheme's default, 80 or 443)," : '';
  const speaks = reached.scheme === undefined ? '' : ` by ${reached.scheme} as the registry says`;
  const message = `${directive} ${shown(value)} takes its scheme${portWords} from ${shown(scheme)}, which nginx sets per request and this check cannot tell, so whether it reaches ${name}${speaks} is not known; write ${directive} ${passTo(directive, expect, reached)};${snippetAside(expect, reached)}`;
  return { ...placeAt(pass), severity: 'unknown', message };
}

/**
 * The URI part of a pass directive (`/` in `http://127.0.0.1:8000/`), as
 * written; undefined when it has none, and nginx passes the request's URI as
 * it is. Only proxy_pass takes one: grpc_pass, uwsgi_pass, fastcgi_pass and
 * scgi_pass take an address (nginx -t refuses `grpc_pass h:9/x`).
 */
function passUri(pass: SiteStatement): string | undefined {
  const value = pass.words[1];
  const scheme = value !== undefined && pass.words[0] === 'proxy_pass' ? /^[a-zA-Z]+:\/\//.exec(value) : null;
  if (!scheme) return undefined;
  const slash = value!.indexOf('/', scheme[0].length);
  return slash < 0 ? undefined : value!.slice(slash);
}

/** The host and port a pass directive names, as written (`127.0.0.1:8000`, `app`), for a message. */
const passAuthority = (pass: SiteStatement): string => {
  const value = pass.words[1]!.replace(/^[a-zA-Z]+:\/\//, '');
  return value.split('/')[0]!;
};

/**
 * Whether a URI nginx builds from `template` (a proxy_pass URI with
 * variables, a rewrite's replacement) can have `path` as its path: it starts
 * with what is written before the first variable, and a `?` written there
 * ends the path.
 */
function mayBuild(template: string, path: string): boolean {
  const dollar = template.indexOf('$');
  const literal = dollar < 0 ? template : template.slice(0, dollar);
  const query = literal.indexOf('?');
  if (query >= 0) return literal.slice(0, query) === path;
  return dollar < 0 ? literal === path : path.startsWith(literal);
}

/** Whether connecting to a host reaches this machine: loopback in any spelling glibc resolves (`127.1`, `localhost.`), or the unspecified address (`0.0.0.0`, `::`), which Linux connects to loopback. */
function reachesThisHost(host: string): boolean {
  const bare = (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host).toLowerCase().replace(/\.$/, '');
  if (bare === 'localhost' || isUnspecified(bare) || isLoopback(bare)) return true;
  const v4 = inetAton(bare);
  return v4 !== undefined && (v4 === 0 || Math.floor(v4 / 2 ** 24) === 127);
}

/** Whether a pass's host may be an upstream block's name: one word, no dot, not this host, not an address. */
function mayNameUpstream(host: string): boolean {
  return !/[.:[\]]/.test(host) && !reachesThisHost(host) && inetAton(host) === undefined;
}

interface Upstream {
  readonly name: string;
  readonly servers: SiteStatement[];
  /** Where it opens. */
  readonly statement?: SiteStatement;
  /** The services its servers reach (blockReaches), worked out once however many passes name it. */
  reaches?: readonly Reached[];
}

/**
 * The findings for every pass directive: each to this machine on the upstream's port (or on another registry
 * service's, held to that service), directly or through every server of a named `upstream` block. A block's servers
 * are judged once, for the first pass that names it, however many do; a block no pass names is read only for what
 * nginx refuses (a port it does not take), since nginx sends it no request.
 */
function checkPasses(
  passes: readonly SiteStatement[],
  upstreams: ReadonlyMap<string, Upstream>,
  expect: NginxExpectations,
  unread?: string,
  hosts?: ReadonlySet<string>,
): Finding[] {
  const wanted = expect.upstream;
  const judged = new Set<Upstream>();
  const findings = passes.flatMap((pass): Finding[] => {
    const [directive, value] = [pass.words[0]!, pass.words[1]!];
    const target = passTarget(directive, value);
    if (target === 'variable') {
      const message = `${directive} ${shown(value)}: set from a variable, which this check does not follow, so whether it reaches ${wanted.name} is not known; if it should, write ${directive} ${passTo(directive, expect)}; (${expect.snippet})`;
      return [{ ...place(pass), severity: 'unknown', message }];
    }
    if (target === undefined) return [];
    if ('badPort' in target) {
      // What it means to say: this machine on the upstream's port, or, to another host, some port.
      const fix = reachesThisHost(target.host)
        ? `write ${directive} ${shown(value.replace(`${target.host}:${target.badPort}`, `${target.host}:${wanted.port}`))}; (${wanted.name}'s port)`
        : 'write the port the server listens on';
      return [{ ...place(pass), severity: 'error', message: `${directive} ${shown(value)}: ${badPortText(target.badPort, fix)}` }];
    }
    const upstream = upstreams.get(target.host.toLowerCase());
    if (upstream) {
      // nginx -t: `upstream "NAME" may not have port 8000`, wherever the block stands (ngx_http_upstream_add).
      if (target.portWritten) {
        const fixed = value.replace(`${target.host}:${target.port}`, target.host);
        const message = `${directive} ${shown(value)} names upstream ${shown(upstream.name)} with a port, which nginx refuses (nginx -t: "upstream ${shown(target.host)} may not have port ${target.port}")${REFUSES_CONFIG}; write ${directive} ${shown(fixed)}; (the block's servers name the ports)`;
        return [{ ...placeAt(pass), severity: 'error', message }];
      }
      const servers = judged.has(upstream) ? [] : checkUpstreamServers(upstream, pass, expect);
      judged.add(upstream);
      const schemes = blockReaches(upstream, expect).flatMap((reached) => {
        const scheme = target.variableScheme ? variableSchemeFinding(pass, true, expect, reached) : checkScheme(pass, expect, reached);
        return scheme ? [scheme] : [];
      });
      return [...servers, ...schemes];
    }
    // A name (no dot, no port) that may be an upstream block in a file not read: where it passes is not known.
    if (unread !== undefined && !target.portWritten && mayNameUpstream(target.host)) {
      const message = `${directive} ${shown(value)}: no upstream ${shown(target.host)} is in what this check read, and ${unread}, so whether it passes requests to ${wanted.name} (and its ${wanted.metrics}) is not checked; define the upstream in a file nginx loads that this check can read, or write ${directive} ${passTo(directive, expect)}; if it is meant for ${wanted.name} (${expect.snippet})`;
      return [{ ...placeAt(pass), severity: 'unknown', message }];
    }
    // Everything nginx loads read, and no block of the name: nginx resolves it as a host when it reads the file.
    if (unread === undefined && mayNameUpstream(target.host) && !hosts?.has(target.host.toLowerCase()))
      return [undefinedUpstream(pass, target.host, expect, hosts)];
    if (!reachesThisHost(target.host)) return [];
    // Another service's own port reaches that service (`location /grafana/` to Grafana): held to it, not to the upstream.
    const reached = target.port === undefined || target.port === wanted.port ? wanted : serviceOn(target.port, expect);
    const scheme =
      reached === undefined
        ? undefined
        : target.variableScheme
          ? variableSchemeFinding(pass, target.port !== undefined, expect, reached)
          : checkScheme(pass, expect, reached);
    if (reached !== undefined && reached !== wanted && reached.speaksHttp === false && directive in TLS_SCHEMES) {
      // HTTP (or gRPC) to a service the registry says speaks neither (Redis): most likely meant for the upstream.
      const message = `${directive} ${shown(value)} reaches ${reached.name}, which the registry says speaks neither HTTP nor HTTPS; write ${directive} ${passTo(directive, expect)}; if it is meant for ${wanted.name} (${expect.snippet}), or give ${reached.name} protocol: HTTP in the registry`;
      return [{ ...placeAt(pass), severity: 'error', message }];
    }
    if (reached !== undefined) {
      const refused = target.port === undefined ? undefined : refusedPass(pass, target.host, expect, '', undefined, reached);
      return [...(refused ? [refused] : []), ...(scheme ? [scheme] : [])];
    }
    const port: Finding = { ...placeAt(pass), severity: 'error', message: `${directive} ${shown(value)}, ${strayPort(target.port!, expect)}` };
    const upstreamScheme = target.variableScheme ? variableSchemeFinding(pass, true, expect) : checkScheme(pass, expect);
    return upstreamScheme ? [port, upstreamScheme] : [port];
  });
  for (const upstream of new Set(upstreams.values())) if (!judged.has(upstream)) findings.push(...unusedUpstream(upstream, expect));
  return findings;
}

/**
 * A finding for a pass naming a host with no dot that no upstream block of what nginx loads defines: nginx resolves it
 * when it reads the file and refuses the configuration where it cannot (nginx -t: `host not found in upstream "NAME"`).
 * Not in /etc/hosts, it is most likely a missing upstream block; a warning all the same, as DNS (a search domain, a
 * container's resolver) may resolve it, which this check does not ask.
 */
function undefinedUpstream(pass: SiteStatement, host: string, expect: NginxExpectations, hosts: ReadonlySet<string> | undefined): Finding {
  const [directive, value] = [pass.words[0]!, pass.words[1]!];
  const { name, port } = expect.upstream;
  const hostsSaid = hosts === undefined ? '/etc/hosts could not be read' : `${shown(host)} is not in /etc/hosts`;
  const message = `${directive} ${shown(value)}: no upstream ${shown(host)} is defined in what nginx loads, and ${hostsSaid}, so it is most likely a missing upstream block: nginx refuses the configuration (nginx -t: host not found in upstream "${shown(host)}")${REFUSES_CONFIG}, unless DNS resolves ${shown(host)}; define upstream ${shown(host)} { server 127.0.0.1:${port}; } in http {} (a file of conf.d/, or the site's top level), or write ${directive} ${passTo(directive, expect)}; if it is meant for ${name} (${expect.snippet})`;
  return { ...placeAt(pass), severity: 'warning', message };
}

/** The registry's service (other than the upstream) a connection to this host on `port` reaches, if any. */
const serviceOn = (port: number, expect: NginxExpectations): Reached | undefined => expect.services?.find((service) => service.port === port);

/**
 * The service a connection to this host on `port` is held to: the upstream on its port, another registry service on
 * its own, and the upstream on a port no service uses (most likely meant for it: strayPort says so).
 */
const heldTo = (port: number, expect: NginxExpectations): Reached =>
  port === expect.upstream.port ? expect.upstream : (serviceOn(port, expect) ?? expect.upstream);

/**
 * The words after a pass (or an upstream server) to this host on a port no registry service uses: most likely meant
 * for the upstream, so its port is the fix, or the registry's, where it would take the port for the upstream.
 */
function strayPort(port: number, expect: NginxExpectations): string {
  const { name } = expect.upstream;
  return `but ${name}, the site's upstream, uses port ${expect.upstream.port}, and no other registry service uses port ${port}; ${portFix('its port', expect.upstream.port, expect.snippet, registryInstead(expect.upstream, port))}`;
}

/**
 * The services an upstream block's servers on this host reach (heldTo), each once, in the order of its servers, for
 * its passes' schemes; a `down` server, never sent a request, reaches none. Empty when none is here.
 */
function blockReaches(upstream: Upstream, expect: NginxExpectations): readonly Reached[] {
  upstream.reaches ??= [
    ...new Set(
      upstream.servers.flatMap((server) => {
        const port = serverFlag(server, 'down') ? undefined : serverPortHere(server.words[1] ?? '');
        return typeof port === 'number' ? [heldTo(port, expect)] : [];
      }),
    ),
  ];
  return upstream.reaches;
}

/** Whether a pass goes to this host on another registry service's own port (directly, or through an upstream block), not the upstream's. */
function reachesOther(pass: SiteStatement, upstreams: ReadonlyMap<string, Upstream>, expect: NginxExpectations): boolean {
  const target = passTarget(pass.words[0]!, pass.words[1]!);
  if (target === undefined || target === 'variable' || 'badPort' in target) return false;
  const block = upstreams.get(target.host.toLowerCase());
  if (block) {
    if (target.portWritten) return false; // nginx refuses it: said by checkPasses
    const reached = blockReaches(block, expect);
    return reached.length > 0 && !reached.includes(expect.upstream);
  }
  return reachesThisHost(target.host) && target.port !== undefined && target.port !== expect.upstream.port && serviceOn(target.port, expect) !== undefined;
}

/**
 * What each pass directive that speaks TLS or not by its scheme writes for plain and TLS: proxy_pass http or https,
 * grpc_pass grpc (also with no scheme, `grpc_pass 127.0.0.1:9000`) or grpcs.
 */
const TLS_SCHEMES: Readonly<Record<string, { readonly plain: string; readonly tls: string }>> = {
  proxy_pass: { plain: 'http', tls: 'https' },
  grpc_pass: { plain: 'grpc', tls: 'grpcs' },
};

/**
 * An error for a proxy_pass or grpc_pass to this machine whose scheme is not the one the registry's protocol says
 * the upstream speaks (urlScheme: https, so grpcs, for an HTTPS upstream; http, so grpc, for any other). nginx -t
 * passes either; at run time plain HTTP to a TLS server is answered 400 ("The plain HTTP request was sent to HTTPS
 * port"), cleartext HTTP/2 (grpc://) to a TLS server fails and nginx answers 502, and TLS to a plain one fails its
 * handshake (nginx logs "SSL_do_handshake() failed ... wrong version number" and answers 502).
 */
function checkScheme(pass: SiteStatement, expect: NginxExpectations, reached: Reached = expect.upstream): Finding | undefined {
  const wanted = reached.scheme;
  const [directive, value] = [pass.words[0]!, pass.words[1]!];
  const schemes = TLS_SCHEMES[directive];
  if (wanted === undefined || schemes === undefined) return undefined;
  // A gRPC service the registry calls TCP may speak TLS or not: nothing to hold its grpc_pass to.
  if (directive === 'grpc_pass' && reached.speaksHttp === false) return undefined;
  const written = /^([a-zA-Z]+):\/\//.exec(value)?.[1];
  // grpc_pass without a scheme speaks grpc (plain); proxy_pass always has one.
  const tls = written === undefined ? false : written.toLowerCase() === schemes.tls;
  if (tls === (wanted === 'https')) return undefined;
  const { name } = reached;
  const scheme = wanted === 'https' ? schemes.tls : schemes.plain;
  const fixed = `${directive} ${shown(written === undefined ? `${scheme}://${value}` : `${scheme}${value.slice(written.length)}`)};`;
  const fix = `write ${fixed}${snippetAside(expect, reached)}, or give ${name} protocol: ${wanted === 'https' ? 'HTTP' : 'HTTPS'} in the registry`;
  let message: string;
  if (wanted === 'https' && directive === 'proxy_pass')
    message = `proxy_pass ${shown(value)} speaks plain HTTP to ${name}, but the registry says ${name} is HTTPS, so it answers 400 ("The plain HTTP request was sent to HTTPS port"); ${fix}`;
  else if (wanted === 'https')
    message = `${directive} ${shown(value)} speaks gRPC without TLS (cleartext HTTP/2) to ${name}, but the registry says ${name} is HTTPS, so the TLS server does not take it and nginx answers 502; ${fix}`;
  else
    message = `${directive} ${shown(value)} speaks TLS to ${name}, but the registry says ${name} is plain HTTP, so the handshake fails and nginx answers 502 ("SSL_do_handshake() failed ... wrong version number"); ${fix}`;
  return { ...placeAt(pass), severity: 'error', message };
}

/**
 * An error for a pass (or an upstream block's `server`) to `host` on this machine on the upstream's port that none
 * of the sockets listening there takes (refusedConnection: `127.0.0.2` beside a socket on 127.0.0.1 only): nginx's
 * connection is refused ("connect() failed (111: Connection refused)") and it answers 502. An IPv4 address is read
 * as glibc's inet_aton reads it (`127.1` is 127.0.0.1); the fix writes the address to connect to instead in its place.
 */
function refusedPass(
  statement: SiteStatement,
  host: string,
  expect: NginxExpectations,
  within = '',
  failover?: Failover,
  reached: Reached = expect.upstream,
): Finding | undefined {
  const { name, port, listeners } = reached;
  if (listeners === undefined || listeners.length === 0) return undefined; // nothing listens: held to the port alone
  const refused = refusedConnection(connectHost(host), port, listeners);
  if (!refused) return undefined;
  const [directive, value] = [statement.words[0]!, statement.words[1]!];
  // The host and port as written, at the start of the value or after its scheme: what the fix replaces.
  const scheme = directive === 'server' ? '' : (/^[^/:?]*:\/\//.exec(value)?.[0] ?? ''); // `$scheme://` too
  const authority = value.slice(scheme.length).split(/[/?]/)[0]!;
  const fixed = `${scheme}${refused.instead}${value.slice(scheme.length + authority.length)}`;
  const fix = `write ${directive} ${shown(fixed)};${snippetAside(expect, reached)}`;
  if (failover === undefined) {
    const message = `${directive} ${shown(value)}${within}, but ${refused.why}, so nginx's connection to ${name} is refused and it answers 502; ${fix}`;
    return { ...placeAt(statement), severity: 'error', message };
  }
  // Another server of the block reaches a listener: nginx marks this one failed and passes requests on to the others.
  const outcome =
    failover === 'backup'
      ? `so nginx's connection to ${name} through it is refused, and this backup, used only when the other servers fail, would not help when it is needed`
      : `so nginx's connection to ${name} through it is refused: nginx marks it failed and passes requests to the other servers of the upstream`;
  return { ...placeAt(statement), severity: 'warning', message: `${directive} ${shown(value)}${within}, but ${refused.why}, ${outcome}; ${fix}` };
}

/** A refused upstream server's place when another server of its block reaches a listener: a `backup`, or one of the others (`primary`). */
type Failover = 'backup' | 'primary';

/** A host as a connection goes to it: an IPv4 address as glibc's inet_aton reads it (`127.1` is 127.0.0.1). */
function connectHost(host: string): string {
  const v4 = inetAton(host.toLowerCase().replace(/\.$/, ''));
  return v4 === undefined ? host : dottedQuad(v4);
}

/** An upstream server's parameters after its address (`weight=2`, `backup`, `down`): nginx never uses a `down` one. */
const serverFlag = (server: SiteStatement, flag: 'backup' | 'down'): boolean => server.words.slice(2).includes(flag);

/**
 * Whether nginx's connection through an upstream server reaches a listener of the service it is held to (heldTo):
 * this host, on that service's port, taken by a socket there.
 */
function serverReaches(server: SiteStatement, expect: NginxExpectations): boolean {
  const address = server.words[1] ?? '';
  const port = serverPortHere(address);
  if (typeof port !== 'number') return false;
  const { listeners } = heldTo(port, expect);
  if (listeners === undefined || listeners.length === 0) return false;
  return reachesListener(connectHost(nginxAddress(address)!.host), listeners) === true;
}

/**
 * Where an upstream block's `server` sends requests, when that is this
 * machine: its port (80 when none is written); the port written when nginx
 * refuses it (`badPort`, whatever the host); undefined for a UNIX socket or another host.
 */
function serverPortHere(address: string): number | { badPort: string; here: boolean } | undefined {
  if (address.startsWith('unix:')) return undefined;
  const parsed = nginxAddress(address);
  if (parsed && 'badPort' in parsed) return { badPort: parsed.badPort, here: reachesThisHost(parsed.host) };
  if (!parsed || !reachesThisHost(parsed.host)) return undefined;
  return parsed.port ?? 80;
}

/**
 * The findings for the servers of an upstream block a pass names (`via`: the first that does), each held to the
 * service its port reaches here as a pass straight to that port is: the upstream on its port, another registry
 * service on its own (its listeners, and HTTP to one that speaks neither HTTP nor HTTPS), and a port no service uses
 * as most likely meant for the upstream. A refused server is a warning where another server of the block reaches a
 * listener (nginx fails over to it). One pass over the block: which servers reach a listener is worked out once.
 */
function checkUpstreamServers(upstream: Upstream, pass: SiteStatement, expect: NginxExpectations): Finding[] {
  const reaching = new Set(upstream.servers.filter((server) => !serverFlag(server, 'down') && serverReaches(server, expect)));
  const directive = pass.words[0]!;
  return upstream.servers.flatMap((server): Finding[] => {
    const address = server.words[1]!;
    const within = ` in upstream ${shown(upstream.name)} (${directive} ${shown(pass.words[1]!)} at ${lineWords(pass, server)})`;
    const port = serverPortHere(address);
    if (port === undefined) return [];
    if (typeof port === 'object') return [badServerPort(server, port, expect, within)];
    // A `down` server is never sent a request: only a port nginx refuses (nginx -t fails) is said of it.
    if (serverFlag(server, 'down')) return [];
    const reached = heldTo(port, expect);
    if (reached === expect.upstream && port !== expect.upstream.port)
      return [{ ...placeAt(server), severity: 'error', message: `server ${shown(address)}${within}, ${strayPort(port, expect)}` }];
    if (reached !== expect.upstream && reached.speaksHttp === false && directive in TLS_SCHEMES) {
      // HTTP (or gRPC) to a service the registry says speaks neither (Redis): most likely meant for the upstream.
      const fixed = `${address.slice(0, address.length - String(port).length)}${expect.upstream.port}`;
      const message = `server ${shown(address)}${within} reaches ${reached.name}, which the registry says speaks neither HTTP nor HTTPS, so ${directive} speaks ${directive === 'grpc_pass' ? 'gRPC' : 'HTTP'} to it; write server ${shown(fixed)}; if it is meant for ${expect.upstream.name} (${expect.snippet}), or give ${reached.name} protocol: HTTP in the registry`;
      return [{ ...placeAt(server), severity: 'error', message }];
    }
    // nginx answers 502 for a refused server only when no other server of the block takes the request instead.
    const others = reaching.size > (reaching.has(server) ? 1 : 0);
    const failover = !others ? undefined : serverFlag(server, 'backup') ? 'backup' : 'primary';
    const refused = refusedPass(server, nginxAddress(address)!.host, expect, within, failover, reached);
    return refused ? [refused] : [];
  });
}

/** An error for an upstream server's port nginx refuses (serverPortHere's badPort): nginx -t fails, wherever the block stands. */
function badServerPort(server: SiteStatement, port: { badPort: string; here: boolean }, expect: NginxExpectations, within: string): Finding {
  const address = server.words[1]!;
  const fix = port.here
    ? `write server ${shown(address.slice(0, address.length - port.badPort.length))}${expect.upstream.port}; (${expect.upstream.name}'s port)`
    : 'write the port the server listens on';
  return { ...place(server), severity: 'error', message: `server ${shown(address)}${within}: ${badPortText(port.badPort, fix)}` };
}

/**
 * The findings for an upstream block no pass of the site names: nginx still reads it, and refuses a port it does not
 * take; it sends it no request, so where its servers point is not judged (a pass in another file nginx loads may name it).
 */
function unusedUpstream(upstream: Upstream, expect: NginxExpectations): Finding[] {
  const within = ` in upstream ${shown(upstream.name)} (which no pass of the site names)`;
  return upstream.servers.flatMap((server) => {
    const port = serverPortHere(server.words[1] ?? '');
    return typeof port === 'object' ? [badServerPort(server, port, expect, within)] : [];
  });
}

/**
 * Whether a pass directive sends requests to the upstream: to this machine on
 * its port, or through a named upstream block one of whose servers is (each
 * block's servers read once, however many passes name it, and each pass
 * judged once, however often the metrics check asks). A target from a
 * variable is not followed (checkPasses says so, unknown).
 */
function passesToUpstream(upstreams: ReadonlyMap<string, Upstream>, expect: NginxExpectations): (pass: SiteStatement) => boolean {
  const port = expect.upstream.port;
  const blocks = new Map<Upstream, boolean>();
  const known = new Map<SiteStatement, boolean>();
  const decide = (pass: SiteStatement): boolean => {
    const [directive, value] = pass.words;
    if (directive === undefined || value === undefined || !(directive in PASSES)) return false;
    const target = passTarget(directive, value);
    // A port nginx refuses: it does not start, and passes nothing.
    if (target === undefined || target === 'variable' || 'badPort' in target) return false;
    const upstream = upstreams.get(target.host.toLowerCase());
    if (!upstream) return reachesThisHost(target.host) && target.port === port;
    if (target.portWritten) return false; // `upstream "NAME" may not have port`: nginx does not start
    if (!blocks.has(upstream))
      blocks.set(
        upstream,
        upstream.servers.some((server) => server.words[1] !== undefined && serverPortHere(server.words[1]) === port),
      );
    return blocks.get(upstream)!;
  };
  return (pass) => {
    let answer = known.get(pass);
    if (answer === undefined) known.set(pass, (answer = decide(pass)));
    return answer;
  };
}

// --- access to the metrics location ---

/** An allow or deny network as nginx holds it: the family, the address with the bits past the length cleared, the length. */
interface AccessNetwork {
  readonly family: 4 | 6;
  readonly value: bigint;
  readonly length: number;
}

/**
 * An allow or deny address as ngx_http_access_rule reads it (ngx_ptocidr): IPv4 as ngx_inet_addr takes it (parts of
 * decimal digits up to 255, `127.000.000.001`; also as the last part of an IPv6 one), an optional `/length` up to
 * the family's bits, and the bits past the length dropped as nginx drops them (`10.0.0.0/0` is every IPv4 address,
 * `127.0.0.1/8` is 127.0.0.0/8). Undefined where nginx refuses it.
 */
function accessNetwork(argument: string): AccessNetwork | undefined {
  const slash = argument.indexOf('/');
  const address = slash < 0 ? argument : argument.slice(0, slash);
  const v4 = nginxIPv4(address);
  let parsed: AddressBits | undefined;
  if (v4 !== undefined) parsed = { family: 4, bits: 32, value: v4 };
  else {
    const colon = address.lastIndexOf(':');
    const embedded = colon >= 0 && address.includes('.', colon) ? nginxIPv4(address.slice(colon + 1)) : undefined;
    parsed = addressBits(embedded === undefined ? address : `${address.slice(0, colon + 1)}${formatAddress(4, embedded)}`);
  }
  if (parsed === undefined) return undefined;
  const lengthText = slash < 0 ? String(parsed.bits) : argument.slice(slash + 1);
  if (!/^\d+$/.test(lengthText) || Number(lengthText) > parsed.bits) return undefined;
  const length = Number(lengthText);
  const host = BigInt(parsed.bits - length);
  return { family: parsed.family, value: (parsed.value >> host) << host, length };
}

/** An IPv4 address as ngx_inet_addr reads it: four dot-separated parts of decimal digits, each at most 255 (`127.000.000.001` is 127.0.0.1, an empty part 0). */
function nginxIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d*$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n);
}

/**
 * Whether access rules (allow and deny, in order) keep every client but this
 * machine out, as ngx_http_access_module decides: the first rule that matches
 * the client wins, and a client no rule matches is let in. IPv4 and IPv6
 * clients go by their family's rules (and `all`), so each family needs a deny
 * of all of it (`deny all`, or `0.0.0.0/0` and `::/0` in any spelling, any
 * address with length 0) before any allow of it that reaches beyond loopback;
 * an allow after its family's deny of everything never matches. `allow all;
 * deny all;` is open to all, with `satisfy any` or not. Returns the allow that
 * opens it, `none` when nothing denies everyone, undefined when restricted.
 */
function openingRule(rules: readonly SiteStatement[]): SiteStatement | 'none' | undefined {
  const denied = { 4: false, 6: false };
  for (const rule of rules) {
    const [directive, argument = ''] = rule.words;
    // A UNIX-socket client is this machine's: no rule of it opens or closes anything to clients from elsewhere.
    if (argument === 'unix:') continue;
    if (argument === 'all') {
      if (directive === 'deny') return undefined;
      return rule;
    }
    const network = accessNetwork(argument);
    if (network === undefined) {
      if (directive === 'allow') return rule;
      continue;
    }
    if (denied[network.family]) continue;
    if (directive === 'deny') {
      if (network.length === 0) denied[network.family] = true;
      if (denied[4] && denied[6]) return undefined;
    } else if (!isLoopbackNetwork(formatAddress(network.family, network.value), String(network.length))) return rule;
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

const isRegex = (location: LocationMatch): boolean => location.modifier === '~' || location.modifier === '~*';

/**
 * Whether a regex location matches a URI, read as JavaScript's Unicode
 * expressions, which refuse what they do not know (PCRE's `(?i)`, `\A`,
 * possessive `a++`) rather than read it otherwise: those, and POSIX classes,
 * are `unknown`.
 */
function regexMatches(location: LocationMatch, uri: string): boolean | 'unknown' {
  let expression = compiled.get(location);
  if (expression === undefined) {
    expression = compile(location);
    compiled.set(location, expression);
  }
  return expression === 'unknown' ? 'unknown' : expression.test(uri);
}

/** Each location's expression compiled once: it is tried against every request path a site maps onto the metrics path. */
const compiled = new WeakMap<LocationMatch, RegExp | 'unknown'>();

function compile(location: LocationMatch): RegExp | 'unknown' {
  if (location.path.includes('[:')) return 'unknown';
  try {
    return new RegExp(pcreDollar(location.path), location.modifier === '~*' ? 'iu' : 'u');
  } catch {
    return 'unknown';
  }
}

/**
 * An expression with each `$` outside a class written as PCRE reads it: the
 * end, or before a newline that ends the subject (JavaScript's `$` is the end
 * only). A request for `/app/metrics%0A` is one a rewrite to /metrics takes.
 */
function pcreDollar(source: string): string {
  let out = '';
  let inClass = false;
  for (let index = 0; index < source.length; index++) {
    const char = source[index]!;
    if (char === '\\') {
      out += source.slice(index, index + 2);
      index++;
    } else if (inClass) {
      out += char;
      inClass = char !== ']';
    } else {
      out += char === '$' ? '(?=\\n?$)' : char;
      inClass = char === '[';
    }
  }
  return out;
}

/** A block of the site: a location (with its match), a server, an upstream, ...; its allow and deny rules, the locations directly in it and the block around it. */
interface Block {
  readonly statement: SiteStatement;
  readonly location?: LocationMatch;
  readonly rules: SiteStatement[];
  readonly locations: LocationBlock[];
  readonly parent: Block | undefined;
  /** A location nginx never picks: a prefix or exact one inside a regex location (nginx builds no prefix tree there). */
  readonly unreachable: boolean;
  /** A pass directive (proxy_pass, ...) stands in this location: a request for its path without the last `/` is redirected to it. */
  autoRedirect: boolean;
  /** What decides where this location sends a request (ROUTING), in the order written; `conditional` when inside an `if` (or `limit_except`) in it. */
  readonly routing: { readonly statement: SiteStatement; readonly conditional: boolean }[];
}

/** A location block. */
type LocationBlock = Block & { readonly location: LocationMatch };

/** The directives that make a location ending in `/` redirect a request for its path without the `/` (clcf->auto_redirect). */
const AUTO_REDIRECT = new Set([...Object.keys(PASSES), 'memcached_pass']);

/** The directives that decide where a location sends a request: the passes, the rewrite module's `rewrite` and `return`, and `try_files` (to a named location). */
const ROUTING = new Set([...Object.keys(PASSES), 'rewrite', 'return', 'try_files']);

/** Where nginx sends a request: a location, the server itself (no location matches), a redirect to a location's path with a `/`, or a regex it cannot judge on the way. */
type Pick = { readonly location: LocationBlock | undefined } | { readonly redirect: LocationBlock } | { readonly unknown: LocationBlock };

/**
 * What nginx makes of a request for `uri` among a server's locations, as
 * ngx_http_core_find_location decides (checked against nginx 1.22): among
 * the prefix and exact locations, an exact `=` match wins at once; a
 * location of `uri` + `/` with a pass directive redirects to it, when no
 * location is named `uri`; else the longest prefix is taken and the search
 * goes on inside it, among its nested locations, the same way. Then, from
 * the deepest level out, each level's regex locations are tried in order,
 * unless that level's prefix match has `^~` (it stops only its own level's:
 * a `^~` nested in `location /` leaves the server's regexes in play); the
 * first that matches wins, and so does the first of its nested regex
 * locations that matches, and so on down (a prefix location nested in a
 * regex one is never picked). With no regex match, the deepest prefix match
 * serves. A stack of levels, not recursion: nesting costs no call stack.
 */
function pickLocation(locations: readonly LocationBlock[], uri: string): Pick {
  const regexLevels: (readonly LocationBlock[])[] = []; // levels whose regexes are tried, outermost first
  let chosen: LocationBlock | undefined;
  for (let level: readonly LocationBlock[] | undefined = locations; level; ) {
    const found = prefixMatch(level, uri);
    if ('exact' in found) return { location: found.exact };
    if ('redirect' in found) return { redirect: found.redirect };
    if (found.prefix?.location.modifier !== '^~') regexLevels.push(level);
    chosen = found.prefix ?? chosen;
    level = found.prefix?.locations;
  }
  for (const level of regexLevels.reverse()) {
    let matched = firstRegexMatch(level, uri);
    if (matched === undefined) continue;
    // Its nested regex locations are tried in turn: the deepest that matches serves.
    while ('location' in matched) {
      const deeper = firstRegexMatch(matched.location.locations, uri);
      if (deeper === undefined) break;
      matched = deeper;
    }
    return matched;
  }
  return { location: chosen };
}

/** The first regex location of a level that matches, in the order written; unknown when one before any match cannot be judged. */
function firstRegexMatch(level: readonly LocationBlock[], uri: string): { location: LocationBlock } | { unknown: LocationBlock } | undefined {
  for (const block of level) {
    if (!isRegex(block.location)) continue;
    const matches = regexMatches(block.location, uri);
    if (matches === 'unknown') return { unknown: block };
    if (matches) return { location: block };
  }
  return undefined;
}

/** A level's prefix and exact locations against a URI (ngx_http_core_find_static_location): an exact match, a redirect, or the longest prefix (or none). */
function prefixMatch(
  level: readonly LocationBlock[],
  uri: string,
): { exact: LocationBlock } | { redirect: LocationBlock } | { prefix: LocationBlock | undefined } {
  let prefix: LocationBlock | undefined;
  let named = false; // a location is named `uri` itself: no redirect
  let redirect: LocationBlock | undefined;
  const slashed = `${uri}/`;
  for (const block of level) {
    const { modifier, path } = block.location;
    if (isRegex(block.location)) continue;
    if (modifier === '=' && path === uri) return { exact: block };
    if (path === uri) named = true;
    if (path === slashed && block.autoRedirect) redirect ??= block;
    if (modifier !== '=' && uri.startsWith(path) && path.length > (prefix?.location.path.length ?? -1)) prefix = block;
  }
  return redirect && !named ? { redirect } : { prefix };
}

/** The allow and deny rules a block goes by: its own, or (none) those of the nearest block around it with some (ngx_http_access_merge_loc_conf); each chain walked once. */
function rulesOf(block: Block, known: Map<Block, readonly SiteStatement[]>): readonly SiteStatement[] {
  const walked: Block[] = [];
  let rules: readonly SiteStatement[] = [];
  for (let at: Block | undefined = block; at; at = at.parent) {
    const cached = known.get(at);
    if (cached) {
      rules = cached;
      break;
    }
    walked.push(at);
    if (at.rules.length > 0) {
      rules = at.rules;
      break;
    }
  }
  for (const each of walked) known.set(each, rules);
  return rules;
}

/** The name of a location as written, for a message. */
const locationName = (location: LocationMatch): string => `location ${location.modifier === '' ? '' : `${location.modifier} `}${shown(location.path)}`;

/**
 * A finding for a location that serves the metrics path, unless only this
 * machine may reach it; `subject` says how it serves it, `fix` (when given)
 * what to do instead of restricting this location.
 */
function restriction(block: Block, subject: string, rules: readonly SiteStatement[], fix?: string): Finding | undefined {
  const opening = openingRule(rules);
  if (opening === undefined) return undefined;
  const why =
    opening === 'none'
      ? `; ${fix ?? 'add allow 127.0.0.1; deny all;'}`
      : `: ${opening.words[0]} ${shown(opening.words[1]!)} (${lineWords(opening, block.statement)}) admits ${opening.words[1] === 'all' ? 'everyone' : 'clients from elsewhere'} before any deny all, and nginx takes the first rule that matches; ${fix ?? 'put allow 127.0.0.1; allow ::1; deny all; first'}`;
  return { ...place(block.statement), severity: 'error', message: `${subject} not restricted to localhost${why}` };
}

// --- the site ---

/** What one pass over the site's statements collects. */
interface SiteFacts {
  readonly findings: Finding[];
  readonly passes: SiteStatement[];
  /** The server blocks a pass is in (the facts themselves for a snippet included in one). */
  readonly passServers: Set<object>;
  readonly upstreams: Map<string, Upstream>;
  /** Every location, in the order written. */
  readonly locations: LocationBlock[];
  /** The locations of each server (and of the file itself, a snippet included in one), each a level nginx picks from. */
  readonly servers: LocationBlock[][];
  /** Every listen on a port where listen is a directive: a server of http {}, or the file itself (a snippet included in one). */
  readonly listens: HttpListen[];
  /** The first `listen unix:...` (a UNIX socket: no port), for a site that has no other listen. */
  unixListen?: SiteStatement;
  /** The first listen nginx refuses that is in no list above (`listen unix:;`): the site has a listen, not none. */
  refusedListen?: SiteStatement;
  /** Every listen on a port, for checkListenTls once all are read (nginx's ssl is one for every listen on an address and port). */
  readonly tls: SiteStatement[];
  /** The first `ssl on;` (deprecated; nginx 1.25.1 refuses it), which turns TLS on for every listen of its server. */
  sslOn?: SiteStatement;
}

/**
 * What a location nginx picks for a request path does with it: passes it to
 * the upstream (`named`: through try_files to that named location; `uri`:
 * the URI a `rewrite ... break` made of it, passed whole), cannot tell (the
 * statement that decides, and why), or neither (undefined).
 */
type Handling =
  | { readonly pass: SiteStatement; readonly named?: LocationBlock; readonly uri?: string; readonly rewrite?: SiteStatement }
  | { readonly unknown: SiteStatement; readonly why: string }
  | undefined;

/** What metricsHandling reads a server's location with. */
interface HandlingContext {
  readonly expect: NginxExpectations;
  /** The server's locations, where a named one (`@app`) is looked for. */
  readonly server: readonly LocationBlock[];
  readonly toUpstream: (pass: SiteStatement) => boolean;
  /** The site passes something to the upstream, so a rewrite may reach it. */
  readonly upstreamAnywhere: boolean;
  /** The request path asked about: the metrics path, or one a proxy_pass URI or a rewrite makes it (requestPaths). */
  readonly uri: string;
  /** The path uri is a variant of (`/api/metrics` for `/api/metrics/`): the one a fix names. */
  readonly base: string;
}

/**
 * What a location does with a request for context.uri, as nginx runs
 * it: the rewrite module's directives first, in order (a `return` answers
 * there, so a pass in the location never runs; a `rewrite` whose expression
 * matches: with `redirect` or `permanent` (or to `http://...`) nginx answers
 * the client, which asks again for a path held on its own; a simple one
 * (simpleRewrite) changes the URI, with `break` before the pass, which
 * passes it whole, with `last` (or, with no flag, once the rewrites after it
 * have run) for a new search for its location, which decides, and which is
 * held as a request path of its own (requestPaths); any other is not
 * followed: cannot tell);
 * then its pass directive, or, with none, the named location its
 * `try_files` ends in (`try_files $uri @app`: no file of that name, so the
 * request goes there, and is handled there the same way). An `if` in the
 * location makes what stands in it depend on the request: cannot tell.
 */
function metricsHandling(block: LocationBlock, context: HandlingContext): Handling {
  const { expect, upstreamAnywhere } = context;
  let uri = context.uri;
  let conditionalReturn: SiteStatement | undefined;
  let changed = false;
  let broke: SiteStatement | undefined;
  for (const { statement, conditional } of block.routing) {
    const [directive, argument, replacement, flag] = statement.words;
    if (directive === 'rewrite' && argument !== undefined) {
      if (!upstreamAnywhere) continue;
      const simple = simpleRewrite(statement);
      const matches = simple ? rewritten(simple, uri) !== undefined : regexMatches({ modifier: '~', path: argument }, uri);
      if (matches === false) continue;
      const redirects = flag === 'redirect' || flag === 'permanent' || (replacement !== undefined && REDIRECTING.test(replacement));
      if (matches === true && redirects && !conditional) return undefined; // nginx answers the client with a redirect
      if (!simple || conditional) {
        const how = matches === 'unknown' ? 'may match' : conditional ? 'matches, inside an if,' : 'matches';
        // With break the request stays here and the rewritten URI is passed whole; else nginx looks for its location again.
        const then = flag === 'break' ? 'changes it before it is passed on' : 'sends it elsewhere';
        return { unknown: statement, why: `rewrite ${shown(argument)} ${how} ${requested(uri)} and ${then}, which this check does not follow` };
      }
      uri = rewritten(simple, uri)!;
      if (flag === 'break') {
        broke = statement; // the rewrite module's directives after it do not run
        break;
      }
      if (flag === 'last') return undefined; // the location nginx picks for the new URI decides: a request path of its own
      changed = true;
      continue;
    }
    if (directive !== 'return') continue;
    if (!conditional) return undefined; // nginx answers with it: nothing is passed on
    conditionalReturn ??= statement;
  }
  if (changed && !broke) return undefined; // a new search, as after `last`
  const here = { ...context, uri };
  let handling = passOf(block, here) ?? (block.location.path.startsWith('@') ? undefined : namedPass(block, here));
  if (handling && 'pass' in handling) {
    if (broke && handling.uri === undefined) handling = { ...handling, uri, rewrite: broke };
    if (conditionalReturn) {
      const why = `a return inside an if may answer ${requested(context.uri)} before ${handling.pass.words[0]} passes it to ${expect.upstream.name}`;
      handling = { unknown: conditionalReturn, why };
    }
  }
  // What an if decides matters only when a pass here may send a metrics path; a rewrite (of a named location) hands the request on.
  if (handling && 'unknown' in handling && handling.unknown.words[0] !== 'rewrite' && !mayPassMetrics(block, here, broke !== undefined)) return undefined;
  return handling;
}

/** A location's pass to the upstream: one standing in it, else unknown for one inside an `if` (passed only when the condition holds); undefined for none. */
function passOf(block: LocationBlock, { expect, toUpstream, uri }: HandlingContext): Handling {
  const passes = block.routing.filter(({ statement }) => toUpstream(statement));
  const direct = passes.find(({ conditional }) => !conditional);
  if (direct) return { pass: direct.statement };
  const inIf = passes[0]?.statement;
  if (inIf)
    return {
      unknown: inIf,
      why: `${inIf.words[0]} to ${expect.upstream.name} inside an if: whether it passes ${requested(uri)} depends on the request`,
    };
  return undefined;
}

/** What the named location (`@app`, among the server's) a location's `try_files` ends in does with the metrics path. */
function namedPass(block: LocationBlock, context: HandlingContext): Handling {
  const tryFiles = block.routing.find(({ statement, conditional }) => !conditional && statement.words[0] === 'try_files');
  const last = tryFiles?.statement.words.at(-1);
  if (!last?.startsWith('@') || tryFiles!.statement.words.length < 3) return undefined;
  const named = context.server.find((each) => each.location.modifier === '' && each.location.path === last);
  const handling = named && metricsHandling(named, context);
  return handling && 'pass' in handling ? { ...handling, named: named! } : handling;
}

/**
 * The findings for the metrics path: every prefix or exact location that
 * serves it or a path under it (`/metrics`, `/metrics/`) must be restricted,
 * and so must the location nginx picks (pickLocation) for each request path
 * that reaches the upstream's metrics path (requestPaths: the path itself,
 * and `/api/metrics` where `location /api/` has `proxy_pass
 * http://127.0.0.1:8000/`): a regex location (`location ~ /` over `location
 * /metrics`), or one of another path (`location /`, `location /api/`) that
 * passes the request to the upstream's metrics path (generalLocation). A
 * regex location nginx does not reach for it (`location ^~ /metrics` or `=
 * /metrics` stop the search; an earlier regex matches) serves other paths,
 * and so does a location of another path that passes elsewhere, maps the
 * path to another (`proxy_pass http://127.0.0.1:8000/app/`) or serves files:
 * no concern of this check. Then the locations whose pass sends a URI this
 * check does not compute (uncomputedPasses).
 */
function checkMetricsLocations(facts: SiteFacts, expect: NginxExpectations): { findings: Finding[]; count: number } {
  const metrics = expect.upstream.metrics;
  const known = new Map<Block, readonly SiteStatement[]>();
  const findings: Finding[] = [];
  let count = 0;
  const toUpstream = passesToUpstream(facts.upstreams, expect);
  const upstreamAnywhere = facts.passes.some(toUpstream);
  for (const block of facts.locations) {
    if (isRegex(block.location) || block.unreachable || !block.location.path.startsWith(metrics)) continue;
    count++;
    const finding = restriction(block, `${locationName(block.location)} is`, rulesOf(block, known));
    if (finding) findings.push(finding);
  }
  for (const server of facts.servers) {
    const paths = requestPaths(server, toUpstream, expect);
    if (paths.skipped > 0) findings.push(tooManyPaths(paths.skipped, expect));
    // The locations found open (or not known) for each base path: its variants (`/metrics/`) through the same one add nothing the fix does not cover.
    const open = new Map<string, Set<Block>>();
    const report = (finding: Finding, block: Block, uri: string, base: string): void => {
      const blocks = open.get(base) ?? open.set(base, new Set()).get(base)!;
      if (uri !== base && blocks.has(block)) return;
      blocks.add(block);
      findings.push(finding);
    };
    for (const [uri, { source, base }] of paths.paths) {
      const picked = pickLocation(server, uri);
      if ('unknown' in picked) {
        const how = source?.rewrite ? `rewrites ${requested(uri)} (${lineWords(source.rewrite, source.block.statement)}) for` : `passes ${requested(uri)} to`;
        const over = source ? `${locationName(source.block.location)}, which ${how} ${expect.upstream.name}'s ${metrics}` : `the ${metrics} location`;
        const message = `${locationName(picked.unknown.location)}: cannot tell whether this regular expression matches ${requested(uri)} (nginx takes a matching one over ${over})`;
        report({ ...place(picked.unknown.statement), severity: 'unknown', message }, picked.unknown, uri, base);
        continue;
      }
      const block = 'location' in picked ? picked.location : undefined;
      if (block === undefined) continue;
      if (uri === metrics && isRegex(block.location)) {
        count++; // it is the metrics location, restricted or not
        const subject = `${locationName(block.location)} matches ${metrics} (nginx takes a matching regex location over a prefix one without ^~) and is`;
        const finding = restriction(block, subject, rulesOf(block, known));
        if (finding) report(finding, block, uri, base);
        continue;
      }
      if (!isRegex(block.location) && block.location.path.startsWith(metrics)) continue; // a location of the metrics path: held above
      const finding = generalLocation(block, { expect, server, toUpstream, upstreamAnywhere, uri, base }, known);
      if (finding === undefined) continue;
      count++; // it is the metrics location, restricted or not
      if (finding !== 'restricted') report(finding, block, uri, base);
    }
  }
  findings.push(...uncomputedPasses(facts.locations, toUpstream, known, findings, expect));
  return { findings, count };
}

/** At most this many request paths a proxy_pass URI or a rewrite makes the metrics path are held to the location nginx picks, per server (each with its variants, `/api/metrics/`): each pick reads the server's locations. */
export const MAX_MAPPED_PATHS = 32;

/**
 * The paths of the upstream that serve its metrics: the metrics path, and
 * the same with a `/` (`/metrics/`), which Prometheus's client libraries,
 * a Starlette mount and many more answer the same (or redirect to the other).
 */
const metricsPaths = (metrics: string): readonly string[] => (metrics.endsWith('/') ? [metrics] : [metrics, `${metrics}/`]);

/** A request path held to the location nginx picks for it. */
interface RequestPath {
  /** The location whose proxy_pass URI (or a `rewrite` in it) makes it a metrics path; undefined: a metrics path itself. */
  readonly source: { readonly block: LocationBlock; readonly rewrite?: SiteStatement } | undefined;
  /** The path it is a variant of (`/api/metrics` for `/api/metrics/`, `/app/metrics` for `/app/metrics%0A`), or itself. */
  readonly base: string;
}

/**
 * The request paths that may reach the upstream's metrics paths
 * (metricsPaths) through a server's locations, each with what makes it one.
 * nginx replaces the part of the request a prefix location matched with its
 * proxy_pass URI (`location /api/` and `http://127.0.0.1:8000/` make
 * /api/metrics /metrics; `location /app` and `.../v1`, /appX /v1X), and the
 * whole path an exact one matched; and a location's simple `rewrite ...
 * break` makes a metrics path of others (brokenFrom). Each is then held to
 * the location nginx picks for it, which may be another, and which decides
 * (metricsHandling runs the rewrites forward). Regex and named locations,
 * and passes inside an if, take no URI part (nginx -t fails); a URI with
 * variables is uncomputedPasses'.
 */
function requestPaths(
  server: readonly LocationBlock[],
  toUpstream: (pass: SiteStatement) => boolean,
  expect: NginxExpectations,
): { paths: Map<string, RequestPath>; skipped: number } {
  const metrics = expect.upstream.metrics;
  const targets = metricsPaths(metrics);
  const paths = new Map<string, RequestPath>();
  const bases = new Set<string>();
  const skipped = new Set<string>();
  const add = (path: string, entry: RequestPath): void => {
    if (paths.has(path) || skipped.has(entry.base)) return;
    // Each base has a few variants (a `/`, a newline); the second bound holds whatever rewrites make of them.
    if ((!bases.has(entry.base) && bases.size > MAX_MAPPED_PATHS) || paths.size >= 4 * (MAX_MAPPED_PATHS + 1)) {
      skipped.add(entry.base);
      return;
    }
    paths.set(path, entry);
    bases.add(entry.base);
  };
  for (const target of targets) add(target, { source: undefined, base: metrics });
  const blocks = [...server]; // the server's locations and those nested in them, outermost first
  for (let index = 0; index < blocks.length; index++) {
    const block = blocks[index]!;
    for (const inner of block.locations) blocks.push(inner);
    if (block.unreachable) continue;
    for (const { path, base, rewrite } of brokenFrom(block, targets, metrics)) add(path, { source: { block, rewrite }, base });
    if (isRegex(block.location) || block.location.path.startsWith('@')) continue;
    const pass = block.routing.find(({ statement, conditional }) => !conditional && toUpstream(statement))?.statement;
    const part = pass && passUri(pass);
    if (part === undefined || part.includes('$')) continue;
    const base = mappedFrom(block.location, part, metrics);
    for (const target of targets) {
      const path = mappedFrom(block.location, part, target);
      if (path !== undefined) add(path, { source: { block }, base: base ?? path });
    }
  }
  return { paths, skipped: skipped.size };
}

/**
 * The request paths a location's rewrites make a metrics path of before its
 * pass: back through each simple `rewrite ... break` (nginx passes the URI it
 * made whole), then back through the simple rewrites without a flag before
 * it, each at most once, as nginx runs them (one that does not match leaves
 * the path as it is). A rewrite with `last`, or without a flag and no break
 * after it, makes nginx search for a location again: the new URI is a
 * request path of its own, held on its own, so the path before it adds
 * nothing. Each comes with its base (rewrittenFrom's first, of the metrics
 * path itself) and the break.
 */
function brokenFrom(block: LocationBlock, targets: readonly string[], metrics: string): { path: string; base: string; rewrite: SiteStatement }[] {
  const rewrites = block.routing.filter(({ statement }) => statement.words[0] === 'rewrite').map(({ statement }) => simpleRewrite(statement));
  const found: { path: string; base: string; rewrite: SiteStatement }[] = [];
  for (const [index, rewrite] of rewrites.entries()) {
    if (rewrite?.flag !== 'break') continue;
    let paths = new Map(targets.map((path) => [path, metrics]));
    // Rewrites that prepend each their own prefix make 2^n paths of n: past what requestPaths holds, the rest is not built (and it says so).
    for (let before = index; before >= 0 && paths.size <= 4 * (MAX_MAPPED_PATHS + 1); before--) {
      const earlier = rewrites[before];
      if (earlier === undefined || (before < index && earlier.flag !== undefined)) continue;
      // Past the break itself, a rewrite that does not match keeps the path.
      const back = new Map(before === index ? [] : paths);
      for (const [path, base] of paths) {
        const from = rewrittenFrom(earlier, path);
        const baseFrom = path === base ? from[0] : (rewrittenFrom(earlier, base)[0] ?? from[0]);
        for (const each of from) if (!back.has(each)) back.set(each, baseFrom!);
      }
      paths = back;
    }
    for (const [path, base] of paths) found.push({ path, base, rewrite: rewrite.statement });
  }
  return found;
}

/** The request path a location whose proxy_pass has the URI `part` sends to `metrics`, if one is. */
function mappedFrom(location: LocationMatch, part: string, metrics: string): string | undefined {
  const query = part.indexOf('?');
  // What follows a `?` in the URI goes into the query: every request the location takes has that path.
  if (query >= 0) return part.slice(0, query) === metrics ? location.path : undefined;
  if (location.modifier === '=') return part === metrics ? location.path : undefined;
  return metrics.startsWith(part) ? location.path + metrics.slice(part.length) : undefined;
}

/** The unknown for the request paths past MAX_MAPPED_PATHS in one server. */
function tooManyPaths(skipped: number, expect: NginxExpectations): Finding {
  return {
    line: 0,
    severity: 'unknown',
    message: `${skipped} more request paths than the ${MAX_MAPPED_PATHS} this check follows reach ${expect.upstream.name}'s ${expect.upstream.metrics} through a proxy_pass URI or a rewrite; whether they are restricted is not checked`,
  };
}

/**
 * The path the upstream sees (without the query) when a location's pass
 * sends it a request for `uri`: with a URI part, the part of the request the
 * location matched replaced by it (mappedFrom); without, the request's own.
 * Undefined when nginx builds it from variables (uncomputedPasses says so).
 */
function passedPath(block: LocationBlock, pass: SiteStatement, uri: string): string | undefined {
  const part = passUri(pass);
  if (part === undefined) return uri;
  if (part.includes('$')) return undefined;
  // nginx refuses a URI part in a regex or named location (nginx -t fails): a site that holds one is not served.
  if (isRegex(block.location) || block.location.path.startsWith('@')) return uri;
  const path = block.location.modifier === '=' ? part : part + uri.slice(block.location.path.length);
  return path.split('?')[0]!;
}

/** The path a pass sends for `uri`: passedPath, or, for a URI a `rewrite ... break` made (`whole`), that URI (nginx ignores the proxy_pass URI part then, unless it holds variables). */
function sentPath(block: LocationBlock, pass: SiteStatement, uri: string, whole: boolean): string | undefined {
  if (!whole) return passedPath(block, pass, uri);
  return passUri(pass)?.includes('$') ? undefined : uri;
}

/** Whether a location's passes to the upstream may send a request for `uri` to a metrics path; true when it has none of its own (it hands the request on). */
function mayPassMetrics(block: LocationBlock, { toUpstream, uri, expect }: HandlingContext, whole: boolean): boolean {
  const passes = block.routing.filter(({ statement }) => toUpstream(statement));
  if (passes.length === 0) return true;
  return passes.some(({ statement }) => {
    const path = sentPath(block, statement, uri, whole);
    return path === undefined || metricsPaths(expect.upstream.metrics).includes(path);
  });
}

/**
 * The finding for a location of another path that nginx picks for a request
 * path (context.uri): an error when it passes it to the upstream's metrics
 * path and neither it nor the named location it goes through restricts it
 * (nginx checks the access rules of both); `restricted` when one does;
 * undefined when it passes it nowhere this check is concerned with.
 */
function generalLocation(block: LocationBlock, context: HandlingContext, known: Map<Block, readonly SiteStatement[]>): Finding | 'restricted' | undefined {
  const { expect, uri, base } = context;
  const { name, metrics } = expect.upstream;
  const handling = metricsHandling(block, context);
  if (handling === undefined) return undefined;
  const where = `${locationName(block.location)} is the location nginx picks for ${requested(uri)}`;
  if ('unknown' in handling) {
    return { ...place(handling.unknown), severity: 'unknown', message: `${where}: ${handling.why}, so whether ${name}'s metrics are open is not known` };
  }
  const { pass, named, rewrite } = handling;
  const passed = sentPath(named ?? block, pass, handling.uri ?? uri, handling.uri !== undefined);
  if (passed === undefined || !metricsPaths(metrics).includes(passed)) return undefined;
  const rules = rulesOf(block, known);
  if (named && openingRule(rulesOf(named, known)) === undefined) return 'restricted';
  const through = named ? ` through try_files to ${locationName(named.location)}` : '';
  const rewriting = rewrite ? ` through ${shown(rewrite.words.join(' '))} (${lineWords(rewrite, block.statement)})` : '';
  const reaches = uri === metrics && !rewrite ? '' : `: ${requested(uri)} reaches ${shown(passAuthority(pass))}${passed}${rewriting}`;
  const subject = `${where} and passes it to ${name}${through} (${pass.words[0]} ${shown(pass.words[1]!)}, ${lineWords(pass, block.statement)})${reaches}, but is`;
  // A location of its own takes the path (and its variants) from this one; an exact or regex location, or one of that path, is restricted itself.
  const ownLocation = block.location.modifier === '=' || isRegex(block.location) || block.location.path === base;
  const fix = ownLocation
    ? undefined
    : base === metrics
      ? `add location ${metrics} { allow 127.0.0.1; allow ::1; deny all; proxy_pass ${backend(expect)}; } (${expect.snippet})`
      : `add location ${shown(base)} { allow 127.0.0.1; allow ::1; deny all; proxy_pass ${backend(expect)}${metrics}; } (${expect.snippet})`;
  return restriction(block, subject, rules, fix) ?? 'restricted';
}

/** A request path as a client writes it, for a message: a newline (which a rewrite's `$` lets through) as `%0A`. */
const requested = (uri: string): string => shown(uri.replaceAll('\n', '%0A'));

/**
 * A rewrite this check runs and runs back exactly: an expression of a
 * literal prefix (`\.` and the like escape a character) and at most one
 * `(.*)` or `(.+)`, anchored at both ends (`^/app/(.*)$`), a replacement of
 * text around `$1` (text alone without the group: `^/stats$ /metrics`), no
 * `?`, and the flag `break`, `last` or none. Anything else is not followed.
 */
interface SimpleRewrite {
  readonly statement: SiteStatement;
  readonly prefix: string;
  /** The capture: none, any text or some (`*`, `+`); never a newline, as PCRE's `.` reads it. */
  readonly group: '' | '*' | '+';
  /** The replacement before and after `$1`. */
  readonly before: string;
  readonly after: string;
  readonly flag: 'break' | 'last' | undefined;
}

const SIMPLE_EXPRESSION = /^\^((?:[^\\^$.|?*+()[\]{}\n]|\\[^0-9A-Za-z\n])*)(?:\(\.([*+])\))?\$$/u;

function simpleRewrite(statement: SiteStatement): SimpleRewrite | undefined {
  const [, expression, replacement, flag, extra] = statement.words;
  if (expression === undefined || replacement === undefined || extra !== undefined || REDIRECTING.test(replacement)) return undefined;
  if (flag !== undefined && flag !== 'break' && flag !== 'last') return undefined;
  const match = SIMPLE_EXPRESSION.exec(expression);
  const parts = /^([^$?\n]*)(?:\$1([^$?\n]*))?$/u.exec(replacement);
  if (!match || !parts || (match[2] === undefined) !== (parts[2] === undefined)) return undefined;
  const group = (match[2] ?? '') as SimpleRewrite['group'];
  return { statement, prefix: match[1]!.replace(/\\(.)/gu, '$1'), group, before: parts[1]!, after: parts[2] ?? '', flag };
}

/** The URI a simple rewrite makes of `uri`, as PCRE matches (`.` takes anything but a newline; `$` also matches before a newline that ends it), or undefined when it does not match. */
function rewritten(rewrite: SimpleRewrite, uri: string): string | undefined {
  if (!uri.startsWith(rewrite.prefix)) return undefined;
  const rest = uri.slice(rewrite.prefix.length);
  const capture = rest.endsWith('\n') ? rest.slice(0, -1) : rest;
  if (capture.includes('\n') || (rewrite.group === '' ? capture !== '' : rewrite.group === '+' && capture === '')) return undefined;
  return rewrite.before + capture + rewrite.after;
}

/** The request paths a simple rewrite makes `target` of: the one a client writes, and the same with a newline (`%0A`) at the end, which `$` lets through. */
function rewrittenFrom(rewrite: SimpleRewrite, target: string): string[] {
  const { prefix, group, before, after } = rewrite;
  if (!target.startsWith(before) || !target.endsWith(after) || target.length < before.length + after.length) return [];
  const capture = target.slice(before.length, target.length - after.length);
  if (capture.includes('\n') || (group === '' ? capture !== '' : group === '+' && capture === '')) return [];
  return [prefix + capture, `${prefix}${capture}\n`];
}

/** A rewrite replacement that makes nginx answer with a redirect, whatever the flag. */
const REDIRECTING = /^(?:https?:\/\/|\$scheme)/;

/**
 * Unknowns for the locations whose pass to the upstream sends a URI this
 * check does not compute, so that some request path may reach the metrics
 * path through them: a proxy_pass URI with variables (`location ~
 * ^/re/(.*)$ { proxy_pass http://127.0.0.1:8000/$1; }`, which nginx allows
 * in a regex location), a `rewrite ... break` before the pass that is not
 * simple (nginx then passes the rewritten URI whole; a simple one is
 * brokenFrom's). None when what is written before the first variable rules
 * the metrics paths out (`/v2/$1`), when the location is
 * restricted, or when a finding already names the location or the line.
 */
function uncomputedPasses(
  locations: readonly LocationBlock[],
  toUpstream: (pass: SiteStatement) => boolean,
  known: Map<Block, readonly SiteStatement[]>,
  found: readonly Finding[],
  expect: NginxExpectations,
): Finding[] {
  const { name, metrics } = expect.upstream;
  const mayBuildMetrics = (template: string): boolean => metricsPaths(metrics).some((path) => mayBuild(template, path));
  const key = (at: { file?: string; line: number }): string => `${at.file ?? ''}\0${at.line}`;
  const named = new Set(found.map(key));
  const after = `so which request path reaches ${metrics}, and whether it is open, is not known; add allow 127.0.0.1; deny all; to it`;
  const findings: Finding[] = [];
  for (const block of locations) {
    if (block.unreachable) continue;
    const pass = block.routing.find(({ statement }) => toUpstream(statement))?.statement;
    if (pass === undefined || named.has(key(place(block.statement))) || openingRule(rulesOf(block, known)) === undefined) continue;
    for (const { statement } of block.routing) {
      if (named.has(key(place(statement)))) continue;
      const [directive, argument, replacement, flag] = statement.words;
      const part = toUpstream(statement) ? passUri(statement) : undefined;
      if (part?.includes('$') && mayBuildMetrics(part)) {
        const message = `${directive} ${shown(argument!)} in ${locationName(block.location)} sets the URI it passes to ${name} from a variable, ${after}, or write the URI without variables`;
        findings.push({ ...place(statement), severity: 'unknown', message });
      } else if (
        directive === 'rewrite' &&
        flag === 'break' &&
        replacement !== undefined &&
        !REDIRECTING.test(replacement) &&
        mayBuildMetrics(replacement) &&
        !simpleRewrite(statement) // followed: requestPaths runs it back
      ) {
        const message = `rewrite ${shown(argument!)} ${shown(replacement)} break in ${locationName(block.location)} changes the URI before ${pass.words[0]} passes it to ${name} (${lineWords(pass, statement)}), ${after}`;
        findings.push({ ...place(statement), severity: 'unknown', message });
      }
    }
  }
  return findings;
}

function readDirective(statement: SiteStatement, open: readonly Block[], expect: NginxExpectations, facts: SiteFacts): void {
  const [directive, argument] = statement.words;
  if (directive === undefined || argument === undefined) return;
  const inner = open[open.length - 1];
  if (directive === 'listen' && !isListenDirective(open)) {
    const around = inner?.statement.words[0];
    if (around !== undefined && REFUSES_LISTEN.has(around)) facts.findings.push(misplacedListen(statement, around));
    return;
  }
  if (directive === 'listen' && argument === 'unix:') {
    const message = `listen unix: names no socket path, which nginx refuses (nginx -t: "no path in the unix domain socket")${REFUSES_CONFIG}; write listen ${expect.port};`;
    facts.findings.push({ ...placeAt(statement), severity: 'error', message });
    facts.refusedListen ??= statement;
  } else if (directive === 'listen' && argument.startsWith('unix:')) facts.unixListen ??= statement;
  else if (directive === 'listen') {
    facts.listens.push({ statement, server: inner ?? facts, inSite: true });
    facts.findings.push(...checkListen(statement, expect));
    facts.tls.push(statement);
  } else if (directive === 'server_name' && isListenDirective(open)) facts.findings.push(...refusedNames(statement));
  else if (directive === 'ssl' && argument.toLowerCase() === 'on') facts.sslOn ??= statement;
  else if (directive in PASSES) {
    facts.passes.push(statement);
    facts.passServers.add(open[0]?.statement.words[0] === 'server' ? open[0] : facts);
  } else if ((directive === 'allow' || directive === 'deny') && inner) inner.rules.push(statement);
  else if (directive === 'server' && open.length === 1 && inner?.statement.words[0] === 'upstream')
    facts.upstreams.get(inner.statement.words[1]!.toLowerCase())?.servers.push(statement);
}

/**
 * nginx's own words as nginx -t prints them, a backslash as one (`\ at end of pattern in "^\"`, not shown's `\\`,
 * which reads as the config's text), every other character escaped as shown escapes it, so none reaches the terminal raw.
 */
const nginxShown = (text: string): string => truncate(text, 200).replace(/[^\\]+/g, (piece) => escapeText(piece, Number.MAX_SAFE_INTEGER));

/** Errors for the values of a server_name nginx refuses as it reads them (nginx -t fails): said at the directive, each value named. */
function refusedNames(statement: SiteStatement): Finding[] {
  return statement.words.slice(1).flatMap((name): Finding[] => {
    const refused = refusedServerName(name);
    if (refused === undefined) return [];
    const message = `server_name ${shown(name)}: nginx refuses it (nginx -t: ${nginxShown(refused.refused)})${REFUSES_CONFIG}; ${refused.fix}`;
    return [{ ...placeAt(statement), severity: 'error', message }];
  });
}

/**
 * Errors for the site's server_name values nginx refuses where another server listens on the same address and port
 * as the site's server: there nginx hashes every name of those servers (ngx_http_server_names, only for an address
 * of more than one server), and refuses a name with two `*`, a `..`, or a `*` elsewhere than `*.` at the start or
 * `.*` at the end (ngx_hash_add_key), which nginx -t on the site alone takes. Said once a value, at its directive.
 */
function sharedNames(listens: readonly HttpListen[], namedAt: ReadonlyMap<object, readonly SiteStatement[]>, expect: NginxExpectations): Finding[] {
  const servers = new Map<string, Map<object, HttpListen>>();
  for (const listen of listens) {
    const [, value, ...flags] = listen.statement.words as [string, string, ...string[]];
    const port = listenPort(value, expect);
    const address = listenAddress(value);
    const options = listenOptions(flags);
    if (typeof port !== 'number' || address === undefined || 'refused' in options) continue;
    const key = `${options.transport} ${address.key} ${port}`;
    const onAddress = servers.get(key) ?? new Map<object, HttpListen>();
    servers.set(key, onAddress);
    if (!onAddress.has(listen.server)) onAddress.set(listen.server, listen);
  }
  const findings: Finding[] = [];
  const said = new Set<string>();
  for (const onAddress of servers.values()) {
    if (onAddress.size < 2) continue;
    for (const [server, listen] of onAddress) {
      if (!listen.inSite) continue;
      const other = [...onAddress.values()].find((each) => each.server !== server)!;
      for (const statement of namedAt.get(server) ?? []) {
        for (const name of statement.words.slice(1)) {
          const key = `${statement.file ?? ''}\0${statement.line}\0${statement.column}\0${name}`;
          // One nginx refuses as it reads the directive is said as such (refusedNames).
          if (said.has(key) || refusedServerName(name) !== undefined || !refusedWildcard(name)) continue;
          said.add(key);
          const socket = `${listenAddress(listen.statement.words[1]!)!.shown}:${listenPort(listen.statement.words[1]!, expect)}`;
          const where = `${lineWords(other.statement, statement)}:${other.statement.column}`;
          const message = `server_name ${shown(name)}: nginx refuses it where another server listens on the same address and port, as ${listenText(other.statement)} (${where}) does on ${socket} (nginx -t: invalid server name or wildcard "${shown(name)}" on ${socket})${REFUSES_CONFIG}; write a name with one * at one end (*.example.org, www.example.*), or a regex after ~`;
          findings.push({ ...placeAt(statement), severity: 'error', message });
        }
      }
    }
  }
  return findings;
}

/**
 * Whether nginx refuses a server_name value when it hashes the names of an address's servers (ngx_hash_add_key's
 * wildcard rules): two `*`, a `..`, or a `*` not in `*.` at the start or `.*` at the end (`.example.org` is taken).
 */
function refusedWildcard(name: string): boolean {
  if (name.startsWith('~') || name.toLowerCase() === '$hostname') return false;
  if (name.split('*').length > 2 || name.includes('..')) return true;
  if (name.length > 1 && name.startsWith('.')) return false;
  if (name.length > 2 && (name.startsWith('*.') || name.endsWith('.*'))) return false;
  return name.includes('*');
}

/**
 * Whether a `listen` in the blocks `open` is nginx's directive: in a server block of http {} (a site's top level is
 * inside http {}), or in the file itself, a snippet included in one. Elsewhere it is a map's, geo's, split_clients' or
 * types' entry, or a directive nginx refuses there.
 */
function isListenDirective(open: readonly Block[]): boolean {
  if (open.length === 0) return true;
  const around = open.length === 1 ? 'http' : open[open.length - 2]!.statement.words[0];
  return open[open.length - 1]!.statement.words[0] === 'server' && around === 'http';
}

/** http {}'s blocks whose directives nginx reads but where it refuses listen (nginx 1.22 -t: "listen" directive is not allowed here). */
const REFUSES_LISTEN: ReadonlySet<string> = new Set(['location', 'if', 'limit_except', 'upstream']);

/** An error for a listen inside `around` {} (REFUSES_LISTEN): nginx does not start. */
function misplacedListen(statement: SiteStatement, around: string): Finding {
  const message = `listen ${shown(statement.words.slice(1).join(' '))} is inside ${shown(around)} {}, where nginx refuses it (nginx -t: "listen" directive is not allowed here)${REFUSES_CONFIG}; move it into its server {}, outside any ${shown(around)} {}`;
  return { ...placeAt(statement), severity: 'error', message };
}

/**
 * An error for an upstream block where nginx does not take one (nginx -t: `"upstream" directive is not allowed here`):
 * anywhere but directly in http {} (a site's top level is in it); nginx does not start, and the block defines no name.
 * `around`: the block it is in (undefined: outside http {}, at the top of nginx.conf).
 */
function misplacedUpstream(statement: SiteStatement, around: string | undefined): Finding {
  const where = around === undefined ? 'outside http {}' : `inside ${shown(around)} {}`;
  const message = `upstream ${shown(statement.words[1] ?? '')} is ${where}, where nginx refuses it (nginx -t: "upstream" directive is not allowed here)${REFUSES_CONFIG}; move it into http {}, outside any server {} (a file of conf.d/, or the site's top level)`;
  return { ...placeAt(statement), severity: 'error', message };
}

/** A block opening: a location goes into the locations of the location around it, or of its server (a level of its own). */
function openBlock(statement: SiteStatement, parent: Block | undefined, facts: SiteFacts): Block {
  const [kind, name] = statement.words;
  const location = kind === 'location' ? locationMatch(statement.words) : undefined;
  if (kind === 'upstream' && parent !== undefined) facts.findings.push(misplacedUpstream(statement, parent.statement.words[0]));
  else if (kind === 'upstream' && name !== undefined && statement.words.length === 2) {
    // nginx -t: `duplicate upstream "NAME"`, the names compared in any case (ngx_http_upstream_add).
    const earlier = facts.upstreams.get(name.toLowerCase());
    if (earlier?.statement !== undefined) {
      const message = `upstream ${shown(name)}: nginx refuses it, as upstream ${shown(earlier.name)} (${lineWords(earlier.statement, statement)}) has the same name (nginx -t: "duplicate upstream ${shown(name)}")${REFUSES_CONFIG}; rename one of them, or remove it`;
      facts.findings.push({ ...placeAt(statement), severity: 'error', message });
    }
    facts.upstreams.set(name.toLowerCase(), { name, servers: [], statement });
  }
  const around = parent?.location;
  const unreachable = around !== undefined && location !== undefined && !isRegex(location) && (isRegex(around) || parent!.unreachable);
  const common = { statement, rules: [], locations: [], parent, unreachable, autoRedirect: false, routing: [] };
  if (!location) return common;
  const block: LocationBlock = { ...common, location };
  const siblings = parent ? parent.locations : facts.servers[0]!;
  if (parent && !around && siblings.length === 0) facts.servers.push(siblings); // the first location of a server
  siblings.push(block);
  facts.locations.push(block);
  return block;
}

/** The blocks of a site's statements into facts (its locations and servers), each directive handed to `directive` with the blocks open around it. */
function readBlocks(statements: readonly SiteStatement[], facts: SiteFacts, directive: (statement: SiteStatement, open: readonly Block[]) => void): void {
  const open: Block[] = [];
  const locationOf: (Block | undefined)[] = []; // the innermost location among open[0..i], kept beside open: no walk up per statement
  for (const statement of statements) {
    if (statement.end === '{') {
      const block = openBlock(statement, open[open.length - 1], facts);
      open.push(block);
      locationOf.push(block.location ? block : locationOf[locationOf.length - 1]);
    } else if (statement.end === '}') {
      open.pop();
      locationOf.pop();
    } else {
      const inner = open[open.length - 1];
      if (inner?.location && AUTO_REDIRECT.has(statement.words[0] ?? '')) inner.autoRedirect = true;
      const location = locationOf[locationOf.length - 1];
      if (location && ROUTING.has(statement.words[0] ?? '')) location.routing.push({ statement, conditional: location !== inner });
      directive(statement, open);
    }
  }
}

/** Facts with nothing read yet; servers[0] holds the locations of the file itself, outside any block (a snippet included in a server). */
const noFacts = (findings: Finding[]): SiteFacts => ({
  findings,
  passes: [],
  passServers: new Set(),
  upstreams: new Map(),
  locations: [],
  servers: [[]],
  listens: [],
  tls: [],
});

export function readNginxSite(
  text: string,
  expect: NginxExpectations,
  lookup?: IncludeLookup,
  self?: string,
  confPrefix = NGINX_CONF_PREFIX,
  config?: NginxConfig,
  root?: string,
  sayLoops = true,
): Finding[] | string {
  const reading = newReading(lookup, confPrefix, sayLoops, root);
  const statements = siteStatements(text, reading, self);
  if (typeof statements === 'string') return statements;
  // nginx refuses the file as it reads it: nothing it would do with the rest is worth saying beside that.
  if (reading.refused) return reading.findings;
  const facts = noFacts(reading.findings);
  readBlocks(statements, facts, (statement, open) => readDirective(statement, open, expect, facts));
  facts.listens.splice(0, Infinity, ...facts.listens.map((listen) => ({ ...listen, passes: facts.passServers.has(listen.server) })));
  const loaded = config === undefined ? undefined : configListens(config, confPrefix, facts.listens, root);
  // A pass may name an upstream block of another file nginx loads (conf.d/upstreams.conf, nginx.conf's http {}).
  if (loaded !== undefined && typeof loaded !== 'string') {
    facts.findings.push(...loaded.findings);
    const named = passHosts(facts.passes);
    for (const [name, upstream] of loaded.upstreams) {
      const own = facts.upstreams.get(name);
      // nginx -t: `duplicate upstream "NAME"` across files too, where nginx loads the site itself (not a copy of it).
      if (own?.statement !== undefined && config!.site !== undefined && !config!.copy) {
        const message = `upstream ${shown(own.name)}: nginx refuses it, as upstream ${shown(upstream.name)} (${lineWords(upstream.statement!, own.statement)}) has the same name (nginx -t: "duplicate upstream ${shown(own.name)}"), so it does not start, or reload, with this configuration; rename one of them, or remove it`;
        facts.findings.push({ ...placeAt(own.statement), severity: 'error', message });
      } else if (own === undefined && named.has(name)) facts.upstreams.set(name, upstream);
    }
  }
  const metrics = checkMetricsLocations(facts, expect);
  facts.findings.push(...metrics.findings);
  facts.findings.push(...checkPasses(facts.passes, facts.upstreams, expect, upstreamsUnread(config, loaded, reading), config?.hosts));
  facts.findings.push(...missing(facts, metrics.count, reading, expect));
  // Where nginx loads the site itself, every other listen of http {} on its address and port sets options for it too.
  const siteItself = loaded !== undefined && typeof loaded !== 'string' && config!.site !== undefined && !config!.copy;
  const others = siteItself ? loaded.http.filter((listen) => !listen.inSite).map((listen) => listen.statement) : [];
  facts.findings.push(...listenTls(facts, expect, others), ...noOwnPort(facts.listens, reading, expect));
  const siteListens = facts.listens.map((listen) => ({ ...listen, module: 'http' }));
  if (typeof loaded === 'string') {
    // The other servers on the port are not known: neither the sockets nor which server answers are judged.
    const message = `nginx's configuration (${shown(config!.path)}): ${loaded}, so the sockets nginx opens for port ${expect.port}, and which server answers on them, are not judged`;
    facts.findings.push(...refusedListens(facts.listens, expect), ...otherServicePorts(siteListens, expect), { line: 0, severity: 'unknown', message });
    return distinct(facts.findings);
  }
  // What nginx loads: its whole configuration (the site in it, or beside it as if it were), else the site alone.
  const http = loaded === undefined ? facts.listens : [...loaded.http, ...(config!.site === undefined && !config!.copy ? facts.listens : [])];
  const complete = !reading.unread && loaded?.unread !== true;
  facts.findings.push(
    ...refusedListens(http, expect),
    ...portSockets(
      http,
      expect,
      complete,
      loaded !== undefined && config!.site !== undefined && !config!.copy ? loaded.names : undefined,
      // The site alone, or in what nginx loads (not a copy of it, nor beside it as if it were): which servers take its loopback is known.
      loaded === undefined || (config!.site !== undefined && !config!.copy),
    ),
  );
  // The site's listens as nginx loads them, else (not loaded, or a copy in its place) as the site says them.
  const siteLoaded = loaded !== undefined && config!.site !== undefined && !config!.copy;
  if (siteLoaded) facts.findings.push(...sharedNames(loaded.http, loaded.namedAt, expect));
  facts.findings.push(...otherServicePorts([...(loaded?.all ?? []), ...(siteLoaded ? [] : siteListens)], expect));
  return distinct(facts.findings);
}

/** The hosts the site's passes name, in lower case, as nginx compares upstream names: each a block they may name. */
function passHosts(passes: readonly SiteStatement[]): Set<string> {
  const hosts = new Set<string>();
  for (const pass of passes) {
    const target = passTarget(pass.words[0]!, pass.words[1]!);
    if (typeof target === 'object') hosts.add(target.host.toLowerCase());
  }
  return hosts;
}

/**
 * Why an upstream block a pass names may be in a file this check has not read (undefined: it read all nginx loads):
 * nginx's main configuration not read (not under the root, or not known), past what this check reads, or an include
 * it cannot read.
 */
function upstreamsUnread(config: NginxConfig | undefined, loaded: ReturnType<typeof configListens> | undefined, reading: Reading): string | undefined {
  if (config === undefined || loaded === undefined) return "nginx's main configuration, whose http {} may define it, was not read";
  if (typeof loaded === 'string') return `nginx's configuration (${shown(config.path)}), which may define it, is not read: ${loaded}`;
  if (reading.unread || loaded.unread) return 'an include this check cannot read may define it';
  return undefined;
}

/** A Reading with nothing read yet. */
function newReading(lookup: IncludeLookup | undefined, confPrefix: string, sayLoops = true, root?: string): Reading {
  return {
    lookup,
    confPrefix,
    ...(root !== undefined && { root }),
    findings: [],
    statementsLeft: MAX_SITE_STATEMENTS,
    bytesLeft: MAX_SITE_BYTES,
    parsed: new Map(),
    unread: false,
    refused: false,
    sayLoops,
    unreadIncludes: new Map(),
  };
}

/** A listen of nginx's configuration, with the block it is in (http, stream or mail). */
type ConfigListen = HttpListen & { readonly module: string };

/**
 * Every listen of nginx's main configuration and what it includes, where listen is a directive (a server block of
 * http, stream or mail): `all` of them, and those of http {}, each the site's (`inSite`) when the site's reading has
 * it; `unread` when an include could not be read (a listen may be there). The site's own lines are named as the
 * site's (file undefined), the main file's by its path; `names`: the server_name values of each server of http {}.
 * Why not, when it is past what this check reads.
 */
function configListens(
  config: NginxConfig,
  confPrefix: string,
  siteListens: readonly HttpListen[],
  root: string | undefined,
):
  | {
      all: ConfigListen[];
      http: ConfigListen[];
      names: ServerNames;
      namedAt: ReadonlyMap<object, readonly SiteStatement[]>;
      unread: boolean;
      upstreams: Map<string, Upstream>;
      findings: Finding[];
    }
  | string {
  const reading = newReading(config.lookup, confPrefix, false, root);
  const statements = siteStatements(config.text, reading, config.path);
  if (typeof statements === 'string') return statements.replace(/^the site and its includes/, 'it and its includes');
  const key = (statement: SiteStatement) => `${statement.file ?? ''}\0${statement.line}\0${statement.column}`;
  const site = new Map(siteListens.map((listen) => [key(listen.statement), listen]));
  const all: ConfigListen[] = [];
  const names = new Map<object, string[]>();
  const namedAt = new Map<object, SiteStatement[]>();
  // The upstream blocks of http {} outside the site (its own are the site's reading's), each with its servers.
  const upstreams = new Map<string, Upstream>();
  const findings: Finding[] = [];
  const open: SiteStatement[] = [];
  for (const read of statements) {
    const file = read.file === undefined ? config.path : read.file === config.site ? undefined : read.file;
    const statement: SiteStatement = { ...read, file };
    const inner = open[open.length - 1];
    if (statement.end === '{') {
      const [kind, name] = statement.words;
      // Where nginx does not take it (the site's own lines are said by the site's reading): an error, and no name defined.
      if (kind === 'upstream' && file !== undefined && (open.length !== 1 || (inner?.words[0] !== 'http' && inner?.words[0] !== 'stream')))
        findings.push(misplacedUpstream(statement, inner?.words[0]));
      else if (kind === 'upstream' && name !== undefined && file !== undefined && inner?.words[0] === 'http' && !upstreams.has(name.toLowerCase()))
        upstreams.set(name.toLowerCase(), { name, servers: [], statement });
      open.push(statement);
    } else if (statement.end === '}') open.pop();
    else if (statement.words[0] === 'server' && inner?.words[0] === 'upstream' && open.length === 2 && open[0]!.words[0] === 'http' && inner.file !== undefined)
      upstreams.get(inner.words[1]!.toLowerCase())?.servers.push(statement);
    else if (statement.words[0] === 'server_name' && open[open.length - 1]?.words[0] === 'server' && open[open.length - 2]?.words[0] === 'http') {
      const server = open[open.length - 1]!;
      names.set(server, [...(names.get(server) ?? []), ...statement.words.slice(1)]);
      namedAt.set(server, [...(namedAt.get(server) ?? []), statement]);
      // The site's own are said by the site's reading.
      if (file !== undefined) findings.push(...refusedNames(statement));
    } else if (statement.words[0] === 'listen' && statement.words[1] !== undefined && !statement.words[1].startsWith('unix:')) {
      const [server, module] = [open[open.length - 1], open[open.length - 2]?.words[0]];
      if (server?.words[0] !== 'server' || (module !== 'http' && module !== 'stream' && module !== 'mail')) continue;
      const own = site.get(key(statement));
      all.push({ statement, server, module, inSite: own !== undefined, ...(own?.passes === true && { passes: true }) });
    }
  }
  // What nginx refuses or this check cannot read in them (an include not there, or unreadable), said at the include
  // (the main file's own lines named by its path); the site's own are said by the site's reading. A finding with no
  // file is the main file's: where nginx's loading of the site is not known (an include of the glob that holds it
  // refused), no line is the site's, and the main file's are said as any other's.
  findings.unshift(
    ...reading.findings
      .filter((finding) => config.site === undefined || finding.file !== config.site)
      .map((finding) => (finding.file === undefined ? { ...finding, file: config.path } : finding)),
  );
  return { all, http: all.filter((listen) => listen.module === 'http'), names, namedAt, unread: reading.unread, upstreams, findings };
}

/**
 * Errors for listens anywhere in what nginx loads (the site, another server of http, a stream or mail block) on a
 * port the registry gives another service, for its transport (UDP: stream's `udp`, http's `quic`): nginx holds that
 * port, so the service cannot listen on it, and a claim of it for the service signals nginx; or on a port of a
 * range the registry reserves, not for this service. Any other port is nginx's to open.
 */
function otherServicePorts(listens: readonly ConfigListen[], expect: NginxExpectations): Finding[] {
  const others = expect.others ?? [];
  return listens.flatMap((listen): Finding[] => {
    const [, value, ...flags] = listen.statement.words as [string, string, ...string[]];
    const port = listenPort(value, expect);
    if (typeof port !== 'number' || port === expect.port) return [];
    const transport = flags.includes('udp') || flags.includes('quic') ? 'udp' : 'tcp';
    const other = others.find((service) => service.port === port && service.transport === transport);
    const range = other === undefined ? expect.reserved?.find((reserved) => port >= reserved.start && port <= reserved.end) : undefined;
    const taken = `${listenText(listen.statement)} (in ${listen.module} {}) takes port ${port}`;
    let message: string;
    if (other !== undefined)
      message = `${taken}, which the registry gives ${other.name}: nginx holds it, so ${other.name} cannot listen there${other.claimed ? `, and claim-port, freeing it for ${other.name}, would stop nginx` : ''}; move this listen to a port the registry gives no service, or give ${other.name} another port in the registry`;
    else if (range !== undefined)
      message = `${taken}, inside the registry's reserved ${shown(range.name)} (${range.start === range.end ? range.start : `${range.start}-${range.end}`}), not kept for ${expect.name}; move this listen to a port the registry gives no service and reserves for none, or keep the range for ${expect.name} in the registry (for:)`;
    else return [];
    return [{ ...placeAt(listen.statement), severity: 'error', message }];
  });
}

/**
 * The location nginx picks for a request of `uri` in a configuration's first
 * set of locations (a server's, or those outside any block): the line its
 * `location` starts on, `redirect` (to the path with a `/`), `unknown` (a
 * regex this check cannot judge is on the way), or undefined (no location:
 * the server's own configuration). What the metrics check decides with,
 * given out so a test can hold it to a real nginx.
 */
export function nginxLocationFor(text: string, uri: string): number | 'redirect' | 'unknown' | undefined {
  const facts = noFacts([]);
  readBlocks(nginxStatements(text), facts, () => {});
  const picked = pickLocation(facts.servers.find((locations) => locations.length > 0) ?? [], uri);
  if ('unknown' in picked) return 'unknown';
  if ('redirect' in picked) return 'redirect';
  return picked.location?.statement.line;
}

/** Warnings for what the site lacks: a listen, a pass to the upstream (unless an include it could not read may hold one), the metrics location. */
function missing(facts: SiteFacts, metricsLocations: number, reading: Reading, expect: NginxExpectations): Finding[] {
  const { name, port, metrics } = expect.upstream;
  const found: Finding[] = [];
  if (facts.listens.length === 0 && facts.unixListen !== undefined) {
    const unix = facts.unixListen;
    const message = `listen ${shown(unix.words[1]!)} is a UNIX socket, and no listen is on a port, so ${expect.name} is not served on port ${expect.port} as the registry says; add listen ${expect.port};`;
    found.push({ ...placeAt(unix), severity: 'warning', message });
  } else if (facts.listens.length === 0 && facts.refusedListen === undefined)
    found.push({ line: 0, severity: 'warning', message: `no listen directive (nginx then listens on 80); add listen ${expect.port};` });
  // A pass to another registry service (/grafana/ to Grafana) passes nothing to the upstream either.
  if (facts.passes.every((pass) => reachesOther(pass, facts.upstreams, expect)) && !reading.unread) {
    found.push({
      line: 0,
      severity: 'warning',
      message: `no proxy_pass to ${name} (port ${port}): nginx passes nothing to it; add location /api/ { proxy_pass ${backend(expect)}; } (${expect.snippet})`,
    });
  }
  if (metricsLocations === 0) {
    found.push({ line: 0, severity: 'warning', message: `no location ${metrics} restricting ${name}'s metrics to localhost (${expect.snippet})` });
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
