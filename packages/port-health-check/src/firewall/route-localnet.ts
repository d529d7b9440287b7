// net.ipv4.conf.IFACE.route_localnet: when it is 1, the kernel routes packets
// that arrive on IFACE for 127.0.0.0/8 to this host's loopback instead of
// dropping them as martians. A listener bound to 127.0.0.1 is then reachable
// from hosts on IFACE's link (a packet sent to 127.0.0.1 through this host),
// and from anywhere through a DNAT rule to 127.0.0.1 (kube-proxy's NodePorts
// on localhost, CVE-2020-8558). Only the input hook can then keep them out.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const IPV4_CONF_DIR = '/proc/sys/net/ipv4/conf';

/**
 * The interfaces with route_localnet on (`all`: every interface), in name
 * order, and every interface there is (what `all` stands for); or why it
 * could not be read. `lo` is left out (its packets come from this host), and
 * so is `default` (what interfaces made later start with: they are checked
 * once they exist).
 */
export type RouteLocalnetFacts = { readonly on: readonly string[]; readonly interfaces?: readonly string[] } | { readonly problem: string };

export function readRouteLocalnet(dir = IPV4_CONF_DIR): RouteLocalnetFacts {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    return { problem: `cannot list ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  const on: string[] = [];
  const interfaces: string[] = [];
  for (const name of names.sort()) {
    if (name === 'lo' || name === 'default') continue;
    const path = join(dir, name, 'route_localnet');
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // The interface went away between the listing and the read.
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      return { problem: `cannot read ${path}: ${code ?? (error as Error).message}` };
    }
    if (text.trim() !== '0') on.push(name);
    if (name !== 'all') interfaces.push(name);
  }
  return { on, interfaces };
}

/** The interfaces on which the kernel routes packets for 127.0.0.0/8 in: the ones named, or every one when `all` is on; `[undefined]` (some interface) when `all` is on and the interfaces were not listed. */
export function localnetInterfaces(facts: { readonly on: readonly string[]; readonly interfaces?: readonly string[] }): readonly (string | undefined)[] {
  if (!facts.on.includes('all')) return facts.on;
  return facts.interfaces ?? [undefined];
}

/** `net.ipv4.conf.eth0.route_localnet`, or several names in braces. */
export function describeRouteLocalnet(on: readonly string[]): string {
  return `net.ipv4.conf.${on.length === 1 ? on[0] : `{${on.join(',')}}`}.route_localnet`;
}
