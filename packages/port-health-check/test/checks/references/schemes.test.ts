// What the registry records of a service besides its port, held against the
// files that name it: nginx's proxy_pass and grpc_pass scheme against the upstream's protocol,
// nginx's listen address against the site's access level and its listen's ssl
// against the site's protocol, a scrape job's scheme: and Grafana's datasource
// url against the scraped service's protocol, and grafana.ini's protocol,
// http_addr and root_url (the config check) against Grafana's. Real files in temp trees,
// read by gather() under --root, with the registry in fixtures/schemes; the
// prometheus.yml variants held to the real `promtool check config`, which
// passes them all (the scheme is wrong only at run time).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry, parseRegistry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/checks/config.js';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { hasCommand } from '../../../../../test-support/commands.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const fixtures = new URL('fixtures/schemes/', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(fixtures, 'ports.yaml') });
const SITE = 'etc/nginx/sites-enabled/dsa110';
const EDGE = 'etc/nginx/sites-enabled/edge';
const PROMETHEUS_YML = 'etc/prometheus/prometheus.yml';
const TLS_SITE = 'etc/nginx/sites-enabled/tls';
const GRAFANA_INI = 'etc/grafana/grafana.ini';
const DATASOURCE = 'etc/grafana/provisioning/datasources/dsa110-prometheus.yml';
const GRAFANA_UNIT = 'lib/systemd/system/grafana-server.service';

const promtool = hasCommand('promtool', ['--version']);
if (!promtool) console.warn('[skipped: missing Debian package prometheus (promtool): install with sudo bash scripts/install-system-packages.sh]');

/** A root with every snippet the registry asks for where it says, then `extra` over them. */
function tree(extra: Record<string, TreeEntry> = {}): string {
  const files: Record<string, TreeEntry> = {};
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) files[snippet.path.slice(1)] = snippet.text;
  return writeTree(tempDir(), { ...files, ...extra });
}

// Read under a temp root (said ROOT): a fix ends as reloadStep says there, not with the host's daemon-reload.
const RELOAD = '; systemd reads it when the system under ROOT boots';

