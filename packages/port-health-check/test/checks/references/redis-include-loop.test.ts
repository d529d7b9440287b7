// An include loop in a redis.conf: Redis 7.0 reads an include each time it meets it, with no guard, so a loop
// recurses until the stack runs out. Checked with Debian's redis-server 7.0.15, run by hand in a temp dir on a
// loopback port above 20000: a file including itself, A -> B -> A, and a glob matching its own file each end
// redis-server within 0.03 s with a segmentation fault (exit 139), nothing in its log, listening on nothing. So the
// loop is an error at the include that closes it, naming the chain; a file included twice, not inside itself, is none.
import { join } from 'node:path';
import { loadRegistry, parseRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/checks/config.js';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const CONF = '/etc/redis/redis.conf';
const HEAD = 'bind 127.0.0.1 -::1\nport 6379\n';

/** The references check's problems for redis (the bundled registry: port 6379, localhost), with severity, in a root holding `files`. */
async function redisProblems(files: Record<string, TreeEntry>): Promise<string[]> {
  const root = writeTree(tempDir(), files);
  const facts = await gather({ registry, root, services: [registry.service('redis')] });
  return checkReferences(facts, registry.service('redis'))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

const loop = (at: string, include: string, again: string, chain: string, glob = '') =>
  `error: redis (6379): ${at}: include ${include}: a loop, as it reads ${again} again while it is being read (${chain}): Redis follows it without end and crashes at its next start (a segmentation fault, with nothing in its log); remove the include${glob}`;

describe('an include loop in a redis.conf', () => {
  it('a file that includes itself: an error at that line (it was unknown); a file included twice, not inside itself, is none', async () => {
    expect(await redisProblems({ 'etc/redis/redis.conf': `${HEAD}include ${CONF}\n` })).toEqual([loop(`${CONF}:3`, CONF, CONF, `${CONF} -> ${CONF}`)]);
    const twice = { 'etc/redis/redis.conf': `${HEAD}include /etc/redis/x.conf\ninclude /etc/redis/x.conf\n`, 'etc/redis/x.conf': '# x\n' };
    expect(await redisProblems(twice)).toEqual([]);
  });

  it('A -> B -> A: at the include that closes it, naming the chain', async () => {
    const files = { 'etc/redis/redis.conf': `${HEAD}include /etc/redis/b.conf\n`, 'etc/redis/b.conf': `# b\ninclude ${CONF}\n` };
    expect(await redisProblems(files)).toEqual([loop('/etc/redis/b.conf:2', CONF, CONF, `${CONF} -> /etc/redis/b.conf -> ${CONF}`)]);
    // Between two included files, the registry's not in it.
    const inner = {
      'etc/redis/redis.conf': `${HEAD}include /etc/redis/a.conf\n`,
      'etc/redis/a.conf': 'include /etc/redis/b.conf\n',
      'etc/redis/b.conf': 'include /etc/redis/a.conf\n',
    };
    expect(await redisProblems(inner)).toEqual([
      loop('/etc/redis/b.conf:1', '/etc/redis/a.conf', '/etc/redis/a.conf', `${CONF} -> /etc/redis/a.conf -> /etc/redis/b.conf -> /etc/redis/a.conf`),
    ]);
  });

  it('through a link, or a path with `..`: the same file by its identity, the same error (it was unknown, "nests deeper than 8")', async () => {
    // Checked with 7.0.15: `include /DIR/link.conf` (a link to the file itself) and `include /DIR/sub/../a.conf` end
    // redis-server with a segmentation fault (exit 139), as a direct loop does.
    const linked = { 'etc/redis/redis.conf': `${HEAD}include /etc/redis/link.conf\n`, 'etc/redis/link.conf': { symlink: 'redis.conf' } };
    expect(await redisProblems(linked)).toEqual([loop(`${CONF}:3`, '/etc/redis/link.conf', CONF, `${CONF} -> /etc/redis/link.conf`)]);
    const dotted = { 'etc/redis/redis.conf': `${HEAD}include /etc/redis/sub/../redis.conf\n`, 'etc/redis/sub/x.conf': '# x\n' };
    expect(await redisProblems(dotted)).toEqual([loop(`${CONF}:3`, '/etc/redis/sub/../redis.conf', CONF, `${CONF} -> /etc/redis/sub/../redis.conf`)]);
    // A -> B -> A, B naming A through a directory link; a link to another file, included twice, is none.
    const inner = {
      'etc/redis/redis.conf': `${HEAD}include /etc/redis/a.conf\n`,
      'etc/redis/a.conf': 'include /etc/redis/b.conf\n',
      'etc/redis/b.conf': 'include /etc/redis.d/a.conf\n',
      'etc/redis.d': { symlink: 'redis' },
    };
    expect(await redisProblems(inner)).toEqual([
      loop('/etc/redis/b.conf:1', '/etc/redis.d/a.conf', '/etc/redis/a.conf', `${CONF} -> /etc/redis/a.conf -> /etc/redis/b.conf -> /etc/redis.d/a.conf`),
    ]);
    const twice = {
      'etc/redis/redis.conf': `${HEAD}include /etc/redis/x.conf\ninclude /etc/redis/y.conf\n`,
      'etc/redis/x.conf': '# x\n',
      'etc/redis/y.conf': { symlink: 'x.conf' },
    };
    expect(await redisProblems(twice)).toEqual([]);
  });

  it('a glob that matches its own file: remove it, or narrow the glob', async () => {
    const files = { 'etc/redis/redis.conf': `${HEAD}include /etc/redis/*.conf\n` };
    expect(await redisProblems(files)).toEqual([
      loop(`${CONF}:3`, '/etc/redis/*.conf', CONF, `${CONF} -> ${CONF}`, `, or narrow its glob so it does not match ${CONF}`),
    ]);
  });

  it('the config check of a redis.conf port key says it too, as Redis does not start on it', async () => {
    const keyed = parseRegistry(
      'version: 1\nservices:\n  - id: redis\n    name: Redis\n    group: production\n    port: 26379\n    protocol: TCP\n    access: localhost\n    configuredBy: { file: redis.conf, key: port }\n    config: /etc/redis/redis.conf\n    robust: false\n    processes: [redis-server]\n',
      { source: 'test-ports.yaml' },
    );
    const root = writeTree(tempDir(), { 'etc/redis/redis.conf': `port 26379\ninclude ${CONF}\n` });
    const results = checkConfig(await gather({ registry: keyed, root }), keyed.service('redis')).map((result) => withoutRoot(result, root));
    expect(results.map((result) => `${result.severity}: ${result.reason}`)).toEqual([
      loop(`${CONF}:2`, CONF, CONF, `${CONF} -> ${CONF}`).replace('redis (6379)', 'redis (26379)'),
    ]);
  });
});
