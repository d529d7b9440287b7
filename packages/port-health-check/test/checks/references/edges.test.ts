// The references check at the edges of what each file's own program accepts:
// loopback written in another legal spelling, a proxy_pass scheme from a
// variable, a Prometheus scheme: written as YAML but not as one word, nginx's
// ssl shared by every listen on an address and port, a site that listens only
// on a UNIX socket, and columns counted in characters. Real files in temp
// trees, read by gather() under --root; the bundled registry, and the one in
// fixtures/schemes for HTTPS services.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadRegistry, type Registry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { hasCommand } from '../../../../../test-support/commands.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const bundled = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const schemes = await loadRegistry({ path: new URL('fixtures/schemes/ports.yaml', import.meta.url).pathname });

const SITE = 'etc/nginx/sites-available/dsa110-contimg';
const PROMETHEUS_YML = 'etc/prometheus/prometheus.yml';
const DATASOURCE = 'etc/grafana/provisioning/datasources/dsa110-prometheus.yml';
const REDIS = 'etc/redis/redis.conf';
const TLS_SITE = 'etc/nginx/sites-enabled/tls';

const promtool = hasCommand('promtool', ['--version']);

/** A root with every snippet of `registry` where it says, then `extra` over them. */
function tree(registry: Registry, extra: Record<string, TreeEntry>): string {
  const files: Record<string, TreeEntry> = {};
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) files[snippet.path.slice(1)] = snippet.text;
  return writeTree(tempDir(), { ...files, ...extra });
}