/** The references and config checks' problems, `file:line:col: message` without the root. */
async function problems(root: string): Promise<string[]> {
  const facts = await gather({ registry, root });
  return registry.services
    .flatMap((service) => [...checkReferences(facts, service), ...checkConfig(facts, service)])
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason.replaceAll(root, 'ROOT')}`);
}

/** A site as `ports snippet nginx-site` would write it, with `listen` and `proxy_pass` lines given. */
const site = (listen: string, pass: string) =>
  `server {\n    listen ${listen};\n    location /api/ {\n        proxy_pass ${pass};\n    }\n    location /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass ${pass}; }\n}\n`;

describe('agreement', () => {
  it('the snippets the registry prints pass: https:// to the HTTPS API, loopback for a localhost site, every address for a public one, scheme: https for its job', async () => {
    expect(await problems(tree())).toEqual([]);
  });
});

describe('nginx proxy_pass against the upstream protocol', () => {
  it('http:// to an HTTPS upstream is an error at its file:line:col, with both schemes and the line to write', async () => {
    const root = tree({ [SITE]: site('127.0.0.1:8080', 'http://127.0.0.1:8000') });
    const said =
      'proxy_pass http://127.0.0.1:8000 speaks plain HTTP to FastAPI, but the registry says FastAPI is HTTPS, so it answers 400 ("The plain HTTP request was sent to HTTPS port"); write proxy_pass https://127.0.0.1:8000; (ports snippet nginx-site), or give FastAPI protocol: HTTP in the registry';
    expect(await problems(root)).toEqual([`error: nginx (8080): /${SITE}:4:9: ${said}`, `error: nginx (8080): /${SITE}:6:63: ${said}`]);
  });

  it('https:// to a plain-HTTP upstream is an error, also through an upstream block on this machine', async () => {
    const text = `upstream web { server 127.0.0.1:8001; }\n${site('8443', 'https://web')}`;
    expect(await problems(tree({ [EDGE]: text }))).toEqual([
      expect.stringMatching(
        /^error: edge \(8443\): \/etc\/nginx\/sites-enabled\/edge:5:9: proxy_pass https:\/\/web speaks TLS to Web, but the registry says Web is plain HTTP, so the handshake fails and nginx answers 502 \("SSL_do_handshake\(\) failed \.\.\. wrong version number"\); write proxy_pass http:\/\/web; /,
      ),
      expect.stringMatching(/^error: edge \(8443\): \/etc\/nginx\/sites-enabled\/edge:7:63: proxy_pass https:\/\/web speaks TLS to Web/),
    ]);
  });

  it('a pass to another host is not held to the registry', async () => {
    expect(await problems(tree({ [EDGE]: site('8443', 'https://backend.example:8001') }))).toEqual([]);
  });
});

describe('nginx grpc_pass against the upstream protocol, as proxy_pass', () => {
  /** A site whose /rpc/ location passes by grpc_pass `pass`, and whose metrics location by proxy_pass `metrics`. */
  const grpcSite = (listen: string, pass: string, metrics: string) =>
    `server {\n    listen ${listen};\n    location /rpc/ {\n        grpc_pass ${pass};\n    }\n    location /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass ${metrics}; }\n}\n`;

  it('grpc:// (or no scheme) to an HTTPS upstream is an error at its file:line:col with the grpcs:// line to write; grpcs:// passes', async () => {
    const said = (value: string, fixed: string) =>
      `error: nginx (8080): /${SITE}:4:9: grpc_pass ${value} speaks gRPC without TLS (cleartext HTTP/2) to FastAPI, but the registry says FastAPI is HTTPS, so the TLS server does not take it and nginx answers 502; write grpc_pass ${fixed}; (ports snippet nginx-site), or give FastAPI protocol: HTTP in the registry`;
    for (const [value, fixed] of [
      ['grpc://127.0.0.1:8000', 'grpcs://127.0.0.1:8000'],
      ['GRPC://[::1]:8000', 'grpcs://[::1]:8000'],
      ['127.0.0.1:8000', 'grpcs://127.0.0.1:8000'],
    ] as const) {
      expect(await problems(tree({ [SITE]: grpcSite('127.0.0.1:8080', value, 'https://127.0.0.1:8000') })), value).toEqual([said(value, fixed)]);
    }
    expect(await problems(tree({ [SITE]: grpcSite('127.0.0.1:8080', 'grpcs://127.0.0.1:8000', 'https://127.0.0.1:8000') }))).toEqual([]);
  });

  it('grpcs:// to a plain-HTTP upstream is an error, also through an upstream block on this machine; grpc:// and no scheme pass', async () => {
    const text = `upstream web { server 127.0.0.1:8001; }\n${grpcSite('8443', 'grpcs://web', 'http://127.0.0.1:8001')}`;
    expect(await problems(tree({ [EDGE]: text }))).toEqual([
      `error: edge (8443): /${EDGE}:5:9: grpc_pass grpcs://web speaks TLS to Web, but the registry says Web is plain HTTP, so the handshake fails and nginx answers 502 ("SSL_do_handshake() failed ... wrong version number"); write grpc_pass grpc://web; (ports snippet nginx-site), or give Web protocol: HTTPS in the registry`,
    ]);
    for (const pass of ['grpc://web', 'web', 'grpc://localhost:8001'])
      expect(await problems(tree({ [EDGE]: text.replace('grpcs://web', pass) })), pass).toEqual([]);
    // To another host: not the registry's.
    expect(await problems(tree({ [EDGE]: grpcSite('8443', 'grpcs://backend.example:8001', 'http://127.0.0.1:8001') }))).toEqual([]);
  });

  it('a gRPC upstream the registry calls TCP says nothing of TLS: grpc_pass grpc:// and grpcs:// both pass', async () => {
    const text = readFileSync(join(fixtures, 'ports.yaml'), 'utf8');
    const web = text.indexOf('  - id: web');
    const tcp = parseRegistry(
      `${text.slice(0, web)}${text
        .slice(web)
        .replace('protocol: HTTP', 'protocol: TCP')
        .replace(/\n {4}metrics:[^\n]*/, '')}`,
    );
    expect(tcp.service('web').protocol).toBe('TCP');
    for (const pass of ['grpcs://web', 'grpc://web', 'web']) {
      const root = tree({ [EDGE]: `upstream web { server 127.0.0.1:8001; }\n${grpcSite('8443', pass, 'http://127.0.0.1:8001')}` });
      const facts = await gather({ registry: tcp, root });
      const found = checkReferences(facts, tcp.service('edge')).filter((result) => result.severity !== 'ok');
      expect(
        found.map((result) => result.reason),
        pass,
      ).toEqual([]);
    }
  });
});

