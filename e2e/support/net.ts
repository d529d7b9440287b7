// Loopback helpers: a free port range for the test registry, readiness by
// connecting (never by sleeping), and small HTTP requests.
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

/**
 * A base B such that B + offset is free for every offset. The ports stay below
 * the kernel's ephemeral range (32768 and up), so outgoing connections of
 * other programs never take them while the suite runs.
 */
export async function findFreeBase(offsets: readonly number[], options: { min?: number; ceiling?: number } = {}): Promise<number> {
  const min = options.min ?? 10_000;
  const ceiling = options.ceiling ?? 32_768;
  const span = Math.max(...offsets) + 1;
  const candidates: number[] = [];
  for (let base = min; base + span < ceiling; base += 500) candidates.push(base);
  // Random order: two runs at once (or a leftover listener) rarely pick the same range.
  candidates.sort(() => Math.random() - 0.5);
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
  throw new Error(`e2e: no free port range for offsets ${offsets.join(', ')} between ${min} and ${ceiling}`);
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

/** GET a URL with a timeout; network errors become status 0. */
export async function httpGet(url: string, timeoutMs = 2000): Promise<HttpResult> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { status: 0, body: String(error) };
  }
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
