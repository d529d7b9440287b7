// LISTEN sockets from /proc/net/tcp and /proc/net/tcp6: the network namespace
// of the reading process. Only state 0A (LISTEN) counts: a client connection,
// an accepted connection, TIME_WAIT, or a socket bound but not listening never
// shows up here as a listener.
import { describeArgument, optionsArgument, portArgument, procRootArgument, stringArgument } from '../arguments.js';
import { closeSync, existsSync, read, readSync } from 'node:fs';
import { FileReadError, formatBytes, openRegularFile } from '../files/read.js';
import { MAX_SOCKET_TABLE_BYTES } from '../limits.js';
import { decodeIPv4, decodeIPv6 } from './address.js';
import { tryReadProcText } from './system-files.js';

export type SocketFamily = 'IPv4' | 'IPv6';

export interface ListenSocket {
  /** Bind address, normalized: `0.0.0.0`, `::`, `127.0.0.1`, `::1`; IPv4-mapped IPv6 as plain IPv4. */
  readonly address: string;
  /** The socket's family (which table it came from), even when the address is shown as IPv4. */
  readonly family: SocketFamily;
  readonly port: number;
  /** Socket inode: matches `socket:[INODE]` links in /proc/PID/fd. */
  readonly inode: number;
  /** The socket's owner uid as the kernel records it (the creator's effective uid). */
  readonly uid: number;
}

const LISTEN = '0A';

/**
 * Parse the text of /proc/net/tcp (family IPv4) or /proc/net/tcp6 (IPv6) into
 * its LISTEN sockets, optionally only those whose local port is in `ports`.
 */
export function parseProcNetTcp(text: string, family: SocketFamily, ports?: ReadonlySet<number>): ListenSocket[] {
  stringArgument('parseProcNetTcp', 'text', text, 'the text of /proc/net/tcp or tcp6');
  if (family !== 'IPv4' && family !== 'IPv6') throw new TypeError(`parseProcNetTcp: family must be "IPv4" or "IPv6", not ${describeArgument(family)}`);
  if (ports !== undefined && !(ports instanceof Set))
    throw new TypeError(`parseProcNetTcp: ports must be a Set of port numbers or left out, not ${describeArgument(ports)}`);
  const out: ListenSocket[] = [];
  const decode = family === 'IPv4' ? decodeIPv4 : decodeIPv6;
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    if (fields.length < 10 || fields[3] !== LISTEN) continue;
    const local = fields[1]!;
    const colon = local.indexOf(':');
    const port = parseInt(local.slice(colon + 1), 16);
    if (ports && !ports.has(port)) continue;
    const inode = Number(fields[9]);
    out.push({ address: decode(local.slice(0, colon)), family, port, inode, uid: Number(fields[7]) });
  }
  return out;
}

export interface ReadSocketsOptions {
  /** Only sockets listening on these ports. */
  ports?: Iterable<number> | undefined;
  /** Where /proc is (tests); defaults to `/proc`. */
  procRoot?: string | undefined;
}

/** Every option of the socket readers, one per key of ReadSocketsOptions (the compiler holds the two together). */
const READ_SOCKETS_OPTIONS: Readonly<Record<keyof ReadSocketsOptions, true>> = { ports: true, procRoot: true };
const READ_SOCKETS_KEYS = Object.keys(READ_SOCKETS_OPTIONS);

