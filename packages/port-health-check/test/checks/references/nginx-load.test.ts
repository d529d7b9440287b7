// Whether nginx serves the site file the registry names, on real trees under --root: nginx.conf's includes are
// followed (sites-enabled/*, conf.d/*.conf), a link there to the file is the file, a copy that differs is named,
// and a site no include reaches is not served. Without nginx.conf (no nginx here) nothing is said.
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadRegistry, parseRegistry, type Registry } from '@dsa110/ports';
import { renderSnippets } from '@dsa110/ports/render';
import { reloadStep } from '@dsa110/ports/systemd';
import { describe, expect, it } from 'vitest';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';
import { hasCommand } from '../../../../../test-support/commands.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const SITE = '/etc/nginx/sites-available/dsa110-contimg';
const ENABLED = '/etc/nginx/sites-enabled/dsa110-contimg';
const site = renderSnippets(registry, 'nginx-site')[0]!;
const NGINX_CONF = 'events {}\nhttp {\n  include /etc/nginx/mime.types;\n  include /etc/nginx/conf.d/*.conf;\n  include /etc/nginx/sites-enabled/*;\n}\n';

// Read under a temp root (said ROOT): a fix ends as reloadStep says there, not with the host's daemon-reload.
const RELOAD = '; systemd reads it when the system under ROOT boots';

async function nginxFindings(files: Record<string, TreeEntry>, reg: Registry = registry): Promise<string[]> {
  const root = writeTree(tempDir(), { [SITE.slice(1)]: site.text, 'etc/nginx/mime.types': 'types {}\n', ...files });
  const facts = await gather({ registry: reg, root });
  return checkReferences(facts, reg.service('nginx'))
    .map((result) => withoutRoot(result, root))
    .filter((result) => result.severity !== 'ok')
    .map((result) => result.reason.replaceAll(root, 'ROOT'));
}

/** As nginxFindings, each with its severity. */
async function nginxResults(files: Record<string, TreeEntry>): Promise<string[]> {
  const root = writeTree(tempDir(), { [SITE.slice(1)]: site.text, 'etc/nginx/mime.types': 'types {}\n', ...files });
  const facts = await gather({ registry, root });
  return checkReferences(facts, registry.service('nginx'))
    .map((result) => withoutRoot(result, root))
    .filter((result) => result.severity !== 'ok')
    .map((result) => `${result.severity}: ${result.reason.replaceAll(root, 'ROOT')}`);
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
      `nginx (80): ${SITE}: nginx does not load this file: no include of /etc/nginx/nginx.conf reaches it, so the site is not served; enable it (ln -s ${SITE} ROOT${ENABLED}), then test it there with chroot ROOT nginx -t; nginx reads it when the system under ROOT boots`,
    ]);
    // Includes past the text read in all (16 MiB, as for a site's own) may reach it: not said absent, only the include unread.
    const big = `# ${'x'.repeat(3.5 * 1024 * 1024)}\n`;
    const parts = Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`etc/nginx/part${n}.conf`, big]));
    const many = NGINX_CONF.replace('http {', `http {\n${[1, 2, 3, 4, 5].map((n) => `  include /etc/nginx/part${n}.conf;`).join('\n')}`);
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': many, ...parts })).toEqual([
      'nginx (80): /etc/nginx/nginx.conf:7:3: include /etc/nginx/part5.conf: its files and those read before come to more than the 16 MiB read for includes; a listen or proxy_pass in it is not checked',
    ]);
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
    // An include that cannot be read may reach it: not said absent; one nginx cannot open either is said, as nginx refuses it.
    const unreadable = NGINX_CONF.replace('mime.types;', 'missing.types;');
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': unreadable })).toEqual([
      'nginx (80): /etc/nginx/nginx.conf:3:3: include /etc/nginx/missing.types: no such file, so nginx refuses a configuration that loads it (nginx -t fails: "open() ... failed (2: No such file or directory)"), and does not start, or reload, with it; create the file, or remove the include',
    ]);
  });

  it('advises a link only where an include of nginx.conf would read it and nothing is yet; else to include the file', async () => {
    const include =
      'include it from /etc/nginx/nginx.conf or a file it includes, then test it there with chroot ROOT nginx -t; nginx reads it when the system under ROOT boots';
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
      `nginx (80): ${conf}: nginx does not load this file: no include of /etc/nginx/nginx.conf reaches it, so the site is not served; enable it (ln -s ${conf} ROOT/etc/nginx/sites-enabled/dsa110-contimg.conf), then test it there with chroot ROOT nginx -t; nginx reads it when the system under ROOT boots`,
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
      expect.stringContaining(
        "; enable it (ln -s '/etc/nginx/sites-available/dsa110 contimg' 'ROOT/etc/nginx/sites-enabled/dsa110 contimg'), then test it there with chroot ROOT nginx -t",
      ),
    ]);
  });

  it('names the copy nginx loads instead when it differs (edited in sites-available, the old copy still served)', async () => {
    const old = site.text.replace('127.0.0.1:8000', '127.0.0.1:8001');
    expect(old).not.toBe(site.text);
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': NGINX_CONF, [ENABLED.slice(1)]: old })).toEqual([
      `nginx (80): ${SITE}: nginx loads ${ENABLED}, a copy of this file that differs from it, not this file, so these findings are not about the site it serves; replace the copy with a link (ln -sf ${SITE} ROOT${ENABLED}), then test it there with chroot ROOT nginx -t; nginx reads it when the system under ROOT boots, or name ${ENABLED} in config:`,
    ]);
  });
});

