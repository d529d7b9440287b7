// nginx's passes and Grafana's datasource url, held to the sockets listening on
// the upstream's port here, as prometheus.test.ts holds a scrape target: a
// connection to this host that no listener takes (127.0.0.2 beside a socket on
// 127.0.0.1 only) is refused. Real sockets on loopback on leased ports, real
// files in temp trees read by gather(), a registry written for those ports.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry, type Registry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { leasePort } from '../../../../../test-support/test-port.js';
import { closeServer, listeningOn, tempDir, withoutRoot, writeTree } from '../../helpers.js';

const SITE = 'etc/nginx/sites-enabled/dsa110';
const DATASOURCE = 'etc/grafana/provisioning/datasources/dsa110-prometheus.yml';

/**
 * A registry of an API on `port` behind an nginx site on `port + 1`, and a Prometheus on `port + 2` that a
 * Grafana on `port + 3` queries.
 */
async function registryAt(port: number): Promise<Registry> {
  const service = (id: string, name: string, at: number, more: string) =>
    `  - id: ${id}\n    name: ${name}\n    group: monitoring\n    port: ${at}\n    protocol: HTTP\n    access: localhost\n    configuredBy: hardcoded\n    robust: false\n    processes: [${id}]\n${more}`;
  const path = join(tempDir(), 'ports.yaml');
  writeFileSync(
    path,
    `version: 1\nservices:\n${[
      service('api', 'API', port, '    metrics: /metrics\n'),
      service('nginx', 'Nginx', port + 1, `    config: /${SITE}\n    configs:\n      - { kind: nginx-site, upstream: api }\n`),
      service('prometheus', 'Prometheus', port + 2, '    config: /etc/prometheus/prometheus.yml\n    configs:\n      - { kind: prometheus-yml }\n'),
      service('grafana', 'Grafana', port + 3, `    config: /${DATASOURCE}\n    configs:\n      - { kind: grafana-datasource, upstream: prometheus }\n`),
    ].join('')}`,
  );
  return loadRegistry({ path });
}

/** The references problems of `id`'s files, `severity: reason` without the temp root. */
async function problems(registry: Registry, id: string, files: Record<string, string>): Promise<string[]> {
  const root = writeTree(tempDir(), files);
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service(id))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

