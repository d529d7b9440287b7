// Which source addresses a service's access forbids: the sources the firewall
// check asks about. A `localhost` or `dev` service may be reached from no
// other host, a `private` one from the private networks only, a `public` one
// from anywhere. Sources the kernel drops before any input hook when they
// arrive on a non-loopback interface (martians: 0.0.0.0/8, loopback,
// multicast, broadcast; ::, ::1, multicast) are left out: no rule is needed
// to keep them out, so a rule that lets only them in exposes nothing.
import type { AccessLevel } from '@dsa110/ports';
import { type AddressSet, emptySet, fullSet, prefixesSet, subtract } from './address-set.js';

/**
 * The private networks as `ports firewall` lets them in: PRIVATE_NETWORKS_V4
 * and _V6 of the core's firewall renderer, which is no public entry point of
 * `@dsa110/ports` (a test holds the two equal).
 */
export const PRIVATE_NETWORKS: Readonly<Record<4 | 6, readonly string[]>> = {
  4: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
  6: ['fc00::/7', 'fe80::/10'],
};

/** Sources that never get past the kernel's own checks on a non-loopback interface. */
const NEVER_ARRIVE: Readonly<Record<4 | 6, readonly string[]>> = {
  4: ['0.0.0.0/8', '127.0.0.0/8', '224.0.0.0/4', '255.255.255.255/32'],
  6: ['::/128', '::1/128', 'ff00::/8'],
};

/** Every source that can reach this host from another one, of a family. */
export function otherHosts(family: 4 | 6): AddressSet {
  return subtract(fullSet(family), prefixesSet(family, NEVER_ARRIVE[family]));
}

/** The sources `access` forbids, of a family: a connection from any of them that gets in is an exposure. */
export function forbiddenSources(access: AccessLevel, family: 4 | 6): AddressSet {
  switch (access) {
    case 'public':
      return emptySet(family);
    case 'private':
      return subtract(otherHosts(family), prefixesSet(family, PRIVATE_NETWORKS[family]));
    case 'localhost':
    case 'dev':
      return otherHosts(family);
  }
}

/** How a reason names all of `forbiddenSources(access, family)`. */
export function forbiddenWords(access: AccessLevel): string {
  return access === 'private' ? 'any address outside the private networks' : 'any other host';
}
