// Whether nginx serves the site file the registry names, on real trees under --root: nginx.conf's includes are
// followed (sites-enabled/*, conf.d/*.conf), a link there to the file is the file, a copy that differs is named,
// and a site no include reaches is not served. Without nginx.conf (no nginx here) nothing is said.
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
const NGINX_CONF = 'events {}\nhttp {\n  include /etc/nginx/mime.types;\n  include /etc/nginx/conf.d/*.conf;\n  include /etc/nginx/sites-enabled/*;\n}\n';

async function nginxFindings(files: Record<string, TreeEntry>): Promise<string[]> {
  const root = writeTree(tempDir(), { [SITE.slice(1)]: site.text, 'etc/nginx/mime.types': 'types {}\n', ...files });
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service('nginx'))
    .map((result) => withoutRoot(result, root))
    .filter((result) => result.severity !== 'ok')
    .map((result) => result.reason);
}

describe('whether nginx loads the site file the registry names', () => {
  it('says nothing when nginx loads it (a link in sites-enabled, or an include in conf.d), or when there is no nginx.conf', async () => {
    expect(site.path).toBe(SITE);
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': NGINX_CONF, [ENABLED.slice(1)]: { symlink: '../sites-available/dsa110-contimg' } })).toEqual([]);
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': NGINX_CONF, 'etc/nginx/conf.d/site.conf': `include ${SITE};\n` })).toEqual([]);
    expect(await nginxFindings({})).toEqual([]);
    // A copy in sites-enabled with the same text: what nginx serves is what was checked.
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': NGINX_CONF, [ENABLED.slice(1)]: site.text })).toEqual([]);
  });

  it('warns when no include of nginx.conf reaches it: the site is not served', async () => {
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': NGINX_CONF })).toEqual([
      `nginx (80): ${SITE}: nginx does not load this file: no include of /etc/nginx/nginx.conf reaches it, so the site is not served; enable it (ln -s ${SITE} ${ENABLED}), then nginx -t and reload nginx`,
    ]);
    // An include that cannot be read may reach it: nothing said then.
    const unreadable = NGINX_CONF.replace('mime.types;', 'missing.types;');
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': unreadable })).toEqual([]);
  });

  it('names the copy nginx loads instead when it differs (edited in sites-available, the old copy still served)', async () => {
    const old = site.text.replace('127.0.0.1:8000', '127.0.0.1:8001');
    expect(old).not.toBe(site.text);
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': NGINX_CONF, [ENABLED.slice(1)]: old })).toEqual([
      `nginx (80): ${SITE}: nginx loads ${ENABLED}, a copy of this file that differs from it, not this file, so these findings are not about the site it serves; replace the copy with a link (ln -sf ${SITE} ${ENABLED}), then nginx -t and reload nginx, or name ${ENABLED} in config:`,
    ]);
  });
});
