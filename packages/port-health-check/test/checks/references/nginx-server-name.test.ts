// server_name values nginx refuses as it reads them (nginx -t fails: nginx does not start, or reload): a wildcard
// `*` at the start not followed by `.` and more, `.` alone, `~` alone, and a regex PCRE2 certainly does not compile
// (a parenthesis or class left open, an unmatched `)`, a `\` at the end). Held to the real nginx -t (Debian's 1.22,
// PCRE2), in a network namespace of the test's own, over named and generated values: nothing it accepts is said.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadRegistry, parseRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { refusedServerName } from '../../../src/checks/references/nginx-server-name.js';
import { gather } from '../../../src/gather.js';
import { hasCommand } from '../../../../../test-support/commands.js';
import { runNetnsScript } from '../../../../../test-support/firewall-netns.js';
import { tempDir, withoutRoot, writeTree } from '../../helpers.js';

const fixtures = new URL('fixtures/', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(fixtures, 'schemes/ports.yaml') });
const EDGE = 'etc/nginx/sites-enabled/edge';
const PASS =
  'location /api/ { proxy_pass http://127.0.0.1:8001; }\n    location /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://127.0.0.1:8001; }';

/** The references check's problems for Edge, its site a server of `names` (as written), as `severity: reason`. */
async function problems(names: string, files: Record<string, string> = {}): Promise<string[]> {
  const root = writeTree(tempDir(), { [EDGE]: `server {\n    listen 8443;\n    server_name ${names};\n    ${PASS}\n}\n`, ...files });
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service('edge'))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

describe('a server_name nginx refuses', () => {
  it('is an error at its file:line:col in nginx -t’s words: a wildcard not at one end, a regex left open', async () => {
    expect(await problems('example.org *.')).toEqual([
      `error: edge (8443): /${EDGE}:3:5: server_name *.: nginx refuses it (nginx -t: server name "*." is invalid), so it does not start, or reload, with this configuration; write a name (example.org), a wildcard at one end (*.example.org, www.example.*, .example.org), or a regex after ~`,
    ]);
    expect(await problems('~(')).toEqual([
      `error: edge (8443): /${EDGE}:3:5: server_name ~(: nginx refuses it (nginx -t: pcre2_compile() failed: missing closing parenthesis in "("), so it does not start, or reload, with this configuration; correct the regex`,
    ]);
    expect(await problems('"~^(www\\.)?example\\.org$" ~)')).toEqual([
      expect.stringContaining('server_name ~): nginx refuses it (nginx -t: pcre2_compile() failed: unmatched closing parenthesis'),
    ]);
    expect(await problems('~')).toEqual([expect.stringContaining('server_name ~: nginx refuses it (nginx -t: empty regex in server name "~")')]);
    // nginx -t (1.22): `pcre2_compile() failed: \ at end of pattern in "^\"`, its backslash as one, as the terminal gets it.
    expect(await problems('~^\\\\')).toEqual([
      expect.stringContaining('server_name ~^\\\\: nginx refuses it (nginx -t: pcre2_compile() failed: \\ at end of pattern in "^\\")'),
    ]);
  });

  it('in another file nginx loads, said there', async () => {
    const conf = {
      'etc/nginx/nginx.conf': 'events {}\nhttp {\n  include /etc/nginx/conf.d/*.conf;\n  include /etc/nginx/sites-enabled/*;\n}\n',
      'etc/nginx/conf.d/a.conf': 'server {\n  listen 8443;\n  server_name .;\n}\n',
    };
    expect(await problems('example.org', conf)).toEqual([
      expect.stringContaining('/etc/nginx/conf.d/a.conf:3:3: server_name .: nginx refuses it (nginx -t: server name "." is invalid)'),
    ]);
  });

  it('not what nginx -t takes of one server alone: a * inside a name, a regex whose parentheses are in a class, quoted or a comment', async () => {
    for (const name of [
      'a*b',
      'www.*.example.org',
      '*.example.org',
      'example.*',
      '.example.org',
      '""',
      '_',
      '$hostname',
      '~[(]',
      '~\\Q(\\E',
      '"~(?x)a#("',
      '~[[:alpha:](]',
    ])
      expect(await problems(name), name).toEqual([]);
  });
});

