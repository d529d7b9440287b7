// A daemon its unit starts through a wrapper (`sh -c`, `env`, `taskset`), or
// whose unit could not all be read (a drop-in that is a FIFO, or larger than
// the model reads): the command line that decides which config file it reads
// and what overrides it is not known, so no verdict that stands on it passes on
// the config file alone. Each staged tree passes as written (the first test);
// each change below it once passed, though the daemon ran elsewhere.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { renderSnippets, SNIPPET_KINDS } from '@dsa110/ports/render';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/checks/config.js';
import { checkReferences } from '../../../src/checks/references.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const repoRoot = new URL('../../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const API_PORT = registry.service('api').port;
const UNITS = 'etc/systemd/system';

/** Every snippet, and each service's unit starting its daemon directly, as Debian's packages do. */
function baseTree(): Record<string, TreeEntry> {
  const files: Record<string, TreeEntry> = {
    [`${UNITS}/nginx.service`]: '[Service]\nExecStart=/usr/sbin/nginx -g "daemon off;"\n',
    [`${UNITS}/redis-server.service`]: '[Service]\nExecStart=/usr/sbin/redis-server /etc/redis/redis.conf\n',
    [`${UNITS}/prometheus.service`]:
      '[Service]\nEnvironmentFile=-/etc/default/prometheus\nExecStart=/usr/bin/prometheus --config.file=/etc/prometheus/prometheus.yml $ARGS\n',
    [`${UNITS}/grafana-simple.service`]: '[Service]\nExecStart=/usr/sbin/grafana-server --config=/etc/grafana/grafana.ini --homepath=/usr/share/grafana\n',
    'usr/share/grafana/conf/defaults.ini': '[server]\nprotocol = http\nhttp_addr =\nhttp_port = 3000\n',
    [`${UNITS}/dsa110-api.service`]: `[Service]\nExecStart=/usr/bin/uvicorn app:app --port ${API_PORT}\n`,
  };
  for (const kind of SNIPPET_KINDS) for (const snippet of renderSnippets(registry, kind)) files[snippet.path.slice(1)] ??= snippet.text;
  return files;
}

