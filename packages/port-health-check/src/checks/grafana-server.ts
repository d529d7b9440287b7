// Grafana's [server] keys besides http_port, held to its registry entry:
// `protocol` (how it serves its port) to the registry's protocol, `http_addr`
// (where it listens) to its access level, and `root_url` (the address its
// redirects and links name) to the protocol, when it names Grafana's own port.
// As Grafana reads them (pkg/setting): protocol http, https, h2 (HTTP/2, over
// TLS) or socket (a unix socket, no port), any other word is http; http_addr
// empty or absent is every address; root_url absent is
// %(protocol)s://%(domain)s:%(http_port)s/, which follows the protocol.
import { escapeText, urlScheme, type Service, type UrlScheme } from '@dsa110/ports';
import { isLoopback, isUnspecified } from '../address.js';
import { overrideFix, type ResolvedSetting } from './config-setting.js';
import type { Severity } from '../types.js';

export interface GrafanaServer {
  readonly service: Service;
  /** Its effective port (the unit's override applied). */
  readonly port: number;
  /** grafana.ini, as the registry names it. */
  readonly file: string;
  /** The command that prints grafana.ini as the registry wants it (`ports snippet grafana-ini`). */
  readonly snippet: string;
  /** ` under ROOT` when the files were read under --root (escaped), else empty: after each file:line, as every config-file finding says it. */
  readonly under: string;
  /** The root checked (Facts.root): a fix under another one ends as reloadStep says (overrideFix). */
  readonly root: string;
}

export interface GrafanaFinding {
  /** The [server] key it is about. */
  readonly key?: string;
  readonly severity: Severity;
  readonly reason: string;
  readonly at?: string;
}

/** The [server] keys besides its port that Grafana is held to here. */
export const GRAFANA_SERVER_KEYS = ['protocol', 'http_addr', 'root_url'] as const;

/** A key as Grafana gets it; undefined when it is not judged (Grafana reads another file than the registry's, which sets it). */
type Resolve = (key: string, subject: string) => ResolvedSetting | undefined;

/** A value from a file, for a one-line reason. */
const shown = (value: string): string => escapeText(value, 200);

type Found = Extract<ResolvedSetting, { kind: 'set' }>;

/** `file:line:col` of a setting read from grafana.ini, `file:line` of a unit's override. */
const placeOf = (set: Found): string => (set.column !== undefined ? `${set.at}:${set.column}` : set.at);

/** Where and how a setting was set, to start a reason: `/etc/grafana/grafana.ini:3:12 under ROOT sets protocol = http`. */
const saidOf = (set: Found, under: string): string => `${placeOf(set)}${under} ${set.said}`;

/** ` in FILE` after a line to write, for a value Grafana's defaults.ini gives (the file it reads is where to write it). */
const writeIn = (set: ResolvedSetting): string => (set.kind === 'set' && set.setIn !== undefined ? ` in ${set.setIn}` : '');

/** The protocol values Grafana reads, in the case it reads them. */
const KNOWN_PROTOCOLS = new Set(['http', 'https', 'h2', 'socket', 'socket_h2']);

/** How Grafana serves for a protocol value: TLS (https, h2), plain HTTP (http and any word it does not know), or a unix socket. */
function servedBy(value: string): UrlScheme | 'socket' {
  if (value === 'https' || value === 'h2') return 'https';
  if (value === 'socket' || value === 'socket_h2') return 'socket';
  return 'http';
}

