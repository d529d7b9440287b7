// The references check against real files in temp trees: what `ports snippet`
// prints passes (the contract), each kind of mismatch is an error naming the
// file and line, and an operator who moves the API with CONTIMG_API_PORT in
// its unit is told every file that still names the old port.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry, parseRegistry, type Registry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS, type PortOf } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../src/checks/references.js';
import { contentLines } from '../../src/checks/references/finding.js';
import { MAX_INCLUDED_TEXT } from '../../src/checks/references/include-files.js';
import { readGrafanaDatasource } from '../../src/checks/references/grafana.js';
import { mayBeRedisDirective, redisWords } from '../../src/checks/references/redis.js';
import { gather } from '../../src/gather.js';
import type { CheckResult } from '../../src/types.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../helpers.js';

const repoRoot = new URL('../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const API_UNIT = 'etc/systemd/system/dsa110-api.service';

/** A root with every snippet written where the registry says its file is. */
function snippetTree(reg: Registry = registry, portOf?: PortOf, extra: Record<string, TreeEntry> = {}): string {
  const files: Record<string, TreeEntry> = { [API_UNIT]: '[Service]\nExecStart=/usr/bin/true\n', ...extra };
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(reg, kind, portOf)) files[snippet.path.slice(1)] = snippet.text;
  return writeTree(tempDir(), { ...files, ...extra });
}

async function references(root: string, reg: Registry = registry): Promise<CheckResult[]> {
  const facts = await gather({ registry: reg, root });
  return reg.services.flatMap((service) => checkReferences(facts, service)).map((result) => withoutRoot(result, root));
}

const problems = (results: CheckResult[]) => results.filter((result) => result.severity !== 'ok').map((result) => result.reason);

describe('config files under --root', () => {
  it('follow a link inside the image, never to the host file of the same name', async () => {
    const root = snippetTree();
    const conf = join(root, 'etc/redis/redis.conf');
    const good = readFileSync(conf, 'utf8');
    // On the host, outside the image, a file that would pass: the image's absolute link must not reach it.
    const host = join(writeTree(tempDir(), { 'redis.conf': good }), 'redis.conf');
    rmSync(conf);
    symlinkSync(host, conf);
    const escaped = (await gather({ registry, root })).configs.get('/etc/redis/redis.conf');
    expect(escaped?.text).toBeUndefined();
    expect(escaped?.problem).toMatch(/no such file/);
    // The same kind of link to a file inside the image is followed there.
    rmSync(conf);
    writeTree(root, { 'srv/redis.conf': good });
    symlinkSync('/srv/redis.conf', conf);
    expect((await gather({ registry, root })).configs.get('/etc/redis/redis.conf')?.text).toBe(good);
  });
});