describe('an nginx pass on this host, held to the sockets listening on the upstream’s port', () => {
  /** A site that passes /api/ by `pass`, an upstream block `before` it, its metrics location restricted and passed to `metrics`. */
  const site = (port: number, pass: string, before = '', metrics = '127.0.0.1') =>
    `${before}server {\n    listen 127.0.0.1:${port + 1};\n    location /api/ {\n        ${pass};\n    }\n    location /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://${metrics}:${port}; }\n}\n`;

  it('127.0.0.2 (proxy_pass, grpc_pass, an upstream server) is refused beside a socket on 127.0.0.1 only; what it takes passes', async () => {
    const port = leasePort({ ranges: [[20000, 29996]], count: 4 });
    const registry = await registryAt(port);
    const check = (pass: string, before = '') => problems(registry, 'nginx', { [SITE]: site(port, pass, before) });
    const why = (host: string) =>
      `but port ${port} here is listened on at 127.0.0.1:${port} only, and a connection to ${host} reaches only a socket bound to that address or to every address, so nginx's connection to API is refused and it answers 502`;
    // Nothing listens: the pass is held to the registry's port alone (the listening check says nothing listens).
    expect(await check(`proxy_pass http://127.0.0.2:${port}`)).toEqual([]);
    const server = await listeningOn(port, '127.0.0.1');
    try {
      for (const host of ['127.0.0.1', 'localhost', '0.0.0.0', '127.1', '[::ffff:127.0.0.1]'])
        expect(await check(`proxy_pass http://${host}:${port}`), host).toEqual([]);
      expect(await check(`proxy_pass http://127.0.0.2:${port}/v1/`)).toEqual([
        `error: nginx (${port + 1}): /${SITE}:4:9: proxy_pass http://127.0.0.2:${port}/v1/, ${why('127.0.0.2')}; write proxy_pass http://127.0.0.1:${port}/v1/; (ports snippet nginx-site)`,
      ]);
      expect(await check(`grpc_pass [::1]:${port}`)).toEqual([
        `error: nginx (${port + 1}): /${SITE}:4:9: grpc_pass [::1]:${port}, ${why('[::1]')}; write grpc_pass 127.0.0.1:${port}; (ports snippet nginx-site)`,
      ]);
      expect(await check('proxy_pass http://api', `upstream api {\n    server 127.0.0.2:${port};\n    server [::1]:${port} weight=2;\n}\n`)).toEqual([
        `error: nginx (${port + 1}): /${SITE}:2:5: server 127.0.0.2:${port} in upstream api (proxy_pass http://api at line 8), ${why('127.0.0.2')}; write server 127.0.0.1:${port}; (ports snippet nginx-site)`,
        `error: nginx (${port + 1}): /${SITE}:3:5: server [::1]:${port} in upstream api (proxy_pass http://api at line 8), ${why('[::1]')}; write server 127.0.0.1:${port}; (ports snippet nginx-site)`,
      ]);
    } finally {
      await closeServer(server);
    }
  });

  it('an upstream server refused beside another of its block that reaches a listener is a warning: nginx fails over (a backup would not help); a down one is never used', async () => {
    const port = leasePort({ ranges: [[20000, 29996]], count: 4 });
    const registry = await registryAt(port);
    const check = (servers: string) => problems(registry, 'nginx', { [SITE]: site(port, 'proxy_pass http://be', `upstream be {\n${servers}}\n`) });
    const refused = `in upstream be (proxy_pass http://be at line 8), but port ${port} here is listened on at 127.0.0.1:${port} only, and a connection to 127.0.0.2 reaches only a socket bound to that address or to every address`;
    const fix = `write server 127.0.0.1:${port}; (ports snippet nginx-site)`;
    const server = await listeningOn(port, '127.0.0.1');
    try {
      // nginx tries a backup only when the primaries fail: refused then, it would not help.
      expect(await check(`    server 127.0.0.1:${port};\n    server 127.0.0.2:${port} backup;\n`)).toEqual([
        `warning: nginx (${port + 1}): /${SITE}:3:5: server 127.0.0.2:${port} ${refused}, so nginx's connection to API through it is refused, and this backup, used only when the other servers fail, would not help when it is needed; ${fix}`,
      ]);
      // A refused primary: nginx marks it failed and passes requests to the others (a backup that reaches a listener too).
      for (const other of [`    server 127.0.0.1:${port};\n`, `    server localhost:${port} backup;\n`])
        expect(await check(`    server 127.0.0.2:${port} max_fails=1;\n${other}`), other).toEqual([
          `warning: nginx (${port + 1}): /${SITE}:2:5: server 127.0.0.2:${port} ${refused}, so nginx's connection to API through it is refused: nginx marks it failed and passes requests to the other servers of the upstream; ${fix}`,
        ]);
      // The only other server that reaches a listener is down: nothing takes the request, nginx answers 502.
      expect(await check(`    server 127.0.0.1:${port} down;\n    server 127.0.0.2:${port};\n`)).toEqual([
        `error: nginx (${port + 1}): /${SITE}:3:5: server 127.0.0.2:${port} ${refused}, so nginx's connection to API is refused and it answers 502; ${fix}`,
      ]);
      // A down server is never sent a request: nothing is said of it, refused or on another port.
      expect(await check(`    server 127.0.0.1:${port};\n    server 127.0.0.2:${port} down;\n    server 127.0.0.1:${port + 9} down;\n`)).toEqual([]);
    } finally {
      await closeServer(server);
    }
  });

  it('an upstream server on another service’s port is held to that service’s listeners, as a pass straight to its port is', async () => {
    const port = leasePort({ ranges: [[20000, 29996]], count: 4 });
    const grafana = port + 3;
    const registry = await registryAt(port);
    const check = (pass: string, servers: string) =>
      problems(registry, 'nginx', {
        [SITE]: site(port, pass, `upstream graf {\n${servers}}\n`).replace('}\n}\n', `}\n    location /grafana/ { proxy_pass http://graf; }\n}\n`),
      });
    const why = `but port ${grafana} here is listened on at 127.0.0.1:${grafana} only, and a connection to 127.0.0.2 reaches only a socket bound to that address or to every address`;
    const within = (line = 10) => `in upstream graf (proxy_pass http://graf at line ${line})`;
    const server = await listeningOn(grafana, '127.0.0.1');
    try {
      expect(await check(`proxy_pass http://127.0.0.1:${port}`, `    server 127.0.0.2:${grafana};\n`)).toEqual([
        `error: nginx (${port + 1}): /${SITE}:2:5: server 127.0.0.2:${grafana} ${within()}, ${why}, so nginx's connection to Grafana is refused and it answers 502; write server 127.0.0.1:${grafana};`,
      ]);
      // Another server of the block reaches Grafana: nginx fails over to it.
      expect(await check(`proxy_pass http://127.0.0.1:${port}`, `    server 127.0.0.2:${grafana};\n    server localhost:${grafana};\n`)).toEqual([
        `warning: nginx (${port + 1}): /${SITE}:2:5: server 127.0.0.2:${grafana} ${within(11)}, ${why}, so nginx's connection to Grafana through it is refused: nginx marks it failed and passes requests to the other servers of the upstream; write server 127.0.0.1:${grafana};`,
      ]);
      // Down, a UNIX socket, another host: never judged against Grafana's listeners.
      expect(
        await check(
          `proxy_pass http://127.0.0.1:${port}`,
          `    server 127.0.0.2:${grafana} down;\n    server unix:/run/grafana.sock;\n    server 10.1.2.3:${grafana};\n`,
        ),
      ).toEqual([]);
      // A pass straight to it says the same.
      expect(await check(`proxy_pass http://127.0.0.2:${grafana}`, `    server 127.0.0.1:${grafana};\n`)).toEqual([
        expect.stringContaining(`proxy_pass http://127.0.0.2:${grafana}, ${why}, so nginx's connection to Grafana is refused and it answers 502`),
      ]);
    } finally {
      await closeServer(server);
    }
  });

  it('a socket on every address takes 127.0.0.2, as one bound to it IPv4-mapped does; the other family’s loopback is refused', async () => {
    const port = leasePort({ ranges: [[20000, 29996]], count: 4 });
    const registry = await registryAt(port);
    const check = (pass: string, metrics?: string) => problems(registry, 'nginx', { [SITE]: site(port, pass, '', metrics) });
    const wildcard = await listeningOn(port, '0.0.0.0');
    try {
      expect(await check(`proxy_pass http://127.0.0.2:${port}`)).toEqual([]);
      expect(await check(`proxy_pass http://[::1]:${port}`)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^error: nginx \\(${port + 1}\\): /${SITE}:4:9: proxy_pass http://\\[::1\\]:${port}, but port ${port} here is listened on at 0\\.0\\.0\\.0:${port} only, .*; write proxy_pass http://localhost:${port};`,
          ),
        ),
      ]);
    } finally {
      await closeServer(wildcard);
    }
    const mapped = await listeningOn(port, '::ffff:127.0.0.2');
    try {
      expect(await check(`proxy_pass http://127.0.0.2:${port}`, '127.0.0.2')).toEqual([]);
      expect(await check(`proxy_pass http://[::ffff:127.0.0.2]:${port}`, '127.0.0.2')).toEqual([]);
      expect(await check(`proxy_pass http://127.0.0.1:${port}`, '127.0.0.2')).toEqual([
        expect.stringMatching(new RegExp(`listened on at 127\\.0\\.0\\.2:${port} only, .*; write proxy_pass http://127\\.0\\.0\\.2:${port};`)),
      ]);
    } finally {
      await closeServer(mapped);
    }
  });
});

