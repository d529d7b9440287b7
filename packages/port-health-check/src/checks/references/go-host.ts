// A host as Go's net package reads it (net.Listen after net.SplitHostPort: Prometheus's --web.listen-address): an
// IP address only in its strict forms, IPv4 as four decimal parts from 0 to 255 without a leading zero, or IPv6
// (a zone allowed). Any other host is a name Go looks up when it starts. A host glibc would read as an address
// (`0`, `127.1`, `127.0.0.01`, `0x7f.0.0.1`; glibc-host.ts) is no name Go's own resolver answers: checked with
// Prometheus 2.42.0, which exits at start (`listen tcp: lookup 127.1: no such host`). Debian's prometheus is
// cgo-linked, though: with a cgo lookup (GODEBUG=netdns=cgo, or Go's own choice, e.g. for an /etc/nsswitch.conf
// naming sources it does not handle) glibc reads it, and Prometheus listens on 127.0.0.1.
import { addressBits } from '@dsa110/ports/system';
import { glibcHost, type HostBits } from './glibc-host.js';

/** Pure: the IP address Go reads in `host` (without brackets), or undefined for what it takes for a host name. */
export function goHost(host: string): HostBits | undefined {
  const bits = addressBits(host.includes(':') ? host.replace(/%[\w.-]+$/, '') : host);
  return bits === undefined ? undefined : { family: bits.family, value: bits.value };
}

/**
 * Pure: whether Go takes `host` for a host name that is only a C library's spelling of an address (`0`, `127.1`):
 * its own resolver finds nothing and the server exits at start; a cgo lookup reads it as glibc does. Its
 * dotted-decimal address (glibc's reading, and the fix), or undefined.
 */
export function goUnreadAddress(host: string): string | undefined {
  if (goHost(host) !== undefined) return undefined;
  const bits = glibcHost(host);
  return bits?.family === 4 ? [24n, 16n, 8n, 0n].map((shift) => String((bits.value >> shift) & 255n)).join('.') : undefined;
}