describe('the references check', () => {
  it('reads a YAML file whose lines end in a lone CR as YAML does (lines), and nginx and redis.conf as they do (one comment line)', async () => {
    const crOnly = (root: string, path: string, edit = (text: string) => text) => {
      const file = join(root, path);
      writeFileSync(file, edit(readFileSync(file, 'utf8')).replace(/\n/g, '\r'));
    };
    const yamlFiles = ['etc/prometheus/prometheus.yml', 'etc/grafana/provisioning/datasources/dsa110-prometheus.yml'];
    const root = snippetTree();
    for (const path of yamlFiles) crOnly(root, path);
    expect(problems(await references(root))).toEqual([]);
    // A wrong port there is still found, at the line YAML counts.
    const moved = snippetTree();
    for (const path of yamlFiles) crOnly(moved, path, (text) => text.replace('localhost:8000', 'localhost:8001').replace('localhost:9090', 'localhost:9091'));
    expect(problems(await references(moved))).toEqual([
      expect.stringMatching(
        /^grafana \(3030\): \/etc\/grafana\/provisioning\/datasources\/dsa110-prometheus\.yml:8:11: url http:\/\/localhost:9091, but Prometheus uses port 9090; set its port to 9090 \(ports snippet grafana-datasource prints what passes\), or give Prometheus port: 9091 in the registry$/,
      ),
      expect.stringMatching(
        /^prometheus \(9090\): \/etc\/prometheus\/prometheus\.yml:9:14: scrape job dsa110-api targets localhost:8001, but FastAPI uses port 8000; set its port to 8000 \(ports snippet prometheus-yml prints what passes\)$/,
      ),
    ]);
    // nginx and Redis take a lone CR for a space: after the first # the whole file is one comment, as they read it.
    const flat = snippetTree();
    crOnly(flat, 'etc/redis/redis.conf');
    expect(problems(await references(flat))).toEqual([expect.stringContaining('/etc/redis/redis.conf: sets no bind')]);
  });

  it('accepts exactly what `ports snippet` prints, for every config the registry names', async () => {
    const results = await references(snippetTree());
    expect(problems(results)).toEqual([]);
    expect(results.map((result) => result.file).sort()).toEqual(registry.services.flatMap((service) => service.configs.map((ref) => ref.path)).sort());
  });

  it('accepts what `ports snippet` prints for HTTPS services (listen 443 ssl, proxy_pass https://, an https:// datasource), and its fixes name https://', async () => {
    const https = parseRegistry(
      readFileSync(join(repoRoot, 'ports.yaml'), 'utf8')
        .replace('    port: 80\n    protocol: HTTP\n', '    port: 443\n    protocol: HTTPS\n')
        .replace('    port: 8000\n    protocol: HTTP\n', '    port: 8443\n    protocol: HTTPS\n')
        .replace('    port: 9090\n    protocol: HTTP\n', '    port: 9090\n    protocol: HTTPS\n'),
    );
    expect(problems(await references(snippetTree(https), https))).toEqual([]);
    const site = snippetTree(https, undefined, { 'etc/nginx/sites-available/dsa110-contimg': 'server {\nlisten 443 ssl;\n}\n' });
    expect(problems(await references(site, https)).filter((reason) => reason.startsWith('nginx'))).toEqual([
      'nginx (443): /etc/nginx/sites-available/dsa110-contimg: no proxy_pass to FastAPI (port 8443): nginx passes nothing to it; add location /api/ { proxy_pass https://127.0.0.1:8443; } (ports snippet nginx-site)',
      "nginx (443): /etc/nginx/sites-available/dsa110-contimg: no location /metrics restricting FastAPI's metrics to localhost (ports snippet nginx-site)",
    ]);
    // An HTTPS Prometheus started with its listen address alone serves plain HTTP: Grafana's https:// datasource and the scrape jobs fail.
    const plain = snippetTree(https, undefined, { 'etc/default/prometheus': 'ARGS="--web.listen-address=127.0.0.1:9090"\n' });
    expect(problems(await references(plain, https))).toEqual([
      'prometheus (9090): /etc/default/prometheus:1: sets no --web.config.file, so Prometheus serves plain HTTP where the registry says HTTPS (Grafana and the scrape jobs reach it by https:// and fail); write the ARGS line `ports snippet prometheus-args` prints, and the file its comment describes',
    ]);
    // The same line is right for an HTTP Prometheus.
    expect(problems(await references(snippetTree(registry, undefined, { 'etc/default/prometheus': 'ARGS="--web.listen-address=127.0.0.1:9090"\n' })))).toEqual(
      [],
    );
  });

  it('an API moved with CONTIMG_API_PORT in its unit: every file still naming the old port is an error with its line', async () => {
    const root = snippetTree(registry, undefined, { [API_UNIT]: '[Service]\nEnvironment=CONTIMG_API_PORT=8010\nExecStart=/usr/bin/true\n' });
    const found = problems(await references(root));
    expect(found).toEqual([
      "nginx (80): /etc/nginx/sites-available/dsa110-contimg:10:9: proxy_pass http://127.0.0.1:8000, but FastAPI (CONTIMG_API_PORT=8010 in /etc/systemd/system/dsa110-api.service:2), the site's upstream, uses port 8010, and no other registry service uses port 8000; set its port to 8010 (CONTIMG_API_PORT=8010 ports snippet nginx-site prints what passes)",
      "nginx (80): /etc/nginx/sites-available/dsa110-contimg:18:9: proxy_pass http://127.0.0.1:8000, but FastAPI (CONTIMG_API_PORT=8010 in /etc/systemd/system/dsa110-api.service:2), the site's upstream, uses port 8010, and no other registry service uses port 8000; set its port to 8010 (CONTIMG_API_PORT=8010 ports snippet nginx-site prints what passes)",
      'prometheus (9090): /etc/prometheus/prometheus.yml:9:14: scrape job dsa110-api targets localhost:8000, but FastAPI (CONTIMG_API_PORT=8010 in /etc/systemd/system/dsa110-api.service:2) uses port 8010; set its port to 8010 (CONTIMG_API_PORT=8010 ports snippet prometheus-yml prints what passes)',
    ]);
    // Rewritten from the registry with the operator's override: clean again.
    const moved = snippetTree(registry, (service) => registry.resolvePort(service.id, { env: { CONTIMG_API_PORT: '8010' } }).port, {
      [API_UNIT]: '[Service]\nEnvironment=CONTIMG_API_PORT=8010\nExecStart=/usr/bin/true\n',
    });
    expect(problems(await references(moved))).toEqual([]);
  });

  it("under --root, a line about a file names the root it was read under, as the check's other lines do, and says what to do", async () => {
    const named = '/srv/dsa110/my ports.yaml';
    const root = snippetTree(registry, undefined, { 'etc/redis/redis.conf': 'port 6380\nbind 127.0.0.1 -::1\n' });
    const facts = await gather({ registry, root, registryPath: named });
    expect(checkReferences(facts, registry.service('redis')).map((result) => [result.severity, result.reason, result.file])).toEqual([
      [
        'error',
        `redis (6379): /etc/redis/redis.conf:1:6 under ${root}: port 6380, but the registry says Redis uses port 6379; set it to 6379 (ports --registry '${named}' snippet redis-conf prints what passes), or give Redis port: 6380 in the registry`,
        '/etc/redis/redis.conf:1:6',
      ],
    ]);
    expect(checkReferences(facts, registry.service('grafana')).map((result) => result.reason)).toEqual([
      `grafana (3030): /etc/grafana/provisioning/datasources/dsa110-prometheus.yml under ${root} agrees with the registry (grafana-datasource)`,
    ]);
  });

  it('a datasource file not there names the files Grafana reads beside it, and says to name the right one with path: or write the snippet there', async () => {
    const DIR = 'etc/grafana/provisioning/datasources';
    const FILE = `/${DIR}/dsa110-prometheus.yml`;
    const grafana = async (files: Record<string, TreeEntry>) => {
      const root = snippetTree(registry, undefined, files);
      rmSync(join(root, FILE), { force: true });
      const facts = await gather({ registry, root });
      return checkReferences(facts, registry.service('grafana')).map((result) => `${result.severity}: ${result.reason.split(root).join('ROOT')}`);
    };
    const tail = "path: in Grafana's configs: entry (kind: grafana-datasource) in the registry";
    // Grafana reads each *.yaml and *.yml of the directory (not README, nor a directory named .yml); names escaped, the first three.
    expect(
      await grafana({
        [`${DIR}/prometheus.yaml`]: 'datasources: []\n',
        [`${DIR}/a\u001b[31m.yml`]: 'datasources: []\n',
        [`${DIR}/loki.yml`]: 'datasources: []\n',
        [`${DIR}/tempo.yml`]: 'datasources: []\n',
        [`${DIR}/README`]: 'notes\n',
        [`${DIR}/old.yml/x`]: 'x\n',
      }),
    ).toEqual([
      `unknown: grafana (3030): cannot check grafana-datasource ${FILE} under ROOT: no such file; Grafana reads 4 other files there (a\\e[31m.yml, loki.yml, prometheus.yaml and 1 more): name the one that holds its datasource for Prometheus with ${tail}, or write the output of \`ports snippet grafana-datasource\` to ${FILE}`,
    ]);
    expect(await grafana({ [`${DIR}/prometheus.yaml`]: 'datasources: []\n' })).toEqual([
      `unknown: grafana (3030): cannot check grafana-datasource ${FILE} under ROOT: no such file; Grafana reads another file there (prometheus.yaml): name the one that holds its datasource for Prometheus with ${tail}, or write the output of \`ports snippet grafana-datasource\` to ${FILE}`,
    ]);
    expect(await grafana({})).toEqual([
      `unknown: grafana (3030): cannot check grafana-datasource ${FILE} under ROOT: no such file; write the output of \`ports snippet grafana-datasource\` to ${FILE}, or name the file that holds its datasource with ${tail}`,
    ]);
  });

  it('a missing piece names the `ports snippet` command for the registry the check read, a word the shell reads back, after a moved port', async () => {
    const named = '/srv/dsa110/my ports.yaml';
    const found = async (root: string) => {
      const facts = await gather({ registry, root, registryPath: named });
      return problems(registry.services.flatMap((service) => checkReferences(facts, service)).map((result) => withoutRoot(result, root)));
    };
    const noJob = { 'etc/prometheus/prometheus.yml': 'scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: [localhost:9100]\n' };
    expect(await found(snippetTree(registry, undefined, noJob))).toEqual([
      `prometheus (9090): /etc/prometheus/prometheus.yml: no scrape job dsa110-api, so Prometheus does not scrape FastAPI on port 8000 (ports --registry '${named}' snippet prometheus-yml)`,
    ]);
    // The API moved by its unit: the snippet that holds the job for port 8010 is printed with the same override.
    const moved = snippetTree(registry, (service) => registry.resolvePort(service.id, { env: { CONTIMG_API_PORT: '8010' } }).port, {
      ...noJob,
      [API_UNIT]: '[Service]\nEnvironment=CONTIMG_API_PORT=8010\nExecStart=/usr/bin/true\n',
    });
    expect(await found(moved)).toEqual([
      `prometheus (9090): /etc/prometheus/prometheus.yml: no scrape job dsa110-api, so Prometheus does not scrape FastAPI (CONTIMG_API_PORT=8010 in /${API_UNIT}:2) on port 8010 (CONTIMG_API_PORT=8010 ports --registry '${named}' snippet prometheus-yml)`,
    ]);
    const site = snippetTree(registry, undefined, { 'etc/nginx/sites-available/dsa110-contimg': 'server {\nlisten 80;\n}\n' });
    expect((await found(site)).filter((reason) => reason.startsWith('nginx'))).toEqual([
      `nginx (80): /etc/nginx/sites-available/dsa110-contimg: no proxy_pass to FastAPI (port 8000): nginx passes nothing to it; add location /api/ { proxy_pass http://127.0.0.1:8000; } (ports --registry '${named}' snippet nginx-site)`,
      `nginx (80): /etc/nginx/sites-available/dsa110-contimg: no location /metrics restricting FastAPI's metrics to localhost (ports --registry '${named}' snippet nginx-site)`,
    ]);
    const datasource = snippetTree(registry, undefined, { 'etc/grafana/provisioning/datasources/dsa110-prometheus.yml': 'datasources:\n  - name: x\n' });
    expect((await found(datasource)).filter((reason) => reason.startsWith('grafana'))).toEqual([
      `grafana (3030): /etc/grafana/provisioning/datasources/dsa110-prometheus.yml: no datasource url: for Prometheus (ports --registry '${named}' snippet grafana-datasource)`,
    ]);
  });

  it('nginx: a listen elsewhere, an unrestricted /metrics, a missing /metrics location', async () => {
    const site = (body: string) => snippetTree(registry, undefined, { 'etc/nginx/sites-available/dsa110-contimg': body });
    expect(problems(await references(site('server {\n  listen 8080;\n  location /metrics {\n    proxy_pass http://127.0.0.1:8000;\n  }\n}\n')))).toEqual([
      'nginx (80): /etc/nginx/sites-available/dsa110-contimg:3: location /metrics is not restricted to localhost; add allow 127.0.0.1; deny all;',
      'nginx (80): /etc/nginx/sites-available/dsa110-contimg:2:3: no listen on port 80, the one the registry gives Nginx (the site listens on 8080), so nginx does not serve it there; add listen 80; (ports snippet nginx-site), or give Nginx port: 8080 in the registry',
    ]);
    expect(
      problems(await references(site('server { listen 80; location /metrics { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:8000; } }\n'))),
    ).toEqual([]);
    expect(problems(await references(site('server {\n  listen [::]:80; # v6\n  location / { proxy_pass http://localhost:8000; }\n}\n')))).toEqual([
      'nginx (80): /etc/nginx/sites-available/dsa110-contimg:3: location / is the location nginx picks for /metrics and passes it to FastAPI (proxy_pass http://localhost:8000, line 3), but is not restricted to localhost; add location /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://127.0.0.1:8000; } (ports snippet nginx-site)',
      // [::]:80 alone is IPv6 only (nginx's ipv6only=on): no IPv4 client reaches the site.
      "nginx (80): /etc/nginx/sites-available/dsa110-contimg:2:3: listen [::]:80 takes IPv6 connections only (ipv6only=on is nginx's default for [::] since 1.3.4), and no listen on port 80 takes IPv4, so IPv4 clients are refused; add listen 80; (ports snippet nginx-site), or write listen [::]:80 ipv6only=off;",
    ]);
  });

  it('nginx: words read as nginx reads them: quotes removed, # a comment only at the start of a word, escapes', async () => {
    const site = (body: string) => snippetTree(registry, undefined, { 'etc/nginx/sites-available/dsa110-contimg': body });
    // With the proxy_pass the snippet has: a site that passes nothing to the upstream is a warning of its own.
    const metrics = 'location /metrics { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:8000; }';
    // Quoted values are the values: a quoted listen elsewhere or proxy_pass to another port is an error, never port 80 or skipped.
    expect(problems(await references(site(`server {\n  listen "8080";\n  location /api/ { proxy_pass 'http://127.0.0.1:9000'; }\n  ${metrics}\n}\n`)))).toEqual(
      [
        "nginx (80): /etc/nginx/sites-available/dsa110-contimg:3:20: proxy_pass http://127.0.0.1:9000, but FastAPI, the site's upstream, uses port 8000, and no other registry service uses port 9000; set its port to 8000 (ports snippet nginx-site prints what passes), or give FastAPI port: 9000 in the registry",
        'nginx (80): /etc/nginx/sites-available/dsa110-contimg:2:3: no listen on port 80, the one the registry gives Nginx (the site listens on 8080), so nginx does not serve it there; add listen 80; (ports snippet nginx-site), or give Nginx port: 8080 in the registry',
      ],
    );
    expect(problems(await references(site(`server { listen "80"; location /api/ { proxy_pass "http://127.0.0.1:8000"; } ${metrics} }\n`)))).toEqual([]);
    // A # inside a word is part of it (nginx): the rest of the line, the /metrics location included, is still read.
    expect(problems(await references(site(`server { listen 80; location /api/ { proxy_pass http://127.0.0.1:8000/#x; } ${metrics} }\n`)))).toEqual([]);
    // A ; inside quotes does not end the statement; ${var} is one word; CRLF lines count as lines.
    expect(
      problems(
        await references(
          site(
            `server {\r\n  listen 80;\r\n  add_header X "a;b}";\r\n  set $p 1;\r\n  location /x { return 200 "\${p}"; }\r\n  listen 8001;\r\n  ${metrics}\r\n}\r\n`,
          ),
        ),
      ),
    ).toEqual([
      'nginx (80): /etc/nginx/sites-available/dsa110-contimg:6:3: listen 8001 (in http {}) takes port 8001, which the registry gives MkDocs: nginx holds it, so MkDocs cannot listen there; move this listen to a port the registry gives no service, or give MkDocs another port in the registry',
    ]);
  });

  it('redis.conf: quoted values are read as Redis splits them; unbalanced quotes on port or bind are an error', async () => {
    const tree = (conf: string) => snippetTree(registry, undefined, { 'etc/redis/redis.conf': conf });
    expect(problems(await references(tree('port "6379"\nbind \'127.0.0.1\' "::1"\n')))).toEqual([]);
    // Not `127.0.0.1 0.0.0.0`, which Redis 7.0 cannot listen with (the wildcard over the address: redis-bind-wildcards.test.ts).
    expect(problems(await references(tree('port "6380"\nbind "127.0.0.1" "::"\n')))).toEqual([
      'redis (6379): /etc/redis/redis.conf:1:7: port 6380, but the registry says Redis uses port 6379; set it to 6379 (ports snippet redis-conf prints what passes), or give Redis port: 6380 in the registry',
      'redis (6379): /etc/redis/redis.conf:2:7: bind 127.0.0.1 :: reaches beyond this host (::), but Redis is localhost-only; bind 127.0.0.1 -::1 (localhost only), or give Redis access: private or public in the registry',
    ]);
    expect(problems(await references(tree('port "6379\nbind 127.0.0.1\n')))).toEqual([
      'redis (6379): /etc/redis/redis.conf:1: port "6379: unbalanced quotes, so Redis refuses to start; fix the quoting',
    ]);
  });

  it('includes are read where they stand: nginx (relative to /etc/nginx, globs in name order) and Redis (the last port or bind wins)', async () => {
    const metrics = 'location /metrics { allow 127.0.0.1; deny all; }';
    const root = snippetTree(registry, undefined, {
      'etc/nginx/sites-available/dsa110-contimg': `server {\n  include snippets/listen.conf;\n  location /api/ { include proxy_params; proxy_pass http://127.0.0.1:8000; }\n  include /etc/nginx/conf.d/*.conf;\n}\n`,
      'etc/nginx/snippets/listen.conf': 'listen 80;\n# listen 8001;\nlisten "8001";\n',
      'etc/nginx/proxy_params': 'proxy_set_header Host $host;\nproxy_pass http://127.0.0.1:9999;\n',
      'etc/nginx/conf.d/b-metrics.conf': `${metrics}\n`,
      'etc/nginx/conf.d/.hidden.conf': 'listen 1;\n',
      'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1\ninclude /etc/redis/conf.d/*.conf\ninclude /etc/redis/none.d/*.conf\n',
      'etc/redis/conf.d/b.conf': 'port 6380\n',
      'etc/redis/conf.d/a.conf': 'port 6381\nbind 0.0.0.0\n',
    });
    expect(problems(await references(root))).toEqual([
      "nginx (80): /etc/nginx/proxy_params:2:1: proxy_pass http://127.0.0.1:9999, but FastAPI, the site's upstream, uses port 8000, and no other registry service uses port 9999; set its port to 8000 (ports snippet nginx-site prints what passes), or give FastAPI port: 9999 in the registry",
      'nginx (80): /etc/nginx/snippets/listen.conf:3:1: listen 8001 (in http {}) takes port 8001, which the registry gives MkDocs: nginx holds it, so MkDocs cannot listen there; move this listen to a port the registry gives no service, or give MkDocs another port in the registry',
      'redis (6379): /etc/redis/conf.d/b.conf:1:6: port 6380, but the registry says Redis uses port 6379; set it to 6379 (ports snippet redis-conf prints what passes), or give Redis port: 6380 in the registry',
      'redis (6379): /etc/redis/conf.d/a.conf:2:6: bind 0.0.0.0 reaches beyond this host (0.0.0.0), but Redis is localhost-only; bind 127.0.0.1 -::1 (localhost only), or give Redis access: private or public in the registry',
    ]);
    // Redis: a port set again after the include counts; nothing is said about the included one.
    const after = snippetTree(registry, undefined, {
      'etc/redis/redis.conf': 'include /etc/redis/x.conf\nport 6379\nbind 127.0.0.1\n',
      'etc/redis/x.conf': 'port 1\n',
    });
    expect(problems(await references(after)).filter((reason) => reason.startsWith('redis'))).toEqual([]);
  });

  it('includes read at most MAX_INCLUDED_TEXT of text for one check: past it an include is unknown, not read into memory', async () => {
    // Five files of 4 MiB less a little (each under the per-file limit), through one glob: 20 MiB, past the 16 MiB read for includes.
    const big = `# ${'x'.repeat(4 * 1024 * 1024 - 16)}\n`;
    const files: Record<string, TreeEntry> = {
      'etc/nginx/sites-available/dsa110-contimg':
        'server { listen 80; include /etc/nginx/big/*.conf; location /api/ { proxy_pass http://127.0.0.1:8000; } location /metrics { deny all; } }\n',
    };
    for (let index = 0; index < 5; index++) files[`etc/nginx/big/${index}.conf`] = big;
    const root = snippetTree(registry, undefined, files);
    const facts = await gather({ registry, root });
    expect(facts.includes?.get('/etc/nginx/big/*.conf')).toEqual({
      problem: `its files and those read before come to more than the ${MAX_INCLUDED_TEXT / 1048576} MiB read for includes`,
    });
    const unknown = (await references(root)).filter((result) => result.severity === 'unknown').map((result) => result.reason);
    expect(unknown).toEqual([
      expect.stringMatching(/include \/etc\/nginx\/big\/\*\.conf: its files and those read before come to more than the 16 MiB read for includes/),
    ]);
  });

  it('an include it cannot read or a relative Redis include is unknown, never a hang (one file not there, or a loop of Redis includes, is an error)', async () => {
    const root = snippetTree(registry, undefined, {
      'etc/nginx/sites-available/dsa110-contimg': 'server { listen 80; include snippets/gone.conf; include fifo.conf; location /metrics { deny all; } }\n',
      'etc/nginx/fifo.conf': { fifo: true },
      'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1\ninclude /etc/redis/loop.conf\ninclude local.conf\n',
      'etc/redis/loop.conf': 'include /etc/redis/redis.conf\n',
    });
    const results = (await references(root)).filter((result) => result.severity !== 'ok');
    expect(results.map((result) => [result.severity, result.reason, result.file])).toEqual([
      [
        'error',
        'nginx (80): /etc/nginx/sites-available/dsa110-contimg:1:21: include snippets/gone.conf: no such file, so nginx refuses a configuration that loads it (nginx -t fails: "open() ... failed (2: No such file or directory)"), and does not start, or reload, with it; create the file, or remove the include',
        '/etc/nginx/sites-available/dsa110-contimg:1:21',
      ],
      [
        'unknown',
        'nginx (80): /etc/nginx/sites-available/dsa110-contimg:1:49: include fifo.conf: it is a FIFO (named pipe), not a regular file; a listen or proxy_pass in it is not checked',
        '/etc/nginx/sites-available/dsa110-contimg:1:49',
      ],
      [
        'error',
        'redis (6379): /etc/redis/loop.conf:1: include /etc/redis/redis.conf: a loop, as it reads /etc/redis/redis.conf again while it is being read (/etc/redis/redis.conf -> /etc/redis/loop.conf -> /etc/redis/redis.conf): Redis follows it without end and crashes at its next start (a segmentation fault, with nothing in its log); remove the include',
        '/etc/redis/loop.conf:1',
      ],
      [
        'unknown',
        "redis (6379): /etc/redis/redis.conf:4: include local.conf: a relative path (read from the program's working directory, which this check does not know); a port or bind in it is not checked",
        '/etc/redis/redis.conf:4',
      ],
    ]);
  });

  it('Redis: a bind or port that may be in an include it could not read is unknown, never "sets no bind" (or port) as an error', async () => {
    const redis = async (files: Record<string, TreeEntry>) =>
      problems(await references(snippetTree(registry, undefined, files))).filter((reason) => reason.startsWith('redis'));
    const fifo = 'it is a FIFO (named pipe), not a regular file; a port or bind in it is not checked';
    expect(await redis({ 'etc/redis/redis.conf': 'port 6379\ninclude /etc/redis/x.conf\n', 'etc/redis/x.conf': { fifo: true } })).toEqual([
      `redis (6379): /etc/redis/redis.conf:2: include /etc/redis/x.conf: ${fifo}`,
      'redis (6379): /etc/redis/redis.conf: sets no bind outside include /etc/redis/x.conf (/etc/redis/redis.conf:2), which could not be read: the bind may be there; if not, Redis listens on every address',
    ]);
    // The last bind wins: one before the include may be replaced by one in it; one after it decides.
    expect(await redis({ 'etc/redis/redis.conf': 'port 6379\nbind 0.0.0.0\ninclude /etc/redis/x.conf\n', 'etc/redis/x.conf': { fifo: true } })).toEqual([
      `redis (6379): /etc/redis/redis.conf:3: include /etc/redis/x.conf: ${fifo}`,
      'redis (6379): /etc/redis/redis.conf:2:6: bind 0.0.0.0 reaches beyond this host (0.0.0.0), but Redis is localhost-only, unless include /etc/redis/x.conf (/etc/redis/redis.conf:3), which could not be read, sets another bind; bind 127.0.0.1 -::1 (localhost only)',
    ]);
    expect(await redis({ 'etc/redis/redis.conf': 'port 6379\ninclude /etc/redis/x.conf\nbind 0.0.0.0\n', 'etc/redis/x.conf': { fifo: true } })).toEqual([
      `redis (6379): /etc/redis/redis.conf:2: include /etc/redis/x.conf: ${fifo}`,
      'redis (6379): /etc/redis/redis.conf:3:6: bind 0.0.0.0 reaches beyond this host (0.0.0.0), but Redis is localhost-only; bind 127.0.0.1 -::1 (localhost only), or give Redis access: private or public in the registry',
    ]);
    const results = (
      await references(
        snippetTree(registry, undefined, { 'etc/redis/redis.conf': 'port 6379\ninclude /etc/redis/x.conf\n', 'etc/redis/x.conf': { fifo: true } }),
      )
    ).filter((result) => result.service === 'redis' && result.severity !== 'ok');
    expect(results.map((result) => result.severity)).toEqual(['unknown', 'unknown']);
  });

  it('Redis: a port that may be in an include it could not read is unknown, for a port moved off Redis’s default', async () => {
    const unit = 'etc/systemd/system/redis-server.service';
    const moved = (conf: string) =>
      snippetTree(registry, undefined, {
        [unit]: '[Service]\nEnvironment=REDIS_PORT=6380\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n',
        'etc/redis/redis.conf': conf,
        'etc/redis/x.conf': { fifo: true },
      });
    const redis = async (conf: string) =>
      problems(await references(moved(conf))).filter((reason) => reason.startsWith('redis') && !reason.includes('include /etc/redis/x.conf: it is'));
    const name = 'Redis (REDIS_PORT=6380 in /etc/systemd/system/redis-server.service:2)';
    expect(await redis('bind 127.0.0.1\ninclude /etc/redis/x.conf\n')).toEqual([
      `redis (6380): /etc/redis/redis.conf: sets no port outside include /etc/redis/x.conf (/etc/redis/redis.conf:2), which could not be read: the port may be there; if not, ${name} listens on Redis's default port 6379, not 6380`,
    ]);
    expect(await redis('port 6379\nbind 127.0.0.1\ninclude /etc/redis/x.conf\n')).toEqual([
      `redis (6380): /etc/redis/redis.conf:1:6: port 6379, but the registry says ${name} uses port 6380, unless include /etc/redis/x.conf (/etc/redis/redis.conf:3), which could not be read, sets another port; set it to 6380 (REDIS_PORT=6380 ports snippet redis-conf prints what passes)`,
    ]);
    // Without the include, the same files are errors.
    expect(await redis('bind 127.0.0.1\n')).toEqual([
      `redis (6380): /etc/redis/redis.conf: sets no port, so ${name} listens on Redis's default port 6379, not 6380; add port 6380`,
    ]);
  });

  it('Redis: includes nested deeper than it reads may hold the bind (Redis reads any depth), so "sets no bind" is unknown; a loop is an error, the rest judged without it', async () => {
    // redis-server 7.0 reads a chain of 12 includes and applies the bind at its end; a loop crashes it (SIGSEGV).
    const chain: Record<string, TreeEntry> = { 'etc/redis/redis.conf': 'port 6379\ninclude /etc/redis/d/1.conf\n', 'etc/redis/d/10.conf': 'bind 127.0.0.1\n' };
    for (let level = 1; level < 10; level++) chain[`etc/redis/d/${level}.conf`] = `include /etc/redis/d/${level + 1}.conf\n`;
    const deep = problems(await references(snippetTree(registry, undefined, chain))).filter((reason) => reason.startsWith('redis'));
    expect(deep).toEqual([
      'redis (6379): /etc/redis/d/8.conf:1: include /etc/redis/d/9.conf: includes nest deeper than 8, so it is not read; a port or bind in it is not checked',
      'redis (6379): /etc/redis/redis.conf: sets no bind outside include /etc/redis/d/9.conf (/etc/redis/d/8.conf:1), which could not be read: the bind may be there; if not, Redis listens on every address',
    ]);
    const loop = problems(
      await references(
        snippetTree(registry, undefined, {
          'etc/redis/redis.conf': 'port 6379\ninclude /etc/redis/loop.conf\n',
          'etc/redis/loop.conf': 'include /etc/redis/redis.conf\n',
        }),
      ),
    ).filter((reason) => reason.startsWith('redis'));
    expect(loop).toEqual([
      'redis (6379): /etc/redis/loop.conf:1: include /etc/redis/redis.conf: a loop, as it reads /etc/redis/redis.conf again while it is being read (/etc/redis/redis.conf -> /etc/redis/loop.conf -> /etc/redis/redis.conf): Redis follows it without end and crashes at its next start (a segmentation fault, with nothing in its log); remove the include',
      'redis (6379): /etc/redis/redis.conf: sets no bind, so Redis listens on every address; add bind 127.0.0.1 -::1 (localhost only)',
    ]);
  });

  it('prometheus.yml: a flow list over several lines and a job written as a flow mapping are read (promtool accepts both)', async () => {
    const yml = (text: string) => snippetTree(registry, undefined, { 'etc/prometheus/prometheus.yml': text });
    const job = (targets: string) => `scrape_configs:\n  - job_name: dsa110-api\n    static_configs:\n      - targets: ${targets}\n`;
    // Placed on the line it is written on, at its column (was: 4, the line the list starts on).
    expect(problems(await references(yml(job("['localhost:8000',\n          'localhost:9000']"))))).toEqual([
      'prometheus (9090): /etc/prometheus/prometheus.yml:5:12: scrape job dsa110-api targets localhost:9000, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes), or give FastAPI port: 9000 in the registry',
    ]);
    expect(problems(await references(yml(job("[\n          'localhost:8000',\n        ]"))))).toEqual([]);
    const flow = (target: string) => `scrape_configs:\n  - {job_name: 'dsa110-api', static_configs: [{targets: ['${target}']}]}\n`;
    expect(problems(await references(yml(flow('localhost:8000'))))).toEqual([]);
    expect(problems(await references(yml(flow('localhost:9000'))))).toEqual([
      'prometheus (9090): /etc/prometheus/prometheus.yml:2:59: scrape job dsa110-api targets localhost:9000, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes), or give FastAPI port: 9000 in the registry',
    ]);
  });

  it('redis.conf: port and bind, the last occurrence winning; Prometheus args and datasource url', async () => {
    const tree = (files: Record<string, string>) => snippetTree(registry, undefined, files);
    expect(problems(await references(tree({ 'etc/redis/redis.conf': 'bind 127.0.0.1\nport 6379\n# bind 0.0.0.0\nbind 0.0.0.0 ::1\nport 6380\n' })))).toEqual([
      'redis (6379): /etc/redis/redis.conf:5:6: port 6380, but the registry says Redis uses port 6379; set it to 6379 (ports snippet redis-conf prints what passes), or give Redis port: 6380 in the registry',
      'redis (6379): /etc/redis/redis.conf:4:6: bind 0.0.0.0 ::1 reaches beyond this host (0.0.0.0), but Redis is localhost-only; bind 127.0.0.1 -::1 (localhost only), or give Redis access: private or public in the registry',
    ]);
    expect(problems(await references(tree({ 'etc/redis/redis.conf': 'port 6379\n' })))).toEqual([
      'redis (6379): /etc/redis/redis.conf: sets no bind, so Redis listens on every address; add bind 127.0.0.1 -::1 (localhost only)',
    ]);
    expect(
      problems(
        await references(
          tree({
            'etc/default/prometheus': 'ARGS="--storage.tsdb.retention.time=15d --web.listen-address=:9091"\n',
            'etc/grafana/provisioning/datasources/dsa110-prometheus.yml': "datasources:\n  - name: x\n    url: 'http://127.0.0.1:9091'\n",
          }),
        ),
      ),
    ).toEqual([
      'grafana (3030): /etc/grafana/provisioning/datasources/dsa110-prometheus.yml:3:11: url http://127.0.0.1:9091, but Prometheus uses port 9090; set its port to 9090 (ports snippet grafana-datasource prints what passes), or give Prometheus port: 9091 in the registry',
      'prometheus (9090): /etc/default/prometheus:1:62: --web.listen-address=:9091, but the registry says Prometheus uses port 9090; write the ARGS line `ports snippet prometheus-args` prints, or give Prometheus port: 9091 in the registry',
      // The same address is held to the registry's access too: an empty host is every address.
      'prometheus (9090): /etc/default/prometheus:1:62: --web.listen-address=:9091 accepts connections on every address, but the registry says Prometheus is access: localhost (loopback only); write the ARGS line `ports snippet prometheus-args` prints, or give Prometheus access: private or public in the registry',
    ]);
    expect(
      problems(
        await references(
          tree({ 'etc/prometheus/prometheus.yml': 'scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: [localhost:9100]\n' }),
        ),
      ),
    ).toEqual([
      'prometheus (9090): /etc/prometheus/prometheus.yml: no scrape job dsa110-api, so Prometheus does not scrape FastAPI on port 8000 (ports snippet prometheus-yml)',
    ]);
  });

  it('a missing file or a FIFO is unknown, never a hang', async () => {
    const root = snippetTree();
    execFileSync('rm', [join(root, 'etc/redis/redis.conf')]);
    execFileSync('mkfifo', [join(root, 'etc/redis/redis.conf')]);
    execFileSync('rm', [join(root, 'etc/default/prometheus')]);
    const results = (await references(root)).filter((result) => result.severity !== 'ok');
    expect(results.map((result) => [result.severity, result.reason])).toEqual([
      ['unknown', `redis (6379): cannot check redis-conf /etc/redis/redis.conf under ${root}: it is a FIFO (named pipe), not a regular file`],
      ['unknown', `prometheus (9090): cannot check prometheus-args /etc/default/prometheus under ${root}: no such file`],
    ]);
  });
});

