// A daemon whose unit sets RootDirectory= (systemd.exec(5)) runs chrooted there: the executable, its config file (a
// relative one from WorkingDirectory=, itself inside the root) and a default it reads are the files under that
// directory, not the ones of the same name on the root the units are for; `+` does not lift the root (systemd 252's
// exec_child sets the namespace's root, or chroots, on EXEC_APPLY_CHROOT alone: root-directory.ts). EnvironmentFile=
// is read by PID 1 before the chroot, on the root itself. Inside RootImage= nothing can be read without mounting it:
// unknown, never a pass. Checked by hand with redis-server 7.0.15 chrooted (`chroot DIR /usr/bin/redis-server
// /etc/redis/redis.conf`): it listened on DIR/etc/redis/redis.conf's port (27001, loopback), not the host file's.
import { join } from 'node:path';
import { loadRegistry, parseRegistry, type Registry } from '@dsa110/ports';
import { renderSnippets } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/checks/config.js';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { configsOf } from '../../../src/service-configs.js';
import { tempDir, testRegistry, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registryText = (await import('node:fs')).readFileSync(join(repoRoot, 'ports.yaml'), 'utf8');
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
/** The registry with `from` replaced by `to` (a service's config: path). */
const moved = (from: string, to: string): Registry => parseRegistry(registryText.replace(from, to));

/** The references check's results for `id` (ok ones too), in a root with the files `ports snippet` prints for `kind` and then `files`. */
async function results(id: string, kind: 'redis-conf' | 'prometheus-yml', files: Record<string, TreeEntry>, using: Registry = registry): Promise<string[]> {
  const snippets: Record<string, TreeEntry> = {};
  for (const snippet of renderSnippets(registry, kind)) snippets[snippet.path.slice(1)] = snippet.text;
  const root = writeTree(tempDir(), { ...snippets, ...files });
  const facts = await gather({ registry: using, root, services: [using.service(id)] });
  return checkReferences(facts, using.service(id))
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

const REDIS_UNIT = 'lib/systemd/system/redis-server.service';
const redis = (lines: string, files: Record<string, TreeEntry> = {}, using?: Registry) =>
  results('redis', 'redis-conf', { [REDIS_UNIT]: `[Service]\n${lines}`, ...files }, using);
const CHROOTED = 'srv/redis/etc/redis/redis.conf';
const OTHER = `warning: redis (6379): /${REDIS_UNIT}:3: ExecStart= starts redis-server with /srv/redis/etc/redis/redis.conf, not /etc/redis/redis.conf: this check read a file Redis does not; name /srv/redis/etc/redis/redis.conf in the registry (Redis's config:)`;

describe('a daemon chrooted in RootDirectory=', () => {
  it("reads the config file under that directory, not the root's own file of that name (which passed before)", async () => {
    const files = { [CHROOTED]: 'port 7001\nbind 127.0.0.1\n' };
    // The registry's /etc/redis/redis.conf is outside the root: Redis cannot open it, so the only fix is the registry's.
    expect(await redis('RootDirectory=/srv/redis\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n', files)).toEqual([OTHER]);
    // `+` runs it with full privileges, still chrooted; RootDirectoryStartOnly=yes chroots ExecStart= all the same.
    expect(await redis('RootDirectory=/srv/redis\nExecStart=+/usr/bin/redis-server /etc/redis/redis.conf\n', files)).toEqual([OTHER]);
    expect(await redis('RootDirectory=/srv/redis\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\nRootDirectoryStartOnly=yes\n', files)).toEqual([
      OTHER,
    ]);
    // A relative path is read from WorkingDirectory=, inside the root too; `..` stops at the root, as in the chroot.
    expect(await redis('RootDirectory=/srv/redis\nExecStart=/usr/bin/redis-server ./redis.conf\nWorkingDirectory=/etc/redis\n', files)).toEqual([OTHER]);
    expect(await redis('RootDirectory=/srv/redis\nExecStart=/usr/bin/redis-server /../../etc/redis/redis.conf\n', files)).toEqual([OTHER]);
  });

  it("is held to the registry by the file under that directory when the registry names it, and offers the name inside the root as the command's fix", async () => {
    const inRoot = moved('config: /etc/redis/redis.conf', 'config: /srv/redis/etc/redis/redis.conf');
    const unit = 'RootDirectory=/srv/redis\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n';
    expect(await redis(unit, { [CHROOTED]: 'port 6379\nbind 127.0.0.1 -::1\n' }, inRoot)).toEqual([
      'ok: redis (6379): /srv/redis/etc/redis/redis.conf agrees with the registry (redis-conf)',
    ]);
    expect(await redis(unit, { [CHROOTED]: 'port 7001\nbind 127.0.0.1 -::1\n' }, inRoot)).toEqual([
      'error: redis (6379): /srv/redis/etc/redis/redis.conf:1:6: port 7001, but the registry says Redis uses port 6379; set it to 6379 (ports snippet redis-conf prints what passes), or give Redis port: 7001 in the registry',
    ]);
    // Another file inside the root: the registry's can be named as Redis names it.
    expect(
      await redis(
        'RootDirectory=/srv/redis\nExecStart=/usr/bin/redis-server /etc/redis/other.conf\n',
        { [CHROOTED]: 'port 6379\n', 'srv/redis/etc/redis/other.conf': 'port 6379\n' },
        inRoot,
      ),
    ).toContainEqual(
      `warning: redis (6379): /${REDIS_UNIT}:3: ExecStart= starts redis-server with /srv/redis/etc/redis/other.conf, not /srv/redis/etc/redis/redis.conf: this check read a file Redis does not; name /srv/redis/etc/redis/other.conf in the registry (Redis's config:), or make ExecStart= read /etc/redis/redis.conf`,
    );
  });

  it('follows an absolute include of its config file (and an --include of its command) under that directory too', async () => {
    const inRoot = moved('config: /etc/redis/redis.conf', 'config: /srv/redis/etc/redis/redis.conf');
    const files = {
      [CHROOTED]: 'bind 127.0.0.1 -::1\ninclude /etc/redis/local.conf\n',
      'srv/redis/etc/redis/local.conf': 'port 7001\n',
      'etc/redis/local.conf': 'port 6379\n',
    };
    const error = 'error: redis (6379): /srv/redis/etc/redis/local.conf:1:6: port 7001, but the registry says Redis uses port 6379';
    expect(await redis('RootDirectory=/srv/redis\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n', files, inRoot)).toEqual([
      expect.stringContaining(error),
    ]);
    // `..` stops at the root, as in the chroot: never the root's own /etc/redis/local.conf.
    const escaping = { ...files, [CHROOTED]: 'bind 127.0.0.1 -::1\ninclude /../../etc/redis/local.conf\n' };
    expect(await redis('RootDirectory=/srv/redis\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n', escaping, inRoot)).toEqual([
      expect.stringContaining(error),
    ]);
    expect(
      await redis(
        'RootDirectory=/srv/redis\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf --include /etc/redis/local.conf\n',
        { ...files, [CHROOTED]: 'bind 127.0.0.1 -::1\n' },
        inRoot,
      ),
    ).toEqual([expect.stringContaining(error)]);
  });

  // Checked with redis-server 7.0.15 chrooted in such a tree (`chroot DIR /usr/bin/redis-server /etc/redis/redis.conf`,
  // /usr bind-mounted in): it listened on the port of DIR's real.conf (27311), not the root's (27312); through a link
  // to a directory and an included link, on DIR's included file's (27313), not the root's (27314).
  it("follows its links (an absolute one, one to a directory, an included one) inside that directory, as chroot does, not the root's", async () => {
    const inRoot = moved('config: /etc/redis/redis.conf', 'config: /srv/redis/etc/redis/redis.conf');
    const unit = 'RootDirectory=/srv/redis\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n';
    const linked = {
      [CHROOTED]: { symlink: '/etc/redis/real.conf' },
      'srv/redis/etc/redis/real.conf': 'port 7001\nbind 127.0.0.1 -::1\n',
      'etc/redis/real.conf': 'port 6379\nbind 127.0.0.1 -::1\n',
    };
    expect(await redis(unit, linked, inRoot)).toEqual([
      'error: redis (6379): /srv/redis/etc/redis/redis.conf:1:6: port 7001, but the registry says Redis uses port 6379; set it to 6379 (ports snippet redis-conf prints what passes), or give Redis port: 7001 in the registry',
    ]);
    // `..` in a link stops at that directory too.
    expect(await redis(unit, { ...linked, [CHROOTED]: { symlink: '../../../../etc/redis/real.conf' } }, inRoot)).toEqual([
      expect.stringContaining('/srv/redis/etc/redis/redis.conf:1:6: port 7001, but the registry says'),
    ]);
    // A directory on the path that links to an absolute one, and an include that is a link: each inside the directory.
    const through = moved('config: /etc/redis/redis.conf', 'config: /srv/redis/etc/redis-link/main.conf');
    expect(
      await redis(
        'RootDirectory=/srv/redis\nExecStart=/usr/bin/redis-server /etc/redis-link/main.conf\n',
        {
          'srv/redis/etc/redis-link': { symlink: '/etc/redis' },
          'srv/redis/etc/redis/main.conf': 'bind 127.0.0.1 -::1\ninclude /etc/redis/local.conf\n',
          'srv/redis/etc/redis/local.conf': { symlink: '/etc/redis-local/real.conf' },
          'srv/redis/etc/redis-local/real.conf': 'port 7001\n',
          'etc/redis/main.conf': 'port 6379\nbind 127.0.0.1 -::1\n',
          'etc/redis-local/real.conf': 'port 6379\n',
        },
        through,
      ),
    ).toEqual([expect.stringContaining('/srv/redis/etc/redis/local.conf:1:6: port 7001, but the registry says Redis uses port 6379')]);
  });

  it("takes its variables from an EnvironmentFile= on the root itself (PID 1 reads it before the chroot), not from the root's file of that name", async () => {
    expect(
      await redis('RootDirectory=/srv/redis\nEnvironmentFile=/etc/default/redis\nExecStart=/usr/bin/redis-server $CONF\n', {
        'etc/default/redis': 'CONF=/etc/redis/redis.conf\n',
        'srv/redis/etc/default/redis': 'CONF=/etc/redis/decoy.conf\n',
        [CHROOTED]: 'port 7001\n',
      }),
    ).toEqual([OTHER.replace(':3:', ':4:')]);
  });

  it("reads Prometheus's default prometheus.yml under that directory, with the registry's fix alone when the registry's file is outside it", async () => {
    const unit = '[Service]\nRootDirectory=/srv/prometheus\nEnvironmentFile=/etc/default/prometheus\nExecStart=/usr/bin/prometheus $ARGS\n';
    const found = await results('prometheus', 'prometheus-yml', {
      'lib/systemd/system/prometheus.service': unit,
      'etc/default/prometheus': 'ARGS="--web.listen-address=127.0.0.1:9090"\n',
      'srv/prometheus/etc/prometheus/prometheus.yml': 'global: {}\n',
    });
    expect(found.filter((line) => !line.startsWith('ok'))).toEqual([
      "warning: prometheus (9090): /lib/systemd/system/prometheus.service:4: Prometheus's command line sets no --config.file, so Prometheus reads its default /etc/prometheus/prometheus.yml (Debian's build) inside RootDirectory=/srv/prometheus, /srv/prometheus/etc/prometheus/prometheus.yml, not /etc/prometheus/prometheus.yml, the prometheus-yml file this check read (its findings are about a file Prometheus does not read); give Prometheus config: /srv/prometheus/etc/prometheus/prometheus.yml in the registry",
    ]);
  });
});

describe('a daemon beside another chrooted in RootDirectory=', () => {
  // Checked with redis-server 7.0.15 unchrooted (`redis-server DIR/srv/x/etc/redis/redis.conf`, that file a link to
  // /etc/redis/real.conf): it listened on the host's real.conf's port, not that of DIR/srv/x's real.conf.
  it("reads its own files on the root, its links followed there, not inside the other unit's directory", async () => {
    const underOther = moved('config: /etc/redis/redis.conf', 'config: /srv/x/etc/redis/redis.conf');
    const services = [underOther.service('redis'), underOther.service('prometheus')];
    const root = writeTree(tempDir(), {
      [REDIS_UNIT]: '[Service]\nExecStart=/usr/bin/redis-server /srv/x/etc/redis/redis.conf\n',
      'lib/systemd/system/prometheus.service': '[Service]\nRootDirectory=/srv/x\nExecStart=/usr/bin/prometheus\n',
      'srv/x/etc/redis/redis.conf': { symlink: '/etc/redis/real.conf' },
      'srv/x/etc/redis/real.conf': 'port 7001\nbind 127.0.0.1 -::1\n',
      'etc/redis/real.conf': 'port 6379\nbind 127.0.0.1 -::1\n',
    });
    const facts = await gather({ registry: underOther, root, services });
    expect(checkReferences(facts, underOther.service('redis')).map((result) => `${result.severity}: ${withoutRoot(result, root).reason}`)).toEqual([
      'ok: redis (6379): /srv/x/etc/redis/redis.conf agrees with the registry (redis-conf)',
    ]);
  });

  // Each daemon opens one file by that name, known exactly through its own root (readPath): each is held to its own,
  // where both were unknown before.
  it('reads, for each of it and the chrooted daemon naming one file in the registry, the file that daemon opens by that name', async () => {
    const shared = parseRegistry(
      registryText
        .replace('config: /etc/redis/redis.conf', 'config: /srv/x/etc/shared.conf')
        .replace('config: /etc/prometheus/prometheus.yml', 'config: /srv/x/etc/shared.conf'),
    );
    const root = writeTree(tempDir(), {
      [REDIS_UNIT]: '[Service]\nExecStart=/usr/bin/redis-server /srv/x/etc/shared.conf\n',
      'lib/systemd/system/prometheus.service': '[Service]\nRootDirectory=/srv/x\nExecStart=/usr/bin/prometheus --config.file=/etc/shared.conf\n',
      'srv/x/etc/shared.conf': { symlink: '/etc/real.conf' },
      'srv/x/etc/real.conf': 'port 7001\n',
      'etc/real.conf': 'port 6379\nbind 127.0.0.1 -::1\n',
    });
    for (const order of [
      ['redis', 'prometheus'],
      ['prometheus', 'redis'],
    ]) {
      const facts = await gather({ registry: shared, root, services: order.map((id) => shared.service(id)) });
      expect(checkReferences(facts, shared.service('redis')).map((result) => `${result.severity}: ${withoutRoot(result, root).reason}`)).toEqual([
        'ok: redis (6379): /srv/x/etc/shared.conf agrees with the registry (redis-conf)',
      ]);
      // Redis on the root reads the root's /etc/real.conf; Prometheus, chrooted, the directory's.
      expect(configsOf(facts, shared.service('redis')).get('/srv/x/etc/shared.conf')?.text).toBe('port 6379\nbind 127.0.0.1 -::1\n');
      expect(configsOf(facts, shared.service('prometheus')).get('/srv/x/etc/shared.conf')?.text).toBe('port 7001\n');
    }
  });
});

describe('daemons that name one file by a path that leads each to another (a RootDirectory=, a link between)', () => {
  // The file each opens, checked with cat on this tree (`chroot DIR/srv/c cat /etc/g.conf.py`, `chroot DIR cat
  // /srv/c/etc/g.conf.py`; no gunicorn here, which opens its -c file alike): the chroot's bind (41020), the root's (9999).
  const gunicorns = testRegistry([
    { id: 'g1', port: 41020, unit: 'g1.service', processes: ['gunicorn'] },
    { id: 'g2', port: 41021, unit: 'g2.service', processes: ['gunicorn'] },
  ]);
  const tree = {
    'etc/systemd/system/g1.service': '[Service]\nRootDirectory=/srv/c\nExecStart=/usr/bin/gunicorn -c /etc/g.conf.py app:app\n',
    'etc/systemd/system/g2.service': '[Service]\nExecStart=/usr/bin/gunicorn -c /srv/c/etc/g.conf.py app:app\n',
    'srv/c/etc/g.conf.py': { symlink: '/etc/real.py' },
    'srv/c/etc/real.py': 'bind = "127.0.0.1:41020"\n',
    'etc/real.py': 'bind = "127.0.0.1:9999"\n',
  };
  const config = async (root: string, ids: string[]) => {
    const services = ids.map((id) => gunicorns.service(id));
    const facts = await gather({ registry: gunicorns, root, services });
    return services.flatMap((service) => checkConfig(facts, service).map((result) => `${result.severity}: ${withoutRoot(result, root).reason}`));
  };

  it("gives neither the other's reading (gunicorn's -c file): each alone reads its own, together which one a reading is cannot be told", async () => {
    const root = writeTree(tempDir(), tree);
    const own = (port: number) =>
      `error: g2 (41021): /etc/systemd/system/g2.service:2: its ExecStart= gives gunicorn no --bind, so it takes its config file's bind = 127.0.0.1:${port} at /srv/c/etc/g.conf.py:1, but G2 uses port 41021; write --bind 127.0.0.1:41021 in its ExecStart= (over the bind of /srv/c/etc/g.conf.py); systemd reads it when the system under ROOT boots, or give G2 port: ${port} in the registry`;
    expect((await config(root, ['g2'])).map((line) => line.replaceAll(root, 'ROOT'))).toEqual([own(9999)]);
    const both = (await config(root, ['g1', 'g2'])).map((line) => line.replaceAll(root, 'ROOT'));
    expect(both).not.toContainEqual(expect.stringContaining('bind = 127.0.0.1:41020 at /srv/c/etc/g.conf.py:1, but G2'));
    expect(both.filter((line) => line.startsWith('unknown:'))).toEqual(
      ['g1 (41020): /etc/systemd/system/g1.service:3', 'g2 (41021): /etc/systemd/system/g2.service:2'].map(
        (at) =>
          `unknown: ${at}: where ${at.startsWith('g1') ? 'G1' : 'G2'} listens cannot be told: gunicorn takes its binds from its config file /srv/c/etc/g.conf.py (-c), which cannot be read: g1.service and g2.service open different files by this name (one chrooted in its RootDirectory=, a link leading elsewhere there); give each daemon's file a name of its own; write --bind 127.0.0.1:${at.startsWith('g1') ? 41020 : 41021} in its ExecStart= to make it plain`,
      ),
    );
  });

  it("gives neither the other's reading of an include (Redis's), whichever is followed first", async () => {
    const registry = parseRegistry(
      `version: 1\nservices:\n${['r1', 'r2']
        .map((id) => {
          const port = id === 'r1' ? 6379 : 6380;
          const config = id === 'r1' ? '/srv/x/etc/r1.conf' : '/etc/r2.conf';
          return `  - { id: ${id}, name: ${id}, group: production, port: ${port}, protocol: TCP, access: localhost, configuredBy: { file: ${config.slice(config.lastIndexOf('/') + 1)}, key: port }, robust: false, config: ${config}, configs: [{ kind: redis-conf }], systemd: { unit: ${id}.service }, processes: [redis-server] }\n`;
        })
        .join('')}`,
    );
    const root = writeTree(tempDir(), {
      'etc/systemd/system/r1.service': '[Service]\nRootDirectory=/srv/x\nExecStart=/usr/bin/redis-server /etc/r1.conf\n',
      'etc/systemd/system/r2.service': '[Service]\nExecStart=/usr/bin/redis-server /etc/r2.conf\n',
      'srv/x/etc/r1.conf': 'bind 127.0.0.1 -::1\ninclude /etc/inc.conf\n',
      'etc/r2.conf': 'bind 127.0.0.1 -::1\ninclude /srv/x/etc/inc.conf\n',
      'srv/x/etc/inc.conf': { symlink: '/etc/real.conf' },
      'srv/x/etc/real.conf': 'port 6379\n',
      'etc/real.conf': 'port 7001\n',
    });
    for (const [first, second] of [
      ['r1', 'r2'],
      ['r2', 'r1'],
    ]) {
      const facts = await gather({ registry, root, services: [registry.service(first!), registry.service(second!)] });
      const r2 = checkReferences(facts, registry.service('r2')).map((result) => `${result.severity}: ${withoutRoot(result, root).reason}`);
      expect(r2).toEqual([
        `unknown: r2 (6380): /etc/r2.conf:2: include /srv/x/etc/inc.conf: ${first}.service and ${second}.service open different files by this name (one chrooted in its RootDirectory=, a link leading elsewhere there); give each daemon's file a name of its own; a port or bind in it is not checked`,
        "unknown: r2 (6380): /etc/r2.conf: sets no port outside include /srv/x/etc/inc.conf (/etc/r2.conf:2), which could not be read: the port may be there; if not, r2 listens on Redis's default port 6379, not 6380",
      ]);
    }
  });

  it("gives neither the other's reading of an `@file` argument (Prometheus's), whichever is read first", async () => {
    const registry = parseRegistry(
      `version: 1\nservices:\n${['p1', 'p2']
        .map(
          (id) =>
            `  - { id: ${id}, name: ${id}, group: monitoring, port: ${id === 'p1' ? 9090 : 9091}, protocol: HTTP, access: localhost, configuredBy: none, robust: false, configs: [{ kind: prometheus-args, path: /etc/default/${id} }], systemd: { unit: ${id}.service }, processes: [prometheus] }\n`,
        )
        .join('')}`,
    );
    const root = writeTree(tempDir(), {
      'etc/systemd/system/p1.service': '[Service]\nRootDirectory=/srv/p\nExecStart=/usr/bin/prometheus @/etc/args\n',
      'etc/systemd/system/p2.service': '[Service]\nExecStart=/usr/bin/prometheus @/srv/p/etc/args\n',
      'srv/p/etc/args': { symlink: '/etc/real-args' },
      'srv/p/etc/real-args': '--web.listen-address=127.0.0.1:9090\n',
      'etc/real-args': '--web.listen-address=127.0.0.1:7777\n',
      'etc/default/p1': 'ARGS=""\n',
      'etc/default/p2': 'ARGS=""\n',
    });
    for (const [first, second] of [
      ['p1', 'p2'],
      ['p2', 'p1'],
    ]) {
      const facts = await gather({ registry, root, services: [registry.service(first!), registry.service(second!)] });
      expect(
        checkReferences(facts, registry.service('p2'))
          .map((result) => `${result.severity}: ${withoutRoot(result, root).reason}`)
          .filter((line) => line.includes('@/srv/p/etc/args')),
      ).toEqual([
        `unknown: p2 (9091): /etc/systemd/system/p2.service:2: Prometheus's command line is not known, as its argument @/srv/p/etc/args names /srv/p/etc/args, which cannot be read (${first}.service and ${second}.service open different files by this name (one chrooted in its RootDirectory=, a link leading elsewhere there); give each daemon's file a name of its own), so whether this file's ARGS reach Prometheus is not checked`,
      ]);
    }
  });

  it('is unknown for the one that does not see the file (PrivateTmp=) alone, whichever is read first; the other reads it', async () => {
    const shared = parseRegistry(
      registryText
        .replace('config: /etc/redis/redis.conf', 'config: /tmp/shared.conf')
        .replace('config: /etc/prometheus/prometheus.yml', 'config: /tmp/shared.conf'),
    );
    const root = writeTree(tempDir(), {
      [REDIS_UNIT]: '[Service]\nExecStart=/usr/bin/redis-server /tmp/shared.conf\n',
      'lib/systemd/system/prometheus.service': '[Service]\nPrivateTmp=yes\nExecStart=/usr/bin/prometheus --config.file=/tmp/shared.conf\n',
      'tmp/shared.conf': 'port 6379\nbind 127.0.0.1 -::1\n',
    });
    for (const order of [
      ['redis', 'prometheus'],
      ['prometheus', 'redis'],
    ]) {
      const facts = await gather({ registry: shared, root, services: order.map((id) => shared.service(id)) });
      const results = (id: string) => checkReferences(facts, shared.service(id)).map((result) => `${result.severity}: ${withoutRoot(result, root).reason}`);
      expect(results('redis')).toEqual(['ok: redis (6379): /tmp/shared.conf agrees with the registry (redis-conf)']);
      // Prometheus's own reading (its other findings are its command line's).
      expect(results('prometheus')).toContainEqual(
        `unknown: prometheus (9090): cannot check prometheus-yml /tmp/shared.conf under ${root}: PrivateTmp=yes (/lib/systemd/system/prometheus.service:2) hides /tmp from the daemon, so it does not read the file there; move the file out of it, or the setting`,
      );
    }
  });
});

// systemd.exec(5): PrivateTmp= gives the unit's programs an empty /tmp and /var/tmp of their own (DynamicUser=yes implies
// it), ProtectHome=yes makes /home, /root and /run/user inaccessible and tmpfs mounts an empty one there (read-only
// hides nothing), InaccessiblePaths= hides a host path (`+PATH`: one in the unit's RootDirectory=); systemd.service(5):
// none applies to a `+` line, which RootDirectory= still chroots. Checked with `systemd-analyze verify` on these units.
describe('a daemon whose unit hides the path of its file', () => {
  const conf = 'port 6379\nbind 127.0.0.1 -::1\n';
  const at = (file: string) => moved('config: /etc/redis/redis.conf', `config: ${file}`);
  const hides = (setting: string, line: number, hidden: string) =>
    `${setting} (/${REDIS_UNIT}:${line}) hides ${hidden} from the daemon, so it does not read the file there; move the file out of it, or the setting`;
  const unknown = (file: string, why: string) => `unknown: redis (6379): cannot check redis-conf ${file} under ROOT: ${why}`;
  const check = async (lines: string, file: string, files: Record<string, TreeEntry>) =>
    (await redis(lines, files, at(file))).map((line) => line.replace(/ under \/\S+: /, ' under ROOT: '));

  it('is unknown under PrivateTmp= (or DynamicUser=), ProtectHome=yes or tmpfs, and InaccessiblePaths=, and read as before under a `+` line', async () => {
    const tmp = { 'tmp/redis/redis.conf': conf };
    expect(await check('PrivateTmp=yes\nExecStart=/usr/bin/redis-server /tmp/redis/redis.conf\n', '/tmp/redis/redis.conf', tmp)).toEqual([
      unknown('/tmp/redis/redis.conf', hides('PrivateTmp=yes', 2, '/tmp')),
    ]);
    expect(await check('DynamicUser=yes\nPrivateTmp=no\nExecStart=/usr/bin/redis-server /tmp/redis/redis.conf\n', '/tmp/redis/redis.conf', tmp)).toEqual([
      unknown('/tmp/redis/redis.conf', hides('DynamicUser=yes', 2, '/tmp')),
    ]);
    expect(await check('PrivateTmp=yes\nExecStart=+/usr/bin/redis-server /tmp/redis/redis.conf\n', '/tmp/redis/redis.conf', tmp)).toEqual([
      'ok: redis (6379): /tmp/redis/redis.conf agrees with the registry (redis-conf)',
    ]);
    const home = { 'home/redis/redis.conf': conf };
    for (const value of ['yes', 'tmpfs'])
      expect(await check(`ProtectHome=${value}\nExecStart=/usr/bin/redis-server /home/redis/redis.conf\n`, '/home/redis/redis.conf', home)).toEqual([
        unknown('/home/redis/redis.conf', hides(`ProtectHome=${value}`, 2, '/home')),
      ]);
    expect(await check('ProtectHome=read-only\nExecStart=/usr/bin/redis-server /home/redis/redis.conf\n', '/home/redis/redis.conf', home)).toEqual([
      'ok: redis (6379): /home/redis/redis.conf agrees with the registry (redis-conf)',
    ]);
    // Through a link: the file it leads to is hidden.
    expect(
      await check('PrivateTmp=yes\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n', '/etc/redis/redis.conf', {
        'etc/redis/redis.conf': { symlink: '/tmp/redis/redis.conf' },
        ...tmp,
      }),
    ).toEqual([unknown('/etc/redis/redis.conf', hides('PrivateTmp=yes', 2, '/tmp'))]);
    expect(
      await check('InaccessiblePaths=-/etc/redis\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n', '/etc/redis/redis.conf', {
        'etc/redis/redis.conf': conf,
      }),
    ).toEqual([unknown('/etc/redis/redis.conf', hides('InaccessiblePaths=-/etc/redis', 2, '/etc/redis'))]);
    // An empty line resets the list; a value systemd refuses is ignored (systemd-analyze verify: "Failed to parse protect home value, ignoring").
    expect(
      await check(
        'InaccessiblePaths=/etc/redis\nInaccessiblePaths=\nProtectHome=bogus\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n',
        '/etc/redis/redis.conf',
        {
          'etc/redis/redis.conf': conf,
        },
      ),
    ).toEqual(['ok: redis (6379): /etc/redis/redis.conf agrees with the registry (redis-conf)']);
  });

  // `+` is a prefix of one command line (systemd.service(5)); Type=oneshot may have several ExecStart= lines, and the
  // daemon's is the one whose program it is. Checked with `systemd-analyze verify` on these units.
  it("reads its file as the daemon's own ExecStart= line sees it: `+` on that line alone lifts what the unit hides, `+` on another line does not", async () => {
    const tmp = { 'tmp/redis/redis.conf': conf };
    const oneshot = (prep: string, daemon: string) =>
      `Type=oneshot\nPrivateTmp=yes\nExecStart=${prep}/usr/bin/true\nExecStart=${daemon}/usr/bin/redis-server /tmp/redis/redis.conf\n`;
    expect(await check(oneshot('', '+'), '/tmp/redis/redis.conf', tmp)).toEqual([
      'ok: redis (6379): /tmp/redis/redis.conf agrees with the registry (redis-conf)',
    ]);
    expect(await check(oneshot('+', ''), '/tmp/redis/redis.conf', tmp)).toEqual([unknown('/tmp/redis/redis.conf', hides('PrivateTmp=yes', 3, '/tmp'))]);
  });

  // systemd.exec(5): TemporaryFileSystem= mounts an empty tmpfs on each path; BindPaths=SRC:DST (BindReadOnlyPaths=
  // too) shows SRC's file at DST, and punches through a tmpfs (TemporaryFileSystem=/var:ro with BindReadOnlyPaths=).
  // Checked with `systemd-analyze verify` on these units.
  it('is unknown under TemporaryFileSystem=, and under a BindPaths= destination (another file is there), without RootDirectory= too', async () => {
    const etc = { 'etc/redis/redis.conf': conf, 'srv/conf/redis.conf': 'port 7001\n' };
    const daemon = 'ExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n';
    expect(await check(`TemporaryFileSystem=/etc/redis:ro\n${daemon}`, '/etc/redis/redis.conf', etc)).toEqual([
      unknown('/etc/redis/redis.conf', hides('TemporaryFileSystem=/etc/redis:ro', 2, '/etc/redis')),
    ]);
    const mounts = (setting: string, path: string) =>
      `${setting} (/${REDIS_UNIT}:2) mounts another file or directory at ${path} for the daemon, so which file it reads there is not known here; move the file out of it, or the setting`;
    for (const setting of ['BindReadOnlyPaths=/srv/conf:/etc/redis', 'BindPaths=-/srv/conf:/etc/redis:rbind'])
      expect(await check(`${setting}\n${daemon}`, '/etc/redis/redis.conf', etc)).toEqual([unknown('/etc/redis/redis.conf', mounts(setting, '/etc/redis'))]);
    // A bind under a tmpfs is said as the bind (its file is there, not hidden); an empty line resets the binds.
    expect(await check(`BindReadOnlyPaths=/srv/conf:/etc/redis\nTemporaryFileSystem=/etc:ro\n${daemon}`, '/etc/redis/redis.conf', etc)).toEqual([
      unknown('/etc/redis/redis.conf', mounts('BindReadOnlyPaths=/srv/conf:/etc/redis', '/etc/redis')),
    ]);
    expect(await check(`BindPaths=/srv/conf:/etc/redis\nBindReadOnlyPaths=\n${daemon}`, '/etc/redis/redis.conf', etc)).toEqual([
      'ok: redis (6379): /etc/redis/redis.conf agrees with the registry (redis-conf)',
    ]);
    // Elsewhere, bound onto itself, or lifted by the daemon's `+`: read as before.
    expect(await check(`BindReadOnlyPaths=/etc/redis\n${daemon}`, '/etc/redis/redis.conf', etc)).toEqual([
      'ok: redis (6379): /etc/redis/redis.conf agrees with the registry (redis-conf)',
    ]);
    expect(await check(`TemporaryFileSystem=/var/lib/redis\n${daemon}`, '/etc/redis/redis.conf', etc)).toEqual([
      'ok: redis (6379): /etc/redis/redis.conf agrees with the registry (redis-conf)',
    ]);
    expect(await check(`TemporaryFileSystem=/etc/redis\nExecStart=+/usr/bin/redis-server /etc/redis/redis.conf\n`, '/etc/redis/redis.conf', etc)).toEqual([
      'ok: redis (6379): /etc/redis/redis.conf agrees with the registry (redis-conf)',
    ]);
  });

  // systemd.exec(5)'s own example, TemporaryFileSystem=/var:ro with BindReadOnlyPaths=/var/lib/systemd: a path bound
  // onto itself shows the host's own file through the tmpfs above it; a tmpfs below it hides again (systemd mounts a
  // path's parents first). An entry systemd 252 ignores (`systemd-analyze verify`: "path is not absolute, ignoring",
  // "Invalid option string") shows nothing.
  it('reads a file bound onto itself under TemporaryFileSystem= (BindReadOnlyPaths=/etc/redis), unless a tmpfs is deeper', async () => {
    const etc = { 'etc/redis/redis.conf': conf };
    const daemon = 'ExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n';
    const ok = 'ok: redis (6379): /etc/redis/redis.conf agrees with the registry (redis-conf)';
    for (const bind of ['BindReadOnlyPaths=/etc/redis', 'BindReadOnlyPaths=-/etc/redis/:/etc/redis:norbind', 'BindPaths=/etc/redis/redis.conf'])
      for (const order of [`TemporaryFileSystem=/etc:ro\n${bind}\n`, `${bind}\nTemporaryFileSystem=/etc:ro\n`])
        expect(await check(`${order}${daemon}`, '/etc/redis/redis.conf', etc)).toEqual([ok]);
    for (const bind of ['BindReadOnlyPaths=+/etc/redis', 'BindReadOnlyPaths=/etc/redis:/etc/redis:ro', 'BindReadOnlyPaths=/srv/../etc/redis:/etc/redis'])
      expect(await check(`TemporaryFileSystem=/etc:ro\n${bind}\n${daemon}`, '/etc/redis/redis.conf', etc)).toEqual([
        unknown('/etc/redis/redis.conf', hides('TemporaryFileSystem=/etc:ro', 2, '/etc')),
      ]);
    expect(await check(`BindReadOnlyPaths=/etc\nTemporaryFileSystem=/etc/redis:ro\n${daemon}`, '/etc/redis/redis.conf', etc)).toEqual([
      unknown('/etc/redis/redis.conf', hides('TemporaryFileSystem=/etc/redis:ro', 3, '/etc/redis')),
    ]);
  });

  it('chrooted: PrivateTmp= and InaccessiblePaths=+PATH hide a path in its RootDirectory=, InaccessiblePaths=PATH one on the host', async () => {
    const inRoot = { 'srv/redis/tmp/redis.conf': conf, 'srv/redis/etc/redis/redis.conf': conf };
    const unit = (setting: string, file: string) => `RootDirectory=/srv/redis\n${setting}\nExecStart=/usr/bin/redis-server ${file}\n`;
    expect(await check(unit('PrivateTmp=yes', '/tmp/redis.conf'), '/srv/redis/tmp/redis.conf', inRoot)).toEqual([
      unknown('/srv/redis/tmp/redis.conf', hides('PrivateTmp=yes', 3, '/srv/redis/tmp (its /tmp)')),
    ]);
    expect(await check(unit('InaccessiblePaths=+/etc/redis', '/etc/redis/redis.conf'), '/srv/redis/etc/redis/redis.conf', inRoot)).toEqual([
      unknown('/srv/redis/etc/redis/redis.conf', hides('InaccessiblePaths=+/etc/redis', 3, '/srv/redis/etc/redis (its /etc/redis)')),
    ]);
    expect(await check(unit('InaccessiblePaths=/srv/redis/etc', '/etc/redis/redis.conf'), '/srv/redis/etc/redis/redis.conf', inRoot)).toEqual([
      unknown('/srv/redis/etc/redis/redis.conf', hides('InaccessiblePaths=/srv/redis/etc', 3, '/srv/redis/etc (its /etc)')),
    ]);
    // The host's /etc/redis is not the chroot's: hiding it hides nothing Redis reads there.
    expect(await check(unit('InaccessiblePaths=/etc/redis', '/etc/redis/redis.conf'), '/srv/redis/etc/redis/redis.conf', inRoot)).toEqual([
      'ok: redis (6379): /srv/redis/etc/redis/redis.conf agrees with the registry (redis-conf)',
    ]);
  });
});

describe('a daemon chrooted in RootDirectory= that BindPaths= (or the like) mounts into', () => {
  it("is unknown: the files it opens may be the host's, so the jail's file neither passes nor fails", async () => {
    const files = { [CHROOTED]: 'port 7001\nbind 127.0.0.1\n' };
    expect(await redis('RootDirectory=/srv/redis\nBindReadOnlyPaths=/etc/redis\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n', files)).toEqual([
      `unknown: redis (6379): /${REDIS_UNIT}:3: the options ExecStart= gives redis-server are not known, as its ExecStart= runs chrooted in RootDirectory=/srv/redis (/${REDIS_UNIT}:2), into which BindReadOnlyPaths=/etc/redis (/${REDIS_UNIT}:3) mounts files this check does not follow; only /etc/redis/redis.conf is checked`,
    ]);
  });
});

describe('a daemon inside RootImage=', () => {
  it('is unknown: the image is not opened, so the file on the root itself neither passes nor fails', async () => {
    expect(await redis('RootImage=/srv/redis.raw\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\n')).toEqual([
      `unknown: redis (6379): /${REDIS_UNIT}:2: the options ExecStart= gives redis-server are not known, as its ExecStart= runs inside RootImage=/srv/redis.raw (/${REDIS_UNIT}:2), which this check does not open; only /etc/redis/redis.conf is checked`,
    ]);
  });
});
