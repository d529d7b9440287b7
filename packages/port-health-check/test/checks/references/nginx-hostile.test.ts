// readNginxSite against sites built to hurt it: includes that multiply,
// words of megabytes, access rules and locations that look restricted but are
// not as nginx reads them, proxy targets written the ways nginx accepts.
// Pure: the included files are given as gather() would have read them.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/checks/references/finding.js';
import {
  MAX_MAPPED_PATHS,
  MAX_SITE_BYTES,
  MAX_SITE_STATEMENTS,
  nginxLocationFor,
  nginxStatements,
  readNginxSite,
} from '../../../src/checks/references/nginx.js';
import { hasCommand, leasePort } from '../../../../../test-support/index.js';
import { tempDir, writeTree } from '../../helpers.js';

const SELF = '/etc/nginx/sites-available/dsa110-contimg';
const EXPECT = { name: 'Nginx', port: 80, upstream: { name: 'FastAPI', port: 8000, metrics: '/metrics' }, snippet: 'ports snippet nginx-site' };
const API = 'location /api/ { proxy_pass http://127.0.0.1:8000; }';
const METRICS = 'location /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://127.0.0.1:8000; }';

type Files = Record<string, readonly { path: string; text: string }[]>;

function read(text: string, files: Files = {}): Finding[] | string {
  return readNginxSite(text, EXPECT, (pattern) => (files[pattern] ? { files: files[pattern] } : undefined), SELF);
}

/** The problems as `file:line: severity: message`, or the reason the site cannot be checked. */
function problems(text: string, files: Files = {}): string[] | string {
  const found = read(text, files);
  if (typeof found === 'string') return found;
  return found
    .filter((finding) => finding.severity !== 'ok')
    .map((finding) => `${finding.file ?? SELF}:${finding.line}: ${finding.severity}: ${finding.message}`);
}

/** A site whose server holds `body` besides a good listen (and, unless left out, the good /api/ and /metrics locations). */
const site = (body: string, { api = true, metrics = true } = {}) => `server {\nlisten 80;\n${api ? API : ''}\n${metrics ? METRICS : ''}\n${body}\n}\n`;

describe('an include that cannot be read, given on several lines', () => {
  it('is one unknown, at its first line, naming the others (as the Redis reader says it)', () => {
    const text =
      'server {\nlisten 80;\nlocation /api/ { include proxy-api.conf; }\nlocation /metrics { allow 127.0.0.1; deny all; include proxy-api.conf; }\n}\n';
    const found = problems(text, { '/etc/nginx/shared.conf': [] });
    expect(found).toEqual([
      expect.stringMatching(
        /^\/etc\/nginx\/sites-available\/dsa110-contimg:3: unknown: include proxy-api\.conf: .*; a listen or proxy_pass in it is not checked \(the same include at \/etc\/nginx\/sites-available\/dsa110-contimg:4\)$/,
      ),
    ]);
    // A file that holds it, included twice: its line is one place, said once.
    const twice = problems('server {\nlisten 80;\ninclude shared.conf;\ninclude shared.conf;\n}\n', {
      '/etc/nginx/shared.conf': [{ path: '/etc/nginx/shared.conf', text: 'include proxy-api.conf;\n' }],
    });
    expect((twice as string[]).filter((line) => line.includes(': unknown: '))).toEqual([
      expect.stringMatching(/^\/etc\/nginx\/shared\.conf:1: unknown: include proxy-api\.conf: .*is not checked$/),
    ]);
  });
});

describe('an include that cannot be read, repeated by the thousand', () => {
  it('30,000 times is one unknown in well under a second (each line was searched for among the others: 12 s)', () => {
    const started = performance.now();
    const found = problems(site('include /etc/nginx/secret.conf;\n'.repeat(30000)));
    expect(performance.now() - started).toBeLessThan(3000);
    expect(found).toEqual([
      `${SELF}:5: unknown: include /etc/nginx/secret.conf: not read; a listen or proxy_pass in it is not checked (the same include at ${SELF}:6, ${SELF}:7, ${SELF}:8, ${SELF}:9, ${SELF}:10 and 29994 more)`,
    ]);
  });
});

