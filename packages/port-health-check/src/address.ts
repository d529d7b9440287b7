// Bind addresses, as an operator reads them: one printed form in every
// format (text, JSON, Prometheus), formatEndpoint from @dsa110/ports/system.
import { addressBits, formatEndpoint, normalizeAddress } from '@dsa110/ports/system';
import type { ListenerFacts } from './types.js';

/**
 * An address of this machine's loopback, as a socket or a config file writes
 * it: `127.x.y.z`, `::1` in any legal spelling (`0:0:0:0:0:0:0:1`, `0::1`),
 * an IPv4-mapped `::ffff:127.x.y.z` (also `::ffff:7f00:1`), with or without
 * brackets. A host name that only starts like one (`127.0.0.1.example.net`) is not.
 */
export function isLoopback(address: string): boolean {
  const bare = normalizeAddress(address);
  if (bare === '::1' || isIPv4Loopback(bare)) return true;
  // Another spelling of ::1 or of a mapped 127/8 address: parsed, and only where an IPv6 address can be (most are neither).
  if (!bare.includes(':')) return false;
  const bits = addressBits(bare);
  return bits?.family === 6 && (bits.value === 1n || bits.value >> 24n === MAPPED_LOOPBACK);
}

/** `::ffff:127.0.0.0/104` shifted right by its 24 host bits: an IPv4-mapped address of 127/8. */
const MAPPED_LOOPBACK = 0xffff7fn;

/** The unspecified address, every address of this host to a listener: `0.0.0.0`, `::` in any spelling (`0:0:0:0:0:0:0:0`, `[0::]`). */
export function isUnspecified(address: string): boolean {
  const bare = normalizeAddress(address);
  if (bare === '0.0.0.0' || bare === '::') return true;
  if (!bare.includes(':')) return false;
  const bits = addressBits(bare);
  return bits?.family === 6 && bits.value === 0n;
}

/**
 * Whether an address with a prefix length (`127.0.0.0/8`, `::1/128`; `bits` undefined for one address) holds only
 * loopback addresses: within 127/8, ::1 itself, or within the mapped ::ffff:127.0.0.0/104. Undefined `bits` is the
 * address alone; a length that is not a number holds more than loopback.
 */
export function isLoopbackNetwork(address: string, bits: string | undefined): boolean {
  if (!isLoopback(address)) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  const length = Number(bits);
  // As written, not normalized: a mapped address is an IPv6 one to a prefix length (::ffff:127.0.0.1/8 is ::/8).
  const parsed = addressBits(address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address);
  if (parsed === undefined) return false;
  if (parsed.family === 4) return length >= 8 && length <= 32;
  return parsed.value === 1n ? length === 128 : length >= 104 && length <= 128;
}

/** `127.` and three more parts of 1-3 digits: `/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/` by hand (the expression cost about 0.1 ms to compile at every start). */
function isIPv4Loopback(address: string): boolean {
  if (!address.startsWith('127.')) return false;
  const parts = address.split('.');
  return (
    parts.length === 4 &&
    parts.every((part, index) => index === 0 || (part.length >= 1 && part.length <= 3 && [...part].every((char) => char >= '0' && char <= '9')))
  );
}

/**
 * `127.0.0.1:6379` (also for an IPv4-mapped socket), `[::1]:6379`, `[::]:6379 (IPv4+IPv6 unless v6only)`: a `::`
 * socket's IPV6_V6ONLY is not in /proc (ListenerFacts.dualStack is inferred), and a program may set it (nginx's
 * `listen [::]:80` does, by default), so it is said as what is known.
 */
export function formatListener(listener: Pick<ListenerFacts, 'address' | 'family' | 'port' | 'dualStack'>): string {
  return `${formatEndpoint(listener.address, listener.port)}${listener.dualStack ? ` (${DUAL_STACK})` : ''}`;
}

/** What a `::` socket inferred dual-stack takes, as far as /proc tells. */
const DUAL_STACK = 'IPv4+IPv6 unless v6only';

/**
 * Listeners as a reason or the table names them: each formatted (`format`, formatListener by default) and said
 * once, `127.0.0.1:6379, [::1]:6379`. Two sockets on one address and port (SO_REUSEPORT: a server's workers, or a
 * copy beside it) are one address to a reader; their holders are named apart.
 */
export function formatListeners<T extends Pick<ListenerFacts, 'address' | 'family' | 'port' | 'dualStack'>>(
  listeners: readonly T[],
  format: (listener: T) => string = formatListener,
): string[] {
  return [...new Set(listeners.map((listener) => format(listener)))];
}

/** Why a non-loopback bind is reachable from elsewhere, for reasons. */
export function exposure(listener: Pick<ListenerFacts, 'address' | 'family' | 'dualStack'>): string {
  if (listener.address === '0.0.0.0') return 'every IPv4 interface';
  if (listener.address === '::') return listener.dualStack ? 'every IPv6 interface, and every IPv4 one unless v6only' : 'every IPv6 interface';
  return `the interface with address ${normalizeAddress(listener.address)}`;
}
