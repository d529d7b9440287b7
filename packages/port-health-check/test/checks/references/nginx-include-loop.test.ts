// An include loop in what nginx loads from its main configuration: nginx
// 1.22.1, run by hand (`nginx -t -c FILE -p DIR` in a temp dir), follows it
// until it crashes (exit 139, a segmentation fault), or refuses the main file
// included inside http {} ("events" directive is not allowed here): it does
// not start either way, so the loop is an error at the include that closes it.
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { renderSnippets } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const SITE = '/etc/nginx/sites-available/dsa110-contimg';
const ENABLED = '/etc/nginx/sites-enabled/dsa110-contimg';
const site = renderSnippets(registry, 'nginx-site')[0]!;
const NGINX_CONF = 'events {}\nhttp {\n  include /etc/nginx/conf.d/*.conf;\n  include /etc/nginx/sites-enabled/*;\n}\n';

/** The references check's problems for nginx, with its severity, in a root with the site enabled and `files`. */
async function nginxResults(files: Record<string, TreeEntry>): Promise<string[]> {
  const root = writeTree(tempDir(), { [SITE.slice(1)]: site.text, [ENABLED.slice(1)]: { symlink: '../sites-available/dsa110-contimg' }, ...files });
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service('nginx'))
    .map((result) => withoutRoot(result, root))
    .filter((result) => result.severity !== 'ok')
    .map((result) => `${result.severity}: ${result.reason.replaceAll(root, 'ROOT')}`);
}

const loop = (at: string, again: string, chain: string) =>
  `error: nginx (80): ${at}: nginx cannot start: this include reads ${again} again while it is being read (${chain}), a loop nginx follows until it crashes (nginx -t ends with a segmentation fault) or until a directive it reads again is not allowed there; remove the include, or narrow its glob so it does not match ${again}, then test it there with chroot ROOT nginx -t; nginx reads it when the system under ROOT boots`;

describe('an include loop in what nginx loads', () => {
  it('a file of conf.d that includes conf.d/*.conf (itself); a file included twice is none', async () => {
    const files = { 'etc/nginx/nginx.conf': NGINX_CONF, 'etc/nginx/conf.d/a.conf': 'include /etc/nginx/conf.d/*.conf;\n' };
    expect(await nginxResults(files)).toEqual([
      loop('/etc/nginx/conf.d/a.conf:1', '/etc/nginx/conf.d/a.conf', '/etc/nginx/conf.d/a.conf -> /etc/nginx/conf.d/a.conf'),
    ]);
    // A file included twice, not inside itself, is no loop (nginx -t passes it).
    const twice = {
      'etc/nginx/nginx.conf': NGINX_CONF,
      'etc/nginx/conf.d/a.conf': 'include /etc/nginx/x.inc;\ninclude /etc/nginx/x.inc;\n',
      'etc/nginx/x.inc': '# x\n',
    };
    expect(await nginxResults(twice)).toEqual([]);
  });

  it('two files that include each other, and nginx.conf that includes itself', async () => {
    const two = {
      'etc/nginx/nginx.conf': NGINX_CONF,
      'etc/nginx/conf.d/a.conf': '# a\ninclude /etc/nginx/b.inc;\n',
      'etc/nginx/b.inc': 'include /etc/nginx/conf.d/a.conf;\n',
    };
    expect(await nginxResults(two)).toEqual([
      loop('/etc/nginx/b.inc:1', '/etc/nginx/conf.d/a.conf', '/etc/nginx/conf.d/a.conf -> /etc/nginx/b.inc -> /etc/nginx/conf.d/a.conf'),
    ]);
    const self = { 'etc/nginx/nginx.conf': NGINX_CONF.replace('http {', 'http {\n  include /etc/nginx/nginx.conf;') };
    expect(await nginxResults(self)).toEqual([loop('/etc/nginx/nginx.conf:3', '/etc/nginx/nginx.conf', '/etc/nginx/nginx.conf -> /etc/nginx/nginx.conf')]);
  });

  it("a site that includes itself through sites-enabled's link (fixtures/nginx-site-include-loop): one error, as nginx -t crashes (139), no unknown beside it", async () => {
    const root = tempDir();
    cpSync(new URL('fixtures/nginx-site-include-loop', import.meta.url).pathname, root, { recursive: true, verbatimSymlinks: true });
    const facts = await gather({ registry, root });
    const results = checkReferences(facts, registry.service('nginx'))
      .map((result) => withoutRoot(result, root))
      .filter((result) => result.severity !== 'ok' && result.reason.includes('loop'))
      .map((result) => `${result.severity}: ${result.reason.replaceAll(root, 'ROOT')}`);
    expect(results).toEqual([loop(`${ENABLED}:8`, SITE, `${ENABLED} -> ${SITE}`)]);
  });
});
