// What a listen's parameters make nginx want first on a connection, against what the registry's clients send: a
// PROXY protocol header (`proxy_protocol`, which only a proxy in front sends: nginx drops any other connection
// unanswered) and, for plain HTTP, HTTP/2 (`http2` without `ssl`: before nginx 1.25.1 the port speaks HTTP/2 alone,
// answering an HTTP/1.1 request with HTTP/2 frames). nginx -t passes both. What each error says a client gets is
// held to the real nginx (Debian's, 1.22), run in a network namespace of the test's own.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry, parseRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { readNginxSite } from '../../../src/checks/references/nginx.js';
import { gather } from '../../../src/gather.js';
import { hasCommand } from '../../../../../test-support/commands.js';
import { runNetnsScript } from '../../../../../test-support/firewall-netns.js';
import { tempDir, withoutRoot, writeTree } from '../../helpers.js';

const fixtures = new URL('fixtures/', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(fixtures, 'schemes/ports.yaml') });
/** The registry with Edge and TLS on loopback (access: localhost), for sites whose listens are 127.0.0.1's. */
const LOCAL = readFileSync(join(fixtures, 'schemes/ports.yaml'), 'utf8').replace(/(port: 844[34]\n {4}protocol: HTTPS?\n {4}access: )public/g, '$1localhost');
const localRegistry = parseRegistry(LOCAL, { source: 'ports.yaml' });
const EDGE = 'etc/nginx/sites-enabled/edge';
const TLS_SITE = 'etc/nginx/sites-enabled/tls';
const PASS =
  'location /api/ { proxy_pass http://127.0.0.1:8001; }\n    location /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://127.0.0.1:8001; }';

