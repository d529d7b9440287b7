// An include of one file (no glob character) that is not there, on real trees under --root. Both programs refuse it
// at start, checked by hand in a temp dir: redis-server 7.0.15 exits ("Fatal error, can't open config file
// '/tmp/.../missing.conf': No such file or directory"); `nginx -t -c FILE -p DIR` (1.22) fails ("open()
// "/tmp/.../missing.conf" failed (2: No such file or directory) in /tmp/.../nginx.conf:6"). A glob that matches
// nothing, even in a directory that is not there, both take: Redis starts and listens, nginx -t passes.
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const SITE = '/etc/nginx/sites-available/dsa110-contimg';
const CONF = '/etc/redis/redis.conf';

/** The references check's problems for `service`, in a root with every snippet and then `files`. */
async function problems(service: 'redis' | 'nginx', files: Record<string, TreeEntry>): Promise<string[]> {
  const snippets: Record<string, TreeEntry> = {};
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) snippets[snippet.path.slice(1)] = snippet.text;
  const root = writeTree(tempDir(), { ...snippets, ...files });
  const facts = await gather({ registry, root, services: [registry.service(service)] });
  return checkReferences(facts, registry.service(service))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

const redisRefuses = (include: string, reason = 'no such file') =>
  `include ${include}: ${reason}, so Redis will refuse to start at its next restart ("Fatal error, can't open config file"); create the file, or remove the include`;
const nginxRefuses = (include: string) =>
  `include ${include}: no such file, so nginx refuses a configuration that loads it (nginx -t fails: "open() ... failed (2: No such file or directory)"), and does not start, or reload, with it; create the file, or remove the include`;

describe('Redis: an include of one file that is not there', () => {
  it('is an error at its line (it was unknown, exit 0), said once however often it is given; the rest is judged as if it were not there; a glob matching nothing is fine, a file that cannot be read unknown', async () => {
    expect(await problems('redis', { 'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1\ninclude /etc/redis/missing.conf\n' })).toEqual([
      `error: redis (6379): ${CONF}:3: ${redisRefuses('/etc/redis/missing.conf')}`,
    ]);
    expect(
      await problems('redis', { 'etc/redis/redis.conf': 'include /etc/redis/missing.conf\nport 6380\nbind 127.0.0.1\ninclude /etc/redis/missing.conf\n' }),
    ).toEqual([
      `error: redis (6379): ${CONF}:1: ${redisRefuses('/etc/redis/missing.conf')} (the same include at ${CONF}:4)`,
      `error: redis (6379): ${CONF}:2:6: port 6380, but the registry says Redis uses port 6379; set it to 6379 (ports snippet redis-conf prints what passes), or give Redis port: 6380 in the registry`,
    ]);
    // A glob that matches nothing (its directory not there either) Redis takes; a file there that cannot be read stays unknown.
    expect(await problems('redis', { 'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1\ninclude /etc/redis/conf.d/*.conf\n' })).toEqual([]);
    expect(
      await problems('redis', { 'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1\ninclude /etc/redis/x.conf\n', 'etc/redis/x.conf': { fifo: true } }),
    ).toEqual([
      `unknown: redis (6379): ${CONF}:3: include /etc/redis/x.conf: it is a FIFO (named pipe), not a regular file; a port or bind in it is not checked`,
    ]);
  });

  it('a path through a file (not a directory) is one too, said so', async () => {
    // The reason names the file as it was read (under the root).
    expect(await problems('redis', { 'etc/redis/redis.conf': 'port 6379\nbind 127.0.0.1\ninclude /etc/redis/redis.conf/x.conf\n' })).toEqual([
      expect.stringMatching(
        /^error: redis \(6379\): \/etc\/redis\/redis\.conf:3: include \/etc\/redis\/redis\.conf\/x\.conf: \S*\/etc\/redis\/redis\.conf is a regular file, not a directory, so Redis will refuse to start at its next restart/,
      ),
    ]);
  });

  it('--include on the command line: the error is at the ExecStart= line', async () => {
    const unit = { 'lib/systemd/system/redis-server.service': `[Service]\nExecStart=/usr/bin/redis-server ${CONF} --include /etc/redis/local.conf\n` };
    expect(await problems('redis', unit)).toEqual([
      `error: redis (6379): /lib/systemd/system/redis-server.service:2: ${redisRefuses('/etc/redis/local.conf')}`,
    ]);
  });
});

describe('nginx: an include of one file that is not there', () => {
  const site = (include: string) => ({ 'etc/nginx/sites-available/dsa110-contimg': `server {\n    listen 80;\n    ${include}\n}\n` });

  it("is an error at its line, in the site or a file it includes, said once; a relative one is under nginx.conf's directory; a glob matching nothing is fine, a file that cannot be read unknown", async () => {
    expect(await problems('nginx', site('include /etc/nginx/missing.conf;'))).toContainEqual(
      `error: nginx (80): ${SITE}:3:5: ${nginxRefuses('/etc/nginx/missing.conf')}`,
    );
    expect(
      await problems('nginx', {
        ...site('include snippets/a.conf;'),
        'etc/nginx/snippets/a.conf': 'include snippets/gone.conf;\ninclude snippets/gone.conf;\n',
      }),
    ).toContainEqual(
      `error: nginx (80): /etc/nginx/snippets/a.conf:1:1: ${nginxRefuses('snippets/gone.conf')} (the same include at /etc/nginx/snippets/a.conf:2)`,
    );
    // A glob that matches nothing nginx takes; a file there that cannot be read stays unknown.
    expect((await problems('nginx', site('include /etc/nginx/conf.d/*.conf;'))).filter((problem) => problem.includes('include'))).toEqual([]);
    expect(await problems('nginx', { ...site('include /etc/nginx/x.conf;'), 'etc/nginx/x.conf': { fifo: true } })).toContainEqual(
      `unknown: nginx (80): ${SITE}:3:5: include /etc/nginx/x.conf: it is a FIFO (named pipe), not a regular file; a listen or proxy_pass in it is not checked`,
    );
  });
});