/** The references check's problems, `severity: reason` without the root. */
async function problems(registry: Registry, extra: Record<string, TreeEntry>): Promise<string[]> {
  const root = tree(registry, extra);
  const facts = await gather({ registry, root });
  return registry.services
    .flatMap((service) => checkReferences(facts, service))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

/** The bundled registry's site with its proxy_pass targets, the /metrics allow for ::1 and the rest given. */
const site = (pass: string, allow6 = '::1', listen = 'listen 80;\n    listen [::]:80;') =>
  `server {\n    ${listen}\n    location /api/ {\n        proxy_pass ${pass};\n    }\n    location /metrics {\n        allow 127.0.0.1;\n        allow ${allow6};\n        deny all;\n        proxy_pass ${pass};\n    }\n}\n`;

describe('loopback in every legal spelling', () => {
  it('is this host in nginx, Prometheus, Grafana and Redis: nothing to say when the ports agree, the wrong port found', async () => {
    for (const host of ['0:0:0:0:0:0:0:1', '0::1', '0000:0000::0001', '::ffff:7f00:1']) {
      const files = {
        [SITE]: site(`http://[${host}]:8000`, host),
        [PROMETHEUS_YML]: `scrape_configs:\n  - job_name: dsa110-api\n    static_configs:\n      - targets: ['[${host}]:8000']\n`,
        [DATASOURCE]: `apiVersion: 1\ndatasources:\n  - name: p\n    type: prometheus\n    url: http://[${host}]:9090\n`,
        // Not a mapped address for Redis: its IPv6-only socket cannot bind one (redis-mapped-bind.test.ts).
        [REDIS]: `port 6379\nbind 127.0.0.1 -${host.includes('ffff') ? '::1' : host}\n`,
      };
      expect(await problems(bundled, files), host).toEqual([]);
      const moved = { ...files, [DATASOURCE]: files[DATASOURCE].replace(':9090', ':9091') };
      expect(await problems(bundled, moved), host).toEqual([
        expect.stringMatching(
          new RegExp(`^error: grafana \\(3030\\): /${DATASOURCE}:5:10: url http://\\[${host}\\]:9091, but Prometheus uses port 9090; set its port to 9090 `),
        ),
      ]);
    }
  });

  it('another address is still another host, and a prefix wider than loopback still admits others', async () => {
    expect(await problems(bundled, { [SITE]: site('http://127.0.0.1:8000', '::2') })).toEqual([
      expect.stringContaining('location /metrics is not restricted to localhost: allow ::2 (line 9) admits clients from elsewhere'),
    ]);
    // nginx masks a mapped address as IPv6: ::ffff:127.0.0.1/8 is ::/8, which holds every mapped IPv4 client.
    expect(await problems(bundled, { [SITE]: site('http://127.0.0.1:8000', '::ffff:127.0.0.1/8') })).toEqual([
      expect.stringContaining('allow ::ffff:127.0.0.1/8 (line 9) admits clients from elsewhere'),
    ]);
    expect(await problems(bundled, { [SITE]: site('http://127.0.0.1:8000', '0:0:0:0:0:0:0:1/128') })).toEqual([]);
  });
});

describe('a proxy_pass scheme from a variable', () => {
  it('holds the host and port to the registry, and says the scheme cannot be told', async () => {
    const unknown = (line: number, value: string, port = '') =>
      `unknown: nginx (80): /${SITE}:${line}:9: proxy_pass ${value} takes its scheme${port} from $scheme, which nginx sets per request and this check cannot tell, so whether it reaches FastAPI by http as the registry says is not known; write proxy_pass http://127.0.0.1:8000; (ports snippet nginx-site)`;
    expect(await problems(bundled, { [SITE]: site('$scheme://127.0.0.1:8002') })).toEqual([
      `error: nginx (80): /${SITE}:5:9: proxy_pass $scheme://127.0.0.1:8002, but FastAPI, the site's upstream, uses port 8000, and no other registry service uses port 8002; set its port to 8000 (ports snippet nginx-site prints what passes), or give FastAPI port: 8002 in the registry`,
      unknown(5, '$scheme://127.0.0.1:8002'),
      `error: nginx (80): /${SITE}:11:9: proxy_pass $scheme://127.0.0.1:8002, but FastAPI, the site's upstream, uses port 8000, and no other registry service uses port 8002; set its port to 8000 (ports snippet nginx-site prints what passes), or give FastAPI port: 8002 in the registry`,
      unknown(11, '$scheme://127.0.0.1:8002'),
    ]);
    expect(await problems(bundled, { [SITE]: site('$scheme://127.0.0.1') })).toEqual([
      unknown(5, '$scheme://127.0.0.1', ", and so its port (the scheme's default, 80 or 443),"),
      unknown(11, '$scheme://127.0.0.1', ", and so its port (the scheme's default, 80 or 443),"),
    ]);
    // To another host: not the registry's.
    expect(await problems(bundled, { [SITE]: site('$scheme://backend.example:8001') })).toEqual([]);
  });
});

describe('a grpc_pass scheme from a variable, as proxy_pass', () => {
  it('holds the host and port to the registry, and says the scheme cannot be told; grpc:// and grpcs:// are read as before', async () => {
    const grpc = (pass: string) =>
      site('http://127.0.0.1:8000').replace('location /api/ {', `location /rpc/ {\n        grpc_pass ${pass};\n    }\n    location /api/ {`);
    const unknown = (value: string, port = '') =>
      `unknown: nginx (80): /${SITE}:5:9: grpc_pass ${value} takes its scheme${port} from $scheme, which nginx sets per request and this check cannot tell, so whether it reaches FastAPI by http as the registry says is not known; write grpc_pass grpc://127.0.0.1:8000; (ports snippet nginx-site)`;
    const wrongPort = (value: string) =>
      `error: nginx (80): /${SITE}:5:9: grpc_pass ${value}, but FastAPI, the site's upstream, uses port 8000, and no other registry service uses port 8002; set its port to 8000 (ports snippet nginx-site prints what passes), or give FastAPI port: 8002 in the registry`;
    expect(await problems(bundled, { [SITE]: grpc('$scheme://127.0.0.1:8002') })).toEqual([
      wrongPort('$scheme://127.0.0.1:8002'),
      unknown('$scheme://127.0.0.1:8002'),
    ]);
    expect(await problems(bundled, { [SITE]: grpc('$scheme://127.0.0.1:8000') })).toEqual([unknown('$scheme://127.0.0.1:8000')]);
    expect(await problems(bundled, { [SITE]: grpc('$scheme://[::1]') })).toEqual([
      unknown('$scheme://[::1]', ", and so its port (the scheme's default, 80 or 443),"),
    ]);
    expect(await problems(bundled, { [SITE]: grpc('grpc://127.0.0.1:8002') })).toEqual([wrongPort('grpc://127.0.0.1:8002')]);
    // grpcs:// (in any case) to the plain-HTTP API is TLS it does not speak, as https:// would be: its port and scheme both said.
    expect(await problems(bundled, { [SITE]: grpc('GRPCS://localhost:8002') })).toEqual([
      wrongPort('GRPCS://localhost:8002'),
      `error: nginx (80): /${SITE}:5:9: grpc_pass GRPCS://localhost:8002 speaks TLS to FastAPI, but the registry says FastAPI is plain HTTP, so the handshake fails and nginx answers 502 ("SSL_do_handshake() failed ... wrong version number"); write grpc_pass grpc://localhost:8002; (ports snippet nginx-site), or give FastAPI protocol: HTTPS in the registry`,
    ]);
    expect(await problems(bundled, { [SITE]: grpc('grpc://127.0.0.1:8000') })).toEqual([]);
    // To another host: not the registry's.
    expect(await problems(bundled, { [SITE]: grpc('$scheme://backend.example:8001') })).toEqual([]);
  });
});

describe('a Prometheus scheme: written as YAML, not as one word', () => {
  const WEB = "  - {job_name: dsa110-web, static_configs: [{targets: ['localhost:8001']}]}\n";
  const job = (scheme: string) =>
    `scrape_configs:\n  - job_name: dsa110-api\n    ${scheme}\n    static_configs:\n      - targets: ['localhost:8000']\n  - job_name: dsa110-web\n    static_configs:\n      - targets: ['localhost:8001']\n`;

  it('is read by the YAML parser: a tag, an anchor, a block scalar, the value on the next line, a flow mapping', async () => {
    const written = ['scheme: !!str https', 'scheme: &s https', 'scheme:\n      https', 'scheme: >-\n      https', 'scheme: "http\\x73"'];
    for (const scheme of written) {
      const root = tree(schemes, { [PROMETHEUS_YML]: job(scheme) });
      if (promtool) expect(execFileSync('promtool', ['check', 'config', join(root, PROMETHEUS_YML)], { encoding: 'utf8' })).toMatch(/SUCCESS/);
      expect(
        (await problems(schemes, { [PROMETHEUS_YML]: job(scheme) })).filter((line) => line.includes('prometheus.yml')),
        scheme,
      ).toEqual([]);
    }
    const flow = `scrape_configs:\n  - {job_name: dsa110-api, scheme: https, static_configs: [{targets: ['localhost:8000']}]}\n${WEB}`;
    expect((await problems(schemes, { [PROMETHEUS_YML]: flow })).filter((line) => line.includes('prometheus.yml'))).toEqual([]);
  });

  it('a wrong scheme so written is the error it is, as the parser reads it', async () => {
    expect((await problems(schemes, { [PROMETHEUS_YML]: job('scheme: !!str http') })).filter((line) => line.includes('prometheus.yml'))).toEqual([
      expect.stringMatching(
        /^error: prometheus \(9090\): \/etc\/prometheus\/prometheus\.yml:3:5: scrape job dsa110-api has scheme: http, but the registry says FastAPI is HTTPS/,
      ),
    ]);
    const flow = `scrape_configs:\n  - {job_name: dsa110-api, scheme: http, static_configs: [{targets: ['localhost:8000']}]}\n${WEB}`;
    expect((await problems(schemes, { [PROMETHEUS_YML]: flow })).filter((line) => line.includes('prometheus.yml'))).toEqual([
      expect.stringMatching(/^error: prometheus \(9090\): \/etc\/prometheus\/prometheus\.yml:2:6: scrape job dsa110-api has scheme: http, but /),
    ]);
  });
});

describe("nginx's ssl, one for every listen on an address and port", () => {
  const tlsSite = (more: string) =>
    `server {\n    listen 8444 ssl;\n    listen [::]:8444 ssl;\n    ssl_certificate /c.pem;\n    ssl_certificate_key /k.pem;\n    location /api/ { proxy_pass http://127.0.0.1:8001; }\n    location /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://127.0.0.1:8001; }\n}\n${more}`;

  it('a listen without ssl in another server on the same address and port serves TLS: no error for an HTTPS site', async () => {
    const other = 'server {\n    listen 8444;\n    listen [0::]:8444;\n    server_name other.example;\n    return 404;\n}\n';
    expect((await problems(schemes, { [TLS_SITE]: tlsSite(other) })).filter((line) => line.includes(TLS_SITE))).toEqual([]);
  });

  it('one on another address of the port is its own socket, plain, and that server’s: said as taking the address from the site', async () => {
    const other = 'server {\n    listen 0.0.0.0:8445;\n    listen [::1]:8444;\n    return 404;\n}\n';
    expect((await problems(schemes, { [TLS_SITE]: tlsSite(other) })).filter((line) => line.includes(TLS_SITE))).toEqual([
      expect.stringMatching(
        /^error: tls \(8444\): \/etc\/nginx\/sites-enabled\/tls:3:5: listen \[::\]:8444 ssl does not take connections to \[::1\]:8444: listen \[::1\]:8444 \(line 11:5\) is on that address itself/,
      ),
    ]);
  });
});

describe('a site that listens only on a UNIX socket', () => {
  it('is told it listens on no port, not that it has no listen', async () => {
    expect(await problems(bundled, { [SITE]: site('http://127.0.0.1:8000', '::1', 'listen unix:/run/nginx/dsa110.sock;') })).toEqual([
      `warning: nginx (80): /${SITE}:2:5: listen unix:/run/nginx/dsa110.sock is a UNIX socket, and no listen is on a port, so Nginx is not served on port 80 as the registry says; add listen 80;`,
    ]);
  });
});

describe('columns', () => {
  it('are where the reader found the url, not an earlier copy of its text, and count characters (an emoji is one)', async () => {
    const datasource = "apiVersion: 1\ndatasources:\n  - {name: 'http://localhost:9090 📈', type: prometheus, url: 'http://localhost:9090'}\n";
    const found = await problems(schemes, { [DATASOURCE]: datasource });
    expect(found.filter((line) => line.includes('dsa110-prometheus.yml'))).toEqual([
      expect.stringMatching(
        /^error: grafana \(3030\): \/etc\/grafana\/provisioning\/datasources\/dsa110-prometheus\.yml:3:63: url http:\/\/localhost:9090 reaches Prometheus by http/,
      ),
    ]);
    const nginx =
      'server { server_name "café📈.example"; listen 80 ssl; location /api/ { proxy_pass http://127.0.0.1:8000; } location /metrics { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:8000; } }\n';
    expect(await problems(bundled, { [SITE]: nginx })).toEqual([
      expect.stringMatching(new RegExp(`^error: nginx \\(80\\): /${SITE}:1:39: listen 80 ssl serves TLS`)),
    ]);
  });
});