describe('includes that multiply', () => {
  /** Level k includes level k+1 `fanout` times; the last level holds `leaf`. */
  function fan(fanout: number, leaf: string): Files {
    const files: Files = {};
    for (let level = 1; level <= 7; level++) {
      const path = `/etc/nginx/fan/l${level}.conf`;
      files[path] = [{ path, text: `include fan/l${level + 1}.conf;\n`.repeat(fanout) }];
    }
    files['/etc/nginx/fan/l8.conf'] = [{ path: '/etc/nginx/fan/l8.conf', text: leaf }];
    return files;
  }

  it('stops at a bound on the statements expanded: unknown, never a hang or a stack overflow', () => {
    const started = performance.now();
    const found = problems(site('include fan/l1.conf;\n'.repeat(5)), fan(5, 'listen 8080;\n'));
    expect(found).toMatch(new RegExp(`^the site and its includes come to more than ${MAX_SITE_STATEMENTS} statements`));
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('reads a repeated include within the bound, and says a problem in it once', () => {
    expect(problems(site('include fan/l1.conf;\n'.repeat(2)), fan(2, 'listen 8080;\n'))).toEqual([
      // Read twice into one server: nginx refuses the second (nginx -t: "a duplicate listen 0.0.0.0:8080").
      '/etc/nginx/fan/l8.conf:1: error: listen 8080: nginx refuses it, as listen 8080 (line 1, the same line read again through another include) in the same server is on 0.0.0.0:8080 too (nginx -t: "a duplicate listen 0.0.0.0:8080"), so it does not start, or reload, with this configuration; remove one of them',
    ]);
  });
});

describe('memory', () => {
  it('slices a word of 4 MiB from the text instead of building it a character at a time', () => {
    const text = 'x'.repeat(4 * 1024 * 1024);
    const before = process.memoryUsage().heapUsed;
    const statements = nginxStatements(text);
    const grown = process.memoryUsage().heapUsed - before;
    expect(statements[0]!.words[0]!.length).toBe(text.length);
    // Built a character at a time it held about 60 bytes per byte of the file (264 MB for 4 MiB).
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });

  it('still applies escapes, in and out of quotes', () => {
    expect(nginxStatements('a\\;b "c\\"d" \'e\\nf\' g\\x;')[0]!.words).toEqual(['a\\;b', 'c"d', 'e\nf', 'g\\x']);
  });

  it('reads at most MAX_SITE_BYTES of included text: the files past it are unknown, not read', () => {
    const big = 'x'.repeat(1024 * 1024);
    const count = MAX_SITE_BYTES / big.length + 5;
    const files = Array.from({ length: count }, (_, index) => ({ path: `/etc/nginx/big/${String(index).padStart(3, '0')}.conf`, text: big }));
    const found = problems(site('include big/*.conf;'), { '/etc/nginx/big/*.conf': files });
    expect(found).toEqual([
      expect.stringMatching(
        /^\/etc\/nginx\/sites-available\/dsa110-contimg:5: unknown: include big\/\*\.conf: \/etc\/nginx\/big\/016\.conf and the 4 after it are past the 16 MiB of text read for one site, so they are not read/,
      ),
    ]);
  });
});

describe('the /metrics location, as nginx decides access', () => {
  it('takes the first allow or deny that matches a client from elsewhere', () => {
    expect(problems(site('location /metrics { allow all; deny all; proxy_pass http://127.0.0.1:8000; }', { metrics: false }))).toEqual([
      `${SELF}:5: error: location /metrics is not restricted to localhost: allow all (line 5) admits everyone before any deny all, and nginx takes the first rule that matches; put allow 127.0.0.1; allow ::1; deny all; first`,
    ]);
    expect(problems(site('location /metrics { satisfy any; allow all; deny all; }', { metrics: false }))).toHaveLength(1);
    expect(problems(site('location /metrics { allow 10.0.0.0/8; deny all; }', { metrics: false }))).toEqual([
      expect.stringContaining('location /metrics is not restricted to localhost: allow 10.0.0.0/8 (line 5) admits'),
    ]);
    expect(problems(site('location /metrics { allow 127.0.0.0/8; allow ::1/128; allow unix:; deny all; }', { metrics: false }))).toEqual([]);
    // A deny all only for other methods (limit_except) restricts nothing for GET.
    expect(problems(site('location /metrics { limit_except POST { deny all; } }', { metrics: false }))).toEqual([
      `${SELF}:5: error: location /metrics is not restricted to localhost; add allow 127.0.0.1; deny all;`,
    ]);
  });

  it('reads allow and deny addresses by value, as nginx parses them (ngx_ptocidr), each family by its own rules', () => {
    const metrics = (rules: string) => problems(site(`location /metrics { ${rules} proxy_pass http://127.0.0.1:8000; }`, { metrics: false }));
    // Other spellings nginx takes for loopback, and for every address of a family.
    expect(metrics('allow 127.000.000.000/8; allow 0:0:0:0:0:0:0:1; deny all;')).toEqual([]);
    expect(metrics('allow 127.0.0.1; allow ::1; deny 0.0.0.0/0; deny 0::0/0;')).toEqual([]);
    // nginx drops the bits past the length: 10.0.0.0/0 is every IPv4 address, 127.0.0.1/0 too.
    expect(metrics('allow 127.0.0.1; deny 10.0.0.0/0; deny ::1/0;')).toEqual([]);
    expect(metrics('allow 127.0.0.1/0; deny all;')).toEqual([expect.stringContaining('allow 127.0.0.1/0 (line 5) admits clients from elsewhere')]);
    // An IPv4 client is denied by the first rule, an IPv6 one by the third: the allow between matches nobody.
    expect(metrics('deny 0.0.0.0/0; allow 10.0.0.0/8; deny ::/0;')).toEqual([]);
    // ...but an IPv6 allow there does.
    expect(metrics('deny 0.0.0.0/0; allow fd00::/8; deny ::/0;')).toEqual([expect.stringContaining('allow fd00::/8 (line 5) admits clients from elsewhere')]);
    expect(metrics('allow 127.0.0.1; deny 0.0.0.0/0;')).toEqual([
      `${SELF}:5: error: location /metrics is not restricted to localhost; add allow 127.0.0.1; deny all;`,
    ]);
  });

  it("inherits the server's rules when the location has none, as nginx does", () => {
    expect(problems('server { listen 80; allow 127.0.0.1; deny all; location /api/ { proxy_pass http://127.0.0.1:8000; } location /metrics { } }')).toEqual([]);
  });

  it('counts a regex location that matches /metrics: nginx takes it over the prefix location', () => {
    expect(problems(site('location ~* ^/METRICS { proxy_pass http://127.0.0.1:8000; }'))).toEqual([
      `${SELF}:5: error: location ~* ^/METRICS matches /metrics (nginx takes a matching regex location over a prefix one without ^~) and is not restricted to localhost; add allow 127.0.0.1; deny all;`,
    ]);
    expect(problems(site('location ~/metrics { }'))).toHaveLength(1);
    expect(problems(site('location ~ /metrics$ { allow 127.0.0.1; deny all; }'))).toEqual([]);
    expect(problems(site('location ~ \\.php$ { }  location ~ ^/METRICS { }'))).toEqual([]);
    expect(problems(site('location ~ (?P<x>/m) { }'))).toEqual([
      expect.stringMatching(/:5: unknown: location ~ \(\?P<x>\/m\): cannot tell whether this regular expression matches \/metrics/),
    ]);
  });
});

describe('the location nginx picks for /metrics (ngx_http_core_find_location)', () => {
  const RESTRICTED = '{ allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:8000; }';

  it('a ^~ or = location stops the search: a later regex location that matches does not serve /metrics', () => {
    expect(problems(site(`location ^~ /metrics ${RESTRICTED}\nlocation ~ / { }\nlocation ~ \\.php$ { }`, { metrics: false }))).toEqual([]);
    expect(problems(site(`location = /metrics ${RESTRICTED}\nlocation ~ / { }`, { metrics: false }))).toEqual([]);
    // A regex this check cannot judge is never reached either.
    expect(problems(site(`location ^~ /metrics ${RESTRICTED}\nlocation ~ (?P<x>/m) { }`, { metrics: false }))).toEqual([]);
    // Without ^~ the regex wins, and is the one that must be restricted.
    expect(problems(site(`location /metrics ${RESTRICTED}\nlocation ~ / { }`, { metrics: false }))).toEqual([
      `${SELF}:6: error: location ~ / matches /metrics (nginx takes a matching regex location over a prefix one without ^~) and is not restricted to localhost; add allow 127.0.0.1; deny all;`,
    ]);
  });

  it('takes the first regex location that matches, in the order written', () => {
    expect(problems(site('location ~ ^/metrics$ { allow ::1; deny all; }\nlocation ~ / { }'))).toEqual([]);
    expect(problems(site('location ~ / { }\nlocation ~ ^/metrics$ { allow ::1; deny all; }'))).toEqual([
      expect.stringContaining(`${SELF}:5: error: location ~ / matches /metrics`),
    ]);
  });

  it('reads nested locations as nginx does', () => {
    // A regex nested in location / is not reached when the longest prefix is ^~ /metrics.
    expect(problems(site(`location / { location ~ ^/metrics { } }\nlocation ^~ /metrics ${RESTRICTED}`, { metrics: false }))).toEqual([]);
    // A ^~ nested in another prefix location stops only the regexes beside it: the server's ~ / still wins.
    expect(problems(site(`location /m { location ^~ /metrics ${RESTRICTED} }\nlocation ~ / { }`, { metrics: false }))).toEqual([
      expect.stringContaining(`${SELF}:6: error: location ~ / matches /metrics`),
    ]);
    // A regex nested in the picked regex location serves, with the rules of the one around it.
    expect(problems(site('location ~ ^/m { allow 127.0.0.1; deny all; location ~ s$ { } }'))).toEqual([]);
    // A prefix location nested in a regex one is never picked (nginx builds no prefix tree there): its allow all opens nothing.
    expect(problems(site('location ~ /m { allow 127.0.0.1; deny all; location /metrics { allow all; } }'))).toEqual([]);
  });

  it('a /metrics/ location with proxy_pass makes nginx redirect /metrics there: no regex location serves it', () => {
    expect(problems(site(`location /metrics/ ${RESTRICTED}\nlocation ~ / { }`, { metrics: false }))).toEqual([]);
  });

  it('takes the rules of the server wherever they stand in it, as nginx merges them', () => {
    expect(problems(`server { listen 80; ${API} location /metrics { } allow 127.0.0.1; deny all; }`)).toEqual([]);
  });

  it('a restricted regex location that serves /metrics is the metrics location: no warning that one is missing', () => {
    expect(problems(`server { listen 80; ${API} location ~ ^/metrics$ { allow 127.0.0.1; deny all; } }`)).toEqual([]);
  });
});

describe('a location of another path that nginx picks for /metrics (location /, location /api/)', () => {
  const PASS = 'proxy_pass http://127.0.0.1:8000/;';
  const server = (body: string) => `server {\nlisten 80;\n${body}\n}\n`;
  const OPEN = (line: number, pass = PASS.slice(0, -1)) =>
    `${SELF}:${line}: error: location / is the location nginx picks for /metrics and passes it to FastAPI (${pass}, line ${line}), but is not restricted to localhost; add location /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://127.0.0.1:8000; } (ports snippet nginx-site)`;

  it('an open location / that passes to the upstream is an error naming it, with or without a /metrics location elsewhere', () => {
    expect(problems(server(`location / { ${PASS} }`))).toEqual([OPEN(3)]);
    // A /metrics/ location does not serve /metrics (no pass: no redirect), and counted as the metrics location it hid the open one.
    expect(problems(server(`location /metrics/ { deny all; }\nlocation / { ${PASS} }`))).toEqual([OPEN(4)]);
    // A restricted /metrics in one server does not close another server's location /.
    expect(problems(`${server(METRICS)}${server(`location / { ${PASS} }`)}`)).toEqual([OPEN(7)]);
    // allow all before deny all is open, as nginx reads it.
    expect(problems(server(`location / { allow all; deny all; ${PASS} }`))).toEqual([
      expect.stringContaining(
        `${SELF}:3: error: location / is the location nginx picks for /metrics and passes it to FastAPI (proxy_pass http://127.0.0.1:8000/, line 3), but is not restricted to localhost: allow all (line 3) admits everyone`,
      ),
    ]);
  });

  it("restricted by a /metrics location, or by its own or its server's rules: fine", () => {
    expect(problems(server(`location / { ${PASS} }\nlocation /metrics { deny all; }`))).toEqual([]);
    expect(problems(server(`location / { allow 127.0.0.1; deny all; ${PASS} }`))).toEqual([]);
    expect(problems(server(`allow ::1; deny all;\nlocation / { ${PASS} }`))).toEqual([]);
  });

  it('a pass through a named upstream, or try_files to a named location that passes, counts too', () => {
    expect(problems(`upstream app { server localhost:8000; }\n${server('location / { proxy_pass http://APP; }')}`)).toEqual([
      expect.stringContaining(`${SELF}:4: error: location / is the location nginx picks for /metrics and passes it to FastAPI (proxy_pass http://APP, line 4)`),
    ]);
    const named = (rules: string) => server(`location / { try_files $uri @app; }\nlocation @app { ${rules} ${PASS} }`);
    expect(problems(named(''))).toEqual([
      expect.stringContaining(
        `${SELF}:3: error: location / is the location nginx picks for /metrics and passes it to FastAPI through try_files to location @app (proxy_pass http://127.0.0.1:8000/, line 4)`,
      ),
    ]);
    // nginx checks the named location's rules too.
    expect(problems(named('allow 127.0.0.1; deny all;'))).toEqual([]);
  });

  it('one that passes elsewhere or serves files is no concern of this check', () => {
    const missing = `${SELF}:0: warning: no location /metrics restricting FastAPI's metrics to localhost (ports snippet nginx-site)`;
    expect(problems(server(`${API}\nlocation / { proxy_pass http://10.1.2.3:8000; }`))).toEqual([missing]);
    expect(problems(server(`${API}\nlocation / { root /srv/www; }`))).toEqual([missing]);
    expect(problems(server(API))).toEqual([missing]); // no location for /metrics: the server's files
    // A return answers before the pass runs.
    expect(problems(server(`${API}\nlocation / { return 404; ${PASS} }`))).toEqual([missing]);
  });

  it('a regex location nginx picks instead decides', () => {
    expect(problems(server(`location / { ${PASS} }\nlocation ~ ^/metrics/?$ { allow 127.0.0.1; deny all; ${PASS} }`))).toEqual([]);
  });

  it('/metrics/ reaches the upstream too (its client libraries answer it): an exact = /metrics, or a regex of /metrics alone, leaves it open', () => {
    const slash = (line: number) =>
      `${SELF}:${line}: error: location / is the location nginx picks for /metrics/ and passes it to FastAPI (proxy_pass http://127.0.0.1:8000/, line ${line}): /metrics/ reaches 127.0.0.1:8000/metrics/, but is not restricted to localhost; add location /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://127.0.0.1:8000; } (ports snippet nginx-site)`;
    expect(problems(server(`location / { ${PASS} }\nlocation = /metrics { deny all; }`))).toEqual([slash(3)]);
    expect(problems(server(`location / { ${PASS} }\nlocation ~ ^/metrics$ { allow 127.0.0.1; deny all; ${PASS} }`))).toEqual([slash(3)]);
    // Open for both through the same location: one error, whose fix covers both.
    expect(problems(server(`location / { ${PASS} }`))).toEqual([OPEN(3)]);
  });

  it('the metrics path under another location: location /api/ for /api/metrics', () => {
    const found = readNginxSite(server(API), { ...EXPECT, upstream: { ...EXPECT.upstream, metrics: '/api/metrics' } });
    expect(found).toEqual([
      expect.objectContaining({
        line: 3,
        severity: 'error',
        message: expect.stringMatching(
          /^location \/api\/ is the location nginx picks for \/api\/metrics and passes it to FastAPI \(proxy_pass http:\/\/127\.0\.0\.1:8000, line 3\), but is not restricted/,
        ),
      }),
    ]);
  });

  it('ifs nested tens of thousands deep cost no walk up per statement', () => {
    const depth = 30_000; // 90,000 statements, within MAX_SITE_STATEMENTS
    const text = server(`location / { ${PASS} ${'if ($x) { '.repeat(depth)}${'return 403; '.repeat(depth)}${'} '.repeat(depth)} }`);
    const started = performance.now();
    expect(problems(text)).toEqual([expect.stringContaining(`${SELF}:3: unknown: location / is the location nginx picks for /metrics: a return inside an if`)]);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('a rewrite this check does not run that matches /metrics, a return or a pass inside an if: cannot tell, unknown naming the line', () => {
    expect(problems(server(`location / { rewrite ^/(\\w+)$ /api/$1 last; ${PASS} }`))).toEqual([
      `${SELF}:3: unknown: location / is the location nginx picks for /metrics: rewrite ^/(\\\\w+)$ matches /metrics and sends it elsewhere, which this check does not follow, so whether FastAPI's metrics are open is not known`,
    ]);
    // A rewrite that does not match /metrics leaves it to the pass.
    expect(problems(server(`location / { rewrite ^/old$ /new permanent; ${PASS} }`))).toEqual([OPEN(3)]);
    expect(problems(server(`location / {\nif ($remote_addr != 127.0.0.1) { return 403; }\n${PASS}\n}`))).toEqual([
      `${SELF}:4: unknown: location / is the location nginx picks for /metrics: a return inside an if may answer /metrics before proxy_pass passes it to FastAPI, so whether FastAPI's metrics are open is not known`,
    ]);
    expect(problems(server(`location / {\nif ($http_x) { ${PASS} }\n}`))).toEqual([
      `${SELF}:4: unknown: location / is the location nginx picks for /metrics: proxy_pass to FastAPI inside an if: whether it passes /metrics depends on the request, so whether FastAPI's metrics are open is not known`,
    ]);
  });
});

describe('a proxy_pass with a URI: another request path reaches the metrics path', () => {
  const server = (body: string) => `server {\nlisten 80;\n${body}\n}\n`;
  const fix = (path: string) =>
    `add location ${path} { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://127.0.0.1:8000/metrics; } (ports snippet nginx-site)`;

  it('location /api/ { proxy_pass http://127.0.0.1:8000/; } serves /metrics at /api/metrics: an error naming the location, line and request path', () => {
    expect(problems(server(`${METRICS}\nlocation /api/ { proxy_pass http://127.0.0.1:8000/; }`))).toEqual([
      `${SELF}:4: error: location /api/ is the location nginx picks for /api/metrics and passes it to FastAPI (proxy_pass http://127.0.0.1:8000/, line 4): /api/metrics reaches 127.0.0.1:8000/metrics, but is not restricted to localhost; ${fix('/api/metrics')}`,
    ]);
    // The prefix is replaced whatever its last character: /app + /metrics onto /v1 + /metrics.
    const found = readNginxSite(server('location /app { proxy_pass http://127.0.0.1:8000/v1; }'), {
      ...EXPECT,
      upstream: { ...EXPECT.upstream, metrics: '/v1/metrics' },
    });
    expect(found).toEqual([
      expect.objectContaining({ line: 3, severity: 'error', message: expect.stringContaining('/app/metrics reaches 127.0.0.1:8000/v1/metrics') }),
    ]);
  });

  it('names the included file the location is in', () => {
    const files = {
      '/etc/nginx/snippets/api.conf': [{ path: '/etc/nginx/snippets/api.conf', text: '\nlocation /api/ {\nproxy_pass http://127.0.0.1:8000/;\n}\n' }],
    };
    expect(problems(server(`${METRICS}\ninclude snippets/api.conf;`), files)).toEqual([
      expect.stringMatching(
        /^\/etc\/nginx\/snippets\/api\.conf:2: error: location \/api\/ is the location nginx picks for \/api\/metrics .*\(proxy_pass http:\/\/127\.0\.0\.1:8000\/, line 3\): \/api\/metrics reaches/,
      ),
    ]);
  });

  it('an exact location, or a URI with a query, maps whatever request it takes', () => {
    expect(problems(server(`${METRICS}\nlocation = /stats { proxy_pass http://127.0.0.1:8000/metrics; }`))).toEqual([
      expect.stringContaining(`${SELF}:4: error: location = /stats is the location nginx picks for /stats and passes it to FastAPI`),
    ]);
    expect(problems(server(`${METRICS}\nlocation /q/ { proxy_pass http://127.0.0.1:8000/metrics?x=1; }`))).toEqual([
      expect.stringContaining('/q/ reaches 127.0.0.1:8000/metrics'),
    ]);
  });

  it('restricted, or taken by another location nginx picks for that path: fine', () => {
    expect(problems(server(`${METRICS}\nlocation /api/ { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:8000/; }`))).toEqual([]);
    expect(problems(server(`${METRICS}\nlocation /api/ { proxy_pass http://127.0.0.1:8000/; }\nlocation /api/metrics { deny all; }`))).toEqual([]);
    expect(
      problems(server(`${METRICS}\nlocation /api/ { proxy_pass http://127.0.0.1:8000/; }\nlocation /api/m { proxy_pass http://127.0.0.1:8000/x/; }`)),
    ).toEqual([]);
    // Another upstream's URI is no concern.
    expect(problems(server(`${METRICS}\nlocation /api/ { proxy_pass http://10.1.2.3:8000/; }`))).toEqual([]);
  });

  it('a location nginx picks for /metrics that maps it to another path does not pass /metrics on', () => {
    expect(problems(server('location / { proxy_pass http://127.0.0.1:8000/app/; }'))).toEqual([
      `${SELF}:0: warning: no location /metrics restricting FastAPI's metrics to localhost (ports snippet nginx-site)`,
    ]);
  });

  it('a URI from a variable, or a rewrite ... break this check does not run before the pass: unknown naming the line, unless restricted', () => {
    expect(problems(server(`${METRICS}\nlocation ~ ^/re/(.*)$ { proxy_pass http://127.0.0.1:8000/$1; }`))).toEqual([
      `${SELF}:4: unknown: proxy_pass http://127.0.0.1:8000/$1 in location ~ ^/re/(.*)$ sets the URI it passes to FastAPI from a variable, so which request path reaches /metrics, and whether it is open, is not known; add allow 127.0.0.1; deny all; to it, or write the URI without variables`,
    ]);
    // Without the $ anchor, `.*` stops at a newline and the rest is dropped: a path of every length; not run back.
    expect(problems(server(`${METRICS}\nlocation /rw/ {\nrewrite ^/rw/(.*) /$1 break;\nproxy_pass http://127.0.0.1:8000;\n}`))).toEqual([
      `${SELF}:5: unknown: rewrite ^/rw/(.*) /$1 break in location /rw/ changes the URI before proxy_pass passes it to FastAPI (line 6), so which request path reaches /metrics, and whether it is open, is not known; add allow 127.0.0.1; deny all; to it`,
    ]);
    // A URI from a variable that may end in /metrics/.
    expect(problems(server(`${METRICS}\nlocation ~ ^/re/(.*)$ { proxy_pass http://127.0.0.1:8000/metrics/$1; }`))).toEqual([
      expect.stringContaining(`${SELF}:4: unknown: proxy_pass http://127.0.0.1:8000/metrics/$1 in location ~ ^/re/(.*)$ sets the URI`),
    ]);
    expect(problems(server(`${METRICS}\nlocation ~ ^/re/(.*)$ { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:8000/$1; }`))).toEqual([]);
    // A result that cannot be /metrics: no concern.
    expect(problems(server(`${METRICS}\nlocation /rw/ { rewrite ^/rw/(.*)$ /v2/$1 break; proxy_pass http://127.0.0.1:8000; }`))).toEqual([]);
    expect(problems(server(`${METRICS}\nlocation ~ ^/re/(.*)$ { proxy_pass http://127.0.0.1:8000/v2/$1; }`))).toEqual([]);
  });

  it('follows at most MAX_MAPPED_PATHS request paths a server maps, each pick reading its locations: the rest is unknown, never a quadratic wait', () => {
    const count = 10_000; // unbounded, 10,000 picks of 10,000 locations each
    const locations = Array.from({ length: count }, (_, index) => `location /a${index}/ { proxy_pass http://127.0.0.1:8000/; }`).join('\n');
    const started = performance.now();
    const found = problems(server(`${METRICS}\n${locations}`));
    expect(performance.now() - started).toBeLessThan(3000);
    expect(found).toHaveLength(MAX_MAPPED_PATHS + 1);
    expect(found).toContain(
      `${SELF}:0: unknown: ${count - MAX_MAPPED_PATHS} more request paths than the ${MAX_MAPPED_PATHS} this check follows reach FastAPI's /metrics through a proxy_pass URI or a rewrite; whether they are restricted is not checked`,
    );
    // Regex locations are tried for every path followed: each is compiled once.
    const regexes = Array.from({ length: count / 2 }, (_, index) => `location ~ ^/r${index}$ { }`).join('\n');
    const mixed = performance.now();
    expect(
      problems(
        server(
          `${METRICS}\n${regexes}\n${locations
            .split('\n')
            .slice(0, count / 2)
            .join('\n')}`,
        ),
      ),
    ).toHaveLength(MAX_MAPPED_PATHS + 1);
    expect(performance.now() - mixed).toBeLessThan(3000);
  });
});

describe('a rewrite before the pass, run as nginx runs it', () => {
  const server = (body: string) => `server {\nlisten 80;\n${body}\n}\n`;
  const fix = (path: string) =>
    `add location ${path} { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://127.0.0.1:8000/metrics; } (ports snippet nginx-site)`;
  const missing = `${SELF}:0: warning: no location /metrics restricting FastAPI's metrics to localhost (ports snippet nginx-site)`;

  it('rewrite ... break: the request path it makes /metrics is held to the location nginx picks for it, an open one an error naming the location and the path', () => {
    expect(problems(server(`${METRICS}\nlocation /rw/ {\nrewrite ^/rw/(.*)$ /$1 break;\nproxy_pass http://127.0.0.1:8000;\n}`))).toEqual([
      `${SELF}:4: error: location /rw/ is the location nginx picks for /rw/metrics and passes it to FastAPI (proxy_pass http://127.0.0.1:8000, line 6): /rw/metrics reaches 127.0.0.1:8000/metrics through rewrite ^/rw/(.*)$ /$1 break (line 5), but is not restricted to localhost; ${fix('/rw/metrics')}`,
    ]);
    // nginx passes the rewritten URI whole, whatever URI proxy_pass names; (.+) and a rewrite of one path alone are run the same way.
    for (const body of [
      'location /k/ { rewrite ^/k/(.*)$ /$1 break; proxy_pass http://127.0.0.1:8000/zz/; }',
      'location /k/ { rewrite ^/k/(.+)$ /$1 break; proxy_pass http://127.0.0.1:8000; }',
      'location = /k/m { rewrite ^/k/m$ /metrics break; proxy_pass http://127.0.0.1:8000; }',
      'location /k/ { rewrite ^/k\\/(.*)$ /$1 break; proxy_pass http://127.0.0.1:8000; }',
    ]) {
      expect(problems(server(`${METRICS}\n${body}`))).toEqual([
        expect.stringMatching(/^[^:]+:4: error: location .* reaches 127\.0\.0\.1:8000\/metrics through rewrite /),
      ]);
    }
    // Restricted, or a result that is no metrics path: fine.
    expect(
      problems(server(`${METRICS}\nlocation /rw/ { allow 127.0.0.1; deny all; rewrite ^/rw/(.*)$ /$1 break; proxy_pass http://127.0.0.1:8000; }`)),
    ).toEqual([]);
    expect(problems(server(`${METRICS}\nlocation /rw/ { rewrite ^/rw/(.*)$ /v2/$1 break; proxy_pass http://127.0.0.1:8000; }`))).toEqual([]);
  });

  it('$ matches before a newline that ends the path: an exact location of the path leaves /rw/metrics%0A open, a prefix one does not', () => {
    const rewrite = 'location /rw/ { rewrite ^/rw/(.*)$ /$1 break; proxy_pass http://127.0.0.1:8000; }';
    expect(problems(server(`${METRICS}\n${rewrite}\nlocation = /rw/metrics { deny all; }`))).toEqual([
      `${SELF}:4: error: location /rw/ is the location nginx picks for /rw/metrics%0A and passes it to FastAPI (proxy_pass http://127.0.0.1:8000, line 4): /rw/metrics%0A reaches 127.0.0.1:8000/metrics through rewrite ^/rw/(.*)$ /$1 break (line 4), but is not restricted to localhost; ${fix('/rw/metrics')}`,
    ]);
    expect(problems(server(`${METRICS}\n${rewrite}\nlocation /rw/metrics { deny all; }`))).toEqual([]);
    // A regex location is read as PCRE reads it: its $ takes the path with a newline too.
    expect(problems(server(`${METRICS}\n${rewrite}\nlocation ~ ^/rw/metrics/?$ { deny all; }`))).toEqual([]);
  });

  it('last, or no flag once the rewrites after it have run: the location nginx picks for the new URI decides', () => {
    const v1 = (rules: string) => server(`location / { rewrite ^/(.*)$ /v1/$1 last; }\nlocation /v1/ { ${rules} proxy_pass http://127.0.0.1:8000/; }`);
    expect(problems(v1('allow 127.0.0.1; deny all;'))).toEqual([]);
    expect(problems(v1(''))).toEqual([
      expect.stringContaining(`${SELF}:4: error: location /v1/ is the location nginx picks for /v1/metrics and passes it to FastAPI`),
    ]);
    // No flag: the next rewrite runs on the new URI.
    expect(problems(server(`${METRICS}\nlocation /n/ { rewrite ^/n/(.*)$ /m/$1; rewrite ^/m/(.*)$ /$1 break; proxy_pass http://127.0.0.1:8000; }`))).toEqual([
      expect.stringContaining(
        `${SELF}:4: error: location /n/ is the location nginx picks for /n/metrics and passes it to FastAPI (proxy_pass http://127.0.0.1:8000, line 4): /n/metrics reaches 127.0.0.1:8000/metrics through rewrite ^/m/(.*)$ /$1 break (line 4)`,
      ),
    ]);
    // No flag and no break: a new search, which the restricted /metrics location takes; a return after it answers first.
    expect(problems(server(`${METRICS}\nlocation /n/ { rewrite ^/n/(.*)$ /$1; proxy_pass http://127.0.0.1:8000; }`))).toEqual([]);
    expect(problems(server(`${METRICS}\nlocation /n/ { rewrite ^/n/(.*)$ /$1; return 404; }`))).toEqual([]);
    // A rewrite that matches its own result loops until nginx gives up (500): nothing is passed.
    expect(problems(server(`location / { rewrite ^/(.*)$ /api/$1 last; proxy_pass http://127.0.0.1:8000/; }`))).toEqual([missing]);
  });

  it('redirect, permanent, or a URL: nginx answers the client, which asks again for a path held on its own', () => {
    expect(problems(server('location / { rewrite ^/(.*)$ /app/$1 permanent; proxy_pass http://127.0.0.1:8000/; }'))).toEqual([missing]);
    expect(problems(server('location / { rewrite ^/(.*)$ http://example.org/$1; proxy_pass http://127.0.0.1:8000/; }'))).toEqual([missing]);
  });

  it('rewrites that each prepend their own prefix make 2^n request paths: past the bound, unknown, never an exponential wait', () => {
    const prefixes = Array.from({ length: 40 }, (_, index) => `rewrite ^/a${index}(.*)$ $1;`).join(' ');
    const started = performance.now();
    const found = problems(server(`${METRICS}\nlocation / { ${prefixes} rewrite ^/x(.*)$ $1 break; proxy_pass http://127.0.0.1:8000; }`));
    expect(performance.now() - started).toBeLessThan(3000);
    expect(found).toContainEqual(expect.stringMatching(/:0: unknown: \d+ more request paths than the 32 this check follows reach FastAPI's \/metrics/));
  });

  it('inside an if, or not simple enough to run back: unknown naming the line, where the same rewrite standing alone decides', () => {
    expect(problems(server('location / { rewrite ^/(.*)$ /v2/$1 break; proxy_pass http://127.0.0.1:8000; }'))).toEqual([missing]);
    expect(problems(server(`location / {\nif ($http_x) { rewrite ^/(.*)$ /v2/$1 break; }\nproxy_pass http://127.0.0.1:8000;\n}`))).toEqual([
      `${SELF}:4: unknown: location / is the location nginx picks for /metrics: rewrite ^/(.*)$ matches, inside an if, /metrics and changes it before it is passed on, which this check does not follow, so whether FastAPI's metrics are open is not known`,
    ]);
    expect(problems(server(`${METRICS}\nlocation /rw/ { rewrite ^/rw/(.*)$ /$1?x=1 break; proxy_pass http://127.0.0.1:8000; }`))).toEqual([
      expect.stringContaining(`${SELF}:4: unknown: rewrite ^/rw/(.*)$ /$1?x=1 break in location /rw/ changes the URI`),
    ]);
  });
});

/** nginx, for the test held against it: on PATH, or Debian's (nginx-light) in /usr/sbin, outside a non-root PATH. */
const NGINX = ['nginx', '/usr/sbin/nginx'].find((command) => hasCommand(command, ['-v']));
if (!NGINX) console.warn('[skipped: missing Debian package nginx-light: install with sudo bash scripts/install-system-packages.sh]');

/**
 * Servers (one location opening per line) whose picks for /metrics were
 * read off a real nginx 1.22: a prefix ^~ or = against regexes, nested
 * locations at each level, the /metrics/ redirect, prefix locations inside
 * a regex location.
 */
const PICKS: readonly string[] = [
  'location ^~ /metrics { }\nlocation ~ / { }',
  'location /metrics { }\nlocation ~ / { }',
  'location = /metrics { }\nlocation ~ / { }',
  'location / { }\nlocation ~ \\.php$ { }',
  'location ~ \\.php$ { }\nlocation ~* ^/METRICS { }\nlocation ~ / { }',
  'location ^~ /m {\nlocation ~ metrics { }\n}\nlocation ~ / { }',
  'location /m {\nlocation ^~ /metrics { }\n}\nlocation ~ / { }',
  'location /m {\nlocation /metrics { }\n}\nlocation ~ x$ { }',
  'location /m {\nlocation ~ nope { }\n}\nlocation ~ / { }',
  'location ^~ /m {\nlocation /metrics { }\n}\nlocation ~ / { }',
  'location /m {\nlocation /metrics {\nlocation ~ zzz { }\n}\n}\nlocation ~ / { }',
  'location / {\nlocation = /metrics { }\n}\nlocation ~ / { }',
  'location / {\nlocation ~ ^/metrics { }\n}\nlocation ^~ /metrics { }',
  'location ~ ^/me {\nlocation ~ trics { }\n}',
  'location ~ /m {\nlocation /metrics { }\nlocation ~ s$ { }\n}',
  'location ~ /m {\nlocation /metrics/ { }\nlocation = /metrics { }\n}',
  'location /metrics/ { proxy_pass http://127.0.0.1:9; }\nlocation ~ / { }',
  'location /metrics/ { proxy_pass http://127.0.0.1:9; }\nlocation /metric { }\nlocation ~ / { }',
  'location /me {\nlocation /metrics/ { proxy_pass http://127.0.0.1:9; }\n}\nlocation ~ / { }',
  'location /metrics/ { }\nlocation ~ / { }',
  'location /api/ { }\nlocation ~ \\.php$ { }',
  // For /metrics%0A (a newline, which a rewrite's $ lets through): PCRE's $ matches before it, and a $ in a class is a character.
  'location / { }\nlocation ~ ^/metrics$ { }',
  'location / { }\nlocation ~ ^/metrics[$]$ { }\nlocation ~ ^/metric.$ { }',
];

/**
 * Runs `use` against a real nginx on a leased loopback port, its http block
 * holding `blocks(port, dir)` (dir: a scratch directory, its www/ the root to
 * use) after a default server that answers 410; stops it after, by its own
 * handle.
 */
async function withNginx(blocks: (port: number, dir: string) => string[], use: (port: number) => Promise<void>): Promise<void> {
  const dir = tempDir();
  chmodSync(dir, 0o755); // nginx's workers (nobody, under root) look for the file of a request no location answers: 404, not 403
  const port = leasePort();
  writeTree(dir, {
    'www/.keep': '',
    'nginx.conf': [
      `pid ${join(dir, 'nginx.pid')}; daemon off; worker_processes 1; error_log ${join(dir, 'error.log')}; events { worker_connections 16; }`,
      `http { access_log off; client_body_temp_path ${dir}/t1; proxy_temp_path ${dir}/t2; fastcgi_temp_path ${dir}/t3; uwsgi_temp_path ${dir}/t4; scgi_temp_path ${dir}/t5;`,
      `server { listen 127.0.0.1:${port} default_server; return 410; }`,
      ...blocks(port, dir),
      '}',
    ].join('\n'),
  });
  const child = spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const deadline = Date.now() + 5000;
    for (;;) {
      const ready = await get(port, '_', '/').then(
        (answer) => answer.status === 410,
        () => false,
      );
      if (ready) break;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await use(port);
  } finally {
    // Only the nginx this test started, by its own handle.
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
}

/** GET `uri` from the server named `host` of the nginx on `port`, from 127.0.0.1 or (`from`) another loopback address. */
function get(port: number, host: string, uri: string, from?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: uri, headers: { host }, ...(from !== undefined && { localAddress: from }) }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

/** What a real nginx serves for GET `uri` from the server named `host`: `L<line>` (the location's return), a redirect, or none (404: no location). */
async function served(port: number, host: string, uri: string): Promise<number | 'redirect' | undefined> {
  const { status, body } = await get(port, host, uri);
  if (status === 301) return 'redirect';
  if (status === 404) return undefined;
  if (status === 200 && /^L\d+$/.test(body)) return Number(body.slice(1));
  throw new Error(`nginx answered ${status} ${body.slice(0, 80)}`);
}

describe('the location picked, held to a real nginx', () => {
  it.skipIf(!NGINX)('picks for /metrics (and /metrics%0A) what nginx serves it from, for every server of PICKS', { timeout: 20_000 }, async () => {
    // Each location answers with its line: `return` runs before any content handler (and before access rules).
    const marked = PICKS.map((body) =>
      body
        .split('\n')
        .map((line, index) => line.replace(/^(location[^{]*\{)/, `$1 return 200 "L${index + 1}";`))
        .join('\n'),
    );
    const servers = (port: number, dir: string) =>
      marked.map((body, index) => `server { listen 127.0.0.1:${port}; server_name s${index}; root ${join(dir, 'www')};\n${body}\n}`);
    await withNginx(servers, async (port) => {
      for (const [index, body] of marked.entries()) {
        for (const uri of ['/metrics', '/metrics\n']) {
          const request = uri.replace('\n', '%0A');
          expect({ server: body, uri, picked: nginxLocationFor(body, uri) }).toEqual({ server: body, uri, picked: await served(port, `s${index}`, request) });
        }
      }
    });
  });
});

/**
 * Servers whose location for the metrics path is not one of that path
 * (`location /`, `location /api/`, the server's files), with the reader's
 * verdict and what a real nginx 1.22 does with a request of it from
 * 127.0.0.2 (loopback, but not the 127.0.0.1 the rules let in): passes it
 * to the backend (200), refuses it (403) or answers otherwise. BACKEND is
 * the backend's port, APP an upstream block of it.
 */
const GENERAL: readonly {
  body: string;
  metrics?: string;
  /** The path requested from nginx, when it is not the metrics path: one a proxy_pass with a URI maps onto it. */
  request?: string;
  reader: 'error' | 'ok' | 'unknown';
  nginx: 'backend' | 403 | 'other';
}[] = [
  { body: 'location / { proxy_pass http://127.0.0.1:BACKEND/; }', reader: 'error', nginx: 'backend' },
  { body: 'location / { proxy_pass http://127.0.0.1:BACKEND/; }\nlocation /metrics { deny all; }', reader: 'ok', nginx: 403 },
  { body: 'location / { proxy_pass http://127.0.0.1:BACKEND/; }\nlocation /metrics { deny all; }', request: '/metrics/', reader: 'ok', nginx: 403 },
  // An exact location leaves /metrics/ to location /, which passes it on (the backend's client library answers it as /metrics).
  { body: 'location / { proxy_pass http://127.0.0.1:BACKEND/; }\nlocation = /metrics { deny all; }', request: '/metrics/', reader: 'error', nginx: 'backend' },
  { body: 'location /metrics/ { deny all; }\nlocation / { proxy_pass http://127.0.0.1:BACKEND; }', reader: 'error', nginx: 'backend' },
  { body: 'location / { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:BACKEND; }', reader: 'ok', nginx: 403 },
  { body: 'location / { allow all; deny all; proxy_pass http://127.0.0.1:BACKEND; }', reader: 'error', nginx: 'backend' },
  { body: 'location / { proxy_pass http://APP; }', reader: 'error', nginx: 'backend' },
  { body: 'location / { try_files $uri @app; }\nlocation @app { proxy_pass http://127.0.0.1:BACKEND; }', reader: 'error', nginx: 'backend' },
  { body: 'location / { try_files $uri @app; }\nlocation @app { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:BACKEND; }', reader: 'ok', nginx: 403 },
  {
    body: 'location / { proxy_pass http://127.0.0.1:BACKEND; }\nlocation ~ ^/metrics/?$ { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:BACKEND; }',
    request: '/metrics/',
    reader: 'ok',
    nginx: 403,
  },
  {
    body: 'location / { proxy_pass http://127.0.0.1:BACKEND; }\nlocation ~ ^/metrics$ { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:BACKEND; }',
    request: '/metrics/',
    reader: 'error',
    nginx: 'backend',
  },
  {
    body: 'location / { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:BACKEND; }\nlocation ~ ^/metrics$ { proxy_pass http://127.0.0.1:BACKEND; }',
    reader: 'error',
    nginx: 'backend',
  },
  { body: 'location /api/ { proxy_pass http://127.0.0.1:BACKEND; }', metrics: '/api/metrics', reader: 'error', nginx: 'backend' },
  { body: 'location /api/ { allow ::1; deny all; proxy_pass http://127.0.0.1:BACKEND; }', metrics: '/api/metrics', reader: 'ok', nginx: 403 },
  { body: 'location / { return 200 "files"; proxy_pass http://127.0.0.1:BACKEND; }', reader: 'ok', nginx: 'other' },
  {
    body: 'location / { proxy_pass http://unix:/nonexistent/backend.sock:; }\nlocation /api/ { proxy_pass http://127.0.0.1:BACKEND; }',
    reader: 'ok',
    nginx: 'other',
  },
  { body: 'location / { }\nlocation /api/ { proxy_pass http://127.0.0.1:BACKEND; }', reader: 'ok', nginx: 'other' },
  { body: 'location /api/ { proxy_pass http://127.0.0.1:BACKEND; }', reader: 'ok', nginx: 'other' },
  // What these do depends on the request or on where a rewrite leads: the reader cannot tell.
  { body: 'location / { if ($remote_addr != 127.0.0.1) { return 403; } proxy_pass http://127.0.0.1:BACKEND; }', reader: 'unknown', nginx: 403 },
  // A rewrite of /metrics alone to a location that answers leaves /metrics/ to the pass.
  {
    body: 'location / { rewrite ^/metrics$ /other last; proxy_pass http://127.0.0.1:BACKEND; }\nlocation /other { return 200 "other"; }',
    request: '/metrics/',
    reader: 'error',
    nginx: 'backend',
  },
  {
    body: 'location / { rewrite ^/metrics/?$ /other last; proxy_pass http://127.0.0.1:BACKEND; }\nlocation /other { return 200 "other"; }',
    reader: 'unknown',
    nginx: 'other',
  },
  // A proxy_pass with a URI replaces the location's prefix with it: another request path reaches the metrics path.
  { body: 'location /api/ { proxy_pass http://127.0.0.1:BACKEND/; }', request: '/api/metrics', reader: 'error', nginx: 'backend' },
  { body: 'location /api/ { proxy_pass http://APP/; }', request: '/api/metrics', reader: 'error', nginx: 'backend' },
  { body: 'location /app { proxy_pass http://127.0.0.1:BACKEND/v1; }', metrics: '/v1/metrics', request: '/app/metrics', reader: 'error', nginx: 'backend' },
  { body: 'location = /stats { proxy_pass http://127.0.0.1:BACKEND/metrics; }', request: '/stats', reader: 'error', nginx: 'backend' },
  { body: 'location /q/ { proxy_pass http://127.0.0.1:BACKEND/metrics?format=text; }', request: '/q/anything', reader: 'error', nginx: 'backend' },
  {
    body: 'location /outer/ {\nlocation /outer/in/ { proxy_pass http://127.0.0.1:BACKEND/; }\n}',
    request: '/outer/in/metrics',
    reader: 'error',
    nginx: 'backend',
  },
  {
    body: 'location /api/ { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:BACKEND/; }',
    request: '/api/metrics',
    reader: 'ok',
    nginx: 403,
  },
  { body: 'location /api/ { proxy_pass http://127.0.0.1:BACKEND/; }\nlocation /api/metrics { deny all; }', request: '/api/metrics/', reader: 'ok', nginx: 403 },
  {
    body: 'location /api/ { proxy_pass http://127.0.0.1:BACKEND/; }\nlocation = /api/metrics { deny all; }',
    request: '/api/metrics',
    reader: 'error',
    nginx: 403,
  },
  {
    body: 'location /api/ { proxy_pass http://127.0.0.1:BACKEND/; }\nlocation = /api/metrics { deny all; }',
    request: '/api/metrics/',
    reader: 'error',
    nginx: 'backend',
  },
  {
    body: 'location /api/ { proxy_pass http://127.0.0.1:BACKEND/; }\nlocation ~ ^/api/metrics/?$ { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:BACKEND; }',
    request: '/api/metrics/',
    reader: 'ok',
    nginx: 403,
  },
  // A location of /api/metrics/ with a proxy_pass: nginx redirects /api/metrics to it, and passes /metrics/ on.
  { body: 'location /api/metrics/ { proxy_pass http://127.0.0.1:BACKEND/metrics/; }', request: '/api/metrics/', reader: 'error', nginx: 'backend' },
  { body: 'location /api/metrics/ { proxy_pass http://127.0.0.1:BACKEND/metrics/; }', request: '/api/metrics', reader: 'error', nginx: 'other' },
  // A longer prefix takes the request and maps it elsewhere.
  {
    body: 'location /api/ { proxy_pass http://127.0.0.1:BACKEND/; }\nlocation /api/m { proxy_pass http://127.0.0.1:BACKEND/x/; }',
    request: '/api/metrics',
    reader: 'ok',
    nginx: 'other',
  },
  // /metrics itself maps to /app/metrics: the backend never sees /metrics from it.
  { body: 'location / { proxy_pass http://127.0.0.1:BACKEND/app/; }\nlocation /api/ { proxy_pass http://127.0.0.1:BACKEND; }', reader: 'ok', nginx: 'other' },
  // A URI from a variable, or a rewrite ... break before the pass: which request path reaches /metrics is not computed.
  { body: 'location ~ ^/re/(.*)$ { proxy_pass http://127.0.0.1:BACKEND/$1; }', request: '/re/metrics', reader: 'unknown', nginx: 'backend' },
  { body: 'location /rw/ { rewrite ^/rw/(.*) /$1 break; proxy_pass http://127.0.0.1:BACKEND; }', request: '/rw/metrics', reader: 'unknown', nginx: 'backend' },
  {
    body: 'location ~ ^/re/(.*)$ { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:BACKEND/$1; }',
    request: '/re/metrics',
    reader: 'ok',
    nginx: 403,
  },
  // A rewrite whose result always starts with /v2/ never makes /metrics.
  { body: 'location /rw/ { rewrite ^/rw/(.*)$ /v2/$1 break; proxy_pass http://127.0.0.1:BACKEND; }', request: '/rw/metrics', reader: 'ok', nginx: 'other' },
  // A simple rewrite is run back: break passes the URI it makes whole, whatever URI proxy_pass names.
  { body: 'location /rw/ { rewrite ^/rw/(.*)$ /$1 break; proxy_pass http://127.0.0.1:BACKEND; }', request: '/rw/metrics', reader: 'error', nginx: 'backend' },
  {
    body: 'location /rw/ { rewrite ^/rw/(.*)$ /$1 break; proxy_pass http://127.0.0.1:BACKEND/zz/; }',
    request: '/rw/metrics/',
    reader: 'error',
    nginx: 'backend',
  },
  { body: 'location = /stats { rewrite ^/stats$ /metrics break; proxy_pass http://127.0.0.1:BACKEND; }', request: '/stats', reader: 'error', nginx: 'backend' },
  {
    body: 'location /rw/ { allow 127.0.0.1; deny all; rewrite ^/rw/(.+)$ /$1 break; proxy_pass http://127.0.0.1:BACKEND; }',
    request: '/rw/metrics',
    reader: 'ok',
    nginx: 403,
  },
  // $ matches before a newline that ends the path: an exact location of the path leaves /rw/metrics%0A to the rewrite.
  {
    body: 'location /rw/ { rewrite ^/rw/(.*)$ /$1 break; proxy_pass http://127.0.0.1:BACKEND; }\nlocation = /rw/metrics { deny all; }\nlocation = /rw/metrics/ { deny all; }',
    request: '/rw/metrics%0A',
    reader: 'error',
    nginx: 'backend',
  },
  {
    body: 'location /rw/ { rewrite ^/rw/(.*)$ /$1 break; proxy_pass http://127.0.0.1:BACKEND; }\nlocation /rw/metrics { deny all; }',
    request: '/rw/metrics%0A',
    reader: 'ok',
    nginx: 403,
  },
  {
    body: 'location /rw/ { rewrite ^/rw/(.*)$ /$1 break; proxy_pass http://127.0.0.1:BACKEND; }\nlocation ~ ^/rw/metrics/?$ { deny all; }',
    request: '/rw/metrics%0A',
    reader: 'ok',
    nginx: 403,
  },
  // No flag: the next rewrite runs on the new URI; without a break after it, nginx searches for a location again.
  {
    body: 'location /n/ { rewrite ^/n/(.*)$ /m/$1; rewrite ^/m/(.*)$ /$1 break; proxy_pass http://127.0.0.1:BACKEND; }',
    request: '/n/metrics',
    reader: 'error',
    nginx: 'backend',
  },
  {
    body: 'location /n/ { rewrite ^/n/(.*)$ /$1; proxy_pass http://127.0.0.1:BACKEND; }\nlocation /metrics { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:BACKEND; }',
    request: '/n/metrics',
    reader: 'ok',
    nginx: 403,
  },
  // last: the location nginx picks for the new URI decides, its rules too.
  {
    body: 'location / { rewrite ^/(.*)$ /v1/$1 last; }\nlocation /v1/ { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:BACKEND/; }',
    reader: 'ok',
    nginx: 403,
  },
  { body: 'location / { rewrite ^/(.*)$ /v1/$1 last; }\nlocation /v1/ { proxy_pass http://127.0.0.1:BACKEND/; }', reader: 'error', nginx: 'backend' },
  {
    body: 'location /l/ { rewrite ^/l/(.*)$ /c/$1 last; }\nlocation /c/ { proxy_pass http://127.0.0.1:BACKEND/; }',
    request: '/l/metrics',
    reader: 'error',
    nginx: 'backend',
  },
  // A rewrite that matches its own result: nginx gives up after 10 (500). A redirect sends the client elsewhere.
  { body: 'location / { rewrite ^/(.*)$ /api/$1 last; proxy_pass http://127.0.0.1:BACKEND/; }', reader: 'ok', nginx: 'other' },
  { body: 'location / { rewrite ^/(.*)$ /app/$1 permanent; proxy_pass http://127.0.0.1:BACKEND; }', reader: 'ok', nginx: 'other' },
  // Inside an if: what it does depends on the request.
  { body: 'location / { if ($http_x) { rewrite ^/(.*)$ /v2/$1 break; } proxy_pass http://127.0.0.1:BACKEND; }', reader: 'unknown', nginx: 'backend' },
];

describe('a location of another path, held to a real nginx', () => {
  it.skipIf(!NGINX)(
    'an open one nginx passes the metrics path through is an error, a restricted one is not (403 from 127.0.0.2)',
    { timeout: 20_000 },
    async () => {
      // It answers with the path it was asked for (without the query, which a proxy_pass URI may add).
      const backend = createServer((req, res) => res.end(`backend ${req.url?.split('?')[0]}`));
      await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
      const backendPort = (backend.address() as AddressInfo).port;
      const sites = (port: number, root = '/nonexistent') =>
        GENERAL.map(({ body }, index) =>
          [
            `upstream app${index} { server 127.0.0.1:${backendPort}; }`,
            `server { listen 127.0.0.1:${port}; server_name s${index}; root ${root};`,
            body.replaceAll('BACKEND', String(backendPort)).replaceAll('APP', `app${index}`),
            '}',
          ].join('\n'),
        );
      try {
        await withNginx(
          (port, dir) => sites(port, join(dir, 'www')),
          async (port) => {
            for (const [index, { body, metrics = '/metrics', request = metrics, reader, nginx }] of GENERAL.entries()) {
              const found = readNginxSite(sites(port)[index]!, { ...EXPECT, port, upstream: { name: 'FastAPI', port: backendPort, metrics } });
              if (typeof found === 'string') throw new Error(found);
              const severities = new Set(found.map((finding) => finding.severity));
              const verdict = severities.has('error') ? 'error' : severities.has('unknown') ? 'unknown' : 'ok';
              const answer = await get(port, `s${index}`, request, '127.0.0.2');
              // The backend's metrics at either path: its client library answers /metrics/ too.
              const backend = answer.status === 200 && [`backend ${metrics}`, `backend ${metrics}/`].includes(answer.body);
              const got = backend ? 'backend' : answer.status === 403 ? 403 : 'other';
              expect({ body, metrics, request, reader: verdict, nginx: got }).toEqual({ body, metrics, request, reader, nginx });
            }
          },
        );
      } finally {
        await new Promise((resolve) => backend.close(resolve));
      }
    },
  );
});

describe('proxy targets', () => {
  it('checks every server of a named upstream block, wherever it stands', () => {
    expect(
      problems(
        `upstream api {\n server 127.0.0.1:8001;\n server localhost:8000 weight=2;\n}\n${site('location /api/ { proxy_pass http://API; }', { api: false })}`,
      ),
    ).toEqual([
      `${SELF}:2: error: server 127.0.0.1:8001 in upstream api (proxy_pass http://API at line 9), but FastAPI, the site's upstream, uses port 8000, and no other registry service uses port 8001; set its port to 8000 (ports snippet nginx-site prints what passes)`,
    ]);
  });

  it('reads the scheme case-insensitively and every host that reaches this machine', () => {
    for (const target of [
      'HTTP://127.0.0.1:8001',
      'http://127.1:8001',
      'http://0.0.0.0:8001',
      'http://localhost.:8001',
      'http://[::]:8001',
      'https://[::ffff:127.0.0.1]:8001',
    ]) {
      expect(problems(site(`location /x/ { proxy_pass ${target}; }`))).toEqual([
        `${SELF}:5: error: proxy_pass ${target}, but FastAPI, the site's upstream, uses port 8000, and no other registry service uses port 8001; set its port to 8000 (ports snippet nginx-site prints what passes)`,
      ]);
    }
    expect(problems(site('location /x/ { proxy_pass http://10.1.2.3:8001; }'))).toEqual([]);
  });

  it('reads grpc_pass, fastcgi_pass, uwsgi_pass and scgi_pass as proxy_pass', () => {
    for (const pass of [
      'grpc_pass grpc://127.0.0.1:8001',
      'grpc_pass 127.0.0.1:8001',
      'fastcgi_pass localhost:8001',
      'uwsgi_pass uwsgi://127.0.0.1:8001',
      'scgi_pass 127.0.0.1:8001',
    ]) {
      expect(problems(site(`location /x/ { ${pass}; }`))).toEqual([
        `${SELF}:5: error: ${pass}, but FastAPI, the site's upstream, uses port 8000, and no other registry service uses port 8001; set its port to 8000 (ports snippet nginx-site prints what passes)`,
      ]);
    }
  });

  it('a target from a variable is unknown, never taken for port 80', () => {
    const unknown = (pass: string, fix = 'proxy_pass http://127.0.0.1:8000') =>
      `${SELF}:5: unknown: ${pass}: set from a variable, which this check does not follow, so whether it reaches FastAPI is not known; if it should, write ${fix}; (ports snippet nginx-site)`;
    expect(problems(site('location /x/ { proxy_pass http://127.0.0.1:$p; }'))).toEqual([unknown('proxy_pass http://127.0.0.1:$p')]);
    // The whole URL from a variable (no scheme written before it), $name or nginx's ${name}: never read as no pass at all.
    for (const value of ['$backend', '$' + '{backend}', '$backend/api/']) {
      expect(problems(site(`location /x/ { proxy_pass ${value}; }`))).toEqual([unknown(`proxy_pass ${value}`)]);
    }
    expect(problems(site('location /x/ { fastcgi_pass $backend; }'))).toEqual([unknown('fastcgi_pass $backend', 'fastcgi_pass 127.0.0.1:8000')]);
    expect(problems(site('location /x/ { grpc_pass $backend; }'))).toEqual([unknown('grpc_pass $backend', 'grpc_pass grpc://127.0.0.1:8000')]);
  });

  it('a location that passes /metrics through a variable is not taken for one that passes elsewhere: the pass is unknown', () => {
    const found = problems('server {\nlisten 80;\nset $u http://127.0.0.1:8000;\nlocation / { proxy_pass $u; }\n}\n');
    expect(found).toContain(
      `${SELF}:4: unknown: proxy_pass $u: set from a variable, which this check does not follow, so whether it reaches FastAPI is not known; if it should, write proxy_pass http://127.0.0.1:8000; (ports snippet nginx-site)`,
    );
  });

  it('a site that passes nothing to the upstream is a warning', () => {
    expect(problems('server { listen 80; location /metrics { allow 127.0.0.1; deny all; } }')).toEqual([
      `${SELF}:0: warning: no proxy_pass to FastAPI (port 8000): nginx passes nothing to it; add location /api/ { proxy_pass http://127.0.0.1:8000; } (ports snippet nginx-site)`,
    ]);
  });
});

describe('a pass whose port nginx refuses ("invalid port in upstream")', () => {
  /** What `nginx -t` says of the server `body` (the site's text) in a whole configuration: undefined when it takes it. */
  function nginxRefuses(body: string): string | undefined {
    if (!NGINX) return undefined;
    const dir = tempDir();
    writeTree(dir, {
      // nginx -t binds the sockets it can: the site's listen 80 on a leased high port instead.
      'nginx.conf': `pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'error.log')}; events {}\nhttp { access_log off; upstream app { server 127.0.0.1:8000; }\n${body.replaceAll('listen 80;', `listen 127.0.0.1:${leasePort()};`)}\n}\n`,
    });
    const run = spawnSync(NGINX, ['-t', '-q', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { encoding: 'utf8' });
    return run.status === 0 ? undefined : run.stderr;
  }

  it('is an error naming the line, the value escaped, and what to write; never "agrees with the registry"', () => {
    const refused = (pass: string, port: string, fix: string) =>
      `${SELF}:5: error: ${pass}: ${port} nginx accepts (1 to 65535), so it refuses the file ("invalid port in upstream") and does not start; ${fix}`;
    for (const [pass, port, fix] of [
      ['proxy_pass http://127.0.0.1:8000x/', '"8000x" is not a port', "write proxy_pass http://127.0.0.1:8000/; (FastAPI's port)"],
      ['proxy_pass http://127.0.0.1:+8001/', '"+8001" is not a port', "write proxy_pass http://127.0.0.1:8000/; (FastAPI's port)"],
      ['proxy_pass http://localhost:0', '"0" is not a port', "write proxy_pass http://localhost:8000; (FastAPI's port)"],
      ['proxy_pass http://127.0.0.1:70000', '"70000" is not a port', "write proxy_pass http://127.0.0.1:8000; (FastAPI's port)"],
      ['proxy_pass http://127.0.0.1:/', 'no port after the colon', "write proxy_pass http://127.0.0.1:8000/; (FastAPI's port)"],
      ['proxy_pass http://[::1]:80x', '"80x" is not a port', "write proxy_pass http://[::1]:8000; (FastAPI's port)"],
      ['grpc_pass 127.0.0.1:8000x', '"8000x" is not a port', "write grpc_pass 127.0.0.1:8000; (FastAPI's port)"],
      ['proxy_pass http://10.1.2.3:90x', '"90x" is not a port', 'write the port the server listens on'],
    ] as const) {
      const body = site(`location /x/ { ${pass}; }`);
      expect(problems(body), pass).toEqual([refused(pass, port, fix)]);
      if (NGINX) expect(nginxRefuses(body), pass).toContain('invalid port in upstream');
    }
    // A port followed by an escape character: the value is printed escaped, never the raw byte.
    const escaped = problems(site('location /x/ { proxy_pass http://127.0.0.1:8000\x1b[31m/; }'));
    expect(escaped).toEqual([
      refused('proxy_pass http://127.0.0.1:8000\\e[31m/', '"8000\\e[31m" is not a port', "write proxy_pass http://127.0.0.1:8000/; (FastAPI's port)"),
    ]);
    expect(JSON.stringify(escaped)).not.toContain('\x1b');
    // What nginx takes passes: arguments after the port, the scheme's default port.
    for (const pass of ['proxy_pass http://127.0.0.1:8000?x=1', 'proxy_pass http://127.0.0.1:8000/api/']) {
      expect(problems(site(`location /x/ { ${pass}; }`)), pass).toEqual([]);
      expect(nginxRefuses(site(`location /x/ { ${pass}; }`)), pass).toBeUndefined();
    }
  });

  it('so is a server of a named upstream block, however the pass names the block', () => {
    const body = site('location /x/ { proxy_pass http://bad; }').replace('server {', 'upstream bad { server 127.0.0.1:8000x; }\nserver {');
    expect(problems(body)).toEqual([
      `${SELF}:1: error: server 127.0.0.1:8000x in upstream bad (proxy_pass http://bad at line 6): "8000x" is not a port nginx accepts (1 to 65535), so it refuses the file ("invalid port in upstream") and does not start; write server 127.0.0.1:8000; (FastAPI's port)`,
    ]);
    if (NGINX) expect(nginxRefuses(body)).toContain('invalid port in upstream');
  });
});

/**
 * What `nginx -t` says of `body` in http {} (a site, its upstream blocks): undefined when it takes it, or when there
 * is no nginx. nginx -t binds the sockets it can, so the site's `listen 80;` is moved to a leased high port first.
 */
function nginxRefusesHttp(body: string): string | undefined {
  if (!NGINX) return undefined;
  const dir = tempDir();
  const http = body.replaceAll('listen 80;', `listen 127.0.0.1:${leasePort()};`);
  writeTree(dir, { 'nginx.conf': `pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'error.log')}; events {}\nhttp { access_log off;\n${http}\n}\n` });
  const run = spawnSync(NGINX, ['-t', '-q', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { encoding: 'utf8' });
  return run.status === 0 ? undefined : run.stderr;
}

describe('a named upstream block', () => {
  const nginxRefuses = nginxRefusesHttp;

  it('no pass names is still read for a port nginx refuses (nginx -t fails), and for nothing else: nginx sends it no request', () => {
    const body = `upstream spare {\n server 127.0.0.1:8000x;\n server 127.0.0.1:8001;\n server unix:/run/app.sock;\n}\n${site('')}`;
    expect(problems(body)).toEqual([
      `${SELF}:2: error: server 127.0.0.1:8000x in upstream spare (which no pass of the site names): "8000x" is not a port nginx accepts (1 to 65535), so it refuses the file ("invalid port in upstream") and does not start; write server 127.0.0.1:8000; (FastAPI's port)`,
    ]);
    if (NGINX) expect(nginxRefuses(body)).toContain('invalid port in upstream');
    // Its ports taken, nginx starts; the stray 8001 carries no request.
    if (NGINX) expect(nginxRefuses(body.replace('8000x', '8000'))).toBeUndefined();
    expect(problems(body.replace('8000x', '8000'))).toEqual([]);
  });

  it('named with a port by a pass is refused by nginx -t ("may not have port"), wherever the block stands', () => {
    for (const body of [
      `upstream app { server 127.0.0.1:8000; }\n${site('location /x/ { proxy_pass http://app:8000/x/; }')}`,
      `${site('location /x/ { proxy_pass http://APP:8000/x/; }')}upstream app { server 127.0.0.1:8000; }\n`,
    ]) {
      expect(problems(body)).toEqual([
        expect.stringMatching(
          /:\d+: error: proxy_pass http:\/\/(app|APP):8000\/x\/ names upstream app with a port, which nginx refuses \(nginx -t: "upstream (app|APP) may not have port 8000"\), so it does not start, or reload, with this configuration; write proxy_pass http:\/\/(app|APP)\/x\/; \(the block's servers name the ports\)$/,
        ),
      ]);
      if (NGINX) expect(nginxRefuses(body)).toMatch(/upstream "(app|APP)" may not have port 8000/);
    }
  });

  it('given twice, in any case, is refused by nginx -t ("duplicate upstream")', () => {
    const body = `upstream app { server 127.0.0.1:8000; }\nupstream APP { server 127.0.0.1:8000; }\n${site('')}`;
    expect(problems(body)).toEqual([
      `${SELF}:2: error: upstream APP: nginx refuses it, as upstream app (line 1) has the same name (nginx -t: "duplicate upstream APP"), so it does not start, or reload, with this configuration; rename one of them, or remove it`,
    ]);
    if (NGINX) expect(nginxRefuses(body)).toContain('duplicate upstream "APP"');
    if (NGINX) expect(nginxRefuses(body.replace('upstream APP', 'upstream app2'))).toBeUndefined();
  });

  it('named by many passes is judged once, for the first: one finding per server, in linear time', () => {
    const servers = 4000;
    const upstream = `upstream app {\n${Array.from({ length: servers }, (_, index) => ` server 127.0.0.1:${index === 0 ? 8001 : 8000};\n`).join('')}}\n`;
    const locations = Array.from({ length: servers }, (_, index) => `location /x${index}/ { proxy_pass http://app; }`).join('\n');
    const started = performance.now();
    const found = problems(`${upstream}${site(locations)}`);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(found).toEqual([
      expect.stringMatching(/^\S+:2: error: server 127\.0\.0\.1:8001 in upstream app \(proxy_pass http:\/\/app at line \d+\), but FastAPI/),
    ]);
  });
});

describe('listen', () => {
  it('a value nginx refuses is an error naming the line (it does not start); a word it reads as a host name, a warning; never port 80', () => {
    expect(problems(site('listen 80x;'))).toEqual([
      `${SELF}:5: warning: listen 80x: not a port, and as a host name it means port 80 on whatever 80x resolves to; write listen 80;`,
    ]);
    expect(problems(site('listen 127.0.0.1:8o;'))).toEqual([
      `${SELF}:5: error: listen 127.0.0.1:8o: not a port nginx accepts (it refuses to start); write listen 80;`,
    ]);
    expect(problems(site('listen 127.0.0.1; listen [::1]; listen localhost:80;'))).toEqual([]);
    // Port 0, a port after a second colon (`::1` unbracketed is port ":1"), no host before the colon: nginx -t refuses each.
    for (const [value, why] of [
      ['0', 'not a port nginx accepts (it refuses to start)'],
      ['127.0.0.1:0', 'not a port nginx accepts (it refuses to start)'],
      ['[::1]:0', 'not a port nginx accepts (it refuses to start)'],
      ['::1', 'not a port nginx accepts (it refuses to start)'],
      [':80', 'no host before the port, which nginx refuses (nginx -t: "no host in ..."), so it does not start'],
    ] as const) {
      // Its own port (20080, a high one: nginx -t binds what it can), so the site's listen 80 is no duplicate of it.
      const body = site(`listen ${value.replace(/80$/, '20080')};`);
      expect(problems(body), value).toEqual([`${SELF}:5: error: listen ${value.replace(/80$/, '20080')}: ${why}; write listen 80;`]);
      if (NGINX) expect(nginxRefusesHttp(body), value).toMatch(/invalid port in|no host in/);
    }
    // A UNIX socket with no path: nginx -t refuses it; one with a path is no port (said only when no listen is on one).
    expect(problems(site('listen unix:;'))).toEqual([
      `${SELF}:5: error: listen unix: names no socket path, which nginx refuses (nginx -t: "no path in the unix domain socket"), so it does not start, or reload, with this configuration; write listen 80;`,
    ]);
    if (NGINX) expect(nginxRefusesHttp(site('listen unix:;'))).toContain('no path in the unix domain socket');
    // The site's only listen: the error alone, no second warning that it has no listen (it has one nginx refuses).
    expect(problems(site('listen unix:;').replace('listen 80;\n', ''))).toEqual([
      `${SELF}:4: error: listen unix: names no socket path, which nginx refuses (nginx -t: "no path in the unix domain socket"), so it does not start, or reload, with this configuration; write listen 80;`,
    ]);
    expect(problems(site('listen unix:/run/nginx-site.sock;'))).toEqual([]);
    // *:80 is port 80 on 0.0.0.0, the address and port of the site's listen 80: nginx refuses the two in one server.
    expect(problems(site('listen *:80;'))).toEqual([
      `${SELF}:5: error: listen *:80: nginx refuses it, as listen 80 (line 2) in the same server is on 0.0.0.0:80 too (nginx -t: "a duplicate listen 0.0.0.0:80"), so it does not start, or reload, with this configuration; remove one of them`,
    ]);
  });
});
