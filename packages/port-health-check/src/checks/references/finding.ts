// What a config-file reader reports: a line (0 for the file as a whole), a
// severity and one sentence. The references check adds the file and service.
import { escapeText, quoteValue, type AccessLevel } from '@dsa110/ports';
import { addressBits, formatEndpoint, normalizeAddress } from '@dsa110/ports/system';
import { isLoopback, isUnspecified } from '../../address.js';
import { goPort } from '../go-port.js';
import type { Severity } from '../../types.js';
import type { HostBits } from './glibc-host.js';

export interface Finding {
  /** The included file it is in (nginx's or Redis's include); undefined for the file the registry names. */
  readonly file?: string;
  readonly line: number;
  /**
   * The 1-based column of what it is about on that line, where the reader knows it, in characters (Unicode code
   * points, a tab one): what `cut -c` and most editors count, not UTF-16 code units (an emoji before it is one) nor bytes.
   */
  readonly column?: number;
  readonly severity: Severity;
  readonly message: string;
}

/**
 * Lines without comments, 1-based, trimmed, blank ones dropped. A comment
 * runs from the first `comment` character on (`anywhere`, the default), or,
 * with `line-start`, is a whole line whose first character after spaces is
 * `comment` (Redis's rule: a `#` later in a line is part of it, so
 * `include "/etc/redis/a#1.conf"` names that file). A plain loop: a regular
 * expression run on each line of a 2,000-line redis.conf costs 5-12 ms in a
 * fresh process (the expression is interpreted until V8 compiles it), this
 * about 0.5 ms.
 */
export function contentLines(text: string, comment = '#', commentAt: 'anywhere' | 'line-start' = 'anywhere'): readonly ContentLine[] {
  // The same file is read twice in a row (gather's look for includes, then
  // the check): the second read is the first's answer, frozen so no reader can
  // change it for another. Saved about 1M instructions and a background
  // compile of this loop for Debian's redis.conf (callgrind).
  if (text === last.text && comment === last.comment && commentAt === last.commentAt) return last.lines;
  const lines = text.split('\n');
  const found: ContentLine[] = [];
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    const at = raw.indexOf(comment);
    // Most lines of a packaged redis.conf (2,300) are whole-line comments or empty: nothing to cut or trim.
    if (at === 0 || raw === '') continue;
    const content = (at < 0 || commentAt === 'line-start' ? raw : raw.slice(0, at)).trim(); // trim() also drops a CRLF file's \r
    if (content !== '' && !(commentAt === 'line-start' && content.startsWith(comment))) found.push(Object.freeze({ line: index + 1, text: content }));
  }
  last = { text, comment, commentAt, lines: Object.freeze(found) };
  return last.lines;
}

/** A line of contentLines: its 1-based number and its text without the comment, trimmed. */
export interface ContentLine {
  readonly line: number;
  readonly text: string;
}

let last: { text: string; comment: string; commentAt: string; lines: readonly ContentLine[] } = { text: '', comment: '', commentAt: '', lines: [] };

/**
 * The 1-based column, in characters (Unicode code points), of the text at UTF-16 `index` of `text`, counted from
 * `lineStart`: Finding.column. A string index is what a reader has; an astral character (an emoji, a CJK
 * extension ideograph) is two of them and one character.
 */