/** The config and references checks' results other than ok for `services`, in the base tree with `files` over it, after `prepare` (a FIFO, say). */
async function problems(services: readonly string[], files: Record<string, TreeEntry>, prepare?: (root: string) => void): Promise<string[]> {
  const root = writeTree(tempDir(), { ...baseTree(), ...files });
  prepare?.(root);
  const facts = await gather({ registry, root });
  return services
    .map((id) => registry.service(id))
    .flatMap((service) => [...checkConfig(facts, service), ...checkReferences(facts, service)])
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

/** A drop-in that replaces the unit's ExecStart= with `command`. */
const replaced = (command: string) => `[Service]\nExecStart=\nExecStart=${command}\n`;

const WRAPPER_FIX = '(Environment=, Nice=, CPUAffinity= and IOSchedulingClass= in the unit do what env, nice, taskset and ionice do)';

describe('the staged tree', () => {
  it('passes as written: every daemon started directly, every file as the registry wants it', async () => {
    expect(await problems(['nginx', 'redis', 'prometheus', 'grafana', 'api'], {})).toEqual([]);
  });
});

describe('a daemon its unit starts through a wrapper', () => {
  const dropIn = `${UNITS}/redis-server.service.d/override.conf`;
  it.each([
    ['/bin/sh -c "exec /usr/sbin/redis-server /etc/redis/redis.conf --port 26390"', '/bin/sh'],
    ['/usr/bin/env redis-server /etc/redis/redis.conf --port 26390', '/usr/bin/env'],
    ['/usr/bin/taskset -c 0 /usr/sbin/redis-server /etc/redis/redis.conf --port 26390', '/usr/bin/taskset'],
    ['/usr/bin/nice -n 5 /usr/sbin/redis-server /etc/redis/redis.conf --port 26390', '/usr/bin/nice'],
  ])('redis-server through %s: its options are unknown, at the ExecStart= line', async (command, wrapper) => {
    expect(await problems(['redis'], { [dropIn]: replaced(command) })).toEqual([
      `unknown: redis (6379): /${dropIn}:3: the options ExecStart= gives redis-server are not known, as its ExecStart= runs ${wrapper}, not redis-server itself, and what that runs, with which arguments, is not read; only /etc/redis/redis.conf is checked; run redis-server itself in ExecStart= to have it checked ${WRAPPER_FIX}`,
    ]);
  });

  it('redis-server run twice (Type=oneshot): which one serves is unknown', async () => {
    const twice = '[Service]\nType=oneshot\nExecStart=/usr/sbin/redis-server /etc/redis/redis.conf --port 26390\n';
    expect(await problems(['redis'], { [dropIn]: twice })).toEqual([
      `unknown: redis (6379): /${UNITS}/redis-server.service:2: the options ExecStart= gives redis-server are not known, as its ExecStart= runs redis-server 2 times (/${UNITS}/redis-server.service:2, /${dropIn}:3), and which one serves is not known; only /etc/redis/redis.conf is checked`,
    ]);
  });

  it('prometheus through sh -c, never given $ARGS: neither its prometheus.yml nor /etc/default/prometheus passes', async () => {
    const unit = `${UNITS}/prometheus.service`;
    const command = '/bin/sh -c "exec /usr/bin/prometheus --config.file=/etc/prometheus/prometheus.yml --web.listen-address=0.0.0.0:29091"';
    const why = `Prometheus's command line is not known, as its ExecStart= runs /bin/sh, not prometheus itself, and what that runs, with which arguments, is not read`;
    const fix = `run prometheus itself in ExecStart= to have it checked ${WRAPPER_FIX}`;
    expect(await problems(['prometheus'], { [unit]: `[Service]\nEnvironmentFile=-/etc/default/prometheus\nExecStart=${command}\n` })).toEqual([
      `unknown: prometheus (9090): /${unit}:3: ${why}, so whether Prometheus reads this file (its --config.file) is not checked; ${fix}`,
      `unknown: prometheus (9090): /${unit}:3: ${why}, so whether this file's ARGS reach Prometheus is not checked; ${fix}`,
    ]);
  });

  it("grafana-server through sh -c: grafana.ini's http_port is unknown (a cfg:server.http_port= may override it)", async () => {
    const unit = `${UNITS}/grafana-simple.service`;
    const command = '/bin/sh -c "exec /usr/sbin/grafana-server --config=/etc/grafana/grafana.ini --homepath=/usr/share/grafana cfg:server.http_port=23099"';
    const found = await problems(['grafana'], { [unit]: `[Service]\nExecStart=${command}\n` });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^unknown: grafana \(3030\): \/etc\/grafana\/grafana\.ini:\d+ sets http_port = 3030, but the command line grafana-server is started with is not known, as its ExecStart= runs \/bin\/sh, not grafana-server itself/,
    );
    expect(found[0]).toContain(`(/${unit}:2); run grafana-server itself in ExecStart=`);
  });

  it('nginx through sh -c: which main configuration it reads, and so whether it loads the site, is unknown', async () => {
    const unit = `${UNITS}/nginx.service`;
    const files = {
      [unit]: '[Service]\nExecStart=/bin/sh -c "exec /usr/sbin/nginx -c /etc/nginx/other.conf"\n',
      'etc/nginx/nginx.conf': 'events {}\nhttp {\n  include /etc/nginx/sites-enabled/*;\n}\n',
      'etc/nginx/sites-enabled/dsa110-contimg': { symlink: '/etc/nginx/sites-available/dsa110-contimg' },
    };
    expect(await problems(['nginx'], files)).toEqual([
      `unknown: nginx (80): /${unit}:2: the main configuration nginx reads is not known, as its ExecStart= runs /bin/sh, not nginx itself, and what that runs, with which arguments, is not read; whether nginx loads this file is not checked; run nginx itself in ExecStart= to have it checked ${WRAPPER_FIX}`,
    ]);
  });

  it("the API server through sh -c says nothing, as before (the program may be the pipeline's own, which reads its port itself)", async () => {
    const unit = `${UNITS}/dsa110-api.service`;
    expect(await problems(['api'], { [unit]: `[Service]\nExecStart=/bin/sh -c "exec /usr/bin/uvicorn app:app --port 28001"\n` })).toEqual([]);
  });
});

