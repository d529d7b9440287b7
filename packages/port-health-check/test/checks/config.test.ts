// The config check over real files under a temp root, read by gather().
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRegistry } from '@dsa110/ports';
import { checkConfig } from '../../src/checks/config.js';
import { checkReferences } from '../../src/checks/references.js';
import { findSetting } from '../../src/checks/config-setting.js';
import { goPort } from '../../src/checks/go-port.js';
import { gather } from '../../src/gather.js';
import { tempDir, testRegistry, writeTree, type TreeEntry } from '../helpers.js';

const testRegistryText = (text: string) => parseRegistry(text, { source: 'test-ports.yaml' });

const registry = testRegistry([
  {
    id: 'grafana',
    port: 3030,
    group: 'monitoring',
    configFile: { path: '/etc/grafana/grafana.ini', key: 'http_port' },
    unit: 'grafana-server.service',
    processes: ['grafana'],
  },
  { id: 'nginx', port: 80, access: 'public', processes: ['nginx'] },
  { id: 'app', port: 4040, configFile: { path: '/etc/app/app.conf', key: 'port' }, unit: 'app.service' },
]);

async function check(files: Record<string, TreeEntry>, id = 'grafana') {
  const root = writeTree(tempDir(), files);
  return { root, results: checkConfig(await gather({ registry, root }), registry.service(id)) };
}

describe('findSetting', () => {
  it('finds ini, YAML and space-separated settings, skipping comments', () => {
    expect(findSetting(';http_port = 3000\n[server]\nhttp_port = 3030 ; ours\n', 'http_port')).toEqual({ value: '3030', line: 3, column: 13 });
    expect(findSetting('web:\n  http_port: "3030"\n', 'http_port')).toEqual({ value: '3030', line: 2, column: 15 });
    expect(findSetting('# port 6380\nport 6379\n', 'port')).toEqual({ value: '6379', line: 2, column: 6 });
    expect(findSetting('http_portal = 1\n', 'http_port')).toBeUndefined();
    expect(findSetting('port 6379\nport 6380\n', 'port')).toEqual({ value: '6380', line: 2, column: 6 });
    expect(findSetting('http_port = 1\n[server]\nhttp_port = 2\n[log]\nhttp_port = 3\n', 'http_port', 'server')).toEqual({ value: '2', line: 3, column: 13 });
  });

  it('reads CRLF files and long ones the same way', () => {
    expect(findSetting(';http_port = 3000\r\n[server]\r\nhttp_port = 3030 ; ours\r\n', 'http_port')).toEqual({ value: '3030', line: 3, column: 13 });
    expect(findSetting('http_port = "3030"\r\n', 'http_port')).toEqual({ value: '3030', line: 1, column: 14 });
    const long = `${'# a comment line naming no key at all\n'.repeat(5000)}[server]\nhttp_port = 3030\n`;
    expect(findSetting(long, 'http_port')).toEqual({ value: '3030', line: 5002, column: 13 });
  });
});

