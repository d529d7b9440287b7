// A numeric host as glibc's getaddrinfo reads it, which is how the C daemons (nginx, Redis) and Python's servers
// (uvicorn: asyncio hands --host to socket.getaddrinfo) turn a bind address into one: an IPv4 address in any form
// inet_aton takes (`127.1`, `0x7f.0.0.1`, `0177.0.0.1`, `2130706433`, `0` for 0.0.0.0), else an IPv6 address
// (inet_pton). Checked with redis-server 7.0.15, nginx 1.22.1 and uvicorn 0.17.6 on Linux: each listened where
// this reads (`bind 127.1 0x7f.0.0.2`: 127.0.0.1 and 127.0.0.2; `--host 0`: 0.0.0.0). Anything else is a host name,
// which the daemon looks up when it starts.
import { addressBits, type AddressBits } from '@dsa110/ports/system';

/** A host's address: its family and value. */
export type HostBits = Pick<AddressBits, 'family' | 'value'>;

/**
 * The IPv4 address glibc's inet_aton reads (`127.1`, `0x7f.0.0.1`, `2130706433`), as a number; undefined for
 * anything else. Each part starts with a digit and is read as C's strtoul reads it (0x hex, a leading 0 octal, else
 * decimal) and wholly (`09`, `0x` are none); the parts before the last at most 255, the last what the bytes left
 * hold. Nothing may follow: getaddrinfo takes no trailing space (inet_aton would).
 */
export function inetAton(host: string): number | undefined {
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

/** An IPv4 address as a number (inetAton's) in dotted decimal. */
export const dottedQuad = (value: number): string => [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');

/**
 * Pure: the address getaddrinfo reads in `host` (without brackets), or undefined for a host name. An IPv6 address
 * may carry a zone (`fe80::1%eth0`); case does not matter.
 */
export function glibcHost(host: string): HostBits | undefined {
  const v4 = inetAton(host);
  if (v4 !== undefined) return { family: 4, value: BigInt(v4) };
  const bits = host.includes(':') ? addressBits(host.replace(/%[\w.-]+$/, '')) : undefined;
  return bits?.family === 6 ? { family: 6, value: bits.value } : undefined;
}