export function characterColumn(text: string, lineStart: number, index: number): number {
  let column = 1;
  for (let at = lineStart; at < index; at++) {
    const code = text.charCodeAt(at);
    // The low half of a surrogate pair is the same character as the high half before it.
    if (!(code >= 0xdc00 && code <= 0xdfff && at > lineStart && isHighSurrogate(text.charCodeAt(at - 1)))) column++;
  }
  return column;
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/** `127.0.0.1`, `::1`, `[::1]`, `localhost`: the host is this machine. */
export function isLoopbackHost(host: string): boolean {
  return host.toLowerCase() === 'localhost' || isLoopback(host);
}

/**
 * Where a server that listens on `host` (a bind address as its config or command line gives it, without brackets)
 * accepts connections from, its address read as the server reads it (`read`: glibcHost for C and Python servers,
 * goHost for Go ones): `every` address (empty, `0.0.0.0`, `::`; to glibc `0` too), `loopback` only (`127.x`,
 * `::1`, `localhost`; to glibc `127.1` too), another address of this host (reachable from elsewhere); undefined for
 * a host name, which the server resolves when it starts. An IPv4-mapped address (`::ffff:127.0.0.1`) reaches as its
 * IPv4 one (where a server can bind it at all: mappedBind).
 */
export function hostReach(host: string, read: (host: string) => HostBits | undefined): 'every' | 'loopback' | 'address' | undefined {
  if (host === '') return 'every';
  if (host.toLowerCase() === 'localhost') return 'loopback';
  const bits = read(host);
  if (bits === undefined) return undefined;
  const to = unmapped(bits);
  if (to.value === 0n) return 'every';
  return (to.family === 4 && to.value >> 24n === 127n) || (to.family === 6 && to.value === 1n) ? 'loopback' : 'address';
}

/**
 * Whether `bits` is an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`), which Linux will not bind an IPv6-only socket
 * to ("bind: Invalid argument"): the socket nginx (without ipv6only=off), Redis and uvicorn open for an IPv6 address,
 * so each exits at start (checked with nginx 1.22.1, redis-server 7.0.15, uvicorn 0.17.6). Go binds it as IPv4.
 */
export function mappedBind(bits: HostBits | undefined): boolean {
  return bits?.family === 6 && bits.value >> 32n === 0xffffn;
}

/**
 * Pure: the message for a server whose reach (hostReach) its registry access level disagrees with, or undefined
 * when they agree (or either is not known): beyond loopback for a localhost or dev service, loopback only for a
 * private or public one (which listens on every address, the firewall narrowing it, as `ports snippet` writes it).
 * `listens`, what listens where, the sentence's subject (`--web.listen-address=127.0.0.1:9090`); `fix`, what to
 * write. The one judgement of a server's reach against the registry, for every reader of a listen address.
 */
export function accessMismatch(
  reach: ReturnType<typeof hostReach>,
  expect: { readonly name: string; readonly access?: AccessLevel },
  listens: string,
  fix: string,
): string | undefined {
  const local = expect.access === 'localhost' || expect.access === 'dev';
  if (expect.access === undefined || reach === undefined || (reach === 'loopback') === local) return undefined;
  const registry = `the registry says ${expect.name} is access: ${expect.access}`;
  return local
    ? `${listens} accepts connections ${reach === 'every' ? 'on every address' : 'from other hosts'}, but ${registry} (loopback only); ${fix}, or give ${expect.name} access: private or public in the registry`
    : `${listens} accepts connections from this host only, but ${registry} (every address; the firewall narrows it); ${fix}, or give ${expect.name} access: localhost in the registry`;
}

/** A listening socket's address, as the kernel matches a connection to it (ListenerFacts' fields). */
export interface BoundAddress {
  /** Normalized, as ListenerFacts has it: an IPv4-mapped address as IPv4. */
  readonly address: string;
  readonly family: 4 | 6;
  /** A `::` socket that also accepts IPv4 (IPV6_V6ONLY off). */
  readonly dualStack: boolean;
}

/**
 * Whether a TCP connection from this machine to `host` reaches one of `listeners` (sockets on the port it names), as
 * Linux matches it: a socket bound to that very address (an IPv6 socket bound to it IPv4-mapped too), or to every
 * address of its family (`0.0.0.0`; `::`, and for IPv4 too when it is dual-stack). All of 127.0.0.0/8 is loopback,
 * but a connection to 127.0.0.2 is not taken by a socket bound to 127.0.0.1. A connection to `0.0.0.0` or `::` goes
 * to 127.0.0.1 or ::1; `localhost` is either (a client tries both). Undefined for a name other than `localhost`,
 * or a spelling that is no address.
 */
export function reachesListener(host: string, listeners: readonly BoundAddress[]): boolean | undefined {
  let bare = normalizeAddress(host);
  if (bare.endsWith('.')) bare = bare.slice(0, -1);
  const tried = bare === 'localhost' ? [LOOPBACK4, LOOPBACK6] : [connectedAs(bare)];
  if (tried.some((address) => address === undefined)) return undefined;
  return tried.some((address) => listeners.some((listener) => takes(listener, address!)));
}

/**
 * Why a connection from this machine to `host` on `port` is refused although sockets listen on that port: none of
 * `listeners` (those sockets) takes it, as reachesListener matches it (`127.0.0.2` beside a socket on 127.0.0.1
 * only), for a message after `but`; and the `host:port` to connect to instead (`localhost:PORT` beside a socket on
 * every address, else one of theirs on loopback, else the first). Undefined when one takes it, when nothing listens
 * there (the listening check says so: not said twice), or for a host name other than `localhost`. What every reader
 * holds a connection on this host to (a scrape target, a proxy_pass, a datasource url), so each says it alike.
 */
export function refusedConnection(
  host: string,
  port: number,
  listeners: readonly BoundAddress[] | undefined,
): { readonly why: string; readonly instead: string } | undefined {
  if (listeners === undefined || listeners.length === 0 || reachesListener(host, listeners) !== false) return undefined;
  const bound = [...new Set(listeners.map((listener) => formatEndpoint(listener.address, port)))];
  const wildcard = listeners.some((listener) => isUnspecified(listener.address));
  const instead = wildcard ? `localhost:${port}` : (bound.find((endpoint) => isLoopbackHost(hostOfAddress(endpoint))) ?? bound[0]!);
  const why = `port ${port} here is listened on at ${bound.join(', ')} only, and a connection to ${escapeText(host, 200)} reaches only a socket bound to that address or to every address`;
  return { why, instead };
}

/** `host:port` -> host, brackets kept (`[::1]:8000` -> `[::1]`); the whole address without a port. */
export function hostOfAddress(address: string): string {
  const colon = address.lastIndexOf(':');
  return colon >= 0 && (address.startsWith('[') ? address[colon - 1] === ']' : !address.slice(0, colon).includes(':')) ? address.slice(0, colon) : address;
}

type Destination = { readonly family: 4 | 6; readonly value: bigint };
const LOOPBACK4: Destination = { family: 4, value: 0x7f000001n };
const LOOPBACK6: Destination = { family: 6, value: 1n };

/** The address a connection to `address` (normalized, without brackets) goes to: an IPv4-mapped one as IPv4, the unspecified address as loopback. */
function connectedAs(address: string): Destination | undefined {
  const bits = addressBits(address);
  if (bits === undefined) return undefined;
  if (bits.value === 0n) return bits.family === 4 ? LOOPBACK4 : LOOPBACK6;
  return unmapped(bits);
}

/** An address's family and value, an IPv4-mapped IPv6 one (`::ffff:a.b.c.d`) as the IPv4 address the kernel matches it as. */
function unmapped(bits: { readonly family: 4 | 6; readonly value: bigint }): Destination {
  return bits.family === 6 && bits.value >> 32n === 0xffffn ? { family: 4, value: bits.value & 0xffffffffn } : { family: bits.family, value: bits.value };
}

function takes(listener: BoundAddress, to: Destination): boolean {
  const bits = addressBits(listener.address);
  if (bits === undefined) return false;
  if (bits.value === 0n) return bits.family === 4 ? to.family === 4 : to.family === 6 || listener.dualStack;
  const bound = unmapped(bits);
  return bound.family === to.family && bound.value === to.value;
}

/** `http://host:port/...` -> host and port (the scheme's default when absent); undefined for anything else. */
export function parseUrl(url: string): { host: string; port: number } | undefined {
  const match = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#\s]+)(?::(\d+))?/.exec(url);
  if (!match) return undefined;
  return { host: match[2]!, port: match[3] !== undefined ? Number(match[3]) : match[1] === 'https' ? 443 : 80 };
}

/**
 * What to do about a port the registry disagrees with, and the command that prints a file that passes (as the
 * references check builds it: `ports [--registry PATH] snippet KIND`): `set its port to 8000 (ports snippet nginx-site prints what passes)`;
 * with `instead`, the registry change that would make the file right, unless the registry refuses that port (0).
 */
export function portFix(what: 'it' | 'its port' | { readonly write: string }, port: number, snippet: string | undefined, instead?: RegistryInstead): string {
  const fix = typeof what === 'string' ? `set ${what} to ${port}` : `write ${what.write}`;
  return `${fix}${snippet === undefined ? '' : ` (${snippet} prints what passes)`}${orRegistry(instead)}`;
}

/** `, or give NAME port: PORT in the registry`, portFix's last words, for a fix it does not build; nothing without `instead`. */
export function orRegistry(instead: RegistryInstead | undefined): string {
  // The registry takes a port from 1 to 65535 only: a file's 0 (a program's "no TCP port") is never one to give it.
  const registryTakes = instead !== undefined && Number.isInteger(instead.port) && instead.port >= 1 && instead.port <= 65535;
  return registryTakes ? `, or give ${instead.name} port: ${instead.port} in the registry` : '';
}

/** The registry change that makes a file's port right instead (the file's port given to the service): portFix's last words. */
export interface RegistryInstead {
  readonly name: string;
  readonly port: number;
}

/**
 * Whether giving a service `port` in the registry would make a file that names that port right: a port no other
 * service and no reserved range has, for a service its unit does not pin to a port of its own (an Environment= or
 * EnvironmentFile= setting of its variable decides its port whatever the registry says). The references check
 * builds it for each service a file is held to; a reader given none never offers the registry change.
 */
export type RegistryTakes = (port: number) => boolean;

/** portFix's `instead` for a file that names `port` where the registry gives `holder` another: when its registry takes it. */
export function registryInstead(
  holder: { readonly name: string; readonly registryTakes?: RegistryTakes },
  port: number | undefined,
): RegistryInstead | undefined {
  return port !== undefined && holder.registryTakes?.(port) === true ? { name: holder.name, port } : undefined;
}

/**
 * Why a value a program reads as a port is none, for a message, or undefined when it is one (decimal digits, up to
 * 65535; perhaps another port than the registry's): `"2303x" is not a port (1 to 65535)`, the value escaped (a byte
 * that is not UTF-8 shown as `\xNN`, an escape character as `\e`). Every reader that takes a port from a file asks
 * this before comparing it, so a value that is no port is said to be none, never "another port". With `reading`, as
 * that program reads one (Redis refuses `06379`).
 */
export function notAPort(value: string, reading?: PortReading): string | undefined {
  if (reading !== undefined)
    return reading.port(value) === undefined ? `${quoteValue(value, 200)} is not a port ${reading.program} accepts (${reading.rule})` : undefined;
  return goPort(value) === undefined ? `${quoteValue(value, 200)} is not a port (1 to 65535)` : undefined;
}

/**
 * How a program reads a port from its file, where that is not as a Go server reads it (goPort): its name, its
 * reading (the port, or undefined for a value it refuses) and its rule, for notAPort's message:
 * `"06379" is not a port Redis accepts (digits from 0 to 65535, no leading 0)`.
 */
export interface PortReading {
  readonly program: string;
  readonly port: (value: string) => number | undefined;
  readonly rule: string;
  /** What the program does with a value it refuses, after `so`: `Redis refuses to start`. */
  readonly refused: string;
}

/** `host:port` -> port (IPv6 in brackets); undefined without one. */
export function portOfAddress(address: string): number | undefined {
  const match = /:(\d+)$/.exec(address);
  return match ? Number(match[1]) : undefined;
}

/**
 * YAML's line breaks as LF: YAML (and so Prometheus and Grafana) ends a line
 * at CR LF, LF or a lone CR, where nginx and Redis take a lone CR for a space.
 * CR LF is left as it is (trim() drops its CR); line numbers do not move.
 */
export function yamlLineBreaks(text: string): string {
  return text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
}
