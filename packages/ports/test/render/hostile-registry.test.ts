// A registry written by an attacker or a careless operator: a value the
// schema takes must reach each generated file as meant, and one that no
// generated file can carry as meant is refused at its line and column. Each
// generated file is held by its own project's checker (nginx, promtool).
import { spawn, spawnSync } from 'node:child_process';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadRegistry, parseRegistry, RegistryError, type Registry } from '@dsa110/ports';
import { monitoringFiles, renderNodeTarget, renderSnippets, toYaml } from '@dsa110/ports/render';
import { hasCommand } from '../../../../test-support/commands.js';
import { forgetSpawned, recordSpawned, signal, socketsOn, waitForExit, waitUntil } from '../../../../test-support/guard.js';
import { leasePort } from '../../../../test-support/test-port.js';
import { tempDir } from '../../../../test-support/tree.js';
import { repoRoot, writeRegistry } from '../helpers.js';

const nginx = hasCommand('nginx', ['-v']);
const promtool = hasCommand('promtool', ['--version']);
/** PyYAML, a YAML 1.1 reader (hasCommand counts a failing import as present). */
const pyyaml = spawnSync('python3', ['-c', 'import yaml']).status === 0;
const rootRegistry = readFileSync(join(repoRoot, 'ports.yaml'), 'utf8');

/** The registry's issues for `text`, as `line:col path: message`; none when it loads. */
async function issues(text: string): Promise<string[]> {
  const error = await loadRegistry({ path: writeRegistry(text), env: { DSA110_PORTS_CACHE: 'off' } }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (error === undefined) return [];
  expect(error).toBeInstanceOf(RegistryError);
  return (error as RegistryError).issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`);
}

/** The root registry with the API's metrics path (behind the nginx site) set to `metrics`. */
function withMetrics(metrics: string): string {
  expect(rootRegistry).toContain('    metrics: /metrics\n');
  return rootRegistry.replace('    metrics: /metrics\n', () => `    metrics: "${metrics}"\n`);
}

function metricsLine(text: string): number {
  return text.split('\n').findIndex((line) => line.startsWith('    metrics: ')) + 1;
}

describe('a metrics path nginx would match as another', () => {
  const MESSAGE =
    "must not hold an empty (//), . or .. segment: nginx resolves them in a request before it matches a location, so the nginx-site snippet's localhost-only location for this path would never apply; write the path as the endpoint serves it, e.g. /metrics";

  it.each(['/api//metrics', '//metrics', '/metrics//', '/api/./metrics', '/api/x/../metrics', '/metrics/.', '/metrics/..', '/./', '/..'])(
    'refuses %j at its line, once',
    async (metrics) => {
      const text = withMetrics(metrics);
      expect(await issues(text)).toEqual([`${metricsLine(text)}:14 services.api.metrics: ${MESSAGE}`]);
    },
  );

  it('takes dots and slashes that are no segment of their own, and a path the first rule refuses is told that rule only', async () => {
    for (const metrics of ['/metrics/', '/a..b/.x/metrics.', '/.well-known/metrics', '/...', '/api/metrics..']) {
      expect(await issues(withMetrics(metrics)), metrics).toEqual([]);
    }
    const text = withMetrics('/a b//c');
    expect(await issues(text)).toEqual([
      `${metricsLine(text)}:14 services.api.metrics: must be a URL path starting with /: letters, digits and - . _ ~ ! $ & ' ( ) * + , = : @ / (no query, fragment, %-escape, space, quote, backslash or ; { })`,
    ]);
  });

  /** The status of GET `path` on 127.0.0.1:`port`, sent from `localAddress`; the error's message when there is none. */
  function status(port: number, path: string, localAddress: string): Promise<number | string> {
    return new Promise((resolve) => {
      const get = request({ host: '127.0.0.1', port, path, localAddress }, (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      get.on('error', (error) => resolve(error.message));
      get.end();
    });
  }

  /** Runs the nginx site `ports snippet nginx-site` writes for `registry` (nginx on `front`, the API on `back`); returns the status of GET `path` from 127.0.0.2. */
  async function statusFromAnotherAddress(registry: Registry, front: number, back: number, path: string): Promise<number> {
    const [site] = renderSnippets(registry, 'nginx-site', (service) => (service.id === 'api' ? back : front));
    const dir = tempDir('dsa110-nginx-');
    writeFileSync(join(dir, 'site.conf'), site!.text);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`).join('\n');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off;\nmaster_process off;\npid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n${temp}\n  include ${dir}/site.conf;\n}\n`,
    );
    const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    recordSpawned(child.pid!);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    try {
      expect(await waitUntil(() => socketsOn(front).length > 0 || child.exitCode !== null), stderr).toBe(true);
      // Listening is not yet answering: wait until nginx answers a request from this host.
      for (let tries = 0; (await status(front, '/', '127.0.0.1')) !== 404; tries++) {
        expect(tries < 50 && child.exitCode === null, stderr).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return (await status(front, path, '127.0.0.2')) as number;
    } finally {
      signal(child.pid!, 'SIGTERM');
      if (!(await waitForExit(child.pid!))) signal(child.pid!, 'SIGKILL');
      forgetSpawned(child.pid!);
    }
  }

  it.skipIf(!nginx)(
    `every metrics path the registry takes is localhost only behind the nginx site: real nginx refuses a request for it from 127.0.0.2 ${nginx ? '' : '[skipped: needs nginx]'}`,
    async () => {
      // The API answers every path, as a metrics endpoint that normalizes paths would.
      const api = createServer((_, response) => response.end('dsa110_metric 1\n'));
      await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
      const front = leasePort();
      const checked: string[] = [];
      try {
        for (const metrics of ['/api/metrics', '/api//metrics', '/api/./metrics', '/api/x/../metrics', '/metrics']) {
          // Localhost, so that nginx listens on loopback only (the request still comes from another address).
          const text = withMetrics(metrics).replace('    access: public\n', '    access: localhost\n');
          if ((await issues(text)).length > 0) continue;
          checked.push(metrics);
          expect(await statusFromAnotherAddress(parseRegistry(text), front, (api.address() as AddressInfo).port, metrics), metrics).toBe(403);
        }
      } finally {
        api.close();
      }
      expect(checked).toEqual(['/api/metrics', '/metrics']);
    },
  );
});