/** The references check's problems for the registry's service `id` with its site (`path`) of `servers`, and `files`, as `severity: reason`. */
async function problems(id: string, path: string, servers: string, files: Record<string, string> = {}, ports = registry): Promise<string[]> {
  const root = writeTree(tempDir(), { [path]: servers, ...files });
  const facts = await gather({ registry: ports, root });
  return checkReferences(facts, ports.service(id))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

const site = (listen: string) => `server {\n    listen ${listen};\n    ${PASS}\n}\n`;

describe('proxy_protocol on the site’s port', () => {
  it('is an error for a plain-HTTP site and an HTTPS one, at its file:line:col, with the listen to write', async () => {
    expect(await problems('edge', EDGE, site('8443 proxy_protocol'))).toEqual([
      `error: edge (8443): /${EDGE}:2:5: listen 8443 proxy_protocol makes nginx read a PROXY protocol header first on every connection to it, which only a proxy in front of nginx sends, but the registry says clients reach Edge by plain HTTP on port 8443, so a plain HTTP request (a browser's, curl's) gets no answer: nginx drops the connection ("broken header" in its error log), though nginx -t passes; write listen 8443; (ports snippet nginx-site)`,
    ]);
    const tls = site('8444 ssl http2 proxy_protocol').replace('listen', 'ssl_certificate /c.pem;\n    ssl_certificate_key /k.pem;\n    listen');
    expect(await problems('tls', TLS_SITE, tls)).toEqual([
      `error: tls (8444): /${TLS_SITE}:4:5: listen 8444 ssl http2 proxy_protocol makes nginx read a PROXY protocol header first on every connection to it, which only a proxy in front of nginx sends, but the registry says clients reach TLS by HTTPS on port 8444, so a client's TLS handshake gets no answer: nginx drops the connection ("broken header" in its error log), though nginx -t passes; write listen 8444 ssl http2; (ports snippet nginx-site)`,
    ]);
  });

  it('beside a wrong ssl, each is said, and the listen to write drops both; an ssl on leaves it said', async () => {
    const found = await problems('edge', EDGE, site('8443 ssl proxy_protocol'));
    expect(found).toEqual([
      expect.stringContaining(`/${EDGE}:2:5: listen 8443 ssl proxy_protocol serves TLS, but the registry says Edge is plain HTTP, `),
      expect.stringContaining(`/${EDGE}:2:5: listen 8443 ssl proxy_protocol makes nginx read a PROXY protocol header first `),
    ]);
    for (const problem of found) expect(problem).toContain('; write listen 8443; (ports snippet nginx-site)');
    expect(await problems('edge', EDGE, site('8443 proxy_protocol').replace('    location', '    ssl on;\n    location'))).toEqual([
      expect.stringMatching(/^unknown: .*:3:5: ssl on turns TLS on for every listen of its server/),
      expect.stringContaining(`/${EDGE}:2:5: listen 8443 proxy_protocol makes nginx read a PROXY protocol header first `),
    ]);
  });

  it('a listen on another port (a proxy’s own entry to the site) is not held to it', async () => {
    expect(await problems('edge', EDGE, `${site('8443')}server { listen 127.0.0.1:18443 proxy_protocol; ${PASS} }\n`)).toEqual([]);
  });
});

describe('http2 without ssl on a plain-HTTP site’s port', () => {
  const said = (listen: string, at: string, fixed = '8443') =>
    `error: edge (8443): /${EDGE}:${at}: listen ${listen} makes port 8443 HTTP/2 alone (cleartext, for clients that know it beforehand) on nginx before 1.25.1, but the registry says Edge is plain HTTP, so a plain HTTP/1.1 request (a browser's, curl's) is answered with HTTP/2 frames and the connection closed (curl: "Received HTTP/0.9 when not allowed"), though nginx -t passes; write listen ${fixed}; (ports snippet nginx-site), and http2 on; beside it for cleartext HTTP/2 too on nginx 1.25.1 or later (which serves both on a plain listen, and deprecates the http2 parameter)`;

  it('is an error at its file:line:col, naming the nginx versions it holds for', async () => {
    expect(await problems('edge', EDGE, site('8443 http2'))).toEqual([said('8443 http2', '2:5')]);
  });

  it('set by another server on the address and port, it is said there (nginx keeps one http2 per address and port)', async () => {
    expect(await problems('edge', EDGE, `${site('8443')}server {\n    listen 8443 http2;\n    server_name other;\n}\n`)).toEqual([said('8443 http2', '7:5')]);
    // On an address of its own, it is that address's alone (nginx keeps options per address): the site's listen is plain
    // HTTP/1.1, and what is wrong is that the other server takes 127.0.0.1 from the site, said once.
    expect(await problems('edge', EDGE, `${site('8443')}server {\n    listen 127.0.0.1:8443 http2;\n}\n`)).toEqual([
      expect.stringContaining('listen 8443 does not take connections to 127.0.0.1:8443: listen 127.0.0.1:8443 http2 (line 7:5) is on that address itself'),
    ]);
  });

  it('with TLS (ssl here, or on its address and port) it is HTTP/2 by ALPN beside HTTP/1.1: fine for HTTPS, and an ssl error alone for plain HTTP, whose fix drops http2 too', async () => {
    const tls = site('8444 ssl http2').replace('listen', 'ssl_certificate /c.pem;\n    ssl_certificate_key /k.pem;\n    listen');
    expect(await problems('tls', TLS_SITE, tls)).toEqual([]);
    expect(await problems('edge', EDGE, site('8443 ssl http2'))).toEqual([
      `error: edge (8443): /${EDGE}:2:5: listen 8443 ssl http2 serves TLS, but the registry says Edge is plain HTTP, so a plain HTTP request is answered 400 ("The plain HTTP request was sent to HTTPS port"); write listen 8443; (ports snippet nginx-site), or give Edge protocol: HTTPS in the registry`,
    ]);
    expect(await problems('edge', EDGE, `${site('8443 http2')}server { listen 8443 ssl; server_name other; }\n`)).toEqual([
      expect.stringContaining(`/${EDGE}:6:10: listen 8443 ssl serves TLS, but the registry says Edge is plain HTTP, `),
    ]);
  });
});

describe('set by a server of another file nginx loads, on the site’s address and port', () => {
  /** The site, its server named as the requests' Host (localhost): the server nginx picks for them. */
  const named = (listen: string) => site(listen).replace('{\n', '{\n    server_name localhost;\n');
  /** nginx.conf including conf.d/*.conf (a server listening with `listen`) before the sites. */
  const loading = (listen: string) => ({
    'etc/nginx/nginx.conf': 'events {}\nhttp {\n  include /etc/nginx/conf.d/*.conf;\n  include /etc/nginx/sites-enabled/*;\n}\n',
    'etc/nginx/conf.d/a.conf': `server {\n    listen ${listen};\n    server_name other;\n}\n`,
  });

  it('http2 and proxy_protocol there are said there, as they make the site’s port HTTP/2, or PROXY protocol, too (they were not seen)', async () => {
    expect(await problems('edge', EDGE, named('8443'), loading('8443 http2'))).toEqual([
      expect.stringContaining(
        `/etc/nginx/conf.d/a.conf:2:5: listen 8443 http2 makes port 8443 HTTP/2 alone (cleartext, for clients that know it beforehand) on nginx before 1.25.1, `,
      ),
    ]);
    expect(await problems('edge', EDGE, named('8443'), loading('8443 proxy_protocol'))).toEqual([
      expect.stringContaining(
        `/etc/nginx/conf.d/a.conf:2:5: listen 8443 proxy_protocol makes nginx read a PROXY protocol header first on every connection to it, `,
      ),
    ]);
  });

  it('ssl there makes the site’s listen TLS: an error for a plain-HTTP site, and none for an HTTPS one without ssl of its own', async () => {
    expect(await problems('edge', EDGE, named('8443'), loading('8443 ssl'))).toEqual([
      expect.stringContaining(`/etc/nginx/conf.d/a.conf:2:5: listen 8443 ssl serves TLS, but the registry says Edge is plain HTTP, `),
    ]);
    const tls = named('8444').replace('listen', 'ssl_certificate /c.pem;\n    ssl_certificate_key /k.pem;\n    listen');
    expect(await problems('tls', TLS_SITE, tls, loading('8444 ssl'))).toEqual([]);
  });

  it('on the wildcard beside the site’s own address (127.0.0.1), it is not the site’s: each address keeps options of its own', async () => {
    for (const option of ['http2', 'ssl', 'proxy_protocol']) {
      expect({ option, found: await problems('edge', EDGE, named('127.0.0.1:8443'), loading(`8443 ${option}`), localRegistry) }).toEqual({ option, found: [] });
    }
    // An HTTPS site's TLS is its own address's too: a plain wildcard beside it leaves it TLS, and is not said.
    const tls = named('127.0.0.1:8444 ssl').replace('listen', 'ssl_certificate /c.pem;\n    ssl_certificate_key /k.pem;\n    listen');
    expect(await problems('tls', TLS_SITE, tls, loading('8444'), localRegistry)).toEqual([]);
  });

  it('on the site’s address in another spelling (127.1, [0::1]), it is the site’s', async () => {
    expect(await problems('edge', EDGE, named('127.0.0.1:8443'), loading('127.1:8443 http2'), localRegistry)).toEqual([
      expect.stringContaining('/etc/nginx/conf.d/a.conf:2:5: listen 127.1:8443 http2 makes port 8443 HTTP/2 alone '),
    ]);
    expect(await problems('edge', EDGE, named('127.0.0.1:8443;\n    listen [::1]:8443'), loading('[0::1]:8443 ssl'), localRegistry)).toEqual([
      expect.stringContaining('/etc/nginx/conf.d/a.conf:2:5: listen [0::1]:8443 ssl serves TLS, but the registry says Edge is plain HTTP, '),
    ]);
  });

  it('on another port, or where nginx does not load the site, it is not the site’s', async () => {
    expect(await problems('edge', EDGE, named('8443'), loading('8445 http2 proxy_protocol'))).toEqual([]);
    const elsewhere = { ...loading('8443 http2'), 'etc/nginx/nginx.conf': 'events {}\nhttp {\n  include /etc/nginx/conf.d/*.conf;\n}\n' };
    expect((await problems('edge', EDGE, named('8443'), elsewhere)).filter((problem) => problem.includes('/etc/nginx/conf.d/a.conf'))).toEqual([]);
  });
});

/** What the site reader alone says of `text`'s listens on PORT (its errors that start with `listen `). */
function siteSays(text: string, scheme: 'http' | 'https'): string[] {
  const found = readNginxSite(text, {
    name: 'Nginx',
    port: 18080,
    scheme,
    upstream: { name: 'FastAPI', port: 8000, metrics: '/metrics' },
    snippet: 'ports snippet nginx-site',
  });
  if (typeof found === 'string') throw new Error(found);
  return found.filter((finding) => finding.severity === 'error' && finding.message.startsWith('listen ')).map((finding) => finding.message);
}

/** What the references check says of the listens, for Edge (on 18080, by `scheme`, of `access`) in sites-enabled/edge, when nginx.conf's http {} is `http` and it includes `files`. */
async function loadedSays(http: string, files: Record<string, string>, scheme: 'http' | 'https', access = 'public'): Promise<string[]> {
  const yaml = readFileSync(join(fixtures, 'schemes/ports.yaml'), 'utf8');
  const text = yaml.replace('port: 8443\n    protocol: HTTP\n    access: public', `port: 18080\n    protocol: ${scheme.toUpperCase()}\n    access: ${access}`);
  const edge = parseRegistry(text, { source: 'ports.yaml' });
  const root = writeTree(tempDir(), {
    'etc/nginx/nginx.conf': `events {}\nhttp {\n${http.replaceAll('include ', 'include /etc/nginx/')}\n}\n`,
    ...Object.fromEntries(
      Object.entries(files).map(([path, text]) => [
        `etc/nginx/${path}`,
        text.replaceAll('PORT', '18080').replaceAll('CERT', 'ssl_certificate /c.pem; ssl_certificate_key /k.pem;'),
      ]),
    ),
  });
  const facts = await gather({ registry: edge, root, services: [edge.service('edge')] });
  return checkReferences(facts, edge.service('edge'))
    .filter((result) => result.severity === 'error' && result.reason.includes(': listen '))
    .map((result) => result.reason);
}

/** nginx, for the tests held against it: on PATH, or Debian's in /usr/sbin, outside a non-root PATH. */
const NGINX = ['nginx', '/usr/sbin/nginx'].find((command) => hasCommand(command, ['-v']));
const canRun =
  process.getuid?.() === 0 && NGINX !== undefined && hasCommand('unshare', ['--version']) && hasCommand('ip', ['-V']) && hasCommand('openssl', ['version']);
const CURL = hasCommand('curl', ['--version']);
if (!canRun) console.warn('[skipped: a real nginx in a network namespace needs root, nginx (Debian package nginx-light), unshare, ip and openssl]');

describe('held to a real nginx', () => {
  /** A port of the test's own network namespace: nothing else listens there. */
  const PORT = 18080;
  /**
   * Each case: the servers of http {} (PORT their port), the files it includes (read by the whole check, the site's
   * `sites-enabled/edge`), the registry's protocol (and access, where not public), what the reader says of the listens
   * (and, `unsaid`, what it does not), and what each probe gets.
   */
  const cases: readonly {
    name: string;
    servers: string;
    files?: Record<string, string>;
    scheme: 'http' | 'https';
    access?: 'localhost';
    reader: string;
    unsaid?: string;
    probes: Record<string, string>;
  }[] = [
    { name: 'plain', servers: 'server { listen PORT; return 200; }', scheme: 'http', reader: 'ok', probes: { http: 'HTTP/1.1 200' } },
    {
      name: 'http2',
      servers: 'server { listen PORT http2; return 200; }',
      scheme: 'http',
      reader: 'is answered with HTTP/2 frames and the connection closed (curl: "Received HTTP/0.9 when not allowed")',
      probes: { http: 'HTTP/2 SETTINGS,WINDOW_UPDATE,GOAWAY then closed', h2c: 'HTTP/2 SETTINGS first', curl: 'curl: (1) Received HTTP/0.9 when not allowed' },
    },
    {
      name: 'http2-elsewhere',
      servers: 'server { listen PORT; return 200; }\nserver { listen PORT http2; server_name other; return 200; }',
      scheme: 'http',
      reader: 'is answered with HTTP/2 frames and the connection closed',
      probes: { http: 'HTTP/2 SETTINGS,WINDOW_UPDATE,GOAWAY then closed' },
    },
    {
      name: 'proxy',
      servers: 'server { listen PORT proxy_protocol; return 200; }',
      scheme: 'http',
      reader: 'a plain HTTP request (a browser\'s, curl\'s) gets no answer: nginx drops the connection ("broken header" in its error log)',
      probes: { http: 'closed, nothing sent', curl: 'curl: (52) Empty reply from server', log: 'broken header' },
    },
    {
      name: 'ssl-proxy',
      servers: 'server { listen PORT ssl proxy_protocol; CERT return 200; }',
      scheme: 'https',
      reader: "a client's TLS handshake gets no answer: nginx drops the connection",
      probes: { tls: 'reset, nothing sent', log: 'broken header' },
    },
    {
      // The site's own server, picked by the requests' Host, on a port another file's server makes HTTP/2 alone.
      name: 'http2-other-file',
      servers: 'include conf.d/*.conf;\ninclude sites-enabled/*;',
      files: {
        'conf.d/a.conf': 'server { listen PORT http2; server_name other; return 200; }',
        'sites-enabled/edge': 'server { listen PORT; server_name localhost; return 200; }',
      },
      scheme: 'http',
      reader: 'is answered with HTTP/2 frames and the connection closed',
      probes: { http: 'HTTP/2 SETTINGS,WINDOW_UPDATE,GOAWAY then closed', curl: 'curl: (1) Received HTTP/0.9 when not allowed' },
    },
    {
      name: 'proxy-other-file',
      servers: 'include conf.d/*.conf;\ninclude sites-enabled/*;',
      files: {
        'conf.d/a.conf': 'server { listen PORT proxy_protocol; server_name other; return 200; }',
        'sites-enabled/edge': 'server { listen PORT; server_name localhost; return 200; }',
      },
      scheme: 'http',
      reader: "a plain HTTP request (a browser's, curl's) gets no answer",
      probes: { http: 'closed, nothing sent', log: 'broken header' },
    },
    {
      // ssl on another file's listen of the address and port: the site's plain listen serves TLS too.
      name: 'ssl-other-file',
      servers: 'include conf.d/*.conf;\ninclude sites-enabled/*;',
      files: {
        'conf.d/a.conf': 'server { listen PORT ssl; server_name other; CERT return 200; }',
        'sites-enabled/edge': 'server { listen PORT; server_name localhost; CERT return 200; }',
      },
      scheme: 'https',
      reader: 'ok',
      probes: { tls: 'HTTP/1.1 200' },
    },
    {
      // Another file's wildcard http2 beside the site's 127.0.0.1: HTTP/2 on the addresses no listen names, the site's plain.
      name: 'http2-wildcard-beside',
      servers: 'include conf.d/*.conf;\ninclude sites-enabled/*;',
      files: {
        'conf.d/a.conf': 'server { listen PORT http2; server_name other; return 200; }',
        'sites-enabled/edge': 'server { listen 127.0.0.1:PORT; server_name localhost; return 200; }',
      },
      scheme: 'http',
      access: 'localhost',
      reader: 'ok',
      probes: { http: 'HTTP/1.1 200', 'http@127.0.0.2': 'HTTP/2 SETTINGS,WINDOW_UPDATE,GOAWAY then closed' },
    },
    {
      name: 'ssl-wildcard-beside',
      servers: 'include conf.d/*.conf;\ninclude sites-enabled/*;',
      files: {
        'conf.d/a.conf': 'server { listen PORT ssl; server_name other; CERT return 200; }',
        'sites-enabled/edge': 'server { listen 127.0.0.1:PORT; server_name localhost; return 200; }',
      },
      scheme: 'http',
      access: 'localhost',
      reader: 'ok',
      probes: { http: 'HTTP/1.1 200', 'http@127.0.0.2': 'HTTP/1.1 400' },
    },
    {
      name: 'proxy-wildcard-beside',
      servers: 'include conf.d/*.conf;\ninclude sites-enabled/*;',
      files: {
        'conf.d/a.conf': 'server { listen PORT proxy_protocol; server_name other; return 200; }',
        'sites-enabled/edge': 'server { listen 127.0.0.1:PORT; server_name localhost; return 200; }',
      },
      scheme: 'http',
      access: 'localhost',
      reader: 'ok',
      probes: { http: 'HTTP/1.1 200', 'http@127.0.0.2': 'closed, nothing sent', log: 'broken header' },
    },
    {
      // An HTTPS site's own ssl on 127.0.0.1, a plain wildcard beside it.
      name: 'plain-wildcard-beside-ssl',
      servers: 'include conf.d/*.conf;\ninclude sites-enabled/*;',
      files: {
        'conf.d/a.conf': 'server { listen PORT; server_name other; return 200; }',
        'sites-enabled/edge': 'server { listen 127.0.0.1:PORT ssl; server_name localhost; CERT return 200; }',
      },
      scheme: 'https',
      access: 'localhost',
      reader: 'ok',
      probes: { tls: 'HTTP/1.1 200', 'http@127.0.0.2': 'HTTP/1.1 200' },
    },
    {
      // The same address spelled 127.1: one set of options, the site's HTTP/2 too.
      name: 'http2-same-address',
      servers: 'include conf.d/*.conf;\ninclude sites-enabled/*;',
      files: {
        'conf.d/a.conf': 'server { listen 127.1:PORT http2; server_name other; return 200; }',
        'sites-enabled/edge': 'server { listen 127.0.0.1:PORT; server_name localhost; return 200; }',
      },
      scheme: 'http',
      access: 'localhost',
      reader: 'is answered with HTTP/2 frames and the connection closed',
      probes: { http: 'HTTP/2 SETTINGS,WINDOW_UPDATE,GOAWAY then closed' },
    },
    {
      // Another server's http2 on 127.0.0.1 beside the site's wildcard: 127.0.0.1 is that server's (HTTP/2), said as
      // taken from the site, not as making the site HTTP/2; the site, on other addresses, is plain.
      name: 'http2-loopback-beside-wildcard',
      servers: 'include conf.d/*.conf;\ninclude sites-enabled/*;',
      files: {
        'conf.d/a.conf': 'server { listen 127.0.0.1:PORT http2; server_name other; return 200; }',
        'sites-enabled/edge': 'server { listen PORT; server_name localhost; return 200; }',
      },
      scheme: 'http',
      reader: 'listen 18080 does not take connections to 127.0.0.1:18080',
      unsaid: 'HTTP/2 alone',
      probes: { http: 'HTTP/2 SETTINGS,WINDOW_UPDATE,GOAWAY then closed', 'http@127.0.0.2': 'HTTP/1.1 200' },
    },
    { name: 'ssl-http2', servers: 'server { listen PORT ssl http2; CERT return 200; }', scheme: 'https', reader: 'ok', probes: { tls: 'HTTP/1.1 200' } },
    {
      name: 'ssl',
      servers: 'server { listen PORT ssl; CERT return 200; }',
      scheme: 'http',
      reader: 'a plain HTTP request is answered 400',
      probes: { http: 'HTTP/1.1 400' },
    },
  ];

  it.skipIf(!canRun)('what each error says a client gets is what it gets', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-days', '1']);
    expect(made.status, made.stderr.toString()).toBe(0);
    const probed = (probes: Record<string, string>) => Object.keys(probes).filter((probe) => probe !== 'log' && (probe !== 'curl' || CURL));
    for (const { name, servers, files, probes } of cases) {
      const http = servers.replaceAll('PORT', String(PORT)).replaceAll('CERT', `ssl_certificate ${cert}; ssl_certificate_key ${key};`);
      writeTree(join(dir, 'cases'), {
        ...Object.fromEntries(
          Object.entries(files ?? {}).map(([path, text]) => [
            `${name}/${path}`,
            `${text.replaceAll('PORT', String(PORT)).replaceAll('CERT', `ssl_certificate ${cert}; ssl_certificate_key ${key};`)}\n`,
          ]),
        ),
        [`${name}/nginx.conf`]: `pid ${join(dir, 'cases', name, 'nginx.pid')}; daemon off; worker_processes 1; events { worker_connections 16; }\nhttp { access_log off;\n${http}\n}\n`,
        [`${name}/probes`]: probed(probes)
          .map((probe) => `${probe}\n`)
          .join(''),
      });
    }
    const run = await runNetnsScript({
      script: join(fixtures, 'first-bytes/netns.sh'),
      args: [join(dir, 'cases'), String(PORT), process.execPath],
      env: {},
      timeoutMs: 50_000,
    });
    const got = run.output.trim().split('\n');
    for (const { name, servers, files, scheme, access, reader, unsaid, probes } of cases) {
      const text = servers.replaceAll('PORT', String(PORT)).replaceAll('CERT', 'ssl_certificate /c.pem; ssl_certificate_key /k.pem;');
      const said = files === undefined ? siteSays(text, scheme) : await loadedSays(text, files, scheme, access);
      expect({ name, reader: reader === 'ok' ? said : said.some((message) => message.includes(reader)) }).toEqual({
        name,
        reader: reader === 'ok' ? [] : true,
      });
      if (unsaid !== undefined) expect({ name, unsaid: said.filter((message) => message.includes(unsaid)) }).toEqual({ name, unsaid: [] });
      const answers = got
        .filter((line) => line.startsWith(`${name} `))
        .map((line) => line.slice(name.length + 1))
        .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]);
      const wanted = Object.entries(probes).filter(([probe]) => probe !== 'curl' || CURL);
      expect({ name, answers: Object.fromEntries(answers) }).toEqual({ name, answers: Object.fromEntries(wanted) });
    }
  });
});