describe('nginx listen against the access level', () => {
  it('every address (listen 8080, [::]:8080) for a localhost site is an error; loopback is not', async () => {
    const text = site('8080', 'https://127.0.0.1:8000').replace('listen 8080;', 'listen 8080;\n    listen [::]:8080;\n    listen [::1]:8080;');
    expect(await problems(tree({ [SITE]: text }))).toEqual([
      `error: nginx (8080): /${SITE}:2:5: listen 8080 accepts connections on every address, but the registry says Nginx is access: localhost (loopback only); write listen 127.0.0.1:8080; and listen [::1]:8080; (ports snippet nginx-site), or give Nginx access: private or public in the registry`,
      expect.stringMatching(new RegExp(`^error: nginx \\(8080\\): /${SITE}:3:5: listen \\[::\\]:8080 accepts connections on every address`)),
    ]);
  });

  it('loopback for a public site is an error; a loopback listen on another port is the site’s own (nothing)', async () => {
    const text = site('127.0.0.1:8443', 'http://127.0.0.1:8001').replace('listen 127.0.0.1:8443;', 'listen 127.0.0.1:8443;\n    listen localhost:9000;');
    expect(await problems(tree({ [EDGE]: text }))).toEqual([
      // The port's own listens are judged together, once all are read (the sockets nginx opens for it).
      `error: edge (8443): /${EDGE}:2:5: listen 127.0.0.1:8443 accepts connections from this host only, but the registry says Edge is access: public (every address; the firewall narrows it); write listen 8443; and listen [::]:8443; (ports snippet nginx-site), or give Edge access: localhost in the registry`,
    ]);
  });

  it('a host name is resolved by nginx when it starts: not held to the access level', async () => {
    expect(await problems(tree({ [EDGE]: site('web.example:8443', 'http://127.0.0.1:8001') }))).toEqual([]);
  });
});

describe('a scrape job’s scheme against the protocol', () => {
  /** prometheus.yml with the two jobs, `api` and `web` the lines of each besides job_name and targets. */
  const prometheusYml = (api: string, web = '') =>
    `scrape_configs:\n  - job_name: dsa110-api\n${api}    static_configs:\n      - targets: ['localhost:8000']\n  - job_name: dsa110-web\n${web}    static_configs:\n      - targets: ['localhost:8001']\n`;

  it('no scheme (http) for an HTTPS service is an error at the job; https for a plain one at its scheme line; promtool takes both', async () => {
    const root = tree({ [PROMETHEUS_YML]: prometheusYml('', '    scheme: https\n') });
    if (promtool) expect(execFileSync('promtool', ['check', 'config', join(root, PROMETHEUS_YML)], { encoding: 'utf8' })).toMatch(/SUCCESS/);
    expect(await problems(root)).toEqual([
      `error: prometheus (9090): /${PROMETHEUS_YML}:2:5: scrape job dsa110-api has no scheme: (so http), but the registry says FastAPI is HTTPS, so it answers 400 ("Client sent an HTTP request to an HTTPS server") and the target is down; add scheme: https to the job (ports snippet prometheus-yml), or give FastAPI protocol: HTTP in the registry`,
      `error: prometheus (9090): /${PROMETHEUS_YML}:6:5: scrape job dsa110-web has scheme: https, but the registry says Web is plain HTTP, so the scrape fails ("server gave HTTP response to HTTPS client") and the target is down; write scheme: http (or remove the line) (ports snippet prometheus-yml), or give Web protocol: HTTPS in the registry`,
    ]);
  });

  it('reads the job’s own scheme (quoted, any case, after its discovery’s), not a discovery’s', async () => {
    const api = '    consul_sd_configs: []\n    "scheme": "HTTPS"\n    relabel_configs:\n      - { source_labels: [x], target_label: y }\n';
    const web = '    kubernetes_sd_configs:\n      - role: pod\n        api_server: https://k8s\n        scheme: https\n';
    const found = await problems(tree({ [PROMETHEUS_YML]: prometheusYml(api, web) }));
    expect(found.filter((line) => line.includes('scheme'))).toEqual([]);
  });

  it('a scheme this check does not read (a relabelling of __scheme__) is unknown, not an error', async () => {
    const api = '    relabel_configs:\n      - target_label: __scheme__\n        replacement: https\n';
    expect(await problems(tree({ [PROMETHEUS_YML]: prometheusYml(api) }))).toEqual([
      `unknown: prometheus (9090): /${PROMETHEUS_YML}:4: scrape job dsa110-api: its scheme is set where this check does not read it (a relabelling of __scheme__, or YAML the parser does not read), so whether it scrapes FastAPI by https is not known`,
    ]);
  });
});