export function checkGrafanaServer(grafana: GrafanaServer, resolve: Resolve): GrafanaFinding[] {
  const { service } = grafana;
  const findings: GrafanaFinding[] = [];
  const protocol = resolve('protocol', `${service.name}'s protocol`);
  const served = protocol === undefined || protocol.kind === 'unknown' ? undefined : protocol.kind === 'set' ? servedBy(protocol.value) : 'http';
  // The registry's HTTP or HTTPS; a TCP or UDP entry says nothing of TLS.
  const wanted = service.protocol === 'HTTP' || service.protocol === 'HTTPS' ? urlScheme(service) : undefined;
  if (protocol?.kind === 'unknown') findings.push({ ...unknown(protocol), key: 'protocol' });
  else if (protocol !== undefined && wanted !== undefined && served !== undefined && served !== wanted)
    findings.push({ ...wrongProtocol(grafana, protocol, served, wanted), key: 'protocol' });
  // On a unix socket Grafana reads neither http_addr nor a port.
  if (served === 'socket') return findings;
  const address = resolve('http_addr', `where ${service.name} listens`);
  if (address !== undefined) findings.push(...checkAddress(grafana, address).map((found) => ({ ...found, key: 'http_addr' })));
  const rootUrl = wanted === undefined ? undefined : resolve('root_url', `${service.name}'s root_url`);
  if (rootUrl !== undefined) findings.push(...checkRootUrl(grafana, rootUrl, wanted!).map((found) => ({ ...found, key: 'root_url' })));
  return findings;
}

/** The finding for a key whose value cannot be told (or that Grafana exits on: `exits`). */
const unknown = (setting: Extract<ResolvedSetting, { kind: 'unknown' }>): GrafanaFinding => ({
  severity: setting.exits ? 'error' : 'unknown',
  reason: setting.reason,
  ...(setting.at !== undefined && { at: setting.at }),
});

function wrongProtocol(
  grafana: GrafanaServer,
  protocol: Exclude<ResolvedSetting, { kind: 'unknown' }>,
  served: UrlScheme | 'socket',
  wanted: UrlScheme,
): GrafanaFinding {
  const { service, port, file, snippet } = grafana;
  const known = protocol.kind === 'unset' || KNOWN_PROTOCOLS.has(protocol.value);
  const said =
    protocol.kind === 'unset'
      ? `${file}${grafana.under} sets no protocol in [server] (so http)`
      : `${saidOf(protocol, grafana.under)}${known ? '' : ` (Grafana knows ${[...KNOWN_PROTOCOLS].join(', ')}, and reads any other word as http)`}`;
  const at = protocol.kind === 'set' ? placeOf(protocol) : file;
  const registry = `the registry says ${service.name} is ${wanted === 'https' ? 'HTTPS' : 'plain HTTP'} on port ${port}`;
  const other = wanted === 'https' ? 'HTTP' : 'HTTPS';
  if (served === 'socket') {
    return {
      severity: 'error',
      at,
      reason: `${said}: ${service.name} listens on a unix socket, not on port ${port}, but ${registry}; ${(protocol.kind === 'set' && overrideFix(protocol, wanted, service, grafana.root)) || `write protocol = ${wanted} under [server]${writeIn(protocol)} (${snippet})`}`,
    };
  }
  const why =
    wanted === 'https'
      ? `so it serves plain HTTP, but ${registry}, so a client's TLS handshake fails ("wrong version number")`
      : `so it serves TLS, but ${registry}, so a plain HTTP request is answered 400 ("Client sent an HTTP request to an HTTPS server")`;
  const overridden = protocol.kind === 'set' ? overrideFix(protocol, wanted, service, grafana.root) : undefined;
  const write =
    wanted === 'https'
      ? `write protocol = https with cert_file and cert_key under [server]${writeIn(protocol)}`
      : protocol.kind === 'set' && protocol.setIn !== undefined
        ? `write protocol = http under [server]${writeIn(protocol)}`
        : 'write protocol = http under [server] (or remove the line)';
  const fix = overridden === undefined ? `${write} (${snippet})` : `${overridden}${wanted === 'https' ? ' (with cert_file and cert_key under [server])' : ''}`;
  return { severity: 'error', at, reason: `${said}, ${why}; ${fix}, or give ${service.name} protocol: ${other} in the registry` };
}

/**
 * Where an http_addr makes Grafana accept connections from: `every` address (empty, `0.0.0.0`, `::`), `loopback`
 * only (`127.0.0.1`, `::1`, `localhost`), another address of this host (`10.0.0.5`); undefined for a host name,
 * which Grafana resolves when it starts.
 */
function addressReach(value: string): 'every' | 'loopback' | 'address' | undefined {
  const host = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (host === '' || isUnspecified(host)) return 'every';
  if (host.toLowerCase() === 'localhost' || isLoopback(host)) return 'loopback';
  return host.includes(':') || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(host) ? 'address' : undefined;
}

