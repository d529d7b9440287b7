// Loopback helpers: a free port range for the test registry, readiness by
// connecting (never by sleeping), and small HTTP requests.
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { readListenSocketsSync } from '@dsa110/ports/system';

/** True when nothing listens on `port` (any address, IPv4 or IPv6) and 127.0.0.1:port can be bound. */
export async function portIsFree(port: number): Promise<boolean> {
  if (readListenSocketsSync({ ports: [port] }).length > 0) return false;
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The kernel's ephemeral port range (outgoing connections); Linux's default when unreadable. */
export function ephemeralRange(): { start: number; end: number } {
  try {
    const [start, end] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(start) && Number.isInteger(end)) return { start: start!, end: end! };
  } catch {
    // no /proc/sys: assume the default
  }
  return { start: 32768, end: 60999 };
}

/**
 * A base B such that B + offset is free for every offset, with every port
 * outside the kernel's ephemeral range (below it when there is room, else
 * above it), so outgoing connections of other programs never take them while
 * the suite runs and the health check's kernel check has nothing to say.
 */
export async function findFreeBase(offsets: readonly number[], options: { fit?: number } = {}): Promise<number> {
  const range = ephemeralRange();
  // `fit`: the largest offset that must stay a valid port (and outside the range), free or not.
  const span = Math.max(...offsets, options.fit ?? 0) + 1;
  const candidates: number[] = [];
  for (let base = 10_000; base + span <= range.start; base += 500) candidates.push(base);
  for (let base = range.end + 1; base + span <= 65_536; base += 500) candidates.push(base);
  // Random order: two runs at once (or a leftover listener) rarely pick the same range.
  candidates.sort(() => Math.random() - 0.5);
  // E2E_PORT_BASE=N: that base only (to reproduce a run; it must still be free).
  const forced = process.env.E2E_PORT_BASE;
  if (forced) {
    const base = Number(forced);
    const fits = Number.isInteger(base) && base >= 1024 && (base + span <= range.start || (base > range.end && base + span <= 65_536));
    if (!fits) throw new Error(`e2e: E2E_PORT_BASE=${forced} does not fit ${span} ports outside the ephemeral range ${range.start}-${range.end}`);
    candidates.splice(0, candidates.length, base);
  }
  for (const base of candidates) {
    let free = true;
    for (const offset of offsets) {
      if (!(await portIsFree(base + offset))) {
        free = false;
        break;
      }
    }
    if (free) return base;
  }
  throw new Error(
    `e2e: no free range of ${span} ports outside the ephemeral range ${range.start}-${range.end} (net.ipv4.ip_local_port_range) between 10000 and 65535`,
  );
}

/** True when a TCP connection to host:port succeeds. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Anything listening on `port` (from the kernel's socket table). */
export function isListening(port: number): boolean {
  return readListenSocketsSync({ ports: [port] }).length > 0;
}

export interface HttpResult {
  status: number;
  body: string;
}

/**
 * GET a URL with a timeout; network errors become status 0. node:http, not
 * fetch: fetch refuses the WHATWG "bad ports" (10080 is one), and a shifted
 * test port may be one of them.
 */
export function httpGet(url: string, timeoutMs = 2000): Promise<HttpResult> {
  return new Promise((resolve) => {
    const request = get(url, { timeout: timeoutMs, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', (error) => resolve({ status: 0, body: String(error) }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ status: 0, body: String(error) }));
  });
}

/** Read the first line a server sends (an SSH banner). */
export function readBanner(port: number, host = '127.0.0.1', timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host });
    let data = '';
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no banner from ${host}:${port} within ${timeoutMs} ms`));
    });
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      const end = data.indexOf('\n');
      if (end >= 0) {
        socket.destroy();
        resolve(data.slice(0, end).trim());
      }
    });
    socket.once('error', reject);
  });
}

/** Poll `check` every 50 ms until it returns a value that passes `accept`, or the deadline. */
export async function pollUntil<T>(check: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await check();
  while (!accept(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await check();
  }
  return value;
}