describe('Unicode noncharacters', () => {
  const MESSAGE =
    'must not contain a Unicode noncharacter (U+FFFE, U+FFFF, U+FDD0-U+FDEF, ...): no page or terminal shows one, and YAML readers refuse U+FFFE and U+FFFF (Prometheus would not load the alert rules); write the character meant';

  it.each([
    ['U+FFFF in a name', '    name: FastAPI\n', '    name: "Fast\\uffffAPI"\n', 'services.api.name'],
    ['U+FFFE in a purpose', '      - REST API for pipeline data\n', '      - "REST \\ufffe API"\n', 'services.api.purpose[0]'],
    ['U+FDD0 in a config path', '    config: /etc/redis/redis.conf\n', '    config: "/etc/redis/\\ufdd0.conf"\n', 'services.redis.config'],
    ['U+1FFFF in a process name', '    processes: [mkdocs]\n', '    processes: ["mk\\U0001FFFFdocs"]\n', 'services.mkdocs.processes[0]'],
    ['U+10FFFE in a reserved name', '    name: Alternative API port\n', '    name: "Alt \\U0010FFFE"\n', 'reserved.api-alt.name'],
    ['U+FFFF in a details label', '      Docs: Interactive', '      "Do\\uffffcs": Interactive', 'services.api.details["Do\\uffffcs"]'],
  ])('refuses %s at its line', async (_name, from, to, path) => {
    expect(rootRegistry).toContain(from);
    const text = rootRegistry.replace(from, to);
    const line = text.split('\n').findIndex((candidate) => candidate.startsWith(to.replace(/\n$/, ''))) + 1;
    expect((await issues(text)).map((issue) => issue.replace(/:\d+ /, ' '))).toEqual([`${line} ${path}: ${MESSAGE}`]);
  });

  it('takes the characters beside them: U+FFFD, U+FDCF, U+FDF0, U+1FFFD, emoji', async () => {
    expect(await issues(rootRegistry.replace('    name: FastAPI\n', '    name: "A\\ufffd\\ufdcf\\ufdf0\\U0001FFFD\\U0001F600"\n'))).toEqual([]);
  });

  it.skipIf(!promtool)(
    `every name the registry takes reaches alert rules and their tests that promtool loads ${promtool ? '' : '[skipped: needs promtool]'}`,
    async () => {
      const loaded: string[] = [];
      for (const name of ['Fast\\uffffAPI', 'Fast\\ufffeAPI', 'Fast\\U0001F600API', 'Fast\\u00a0API']) {
        const text = rootRegistry.replace('    name: FastAPI\n', `    name: "${name}"\n`);
        if ((await issues(text)).length > 0) continue;
        loaded.push(name);
        const dir = tempDir('dsa110-monitoring-');
        for (const file of monitoringFiles(parseRegistry(text))) {
          mkdirSync(dirname(join(dir, file.path)), { recursive: true });
          writeFileSync(join(dir, file.path), file.contents);
        }
        for (const args of [
          ['check', 'rules', join(dir, 'prometheus/rules/dsa110-ports.rules.yml')],
          ['test', 'rules', join(dir, 'prometheus/tests/dsa110-ports.rules.test.yml')],
        ]) {
          const run = spawnSync('promtool', args, { encoding: 'utf8' });
          expect(run.status, `${name}: promtool ${args.join(' ')}\n${run.stdout}${run.stderr}`).toBe(0);
        }
      }
      expect(loaded).toEqual(['Fast\\U0001F600API', 'Fast\\u00a0API']);
    },
  );
});