describe('the main configuration nginx loads from, as its unit starts it', () => {
  const UNIT = 'lib/systemd/system/nginx.service';
  const unit = (start: string, extra = '') => `[Service]\nType=forking\n${extra}ExecStart=/usr/sbin/nginx ${start}\n`;
  const ALT = 'events {}\nhttp {\n  include /etc/nginx/conf.d/*.conf;\n}\n';
  const DAEMON = "-g 'daemon on; master_process on;'";

  it('follows the file its -c names, not nginx.conf: a site only nginx.conf reaches is not served', async () => {
    const linked = { 'etc/nginx/nginx.conf': NGINX_CONF, [ENABLED.slice(1)]: { symlink: SITE }, 'etc/nginx/alt.conf': ALT };
    expect(await nginxFindings({ ...linked, [UNIT]: unit(`-c /etc/nginx/alt.conf ${DAEMON}`) })).toEqual([
      `nginx (80): ${SITE}: nginx does not load this file: no include of /etc/nginx/alt.conf (the main configuration the -c of /${UNIT}:3 names) reaches it, so the site is not served; include it from /etc/nginx/alt.conf or a file it includes, then test it there with chroot ROOT nginx -t -c /etc/nginx/alt.conf; nginx reads it when the system under ROOT boots, or name a main configuration that includes it in that -c${RELOAD}`,
    ]);
    // Its other spellings: -cFILE, after flags (-qc FILE), the last -c given winning.
    for (const start of ['-c/etc/nginx/alt.conf', '-qc /etc/nginx/alt.conf', '-c /etc/nginx/nginx.conf -c /etc/nginx/alt.conf']) {
      expect(await nginxFindings({ ...linked, [UNIT]: unit(start) })).toEqual([expect.stringContaining('no include of /etc/nginx/alt.conf (the main')]);
    }
    // Debian's own unit (-g alone) and a -p alone (nginx.conf is read whatever the prefix): nginx.conf, as before.
    for (const start of [DAEMON, '-p /srv/www']) expect(await nginxFindings({ ...linked, [UNIT]: unit(start) })).toEqual([]);
    // A wrapper may give nginx any -c: unknown (never absent, where nginx.conf would not reach the site, nor a pass).
    const unlinked = { 'etc/nginx/nginx.conf': NGINX_CONF, 'etc/nginx/alt.conf': `events {}\nhttp {\n  include ${SITE};\n}\n` };
    const wrapped = (runs: string) =>
      `nginx (80): /${UNIT}:2: the main configuration nginx reads is not known, as its ExecStart= runs ${runs}, not nginx itself, and what that runs, with which arguments, is not read; whether nginx loads this file is not checked; run nginx itself in ExecStart= to have it checked (Environment=, Nice=, CPUAffinity= and IOSchedulingClass= in the unit do what env, nice, taskset and ionice do)`;
    expect(await nginxFindings({ ...unlinked, [UNIT]: "[Service]\nExecStart=/bin/sh -c 'exec nginx -c /etc/nginx/alt.conf'\n" })).toEqual([wrapped('/bin/sh')]);
    expect(await nginxFindings({ ...unlinked, [UNIT]: '[Service]\nExecStart=/usr/local/bin/start-nginx\n' })).toEqual([wrapped('/usr/local/bin/start-nginx')]);
  });

  // Checked with nginx 1.22.1 chrooted in such a tree (`chroot DIR nginx -T`, /usr bind-mounted in): it reads DIR's
  // nginx.conf and, through DIR's sites-enabled link to /etc/nginx/sites-available/..., DIR's site, never the root's.
  it('under RootDirectory= follows its configuration and includes inside that directory, links too, as the chrooted nginx reads them', async () => {
    const text = readFileSync(join(repoRoot, 'ports.yaml'), 'utf8');
    const JAIL = '/srv/nginx';
    const inJail = parseRegistry(text.replace(`config: ${SITE}`, `config: ${JAIL}${SITE}`), { source: 'ports.yaml' });
    const chrooted = {
      [UNIT]: unit(DAEMON, `RootDirectory=${JAIL}\n`),
      [`${JAIL.slice(1)}${SITE}`]: site.text,
      [`${JAIL.slice(1)}/etc/nginx/mime.types`]: 'types {}\n',
    };
    // The root's own nginx.conf reaches no site; the jail's reaches its site through an absolute link, resolved inside the jail.
    const served = {
      ...chrooted,
      'etc/nginx/nginx.conf': 'events {}\nhttp {}\n',
      [`${JAIL.slice(1)}/etc/nginx/nginx.conf`]: NGINX_CONF,
      [`${JAIL.slice(1)}${ENABLED}`]: { symlink: SITE },
    };
    expect(await nginxFindings(served, inJail)).toEqual([]);
    // The site's own absolute include, a link too, is the jail's file: its listen moved to 8080 leaves port 80 IPv6 only.
    const listen = site.text.match(/listen [^;]*;/)![0];
    const including = {
      ...served,
      [`${JAIL.slice(1)}${SITE}`]: site.text.replace(listen, 'include /etc/nginx/snippets/listen.conf;'),
      [`${JAIL.slice(1)}/etc/nginx/snippets/listen.conf`]: { symlink: '/etc/nginx/snippets/real.conf' },
      [`${JAIL.slice(1)}/etc/nginx/snippets/real.conf`]: 'listen 8080;\n',
      'etc/nginx/snippets/real.conf': listen,
    };
    expect(await nginxFindings(including, inJail)).toEqual([expect.stringContaining(`${JAIL}${SITE}:4:5: listen [::]:80 takes IPv6 connections only`)]);
    // Not reached inside the jail (though the root's nginx.conf reaches the root's file of that name): not served, and
    // the link to make is the jail's, its target as nginx names it, tested chrooted there.
    const unserved = {
      ...chrooted,
      'etc/nginx/nginx.conf': NGINX_CONF,
      [ENABLED.slice(1)]: { symlink: SITE },
      [`${JAIL.slice(1)}/etc/nginx/nginx.conf`]: NGINX_CONF,
      [`${JAIL.slice(1)}/etc/nginx/sites-enabled/default`]: 'server { listen 8081; }\n',
    };
    expect(await nginxFindings(unserved, inJail)).toEqual([
      `nginx (80): ${JAIL}${SITE}: nginx does not load this file: no include of ${JAIL}/etc/nginx/nginx.conf (the main configuration of the nginx /${UNIT}:4 runs chrooted in RootDirectory=${JAIL}) reaches it, so the site is not served; enable it (ln -s ${SITE} ROOT${JAIL}${ENABLED}), then test it there with chroot ROOT${JAIL} nginx -t -c /etc/nginx/nginx.conf; nginx reads it when the system under ROOT boots, or name a main configuration that includes it in that -c${RELOAD}`,
    ]);
    // The registry's file outside the jail: nginx cannot open it, whatever the root's nginx.conf includes.
    expect(await nginxFindings({ ...unserved, [`${JAIL.slice(1)}${ENABLED}`]: { symlink: SITE } })).toEqual([
      expect.stringContaining(`${SITE}: nginx does not load this file: it runs chrooted in RootDirectory=${JAIL} (/${UNIT}:4), where this file is not`),
    ]);
  });

  // systemd.exec(5): BindPaths=/BindReadOnlyPaths= mount a path of the host into the chroot (TemporaryFileSystem=,
  // MountImages= and the like mount other things): the files nginx opens are then not only the jail's.
  it('under RootDirectory= without nginx.conf there: nginx exits, its default named as it opens it; with BindReadOnlyPaths= (or the like) unknown', async () => {
    const JAIL = '/srv/jail';
    const jailed = (extra: string) => ({
      [UNIT]: unit(DAEMON, `RootDirectory=${JAIL}\n${extra}`),
      'etc/nginx/nginx.conf': NGINX_CONF,
      [ENABLED.slice(1)]: { symlink: SITE },
      [`${JAIL.slice(1)}/etc/nginx/mime.types`]: 'types {}\n',
    });
    // No -c: nginx opens its default /etc/nginx/nginx.conf inside the jail.
    expect(await nginxResults(jailed(''))).toEqual([
      `error: nginx (80): /${UNIT}:4: nginx exits at start: its main configuration /etc/nginx/nginx.conf (chrooted in RootDirectory=${JAIL}: ${JAIL}/etc/nginx/nginx.conf) is not there; create the file${RELOAD}`,
    ]);
    // BindReadOnlyPaths=/etc/nginx: the chrooted nginx reads the host's /etc/nginx; not followed here, so unknown.
    const unknown = (line: number, setting: string) =>
      `unknown: nginx (80): /${UNIT}:${line}: the main configuration nginx reads is not known, as its ExecStart= runs chrooted in RootDirectory=${JAIL} (/${UNIT}:3), into which ${setting} (/${UNIT}:${line}) mounts files this check does not follow; whether nginx loads this file is not checked`;
    expect(await nginxResults(jailed('BindReadOnlyPaths=/etc/nginx\n'))).toEqual([unknown(4, 'BindReadOnlyPaths=/etc/nginx')]);
    expect(await nginxResults(jailed('BindPaths=-/etc/nginx:/etc/nginx:rbind\nTemporaryFileSystem=/var\n'))).toEqual([unknown(5, 'TemporaryFileSystem=/var')]);
    // ConfigurationDirectory=nginx binds the host's /etc/nginx in (it implies BindPaths= under RootDirectory=).
    expect(await nginxResults(jailed('ConfigurationDirectory=nginx\n'))).toEqual([unknown(4, 'ConfigurationDirectory=nginx')]);
    // An empty line resets the list, either bind list's both: the jail alone again.
    const exits = [expect.stringContaining('nginx exits at start')];
    expect(await nginxResults(jailed('BindReadOnlyPaths=/etc/nginx\nBindReadOnlyPaths=\n'))).toEqual(exits);
    expect(await nginxResults(jailed('BindPaths=/etc/nginx\nBindReadOnlyPaths=\n'))).toEqual(exits);
  });

  it('takes a site the -c file reaches as served, a relative -c under -p and relative includes under its directory', async () => {
    const site = { 'etc/nginx/nginx.conf': NGINX_CONF, 'etc/nginx/sites-enabled/default': 'server { listen 8081; }\n' };
    const alt = { 'etc/nginx/alt.conf': `events {}\nhttp {\n  include ${SITE};\n}\n` };
    expect(await nginxFindings({ ...site, ...alt, [UNIT]: unit('-c /etc/nginx/alt.conf') })).toEqual([]);
    // -p /srv/nginx -c conf/main.conf is /srv/nginx/conf/main.conf, whose `include sites/*;` reads /srv/nginx/conf/sites/*.
    const srv = {
      'srv/nginx/conf/main.conf': 'events {}\nhttp {\n  include sites/*;\n}\n',
      'srv/nginx/conf/sites/contimg': { symlink: SITE },
    };
    expect(await nginxFindings({ ...site, ...srv, [UNIT]: unit('-p /srv/nginx -c conf/main.conf') })).toEqual([]);
    // A -p relative to the unit's WorkingDirectory=.
    expect(await nginxFindings({ ...site, ...srv, [UNIT]: unit('-p nginx -c conf/main.conf', 'WorkingDirectory=/srv\n') })).toEqual([]);
    // An include in -g's directives is read too (relative, under the -c file's directory).
    const bare = { 'srv/nginx/conf/main.conf': 'events {}\n', 'srv/nginx/conf/http.conf': `http {\n  include ${SITE};\n}\n` };
    expect(await nginxFindings({ ...site, ...bare, [UNIT]: unit('-c /srv/nginx/conf/main.conf') })).toEqual([
      expect.stringContaining(': nginx does not load this file: no include of /srv/nginx/conf/main.conf'),
    ]);
    expect(await nginxFindings({ ...site, ...bare, [UNIT]: unit("-c /srv/nginx/conf/main.conf -g 'include http.conf;'") })).toEqual([]);
  });

  it('advises the link, and the test, as that file reads it', async () => {
    const alt = {
      'etc/nginx/alt.conf': 'events {}\nhttp {\n  include /etc/nginx/sites-enabled/*;\n}\n',
      'etc/nginx/sites-enabled/default': 'server { listen 8081; }\n',
    };
    expect(await nginxFindings({ 'etc/nginx/nginx.conf': NGINX_CONF, ...alt, [UNIT]: unit('-p /srv -c /etc/nginx/alt.conf') })).toEqual([
      `nginx (80): ${SITE}: nginx does not load this file: no include of /etc/nginx/alt.conf (the main configuration the -c of /${UNIT}:3 names) reaches it, so the site is not served; enable it (ln -s ${SITE} ROOT${ENABLED}), then test it there with chroot ROOT nginx -t -p /srv/ -c /etc/nginx/alt.conf; nginx reads it when the system under ROOT boots, or name a main configuration that includes it in that -c${RELOAD}`,
    ]);
    const old = site.text.replace('127.0.0.1:8000', '127.0.0.1:8001');
    expect(await nginxFindings({ 'etc/nginx/alt.conf': NGINX_CONF, [ENABLED.slice(1)]: old, [UNIT]: unit('-c /etc/nginx/alt.conf') })).toEqual([
      expect.stringContaining(
        `replace the copy with a link (ln -sf ${SITE} ROOT${ENABLED}), then test it there with chroot ROOT nginx -t -c /etc/nginx/alt.conf; nginx reads it when the system under ROOT boots`,
      ),
    ]);
  });

  it('reads the site’s relative includes under the directory of that file', async () => {
    const included = site.text.replace(/listen [^;]*;/, 'include snippets/listen.conf;');
    expect(included).not.toBe(site.text);
    const files = {
      [SITE.slice(1)]: included,
      'srv/nginx/nginx.conf': `events {}\nhttp {\n  include ${SITE};\n}\n`,
      'srv/nginx/snippets/listen.conf': 'listen 8080;\n',
      'etc/nginx/snippets/listen.conf': site.text.match(/listen [^;]*;/)![0],
      [UNIT]: unit('-c /srv/nginx/nginx.conf'),
    };
    expect(await nginxFindings(files)).toEqual([
      // Its listen 80 moved to 8080 (a port of no registry service, nginx's to open), port 80 has [::]:80 alone: IPv6 only.
      expect.stringContaining(`${SITE}:4:5: listen [::]:80 takes IPv6 connections only`),
    ]);
  });

  it("ends each fix to the unit under --root as reloadStep says, not with the host's daemon-reload; on this host (/) with it", async () => {
    const served = { 'etc/nginx/nginx.conf': NGINX_CONF, [ENABLED.slice(1)]: { symlink: SITE } };
    const cases = [
      { [UNIT]: unit('-c /etc/nginx/nginx.conf daemon') },
      { ...served, [UNIT]: unit(`-c /etc/nginx/nginx.con ${DAEMON}`) },
      { ...served, 'etc/nginx/alt.conf': ALT, [UNIT]: unit(`-c /etc/nginx/alt.conf ${DAEMON}`) },
    ];
    for (const files of cases) {
      const root = writeTree(tempDir(), { [SITE.slice(1)]: site.text, 'etc/nginx/mime.types': 'types {}\n', ...files });
      const facts = await gather({ registry, root });
      const under = checkReferences(facts, registry.service('nginx')).filter((result) => result.severity !== 'ok');
      const here = checkReferences({ ...facts, root: '/' }, registry.service('nginx')).filter((result) => result.severity !== 'ok');
      expect(under).toHaveLength(1);
      expect(under[0]!.reason).toContain(reloadStep(root));
      expect(under[0]!.reason).not.toContain('daemon-reload');
      expect(here[0]!.reason).toContain(', then systemctl daemon-reload and restart nginx');
      expect(here[0]!.reason).not.toContain(reloadStep(root));
    }
  });

  it("names the tree's files for ln and tests nginx inside the tree under --root, never the host's nginx; on this host (/) the host's", async () => {
    const cases = [
      { 'etc/nginx/nginx.conf': NGINX_CONF, 'etc/nginx/sites-enabled/default': 'server { listen 8081; }\n' },
      { 'etc/nginx/nginx.conf': NGINX_CONF, [ENABLED.slice(1)]: site.text.replace('127.0.0.1:8000', '127.0.0.1:8001') },
      { 'etc/nginx/nginx.conf': NGINX_CONF.replace('http {', 'http {\n  include /etc/nginx/nginx.conf;') },
    ];
    for (const files of cases) {
      const root = writeTree(tempDir(), { [SITE.slice(1)]: site.text, 'etc/nginx/mime.types': 'types {}\n', ...files });
      const facts = await gather({ registry, root });
      const [under] = checkReferences(facts, registry.service('nginx')).filter((result) => result.severity !== 'ok');
      const [here] = checkReferences({ ...facts, root: '/' }, registry.service('nginx')).filter((result) => result.severity !== 'ok');
      expect(under!.reason).toContain(`, then test it there with chroot ${root} nginx -t; nginx reads it when the system under ${root} boots`);
      expect(under!.reason).not.toMatch(/(reload|restart) nginx/);
      expect(here!.reason).toMatch(/, then nginx -t and (reload|restart) nginx/);
      expect(here!.reason).not.toContain('chroot');
      // The link made where the tree's nginx reads it (its target as that system names it), not in the host's /etc.
      if (under!.reason.includes('ln -s')) {
        expect(under!.reason).toMatch(new RegExp(`ln -sf? ${SITE} ${root}${ENABLED}\\)`));
        expect(here!.reason).toMatch(new RegExp(`ln -sf? ${SITE} ${ENABLED}\\)`));
      }
    }
  });

  it('is an error at the unit line when nginx cannot start with it: a -c file not there, an option it refuses', async () => {
    const served = { 'etc/nginx/nginx.conf': NGINX_CONF, [ENABLED.slice(1)]: { symlink: SITE } };
    expect(await nginxFindings({ ...served, [UNIT]: unit(`-c /etc/nginx/nginx.con ${DAEMON}`) })).toEqual([
      `nginx (80): /${UNIT}:3: nginx exits at start: the main configuration this command names (-c /etc/nginx/nginx.con) is not there; correct the -c (nginx's default is /etc/nginx/nginx.conf) or create the file${RELOAD}`,
    ]);
    // Relative to the compiled-in prefix without -p (/usr/share/nginx), not to /etc/nginx.
    expect(await nginxFindings({ ...served, [UNIT]: unit('-c nginx.conf') })).toEqual([
      expect.stringContaining('(-c /usr/share/nginx/nginx.conf) is not there'),
    ]);
    // nginx's default named by -c is held as any -c (without one, no nginx.conf is no nginx here); a directory nginx cannot read.
    expect(await nginxFindings({ [UNIT]: unit(`-c /etc/nginx/nginx.conf ${DAEMON}`) })).toEqual([
      expect.stringContaining(`/${UNIT}:3: nginx exits at start: the main configuration this command names (-c /etc/nginx/nginx.conf) is not there;`),
    ]);
    expect(await nginxFindings({ [UNIT]: unit(DAEMON) })).toEqual([]);
    expect(await nginxFindings({ ...served, 'etc/nginx/alt.conf/x': '', [UNIT]: unit('-c /etc/nginx/alt.conf') })).toEqual([
      `nginx (80): /${UNIT}:3: nginx exits at start: the main configuration this command names (-c /etc/nginx/alt.conf) is no file nginx can read (it is a directory, not a regular file); correct the -c (nginx's default is /etc/nginx/nginx.conf) or put the file there${RELOAD}`,
    ]);
    expect(await nginxFindings({ ...served, [UNIT]: unit('-c /etc/nginx/nginx.conf daemon') })).toEqual([
      `nginx (80): /${UNIT}:3: nginx exits at start: it refuses this command (invalid option: "daemon"); correct the line${RELOAD}`,
    ]);
    expect(await nginxFindings({ ...served, [UNIT]: unit('-x') })).toEqual([expect.stringContaining('(invalid option: "x")')]);
    expect(await nginxFindings({ ...served, [UNIT]: unit('-q -c') })).toEqual([expect.stringContaining('(option "-c" requires file name)')]);
  });

  it('is unknown, naming the file, when a variable of the command may come from an EnvironmentFile= it cannot read', async () => {
    // What the readable files give (no -c, a -c with no value, "-c ''") is not what nginx may get: no error, no warning.
    const served = { 'etc/nginx/nginx.conf': NGINX_CONF, 'etc/default/nginx': { fifo: true } } as const;
    const env = 'EnvironmentFile=/etc/default/nginx\n';
    const doubt = `/etc/default/nginx (EnvironmentFile= at /${UNIT}:3) may set`;
    const notRead = 'and cannot be read: it is a FIFO (named pipe), not a regular file; whether nginx loads this file is not checked';
    for (const [start, name] of [
      [`-c \${NGINX_CONF}`, 'NGINX_CONF'],
      [`-c\${NGINX_CONF}`, 'NGINX_CONF'],
      ['$DAEMON_OPTS', 'DAEMON_OPTS'],
    ]) {
      expect(await nginxResults({ ...served, [UNIT]: unit(start!, env) })).toEqual([
        `unknown: nginx (80): /${UNIT}:4: the main configuration nginx reads is not known, as ${doubt} ${name}, ${notRead}`,
      ]);
    }
    // A readable file: its value is what nginx gets.
    const alt = { 'etc/nginx/alt.conf': `events {}\nhttp {\n  include ${SITE};\n}\n`, 'etc/default/nginx': 'NGINX_CONF=/etc/nginx/alt.conf\n' };
    expect(await nginxResults({ ...served, ...alt, [UNIT]: unit(`-c \${NGINX_CONF}`, env) })).toEqual([]);
  });
});