/** `options.ports`, checked, as a Set (an iterable is read once: a generator too); undefined when left out. */
export function portSet(fn: string, ports: Iterable<number> | undefined): Set<number> | undefined {
  if (ports === undefined) return undefined;
  // A string is iterable too ("8000" is "8", "0", "0", "0"): it used to match nothing, silently.
  if (typeof ports !== 'object' || ports === null || typeof (ports as Partial<Iterable<number>>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${fn}: options.ports must be an array (or other iterable) of port numbers, not ${describeArgument(ports)}`);
  }
  const set = new Set<number>();
  for (const port of ports) set.add(portArgument(fn, port, 'each of options.ports'));
  return set;
}

/** `options.procRoot`, checked: a non-empty string, or /proc. */
export function procRootOption(fn: string, procRoot: unknown): string {
  if (procRoot === undefined) return '/proc';
  if (typeof procRoot === 'string' && procRoot !== '') return procRoot;
  throw new TypeError(
    `${fn}: options.procRoot must be a non-empty string (where /proc is mounted) or left out, not ${procRoot === '' ? 'an empty string' : describeArgument(procRoot)}`,
  );
}

/**
 * The LISTEN part of a socket table. The kernel prints listening sockets
 * first (the listening hash), then walks the whole established hash (262,144
 * buckets on a 24 GB machine: ~2 ms per walk). Reading stops at the first
 * line that is not LISTEN; and a read() well short of one page is the end of
 * the file (seq_file fills its page-sized buffer unless it ran out of
 * records), so the extra read that would only find EOF, and walk the hash a
 * second time, is skipped.
 *
 * Opened as the bounded reader opens a file (files/read.ts: O_NONBLOCK, then
 * fstat): what is no regular file (a FIFO, which would never end a read, or
 * a link to /dev/zero, which would fill memory, under a procRoot laid out by
 * hand) is a FileReadError, never read; and no more than
 * MAX_SOCKET_TABLE_BYTES is read.
 */
export function readListenTableSync(path: string): string {
  const fd = openTable(path);
  if (fd === undefined) return '';
  try {
    const buffer = Buffer.allocUnsafe(TABLE_READ_BYTES);
    return readTableRest(fd, path, new ListenTable(), buffer, readSync(fd, buffer, 0, buffer.length, null), 0);
  } finally {
    closeSync(fd);
  }
}

/**
 * As readListenTableSync, with the first read() on libuv's thread pool: that
 * read is where the kernel walks the hash, and the calling thread goes on
 * with its own work meanwhile (the health check reads its unit and
 * configuration files); the rest, if any, is read as readListenTableSync
 * reads it, when the first read is done.
 */
export function readListenTableAsync(path: string): Promise<string> {
  let fd: number | undefined;
  try {
    fd = openTable(path);
  } catch (error) {
    return Promise.reject(error);
  }
  if (fd === undefined) return Promise.resolve('');
  const opened = fd;
  const buffer = Buffer.allocUnsafe(TABLE_READ_BYTES);
  return new Promise((resolve, reject) => {
    read(opened, buffer, 0, buffer.length, null, (error, n) => {
      try {
        if (error) throw error;
        resolve(readTableRest(opened, path, new ListenTable(), buffer, n, 0));
      } catch (failure) {
        reject(failure);
      } finally {
        closeSync(opened);
      }
    });
  });
}

/** A table opened for reading as readListenTableSync says; undefined for a missing tcp6 (no IPv6 in this kernel). */
function openTable(path: string): number | undefined {
  try {
    return openRegularFile(path, false).fd;
  } catch (error) {
    if ((error as FileReadError).code === 'ENOENT' && path.endsWith('6')) return undefined;
    throw error;
  }
}

/** Takes the `read` bytes just read into `buffer` (`total` before them), then reads on until the LISTEN part is complete. */
function readTableRest(fd: number, path: string, table: ListenTable, buffer: Buffer, read: number, total: number): string {
  for (;;) {
    total += read;
    if (total > MAX_SOCKET_TABLE_BYTES) throw new FileReadError(path, 'too-large', `it is larger than ${formatBytes(MAX_SOCKET_TABLE_BYTES)}`);
    if (table.add(buffer, read)) return table.text;
    read = readSync(fd, buffer, 0, buffer.length, null);
  }
}

/** One read of a table: seq_file hands over as many whole lines as fit. */
const TABLE_READ_BYTES = 65536;

/** The text of a socket table read so far, and whether to stop reading (see readListenTableSync). */
class ListenTable {
  text = '';
  #scanned = 0; // where the next unchecked line starts

  /** Takes the `n` bytes just read; true when the LISTEN part is complete. */
  add(buffer: Buffer, n: number): boolean {
    if (n === 0) return true;
    this.text += buffer.toString('latin1', 0, n);
    // Check each complete line after the header: stop at the first non-LISTEN one.
    for (let end = this.text.indexOf('\n', this.#scanned); end >= 0; end = this.text.indexOf('\n', this.#scanned)) {
      const line = this.text.slice(this.#scanned, end);
      const first = this.#scanned === 0;
      this.#scanned = end + 1;
      if (first) continue;
      const fields = line.trim().split(/\s+/, 5);
      if (fields.length >= 4 && fields[3] !== '0A') return true;
    }
    return n < SHORT_READ;
  }
}

const readTableSync = readListenTableSync;

/** Less than a 4 KiB page minus the longest line (tcp6: 178 bytes) with room to spare: seq_file was at EOF. */
const SHORT_READ = 4096 - 512;

/** Every LISTEN TCP socket of this network namespace (IPv4 then IPv6). */
export async function readListenSockets(options: ReadSocketsOptions = {}): Promise<ListenSocket[]> {
  // Two small reads of procfs: faster done synchronously than through the thread pool.
  return readListen('readListenSockets', options);
}

/** readListenSockets without the event loop: for tight polling loops where a few ms matter. */
export function readListenSocketsSync(options?: ReadSocketsOptions): ListenSocket[] {
  return readListen('readListenSocketsSync', options);
}

/** Both readers; `fn`, the one called, is named in every error. */
function readListen(fn: string, options: ReadSocketsOptions | undefined): ListenSocket[] {
  const checked = optionsArgument(fn, options, READ_SOCKETS_KEYS);
  return readListenTables(fn, procRootOption(fn, checked.procRoot), portSet(fn, checked.ports));
}

/** The LISTEN sockets of `proc`'s tables (on `ports` when given), its options already checked by `fn` (a reader, or snapshot). */
export function readListenTables(fn: string, proc: string, ports: ReadonlySet<number> | undefined): ListenSocket[] {
  return parseTables(readTable(fn, proc, 'IPv4'), readTable(fn, proc, 'IPv6'), ports);
}

/**
 * As readListenTables, each table's first read on the thread pool (readListenTableAsync), both at
 * once: for a caller with work of its own to do before it waits (snapshot({ parallel }), which the
 * health check starts before it loads the registry).
 */
export async function readListenTablesAsync(fn: string, proc: string, ports: ReadonlySet<number> | undefined): Promise<ListenSocket[]> {
  const [v4, v6] = await Promise.all([readTableAsync(fn, proc, 'IPv4'), readTableAsync(fn, proc, 'IPv6')]);
  return parseTables(v4, v6, ports);
}

/** The LISTEN sockets of both tables' text, IPv4 first. */
function parseTables(v4: string, v6: string, ports: ReadonlySet<number> | undefined): ListenSocket[] {
  return [...parseProcNetTcp(v4, 'IPv4', ports), ...parseProcNetTcp(v6, 'IPv6', ports)];
}

/** One family's table under `proc`. */
function tablePath(proc: string, family: SocketFamily): string {
  return `${proc}/net/${family === 'IPv4' ? 'tcp' : 'tcp6'}`;
}

/** readTable, its read on the thread pool. */
async function readTableAsync(fn: string, proc: string, family: SocketFamily): Promise<string> {
  try {
    return tcpSocketCount(proc, family) === 0 ? '' : await readListenTableAsync(tablePath(proc, family));
  } catch (error) {
    throw tableError(fn, error, proc);
  }
}

/** The LISTEN part of one family's table ('' when sockstat counts none in it), or an error naming `fn` and the table. */
function readTable(fn: string, proc: string, family: SocketFamily): string {
  try {
    return tcpSocketCount(proc, family) === 0 ? '' : readTableSync(tablePath(proc, family));
  } catch (error) {
    throw tableError(fn, error, proc);
  }
}

/**
 * How many TCP sockets of a family this network namespace has, as the kernel
 * counts them in /proc/net/sockstat (`TCP: inuse N`) or sockstat6
 * (`TCP6: inuse N`): every hashed socket, listeners included, by the table it
 * is listed in. When it is 0 the table has no listener, and reading it would
 * only walk the whole established hash to find nothing (about 1 ms of the
 * health check's start-up on a machine with no IPv6 TCP socket; measured
 * 2026-11-30). Undefined when the file is missing or unlike this: then the
 * table is read.
 */
function tcpSocketCount(proc: string, family: SocketFamily): number | undefined {
  const [file, label] = family === 'IPv4' ? ['sockstat', 'TCP: inuse '] : ['sockstat6', 'TCP6: inuse '];
  const text = tryReadProcText(proc, `net/${file}`);
  if (text === undefined) return undefined;
  const at = text.startsWith(label) ? 0 : text.indexOf(`\n${label}`) + 1;
  if (at === 0 && !text.startsWith(label)) return undefined;
  // Digits, then a space or the line's end (a plain loop: no expression to compile at start-up).
  const start = at + label.length;
  let end = start;
  while (text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
  return end > start && (text[end] === ' ' || text[end] === '\n') ? Number(text.slice(start, end)) : undefined;
}

/**
 * A socket table that cannot be read names the function and the table: a missing one the
 * procRoot and what to do, not a bare ENOENT; one that is no regular file (a FIFO, a device)
 * or is too large what it is. The error keeps the errno's `code`.
 */
function tableError(fn: string, error: unknown, proc: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    const where =
      proc === '/proc'
        ? 'this system has no /proc/net/tcp (no procfs: use lsof, readLsofListeners)'
        : `options.procRoot ${JSON.stringify(proc)} holds no net/tcp: give where /proc is mounted`;
    return Object.assign(new Error(`${fn}: cannot read ${proc}/net/tcp: ${where}`, { cause: error }), { code });
  }
  if (error instanceof FileReadError)
    return Object.assign(new Error(`${fn}: cannot read ${error.path}: ${error.reason}`, { cause: error }), code === undefined ? {} : { code });
  return error;
}

/** Whether `/proc/net/tcp` exists: false on macOS and other systems without procfs. */
export function hasProcNet(procRoot = '/proc'): boolean {
  procRootArgument('hasProcNet', procRoot);
  return existsSync(`${procRoot}/net/tcp`);
}
