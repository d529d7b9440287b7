// Socket addresses as /proc/net/tcp{,6} prints them, made readable. The kernel
// prints each 32-bit word of the address in host byte order, so on a
// little-endian machine every 4-byte group is reversed.
import { describeArgument, integerArgument, isArraySafely, portArgument, stringArgument } from '../arguments.js';

// Byte order without loading node:os (start-up time matters to claim-port).
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Hex digits of a /proc/net address: `digits` of them (8 for IPv4, 32 for IPv6). */
function hexArgument(fn: string, hex: unknown, digits: number): string {
  if (typeof hex === 'string' && hex.length === digits && /^[0-9A-Fa-f]+$/.test(hex)) return hex;
  throw new TypeError(`${fn}: hex must be ${digits} hex digits as /proc/net prints an address, not ${describeArgument(hex)}`);
}

function wordBytes(hex8: string, little = LITTLE): number[] {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex8.slice(i, i + 2), 16));
  return little ? bytes.reverse() : bytes;
}

/** `0100007F` -> `127.0.0.1` (IPv4 from /proc/net/tcp). */
export function decodeIPv4(hex: string, little = LITTLE): string {
  hexArgument('decodeIPv4', hex, 8);
  return wordBytes(hex, little).join('.');
}

/**
 * `00000000000000000000000001000000` -> `::1` (IPv6 from /proc/net/tcp6).
 * IPv4-mapped addresses (`::ffff:a.b.c.d`) are returned as the plain IPv4
 * address, because that is what the socket accepts connections on.
 */
export function decodeIPv6(hex: string, little = LITTLE): string {
  hexArgument('decodeIPv6', hex, 32);
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8), little));
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.slice(12).join('.');
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  return compressIPv6(groups);
}

/** RFC 5952 text form: lower case, the longest run (>= 2) of zero groups as `::`. */
export function compressIPv6(groups: readonly number[]): string {
  if (!isArraySafely(groups) || groups.length !== 8)
    throw new TypeError(
      `compressIPv6: groups must be an array of 8 numbers, not ${isArraySafely(groups) ? `${groups.length} of them` : describeArgument(groups)}`,
    );
  for (const group of groups) integerArgument('compressIPv6', 'each of groups', group, 0, 0xffff);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = (list: readonly number[]) => list.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return text(groups);
  return `${text(groups.slice(0, bestStart))}::${text(groups.slice(bestStart + bestLength))}`;
}

/** True for the wildcard addresses `0.0.0.0` and `::`. */
export function isWildcard(address: string): boolean {
  stringArgument('isWildcard', 'address', address, 'an address (a string)');
  return address === '0.0.0.0' || address === '::';
}

/**
 * The one printed form of an address: an IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`, from lsof or a caller) as the plain IPv4 address it
 * accepts connections on; IPv6 in RFC 5952 lower case.
 */
export function normalizeAddress(address: string): string {
  stringArgument('normalizeAddress', 'address', address, 'an address (a string)');
  let bare = address;
  if (bare.startsWith('[')) bare = bare.slice(1);
  if (bare.endsWith(']')) bare = bare.slice(0, -1);
  // The long expression only where it can match: compiling it cost more than a health check's other address work.
  if (bare.includes(':') && bare.toLowerCase().includes('ffff')) {
    const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
    if (mapped) return mapped[1]!;
  }
  return bare.toLowerCase();
}

/** `host:port` with IPv6 in brackets and IPv4-mapped as IPv4: `[::1]:8000`, `127.0.0.1:8000`. */
export function formatEndpoint(address: string, port: number): string {
  stringArgument('formatEndpoint', 'address', address, 'an address (a string)');
  portArgument('formatEndpoint', port, 'port', 0);
  const host = normalizeAddress(address);
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
