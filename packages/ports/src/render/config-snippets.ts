// What each configuration file that names a port should say, from the
// registry: `ports snippet KIND` prints it, so that nginx, Prometheus, Grafana
// and Redis are configured from the registry in the first place, and
// port-health-check's references check accepts exactly this (a contract test
// holds the two together). Ports come from `portOf`, so that an operator's
// env override (CONTIMG_API_PORT) shows in the snippet.
import { CONFIG_KINDS, urlScheme, type ConfigKind, type Registry, type Service } from '../index.js';
import { GRAFANA_INI_PATH } from '../config-kinds.js';
import { httpsScrapeNote, metricsScrapeJob } from './prometheus-config.js';
import { toYaml } from './yaml.js';
import { datasourceDocument, httpsDatasourceNote } from './grafana.js';
import { NGINX_API_LOCATION } from '../nginx-site.js';

export const SNIPPET_KINDS = Object.freeze([...(Object.keys(CONFIG_KINDS) as ConfigKind[]), 'grafana-ini'] as const);
export type SnippetKind = (typeof SNIPPET_KINDS)[number];

export function isSnippetKind(kind: string): kind is SnippetKind {
  return (SNIPPET_KINDS as readonly string[]).includes(kind);
}

export { NGINX_API_LOCATION, NGINX_SITE_LOCATIONS } from '../nginx-site.js';

export type PortOf = (service: Service) => number;

export interface Snippet {
  readonly kind: SnippetKind;
  readonly service: Service;
  /** Where it goes on a Debian host. */
  readonly path: string;
  readonly text: string;
}

function header(kind: SnippetKind, path: string): string {
  return `# Generated from ports.yaml by \`ports snippet ${kind}\` for ${path}; edit ports.yaml instead.`;
}

/** The address a service binds for its access level: loopback for localhost and dev, every address otherwise (the firewall narrows it). */
export function bindAddresses(service: Service): { v4: string; v6: string } {
  return service.access === 'localhost' || service.access === 'dev' ? { v4: '127.0.0.1', v6: '::1' } : { v4: '0.0.0.0', v6: '::' };
}

/**
 * What an HTTPS site needs besides `listen ... ssl`: its certificate and key, which the registry does not know.
 * Written as lines to fill in, so that `nginx -t` names the file to supply (`cannot load certificate
 * ".../CHANGE-ME.pem"`) rather than passing a site that serves no TLS: nginx -t refuses the snippet as printed.
 */
/** What a site on every address says of the port's other default server (nginx serves that one to every request with a Host header). */
const NGINX_DEFAULT_SITE_LINES = [
  '    # nginx answers a request whose Host matches no server_name with the default server of its address and port,',
  "    # and this site has no server_name: remove any other site on the port (Debian's: rm /etc/nginx/sites-enabled/default),",
  '    # or add server_name with the names its clients use.',
];

const NGINX_TLS_LINES = [
  "    # HTTPS (the registry's protocol): nginx needs this site's certificate and key, which the registry does not",
  '    # know. Replace both paths with them; until then nginx -t refuses the site ("cannot load certificate").',
  '    ssl_certificate /etc/ssl/certs/CHANGE-ME.pem;',
  '    ssl_certificate_key /etc/ssl/private/CHANGE-ME.key;',
];

