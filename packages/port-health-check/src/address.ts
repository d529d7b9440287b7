// Bind addresses, as an operator reads them: one printed form in every
// format (text, JSON, Prometheus), formatEndpoint from @dsa110/ports/system.
import { formatEndpoint, normalizeAddress } from '@dsa110/ports/system';
import type { ListenerFacts } from './types.js';

/**
 * An address of this machine's loopback, as a socket or a config file writes
 * it: `127.x.y.z`, `::1`, an IPv4-mapped `::ffff:127.x.y.z` (any spelling
 * normalizeAddress reads), with or without brackets. A host name that only
 * starts like one (`127.0.0.1.example.net`) is not.
 */
export function isLoopback(address: string): boolean {
  const bare = normalizeAddress(address);
  return bare === '::1' || isIPv4Loopback(bare);
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

/** `127.0.0.1:6379` (also for an IPv4-mapped socket), `[::1]:6379`, `[::]:6379 (IPv4+IPv6)`. */
export function formatListener(listener: Pick<ListenerFacts, 'address' | 'family' | 'port' | 'dualStack'>): string {
  return `${formatEndpoint(listener.address, listener.port)}${listener.dualStack ? ' (IPv4+IPv6)' : ''}`;
}

/** Why a non-loopback bind is reachable from elsewhere, for reasons. */
export function exposure(listener: Pick<ListenerFacts, 'address' | 'family' | 'dualStack'>): string {
  if (listener.address === '0.0.0.0') return 'every IPv4 interface';
  if (listener.address === '::') return listener.dualStack ? 'every IPv4 and IPv6 interface' : 'every IPv6 interface';
  return `the interface with address ${normalizeAddress(listener.address)}`;
}