describe('contentLines', () => {
  it("drops comments from the first # on, blank lines and a CRLF file's \\r, keeping 1-based line numbers", () => {
    expect(contentLines('# intro\r\nport 6379 # ours\r\n\r\n   \r\nbind 127.0.0.1\r\n#bind 0.0.0.0\n')).toEqual([
      { line: 2, text: 'port 6379' },
      { line: 5, text: 'bind 127.0.0.1' },
    ]);
    expect(contentLines('a ; b\nc', ';')).toEqual([
      { line: 1, text: 'a' },
      { line: 2, text: 'c' },
    ]);
  });

  it('answers the same file read twice in a row once, frozen, and any other text or comment afresh', () => {
    const text = 'port 6379\ninclude /etc/redis/more.conf\n';
    const first = contentLines(text);
    expect(contentLines(text)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first[0])).toBe(true);
    expect(contentLines(text, ';')).not.toBe(first);
    expect(contentLines('port 6380\n')).toEqual([{ line: 1, text: 'port 6380' }]);
    expect(contentLines(text)).toEqual(first);
  });
});

describe('redisWords', () => {
  it('splits a line without quotes at runs of space, and one with quotes as Redis does', () => {
    expect(redisWords('bind  127.0.0.1\t-::1')).toEqual(['bind', '127.0.0.1', '-::1']);
    expect(redisWords('port 6379')).toEqual(['port', '6379']);
    expect(redisWords('dir C:\\x')).toEqual(['dir', 'C:\\x']); // a backslash outside quotes is a character
    expect(redisWords('port "6380"')).toEqual(['port', '6380']);
    expect(redisWords("\"port\" '63\\'81'")).toEqual(['port', "63'81"]);
    expect(redisWords('port "6380')).toBeUndefined();
  });
});