describe('a main configuration this check cannot read', () => {
  const root = process.getuid?.() === 0;
  const UNIT = 'lib/systemd/system/nginx.service';
  it.skipIf(root && !hasCommand('setpriv', ['--version']))(
    `is said at the -c that names it, as unknown, with what to do (nginx, started as root, may read it)${root ? '' : ' [as this user, in-process]'}`,
    async () => {
      const tree = writeTree(tempDir(), {
        [SITE.slice(1)]: site.text,
        'etc/nginx/custom.conf': { text: `events {}\nhttp {\n  include ${SITE};\n}\n`, mode: 0o000 },
        [UNIT]: '[Service]\nExecStart=/usr/sbin/nginx -c /etc/nginx/custom.conf\n',
      });
      const expected = `/${UNIT}:2: this check cannot read the main configuration this command names (-c /etc/nginx/custom.conf): permission denied`;
      if (!root) {
        expect(
          await nginxResults({
            'etc/nginx/custom.conf': { text: 'events {}\n', mode: 0o000 },
            [UNIT]: '[Service]\nExecStart=/usr/sbin/nginx -c /etc/nginx/custom.conf\n',
          }),
        ).toEqual([expect.stringContaining(`unknown: nginx (80): ${expected} (run as root), so whether nginx loads this file is not checked`)]);
        return;
      }
      // Root without the capabilities that read past a file's mode, as a service account is (the built health check).
      const bin = join(import.meta.dirname, '../../../bin/port-health-check.js');
      const drop = ['--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search'];
      const args = [bin, '--root', tree, '--service', 'nginx', '--no-firewall', '--json'];
      const run = spawnSync('setpriv', [...drop, process.execPath, ...args], { encoding: 'utf8', env: { ...process.env, DSA110_PORTS_CACHE: 'off' } });
      expect(run.stderr).toBe('');
      const report = JSON.parse(run.stdout) as { checks: { check: string; severity: string; reason: string }[] };
      expect(
        report.checks.filter((result) => result.check === 'references').map((result) => [result.severity, result.reason.replace(` under ${tree}`, '')]),
      ).toEqual([['unknown', `nginx (80): ${expected}, even to root, so whether nginx loads this file is not checked`]]);
    },
  );

  it.skipIf(root && !hasCommand('setpriv', ['--version']))(
    `is said of nginx's own /etc/nginx/nginx.conf without a -c, named plainly${root ? '' : ' [as this user, in-process]'}`,
    async () => {
      const files = { 'etc/nginx/nginx.conf': { text: NGINX_CONF, mode: 0o000 } };
      const expected = "this check cannot read nginx's main configuration /etc/nginx/nginx.conf: permission denied";
      if (!root) {
        expect(await nginxResults(files)).toEqual([expect.stringContaining(expected)]);
        return;
      }
      const tree = writeTree(tempDir(), { [SITE.slice(1)]: site.text, ...files });
      const bin = join(import.meta.dirname, '../../../bin/port-health-check.js');
      const drop = ['--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search'];
      const args = [bin, '--root', tree, '--service', 'nginx', '--no-firewall', '--json'];
      const run = spawnSync('setpriv', [...drop, process.execPath, ...args], { encoding: 'utf8', env: { ...process.env, DSA110_PORTS_CACHE: 'off' } });
      const report = JSON.parse(run.stdout) as { checks: { check: string; severity: string; reason: string }[] };
      expect(report.checks.filter((result) => result.check === 'references').map((result) => result.reason)).toEqual([expect.stringContaining(expected)]);
    },
  );
});

