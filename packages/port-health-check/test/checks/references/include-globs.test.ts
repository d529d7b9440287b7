// Include globs read as nginx 1.22 and Redis 7.0 read them (glob(3) in the C locale), on real trees under --root.
// Each case was run by hand with the real daemons in a network namespace: `include .../[z-a]*.conf` both take (nginx -t
// passes, redis-server listens), matching nothing; `[[:alpha:]]*`, `[]d]*` and `??` (for a 2-byte `é`) load the file;
// `?` does not; a file `x\xff.conf` that `*.conf` matches is read (redis-server listens on its port); `.*` matches `.`
// and `..`, on which nginx -t fails (`pread() ".../conf.d/." failed (21: Is a directory)`).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeText, loadRegistry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const SITE = '/etc/nginx/sites-available/dsa110-contimg';
const NOT_LOADED = `${SITE}: nginx does not load this file`;

/** The references check's findings for `service` (not ok), in a root with every snippet, then `files`, then files named by bytes. */
async function problems(service: 'redis' | 'nginx', files: Record<string, TreeEntry>, byBytes: [Buffer, string][] = []): Promise<string[]> {
  const snippets: Record<string, TreeEntry> = {};
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) snippets[snippet.path.slice(1)] = snippet.text;
  const root = writeTree(tempDir(), { ...snippets, ...files });
  for (const [path, text] of byBytes) writeFileSync(Buffer.concat([Buffer.from(root), path]), text);
  const facts = await gather({ registry, root, services: [registry.service(service)] });
  return checkReferences(facts, registry.service(service))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason.replaceAll(root, 'ROOT')}`);
}

const nginxConf = (include: string) => `events {}\nhttp {\n  include ${include};\n}\n`;
const redisConf = (include: string) => `port 6379\nbind 127.0.0.1\ninclude ${include}\n`;
const PORT_6380 = 'port 6380, but the registry says Redis uses port 6379';

describe('include globs, as glob(3) matches them', () => {
  it('a descending range ([z-a]) is no crash: it matches nothing, as both daemons take it', async () => {
    expect(await problems('redis', { 'etc/redis/redis.conf': redisConf('/etc/redis/conf.d/[z-a]*.conf'), 'etc/redis/conf.d/m.conf': 'port 6380\n' })).toEqual(
      [],
    );
    expect(
      await problems('nginx', {
        'etc/nginx/nginx.conf': 'events {}\nhttp {\n  include /etc/nginx/conf.d/[z-a]*.conf;\n  include /etc/nginx/sites-enabled/*;\n}\n',
        'etc/nginx/sites-enabled/dsa110-contimg': { symlink: SITE },
        'etc/nginx/conf.d/m.conf': 'server { listen 8081; }\n',
      }),
    ).toEqual([]);
  });

  it('POSIX classes, ] first in a set, negation and one byte for ?: the file Redis reads is read', async () => {
    for (const include of ['[[:alpha:]]*.conf', '[]a]*.conf', '[!x]*.conf', '[^x]*.conf', '[a]\\.conf'])
      expect(await problems('redis', { 'etc/redis/redis.conf': redisConf(`/etc/redis/conf.d/${include}`), 'etc/redis/conf.d/a.conf': 'port 6380\n' })).toEqual([
        expect.stringContaining(`/etc/redis/conf.d/a.conf:1:6: ${PORT_6380}`),
      ]);
    // é is two bytes: `?` is one, so `?.conf` matches no such name and `??.conf` does.
    const accented = { 'etc/redis/conf.d/é.conf': 'port 6380\n' };
    expect(await problems('redis', { 'etc/redis/redis.conf': redisConf('/etc/redis/conf.d/?.conf'), ...accented })).toEqual([]);
    expect(await problems('redis', { 'etc/redis/redis.conf': redisConf('/etc/redis/conf.d/??.conf'), ...accented })).toEqual([
      expect.stringContaining(`/etc/redis/conf.d/é.conf:1:6: ${PORT_6380}`),
    ]);
  });

  it('whether nginx loads the site follows the same matching', async () => {
    const tree = (include: string) => ({
      'etc/nginx/nginx.conf': nginxConf(`/etc/nginx/sites-enabled/${include}`),
      'etc/nginx/sites-enabled/dsa110-contimg': { symlink: SITE },
    });
    for (const include of ['[[:alpha:]]*', '[]d]*', '[!.]*', '*'])
      expect((await problems('nginx', tree(include))).filter((found) => found.includes(NOT_LOADED))).toEqual([]);
    for (const include of ['[[:digit:]]*', '[!d]*', '?']) expect(await problems('nginx', tree(include))).toEqual([expect.stringContaining(NOT_LOADED)]);
  });

  it('.* matches . and .., as glob(3) does: nginx fails on the directory, Redis reads it as empty', async () => {
    expect(
      await problems('nginx', {
        'etc/nginx/nginx.conf': 'events {}\nhttp {\n  include /etc/nginx/conf.d/.*;\n  include /etc/nginx/sites-enabled/*;\n}\n',
        'etc/nginx/sites-enabled/dsa110-contimg': { symlink: SITE },
        'etc/nginx/conf.d/.hidden': '# nothing\n',
      }),
    ).toEqual([expect.stringContaining('include /etc/nginx/conf.d/.*: /etc/nginx/conf.d/.: a directory, not a file')]);
    expect(await problems('redis', { 'etc/redis/redis.conf': redisConf('/etc/redis/conf.d/.*'), 'etc/redis/conf.d/.x.conf': 'port 6380\n' })).toEqual([
      expect.stringContaining(`/etc/redis/conf.d/.x.conf:1:6: ${PORT_6380}`),
    ]);
  });

  it('a name a glob matches that is not UTF-8 is read by its bytes, and shown with \\xff', async () => {
    const bad: [Buffer, string][] = [[Buffer.from([...Buffer.from('/etc/redis/conf.d/x'), 0xff, ...Buffer.from('.conf')]), 'port 6380\n']];
    const redis = await problems('redis', { 'etc/redis/redis.conf': redisConf('/etc/redis/conf.d/*.conf'), 'etc/redis/conf.d/a.conf': '# none\n' }, bad);
    // The byte kept (U+DC80+byte), which the reports print as \xff (the name read as U+FFFD was no file: unknown).
    expect(redis).toEqual([
      `error: redis (6379): /etc/redis/conf.d/x\udcff.conf:1:6: ${PORT_6380}; set it to 6379 (ports snippet redis-conf prints what passes), or give Redis port: 6380 in the registry`,
    ]);
    expect(escapeText(redis[0]!, 1000)).toContain('/etc/redis/conf.d/x\\xff.conf:1:6: port 6380');
    // nginx: the site is loaded through that file (it was unknown: "x\uFFFD.conf: no such file").
    const nginxBad: [Buffer, string][] = [[Buffer.from([...Buffer.from('/etc/nginx/conf.d/x'), 0xff, ...Buffer.from('.conf')]), `include ${SITE};\n`]];
    expect(await problems('nginx', { 'etc/nginx/nginx.conf': nginxConf('/etc/nginx/conf.d/*.conf'), 'etc/nginx/conf.d/a.conf': '# none\n' }, nginxBad)).toEqual(
      [],
    );
  });
});