function nginxSite(service: Service, upstream: Service, portOf: PortOf, path: string): string {
  // nginx does not verify an upstream's certificate by default (proxy_ssl_verify off): a self-signed API is reached.
  const backend = `${urlScheme(upstream)}://127.0.0.1:${portOf(upstream)}`;
  const metrics = upstream.metrics ?? '/metrics';
  // Every address for public and private (the firewall narrows private), loopback for localhost and dev, as the other snippets bind.
  const bind = bindAddresses(service);
  const port = portOf(service);
  const tls = urlScheme(service) === 'https';
  const ssl = tls ? ' ssl' : '';
  return [
    header('nginx-site', path),
    'server {',
    `    listen ${bind.v4 === '0.0.0.0' ? '' : `${bind.v4}:`}${port}${ssl};`,
    `    listen [${bind.v6}]:${port}${ssl};`,
    // nginx has no optional listen, and a host whose lo has no ::1 refuses the whole site (bind() "Cannot assign
    // requested address"), where Redis's `-::1` is optional and [::] binds without IPv6 addresses too.
    ...(bind.v6 === '::1' ? ['    # On a host without IPv6 on lo (net.ipv6.conf.lo.disable_ipv6=1), remove the [::1] line: nginx could not bind it.'] : []),
    // On every address, another site's server (Debian's stock default) is the port's default server, which nginx
    // answers every request with whose Host matches no server_name: this one has none. Not default_server here:
    // beside Debian's, nginx -t refuses a second one. On loopback the site's addresses are its own: it is their default.
    ...(bind.v4 === '0.0.0.0' ? NGINX_DEFAULT_SITE_LINES : []),
    ...(tls ? NGINX_TLS_LINES : []),
    '',
    `    location ${NGINX_API_LOCATION} {`,
    `        proxy_pass ${backend};`,
    '    }',
    '',
    `    # ${upstream.name}'s Prometheus metrics: localhost only.`,
    `    location ${metrics} {`,
    '        allow 127.0.0.1;',
    '        allow ::1;',
    '        deny all;',
    `        proxy_pass ${backend};`,
    '    }',
    '}',
    '',
  ].join('\n');
}

function prometheusYml(registry: Registry, portOf: PortOf, path: string): string {
  const jobs = registry.services.flatMap((service) => (service.metrics === undefined ? [] : [metricsScrapeJob(service, `localhost:${portOf(service)}`)]));
  return toYaml({ scrape_configs: jobs }, [
    header('prometheus-yml', path).slice(2),
    'Merge into scrape_configs: (`ports monitoring` writes the whole file).',
    ...httpsScrapeNote(registry),
  ]);
}

/** Where the HTTPS ARGS line tells Prometheus its TLS lives (Debian's configuration directory). */
const PROMETHEUS_WEB_CONFIG = '/etc/prometheus/web.yml';

/**
 * What an HTTPS Prometheus needs besides its listen address: a web configuration file with its certificate and
 * key (Prometheus 2.24 and later), which the registry does not know. The ARGS line names the file, so that a
 * Prometheus without it refuses to start ("Unable to validate web configuration file ... no such file") rather
 * than serving plain HTTP where the registry, the scrape jobs and Grafana say HTTPS; the comment says what to write.
 */
const PROMETHEUS_TLS_LINES = [
  "# HTTPS (the registry's protocol): Prometheus serves TLS only from a web configuration file, named below.",
  `# Write ${PROMETHEUS_WEB_CONFIG}, readable by the prometheus user, with its certificate and key (the registry`,
  '# does not know them):',
  '#   tls_server_config:',
  '#     cert_file: /etc/prometheus/CHANGE-ME.crt',
  '#     key_file: /etc/prometheus/CHANGE-ME.key',
  `# and check it with \`promtool check web-config ${PROMETHEUS_WEB_CONFIG}\`: until it exists Prometheus refuses to start.`,
];

function prometheusArgs(service: Service, portOf: PortOf, path: string): string {
  const listen = `--web.listen-address=${bindAddresses(service).v4}:${portOf(service)}`;
  if (urlScheme(service) !== 'https') return `${header('prometheus-args', path)}\nARGS="${listen}"\n`;
  return [header('prometheus-args', path), ...PROMETHEUS_TLS_LINES, `ARGS="${listen} --web.config.file=${PROMETHEUS_WEB_CONFIG}"`, ''].join('\n');
}

function grafanaDatasource(upstream: Service, portOf: PortOf, path: string): string {
  return toYaml(datasourceDocument(portOf(upstream), urlScheme(upstream)), [header('grafana-datasource', path).slice(2), ...httpsDatasourceNote(upstream)]);
}