describe('nginx listen ssl against the site’s protocol', () => {
  it('a listen without ssl on an HTTPS site is an error at its file:line:col (http2 alone is cleartext); listen ... ssl passes', async () => {
    // The ssl listen on an address of its own: on *:8444 too it would make the plain one TLS (nginx keeps one ssl per address and port; in one server, nginx -t refuses the duplicate).
    const text = site('8444', 'http://127.0.0.1:8001').replace(
      'listen 8444;',
      'listen 8444;\n    listen [::]:8444 http2;\n    listen 10.0.0.1:8444 ssl http2;',
    );
    expect(await problems(tree({ [TLS_SITE]: text }))).toEqual([
      `error: tls (8444): /${TLS_SITE}:2:5: listen 8444 serves plain HTTP, but the registry says TLS is HTTPS, so a client's TLS handshake fails ("wrong version number"); write listen 8444 ssl; with ssl_certificate and ssl_certificate_key (ports snippet nginx-site), or give TLS protocol: HTTP in the registry`,
      `error: tls (8444): /${TLS_SITE}:3:5: listen [::]:8444 http2 serves plain HTTP (http2 without ssl is cleartext HTTP/2), but the registry says TLS is HTTPS, so a client's TLS handshake fails ("wrong version number"); write listen [::]:8444 ssl http2; with ssl_certificate and ssl_certificate_key (ports snippet nginx-site), or give TLS protocol: HTTP in the registry`,
    ]);
  });

  it('listen ... ssl on a plain-HTTP site is an error; a listen on another port is not held to it', async () => {
    const text = site('8443 ssl', 'http://127.0.0.1:8001');
    expect(await problems(tree({ [EDGE]: text }))).toEqual([
      `error: edge (8443): /${EDGE}:2:5: listen 8443 ssl serves TLS, but the registry says Edge is plain HTTP, so a plain HTTP request is answered 400 ("The plain HTTP request was sent to HTTPS port"); write listen 8443; (ports snippet nginx-site), or give Edge protocol: HTTPS in the registry`,
    ]);
    const redirect = `server { listen 80; return 301 https://$host:8444$request_uri; }\n${site('8444 ssl', 'http://127.0.0.1:8001')}`;
    expect((await problems(tree({ [TLS_SITE]: redirect }))).filter((line) => line.includes(' serves '))).toEqual([]);
  });

  it('ssl on (TLS for every listen of its server) is unknown, not an error', async () => {
    const text = site('8443', 'http://127.0.0.1:8001').replace('listen 8443;', 'listen 8443;\n    ssl on;');
    expect(await problems(tree({ [EDGE]: text }))).toEqual([
      `unknown: edge (8443): /${EDGE}:3:5: ssl on turns TLS on for every listen of its server (deprecated; nginx 1.25.1 refuses it), so whether Edge serves plain HTTP on port 8443 as the registry says is not read; write listen 8443; instead`,
    ]);
  });
});