describe('a unit this check could not read all of', () => {
  /** A FIFO at `path` (under the root): systemd reads it (and waits on it), this check does not. */
  const fifo = (path: string) => (root: string) => execFileSync('mkfifo', [join(root, path)]);
  const unread = (unit: string, path: string) =>
    `part of ${unit} cannot be read, /${path} (a drop-in of it: it is a FIFO (named pipe), not a regular file, which systemd would block reading; make it a regular file, or remove it), and may set its ExecStart= or the environment it runs in`;

  it.each([
    ['redis', 'redis-server.service'],
    ['nginx', 'nginx.service'],
    ['prometheus', 'prometheus.service'],
    ['grafana', 'grafana-simple.service'],
    ['api', 'dsa110-api.service'],
  ])('%s: a FIFO drop-in makes every verdict on its command line unknown, naming the drop-in', async (id, unit) => {
    const path = `${UNITS}/${unit}.d/zz.conf`;
    const found = await problems([id], { [`${UNITS}/${unit}.d/keep`]: '' }, fifo(path));
    expect(found.length).toBeGreaterThan(0);
    for (const result of found) {
      expect(result).toMatch(/^unknown: /);
      expect(result).toContain(unread(unit, path));
    }
  });

  it('prometheus.yml with $ARGS from an EnvironmentFile= this check cannot read: unknown (ARGS may hold a --config.file), not ok', async () => {
    const unit = `${UNITS}/prometheus.service`;
    const text = `[Service]\nEnvironmentFile=-/etc/default/prometheus\nEnvironmentFile=-/etc/default/prometheus-local\nExecStart=/usr/bin/prometheus --config.file=/etc/prometheus/prometheus.yml $ARGS\n`;
    const found = await problems(['prometheus'], { [unit]: text }, fifo('etc/default/prometheus-local'));
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(
      new RegExp(
        `^unknown: prometheus \\(9090\\): /${unit}:4: Prometheus's command line is not known, as /etc/default/prometheus-local \\(EnvironmentFile= at /${unit}:3\\) may set ARGS, and cannot be read: .*, so whether Prometheus reads this file \\(its --config.file\\) is not checked$`,
      ),
    );
  });

  it('a drop-in larger than the model reads is named with its reason', async () => {
    const path = `${UNITS}/prometheus.service.d/zz.conf`;
    const big = (root: string) => writeFileSync(join(root, path), `[Service]\n#${'x'.repeat(1024 * 1024 + 16)}\n`);
    const found = await problems(['prometheus'], { [`${UNITS}/prometheus.service.d/keep`]: '' }, big);
    expect(found).toHaveLength(2);
    for (const result of found) expect(result).toContain(`part of prometheus.service cannot be read, /${path} (a drop-in of it: it is larger than 1 MiB`);
  });
});