/**
 * What an HTTPS Grafana needs besides its address and port: `protocol = https` and its certificate and key, which
 * the registry does not know. Written as paths to replace, so that Grafana refuses to start until they are (it
 * cannot find the cert_file) rather than serving plain HTTP where the registry, nginx and the scrape job say HTTPS.
 */
const GRAFANA_TLS_LINES = [
  "; HTTPS (the registry's protocol): Grafana serves TLS from cert_file and cert_key, which the registry does not",
  '; know. Replace both paths with them (readable by the grafana user); until then Grafana refuses to start.',
  'protocol = https',
  'cert_file = /etc/grafana/CHANGE-ME.crt',
  'cert_key = /etc/grafana/CHANGE-ME.key',
];

function grafanaIni(service: Service, key: string, portOf: PortOf, path: string): string {
  const tls = urlScheme(service) === 'https' ? GRAFANA_TLS_LINES : [];
  return [
    header('grafana-ini', path).replace('#', ';'),
    '[server]',
    ...tls,
    `http_addr = ${bindAddresses(service).v4}`,
    `${key} = ${portOf(service)}`,
    '',
  ].join('\n');
}

/**
 * What a Redis reachable beyond loopback needs besides `bind`: Redis 7's protected mode (on by default,
 * and set so in Debian's redis.conf) refuses every client not on loopback ("DENIED Redis is running in
 * protected mode") while the default user has no password, and lets them in once it has one. So the
 * snippet keeps protected mode on, which a `protected-mode no` earlier in the file cannot undo (Redis
 * applies a directive's last line), and says to set a password: never an unauthenticated Redis open
 * to the network. A test runs redis-server 7 on the snippet and connects from a non-loopback address.
 */
function redisRemoteAccess(service: Service): string[] {
  return [
    `# Access ${service.access}: Redis listens beyond loopback, but its protected mode (kept on here) refuses`,
    '# every client not on loopback ("DENIED Redis is running in protected mode") until the default user',
    '# has a password. Set one, here (keep this file readable by redis only) or in an ACL file:',
    '# requirepass A-LONG-RANDOM-PASSWORD',
    '# and give it to the clients. Never set protected-mode no instead: Redis would serve anyone, unauthenticated.',
    'protected-mode yes',
  ];
}

function redisConf(service: Service, portOf: PortOf, path: string): string {
  const bind = bindAddresses(service);
  const local = service.access === 'localhost' || service.access === 'dev';
  // `-::1`: Redis skips an address it cannot bind (a host without IPv6) instead of failing.
  return [header('redis-conf', path), `port ${portOf(service)}`, `bind ${bind.v4} -${bind.v6}`, ...(local ? [] : redisRemoteAccess(service)), ''].join('\n');
}

/** Every snippet of `kind` the registry asks for (one per service whose configs name that kind). */
export function renderSnippets(registry: Registry, kind: SnippetKind, portOf: PortOf = (service) => service.port): Snippet[] {
  if (kind === 'grafana-ini') {
    return registry.services.flatMap((service) => {
      const by = service.configuredBy;
      if (typeof by !== 'object' || !('file' in by) || by.file !== 'grafana.ini' || !by.key) return [];
      const path = service.config ?? GRAFANA_INI_PATH;
      return [{ kind, service, path, text: grafanaIni(service, by.key, portOf, path) }];
    });
  }
  return registry.services.flatMap((service) =>
    service.configs
      .filter((ref) => ref.kind === kind)
      .map((ref): Snippet => {
        const upstream = ref.upstream !== undefined ? registry.service(ref.upstream) : service;
        const text = {
          'nginx-site': () => nginxSite(service, upstream, portOf, ref.path),
          'prometheus-yml': () => prometheusYml(registry, portOf, ref.path),
          'prometheus-args': () => prometheusArgs(service, portOf, ref.path),
          'grafana-datasource': () => grafanaDatasource(upstream, portOf, ref.path),
          'redis-conf': () => redisConf(service, portOf, ref.path),
        }[ref.kind]();
        return { kind, service, path: ref.path, text };
      }),
  );
}