describe('mayBeRedisDirective', () => {
  it('tells from the first character whether the first word can be a directive looked for', () => {
    for (const line of ['port 6379', 'PORT 6379', 'bind x', '"port" 1', "'include' /x", 'include /x'])
      expect(mayBeRedisDirective(line, ['port', 'bind', 'include'])).toBe(true);
    for (const line of ['save 900 1', 'xport 1', '', 'maxmemory 1gb']) expect(mayBeRedisDirective(line, ['port', 'bind', 'include'])).toBe(false);
    expect(mayBeRedisDirective('port 1', ['include'])).toBe(false);
  });
});

describe('a Grafana datasource url whose port is none', () => {
  const DATASOURCE = 'etc/grafana/provisioning/datasources/dsa110-prometheus.yml';
  const place = `/${DATASOURCE}`;
  const withUrl = async (line: string) =>
    problems(await references(snippetTree(registry, undefined, { [DATASOURCE]: `datasources:\n  - type: prometheus\n${line}\n` })));
  const fix = 'set its port to 9090 (ports snippet grafana-datasource prints what passes)';

  it('is an error saying the port is no port, escaped, at file:line:col, with the fix; never "not an http(s) URL"', async () => {
    expect(await withUrl('    url: http://localhost:99999')).toEqual([
      `grafana (3030): ${place}:3:10: url http://localhost:99999: "99999" is not a port (1 to 65535), so Grafana's queries to it fail; ${fix}`,
    ]);
    expect(await withUrl('    url: "http://127.0.0.1:9x90/api"')).toEqual([
      `grafana (3030): ${place}:3:11: url http://127.0.0.1:9x90/api: "9x90" is not a port (1 to 65535), so Grafana's queries to it fail; ${fix}`,
    ]);
    expect(await withUrl('    url: HTTP://[::1]:+9090')).toEqual([
      `grafana (3030): ${place}:3:10: url HTTP://[::1]:+9090: "+9090" is not a port (1 to 65535), so Grafana's queries to it fail; ${fix}`,
    ]);
    // An escape character in it is printed escaped, never raw.
    const escaped = await withUrl('    url: http://localhost:9090\x1b[31m');
    expect(escaped).toEqual([
      `grafana (3030): ${place}:3:10: url http://localhost:9090\\e[31m: "9090\\e[31m" is not a port (1 to 65535), so Grafana's queries to it fail; ${fix}`,
    ]);
    // On another host too: its queries fail all the same.
    expect(await withUrl('    url: http://10.1.2.3:9x90')).toEqual([
      `grafana (3030): ${place}:3:10: url http://10.1.2.3:9x90: "9x90" is not a port (1 to 65535), so Grafana's queries to it fail; write the port the server listens on`,
    ]);
  });

  it('what Go reads as a port passes or is held to the registry as before; a $VAR port or a user:password@ part is still unknown', async () => {
    expect(await withUrl('    url: http://localhost:09090')).toEqual([]);
    expect(await withUrl('    url: http://localhost:9091')).toEqual([
      `grafana (3030): ${place}:3:10: url http://localhost:9091, but Prometheus uses port 9090; ${fix}, or give Prometheus port: 9091 in the registry`,
    ]);
    // Nothing after the colon: Go's client dials the scheme's default port.
    expect(await withUrl('    url: http://localhost:/')).toEqual([
      `grafana (3030): ${place}:3:10: url http://localhost:/, but Prometheus uses port 9090; ${fix}`,
    ]);
    for (const url of ['http://localhost:$PROM_PORT', 'http://admin:secret@localhost:9090']) {
      expect(await withUrl(`    url: ${url}`)).toEqual([expect.stringContaining(`url ${url} is not an http(s) URL this check reads`)]);
    }
  });
});

