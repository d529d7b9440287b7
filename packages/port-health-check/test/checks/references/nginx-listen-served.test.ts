// Which server nginx answers with on the site's port, as nginx picks it: among the servers listening on the address a
// connection came to (a specific address is its own entry, even on the wildcard's socket), the one whose server_name
// matches the Host header, else that address's default server. So the site's reach is its own listens', and a site
// with no server_name beside another default server (Debian's stock sites-enabled/default) is never served. Also the
// sockets by transport (quic is UDP), the ipv6only=off listen a clash is said at, and a large configuration read in one pass.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { readNginxSite } from '../../../src/checks/references/nginx.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const SITE = 'etc/nginx/sites-available/dsa110-contimg';
const LOCATIONS =
  'location /api/ { proxy_pass http://127.0.0.1:8000; }\nlocation /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://127.0.0.1:8000; }';
/** Debian's stock sites-enabled/default, its listens on lines 2 and 3. */
const DEBIAN_DEFAULT = 'server {\n\tlisten 80 default_server;\n\tlisten [::]:80 default_server;\n\troot /var/www/html;\n\tserver_name _;\n}\n';
const NGINX_CONF = 'events {}\nhttp {\n  include /etc/nginx/conf.d/*.conf;\n  include /etc/nginx/sites-enabled/*;\n}\n';
const AT = 'nginx (80): /etc/nginx/sites-available/dsa110-contimg';

/** The references check's problems for a site whose server holds `site`, enabled beside `files` (Debian's default site unless given), as `severity: reason`. */
async function problems(site: string, files: Record<string, string> = { 'etc/nginx/sites-enabled/default': DEBIAN_DEFAULT }): Promise<string[]> {
  const root = writeTree(tempDir(), {
    'etc/nginx/nginx.conf': NGINX_CONF,
    [SITE]: `server {\n${site}\n${LOCATIONS}\n}\n`,
    'etc/nginx/sites-enabled/dsa110-contimg': { symlink: '../sites-available/dsa110-contimg' },
    ...files,
  });
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service('nginx'))
    .map((result) => withoutRoot(result, root))
    .filter((result) => result.severity !== 'ok')
    .map((result) => `${result.severity}: ${result.reason}`);
}

describe('the site’s reach is the addresses its own servers listen on', () => {
  it('listen 127.0.0.1:80 beside the default site’s listen 80 takes this host’s connections only (127.0.0.2 gets the default site)', async () => {
    expect(await problems('listen 127.0.0.1:80;\nserver_name api.example;')).toEqual([
      expect.stringMatching(
        /^error: nginx \(80\): \/etc\/nginx\/sites-available\/dsa110-contimg:2:1: listen 127\.0\.0\.1:80 accepts connections from this host only, /,
      ),
    ]);
  });

  it('listen [::]:80 beside the default site’s listen 80 is IPv6 only for the site; ipv6only=off on the port’s [::] makes it take IPv4', async () => {
    expect(await problems('listen [::]:80;\nserver_name api.example;')).toEqual([
      `error: ${AT}:2:1: listen [::]:80 takes IPv6 connections only (ipv6only=on is nginx's default for [::] since 1.3.4), and no listen on port 80 takes IPv4, so IPv4 clients are refused; add listen 80; (ports snippet nginx-site), or write listen [::]:80 ipv6only=off;`,
    ]);
    const dual = 'server { listen [::]:80 ipv6only=off default_server; return 444; }\n';
    expect(await problems('listen [::]:80;\nserver_name api.example;', { 'etc/nginx/sites-enabled/default': dual })).toEqual([]);
  });
});