const canRun =
  process.getuid?.() === 0 &&
  ['nginx', '/usr/sbin/nginx'].some((command) => hasCommand(command, ['-v'])) &&
  hasCommand('unshare', ['--version']) &&
  hasCommand('ip', ['-V']);
if (!canRun) console.warn('[skipped: the real nginx -t in a network namespace needs root, nginx (Debian package nginx-light), unshare and ip]');

/** Named values and seeded random ones of the characters that make a regex or a wildcard: the same every run. */
function values(): string[] {
  const named = [
    '*.',
    '*',
    '*a',
    '*ab',
    '*.a',
    '.',
    '..',
    '.a',
    'a*b',
    '~',
    '~(',
    '~)',
    '~()',
    '~[',
    '~[]',
    '~[]]',
    '~[^]]',
    '~a\\',
    '~\\Q(',
    '~\\Q(\\E',
    '~\\Q(\\E(',
    '~(?#(',
    '~(?#()',
    '~(?x)#(',
    '~[[:alpha:](]',
    '~[[:alpha:]',
    '~[\\c](]',
    '~\\c(',
    '~(*MARK:()',
    '~(*MARK:(',
    '~\\x{28}',
    '~(?C"(")',
    '~(?i)(',
    '~[)]',
    '~\\(',
    '~a{(',
    '~(?<n>a)\\k<n>',
    '~^(www\\.)?example\\.org$',
    '~[[:]]',
    '~[[:a]:]]',
    '~\\E(',
    '~[\\Q]\\E]',
    '~[\\Q]]',
  ];
  const alphabet = ['*', '.', '(', ')', '[', ']', '\\', 'a', ':', '^', 'Q', 'E', '#', '?', 'x', '{', '}', 'c', '|', '"'];
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const generated = Array.from({ length: 400 }, () => {
    const length = 1 + Math.floor(random() * 7);
    return `${random() < 0.7 ? '~' : ''}${Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('')}`;
  });
  return [...new Set([...named, ...generated])];
}

/** Edge on 18080 (a port of the namespace's own), for the site loaded beside a default one on the same port. */
const PORT = 18080;
const onPort = parseRegistry(readFileSync(join(fixtures, 'schemes/ports.yaml'), 'utf8').replace('port: 8443\n', `port: ${PORT}\n`), { source: 'ports.yaml' });
/** nginx.conf, a default site on `other` and the site Edge's server of `names` (PORT its port), under etc/nginx. */
const beside = (names: string, other = 'PORT default_server') => ({
  'nginx.conf': 'events {}\nhttp {\n  include sites-enabled/*;\n}\n',
  'sites-enabled/default': `server {\n    listen ${other};\n    return 404;\n}\n`,
  'sites-enabled/edge': `server {\n    listen PORT;\n    server_name ${names};\n    return 200;\n}\n`,
});