describe('the Grafana datasource url against Prometheus’s protocol', () => {
  const datasource = (url: string) => `apiVersion: 1\ndatasources:\n  - name: Prometheus\n    type: prometheus\n    url: ${url}\n`;

  it('http:// to an HTTPS Prometheus is an error at the url’s column; https:// passes, and so does a Prometheus elsewhere', async () => {
    expect(await problems(tree({ [DATASOURCE]: datasource('http://localhost:9090') }))).toEqual([
      `error: grafana (3030): /${DATASOURCE}:5:10: url http://localhost:9090 reaches Prometheus by http, but the registry says Prometheus is HTTPS, so its queries are answered 400 ("Client sent an HTTP request to an HTTPS server"); write url: https://localhost:9090 (ports snippet grafana-datasource), or give Prometheus protocol: HTTP in the registry`,
    ]);
    expect(await problems(tree({ [DATASOURCE]: datasource('HTTPS://127.0.0.1:9090/') }))).toEqual([]);
    expect(await problems(tree({ [DATASOURCE]: datasource('http://metrics.example:9090') }))).toEqual([]);
  });

  it('a flow-mapping datasource’s url is held too', async () => {
    const text = 'apiVersion: 1\ndatasources:\n  - {name: P, type: prometheus, url: "http://[::1]:9090"}\n';
    expect(await problems(tree({ [DATASOURCE]: text }))).toEqual([
      expect.stringMatching(new RegExp(`^error: grafana \\(3030\\): /${DATASOURCE}:3:39: url http://\\[::1\\]:9090 reaches Prometheus by http`)),
    ]);
  });
});