describe('another default server on the site’s address and port', () => {
  const said = (line: number, address: string, other: string, how: string, remove = 'remove that site (rm /etc/nginx/sites-enabled/default)') =>
    `error: ${AT}:${line}:1: listen ${address}: nginx answers requests to ${address} whose Host header matches no server_name with its default server, ${other}, as ${how}, and this server has no server_name, so nginx never serves Nginx's site to a client that sends a Host header (browsers, curl); ${remove}, or add default_server to this listen and remove it from that one, or give this server the server_name its clients use`;

  it('Debian’s stock default site and a site with no server_name (or only ""): an error at each listen, naming the default', async () => {
    const expected = [
      said(2, '0.0.0.0:80', 'listen 80 default_server (/etc/nginx/sites-enabled/default:2)', 'it is default_server there').replace(
        'listen 0.0.0.0:80:',
        'listen 80:',
      ),
      said(3, '[::]:80', 'listen [::]:80 default_server (/etc/nginx/sites-enabled/default:3)', 'it is default_server there'),
    ];
    expect(await problems('listen 80;\nlisten [::]:80;')).toEqual(expected);
    expect(await problems('listen 80;\nlisten [::]:80;\nserver_name "";')).toEqual(expected);
  });

  it('the first server nginx loads on the address is its default, when none says default_server', async () => {
    const first = { 'etc/nginx/conf.d/a.conf': 'server {\n  listen 80;\n  return 444;\n}\n' };
    expect(await problems('listen 80;\nlisten [::]:80;', first)).toEqual([
      said(
        2,
        '0.0.0.0:80',
        'listen 80 (/etc/nginx/conf.d/a.conf:2)',
        'it is the first server nginx loads there',
        'remove that server or its listen there',
      ).replace('listen 0.0.0.0:80:', 'listen 80:'),
    ]);
  });

  it('says nothing where the site has a server_name, is the default itself, or is alone on the address', async () => {
    expect(await problems('listen 80;\nlisten [::]:80;\nserver_name api.example "";')).toEqual([]);
    const ours = { 'etc/nginx/sites-enabled/default': 'server {\n\tlisten 80;\n\tlisten [::]:80;\n\tserver_name _;\n}\n' };
    expect(await problems('listen 80 default_server;\nlisten [::]:80 default_server;', ours)).toEqual([]);
    expect(await problems('listen 80;\nlisten [::]:80;', {})).toEqual([]);
  });

  it('says nothing where an include it cannot read (a FIFO) may name the server', async () => {
    const root = writeTree(tempDir(), {
      'etc/nginx/nginx.conf': NGINX_CONF,
      [SITE]: `server {\nlisten 80;\nlisten [::]:80;\ninclude /etc/nginx/snippets/names.conf;\n${LOCATIONS}\n}\n`,
      'etc/nginx/sites-enabled/dsa110-contimg': { symlink: '../sites-available/dsa110-contimg' },
      'etc/nginx/sites-enabled/default': DEBIAN_DEFAULT,
    });
    mkdirSync(join(root, 'etc/nginx/snippets'));
    expect(spawnSync('mkfifo', [join(root, 'etc/nginx/snippets/names.conf')]).status).toBe(0);
    const facts = await gather({ registry, root });
    const found = checkReferences(facts, registry.service('nginx')).filter((result) => result.severity !== 'ok');
    expect(found.map((result) => `${result.severity}: ${result.reason}`)).toEqual([
      expect.stringMatching(/^unknown: .*include \/etc\/nginx\/snippets\/names\.conf: /),
    ]);
  });

  it('says nothing of a site nginx does not load (which server it would load first is not known)', async () => {
    const root = writeTree(tempDir(), {
      'etc/nginx/nginx.conf': NGINX_CONF,
      [SITE]: `server {\nlisten 80;\nlisten [::]:80;\nserver_name api.example;\n${LOCATIONS}\n}\n`,
      'etc/nginx/sites-enabled/default': DEBIAN_DEFAULT,
    });
    const facts = await gather({ registry, root });
    const found = checkReferences(facts, registry.service('nginx')).filter((result) => result.severity !== 'ok');
    expect(found.map((result) => result.reason)).toEqual([expect.stringContaining('nginx does not load this file')]);
  });
});

