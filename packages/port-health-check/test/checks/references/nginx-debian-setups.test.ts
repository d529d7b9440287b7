// Ordinary Debian 12 setups a tester staged under --root, each once a wrong pass: an upstream block in another file
// nginx loads (conf.d/upstreams.conf, nginx.conf's http {}), `server_name _;` beside Debian's default site, and an
// include nginx cannot open in nginx.conf (a modules-enabled link whose file is not there). Each tree is also given to
// the real nginx (1.22, `nginx -t`, its paths moved under a temp dir), which takes or refuses it as the check says.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { hasCommand } from '../../../../../test-support/index.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const NGINX = ['nginx', '/usr/sbin/nginx'].find((command) => hasCommand(command, ['-v']));
if (!NGINX) console.warn('[skipped: missing Debian package nginx-light: install with sudo bash scripts/install-system-packages.sh]');

const SITE = 'etc/nginx/sites-available/dsa110-contimg';
const AT = 'nginx (80): /etc/nginx/sites-available/dsa110-contimg';
/** Debian 12's nginx.conf, as far as what it includes. */
const NGINX_CONF =
  'user www-data;\ninclude /etc/nginx/modules-enabled/*.conf;\nevents {}\nhttp {\n  include /etc/nginx/conf.d/*.conf;\n  include /etc/nginx/sites-enabled/*;\n}\n';
/** Debian's stock sites-enabled/default. */
const DEBIAN_DEFAULT = 'server {\n\tlisten 80 default_server;\n\tlisten [::]:80 default_server;\n\troot /var/www/html;\n\tserver_name _;\n}\n';
const METRICS = 'location /metrics { allow 127.0.0.1; allow ::1; deny all; proxy_pass http://127.0.0.1:8000; }';

/** A Debian tree: nginx.conf, the site enabled, and `files`. */
const tree = (site: string, files: Record<string, TreeEntry> = {}): Record<string, TreeEntry> => ({
  'etc/nginx/nginx.conf': NGINX_CONF,
  [SITE]: site,
  'etc/nginx/sites-enabled/dsa110-contimg': { symlink: '../sites-available/dsa110-contimg' },
  ...files,
});

