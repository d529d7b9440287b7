// Another server listening on the loopback address of the site's port (`listen 127.0.0.1:80`) beside the site's
// wildcard one (`listen 80`): nginx serves a connection by the servers listening on the exact address it came to where
// any does, so over that loopback the site is never served, nor its loopback-only locations. What the check says is
// held to the real nginx (Debian's, 1.22), run in a network namespace of the test's own, asked with curl.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { hasCommand } from '../../../../../test-support/commands.js';
import { runNetnsScript } from '../../../../../test-support/firewall-netns.js';
import { tempDir, withoutRoot, writeTree } from '../../helpers.js';

const fixtures = new URL('fixtures/', import.meta.url).pathname;
/** A port of the real nginx's own network namespace: nothing else listens there. */
const PORT = 18080;
const yaml = readFileSync(join(fixtures, 'schemes/ports.yaml'), 'utf8');
const registry = parseRegistry(yaml.replace('port: 8443\n', `port: ${PORT}\n`), { source: 'ports.yaml' });
const LOADING = 'include conf.d/*.conf;\ninclude sites-enabled/*;';
const SAID = 'does not take connections to';

/** The check's errors about the site's loopback, for Edge in sites-enabled/edge, nginx.conf's http {} `http` including `files` (under etc/nginx). */
async function shadowSays(http: string, files: Record<string, string>): Promise<string[]> {
  const root = writeTree(tempDir(), {
    'etc/nginx/nginx.conf': `events {}\nhttp {\n${http.replaceAll('include ', 'include /etc/nginx/')}\n}\n`,
    ...Object.fromEntries(Object.entries(files).map(([path, text]) => [`etc/nginx/${path}`, text.replaceAll('PORT', String(PORT))])),
  });
  const facts = await gather({ registry, root, services: [registry.service('edge')] });
  return checkReferences(facts, registry.service('edge'))
    .filter((result) => result.severity !== 'ok' && result.reason.includes(SAID))
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

const SITE = 'server {\n    listen PORT;\n    listen [::]:PORT;\n    return 200 site;\n}';

describe('another server on the loopback address of the site’s port', () => {
  it('is an error at the site’s wildcard listen of that family, naming the other listen’s file:line:col and what to do', async () => {
    const files = { 'conf.d/other.conf': 'server { listen 127.0.0.1:PORT; return 404; }', 'sites-enabled/edge': SITE };
    expect(await shadowSays(LOADING, files)).toEqual([
      `error: edge (${PORT}): /etc/nginx/sites-enabled/edge:2:5: listen ${PORT} does not take connections to 127.0.0.1:${PORT}: listen 127.0.0.1:${PORT} (/etc/nginx/conf.d/other.conf:1:10) is on that address itself, and nginx hands a connection to the servers listening on the exact address it came to where any does (the Host header chooses among those only), so every request over IPv4 loopback gets that server, never this one (nor its loopback-only locations); add listen 127.0.0.1:${PORT} default_server; to this server, or remove that server`,
    ]);
    const inSites = { 'sites-enabled/a-other': 'server { listen [::1]:PORT; return 404; }', 'sites-enabled/edge': SITE };
    expect(await shadowSays(LOADING, inSites)).toEqual([
      expect.stringContaining(
        `/etc/nginx/sites-enabled/edge:3:5: listen [::]:${PORT} does not take connections to [::1]:${PORT}: listen [::1]:${PORT} (/etc/nginx/sites-enabled/a-other:1:10) is on that address itself, `,
      ),
    ]);
    expect((await shadowSays(LOADING, inSites))[0]).toMatch(
      /over IPv6 loopback .*; add listen \[::1\]:18080 default_server; to this server, or remove that site \(rm \/etc\/nginx\/sites-enabled\/a-other\)$/,
    );
  });

  // A plain `listen 127.0.0.1:PORT;` leaves the other server, loaded first, the default there; a server named for
  // loopback keeps those requests even from a default_server (both held to the real nginx below).
  it('advises what real nginx then serves the site by: default_server, taken off the other listen, or that server moved where it is named localhost', async () => {
    const fix = async (other: string) =>
      (await shadowSays(LOADING, { 'conf.d/other.conf': `server { ${other} return 404; }`, 'sites-enabled/edge': SITE }))[0]?.split(
        'loopback-only locations); ',
      )[1];
    expect(await fix('listen 127.0.0.1:PORT default_server;')).toBe(
      `add listen 127.0.0.1:${PORT} default_server; to this server and remove default_server from listen 127.0.0.1:${PORT} default_server (/etc/nginx/conf.d/other.conf:1), or remove that server`,
    );
    expect(await fix('listen 127.0.0.1:PORT; server_name 127.0.0.1 localhost;')).toBe(
      `move that server to another port, or remove it (its server_name 127.0.0.1 keeps requests to 127.0.0.1:${PORT} whatever this server listens on)`,
    );
    expect(await fix('listen 127.0.0.1:PORT; server_name ~^local;')).toMatch(
      /^move that server to another port, or remove it \(its server_name ~\^local keeps /,
    );
    expect(await fix('listen 127.0.0.1:PORT; server_name stats.example.org;')).toMatch(
      /^add listen 127\.0\.0\.1:18080 default_server; to this server, or remove that server$/,
    );
  });

  it('not where nginx does not load the site, nor where a site listen is a host name (it may be on that address)', async () => {
    const other = { 'conf.d/other.conf': 'server { listen 127.0.0.1:PORT; return 404; }' };
    expect(await shadowSays('include conf.d/*.conf;', { ...other, 'sites-enabled/edge': SITE })).toEqual([]);
    const named = SITE.replace('listen [::]:PORT;', 'listen [::]:PORT;\n    listen localhost:PORT;');
    expect(await shadowSays(LOADING, { ...other, 'sites-enabled/edge': named })).toEqual([]);
  });
});

const canRun =
  process.getuid?.() === 0 &&
  ['nginx', '/usr/sbin/nginx'].some((command) => hasCommand(command, ['-v'])) &&
  hasCommand('unshare', ['--version']) &&
  hasCommand('ip', ['-V']) &&
  hasCommand('curl', ['--version']);
if (!canRun) console.warn('[skipped: a real nginx in a network namespace needs root, nginx (Debian package nginx-light), unshare, ip and curl]');

describe('held to a real nginx', () => {
  /** Each case: the other server's listens and names (conf.d, loaded first), the site's server, which loopbacks the check says are another's, and what curl gets on each. */
  const cases: readonly { name: string; other: string; site?: string; conf?: string; said: readonly ('v4' | 'v6')[]; v4: string; v6: string }[] = [
    { name: 'none', other: 'listen 127.0.0.2:PORT;', said: [], v4: 'site', v6: 'site' },
    { name: 'v4', other: 'listen 127.0.0.1:PORT;', said: ['v4'], v4: 'other', v6: 'site' },
    { name: 'v4-default', other: 'listen 127.0.0.1:PORT default_server;', said: ['v4'], v4: 'other', v6: 'site' },
    { name: 'v4-spelled', other: 'listen 127.1:PORT;', said: ['v4'], v4: 'other', v6: 'site' },
    {
      name: 'v4-same-name',
      other: 'listen 127.0.0.1:PORT; server_name localhost;',
      site: SITE.replace('return', 'server_name localhost;\n    return'),
      said: ['v4'],
      v4: 'other',
      v6: 'site',
    },
    // The check's advice followed, and the old one (a plain listen) that left the other server the default there.
    {
      name: 'v4-advised',
      other: 'listen 127.0.0.1:PORT;',
      site: SITE.replace('return', 'listen 127.0.0.1:PORT default_server;\n    return'),
      said: [],
      v4: 'site',
      v6: 'site',
    },
    {
      name: 'v4-plain-listen',
      other: 'listen 127.0.0.1:PORT;',
      site: SITE.replace('return', 'listen 127.0.0.1:PORT;\n    return'),
      said: [],
      v4: 'other',
      v6: 'site',
    },
    {
      name: 'v4-named-default',
      other: 'listen 127.0.0.1:PORT; server_name localhost;',
      site: SITE.replace('return', 'listen 127.0.0.1:PORT default_server;\n    return'),
      said: [],
      v4: 'other',
      v6: 'site',
    },
    { name: 'v6', other: 'listen [::1]:PORT;', said: ['v6'], v4: 'site', v6: 'other' },
    { name: 'both', other: 'listen 127.0.0.1:PORT; listen [::1]:PORT;', said: ['v4', 'v6'], v4: 'other', v6: 'other' },
    {
      name: 'v6-wildcard-other',
      other: 'listen [::]:PORT; server_name other;',
      site: SITE.replace('return', 'server_name localhost;\n    return'),
      said: [],
      v4: 'site',
      v6: 'site',
    },
    {
      name: 'site-there-too',
      other: 'listen 127.0.0.1:PORT;',
      site: SITE.replace('return', 'listen 127.0.0.1:PORT;\n    server_name localhost;\n    return'),
      said: [],
      v4: 'site',
      v6: 'site',
    },
    {
      // A stub_status-like server in the site's own file: the site is its server that passes requests on (here to a server of conf.d answering `site`).
      name: 'in-site-file',
      other: '',
      conf: 'server { listen 127.0.0.1:18081; return 200 site; }',
      site: 'server {\n    listen PORT;\n    listen [::]:PORT;\n    location / { proxy_pass http://127.0.0.1:18081; }\n}\nserver {\n    listen 127.0.0.1:PORT;\n    server_name localhost;\n    return 200 other;\n}',
      said: ['v4'],
      v4: 'other',
      v6: 'site',
    },
    {
      // The site on its loopback, a redirecting server of its file on the rest: nothing takes the loopback from it.
      name: 'redirect-beside',
      other: '',
      conf: 'server { listen 127.0.0.1:18081; return 200 site; }',
      site: 'server {\n    listen 127.0.0.1:PORT;\n    listen [::1]:PORT;\n    location / { proxy_pass http://127.0.0.1:18081; }\n}\nserver {\n    listen PORT;\n    listen [::]:PORT;\n    return 200 other;\n}',
      said: [],
      v4: 'site',
      v6: 'site',
    },
  ];

  it.skipIf(!canRun)(
    'where the check says the site is not served over loopback, curl gets the other server, and nowhere else',
    { timeout: 60_000 },
    async () => {
      const dir = tempDir();
      const files = ({ other, site, conf }: (typeof cases)[number]) => ({
        'conf.d/other.conf': conf ?? `server { ${other} return 200 other; }`,
        'sites-enabled/edge': site ?? SITE,
      });
      for (const each of cases) {
        const http = LOADING.replaceAll('PORT', String(PORT));
        writeTree(join(dir, 'cases'), {
          ...Object.fromEntries(Object.entries(files(each)).map(([path, text]) => [`${each.name}/${path}`, `${text.replaceAll('PORT', String(PORT))}\n`])),
          [`${each.name}/nginx.conf`]: `pid ${join(dir, 'cases', each.name, 'nginx.pid')}; daemon off; worker_processes 1; events { worker_connections 16; }\nhttp { access_log off;\n${http}\n}\n`,
        });
      }
      const run = await runNetnsScript({
        script: join(fixtures, 'loopback-shadow/netns.sh'),
        args: [join(dir, 'cases'), String(PORT)],
        env: {},
        timeoutMs: 50_000,
      });
      const got = run.output.trim().split('\n');
      for (const each of cases) {
        const said = await shadowSays(LOADING, files(each));
        const families = said.map((message) => (message.includes('over IPv4 loopback') ? 'v4' : 'v6'));
        const answers = Object.fromEntries(got.filter((line) => line.startsWith(`${each.name} `)).map((line) => line.slice(each.name.length + 1).split(': ')));
        expect({ name: each.name, families, answers }).toEqual({ name: each.name, families: each.said, answers: { v4: each.v4, v6: each.v6 } });
      }
    },
  );
});
