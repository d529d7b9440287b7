// Redis run as Sentinel, held on real trees under --root. Each expectation is what Debian's redis-server 7.0.15
// does, run by hand in a temp dir on loopback (checked with ss): `redis-server FILE --sentinel` and a link named
// redis-sentinel given FILE, with no port in FILE, listen on 26379 ("Running mode=sentinel, port=26379"), not on
// Redis's 6379; `port 26412` in FILE, or `--port 26411` after it (before or after --sentinel), is the port; `port 0`
// exits ("Configured to not listen anywhere, exiting"); no config file exits ("Sentinel needs config file on disk to
// save state. Exiting..."); the mode is argv[0]'s base name holding redis-sentinel, or an argument --sentinel
// (`exec -a /x/my-redis-sentinel-2 redis-server FILE` is Sentinel, `exec -a redis-server redis-sentinel FILE` is not).
import { parseRegistry } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/checks/config.js';
import { checkReferences } from '../../../src/checks/references.js';
import { runsSentinel } from '../../../src/checks/references/redis-command.js';
import { gather } from '../../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../../helpers.js';

const UNIT = 'lib/systemd/system/redis-sentinel.service';
const AT = `/${UNIT}`;
const CONF = '/etc/redis/sentinel.conf';
/** A Sentinel's file as Debian ships it, near enough: no port line (its comment names 26379). */
const NO_PORT = 'bind 127.0.0.1 -::1\n# port 26379\nsentinel monitor mymaster 127.0.0.1 6379 2\n';

/** A registry with one localhost Sentinel on `port`, its file `configs:` (or `configuredBy:`) and unit as Debian's. */
function sentinelRegistry(port: number, { processes = 'redis-sentinel', configuredBy = false } = {}) {
  const entry = configuredBy
    ? '    configuredBy: { file: sentinel.conf, key: port }\n'
    : '    configuredBy: { env: SENTINEL_PORT }\n    configs:\n      - { kind: redis-conf }\n';
  return parseRegistry(
    `version: 1\nservices:\n  - id: sentinel\n    name: Redis Sentinel\n    group: production\n    port: ${port}\n    protocol: TCP\n    access: localhost\n${entry}    config: ${CONF}\n    robust: false\n    systemd:\n      unit: redis-sentinel.service\n    processes: [${processes}]\n`,
    { source: 'test-ports.yaml' },
  );
}