// Two nginx units, each started with its own -c (systemd.service(5): each unit's ExecStart= is its own command), are
// two nginx processes: whether the site is loaded is each one's own answer, never the one read last for both.
describe('two nginx units that name one site file', () => {
  const text = readFileSync(join(repoRoot, 'ports.yaml'), 'utf8');
  const second = text.replace(
    '  - id: vite\n',
    '  - id: nginx-b\n    name: Nginx B\n    group: production\n    port: 8080\n    protocol: HTTP\n    transport: tcp\n    access: public\n    configuredBy: none\n    robust: false\n    config: /etc/nginx/sites-available/dsa110-contimg\n    configs:\n      - { kind: nginx-site, upstream: api }\n    systemd:\n      unit: nginx-b.service\n    processes: [nginx]\n\n  - id: vite\n',
  );
  const two = parseRegistry(second, { source: 'ports.yaml' });
  const files = (a: string, b: string): Record<string, TreeEntry> => ({
    'lib/systemd/system/nginx.service': `[Service]\nExecStart=/usr/sbin/nginx -c ${a}\n`,
    'lib/systemd/system/nginx-b.service': `[Service]\nExecStart=/usr/sbin/nginx -c ${b}\n`,
    'etc/nginx/nginx.conf': NGINX_CONF,
    'etc/nginx-b/nginx.conf': 'events {}\nhttp {\n  server { listen 8081; }\n}\n',
    [ENABLED.slice(1)]: { symlink: '../sites-available/dsa110-contimg' },
  });
  const loads = async (id: string, tree: Record<string, TreeEntry>): Promise<string[]> => {
    const root = writeTree(tempDir(), { [SITE.slice(1)]: site.text, 'etc/nginx/mime.types': 'types {}\n', ...tree });
    const facts = await gather({ registry: two, root });
    return checkReferences(facts, two.service(id))
      .map((result) => withoutRoot(result, root))
      .filter((result) => result.reason.includes('does not load this file'))
      .map((result) => result.reason.replaceAll(root, 'ROOT'));
  };

  it("gives each unit its own nginx's answer, whichever unit is read last", async () => {
    const absent = (main: string, unit: string) =>
      expect.stringContaining(
        `${SITE}: nginx does not load this file: no include of ${main} (the main configuration the -c of /lib/systemd/system/${unit}:2 names) reaches it`,
      );
    // nginx.service's nginx loads it (sites-enabled), nginx-b.service's does not: only nginx-b is told.
    expect(await loads('nginx', files('/etc/nginx/nginx.conf', '/etc/nginx-b/nginx.conf'))).toEqual([]);
    expect(await loads('nginx-b', files('/etc/nginx/nginx.conf', '/etc/nginx-b/nginx.conf'))).toEqual([absent('/etc/nginx-b/nginx.conf', 'nginx-b.service')]);
    // The other way round: nginx.service's does not.
    expect(await loads('nginx', files('/etc/nginx-b/nginx.conf', '/etc/nginx/nginx.conf'))).toEqual([absent('/etc/nginx-b/nginx.conf', 'nginx.service')]);
    expect(await loads('nginx-b', files('/etc/nginx-b/nginx.conf', '/etc/nginx/nginx.conf'))).toEqual([]);
  });
});
