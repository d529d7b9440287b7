// The URL scheme a client reaches a service by: `https` for a service whose
// registry protocol is HTTPS, else `http`. One home for the fact, so that
// nginx's proxy_pass, the Prometheus scrape job, the Grafana datasource URL
// and the health check's fixes all speak TLS to a TLS server: a plain-HTTP
// request to one fails.
import { describeArgument } from './arguments.js';
import type { Service } from './registry.js';

export type UrlScheme = 'http' | 'https';

/** `https` for a service whose protocol is HTTPS, else `http`. */
export function urlScheme(service: Pick<Service, 'protocol'>): UrlScheme {
  let protocol: unknown;
  try {
    protocol = typeof service === 'object' && service !== null ? service.protocol : undefined;
  } catch {} // a revoked Proxy (or a getter that throws): refused below, described
  if (typeof protocol !== 'string')
    throw new TypeError(`urlScheme: service must be a registry service (its protocol is read), not ${describeArgument(service)}`);
  return protocol === 'HTTPS' ? 'https' : 'http';
}