describe('readGrafanaDatasource', () => {
  const expect9090 = { upstream: { name: 'Prometheus', port: 9090 }, snippet: 'ports snippet grafana-datasource' };
  it('holds only Prometheus datasources (or untyped ones) to the upstream port, not Loki or Tempo in the same file', () => {
    const file = [
      'apiVersion: 1',
      'deleteDatasources:',
      '  - name: Old',
      '    orgId: 1',
      'datasources:',
      '  - name: Loki',
      '    type: loki',
      '    url: http://localhost:3100',
      '  - name: Prometheus',
      '    url: http://127.0.0.1:9091 # moved',
      '    type: "prometheus"',
      '    jsonData:',
      '      exemplarTraceIdDestinations:',
      '        - name: traceID',
      '          type: tempo',
      '  -   name: Tempo',
      '      type: tempo',
      '      url: http://localhost:3200',
      '  - name: Untyped',
      '    url: http://localhost:9092',
    ].join('\n');
    expect(readGrafanaDatasource(file, expect9090)).toEqual([
      {
        line: 10,
        column: 10,
        severity: 'error',
        message: 'url http://127.0.0.1:9091, but Prometheus uses port 9090; set its port to 9090 (ports snippet grafana-datasource prints what passes)',
      },
      {
        line: 20,
        column: 10,
        severity: 'error',
        message: 'url http://localhost:9092, but Prometheus uses port 9090; set its port to 9090 (ports snippet grafana-datasource prints what passes)',
      },
    ]);
  });

  it('passes a file whose Prometheus datasource is right, and warns on one with no url at all', () => {
    expect(readGrafanaDatasource('datasources:\n- name: P\n  type: prometheus\n  url: http://localhost:9090\n', expect9090)).toEqual([]);
    expect(readGrafanaDatasource('datasources: []\n', expect9090)).toEqual([
      { line: 0, severity: 'warning', message: 'no datasource url: for Prometheus (ports snippet grafana-datasource)' },
    ]);
  });
});
