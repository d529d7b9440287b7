// The README's promise for a config file that disagrees with the registry: an error at file:line:col with the line
// to write and, when the file may be right, the registry change instead. Real files under a temp root, the bundled
// registry, the real check.
import { join } from 'node:path';
import { loadRegistry, type Service } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { readPrometheusArgs } from '../../../src/checks/references/prometheus.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });

/** The references check's problems for `id` on a root of every snippet, `files` replacing theirs. */
async function problems(id: string, files: Record<string, TreeEntry>): Promise<string[]> {
  const root = tempDir();
  const tree: Record<string, TreeEntry> = {};
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) tree[snippet.path.slice(1)] = snippet.text;
  writeTree(root, { ...tree, ...files });
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service(id as never) as Service)
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root).reason);
}

const SITE = 'etc/nginx/sites-available/dsa110-contimg';
const site = (pass: string) =>
  `server {\n    listen 80;\n    location / {\n        proxy_pass http://127.0.0.1:${pass};\n    }\n    location /metrics {\n        allow 127.0.0.1;\n        deny all;\n        proxy_pass http://127.0.0.1:8000;\n    }\n}\n`;

describe('a port the registry disagrees with offers the registry change too', () => {
  it('every reader (nginx listen and proxy_pass, a scrape target, the datasource url, redis.conf, --web.listen-address at its column), where the registry would take the port', async () => {
    expect(await problems('nginx', { [SITE]: site('8002').replace('listen 80;', 'listen 81;') })).toEqual([
      "nginx (80): /etc/nginx/sites-available/dsa110-contimg:4:9: proxy_pass http://127.0.0.1:8002, but FastAPI, the site's upstream, uses port 8000, and no other registry service uses port 8002; set its port to 8000 (ports snippet nginx-site prints what passes), or give FastAPI port: 8002 in the registry",
      'nginx (80): /etc/nginx/sites-available/dsa110-contimg:2:5: no listen on port 80, the one the registry gives Nginx (the site listens on 81), so nginx does not serve it there; add listen 80; (ports snippet nginx-site), or give Nginx port: 81 in the registry',
    ]);
    expect(await problems('redis', { 'etc/redis/redis.conf': 'port 6380\nbind 127.0.0.1 -::1\n' })).toEqual([
      'redis (6379): /etc/redis/redis.conf:1:6: port 6380, but the registry says Redis uses port 6379; set it to 6379 (ports snippet redis-conf prints what passes), or give Redis port: 6380 in the registry',
    ]);
    expect(
      await problems('prometheus', {
        'etc/prometheus/prometheus.yml': "scrape_configs:\n  - job_name: 'dsa110-api'\n    static_configs:\n      - targets: ['localhost:8002']\n",
        'etc/default/prometheus': 'ARGS="--web.listen-address=127.0.0.1:9091"\n',
      }),
    ).toEqual([
      'prometheus (9090): /etc/prometheus/prometheus.yml:4:20: scrape job dsa110-api targets localhost:8002, but FastAPI uses port 8000; set its port to 8000 (ports snippet prometheus-yml prints what passes), or give FastAPI port: 8002 in the registry',
      'prometheus (9090): /etc/default/prometheus:1:28: --web.listen-address=127.0.0.1:9091, but the registry says Prometheus uses port 9090; write the ARGS line `ports snippet prometheus-args` prints, or give Prometheus port: 9091 in the registry',
    ]);
    expect(
      await problems('grafana', {
        'etc/grafana/provisioning/datasources/dsa110-prometheus.yml': "datasources:\n  - type: prometheus\n    url: 'http://localhost:9091'\n",
      }),
    ).toEqual([
      'grafana (3030): /etc/grafana/provisioning/datasources/dsa110-prometheus.yml:3:11: url http://localhost:9091, but Prometheus uses port 9090; set its port to 9090 (ports snippet grafana-datasource prints what passes), or give Prometheus port: 9091 in the registry',
    ]);
    // Not a port the registry gives another service or keeps in a reserved range, nor to a service its unit moves.
    // 3215 is inside dashboard-fallback (3210-3220); a pass to 8001, MkDocs's, reaches MkDocs (references-passes.test.ts).
    expect(await problems('nginx', { [SITE]: site('3215') })).toEqual([
      "nginx (80): /etc/nginx/sites-available/dsa110-contimg:4:9: proxy_pass http://127.0.0.1:3215, but FastAPI, the site's upstream, uses port 8000, and no other registry service uses port 3215; set its port to 8000 (ports snippet nginx-site prints what passes)",
    ]);
    expect(await problems('redis', { 'etc/redis/redis.conf': 'port 3215\nbind 127.0.0.1 -::1\n' })).toEqual([
      'redis (6379): /etc/redis/redis.conf:1:6: port 3215, but the registry says Redis uses port 6379; set it to 6379 (ports snippet redis-conf prints what passes)',
    ]);
    // The unit sets CONTIMG_API_PORT (to the registry's own port here): whatever the registry says, that decides.
    const pinned = await problems('nginx', {
      [SITE]: site('8002'),
      'etc/systemd/system/dsa110-api.service': '[Service]\nEnvironment=CONTIMG_API_PORT=8000\nExecStart=/usr/bin/true\n',
    });
    expect(pinned).toEqual([
      "nginx (80): /etc/nginx/sites-available/dsa110-contimg:4:9: proxy_pass http://127.0.0.1:8002, but FastAPI, the site's upstream, uses port 8000, and no other registry service uses port 8002; set its port to 8000 (ports snippet nginx-site prints what passes)",
    ]);
    // Nor a port another service's unit moved it to (REDIS_PORT=8002): that port is Redis's now, and the pass reaches Redis.
    const movedOnto = await problems('nginx', {
      [SITE]: site('8002'),
      'etc/systemd/system/redis-server.service.d/port.conf': '[Service]\nEnvironment=REDIS_PORT=8002\n',
    });
    expect(movedOnto).toEqual([
      'nginx (80): /etc/nginx/sites-available/dsa110-contimg:4:9: proxy_pass http://127.0.0.1:8002 reaches Redis (REDIS_PORT=8002 in /etc/systemd/system/redis-server.service.d/port.conf:2), which the registry says speaks neither HTTP nor HTTPS; write proxy_pass http://127.0.0.1:8000; if it is meant for FastAPI (ports snippet nginx-site), or give Redis (REDIS_PORT=8002 in /etc/systemd/system/redis-server.service.d/port.conf:2) protocol: HTTP in the registry',
    ]);
  });
});

describe('where a finding stands', () => {
  it('a redis bind the registry disagrees with is at its first address, with the registry change', async () => {
    expect(await problems('redis', { 'etc/redis/redis.conf': 'port 6379\n  bind  "0.0.0.0" -::1\n' })).toEqual([
      'redis (6379): /etc/redis/redis.conf:2:10: bind 0.0.0.0 -::1 reaches beyond this host (0.0.0.0), but Redis is localhost-only; bind 127.0.0.1 -::1 (localhost only), or give Redis access: private or public in the registry',
    ]);
  });

  it('--web.listen-address at the column of its value, on the first line of ARGS; on a line a `\\` continues it on, the line alone', () => {
    const want = { name: 'Prometheus', port: 9090 };
    expect(readPrometheusArgs('\tARGS="--web.listen-address=\'[::1]:9091\'"\n', want)).toEqual([
      expect.objectContaining({ line: 1, column: 30, severity: 'error' }),
    ]);
    const continued = readPrometheusArgs('ARGS="--log.level=info \\\n  --web.listen-address=:9091"\n', want);
    expect(continued).toEqual([expect.objectContaining({ line: 1, severity: 'error' })]);
    expect(continued[0]!.column).toBeUndefined();
  });
});
