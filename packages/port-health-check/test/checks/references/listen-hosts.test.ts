// Listen hosts as each daemon reads them, from the fixtures in fixtures/listen-hosts (each names what the real daemon
// did with it, run on a loopback high port and read with ss -ltnH): glibc's getaddrinfo for nginx, Redis and uvicorn
// (`127.1`, `0x7f.0.0.2`, `0` are addresses), Go's strict parser for Prometheus (host names its own resolver cannot
// find, and it exits; a cgo lookup reads them as glibc does), and an IPv4-mapped address that the IPv6-only sockets
// of nginx, Redis and uvicorn cannot bind.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry, parseRegistry, type Registry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/checks/config.js';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const fixture = (name: string): string => readFileSync(new URL(`fixtures/listen-hosts/${name}`, import.meta.url), 'utf8');

const SITE = 'etc/nginx/sites-available/dsa110-contimg';
const REDIS = 'etc/redis/redis.conf';
const PROMETHEUS_ARGS = 'etc/default/prometheus';
const API_UNIT = 'etc/systemd/system/dsa110-api.service';

/** The references check's problems for service `id`, in a root with every snippet of the registry and then `files`. */
async function problems(id: string, files: Record<string, TreeEntry>): Promise<string[]> {
  const snippets: Record<string, TreeEntry> = {};
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) snippets[snippet.path.slice(1)] = snippet.text;
  const root = writeTree(tempDir(), { ...snippets, ...files });
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service(id))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

/** The config check's results for an api the registry keeps to loopback (access: localhost), its unit `unit`. */
async function localApi(unit: string): Promise<string[]> {
  const text = readFileSync(join(repoRoot, 'ports.yaml'), 'utf8').replace(/(\n {4}port: 8000\n(?: {4}.*\n)*? {4}access:) private/, '$1 localhost');
  const local: Registry = parseRegistry(text);
  const root = writeTree(tempDir(), { [API_UNIT]: unit });
  const facts = await gather({ registry: local, root, services: [local.service('api')] });
  return checkConfig(facts, local.service('api'))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason.replaceAll(root, 'ROOT')}`);
}

describe('Redis reads its bind addresses as getaddrinfo does', () => {
  it('127.1 and 0x7f.0.0.2 are loopback: nothing to say for a localhost-only Redis', async () => {
    expect(await problems('redis', { [REDIS]: fixture('redis-aton.conf') })).toEqual([]);
  });

  it('an IPv4-mapped address is an error at its file:line:col: Redis does not start', async () => {
    expect(await problems('redis', { [REDIS]: fixture('redis-mapped.conf') })).toEqual([
      `error: redis (6379): /${REDIS}:3:6: bind 127.0.0.1 ::ffff:127.0.0.1: ::ffff:127.0.0.1 is an IPv4-mapped IPv6 address, which Linux does not bind Redis's IPv6-only socket to, so Redis does not start ("Could not create server TCP listening socket ...: bind: Invalid argument"); write its IPv4 address (127.0.0.1) instead`,
    ]);
  });

  // The hostile tester: `bind myhost` (myhost 127.0.0.1 in /etc/hosts) was an error here while the access check passed it.
  it('a host name, which Redis looks up when it starts, is unknown, never an error; an address beyond loopback beside it still is', async () => {
    const HOSTS = { 'etc/hosts': '127.0.0.1 localhost myhost\n' };
    expect(await problems('redis', { [REDIS]: 'port 6379\nbind myhost -::1\n', ...HOSTS })).toEqual([
      `unknown: redis (6379): /${REDIS}:2:6: bind myhost -::1 names a host (myhost), which Redis looks up when it starts, so whether it reaches beyond this host cannot be told here; write its address to make it plain (Redis is localhost-only: 127.0.0.1 -::1)`,
    ]);
    expect(await problems('redis', { [REDIS]: 'port 6379\nbind myhost 10.0.0.5\n', ...HOSTS })).toEqual([
      expect.stringMatching(/^error: redis \(6379\): .*:2:6: bind myhost 10\.0\.0\.5 reaches beyond this host \(10\.0\.0\.5\), but Redis is localhost-only; /),
    ]);
  });
});