/** The references check's problems for nginx on `files` under a root, as `severity: reason`. */
async function problems(files: Record<string, TreeEntry>, prepare?: (root: string) => void): Promise<string[]> {
  const root = writeTree(tempDir(), files);
  prepare?.(root);
  const facts = await gather({ registry, root, services: [registry.service('nginx')] });
  return checkReferences(facts, registry.service('nginx'))
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

/** `nginx -t` of `files` with /etc/nginx/ moved under a temp dir (links, absolute ones too, moved with it): its status and what it says. */
function nginxTest(files: Record<string, TreeEntry>): { status: number | null; said: string } {
  const dir = tempDir();
  const moved = (text: string) => text.replaceAll('/etc/nginx/', `${dir}/etc/nginx/`).replace('user www-data;', '');
  const entries = Object.entries(files).map(([path, entry]): [string, TreeEntry] =>
    typeof entry === 'string' ? [path, moved(entry)] : 'symlink' in entry ? [path, { symlink: moved(entry.symlink) }] : [path, entry],
  );
  writeTree(dir, Object.fromEntries(entries));
  const conf = join(dir, 'etc/nginx/nginx.conf');
  const main = files['etc/nginx/nginx.conf'];
  writeTree(dir, { 'etc/nginx/nginx.conf': `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\n${moved(typeof main === 'string' ? main : NGINX_CONF)}` });
  const run = spawnSync(NGINX!, ['-t', '-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { encoding: 'utf8' });
  return { status: run.status, said: run.stderr };
}

describe('an upstream block in another file nginx loads', () => {
  // The site passes /api/ (and so /api/metrics, FastAPI's /metrics) through `api`, and /docs/ through `docs`.
  const site = `server {\n  listen 80;\n  listen [::]:80;\n  server_name dsa.example;\n  location /api/ { proxy_pass http://api/; }\n  location /docs/ { proxy_pass http://docs/; }\n  ${METRICS}\n}\n`;
  const upstreams = (docs: number) => `upstream api {\n  server 127.0.0.1:8000;\n}\nupstream docs {\n  server 127.0.0.1:${docs};\n}\n`;
  const exposed = expect.stringMatching(
    /^error: nginx \(80\): \/etc\/nginx\/sites-available\/dsa110-contimg:5: location \/api\/ is the location nginx picks for \/api\/metrics and passes it to FastAPI \(proxy_pass http:\/\/api\/, line 5\): .* is not restricted to localhost/,
  );

  it('in conf.d/upstreams.conf: its servers are held as the site’s own (a port no service uses; /api/metrics exposed)', async () => {
    const files = tree(site, { 'etc/nginx/conf.d/upstreams.conf': upstreams(8009) });
    if (NGINX) expect(nginxTest(files).status).toBe(0);
    const found = await problems(files);
    expect(found).toContainEqual(exposed);
    expect(found).toContainEqual(
      expect.stringMatching(
        /^error: nginx \(80\): \/etc\/nginx\/conf\.d\/upstreams\.conf:5:3: server 127\.0\.0\.1:8009 in upstream docs .*no other registry service uses port 8009/,
      ),
    );
    expect(found).toHaveLength(2);
    // MkDocs' own port reaches MkDocs: only the exposure is said.
    expect(await problems(tree(site, { 'etc/nginx/conf.d/upstreams.conf': upstreams(8001) }))).toEqual([exposed]);
  });

  it('in nginx.conf’s own http {}: the same', async () => {
    const files = tree(site, { 'etc/nginx/nginx.conf': NGINX_CONF.replace('http {\n', `http {\n${upstreams(8001)}`) });
    expect(await problems(files)).toEqual([exposed]);
  });

  it('of the same name as the site’s own: an error, as nginx refuses the second (duplicate upstream)', async () => {
    const files = tree(`upstream API {\n  server 127.0.0.1:8000;\n}\n${site}`, { 'etc/nginx/conf.d/upstreams.conf': upstreams(8001) });
    if (NGINX) expect(nginxTest(files).said).toMatch(/duplicate upstream "API"/);
    expect(await problems(files)).toContainEqual(
      `error: ${AT}:1:1: upstream API: nginx refuses it, as upstream api (/etc/nginx/conf.d/upstreams.conf:1) has the same name (nginx -t: "duplicate upstream API"), so it does not start, or reload, with this configuration; rename one of them, or remove it`,
    );
  });

  it('not in what the check read: unknown, where a file that may hold it cannot be read, or nginx.conf is not there', async () => {
    const unknown = (host: string, why: string) =>
      expect.stringMatching(
        new RegExp(
          `^unknown: ${AT.replace('(80)', '\\(80\\)')}:\\d+:\\d+: proxy_pass http://${host}/: no upstream ${host} is in what this check read, and ${why}, so whether it passes requests to FastAPI`,
        ),
      );
    // conf.d/upstreams.conf a FIFO: matched by the glob, not read.
    const fifo = (root: string) => {
      mkdirSync(join(root, 'etc/nginx/conf.d'), { recursive: true });
      expect(spawnSync('mkfifo', [join(root, 'etc/nginx/conf.d/upstreams.conf')]).status).toBe(0);
    };
    const unread = await problems(tree(site), fifo);
    expect(unread).toContainEqual(unknown('api', 'an include this check cannot read may define it'));
    expect(unread).toContainEqual(unknown('docs', 'an include this check cannot read may define it'));
    expect(unread).toContainEqual(expect.stringMatching(/^unknown: nginx \(80\): \/etc\/nginx\/nginx\.conf:5:3: include \/etc\/nginx\/conf\.d\/\*\.conf: /));
    const { 'etc/nginx/nginx.conf': _, ...noMain } = tree(site);
    expect(await problems(noMain)).toEqual([
      unknown('api', "nginx's main configuration, whose http \\{\\} may define it, was not read"),
      unknown('docs', "nginx's main configuration, whose http \\{\\} may define it, was not read"),
    ]);
  });
});

describe('server_name _ beside Debian’s default site', () => {
  const site = (names: string) =>
    `server {\n  listen 80;\n  listen [::]:80;\n  ${names}\n  location /api/ { proxy_pass http://127.0.0.1:8000; }\n  ${METRICS}\n}\n`;

  it('is no name a client sends: the default site answers (nginx -t: conflicting server name "_", ignored)', async () => {
    const files = tree(site('server_name _;'), { 'etc/nginx/sites-enabled/default': DEBIAN_DEFAULT });
    if (NGINX) {
      const run = nginxTest(files);
      expect(run.status).toBe(0);
      expect(run.said).toMatch(/conflicting server name "_" on 0\.0\.0\.0:80, ignored/);
    }
    const said = (line: number, listen: string, address: string, other: string) =>
      `error: ${AT}:${line}:3: listen ${listen}: nginx answers requests to ${address} whose Host header matches no server_name with its default server, listen ${other} default_server (/etc/nginx/sites-enabled/default:${line}), as it is default_server there, and this server has no server_name but _, which no client sends, so nginx never serves Nginx's site to a client that sends a Host header (browsers, curl); remove that site (rm /etc/nginx/sites-enabled/default), or add default_server to this listen and remove it from that one, or give this server the server_name its clients use`;
    expect(await problems(files)).toEqual([said(2, '80', '0.0.0.0:80', '80'), said(3, '[::]:80', '[::]:80', '[::]:80')]);
    // A name beside it is one clients send.
    expect(await problems(tree(site('server_name _ dsa.example;'), { 'etc/nginx/sites-enabled/default': DEBIAN_DEFAULT }))).toEqual([]);
  });
});

describe('an include in nginx.conf that nginx cannot open', () => {
  const site = `server {\n  listen 80;\n  listen [::]:80;\n  server_name dsa.example;\n  location /api/ { proxy_pass http://127.0.0.1:8000; }\n  ${METRICS}\n}\n`;
  const refused = (include: string, problem: string, fix: string) =>
    `error: nginx (80): /etc/nginx/nginx.conf:2:1: include ${include}: ${problem}, so nginx refuses a configuration that loads it (nginx -t fails: "open() ... failed (2: No such file or directory)"), and does not start, or reload, with it; ${fix}`;

  it('a modules-enabled link whose file is not there (staged without it): an error at the include, naming the link', async () => {
    const link = { symlink: '/usr/share/nginx/modules-available/mod-http-geoip.conf' };
    const files = tree(site, { 'etc/nginx/modules-enabled/50-mod-http-geoip.conf': link });
    if (NGINX) {
      // Under the temp dir, the link names a file that is not there either.
      const run = nginxTest(files);
      expect(run.status).not.toBe(0);
      expect(run.said).toMatch(/open\(\) ".*\/etc\/nginx\/modules-enabled\/50-mod-http-geoip\.conf" failed \(2: No such file or directory\)/);
    }
    expect(await problems(files)).toEqual([
      refused(
        '/etc/nginx/modules-enabled/*.conf',
        '/etc/nginx/modules-enabled/50-mod-http-geoip.conf: no such file',
        'remove the link, or create the file it names',
      ),
    ]);
    // With the file there (as on the machine), nothing.
    const there = { ...files, 'usr/share/nginx/modules-available/mod-http-geoip.conf': '# load_module ...;\n' };
    expect(readlinkSync(join(writeTree(tempDir(), there), 'etc/nginx/modules-enabled/50-mod-http-geoip.conf'))).toBe(link.symlink);
    expect(await problems(there)).toEqual([]);
  });

  it('one file named that is not there: an error at the include; a glob matching nothing is fine', async () => {
    const missing = tree(site, { 'etc/nginx/nginx.conf': NGINX_CONF.replace('modules-enabled/*.conf', 'modules-enabled/geoip.conf') });
    if (NGINX) expect(nginxTest(missing).status).not.toBe(0);
    expect(await problems(missing)).toEqual([refused('/etc/nginx/modules-enabled/geoip.conf', 'no such file', 'create the file, or remove the include')]);
    if (NGINX) expect(nginxTest(tree(site)).status).toBe(0);
    expect(await problems(tree(site))).toEqual([]);
  });
});

describe('an entry nginx cannot open in the glob that holds the site (sites-enabled/*)', () => {
  // Judged as any other glob's entries are (conf.d/*.conf): nginx opens every name it matches but dot files, so one it
  // cannot open or read fails nginx -t, whether the site is still linked there or not (it was `references ok`).
  const site = `server {\n  listen 80;\n  server_name dsa.example;\n  location /api/ { proxy_pass http://127.0.0.1:8000; }\n  ${METRICS}\n}\n`;
  const { 'etc/nginx/sites-enabled/dsa110-contimg': _, ...unlinked } = tree(site);
  const SITES = '/etc/nginx/sites-enabled/*';
  /** The error at nginx.conf's include of `glob` (line 6, column 3: sites-enabled/*; line 5: conf.d/*.conf) for `entry`. */
  const refused = (glob: string, entry: string, problem: string, failed: string, fix: string) =>
    `error: nginx (80): /etc/nginx/nginx.conf:${glob === SITES ? 6 : 5}:3: include ${glob}: ${entry}: ${problem}, so nginx refuses a configuration that loads it (nginx -t fails: "${failed}"), and does not start, or reload, with it; ${fix}`;
  const dangling = refused(
    SITES,
    '/etc/nginx/sites-enabled/zz',
    'no such file',
    'open() ... failed (2: No such file or directory)',
    'remove the link, or create the file it names',
  );

  it('a link whose file is not there, the site unlinked or still linked: an error at the include (nginx -t: No such file or directory)', async () => {
    const gone = { ...unlinked, 'etc/nginx/sites-enabled/zz': { symlink: 'nope' } };
    if (NGINX) {
      const run = nginxTest(gone);
      expect(run.status).not.toBe(0);
      expect(run.said).toMatch(/open\(\) ".*\/etc\/nginx\/sites-enabled\/zz" failed \(2: No such file or directory\) in .*\/nginx\.conf:\d+/);
    }
    expect(await problems(gone)).toEqual([dangling]);
    const linked = { ...tree(site), 'etc/nginx/sites-enabled/zz': { symlink: 'nope' } };
    if (NGINX) expect(nginxTest(linked).said).toMatch(/sites-enabled\/zz" failed \(2: No such file or directory\)/);
    expect(await problems(linked)).toEqual([dangling]);
  });

  it('a directory, or a loop of links, beside the linked site: an error at the include (nginx -t: Is a directory, Too many levels of symbolic links)', async () => {
    const directory = tree(site, { 'etc/nginx/sites-enabled/old/default': DEBIAN_DEFAULT });
    if (NGINX) expect(nginxTest(directory).said).toMatch(/pread\(\) ".*\/etc\/nginx\/sites-enabled\/old" failed \(21: Is a directory\)/);
    expect(await problems(directory)).toEqual([
      refused(
        SITES,
        '/etc/nginx/sites-enabled/old',
        'a directory, not a file',
        'pread() ... failed (21: Is a directory)',
        'rename or move the directory the glob matches',
      ),
    ]);
    const loop = tree(site, { 'etc/nginx/sites-enabled/l': { symlink: 'l' } });
    if (NGINX) expect(nginxTest(loop).said).toMatch(/open\(\) ".*\/etc\/nginx\/sites-enabled\/l" failed \(40: Too many levels of symbolic links\)/);
    const looped = (glob: string, entry: string) =>
      refused(glob, entry, 'a loop of symbolic links', 'open() ... failed (40: Too many levels of symbolic links)', 'remove the link, or point it at a file');
    expect(await problems(loop)).toEqual([looped(SITES, '/etc/nginx/sites-enabled/l')]);
    // The same in conf.d/*.conf (it was unknown there): one code path for every glob.
    const confLoop = tree(site, { 'etc/nginx/conf.d/l.conf': { symlink: 'l.conf' } });
    if (NGINX) expect(nginxTest(confLoop).said).toMatch(/conf\.d\/l\.conf" failed \(40: Too many levels of symbolic links\)/);
    expect(await problems(confLoop)).toEqual([looped('/etc/nginx/conf.d/*.conf', '/etc/nginx/conf.d/l.conf')]);
  });

  it('dot files are not matched, as nginx’s glob skips them: a dangling .link or a .dir there is nothing', async () => {
    const hidden = tree(site, { 'etc/nginx/sites-enabled/.zz': { symlink: 'nope' }, 'etc/nginx/sites-enabled/.old/default': DEBIAN_DEFAULT });
    if (NGINX) expect(nginxTest(hidden).status).toBe(0);
    expect(await problems(hidden)).toEqual([]);
    // Beside one nginx does open, still said.
    const both = { ...unlinked, 'etc/nginx/sites-enabled/.zz': { symlink: 'nope' }, 'etc/nginx/sites-enabled/zz': { symlink: 'nope' } };
    if (NGINX) expect(nginxTest(both).status).not.toBe(0);
    expect(await problems(both)).toEqual([dangling]);
  });
});

describe('a listen where nginx does not take one', () => {
  // The hostile tester's: `location /metrics { deny all; listen 18081; }` passed; nginx -t refuses it.
  it('inside location {}, if {} or limit_except {}: an error at its line:col, as nginx does not start', async () => {
    const site = (inLocation: string) =>
      `server {\n  listen 80;\n  server_name dsa.example;\n  location /api/ { proxy_pass http://127.0.0.1:8000/; }\n  ${METRICS}\n  location /x/ { ${inLocation} }\n}\n`;
    const refused = (around: string, column: number) =>
      `error: ${AT}:6:${column}: listen 8081 is inside ${around} {}, where nginx refuses it (nginx -t: "listen" directive is not allowed here), so it does not start, or reload, with this configuration; move it into its server {}, outside any ${around} {}`;
    for (const [inLocation, around, column] of [
      ['listen 8081;', 'location', 18],
      ['if ($host) { listen 8081; }', 'if', 31],
      ['limit_except GET { listen 8081; }', 'limit_except', 37],
    ] as const) {
      const files = tree(site(inLocation));
      if (NGINX) expect(nginxTest(files).said).toMatch(/"listen" directive is not allowed here in .*dsa110-contimg:6/);
      expect(await problems(files)).toContainEqual(refused(around, column));
    }
  });
});

describe('an upstream block where nginx does not take one', () => {
  const site = (inServer = '') =>
    `server {\n  listen 80;\n  server_name dsa.example;\n  ${inServer}\n  location /api/ { proxy_pass http://api/; }\n  ${METRICS}\n}\n`;
  const refused = (at: string, where: string) =>
    `error: ${at}: upstream api is ${where}, where nginx refuses it (nginx -t: "upstream" directive is not allowed here), so it does not start, or reload, with this configuration; move it into http {}, outside any server {} (a file of conf.d/, or the site's top level)`;
  const stray = expect.stringMatching(/server 127\.0\.0\.1:8009 in upstream api/);

  it('inside server {}, directly or through an include there: an error at its line, and it defines no name', async () => {
    const direct = tree(site('upstream api { server 127.0.0.1:8009; }'));
    if (NGINX) expect(nginxTest(direct).said).toMatch(/"upstream" directive is not allowed here in .*dsa110-contimg:4/);
    const found = await problems(direct);
    expect(found).toContainEqual(refused(`${AT}:4:3`, 'inside server {}'));
    expect(found).not.toContainEqual(stray);
    const included = tree(site('include /etc/nginx/snippets/up.conf;'), { 'etc/nginx/snippets/up.conf': '\nupstream api { server 127.0.0.1:8009; }\n' });
    if (NGINX) expect(nginxTest(included).said).toMatch(/"upstream" directive is not allowed here in .*up\.conf:2/);
    const through = await problems(included);
    expect(through).toContainEqual(refused('nginx (80): /etc/nginx/snippets/up.conf:2:1', 'inside server {}'));
    expect(through.filter((problem) => problem.includes('not allowed here'))).toHaveLength(1);
    expect(through).not.toContainEqual(stray);
  });

  it('in conf.d inside another server, or at the top of nginx.conf outside http {}: the same', async () => {
    const other = tree(site(), {
      'etc/nginx/conf.d/other.conf':
        'upstream api { server 127.0.0.1:8000; }\nserver {\n  listen 127.0.0.1:8081;\n  upstream docs { server 127.0.0.1:8009; }\n}\n',
    });
    if (NGINX) expect(nginxTest(other).said).toMatch(/"upstream" directive is not allowed here in .*other\.conf:4/);
    expect(await problems(other)).toContainEqual(
      refused('nginx (80): /etc/nginx/conf.d/other.conf:4:3', 'inside server {}').replace('upstream api', 'upstream docs'),
    );
    const top = tree(site(), { 'etc/nginx/nginx.conf': `upstream api { server 127.0.0.1:8009; }\n${NGINX_CONF}` });
    if (NGINX) expect(nginxTest(top).said).toMatch(/"upstream" directive is not allowed here in .*nginx\.conf:3/);
    const found = await problems(top);
    expect(found).toContainEqual(refused('nginx (80): /etc/nginx/nginx.conf:1:1', 'outside http {}'));
    expect(found).not.toContainEqual(stray);
  });
});

describe('a pass to an upstream name defined nowhere, with everything nginx loads read', () => {
  const site = `server {\n  listen 80;\n  server_name dsa.example;\n  location /api/ { proxy_pass http://apii/; }\n  ${METRICS}\n}\n`;
  const said = (severity: string, hosts: string) =>
    `${severity}: ${AT}:4:20: proxy_pass http://apii/: no upstream apii is defined in what nginx loads, and ${hosts}, so it is most likely a missing upstream block: nginx refuses the configuration (nginx -t: host not found in upstream "apii"), so it does not start, or reload, with this configuration, unless DNS resolves apii; define upstream apii { server 127.0.0.1:8000; } in http {} (a file of conf.d/, or the site's top level), or write proxy_pass http://127.0.0.1:8000; if it is meant for FastAPI (ports snippet nginx-site)`;

  it('not in /etc/hosts: a warning (nginx -t: host not found in upstream, unless DNS resolves it); in it, nothing', async () => {
    const files = tree(site, { 'etc/nginx/conf.d/upstreams.conf': 'upstream api {\n  server 127.0.0.1:8000;\n}\n' });
    if (NGINX) expect(nginxTest(files).said).toMatch(/host not found in upstream "apii"/);
    expect(await problems(files)).toContainEqual(said('warning', 'apii is not in /etc/hosts'));
    expect(await problems({ ...files, 'etc/hosts': '127.0.0.1 localhost\n10.0.0.9 db APII # the API box\n' })).not.toContainEqual(
      expect.stringMatching(/no upstream apii/),
    );
    // Defined where nginx takes it: nothing of the kind.
    const defined = { ...files, 'etc/nginx/conf.d/upstreams.conf': 'upstream apii {\n  server 127.0.0.1:8000;\n}\n' };
    if (NGINX) expect(nginxTest(defined).status).toBe(0);
    expect(await problems(defined)).not.toContainEqual(expect.stringMatching(/no upstream apii/));
  });
});

describe('a listen value nginx refuses in another server block nginx loads', () => {
  const site = `server {\n  listen 80;\n  server_name dsa.example;\n  location /api/ { proxy_pass http://127.0.0.1:8000; }\n  ${METRICS}\n}\n`;
  const other = (value: string) => `server {\n  server_name other.example;\n  listen ${value};\n}\n`;

  it('is held as the site’s own: an error where nginx refuses it, a warning for a host name', async () => {
    for (const [value, said] of [
      [
        '0',
        'error: nginx (80): /etc/nginx/conf.d/other.conf:3: listen 0: not a port nginx accepts (it refuses to start); write the port that server is to listen on',
      ],
      [
        ':18082',
        'error: nginx (80): /etc/nginx/conf.d/other.conf:3: listen :18082: no host before the port, which nginx refuses (nginx -t: "no host in ..."), so it does not start; write the port that server is to listen on',
      ],
      [
        '8o',
        'warning: nginx (80): /etc/nginx/conf.d/other.conf:3: listen 8o: not a port, and as a host name it means port 80 on whatever 8o resolves to; write the port that server is to listen on',
      ],
    ] as const) {
      const files = tree(site, { 'etc/nginx/conf.d/other.conf': other(value) });
      if (NGINX) expect(nginxTest(files).said, value).toMatch(/of the "listen" directive in .*other\.conf:3/);
      expect(await problems(files), value).toEqual([said]);
    }
  });
});

describe('an include of a directory', () => {
  const site = (include: string) =>
    `server {\n  listen 80;\n  server_name dsa.example;\n  ${include}\n  location /api/ { proxy_pass http://127.0.0.1:8000; }\n  ${METRICS}\n}\n`;
  const refused = (at: string, include: string, problem: string, fix: string) =>
    `error: nginx (80): ${at}: include ${include}: ${problem}, so nginx refuses a configuration that loads it (nginx -t fails: "pread() ... failed (21: Is a directory)"), and does not start, or reload, with it; ${fix}`;

  it('named, or matched by a glob: an error at the include, as a missing file is (nginx -t: Is a directory)', async () => {
    const named = tree(site('include snippets/x.conf;'), { 'etc/nginx/snippets/x.conf/a.conf': '# a file in a directory\n' });
    if (NGINX) expect(nginxTest(named).said).toMatch(/pread\(\) ".*\/snippets\/x\.conf" failed \(21: Is a directory\)/);
    expect(await problems(named)).toEqual([
      refused(
        '/etc/nginx/sites-available/dsa110-contimg:4:3',
        'snippets/x.conf',
        'a directory, not a file',
        'include the files in it (include snippets/x.conf/*.conf;), or remove the include',
      ),
    ]);
    const globbed = tree(site(''), { 'etc/nginx/conf.d/old.conf/a.conf': '# a file in a directory\n' });
    if (NGINX) expect(nginxTest(globbed).said).toMatch(/pread\(\) ".*\/conf\.d\/old\.conf" failed \(21: Is a directory\)/);
    expect(await problems(globbed)).toEqual([
      refused(
        '/etc/nginx/nginx.conf:5:3',
        '/etc/nginx/conf.d/*.conf',
        '/etc/nginx/conf.d/old.conf: a directory, not a file',
        'rename or move the directory the glob matches',
      ),
    ]);
  });
});