describe('a part not read that comes before the last empty ExecStart=', () => {
  // systemd reads the unit file, then the drop-ins by name: aa-local.conf before zz-cmd.conf, whose empty ExecStart=
  // drops whatever ExecStart= the unread one holds. It may still set the environment and directory the command gets.
  const fifo = (path: string) => (root: string) => execFileSync('mkfifo', [join(root, path)]);
  const early = (unit: string) => `${UNITS}/${unit}.d/aa-local.conf`;
  const late = (unit: string) => `${UNITS}/${unit}.d/zz-cmd.conf`;

  it("redis: the command's --port is read and its error stands", async () => {
    const unit = 'redis-server.service';
    const found = await problems(['redis'], { [late(unit)]: replaced('/usr/sbin/redis-server /etc/redis/redis.conf --port 6380') }, fifo(early(unit)));
    expect(found).toEqual([
      `error: redis (6379): /${late(unit)}:3: --port 6380 in ExecStart=, which overrides port 6379 at /etc/redis/redis.conf:2, but the registry says Redis uses port 6379; make it --port 6379, or give Redis port: 6380 in the registry`,
    ]);
  });

  it("prometheus: the command's --web.listen-address is read and its error stands", async () => {
    const unit = 'prometheus.service';
    const command = '/usr/bin/prometheus --config.file=/etc/prometheus/prometheus.yml --web.listen-address=127.0.0.1:9091';
    const found = await problems(['prometheus'], { [late(unit)]: replaced(command) }, fifo(early(unit)));
    expect(found.filter((result) => result.startsWith('error: '))).toEqual([
      `error: prometheus (9090): /${late(unit)}:3: --web.listen-address=127.0.0.1:9091, but the registry says Prometheus uses port 9090; write --web.listen-address=127.0.0.1:9090 in its ExecStart=, or give Prometheus port: 9091 in the registry`,
    ]);
    expect(found.join('\n')).not.toContain('cannot be read');
  });

  it('nginx: a -c naming no file is read, and nginx exiting at start stands', async () => {
    const unit = 'nginx.service';
    const found = await problems(['nginx'], { [late(unit)]: replaced('/usr/sbin/nginx -c /etc/nginx/missing.conf -g "daemon off;"') }, fifo(early(unit)));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      new RegExp(
        `^error: nginx \\(\\d+\\): /${late(unit)}:3: nginx exits at start: the main configuration this command names \\(-c /etc/nginx/missing.conf\\) is not there`,
      ),
    );
  });

  const settingsDoubt = (unit: string, uses: string) =>
    `part of ${unit} cannot be read, /${early(unit)} (a drop-in of it: it is a FIFO (named pipe), not a regular file, which systemd would block reading; make it a regular file, or remove it): it comes before the empty ExecStart= at /${late(unit)}:2, so cannot change the command, but may set ${uses}`;

  it('redis: a command that expands a variable stays unknown (the part may set it)', async () => {
    const unit = 'redis-server.service';
    const found = await problems(['redis'], { [late(unit)]: replaced('/usr/sbin/redis-server /etc/redis/redis.conf $REDIS_ARGS') }, fifo(early(unit)));
    expect(found).toEqual([
      `unknown: redis (6379): /${early(unit)}: the options ExecStart= gives redis-server are not known, as ${settingsDoubt(unit, 'the variables its command expands (Environment=, EnvironmentFile=)')}; only /etc/redis/redis.conf is checked`,
    ]);
  });

  it('redis: a relative config file stays unknown (the part may set WorkingDirectory=)', async () => {
    const unit = 'redis-server.service';
    const command = '[Service]\nWorkingDirectory=/etc/redis\nExecStart=\nExecStart=/usr/sbin/redis-server redis.conf --port 6380\n';
    const found = await problems(['redis'], { [late(unit)]: command }, fifo(early(unit)));
    expect(found).toEqual([
      `unknown: redis (6379): /${early(unit)}: the options ExecStart= gives redis-server are not known, as ${settingsDoubt(unit, 'the directory a relative path of its command is read from (WorkingDirectory=)').replace(':2,', ':3,')}; only /etc/redis/redis.conf is checked`,
    ]);
  });

  it('an unread part after the empty ExecStart= may set another command: unknown, as before', async () => {
    const unit = 'redis-server.service';
    const path = `${UNITS}/${unit}.d/zzz.conf`;
    const found = await problems(['redis'], { [late(unit)]: replaced('/usr/sbin/redis-server /etc/redis/redis.conf --port 6380') }, fifo(path));
    expect(found).toEqual([
      `unknown: redis (6379): /${path}: the options ExecStart= gives redis-server are not known, as part of ${unit} cannot be read, /${path} (a drop-in of it: it is a FIFO (named pipe), not a regular file, which systemd would block reading; make it a regular file, or remove it), and may set its ExecStart= or the environment it runs in; only /etc/redis/redis.conf is checked`,
    ]);
  });

  it('grafana: still unknown, as Grafana reads GF_ variables from its environment, which the part may set', async () => {
    const unit = 'grafana-simple.service';
    const command = '/usr/sbin/grafana-server --config=/etc/grafana/grafana.ini --homepath=/usr/share/grafana';
    const found = await problems(['grafana'], { [late(unit)]: replaced(command) }, fifo(early(unit)));
    expect(found.length).toBeGreaterThan(0);
    for (const result of found) expect(result).toMatch(/^unknown: .*cannot be read, .*aa-local\.conf/);
  });
});

describe('redis-sentinel, redis-server under its Sentinel name', () => {
  // Debian's redis-sentinel.service runs it so; it reads its file and options as redis-server does.
  const unit = `${UNITS}/redis-server.service`;
  it('started with the registry file: nothing to say, not a wrapper', async () => {
    expect(await problems(['redis'], { [unit]: '[Service]\nExecStart=/usr/bin/redis-sentinel /etc/redis/redis.conf\n' })).toEqual([]);
  });

  it('its --port is read as redis-server its', async () => {
    const found = await problems(['redis'], { [unit]: '[Service]\nExecStart=/usr/bin/redis-sentinel /etc/redis/redis.conf --port 6380\n' });
    expect(found).toEqual([
      `error: redis (6379): /${unit}:2: --port 6380 in ExecStart=, which overrides port 6379 at /etc/redis/redis.conf:2, but the registry says Redis uses port 6379; make it --port 6379, or give Redis port: 6380 in the registry`,
    ]);
  });
});
