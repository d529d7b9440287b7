// nginx's listen as nginx takes it: the sockets it opens for the site's port (a `[::]` listen is IPv6 only; a
// loopback listen beside the port's wildcard one shares its socket; two that Linux will not both open stop nginx),
// the parameters and duplicates nginx -t refuses, and `listen` where it is no directive (a map's entry). Held to a
// real nginx (Debian's nginx-light, 1.22): nginx -t for what it refuses, real runs on a leased loopback port for
// what each socket takes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { readNginxSite } from '../../../src/checks/references/nginx.js';
import { gather } from '../../../src/gather.js';
import { hasCommand, leasePort } from '../../../../../test-support/index.js';
import { tempDir, withoutRoot, writeTree } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const SITE = 'etc/nginx/sites-available/dsa110-contimg';
const LOCATIONS =
  'location /api/ { proxy_pass http://127.0.0.1:8000; }\nlocation /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://127.0.0.1:8000; }';

/** The references check's problems for a site of `listens` in its server and `after` it, as `severity: reason` (the bundled registry: Nginx on 80, public). */
async function siteProblems(listens: string, after = ''): Promise<string[]> {
  const root = writeTree(tempDir(), { [SITE]: `server {\n${listens}\n${LOCATIONS}\n}\n${after}` });
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service('nginx'))
    .map((result) => withoutRoot(result, root))
    .filter((result) => result.severity !== 'ok')
    .map((result) => `${result.severity}: ${result.reason}`);
}

const AT = 'nginx (80): /etc/nginx/sites-available/dsa110-contimg';

describe('the sockets nginx opens for the site’s port', () => {
  it('a [::] listen alone is IPv6 only (ipv6only=on, nginx’s default): an error, unless ipv6only=off or an IPv4 listen is there', async () => {
    expect(await siteProblems('listen [::]:80;')).toEqual([
      `error: ${AT}:2:1: listen [::]:80 takes IPv6 connections only (ipv6only=on is nginx's default for [::] since 1.3.4), and no listen on port 80 takes IPv4, so IPv4 clients are refused; add listen 80; (ports snippet nginx-site), or write listen [::]:80 ipv6only=off;`,
    ]);
    expect(await siteProblems('listen [::]:80 ipv6only=off;')).toEqual([]);
    expect(await siteProblems('listen 80;\nlisten [::]:80;')).toEqual([]);
    // IPv4 from this host only, for a public site: IPv4 clients from elsewhere are refused.
    expect(await siteProblems('listen 127.0.0.1:80;\nlisten [::]:80;')).toEqual([
      `error: ${AT}:3:1: listen [::]:80 takes IPv6 connections only (ipv6only=on is nginx's default for [::] since 1.3.4), and on IPv4 port 80 takes connections from this host only (127.0.0.1:80), but the registry says Nginx is access: public, so IPv4 clients from other hosts are refused; add listen 80; (ports snippet nginx-site), or give Nginx access: localhost in the registry`,
    ]);
    // A host name may resolve to an IPv4 address: not said.
    expect(await siteProblems('listen [::]:80;\nlisten web.example:80;')).toEqual([]);
  });

  it('a loopback listen beside the port’s wildcard one (a stub_status server) shares its socket: no access error, but it takes 127.0.0.1', async () => {
    const status = 'server { listen 127.0.0.1:80; server_name localhost; location /nginx_status { stub_status; } }\n';
    expect(await siteProblems('listen 80;\nlisten [::]:80;', status)).toEqual([
      `error: ${AT}:2:1: listen 80 does not take connections to 127.0.0.1:80: listen 127.0.0.1:80 (line 7:10) is on that address itself, and nginx hands a connection to the servers listening on the exact address it came to where any does (the Host header chooses among those only), so every request over IPv4 loopback gets that server, never this one (nor its loopback-only locations); move that server to another port, or remove it`,
    ]);
    // A redirecting server on the port beside the site's own on its loopback: the site takes its loopback itself.
    expect(
      await siteProblems('listen 127.0.0.1:80;\nlisten [::1]:80;', 'server { listen 80; listen [::]:80; return 301 https://$host$request_uri; }\n'),
    ).toEqual([]);
    // Alone on the port, it is the site's only socket: from this host only.
    expect(await siteProblems('listen 127.0.0.1:80;')).toEqual([
      expect.stringMatching(
        /^error: nginx \(80\): \/etc\/nginx\/sites-available\/dsa110-contimg:2:1: listen 127\.0\.0\.1:80 accepts connections from this host only, /,
      ),
    ]);
    // Spelt as inet_aton reads it (127.1, 2130706433, 0x7f.1), it is 127.0.0.1 still.
    for (const value of ['127.1:80', '2130706433:80', '0x7f.1:80'])
      expect(await siteProblems(`listen ${value};`), value).toEqual([
        expect.stringContaining(`dsa110-contimg:2:1: listen ${value} accepts connections from this host only, `),
      ]);
  });

  it('two sockets Linux will not both open are an error, though nginx -t passes', async () => {
    expect(await siteProblems('listen 80;', 'server { listen 127.0.0.1:80 backlog=10; }\n')).toEqual([
      `error: ${AT}:6:10: listen 127.0.0.1:80 backlog=10 opens a socket of its own (its socket options make nginx bind it) beside listen 80 (line 2), and Linux refuses the second of them ("bind() ... failed (98: Address already in use)"), so nginx does not start, though nginx -t passes; move its socket options (backlog=, reuseport and the like) to the listen of the whole port, or remove that one`,
    ]);
    expect(await siteProblems('listen 80;\nlisten [::]:80 ipv6only=off;')).toEqual([
      `error: ${AT}:3:1: listen [::]:80 ipv6only=off takes IPv4 too (ipv6only=off) beside listen 80 (line 2), and Linux refuses the second of them ("bind() ... failed (98: Address already in use)"), so nginx does not start, though nginx -t passes; remove ipv6only=off, or the IPv4 listen`,
    ]);
    // Both with reuseport: Linux opens both, and hands connections to 127.0.0.1 to the socket bound there.
    expect(await siteProblems('listen 80 reuseport;', 'server { listen 127.0.0.1:80 reuseport; }\n')).toEqual([
      expect.stringContaining(
        `${AT}:2:1: listen 80 reuseport does not take connections to 127.0.0.1:80: listen 127.0.0.1:80 reuseport (line 6:10) is on that address itself`,
      ),
    ]);
  });
});