/** The check's server_name errors for the `beside` files. */
async function besideSays(files: Record<string, string>): Promise<string[]> {
  const tree = Object.fromEntries(
    Object.entries(files).map(([path, text]) => [`etc/nginx/${path}`, text.replaceAll('include ', 'include /etc/nginx/').replaceAll('PORT', String(PORT))]),
  );
  const root = writeTree(tempDir(), tree);
  const facts = await gather({ registry: onPort, root, services: [onPort.service('edge')] });
  return checkReferences(facts, onPort.service('edge'))
    .filter((result) => result.severity === 'error' && result.reason.includes('server_name'))
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

describe('a wildcard nginx takes of one server alone, beside another on the address and port', () => {
  it('is an error at its server_name, naming the other listen', async () => {
    expect(await besideSays(beside('example.org a*b'))).toEqual([
      `error: edge (${PORT}): /etc/nginx/sites-enabled/edge:3:5: server_name a*b: nginx refuses it where another server listens on the same address and port, as listen ${PORT} default_server (/etc/nginx/sites-enabled/default:2:5) does on 0.0.0.0:${PORT} (nginx -t: invalid server name or wildcard "a*b" on 0.0.0.0:${PORT}), so it does not start, or reload, with this configuration; write a name with one * at one end (*.example.org, www.example.*), or a regex after ~`,
    ]);
    expect(await besideSays(beside('a*b', '127.0.0.1:PORT'))).toEqual([]);
  });
});

describe('held to the real nginx -t', () => {
  it.skipIf(!canRun)('a wildcard beside another server on the address: said where nginx -t refuses it, and only there', { timeout: 60_000 }, async () => {
    const cases: readonly [string, string, boolean][] = [
      ['a*b', 'PORT default_server', true],
      ['www.*.example.org', 'PORT', true],
      ['*.a.*', 'PORT', true],
      ['a..b', 'PORT', true],
      ['x*', 'PORT', true],
      ['*.example.org', 'PORT', false],
      ['example.*', 'PORT', false],
      ['.example.org', 'PORT', false],
      ['a*b', '127.0.0.1:PORT', false],
      ['"~a*b"', 'PORT', false],
    ];
    const dir = tempDir();
    writeTree(
      dir,
      Object.fromEntries(
        cases.flatMap(([names, other], index) =>
          Object.entries(beside(names, other)).map(([path, text]) => [`${String(index).padStart(4, '0')}/${path}`, text.replaceAll('PORT', String(PORT))]),
        ),
      ),
    );
    const run = await runNetnsScript({ script: join(fixtures, 'server-name/netns.sh'), args: [dir], env: {}, timeoutMs: 50_000 });
    const said = new Map(
      run.output
        .trim()
        .split('\n')
        .map((line) => [Number(line.slice(0, 4)), line.slice(5)]),
    );
    for (const [index, [names, other, refused]] of cases.entries()) {
      const nginx = said.get(index) ?? 'no answer';
      expect({ names, other, nginx: nginx.startsWith('refused: invalid server name or wildcard') }).toEqual({ names, other, nginx: refused });
      expect({ names, other, said: (await besideSays(beside(names, other))).length > 0 }).toEqual({ names, other, said: refused });
    }
  });

  it.skipIf(!canRun)('every value said is one nginx -t refuses, and every wildcard or empty regex it refuses is said', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const names = values();
    const quoted = (name: string) => `"${name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
    writeTree(
      dir,
      Object.fromEntries(
        names.map((name, index) => [
          `${String(index).padStart(4, '0')}/nginx.conf`,
          `events {}\nhttp { access_log off; server { listen 127.0.0.1:18080; server_name ${quoted(name)}; return 200; } }\n`,
        ]),
      ),
    );
    const run = await runNetnsScript({ script: join(fixtures, 'server-name/netns.sh'), args: [dir], env: {}, timeoutMs: 50_000 });
    const said = new Map(
      run.output
        .trim()
        .split('\n')
        .map((line) => [Number(line.slice(0, 4)), line.slice(5)]),
    );
    const wrong = names.flatMap((name, index) => {
      const nginx = said.get(index) ?? 'no answer';
      const refused = refusedServerName(name);
      if (refused !== undefined) return nginx.startsWith('refused: ') ? [] : [`${name}: said, but nginx -t: ${nginx}`];
      return /^refused: (server name .* is invalid|empty regex)/.test(nginx) ? [`${name}: not said, but nginx -t: ${nginx}`] : [];
    });
    expect(wrong).toEqual([]);
    // Where the regex holds one error only, the words are nginx's (which may add where in it PCRE2 stopped: `at ")"`).
    for (const name of ['~(', '~)', '~[', '~a\\', '~(?#(', '~[[:alpha:]', '*.', '.', '~']) {
      const words = `refused: ${refusedServerName(name)!.refused}`;
      expect(said.get(names.indexOf(name))?.slice(0, words.length), name).toBe(words);
    }
  });
});
