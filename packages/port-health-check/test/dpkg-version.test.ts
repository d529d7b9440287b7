// dpkg's status file (677 KB on a Debian host) is read only where a version changes a verdict, and at most once a
// run: Redis's version only when a line of its configuration may name a directive a Redis does not know (a
// redis.conf of known names alone, as Debian's, needs none), and one read for Prometheus's and Redis's both.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRegistry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../src/checks/references.js';
import { mayNameUnknownDirective } from '../src/checks/references/redis-directives.js';
import { gather } from '../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from './helpers.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(packageDir, 'bin/port-health-check.js');
const registryPath = join(packageDir, '../../ports.yaml');
const registry = await loadRegistry({ path: registryPath });
const REDIS_UNIT = 'lib/systemd/system/redis-server.service';
const REDIS_CONF = 'etc/redis/redis.conf';
const STATUS = 'var/lib/dpkg/status';
const DEBIAN_REDIS = readFileSync(new URL('checks/references/fixtures/redis-debian/redis-7.0.15.conf', import.meta.url), 'utf8');
const PROMETHEUS_YML = `${renderSnippets(registry, 'prometheus-yml')[0]!.text.trimEnd()}\nscrape_config_files:\n  - /etc/prometheus/jobs/*.yml\n`;
const STATUS_TEXT = [
  'Package: prometheus\nStatus: install ok installed\nVersion: 2.42.0+ds-5+deb12u1\n',
  'Package: redis-server\nStatus: install ok installed\nVersion: 5:7.0.15-1~deb12u10\n',
].join('\n');

/** A root with every snippet, Debian's redis-server unit and dpkg lists, and then `files`. */
function tree(files: Record<string, TreeEntry>): string {
  const snippets: Record<string, TreeEntry> = {};
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) snippets[snippet.path.slice(1)] = snippet.text;
  return writeTree(tempDir(), {
    ...snippets,
    [REDIS_UNIT]: '[Service]\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd --daemonize no\n',
    'var/lib/dpkg/info/redis-server.list': '/.\n/usr\n/usr/bin\n/usr/bin/redis-server\n',
    [STATUS]: STATUS_TEXT,
    ...files,
  });
}

/** gather's facts for redis in `root`, and the references check's problems. */
async function checked(root: string) {
  const redis = registry.service('redis');
  const facts = await gather({ registry, root, services: [redis] });
  const problems = checkReferences(facts, redis)
    .filter((result) => result.severity !== 'ok')
    .map((result) => `${result.severity}: ${withoutRoot(result, root).reason}`);
  return { facts, problems };
}

describe("Redis's version", () => {
  it("is not read for a redis.conf of known names (Debian's), its includes and options: a status file that is a FIFO is never opened", async () => {
    const root = tree({ [REDIS_CONF]: `${DEBIAN_REDIS}include /etc/redis/more.conf\n`, 'etc/redis/more.conf': 'maxmemory 1gb\n', [STATUS]: { fifo: true } });
    const { facts, problems } = await checked(root);
    expect(problems).toEqual([]);
    // Opened, it would have been held unreadable here: `{ unknown: "dpkg's status file ... cannot be read" }`.
    expect(facts.redisVersions?.get('redis-server.service')).toBeUndefined();
  });

  it('is read for a name Redis may not know: in the file, in a file it includes, in an option of the unit', async () => {
    const porte =
      'porte 6379: Redis 7.0 (5:7.0.15-1~deb12u10, from the dpkg package redis-server that installed /usr/bin/redis-server, in /var/lib/dpkg/status) has no directive porte';
    const inFile = await checked(tree({ [REDIS_CONF]: `${DEBIAN_REDIS}porte 6379\n` }));
    expect(inFile.problems).toEqual([expect.stringContaining(porte)]);
    const included = await checked(tree({ [REDIS_CONF]: `${DEBIAN_REDIS}include /etc/redis/more.conf\n`, 'etc/redis/more.conf': 'porte 6379\n' }));
    expect(included.problems).toEqual([expect.stringContaining(`/etc/redis/more.conf:1: ${porte}`)]);
    const unit = '[Service]\nEnvironment=MORE="--porte 6379"\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf $MORE\n';
    const option = await checked(tree({ [REDIS_CONF]: DEBIAN_REDIS, [REDIS_UNIT]: unit }));
    expect(option.problems).toEqual([expect.stringContaining('has no directive porte')]);
  });

  it('is judged needed conservatively: any first word not plainly a name every Redis here reads', () => {
    for (const line of ['port 6379', 'MaxMemory 1gb', 'include /etc/redis/x.conf', 'daemonize', 'bind\t127.0.0.1'])
      expect(mayNameUnknownDirective(line)).toBe(false);
    for (const line of ['porte 6379', '"port" 6379', 'bf.error-rate 0.01', 'port\v6379', '\ufeffport 6379', 'port=6379', ''])
      expect(mayNameUnknownDirective(line)).toBe(true);
  });
});

const strace = spawnSync('strace', ['-V']).status === 0;
describe.skipIf(!strace)(`dpkg's status file, as the check opens it${strace ? '' : ' [skipped: strace is not installed]'}`, () => {
  /** The health check's report (its bin, built) on redis and prometheus in `root`, and how many times it opened the root's dpkg status file. */
  const statusOpens = (root: string): { opens: number; stdout: string } => {
    const trace = join(tempDir(), 'openat.txt');
    const args = [bin, '--registry', registryPath, '--root', root, '--service', 'redis,prometheus', '--no-firewall'];
    const traced = spawnSync('strace', ['-f', '-e', 'trace=openat', '-o', trace, process.execPath, ...args], { encoding: 'utf8' });
    expect([0, 1, 2]).toContain(traced.status);
    const opens = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((line) => line.includes(`"${join(root, STATUS)}"`)).length;
    return { opens, stdout: traced.stdout };
  };

  it("is not opened for Debian's redis.conf; opened once when both Redis and Prometheus need a version", () => {
    expect(statusOpens(tree({ [REDIS_CONF]: DEBIAN_REDIS })).opens).toBe(0);
    const both = tree({
      [REDIS_CONF]: `${DEBIAN_REDIS}porte 6379\n`,
      'etc/prometheus/prometheus.yml': PROMETHEUS_YML,
      'lib/systemd/system/prometheus.service': '[Service]\nExecStart=/usr/bin/prometheus --web.listen-address=127.0.0.1:9090\n',
      'var/lib/dpkg/info/prometheus.list': '/.\n/usr\n/usr/bin\n/usr/bin/prometheus\n',
    });
    const { opens, stdout } = statusOpens(both);
    expect(stdout).toContain('has no directive porte');
    expect(stdout).toContain('scrape_config_files needs Prometheus 2.43 or later, but prometheus.service runs 2.42.0+ds-5+deb12u1');
    expect(opens).toBe(1);
  });
});