describe('what nginx -t refuses of a listen', () => {
  it('an unknown parameter, a bad value, a duplicate in one server, two default_server or two sets of socket options on one address and port', async () => {
    const refuses = (line: string, column: number, text: string) =>
      expect.stringMatching(new RegExp(`^error: ${AT.replace(/[().]/g, '\\$&')}:${line}:${column}: ${text}`));
    expect(await siteProblems('listen 80 bogus_param;')).toEqual([
      `error: ${AT}:2:1: listen 80 bogus_param: nginx refuses bogus_param (nginx -t: invalid parameter "bogus_param"), so it does not start, or reload, with this configuration; correct it or remove it (the parameters listen takes: https://nginx.org/en/docs/http/ngx_http_core_module.html#listen)`,
    ]);
    expect(await siteProblems('listen 80 backlog=abc;')).toEqual([
      refuses('2', 1, 'listen 80 backlog=abc: nginx refuses backlog=abc \\(nginx -t: invalid backlog "backlog=abc"\\)'),
    ]);
    expect(await siteProblems('listen 80;\nlisten 80;')).toEqual([
      `error: ${AT}:3:1: listen 80: nginx refuses it, as listen 80 (line 2) in the same server is on 0.0.0.0:80 too (nginx -t: "a duplicate listen 0.0.0.0:80"), so it does not start, or reload, with this configuration; remove one of them`,
    ]);
    expect(await siteProblems('listen 80 default_server;', 'server { listen 0.0.0.0:80 default_server; server_name other; }\n')).toEqual([
      `error: ${AT}:6:10: listen 0.0.0.0:80 default_server: nginx refuses it, as listen 80 default_server (line 2) is default_server on 0.0.0.0:80 too (nginx -t: "a duplicate default server for 0.0.0.0:80"), so it does not start, or reload, with this configuration; keep default_server on one of them only`,
    ]);
    expect(await siteProblems('listen 80 backlog=100;', 'server { listen 80 reuseport; server_name other; }\n')).toEqual([
      refuses(
        '6',
        10,
        'listen 80 reuseport: nginx refuses it, as listen 80 backlog=100 \\(line 2\\) sets socket options on 0.0.0.0:80 too \\(nginx -t: "duplicate listen options for 0.0.0.0:80"\\)',
      ),
    ]);
  });

  /** nginx -t's complaint about an http block holding `body`, or undefined when it passes. */
  function nginxRefuses(body: string): string | undefined {
    const dir = tempDir();
    writeTree(dir, { 'nginx.conf': `pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'error.log')}; events {}\nhttp { access_log off;\n${body}\n}\n` });
    const run = spawnSync(NGINX!, ['-t', '-q', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { encoding: 'utf8' });
    return run.status === 0 ? undefined : run.stderr;
  }

  it.skipIf(!NGINX)('refuses what nginx -t refuses, and nothing it takes', () => {
    const expect80 = { name: 'Nginx', port: 20080, upstream: { name: 'FastAPI', port: 8000, metrics: '/metrics' }, snippet: 'ports snippet nginx-site' };
    const servers = [
      // Refused (nginx 1.22 -t).
      'server { listen 20080 bogus_param; }',
      'server { listen 20080 DEFAULT_SERVER; }',
      'server { listen 20080 ipv6only; }',
      'server { listen 20080 http3; }',
      'server { listen 20080 setfib=1; }',
      'server { listen 20080 backlog=abc; }',
      'server { listen 20080 backlog=0; }',
      'server { listen 20080 backlog=-1; }',
      'server { listen 20080 rcvbuf=1g; }',
      'server { listen 20080 sndbuf=x; }',
      'server { listen 20080 fastopen=abc; }',
      'server { listen [::]:20080 ipv6only=of; }',
      'server { listen 20080 so_keepalive=x; }',
      'server { listen 20080 so_keepalive=30x::10; }',
      // ms is no time in seconds; a number past ngx_atoi's 64 bits, or one that is 0 or -1 as a C int, is its error.
      'server { listen 20080 so_keepalive=30ms::; }',
      'server { listen 20080 backlog=99999999999999999999; }',
      'server { listen 20080 backlog=4294967296; }',
      'server { listen 20080 backlog=4294967295; }',
      'server { listen 20080 fastopen=99999999999999999999; }',
      'server { listen 20080 so_keepalive=1::99999999999999999999; }',
      // rcvbuf= and sndbuf=: ngx_parse_size past its 63 bits (over k's or m's scale), or -1 as a C int.
      'server { listen 20080 rcvbuf=4294967295; }',
      'server { listen 20080 sndbuf=9223372036854775807; }',
      'server { listen 20080 rcvbuf=99999999999999999999; }',
      'server { listen 20080 sndbuf=9007199254740992k; }',
      'server { listen 20080 rcvbuf=8796093022208m; }',
      'server { listen 20080 sndbuf=1kk; }',
      'server { listen 20080 rcvbuf=+1; }',
      'server { listen 20080; listen 20080; }',
      'server { listen 20080; listen *:20080; }',
      'server { listen [::]:20080; listen [0::0]:20080; }',
      'server { listen 20080 default_server; }\nserver { listen 0.0.0.0:20080 default_server; }',
      'server { listen 20080 backlog=10; }\nserver { listen 20080 reuseport; }',
      // 127.1 is 127.0.0.1 (nginx resolves it as inet_aton reads it).
      'server { listen 127.0.0.1:20080; listen 127.1:20080; }',
      // Taken.
      'server { listen 20080 default; }',
      'server { listen 20080 default_server default_server; }',
      'server { listen 20080 http2 proxy_protocol; }',
      'server { listen 20080 deferred bind reuseport; }',
      'server { listen 20080 so_keepalive=on; }',
      'server { listen 20080 so_keepalive=30m::10; }',
      'server { listen 20080 so_keepalive=1h30m:10s:3; }',
      'server { listen 20080 backlog=9999999999; }',
      'server { listen 20080 fastopen=0 rcvbuf=1m sndbuf=64k backlog=511; }',
      // Sizes the kernel clamps (0, negative as a C int, past net.core.rmem_max): nginx takes them, and starts.
      'server { listen 20080 rcvbuf=0 sndbuf=4294967296; }',
      'server { listen 20080 rcvbuf=2147483648 sndbuf=9007199254740991k; }',
      'server { listen 20080 rcvbuf=8796093022207m sndbuf=4194304K; }',
      'server { listen 20080 ipv6only=on; }',
      'server { listen 20080 accept_filter=x; }',
      'server { listen 20080; }\nserver { listen 20080; server_name other; }',
      'server { listen 20080 default_server; }\nserver { listen 127.0.0.1:20080 default_server; }',
      'server { listen 20080; listen 2130706433:20080; }',
    ];
    for (const body of servers) {
      const found = readNginxSite(body, expect80);
      if (typeof found === 'string') throw new Error(found);
      const refused = found.some((finding) => finding.severity === 'error' && finding.message.includes('so it does not start, or reload'));
      expect({ body, refused }).toEqual({ body, refused: nginxRefuses(body) !== undefined });
    }
  });

  it('a parameter of a newer nginx (multipath, 1.29.7; quic, 1.25) is not called invalid', () => {
    const expect80 = { name: 'Nginx', port: 20080, upstream: { name: 'FastAPI', port: 8000, metrics: '/metrics' }, snippet: 'ports snippet nginx-site' };
    for (const body of ['server { listen 20080 multipath; }', 'server { listen 20080 quic; }']) {
      const found = readNginxSite(body, expect80);
      expect(typeof found !== 'string' && found.filter((finding) => finding.severity === 'error')).toEqual([]);
    }
  });
});

describe('listen where it is no directive', () => {
  it('an entry of a map, geo, split_clients or types block is not read as a listen', async () => {
    for (const block of [
      'map $host $x { default 0; listen 8001; }',
      'geo $x { default 0; listen 8001; }',
      'split_clients "$remote_addr" $x { 50% listen; * 8001; }',
      'types { text/plain listen 8001; }',
    ])
      expect(await siteProblems('listen 80;\nlisten [::]:80;', `${block}\n`), block).toEqual([]);
    // In the server itself it is one (on MkDocs's port: an error).
    expect(await siteProblems('listen 80;\nlisten 8001;')).toEqual([
      expect.stringContaining(`${AT}:3:1: listen 8001 (in http {}) takes port 8001, which the registry gives MkDocs`),
    ]);
  });
});

/** nginx, for the tests held against it: on PATH, or Debian's (nginx-light) in /usr/sbin, outside a non-root PATH. */
const NGINX = ['nginx', '/usr/sbin/nginx'].find((command) => hasCommand(command, ['-v']));
if (!NGINX) console.warn('[skipped: missing Debian package nginx-light: install with sudo bash scripts/install-system-packages.sh]');

/** Whether a TCP connection to `host`:`port` is taken. */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * What a real nginx with `servers` (PORT their port) takes on a leased loopback port: connections to 127.0.0.1,
 * to 127.0.0.2 (another address of this host: a wildcard socket's, not 127.0.0.1's) and to ::1; or `fails`, when it
 * does not start. Stopped after, by its own handle.
 */
async function nginxTakes(servers: string): Promise<{ port: number; takes: 'fails' | Record<string, boolean> }> {
  const dir = tempDir();
  const port = leasePort();
  const pid = join(dir, 'nginx.pid');
  writeTree(dir, {
    'nginx.conf': `pid ${pid}; daemon off; worker_processes 1; error_log ${join(dir, 'error.log')}; events { worker_connections 16; }\nhttp { access_log off;\n${servers.replaceAll('PORT', String(port))}\n}\n`,
  });
  const child = spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    // nginx writes its pid file once its sockets are open; it exits when one cannot be.
    const deadline = Date.now() + 5000;
    while (!existsSync(pid) && child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    if (child.exitCode !== null) return { port, takes: 'fails' };
    return {
      port,
      takes: { '127.0.0.1': await connects('127.0.0.1', port), '127.0.0.2': await connects('127.0.0.2', port), '::1': await connects('::1', port) },
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
}

describe('held to a real nginx', () => {
  it.skipIf(!NGINX)('what the reader says of the port’s sockets is what nginx opens', { timeout: 60_000 }, async () => {
    // Each: the servers, what the reader says, and what nginx takes (a public site: IPv4 from elsewhere is 127.0.0.2 here).
    const cases: readonly { servers: string; reader: string; nginx: 'fails' | Record<string, boolean> }[] = [
      { servers: 'server { listen [::]:PORT; }', reader: 'takes IPv6 connections only', nginx: { '127.0.0.1': false, '127.0.0.2': false, '::1': true } },
      { servers: 'server { listen [::]:PORT ipv6only=off; }', reader: 'ok', nginx: { '127.0.0.1': true, '127.0.0.2': true, '::1': true } },
      {
        servers: 'server { listen PORT; }\nserver { listen 127.0.0.1:PORT; server_name localhost; }',
        reader: 'ok',
        nginx: { '127.0.0.1': true, '127.0.0.2': true, '::1': false },
      },
      {
        servers: 'server { listen 127.0.0.1:PORT; }',
        reader: 'accepts connections from this host only',
        nginx: { '127.0.0.1': true, '127.0.0.2': false, '::1': false },
      },
      {
        servers: 'server { listen 127.0.0.1:PORT; listen [::]:PORT; }',
        reader: 'takes connections from this host only',
        nginx: { '127.0.0.1': true, '127.0.0.2': false, '::1': true },
      },
      { servers: 'server { listen PORT; }\nserver { listen 127.0.0.1:PORT backlog=10; }', reader: 'Address already in use', nginx: 'fails' },
      { servers: 'server { listen PORT; }\nserver { listen 127.0.0.1:PORT bind; }', reader: 'Address already in use', nginx: 'fails' },
      { servers: 'server { listen PORT; listen [::]:PORT ipv6only=off; }', reader: 'Address already in use', nginx: 'fails' },
      { servers: 'server { listen [::]:PORT ipv6only=off; }\nserver { listen 127.0.0.1:PORT; }', reader: 'Address already in use', nginx: 'fails' },
      {
        servers: 'server { listen PORT reuseport; }\nserver { listen 127.0.0.1:PORT reuseport; }',
        reader: 'ok',
        nginx: { '127.0.0.1': true, '127.0.0.2': true, '::1': false },
      },
      // Buffer sizes past the kernel's limits, or negative as a C int: clamped, and nginx starts.
      {
        servers: 'server { listen PORT rcvbuf=2147483648 sndbuf=9007199254740991k; }',
        reader: 'ok',
        nginx: { '127.0.0.1': true, '127.0.0.2': true, '::1': false },
      },
    ];
    for (const { servers, reader, nginx } of cases) {
      const run = await nginxTakes(servers);
      const text = servers.replaceAll('PORT', String(run.port));
      const found = readNginxSite(text, {
        name: 'Nginx',
        port: run.port,
        access: 'public',
        upstream: { name: 'FastAPI', port: 8000, metrics: '/metrics' },
        snippet: 'ports snippet nginx-site',
      });
      if (typeof found === 'string') throw new Error(found);
      const errors = found.filter((finding) => finding.severity === 'error' && !finding.message.includes('FastAPI'));
      const said = errors.length === 0 ? 'ok' : errors.map((finding) => finding.message).join('\n');
      expect({ servers, nginx: run.takes, reader: reader === 'ok' ? said : said.includes(reader) }).toEqual({
        servers,
        nginx,
        reader: reader === 'ok' ? 'ok' : true,
      });
    }
  });
});

describe('listens elsewhere in what nginx loads', () => {
  const ENABLED = 'etc/nginx/sites-enabled/dsa110-contimg';
  const GOOD = `server {\nlisten 80;\nlisten [::]:80;\n${LOCATIONS}\n}\n`;

  /** The references check's problems with nginx.conf `conf` (and `files`), the site enabled by a link unless `enabled` is false. */
  async function configProblems(conf: string, files: Record<string, string> = {}, { site = GOOD, enabled = true } = {}): Promise<string[]> {
    const root = writeTree(tempDir(), {
      [SITE]: site,
      'etc/nginx/nginx.conf': conf,
      ...(enabled && { [ENABLED]: { symlink: '../sites-available/dsa110-contimg' } }),
      ...files,
    });
    const facts = await gather({ registry, root });
    return checkReferences(facts, registry.service('nginx'))
      .map((result) => withoutRoot(result, root))
      .filter((result) => result.severity !== 'ok')
      .map((result) => `${result.severity}: ${result.reason}`);
  }
  const http = (servers: string) => `events {}\nhttp {\n${servers}\n  include /etc/nginx/sites-enabled/*;\n}\n`;

  it('one on another service’s port (a stream proxy on Redis’s, a server on the API’s) is an error at its line', async () => {
    const conf = `events {}\nstream { server { listen 127.0.0.1:6379; proxy_pass 10.0.0.9:6379; } }\n${http('  server { listen 8000; }').slice('events {}\n'.length)}`;
    expect(await configProblems(conf)).toEqual([
      'error: nginx (80): /etc/nginx/nginx.conf:2:19: listen 127.0.0.1:6379 (in stream {}) takes port 6379, which the registry gives Redis: nginx holds it, so Redis cannot listen there, and claim-port, freeing it for Redis, would stop nginx; move this listen to a port the registry gives no service, or give Redis another port in the registry',
      'error: nginx (80): /etc/nginx/nginx.conf:4:12: listen 8000 (in http {}) takes port 8000, which the registry gives FastAPI: nginx holds it, so FastAPI cannot listen there, and claim-port, freeing it for FastAPI, would stop nginx; move this listen to a port the registry gives no service, or give FastAPI another port in the registry',
    ]);
    // In a file nginx.conf includes, said there; a port no service has, a map's entry, or the site not loaded change nothing of it.
    const included = http('  include /etc/nginx/conf.d/*.conf;\n  map $host $x { default 0; listen 6379; }\n  server { listen 8081; }');
    expect(await configProblems(included, { 'etc/nginx/conf.d/docs.conf': 'server {\n  listen 127.0.0.1:8001;\n}\n' })).toEqual([
      'error: nginx (80): /etc/nginx/conf.d/docs.conf:2:3: listen 127.0.0.1:8001 (in http {}) takes port 8001, which the registry gives MkDocs: nginx holds it, so MkDocs cannot listen there; move this listen to a port the registry gives no service, or give MkDocs another port in the registry',
    ]);
    expect(await configProblems(http('  server { listen 8000; }'), {}, { enabled: false })).toEqual([
      expect.stringContaining('nginx does not load this file'),
      expect.stringContaining('listen 8000 (in http {}) takes port 8000, which the registry gives FastAPI'),
    ]);
  });

  it('the port’s sockets count every server nginx loads: a stub_status server in nginx.conf; the site’s reach is its own listens’', async () => {
    const status = '  server { listen 127.0.0.1:80; server_name localhost; location /nginx_status { stub_status; } }';
    // No socket clash; but nginx answers every connection to 127.0.0.1:80 with that server, whatever its Host header.
    expect(await configProblems(http(status))).toEqual([
      expect.stringContaining(
        '/etc/nginx/sites-available/dsa110-contimg:2:1: listen 80 does not take connections to 127.0.0.1:80: listen 127.0.0.1:80 (/etc/nginx/nginx.conf:3:12) is on that address itself',
      ),
    ]);
    // Another server's listen 80 opens 0.0.0.0:80, but nginx answers IPv4 connections there with that server, not the site's [::] one.
    const v6 = `server {\nlisten [::]:80;\n${LOCATIONS}\n}\n`;
    expect(await configProblems(http('  server { listen 80 default_server; return 444; }'), {}, { site: v6 })).toEqual([
      expect.stringContaining('/etc/nginx/sites-available/dsa110-contimg:2:1: listen [::]:80 takes IPv6 connections only'),
    ]);
    // The same listen twice, once in nginx.conf and once in the site: nginx -t refuses the second default_server.
    const twice = `server {\nlisten 80 default_server;\nlisten [::]:80;\n${LOCATIONS}\n}\n`;
    expect(await configProblems(http('  server { listen 80 default_server; return 444; }'), {}, { site: twice })).toEqual([
      expect.stringMatching(
        /^error: nginx \(80\): \/etc\/nginx\/sites-available\/dsa110-contimg:2:1: listen 80 default_server: nginx refuses it, as listen 80 default_server \(\/etc\/nginx\/nginx\.conf:3\) is default_server on 0\.0\.0\.0:80 too/,
      ),
    ]);
  });
});