describe('a config file that cannot be one', () => {
  // A directory is no config file: port-health-check would read nothing there, and `ports snippet` would name it as the file to write.
  it.each([
    ['/etc/redis/', 'services.redis.config'],
    ['/etc/redis/.', 'services.redis.config'],
    ['/', 'services.redis.config'],
  ])('refuses config: %s (a directory) at its line', async (path, at) => {
    const text = rootRegistry.replace('    config: /etc/redis/redis.conf\n', `    config: "${path}"\n`);
    expect(await issues(text)).toEqual([expect.stringMatching(new RegExp(`^\\d+:\\d+ ${at.replace(/\./g, '\\.')}: must name a file, not a directory`))]);
  });

  it("refuses a configs: path that is a directory, and takes a file's", async () => {
    const text = rootRegistry.replace('      - { kind: redis-conf }\n', '      - { kind: redis-conf, path: /etc/redis/conf.d/ }\n');
    expect(await issues(text)).toEqual([expect.stringMatching(/^\d+:\d+ services\.redis\.configs\[0\]\.path: must name a file, not a directory/)]);
    expect(await issues(rootRegistry.replace('    config: /etc/redis/redis.conf\n', '    config: /etc/redis/.redis.conf\n'))).toEqual([]);
  });

  // nginx -t: 'conflicting server name "" on 0.0.0.0:80, ignored': the second site's server block never serves a request.
  it('refuses a second nginx-site config on one service (the same port), at the second', async () => {
    const text = rootRegistry.replace(
      '      - { kind: nginx-site, upstream: api }\n',
      '      - { kind: nginx-site, upstream: api }\n      - { kind: nginx-site, upstream: grafana, path: /etc/nginx/sites-available/grafana }\n',
    );
    expect(text).not.toBe(rootRegistry);
    expect(await issues(text)).toEqual([expect.stringMatching(/^\d+:\d+ services\.nginx\.configs\[1\]: a second nginx-site config on port 80:/)]);
  });

  // Every config kind is a TCP server's file (nginx, Prometheus, Grafana speak HTTP; Redis its protocol over TCP):
  // the snippet for a UDP service would listen on, or proxy to, the TCP port of that number, another service's perhaps.
  it('refuses an nginx-site or redis-conf config on a UDP service, and one whose upstream is UDP', async () => {
    const redisUdp = rootRegistry.replace(
      '    protocol: TCP\n    transport: tcp\n    access: localhost\n    accessNote: Localhost only (no authentication)\n',
      '    protocol: UDP\n    transport: udp\n    access: localhost\n    accessNote: Localhost only (no authentication)\n',
    );
    expect(redisUdp).not.toBe(rootRegistry);
    expect(await issues(redisUdp)).toEqual([expect.stringMatching(/^\d+:\d+ services\.redis\.configs\[0\]: a redis-conf config is a TCP server's file/)]);
    const nginxUdp = rootRegistry.replace('    port: 80\n    protocol: HTTP\n    transport: tcp\n', '    port: 80\n    protocol: UDP\n    transport: udp\n');
    expect(nginxUdp).not.toBe(rootRegistry);
    expect(await issues(nginxUdp)).toEqual([expect.stringMatching(/^\d+:\d+ services\.nginx\.configs\[0\]: a nginx-site config is a TCP server's file/)]);
    const apiUdp = rootRegistry
      .replace('    port: 8000\n    protocol: HTTP\n    transport: tcp\n', '    port: 8000\n    protocol: UDP\n    transport: udp\n')
      .replace('    metrics: /metrics\n', '')
      .replace('    scrapeInterval: 15s\n', '');
    expect(await issues(apiUdp)).toEqual([
      expect.stringMatching(/^\d+:\d+ services\.nginx\.configs\[0\]\.upstream: service "api" is UDP, but a nginx-site config reaches its upstream over TCP/),
    ]);
  });
});

describe('the YAML writer', () => {
  // What a YAML reader would refuse (DEL, C1, U+FFFE, U+FFFF) or read as a line break (NEL, LS, PS), and the quotes.
  const VALUES = ['a\u007fb', 'a\u0085b', 'a\u009bb', 'a\u2028b', 'a\u2029b', '\ufeffa', 'a\ufffeb', 'a\uffffb', 'a\tb\r\n', 'a"b\\c\'d', 'plain'];

  it('writes every string so that a reader gets it back as it was', () => {
    for (const value of VALUES) expect(parse(toYaml({ value }), { version: '1.1' }), JSON.stringify(value)).toEqual({ value });
  });

  // PyYAML reads YAML 1.1 as go-yaml (Prometheus, promtool) does: NEL, LS and PS are line breaks, folded to a space even in quotes.
  it.skipIf(!pyyaml)(`writes every string so that a YAML 1.1 reader gets it back as it was ${pyyaml ? '' : '[skipped: needs python3-yaml]'}`, () => {
    const read = spawnSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], {
      input: toYaml({ values: VALUES }),
      encoding: 'utf8',
    });
    expect(read.status, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout)).toEqual({ values: VALUES });
  });

  it('keeps a header line a comment, whatever it holds', () => {
    expect(parse(toYaml({ a: 'b' }, ['x\nc: d', 'e\u2028f: g', 'h\u0085i: j']))).toEqual({ a: 'b' });
  });

  it.skipIf(!promtool)(`writes a node target file that promtool loads, whatever its labels hold ${promtool ? '' : '[skipped: needs promtool]'}`, () => {
    for (const value of VALUES) {
      const dir = tempDir('dsa110-targets-');
      mkdirSync(join(dir, 'targets'));
      writeFileSync(join(dir, 'prometheus.yml'), 'scrape_configs:\n  - job_name: node\n    file_sd_configs:\n      - files: [targets/*.yml]\n');
      writeFileSync(join(dir, 'targets/host.yml'), renderNodeTarget('host-a', 9100, { site: value }));
      const run = spawnSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      expect(run.status, `${JSON.stringify(value)}: ${run.stdout}${run.stderr}`).toBe(0);
    }
  });
});