describe('nginx', () => {
  it('an IPv4-mapped listen is an error saying nginx does not start, not that the site refuses IPv4 clients', async () => {
    expect(await problems('nginx', { [SITE]: fixture('nginx-mapped.site') })).toEqual([
      `error: nginx (80): /${SITE}:3:5: listen [::ffff:127.0.0.1]:80: an IPv4-mapped IPv6 address, which Linux does not bind nginx's IPv6-only socket to, so nginx does not start, nor passes nginx -t ("bind() to [::ffff:127.0.0.1]:80 failed (22: Invalid argument)"); write listen 127.0.0.1:80; instead`,
    ]);
  });

  it('a quote right after a closing quote is what nginx -t says of it, at its line and column', async () => {
    expect(await problems('nginx', { [SITE]: fixture('nginx-quote.site') })).toEqual([
      `error: nginx (80): /${SITE}:3:26: nginx refuses this file at an unexpected " after a closing quote (nginx -t: unexpected """ in /${SITE}:3), so it does not start, or reload, with this configuration; put a space, ; or { after the quoted word, or remove the extra quote`,
    ]);
  });
});

describe('Prometheus reads its listen host as Go does, or as glibc does with a cgo lookup', () => {
  const warning = (host: string, dotted: string, fix = `write the address in full (${dotted})`) =>
    `warning: prometheus (9090): /${PROMETHEUS_ARGS}:2:28: --web.listen-address=${host}:9090: Prometheus may refuse "${host}": Go's own resolver reads no address in it (an IPv4 address only in dotted decimal) and looks it up as a host name, which fails ("lookup ${host}: no such host"), so Prometheus exits at start, while a cgo lookup (GODEBUG=netdns=cgo, or Go's own choice on some hosts, e.g. an /etc/nsswitch.conf with mdns4_minimal or resolve) reads it as glibc does, as ${dotted}; ${fix}`;

  it("127.1: a warning (exits with Go's resolver, listens on 127.0.0.1 with cgo), no error for a localhost service", async () => {
    expect(await problems('prometheus', { [PROMETHEUS_ARGS]: fixture('prometheus-127-1.args') })).toEqual([warning('127.1', '127.0.0.1')]);
  });

  it("0: the warning, and every address (glibc's reading) is an error for a localhost service", async () => {
    expect(await problems('prometheus', { [PROMETHEUS_ARGS]: fixture('prometheus-zero.args') })).toEqual([
      warning('0', '0.0.0.0', 'write the ARGS line `ports snippet prometheus-args` prints'),
      `error: prometheus (9090): /${PROMETHEUS_ARGS}:2:28: --web.listen-address=0:9090 accepts connections on every address, but the registry says Prometheus is access: localhost (loopback only); write the ARGS line \`ports snippet prometheus-args\` prints, or give Prometheus access: private or public in the registry`,
    ]);
  });
});

describe('uvicorn reads --host as getaddrinfo does', () => {
  it('--host 0 is every address: an error for a localhost service, as --host 0.0.0.0 is', async () => {
    const zero = await localApi(fixture('uvicorn-zero.service'));
    const dotted = await localApi(fixture('uvicorn-zero.service').replace('--host 0 ', '--host 0.0.0.0 '));
    expect(zero).toEqual(dotted.map((line) => line.replace('--host 0.0.0.0', '--host 0')));
    expect(zero).toEqual([expect.stringMatching(/^error: .*--host 0 .*accepts connections on every address/)]);
  });

  it('--host ::ffff:127.0.0.1 is an error: uvicorn cannot bind it and exits at start', async () => {
    expect(await localApi(fixture('uvicorn-mapped.service'))).toEqual([
      expect.stringMatching(
        /^error: .*:3: --host ::ffff:127\.0\.0\.1 in its ExecStart=: an IPv4-mapped IPv6 address, .* so it exits at start .*--host 127\.0\.0\.1/,
      ),
    ]);
  });
});
