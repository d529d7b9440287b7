// Whether nginx serves the site file the registry names, on real trees under --root: nginx.conf's includes are
// followed (sites-enabled/*, conf.d/*.conf), a link there to the file is the file, a copy that differs is named,
// and a site no include reaches is not served. Without nginx.conf (no nginx here) nothing is said.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadRegistry, parseRegistry, type Registry } from '@dsa110/ports';
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

async function nginxFindings(files: Record<string, TreeEntry>, reg: Registry = registry): Promise<string[]> {
  const root = writeTree(tempDir(), { [SITE.slice(1)]: site.text, 'etc/nginx/mime.types': 'types {}\n', ...files });
  const facts = await gather({ registry: reg, root });
  return checkReferences(facts, reg.service('nginx'))
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
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': NGINX_CONF, 'etc/nginx/sites-enabled/default': 'server { listen 8081; }\n' })).toEqual([
      `nginx (80): ${SITE}: nginx does not load this file: no include of /etc/nginx/nginx.conf reaches it, so the site is not served; enable it (ln -s ${SITE} ${ENABLED}), then nginx -t and reload nginx`,
    ]);
    // Includes past the text read in all (16 MiB, as for a site's own) may reach it: nothing said then.
    const big = `# ${'x'.repeat(3.5 * 1024 * 1024)}\n`;
    const parts = Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`etc/nginx/part${n}.conf`, big]));
    const many = NGINX_CONF.replace('http {', `http {\n${[1, 2, 3, 4, 5].map((n) => `  include /etc/nginx/part${n}.conf;`).join('\n')}`);
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': many, ...parts })).toEqual([]);
    // A large snippet included in many server blocks counts once: the site is still said not to be served.
    const servers = Array.from({ length: 20 }, (_, n) => `  server { listen ${9000 + n}; include /etc/nginx/snippets/geo.conf; }`).join('\n');
    const repeated = NGINX_CONF.replace('http {', `http {\n${servers}`);
    const geo = `# ${'x'.repeat(1024 * 1024)}\n`;
    expect(
      await nginxFindings({
        'etc/nginx/nginx.conf': repeated,
        'etc/nginx/snippets/geo.conf': geo,
        'etc/nginx/sites-enabled/default': 'server { listen 8081; }\n',
      }),
    ).toEqual([expect.stringContaining(': nginx does not load this file: no include of /etc/nginx/nginx.conf reaches it')]);
    // An include that cannot be read may reach it: nothing said then.
    const unreadable = NGINX_CONF.replace('mime.types;', 'missing.types;');
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': unreadable })).toEqual([]);
  });

  it('advises a link only where an include of nginx.conf would read it and nothing is yet; else to include the file', async () => {
    const include = 'include it from /etc/nginx/nginx.conf or a file it includes, then nginx -t and reload nginx';
    const absent = `nginx (80): ${SITE}: nginx does not load this file: no include of /etc/nginx/nginx.conf reaches it, so the site is not served; `;
    // Red Hat's layout, conf.d/*.conf alone: a link in sites-enabled would not be read, nor one named without .conf.
    const confD = 'events {}\nhttp {\n  include /etc/nginx/conf.d/*.conf;\n}\n';
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': confD, 'etc/nginx/conf.d/default.conf': 'server { listen 8081; }\n' })).toEqual([
      `${absent}${include}`,
    ]);
    // The include commented out, the link there already: not "make the link".
    const commented = NGINX_CONF.replace('  include /etc/nginx/sites-enabled/*;', '  # include /etc/nginx/sites-enabled/*;');
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': commented, [ENABLED.slice(1)]: { symlink: SITE } })).toEqual([`${absent}${include}`]);
    // Debian's stock nginx.conf reads modules-enabled/*.conf outside http {} (load_module lines): a site named *.conf
    // is linked into sites-enabled, never there, where its server {} fails nginx -t.
    const conf = '/etc/nginx/sites-available/dsa110-contimg.conf';
    const text = readFileSync(join(repoRoot, 'ports.yaml'), 'utf8');
    const dotConf = parseRegistry(text.replace('config: /etc/nginx/sites-available/dsa110-contimg', `config: ${conf}`), { source: 'ports.yaml' });
    const stock = `include /etc/nginx/modules-enabled/*.conf;\n${NGINX_CONF}`;
    const modules = { 'etc/nginx/modules-enabled/50-mod.conf': '# load_module\n', 'etc/nginx/sites-enabled/default': 'server { listen 8081; }\n' };
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': stock, [conf.slice(1)]: site.text, ...modules }, dotConf)).toEqual([
      `nginx (80): ${conf}: nginx does not load this file: no include of /etc/nginx/nginx.conf reaches it, so the site is not served; enable it (ln -s ${conf} /etc/nginx/sites-enabled/dsa110-contimg.conf), then nginx -t and reload nginx`,
    ]);
    // Another file of that name where the link would go (not a copy of the site: only sites-enabled beside sites-available is): never ln -sf over it.
    const named = NGINX_CONF.replace('/etc/nginx/sites-enabled/*;', '/etc/nginx/other/*;');
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': named, 'etc/nginx/other/dsa110-contimg': 'map $a $b { default 1; }\n' })).toEqual([
      `${absent}${include}`,
    ]);
  });

  it('takes a site written in nginx.conf itself as loaded, and quotes a path the shell would split', async () => {
    const text = readFileSync(join(repoRoot, 'ports.yaml'), 'utf8');
    const inMain = parseRegistry(text.replace('config: /etc/nginx/sites-available/dsa110-contimg', 'config: /etc/nginx/nginx.conf'), { source: 'ports.yaml' });
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': `events {}\nhttp {\n${site.text}\n}\n` }, inMain)).toEqual([]);
    const spaced = parseRegistry(text.replace('config: /etc/nginx/sites-available/dsa110-contimg', "config: '/etc/nginx/sites-available/dsa110 contimg'"), {
      source: 'ports.yaml',
    });
    const found = await nginxFindings(
      {
        'etc/nginx/nginx.conf': NGINX_CONF,
        'etc/nginx/sites-available/dsa110 contimg': site.text,
        'etc/nginx/sites-enabled/default': 'server { listen 8081; }\n',
      },
      spaced,
    );
    expect(found).toEqual([
      expect.stringContaining("; enable it (ln -s '/etc/nginx/sites-available/dsa110 contimg' '/etc/nginx/sites-enabled/dsa110 contimg'), then nginx -t"),
    ]);
  });

  it('names the copy nginx loads instead when it differs (edited in sites-available, the old copy still served)', async () => {
    const old = site.text.replace('127.0.0.1:8000', '127.0.0.1:8001');
    expect(old).not.toBe(site.text);
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': NGINX_CONF, [ENABLED.slice(1)]: old })).toEqual([
      `nginx (80): ${SITE}: nginx loads ${ENABLED}, a copy of this file that differs from it, not this file, so these findings are not about the site it serves; replace the copy with a link (ln -sf ${SITE} ${ENABLED}), then nginx -t and reload nginx, or name ${ENABLED} in config:`,
    ]);
  });
});
