// readNginxSite against sites built to hurt it: includes that multiply,
// words of megabytes, access rules and locations that look restricted but are
// not as nginx reads them, proxy targets written the ways nginx accepts.
// Pure: the included files are given as gather() would have read them.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/checks/references/finding.js';
import { MAX_SITE_BYTES, MAX_SITE_STATEMENTS, nginxStatements, readNginxSite } from '../../../src/checks/references/nginx.js';

const SELF = '/etc/nginx/sites-available/dsa110-contimg';
const EXPECT = { name: 'Nginx', port: 80, upstream: { name: 'FastAPI', port: 8000, metrics: '/metrics' } };
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
      '/etc/nginx/fan/l8.conf:1: error: listen 8080, but the registry says Nginx uses port 80',
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

  it("inherits the server's rules when the location has none, as nginx does", () => {
    expect(problems('server { listen 80; allow 127.0.0.1; deny all; location /api/ { proxy_pass http://127.0.0.1:8000; } location /metrics { } }')).toEqual([]);
  });

  it('counts a regex location that matches /metrics: nginx takes it over the prefix location', () => {
    expect(problems(site('location ~* ^/METRICS { proxy_pass http://127.0.0.1:8000; }'))).toEqual([
      `${SELF}:5: error: location ~* ^/METRICS matches /metrics (nginx takes a matching regex location over a prefix one) and is not restricted to localhost; add allow 127.0.0.1; deny all;`,
    ]);
    expect(problems(site('location ~/metrics { }'))).toHaveLength(1);
    expect(problems(site('location ~ /metrics$ { allow 127.0.0.1; deny all; }'))).toEqual([]);
    expect(problems(site('location ~ \\.php$ { }  location ~ ^/METRICS { }'))).toEqual([]);
    expect(problems(site('location ~ (?P<x>/m) { }'))).toEqual([
      expect.stringMatching(/:5: unknown: location ~ \(\?P<x>\/m\): cannot tell whether this regular expression matches \/metrics/),
    ]);
  });
});

describe('proxy targets', () => {
  it('checks every server of a named upstream block, wherever it stands', () => {
    expect(
      problems(
        `upstream api {\n server 127.0.0.1:8001;\n server localhost:8000 weight=2;\n}\n${site('location /api/ { proxy_pass http://API; }', { api: false })}`,
      ),
    ).toEqual([`${SELF}:2: error: server 127.0.0.1:8001 in upstream api (proxy_pass http://API at line 9), but FastAPI uses port 8000`]);
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
      expect(problems(site(`location /x/ { proxy_pass ${target}; }`))).toEqual([`${SELF}:5: error: proxy_pass ${target}, but FastAPI uses port 8000`]);
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
      expect(problems(site(`location /x/ { ${pass}; }`))).toEqual([`${SELF}:5: error: ${pass}, but FastAPI uses port 8000`]);
    }
  });

  it('a target from a variable is unknown, never taken for port 80', () => {
    expect(problems(site('location /x/ { proxy_pass http://127.0.0.1:$p; }'))).toEqual([
      `${SELF}:5: unknown: proxy_pass http://127.0.0.1:$p: set from a variable, which this check does not follow`,
    ]);
  });

  it('a site that passes nothing to the upstream is a warning', () => {
    expect(problems('server { listen 80; location /metrics { allow 127.0.0.1; deny all; } }')).toEqual([
      `${SELF}:0: warning: no proxy_pass to FastAPI (port 8000): nginx passes nothing to it; add location /api/ { proxy_pass http://127.0.0.1:8000; } (ports snippet nginx-site)`,
    ]);
  });
});

describe('listen', () => {
  it('a value that is no port or address is a warning naming the line, never port 80', () => {
    expect(problems(site('listen 80x;'))).toEqual([
      `${SELF}:5: warning: listen 80x: not a port, and as a host name it means port 80 on whatever 80x resolves to; write listen 80;`,
    ]);
    expect(problems(site('listen 127.0.0.1:8o;'))).toEqual([
      `${SELF}:5: warning: listen 127.0.0.1:8o: not a port nginx accepts (it refuses to start); write listen 80;`,
    ]);
    expect(problems(site('listen 127.0.0.1; listen [::1]; listen *:80; listen localhost:80;'))).toEqual([]);
  });
});