describe('the Grafana datasource url on this host, held to the sockets listening on Prometheus’s port', () => {
  const datasource = (url: string) => `apiVersion: 1\ndatasources:\n  - name: Prometheus\n    type: prometheus\n    url: ${url}\n`;

  it('127.0.0.2 is refused beside a socket on 127.0.0.1 only; localhost and 127.0.0.1 pass; nothing listening, nothing said', async () => {
    const port = leasePort({ ranges: [[20000, 29996]], count: 4 });
    const registry = await registryAt(port);
    const prometheus = port + 2;
    const check = (url: string) => problems(registry, 'grafana', { [DATASOURCE]: datasource(url) });
    expect(await check(`http://127.0.0.2:${prometheus}`)).toEqual([]);
    const server = await listeningOn(prometheus, '127.0.0.1');
    try {
      for (const host of ['127.0.0.1', 'localhost', '[::ffff:127.0.0.1]']) expect(await check(`http://${host}:${prometheus}/`), host).toEqual([]);
      expect(await check(`http://127.0.0.2:${prometheus}/prom`)).toEqual([
        `error: grafana (${port + 3}): /${DATASOURCE}:5:10: url http://127.0.0.2:${prometheus}/prom, but port ${prometheus} here is listened on at 127.0.0.1:${prometheus} only, and a connection to 127.0.0.2 reaches only a socket bound to that address or to every address, so Grafana's connection to Prometheus is refused and its queries fail; write url: http://127.0.0.1:${prometheus}/prom (ports snippet grafana-datasource)`,
      ]);
    } finally {
      await closeServer(server);
    }
  });
});