/** The references and config checks' results other than ok for the Sentinel on `port`, in a root holding `files`. */
async function problems(port: number, files: Record<string, TreeEntry>, options: Parameters<typeof sentinelRegistry>[1] = {}): Promise<string[]> {
  const registry = sentinelRegistry(port, options);
  const root = writeTree(tempDir(), files);
  const facts = await gather({ registry, root });
  const service = registry.service('sentinel');
  return [...checkConfig(facts, service), ...checkReferences(facts, service)]
    .filter((result) => result.severity !== 'ok')
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason}`);
}

/** A plain redis-server refuses the Sentinel's line of NO_PORT (checked with 7.0.15). */
const NOT_SENTINEL = `error: sentinel (26379): ${CONF}:3: sentinel monitor mymaster 127.0.0.1 6379 2: a Sentinel directive, but Redis does not run as Sentinel here (not started as redis-sentinel, nor with --sentinel), so it refuses to start ("sentinel directive while not in sentinel mode"); remove the line, or run it as Sentinel (redis-sentinel, or --sentinel) with a file of its own`;

const started = (command: string, conf = NO_PORT) => ({ [UNIT]: `[Service]\nExecStart=${command}\n`, [CONF.slice(1)]: conf });

describe('a Sentinel whose file and command line set no port listens on 26379', () => {
  it('redis-sentinel FILE, or redis-server FILE --sentinel: on 26379 it passes (it was an error that said 6379)', async () => {
    expect(await problems(26379, started(`/usr/bin/redis-sentinel ${CONF} --daemonize no --supervised systemd`))).toEqual([]);
    expect(await problems(26379, started(`/usr/bin/redis-server ${CONF} --sentinel`))).toEqual([]);
    expect(await problems(26379, started(`/usr/bin/redis-server ${CONF} --supervised systemd --sentinel`))).toEqual([]);
  });

  it("on another port: an error naming Sentinel's default, both ways out; a port line, or --port after the file, is the port", async () => {
    expect(await problems(26380, started(`/usr/bin/redis-sentinel ${CONF}`))).toEqual([
      `error: sentinel (26380): ${CONF}: sets no port, so Redis Sentinel listens on Sentinel's default port 26379, not 26380; add port 26380, or give Redis Sentinel port: 26379 in the registry`,
    ]);
    // As for redis-server: the last port line, then --port (before or after --sentinel), which wins.
    expect(await problems(26380, started(`/usr/bin/redis-server ${CONF} --sentinel`, `${NO_PORT}port 26380\n`))).toEqual([]);
    expect(await problems(26380, started(`/usr/bin/redis-sentinel ${CONF} --port 26380`))).toEqual([]);
    expect(await problems(26380, started(`/usr/bin/redis-server ${CONF} --port 26414 --sentinel`))).toEqual([
      `error: sentinel (26380): ${AT}:2: --port 26414 in ExecStart=, but the registry says Redis Sentinel uses port 26380; make it --port 26380, or give Redis Sentinel port: 26414 in the registry`,
    ]);
    // port 0 is no port at all: Sentinel exits as Redis does.
    expect(await problems(26380, started(`/usr/bin/redis-sentinel ${CONF}`, `${NO_PORT}port 0\n`))).toEqual([
      `error: sentinel (26380): ${CONF}:4:6: port 0: Redis listens on no TCP port at all, so Redis Sentinel does not serve port 26380, the registry's: it exits at start ("Configured to not listen anywhere") or, with a unixsocket, serves only that; write port 26380 (ports snippet redis-conf prints what passes), or, to serve TLS only, add tls-port 26380`,
    ]);
  });

  it('redis-server FILE without --sentinel is a plain Redis, on 6379, whatever the registry calls it', async () => {
    expect(await problems(26379, started(`/usr/bin/redis-server ${CONF}`), { processes: 'redis-server' })).toEqual([
      NOT_SENTINEL,
      `error: sentinel (26379): ${CONF}: sets no port, so Redis Sentinel listens on Redis's default port 6379, not 26379; add port 26379, or give Redis Sentinel port: 6379 in the registry`,
    ]);
  });

  it("with no unit to read, the registry's processes: [redis-sentinel] say how it runs", async () => {
    expect(await problems(26379, { [CONF.slice(1)]: NO_PORT })).toEqual([]);
    expect(await problems(26379, { [CONF.slice(1)]: NO_PORT }, { processes: 'redis-server' })).toEqual([
      NOT_SENTINEL,
      `error: sentinel (26379): ${CONF}: sets no port, so Redis Sentinel listens on Redis's default port 6379, not 26379; add port 26379, or give Redis Sentinel port: 6379 in the registry`,
    ]);
  });

  it('the config check of a sentinel.conf port key: its default is 26379 too', async () => {
    expect(await problems(26379, started(`/usr/bin/redis-sentinel ${CONF}`), { configuredBy: true })).toEqual([]);
    expect(await problems(26380, started(`/usr/bin/redis-sentinel ${CONF}`), { configuredBy: true })).toEqual([
      `error: sentinel (26380): ${CONF}: sets no port, so Redis Sentinel listens on Sentinel's default port 26379, not 26380; add port 26380, or give Redis Sentinel port: 26379 in the registry`,
    ]);
  });
});

describe('a Sentinel started with no config file', () => {
  it('no config file: Sentinel refuses to start, whatever its options say', async () => {
    expect(await problems(26379, { [UNIT]: '[Service]\nExecStart=/usr/bin/redis-sentinel --port 26379\n', [CONF.slice(1)]: NO_PORT })).toEqual([
      `error: sentinel (26379): ${AT}:2: ExecStart= starts Redis as Sentinel with no config file, so it refuses to start ("Sentinel needs config file on disk to save state"); name ${CONF} as its first argument (redis-sentinel ${CONF} ...)`,
    ]);
  });
});

describe('runsSentinel: the mode, as checkForSentinelMode reads argv', () => {
  it("argv[0]'s base name holding redis-sentinel, or an argument that is exactly --sentinel", () => {
    expect(runsSentinel('/usr/bin/redis-sentinel', [CONF])).toBe(true);
    expect(runsSentinel('/x/my-redis-sentinel-2', [CONF])).toBe(true);
    expect(runsSentinel('/usr/bin/redis-server', [CONF, '--sentinel'])).toBe(true);
    expect(runsSentinel('redis-server', [CONF])).toBe(false);
    expect(runsSentinel('/opt/redis-sentinel/bin/redis-server', [CONF, '--Sentinel'])).toBe(false);
  });
});