describe('the sockets by transport, and where a clash is said', () => {
  const expect443 = { name: 'Nginx', port: 443, upstream: { name: 'FastAPI', port: 8000, metrics: '/metrics' }, snippet: 'ports snippet nginx-site' };
  const errors = (text: string) => {
    const found = readNginxSite(text, expect443);
    return typeof found === 'string'
      ? [found]
      : found.filter((finding) => finding.severity === 'error').map((finding) => `${finding.line}: ${finding.message}`);
  };

  it('HTTP/3 beside HTTPS on one port (quic is UDP, a socket of its own) is no duplicate nor clash', () => {
    const h3 = 'listen 443 ssl;\nlisten [::]:443 ssl;\nlisten 443 quic reuseport;\nlisten [::]:443 quic reuseport;';
    expect(errors(`server {\n${h3}\n${LOCATIONS}\n}\n`)).toEqual([]);
    expect(errors(`server {\nlisten 443 ssl;\nlisten 443 quic;\n${LOCATIONS}\n}\n`)).toEqual([]);
    // Twice on UDP is still a duplicate.
    expect(errors(`server {\nlisten 443 quic;\nlisten 443 quic;\n${LOCATIONS}\n}\n`)).toEqual([expect.stringMatching(/^3: listen 443 quic: nginx refuses it/)]);
  });

  it('a [::] socket made dual-stack beside an IPv4 one is said at the listen that sets ipv6only=off', () => {
    const text = `server {\nlisten 443 ssl;\nlisten [::]:443 ssl;\n}\nserver {\nlisten [::]:443 ssl ipv6only=off;\nserver_name b;\n${LOCATIONS}\n}\n`;
    expect(errors(text)).toEqual([
      expect.stringMatching(/^6: listen \[::\]:443 ssl ipv6only=off takes IPv4 too \(ipv6only=off\) beside listen 443 ssl \(line 2\), /),
    ]);
  });
});

describe('a large configuration', () => {
  it('32,000 servers on the port are read in one pass: the first is the default the site is not served beside', async () => {
    const many = { 'etc/nginx/conf.d/many.conf': 'server { listen 80; }\n'.repeat(32_000) };
    expect(await problems('listen 80;', many)).toEqual([
      expect.stringContaining(
        `${AT}:2:1: listen 80: nginx answers requests to 0.0.0.0:80 whose Host header matches no server_name with its default server, listen 80 (/etc/nginx/conf.d/many.conf:1)`,
      ),
    ]);
  });

  it('32,000 servers with a listen nginx refuses, and 500 with an upstream block it does not take: each said once, in one pass', async () => {
    const many = {
      'etc/nginx/conf.d/many.conf': 'server { listen 0; }\n'.repeat(32_000),
      'etc/nginx/conf.d/up.conf': 'server { upstream u { } }\n'.repeat(500),
    };
    const started = performance.now();
    const found = await problems('listen 80;', many);
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(found.filter((problem) => problem.includes(': listen 0: not a port nginx accepts'))).toHaveLength(32_000);
    expect(found.filter((problem) => problem.includes('where nginx refuses it (nginx -t: "upstream" directive is not allowed here)'))).toHaveLength(500);
  });

  it('past what this check reads of nginx’s configuration, the port’s sockets are unknown, not judged from the site alone', async () => {
    const many = { 'etc/nginx/conf.d/many.conf': 'server { listen 80; }\n'.repeat(34_000) };
    expect(await problems('listen [::]:80;', many)).toEqual([
      `unknown: ${AT}: nginx's configuration (/etc/nginx/nginx.conf): it and its includes come to more than 100000 statements (an include repeated in the files it includes multiplies them), more than this check reads; include each file once, so the sockets nginx opens for port 80, and which server answers on them, are not judged`,
    ]);
  });
});