function checkAddress(grafana: GrafanaServer, address: ResolvedSetting): GrafanaFinding[] {
  const { service, file, snippet } = grafana;
  if (address.kind === 'unknown') return [unknown(address)];
  const value = address.kind === 'set' ? address.value : '';
  const reach = addressReach(value);
  const said = address.kind === 'set' ? saidOf(address, grafana.under) : `${file}${grafana.under} sets no http_addr in [server]`;
  const at = address.kind === 'set' ? placeOf(address) : file;
  if (reach === undefined) {
    return [
      {
        severity: 'unknown',
        at,
        reason: `${said}, a host name ${service.name} resolves when it starts, so whether it listens on loopback only (the registry's access: ${service.access}) is not known`,
      },
    ];
  }
  const local = service.access === 'localhost' || service.access === 'dev';
  if ((reach === 'loopback') === local) return [];
  const registry = `the registry says ${service.name} is access: ${service.access}`;
  const fix = (to: string) =>
    (address.kind === 'set' && overrideFix(address, to, service, grafana.root)) || `write http_addr = ${to} under [server]${writeIn(address)} (${snippet})`;
  const reason = local
    ? `${said}, so ${service.name} accepts connections ${reach === 'every' ? 'on every address' : 'from other hosts'}, but ${registry} (loopback only); ${fix('127.0.0.1')}, or give ${service.name} access: private or public in the registry`
    : `${said}, so ${service.name} accepts connections from this host only, but ${registry} (every address; the firewall narrows it); ${fix('0.0.0.0')}, or give ${service.name} access: localhost in the registry`;
  return [{ severity: 'error', at, reason }];
}

/**
 * root_url's scheme, when the URL names Grafana's own port (written, `%(http_port)s`, or the scheme's default):
 * Grafana redirects to it (after login, to add a missing `/`) and writes it into links and OAuth callbacks, so a
 * scheme it does not serve sends browsers to an error. A URL on another port is a proxy in front of Grafana, which
 * the registry does not record; `%(protocol)s` follows the protocol line, held above.
 */
function checkRootUrl(grafana: GrafanaServer, rootUrl: ResolvedSetting, wanted: UrlScheme): GrafanaFinding[] {
  const { service, port, snippet } = grafana;
  if (rootUrl.kind === 'unknown') return [unknown(rootUrl)];
  // `%(protocol)s://`: its scheme is the protocol line's, held above.
  if (rootUrl.kind === 'unset' || rootUrl.written?.startsWith('%(protocol)s')) return [];
  const url = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#]*)(?::([^/?#]*))?/.exec(rootUrl.value);
  if (!url) return [];
  const scheme = url[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return [];
  const written = url[3];
  const named =
    written === undefined || written === ''
      ? scheme === 'https'
        ? 443
        : 80
      : written === '%(http_port)s'
        ? port
        : /^\d+$/.test(written)
          ? Number(written)
          : undefined;
  if (named !== port || scheme === wanted) return [];
  // The URL as written, `%(http_port)s` and all, with the scheme it starts with replaced (if written so).
  const asWritten = rootUrl.written?.startsWith(`${url[1]!}://`) ? rootUrl.written : rootUrl.value;
  const fixed = `${wanted}${asWritten.slice(url[1]!.length)}`;
  const why =
    wanted === 'https'
      ? `names ${service.name}'s own port ${port} by http, but the registry says ${service.name} is HTTPS, so its redirects and links send browsers to a TLS port by plain HTTP (answered 400)`
      : `names ${service.name}'s own port ${port} by https, but the registry says ${service.name} is plain HTTP, so its redirects and links send browsers there by TLS, which fails`;
  return [
    {
      severity: 'error',
      at: placeOf(rootUrl),
      reason: `${saidOf(rootUrl, grafana.under)}, which ${why}; ${overrideFix(rootUrl, shown(fixed), service, grafana.root) ?? `write root_url = ${shown(fixed)}${writeIn(rootUrl)} (${snippet})`}, or give ${service.name} protocol: ${wanted === 'https' ? 'HTTP' : 'HTTPS'} in the registry`,
    },
  ];
}