describe('config check', () => {
  it('passes when the key sets the registry port, naming file and line', async () => {
    // http_addr: the registry's access localhost (loopback only), held to it by the same check.
    const { results } = await check({ 'etc/grafana/grafana.ini': '[server]\nprotocol = http\nhttp_port = 3030\nhttp_addr = 127.0.0.1\n' });
    expect(results).toEqual([
      expect.objectContaining({
        check: 'config',
        severity: 'ok',
        file: '/etc/grafana/grafana.ini:3',
        reason: 'grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = 3030',
      }),
    ]);
  });

  it('is an error when the key sets another port', async () => {
    const { root, results } = await check({ 'etc/grafana/grafana.ini': '[server]\nhttp_port = 3000\n' });
    // Placed and worded as every config-file finding (file:line:col under ROOT, the line to write, the snippet, the registry instead).
    expect(results[0]).toMatchObject({
      severity: 'error',
      file: '/etc/grafana/grafana.ini:2:13',
      reason: `grafana (3030): /etc/grafana/grafana.ini:2:13 under ${root}: sets http_port = 3000, but the registry says Grafana uses port 3030; write http_port = 3030 under [server] (ports snippet grafana-ini prints what passes), or give Grafana port: 3000 in the registry`,
    });
  });

  it("http_port's column is its value's, however the line is spaced or quoted, as every config-file finding is placed", async () => {
    const placed = async (line: string) => (await check({ 'etc/grafana/grafana.ini': `[server]\n${line}\n` })).results[0]!.file;
    expect(await placed('http_port=3000')).toBe('/etc/grafana/grafana.ini:2:11');
    expect(await placed('http_port   =   3000')).toBe('/etc/grafana/grafana.ini:2:17');
    expect(await placed('\t  http_port = 3000 ; ours')).toBe('/etc/grafana/grafana.ini:2:16');
    // Inside its quotes, where its text starts.
    expect(await placed('http_port = "3000"')).toBe('/etc/grafana/grafana.ini:2:14');
    expect(await placed("http_port = '2303x'")).toBe('/etc/grafana/grafana.ini:2:14');
    expect(await placed('http_port: 3000')).toBe('/etc/grafana/grafana.ini:2:12');
    // A value from the unit's environment is placed at the ${VAR} that names it.
    const fromUnit = await check({
      'etc/grafana/grafana.ini': `[server]\nhttp_port = \${PORT}\n`,
      'lib/systemd/system/grafana-server.service': '[Service]\nEnvironment=PORT=3000\n',
    });
    expect(fromUnit.results[0]).toMatchObject({ severity: 'error', file: '/etc/grafana/grafana.ini:2:13' });
  });

  it("Grafana's other [server] keys are placed as its port is: file:line:col under ROOT", async () => {
    const open = await check({ 'etc/grafana/grafana.ini': '[server]\nhttp_port = 3030\nhttp_addr = 0.0.0.0\n' });
    expect(open.results.find((result) => result.severity === 'error')!.reason).toContain(
      `/etc/grafana/grafana.ini:3:13 under ${open.root} sets http_addr = 0.0.0.0, so Grafana accepts connections on every address`,
    );
    const unset = await check({ 'etc/grafana/grafana.ini': '[server]\nhttp_port = 3030\n' });
    expect(unset.results.find((result) => result.severity === 'error')!.reason).toContain(
      `/etc/grafana/grafana.ini under ${unset.root} sets no http_addr in [server]`,
    );
  });

  it('warns when the key is not set (the program default applies)', async () => {
    const { results, root } = await check({ 'etc/grafana/grafana.ini': '[server]\n;http_port = 3000\n' });
    expect(results[0]).toMatchObject({ severity: 'warning', file: '/etc/grafana/grafana.ini' });
    // Placed as every config-file finding is: under --root, the root it was read in.
    expect(results[0]!.reason).toBe(
      `grafana (3030): /etc/grafana/grafana.ini under ${root} does not set http_port in [server], so Grafana uses its built-in default port, not 3030; add http_port = 3030 under [server]`,
    );
  });

  it('a key given twice: the last one counts, as Grafana (go-ini) reads it, a repeated [server] included', async () => {
    const twice = await check({ 'etc/grafana/grafana.ini': '[server]\nhttp_port = 3030\n[server]\nhttp_port = 3000\n' });
    expect(twice.results[0]).toMatchObject({
      severity: 'error',
      reason: `grafana (3030): /etc/grafana/grafana.ini:4:13 under ${twice.root}: sets http_port = 3000, but the registry says Grafana uses port 3030; write http_port = 3030 under [server] (ports snippet grafana-ini prints what passes), or give Grafana port: 3000 in the registry`,
    });
    expect((await check({ 'etc/grafana/grafana.ini': '[server]\r\nhttp_port = 3000\r\nhttp_port = 3030\r\n' })).results[0]).toMatchObject({
      severity: 'ok',
      file: '/etc/grafana/grafana.ini:3',
    });
  });

  it('grafana.ini: only [server] sets the port; the key in another section or before any is not it', async () => {
    for (const text of ['[database]\nhttp_port = 3030\n[server]\n;http_port = 3000\n', 'http_port = 3030\n[server]\nprotocol = http\n']) {
      const { results } = await check({ 'etc/grafana/grafana.ini': text });
      expect(results[0]).toMatchObject({ severity: 'warning' });
      expect(results[0]!.reason).toContain('does not set http_port in [server]');
    }
    const after = await check({ 'etc/grafana/grafana.ini': '[server]\nhttp_port = 3030\n[log]\nhttp_port = 1\n' });
    expect(after.results[0]).toMatchObject({ severity: 'ok', file: '/etc/grafana/grafana.ini:2' });
  });

  it('grafana: a port with leading zeros is the port (Go reads it so); a +, a name or one above 65535 is not', async () => {
    const zeros = await check({ 'etc/grafana/grafana.ini': '[server]\nhttp_port = 03030\n' });
    expect(zeros.results[0]).toMatchObject({
      severity: 'ok',
      reason: 'grafana (3030): /etc/grafana/grafana.ini:2 sets http_port = 03030, which Grafana reads as port 3030',
    });
    // Go's parser takes +3030, but Grafana's root_url (http://localhost:+3030/) does not parse, and Grafana exits.
    for (const value of ['+3030', '3030x', '0x0bd6', '-3030', '3030 3031', '68566', 'grafana']) {
      const { results } = await check({ 'etc/grafana/grafana.ini': `[server]\nhttp_port = ${value}\n` });
      expect(results[0], value).toMatchObject({ severity: 'error' });
    }
    const UNIT = 'lib/systemd/system/grafana-server.service';
    const overridden = await check({
      'etc/grafana/grafana.ini': '[server]\nhttp_port = 3000\n',
      [UNIT]: '[Service]\nEnvironment=GF_SERVER_HTTP_PORT=003030\n',
    });
    expect(overridden.results[0]).toMatchObject({
      severity: 'ok',
      reason: `grafana (3030): /${UNIT}:2 sets GF_SERVER_HTTP_PORT=003030, which overrides http_port in /etc/grafana/grafana.ini, which Grafana reads as port 3030`,
    });
  });

  it('grafana: a value that is no port is said to be none, escaped (a byte that is not UTF-8 as \\xNN), never another port', async () => {
    const fix = 'so Grafana does not listen on port 3030; write http_port = 3030 under [server] (ports snippet grafana-ini prints what passes)';
    const letter = await check({ 'etc/grafana/grafana.ini': '[server]\nhttp_port = 2303x\n' });
    expect(letter.results[0]).toMatchObject({
      severity: 'error',
      reason: `grafana (3030): /etc/grafana/grafana.ini:2:13 under ${letter.root}: sets http_port = 2303x: "2303x" is not a port (1 to 65535), ${fix}`,
    });
    const root = writeTree(tempDir(), {});
    mkdirSync(join(root, 'etc/grafana'), { recursive: true });
    writeFileSync(join(root, 'etc/grafana/grafana.ini'), Buffer.from('[server]\nhttp_port = 23030\x85\n', 'latin1'));
    const [byte] = checkConfig(await gather({ registry, root }), registry.service('grafana'));
    expect(byte).toMatchObject({
      severity: 'error',
      reason: `grafana (3030): /etc/grafana/grafana.ini:2:13 under ${root}: sets http_port = 23030\\x85: "23030\\x85" is not a port (1 to 65535), ${fix}`,
    });
  });

  it("another program's key is held to the port's own digits (Redis refuses `port 06379`)", async () => {
    const { results } = await check({ 'etc/app/app.conf': 'port 04040\n' }, 'app');
    expect(results[0]).toMatchObject({ severity: 'error' });
  });

  it('never suggests a registry port the registry refuses: a file that says port 0 is fixed in the file', async () => {
    const { root, results } = await check({ 'etc/app/app.conf': 'port 0\n' }, 'app');
    expect(results).toEqual([
      expect.objectContaining({
        severity: 'error',
        reason: `app (4040): /etc/app/app.conf:1:6 under ${root}: sets port = 0, but the registry says App uses port 4040; write port = 4040`,
      }),
    ]);
    // Another port the registry takes is still offered as the change to make instead.
    expect((await check({ 'etc/app/app.conf': 'port 4041\n' }, 'app')).results[0]!.reason).toMatch(
      /; write port = 4040, or give App port: 4041 in the registry$/,
    );
  });

  describe('a redis.conf port key (configuredBy: { file: redis.conf, key: port })', () => {
    const redisRegistry = (configs: string) =>
      testRegistryText(
        `version: 1\nservices:\n  - id: redis\n    name: Redis\n    group: production\n    port: 26379\n    protocol: TCP\n    access: localhost\n    configuredBy: { file: redis.conf, key: port }\n    config: /etc/redis/redis.conf\n${configs}    robust: false\n    processes: [redis-server]\n`,
      );
    /** The config and references checks' problems for redis, `check severity: reason` without the temp root. */
    const redisProblems = async (configs: string, line: string) => {
      const registry = redisRegistry(configs);
      const root = writeTree(tempDir(), { 'etc/redis/redis.conf': `bind 127.0.0.1\n${line}\n` });
      const facts = await gather({ registry, root });
      const service = registry.service('redis');
      return [...checkConfig(facts, service), ...checkReferences(facts, service)]
        .filter((result) => result.severity !== 'ok')
        .map((result) => `${result.check} ${result.severity}: ${result.reason.replace(` under ${root}`, '')}`);
    };

    it('read by the redis-conf reader too (configs:): one finding per line, that Redis refuses to start, never "sets no port"', async () => {
      const configs = '    configs:\n      - { kind: redis-conf }\n';
      const accepts =
        'is not a port Redis accepts (digits from 0 to 65535, no leading 0), so Redis refuses to start; set it to 26379 (ports snippet redis-conf prints what passes)';
      for (const value of ['026379', '+26379'])
        expect(await redisProblems(configs, `port ${value}`)).toEqual([
          `references error: redis (26379): /etc/redis/redis.conf:2:6: port ${value}: "${value}" ${accepts}`,
        ]);
      expect(await redisProblems(configs, 'port 26379 # c')).toEqual([
        'references error: redis (26379): /etc/redis/redis.conf:2: port 26379 # c: port takes one number, so Redis refuses to start ("wrong number of arguments"); put a comment on a line of its own',
      ]);
      expect(await redisProblems(configs, 'port 26379 26380')).toEqual([
        'references error: redis (26379): /etc/redis/redis.conf:2: port 26379 26380: port takes one number, so Redis refuses to start ("wrong number of arguments"); give one port, 26379',
      ]);
      expect(await redisProblems(configs, 'port 6380')).toEqual([
        'references error: redis (26379): /etc/redis/redis.conf:2:6: port 6380, but the registry says Redis uses port 26379; set it to 26379 (ports snippet redis-conf prints what passes), or give Redis port: 6380 in the registry',
      ]);
      expect(await redisProblems(configs, 'port 26379')).toEqual([]);
    });

    it('read by the config check alone: as Redis reads it (a leading 0 or a sign is refused at start), never port 0 for the registry', async () => {
      const refused = (value: string) =>
        `config error: redis (26379): /etc/redis/redis.conf:2:6: port ${value}: "${value}" is not a port Redis accepts (digits from 0 to 65535, no leading 0), so Redis refuses to start; set it to 26379`;
      expect(await redisProblems('', 'port 026379')).toEqual([refused('026379')]);
      expect(await redisProblems('', 'port +26379')).toEqual([refused('+26379')]);
      expect(await redisProblems('', 'port 0')).toEqual([
        'config error: redis (26379): /etc/redis/redis.conf:2:6: port 0: Redis listens on no TCP port at all, so Redis does not serve port 26379, the registry\'s: it exits at start ("Configured to not listen anywhere") or, with a unixsocket, serves only that; write port 26379, or, to serve TLS only, add tls-port 26379',
      ]);
      expect(await redisProblems('', 'port 26379')).toEqual([]);
    });
  });

  describe('a port key in any file Redis reads is read as Redis reads it, by the one Redis reader', () => {
    /** Redis on 26379, configured by `port` in `path` (named `file`), with the entry's own `configs:` and `processes`. */
    const problems = async (entry: { file: string; path: string; processes?: string; configs?: string }, files: Record<string, string>) => {
      const registry = testRegistryText(
        `version: 1\nservices:\n  - id: redis\n    name: Redis\n    group: production\n    port: 26379\n    protocol: TCP\n    access: localhost\n    configuredBy: { file: ${entry.file}, key: port }\n    config: ${entry.path}\n${entry.configs ?? ''}    robust: false\n    processes: [${entry.processes ?? 'cache'}]\n`,
      );
      const root = writeTree(tempDir(), files);
      const facts = await gather({ registry, root });
      const service = registry.service('redis');
      return [...checkConfig(facts, service), ...checkReferences(facts, service)].map(
        (result) => `${result.check} ${result.severity}: ${result.reason.replace(` under ${root}`, '')}`,
      );
    };
    const inline = (path: string) =>
      `config error: redis (26379): ${path}:1: port 26379 # c: port takes one number, so Redis refuses to start ("wrong number of arguments"); put a comment on a line of its own`;

    it("by its name: Debian's redis-INSTANCE.conf, sentinel.conf", async () => {
      for (const name of ['redis-6380.conf', 'redis_main.conf', 'sentinel.conf', 'sentinel-26379.conf']) {
        const path = `/etc/redis/${name}`;
        expect(await problems({ file: name, path }, { [path.slice(1)]: 'port 26379 # c\n' })).toEqual([inline(path)]);
        expect(await problems({ file: name, path }, { [path.slice(1)]: 'port "26379"\n' })).toEqual([`config ok: redis (26379): ${path}:1 sets port 26379`]);
      }
      // The base name of config: tells it too, whatever configuredBy.file calls it.
      expect(await problems({ file: 'cache settings', path: '/etc/redis/redis-main.conf' }, { 'etc/redis/redis-main.conf': 'port 26379 # c\n' })).toEqual([
        inline('/etc/redis/redis-main.conf'),
      ]);
    });

    it('by its program: a service run by redis-server or redis-sentinel', async () => {
      for (const program of ['redis-server', 'redis-sentinel'])
        expect(await problems({ file: 'cache.conf', path: '/etc/cache.conf', processes: program }, { 'etc/cache.conf': 'port 26379 # c\n' })).toEqual([
          inline('/etc/cache.conf'),
        ]);
    });

    it("by the entry's kind: configs: names the file as redis-conf, which judges it once", async () => {
      const configs = '    configs:\n      - { kind: redis-conf }\n';
      expect(await problems({ file: 'cache.conf', path: '/etc/cache.conf', configs }, { 'etc/cache.conf': 'bind 127.0.0.1\nport 26379 # c\n' })).toEqual([
        'references error: redis (26379): /etc/cache.conf:2: port 26379 # c: port takes one number, so Redis refuses to start ("wrong number of arguments"); put a comment on a line of its own',
      ]);
    });

    it('with its includes: the last port Redis reads, in an included file too', async () => {
      const files = { 'etc/redis/redis-6380.conf': 'port 26379\ninclude /etc/redis/local.conf\n', 'etc/redis/local.conf': 'port 6380\n' };
      expect(await problems({ file: 'redis-6380.conf', path: '/etc/redis/redis-6380.conf' }, files)).toEqual([
        'config error: redis (26379): /etc/redis/local.conf:1:6: port 6380, but the registry says Redis uses port 26379; set it to 26379, or give Redis port: 6380 in the registry',
      ]);
    });

    it("another program's file is read by the line reader still, its comment after the value", async () => {
      expect(await problems({ file: 'cache.conf', path: '/etc/cache.conf' }, { 'etc/cache.conf': 'port 26379 # c\n' })).toEqual([
        'config ok: redis (26379): /etc/cache.conf:1 sets port = 26379',
      ]);
    });
  });

  it('goPort reads a port as a Go server listens on it', () => {
    expect([
      goPort('03030'),
      goPort('080'),
      goPort('+80'),
      goPort('0'),
      goPort('65535'),
      goPort('65536'),
      goPort('-1'),
      goPort(''),
      goPort('http'),
      goPort(' 80'),
    ]).toEqual([3030, 80, undefined, 0, 65535, undefined, undefined, undefined, undefined, undefined]);
  });

  it("grafana: GF_SERVER_HTTP_PORT in the unit's Environment= overrides the file; a $-variable in the file is read from it, else unknown", async () => {
    const UNIT = 'lib/systemd/system/grafana-server.service';
    const overridden = await check({
      'etc/grafana/grafana.ini': '[server]\nhttp_port = 3030\n',
      [UNIT]: '[Service]\nEnvironment=GF_SERVER_HTTP_PORT=3000\nExecStart=/usr/sbin/grafana-server\n',
    });
    expect(overridden.results[0]).toMatchObject({
      severity: 'error',
      file: `/${UNIT}:2`,
      reason: `grafana (3030): /${UNIT}:2 under ${overridden.root}: sets GF_SERVER_HTTP_PORT=3000, which overrides http_port in /etc/grafana/grafana.ini, but the registry says Grafana uses port 3030; change it to GF_SERVER_HTTP_PORT=3030 at /${UNIT}:2 (or remove it: then the config file's key counts); systemd reads it when the system under ${overridden.root} boots, or give Grafana port: 3000 in the registry`,
    });
    const fixed = await check({ 'etc/grafana/grafana.ini': '[server]\nhttp_port = 3000\n', [UNIT]: '[Service]\nEnvironment=GF_SERVER_HTTP_PORT=3030\n' });
    expect(fixed.results[0]).toMatchObject({ severity: 'ok' });
    // An empty one overrides nothing: Grafana applies a variable only when it is not empty (setting.go); the file's port holds.
    const empty = await check({ 'etc/grafana/grafana.ini': '[server]\nhttp_port = 3030\n', [UNIT]: '[Service]\nEnvironment=GF_SERVER_HTTP_PORT=\n' });
    expect(empty.results[0]).toMatchObject({ severity: 'ok', reason: 'grafana (3030): /etc/grafana/grafana.ini:2 sets http_port = 3030' });
    const fromEnv = await check({ 'etc/grafana/grafana.ini': `[server]\nhttp_port = \${PORT}\n`, [UNIT]: '[Service]\nEnvironment=PORT=3030\n' });
    expect(fromEnv.results[0]).toMatchObject({
      severity: 'ok',
      reason: `grafana (3030): /etc/grafana/grafana.ini:2 sets http_port = \${PORT} (PORT=3030 from /${UNIT}:2)`,
    });
    // A value is what systemd hands Grafana, spaces included (a quoted Environment= keeps them): Go's listener refuses " 3030".
    const padded = await check({ 'etc/grafana/grafana.ini': '[server]\nhttp_port = 3030\n', [UNIT]: '[Service]\nEnvironment="GF_SERVER_HTTP_PORT=3030 "\n' });
    expect(padded.results[0]).toMatchObject({ severity: 'error' });
    expect(padded.results[0]!.reason).toContain('"3030 " is not a port (1 to 65535)');
    const paddedVariable = await check({ 'etc/grafana/grafana.ini': `[server]\nhttp_port = \${PORT}\n`, [UNIT]: '[Service]\nEnvironment="PORT= 3030"\n' });
    expect(paddedVariable.results[0]).toMatchObject({ severity: 'error' });
    expect(paddedVariable.results[0]!.reason).toContain('" 3030" is not a port (1 to 65535)');
    const unset = await check({ 'etc/grafana/grafana.ini': '[server]\nhttp_port = $__env{PORT}\n' });
    expect(unset.results[0]).toMatchObject({ severity: 'unknown' });
    expect(unset.results[0]!.reason).toBe(
      `grafana (3030): /etc/grafana/grafana.ini:2:13 under ${unset.root} sets http_port = $__env{PORT}, from Grafana's environment, and the unit sets no PORT (in Environment= or an EnvironmentFile=), so the port cannot be told`,
    );
  });

  it("grafana: the unit's EnvironmentFile= is read too (after Environment=, naming file:line); one it cannot read makes the verdict unknown, naming it", async () => {
    const UNIT = 'lib/systemd/system/grafana-server.service';
    const unit = (...lines: string[]) => `[Service]\n${lines.join('\n')}\nExecStart=/usr/sbin/grafana-server\n`;
    const overridden = await check({
      'etc/grafana/grafana.ini': '[server]\nhttp_port = 3030\n',
      [UNIT]: unit('Environment=GF_SERVER_HTTP_PORT=3030', 'EnvironmentFile=-/etc/default/grafana-server'),
      'etc/default/grafana-server': '# Grafana\nGRAFANA_USER=grafana\nGF_SERVER_HTTP_PORT="3000"\n',
    });
    expect(overridden.results[0]).toMatchObject({
      severity: 'error',
      file: '/etc/default/grafana-server:3',
      reason: `grafana (3030): /etc/default/grafana-server:3 under ${overridden.root}: sets GF_SERVER_HTTP_PORT=3000, which overrides http_port in /etc/grafana/grafana.ini, but the registry says Grafana uses port 3030; change it to GF_SERVER_HTTP_PORT=3030 at /etc/default/grafana-server:3 (or remove it: then the config file's key counts); systemd reads it when the system under ${overridden.root} boots, or give Grafana port: 3000 in the registry`,
    });
    const fromFile = await check({
      'etc/grafana/grafana.ini': `[server]\nhttp_port = \${PORT}\n`,
      [UNIT]: unit('EnvironmentFile=/etc/default/grafana-server'),
      'etc/default/grafana-server': 'PORT=3030\n',
    });
    expect(fromFile.results[0]).toMatchObject({
      severity: 'ok',
      reason: `grafana (3030): /etc/grafana/grafana.ini:2 sets http_port = \${PORT} (PORT=3030 from /etc/default/grafana-server:1)`,
    });
    // The file's key says 3030, but an EnvironmentFile= it cannot read may override it: not ok.
    const unread = await check({
      'etc/grafana/grafana.ini': '[server]\nhttp_port = 3030\n',
      [UNIT]: unit('EnvironmentFile=-/etc/default/grafana-server'),
      'etc/default/grafana-server': { fifo: true },
    });
    expect(unread.results[0]).toMatchObject({
      severity: 'unknown',
      reason: `grafana (3030): GF_SERVER_HTTP_PORT would override http_port in /etc/grafana/grafana.ini under ${unread.root}, and /etc/default/grafana-server (EnvironmentFile= at /${UNIT}:2) may set GF_SERVER_HTTP_PORT, and cannot be read: it is a FIFO (named pipe), not a regular file, so the port cannot be told`,
    });
    // A $-variable set by Environment=, which a file read after it, and too large to read, may override.
    const unreadVariable = await check(
      {
        'etc/app/app.conf': `port \${APP_PORT}\n`,
        'etc/systemd/system/app.service': unit('Environment=APP_PORT=4040', 'EnvironmentFile=/etc/default/app'),
        'etc/default/app': `APP_DATA=/var/lib/app\n${'#'.repeat(1024 * 1024)}\n`,
      },
      'app',
    );
    expect(unreadVariable.results[0]).toMatchObject({
      severity: 'unknown',
      reason: `app (4040): /etc/app/app.conf:1:6 under ${unreadVariable.root} sets port = \${APP_PORT}, from App's environment, but /etc/default/app (EnvironmentFile= at /etc/systemd/system/app.service:3) may set APP_PORT, and cannot be read: it is larger than 1 MiB, so the port cannot be told`,
    });
  });

  it('is unknown when the file is missing, and silent for services without a config key', async () => {
    const { results, root } = await check({});
    expect(results[0]).toMatchObject({
      severity: 'unknown',
      reason: `grafana (3030): cannot check http_port in /etc/grafana/grafana.ini under ${root}: no such file`,
      file: '/etc/grafana/grafana.ini', // the file alone: the finding is about the whole file
    });
    expect((await check({}, 'nginx')).results).toEqual([]);
  });
});
