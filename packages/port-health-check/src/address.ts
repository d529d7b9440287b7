// Bind addresses, as an operator reads them: one printed form in every
// format (text, JSON, Prometheus), formatEndpoint from @dsa110/ports/system.
import { formatEndpoint, normalizeAddress } from '@dsa110/ports/system';
import type { ListenerFacts } from './types.js';

export function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address) || /^::ffff:127\./i.test(address);
}

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
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