describe('grafana.ini [server] against Grafana’s protocol and access', () => {
  /** grafana.ini with http_port as the registry has it, and `lines` under [server]. */
  const ini = (...lines: string[]) => `[server]\nhttp_port = 3030\n${lines.map((line) => `${line}\n`).join('')}`;
  const TLS = ['protocol = https', 'cert_file = /etc/grafana/g.crt', 'cert_key = /etc/grafana/g.key'];

  it('no protocol (http) for an HTTPS Grafana is an error at the file; protocol = http at its line; h2 (TLS) passes', async () => {
    expect(await problems(tree({ [GRAFANA_INI]: ini('http_addr = 127.0.0.1') }))).toEqual([
      `error: grafana (3030): /${GRAFANA_INI} sets no protocol in [server] (so http), so it serves plain HTTP, but the registry says Grafana is HTTPS on port 3030, so a client's TLS handshake fails ("wrong version number"); write protocol = https with cert_file and cert_key under [server] (ports snippet grafana-ini), or give Grafana protocol: HTTP in the registry`,
    ]);
    expect(await problems(tree({ [GRAFANA_INI]: ini('  protocol = HTTPS', 'http_addr = 127.0.0.1') }))).toEqual([
      `error: grafana (3030): /${GRAFANA_INI}:3:14 sets protocol = HTTPS (Grafana knows http, https, h2, socket, socket_h2, and reads any other word as http), so it serves plain HTTP, but the registry says Grafana is HTTPS on port 3030, so a client's TLS handshake fails ("wrong version number"); write protocol = https with cert_file and cert_key under [server] (ports snippet grafana-ini), or give Grafana protocol: HTTP in the registry`,
    ]);
    expect(await problems(tree({ [GRAFANA_INI]: ini('protocol = h2', 'http_addr = ::1') }))).toEqual([]);
  });

  it('protocol = socket: Grafana is on no port at all', async () => {
    expect(await problems(tree({ [GRAFANA_INI]: ini('protocol = socket') }))).toEqual([
      `error: grafana (3030): /${GRAFANA_INI}:3:12 sets protocol = socket: Grafana listens on a unix socket, not on port 3030, but the registry says Grafana is HTTPS on port 3030; write protocol = https under [server] (ports snippet grafana-ini)`,
    ]);
  });

  it('GF_SERVER_PROTOCOL and GF_SERVER_HTTP_ADDR in the unit override the file, as GF_SERVER_HTTP_PORT does', async () => {
    const root = tree({
      [GRAFANA_INI]: ini('protocol = http', 'http_addr = 0.0.0.0'),
      [GRAFANA_UNIT]: '[Service]\nEnvironment=GF_SERVER_PROTOCOL=https GF_SERVER_HTTP_ADDR=127.0.0.1\n',
    });
    expect(await problems(root)).toEqual([]);
    const wrong = tree({ [GRAFANA_INI]: ini(...TLS, 'http_addr = 127.0.0.1'), [GRAFANA_UNIT]: '[Service]\nEnvironment=GF_SERVER_HTTP_ADDR=0.0.0.0\n' });
    expect(await problems(wrong)).toEqual([
      `error: grafana (3030): /${GRAFANA_UNIT}:2 sets GF_SERVER_HTTP_ADDR=0.0.0.0, which overrides http_addr in /${GRAFANA_INI}, so Grafana accepts connections on every address, but the registry says Grafana is access: localhost (loopback only); change it to GF_SERVER_HTTP_ADDR=127.0.0.1 at /${GRAFANA_UNIT}:2 (or remove it: then the config file's key counts)${RELOAD}, or give Grafana access: private or public in the registry`,
    ]);
  });

  it('no http_addr (every address) for a localhost Grafana is an error; a host name is unknown', async () => {
    expect(await problems(tree({ [GRAFANA_INI]: ini(...TLS) }))).toEqual([
      `error: grafana (3030): /${GRAFANA_INI} sets no http_addr in [server], so Grafana accepts connections on every address, but the registry says Grafana is access: localhost (loopback only); write http_addr = 127.0.0.1 under [server] (ports snippet grafana-ini), or give Grafana access: private or public in the registry`,
    ]);
    expect(await problems(tree({ [GRAFANA_INI]: ini(...TLS, 'http_addr = grafana.internal') }))).toEqual([
      `unknown: grafana (3030): /${GRAFANA_INI}:6:13 sets http_addr = grafana.internal, a host name Grafana resolves when it starts, so whether it listens on loopback only (the registry's access: localhost) is not known`,
    ]);
  });

  it('root_url on Grafana’s own port by http is an error; on another port (a proxy) or by %(protocol)s it passes', async () => {
    const withRoot = (url: string) => tree({ [GRAFANA_INI]: ini(...TLS, 'http_addr = 127.0.0.1', `root_url = ${url}`) });
    expect(await problems(withRoot('http://localhost:%(http_port)s/grafana/'))).toEqual([
      `error: grafana (3030): /${GRAFANA_INI}:7:12 sets root_url = http://localhost:%(http_port)s/grafana/ (Grafana fills in %(http_port)s with 3030 from /${GRAFANA_INI}:2:13), which names Grafana's own port 3030 by http, but the registry says Grafana is HTTPS, so its redirects and links send browsers to a TLS port by plain HTTP (answered 400); write root_url = https://localhost:%(http_port)s/grafana/ (ports snippet grafana-ini), or give Grafana protocol: HTTP in the registry`,
    ]);
    expect(await problems(withRoot('http://grafana.example.org/'))).toEqual([]);
    expect(await problems(withRoot('%(protocol)s://%(domain)s:%(http_port)s/'))).toEqual([]);
    expect(await problems(withRoot('https://grafana.example.org:3030/'))).toEqual([]);
    const moved = tree({
      [GRAFANA_INI]: ini(...TLS, 'http_addr = 127.0.0.1'),
      [GRAFANA_UNIT]: '[Service]\nEnvironment="GF_SERVER_ROOT_URL=http://127.0.0.1:3030/"\n',
    });
    expect(await problems(moved)).toEqual([
      expect.stringMatching(
        new RegExp(`^error: grafana \\(3030\\): /${GRAFANA_UNIT}:2 sets GF_SERVER_ROOT_URL=http://127.0.0.1:3030/, which overrides root_url`),
      ),
    ]);
  });
});
