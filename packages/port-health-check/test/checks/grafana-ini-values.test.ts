// grafana.ini's values as Grafana gets them: read as go-ini 1.67 reads a line (parser.go's readValue, with the
// default options Grafana's ini.Load uses), on real files under a temp root.
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/checks/config.js';
import { goIniSetting } from '../../src/checks/go-ini.js';
import { gather } from '../../src/gather.js';
import { tempDir, testRegistry, writeTree, type TreeEntry } from '../helpers.js';

const registry = testRegistry([
  {
    id: 'grafana',
    port: 3030,
    group: 'monitoring',
    configFile: { path: '/etc/grafana/grafana.ini', key: 'http_port' },
    unit: 'grafana-server.service',
    processes: ['grafana'],
  },
]);

async function check(files: Record<string, TreeEntry>) {
  const root = writeTree(tempDir(), files);
  return { root, results: checkConfig(await gather({ registry, root }), registry.service('grafana')) };
}

describe("go-ini's reading of a value", () => {
  const read = (line: string, rest = '') => goIniSetting(`[server]\n${line}\n${rest}`, 'http_port', 'server');

  it('backticks and triple quotes: raw, up to the last such quote of the line; plain "..." and \'...\' lose their quotes', () => {
    expect(read('http_port = `3030`')).toEqual({ value: '3030', line: 2, column: 14 });
    expect(read('http_port = `3030` # ours')).toEqual({ value: '3030', line: 2, column: 14 });
    expect(read('http_port = `30#30`')).toEqual({ value: '30#30', line: 2, column: 14 });
    expect(read('http_port = """3030"""')).toEqual({ value: '3030', line: 2, column: 16 });
    expect(read('http_port = "3030"')).toEqual({ value: '3030', line: 2, column: 14 });
    expect(read("http_port = '3030' ; ours")).toEqual({ value: '3030', line: 2, column: 14 });
    // A quote elsewhere in it keeps them; a comment needs no space before it.
    expect(read('http_port = "30"30"')).toMatchObject({ value: '"30"30"' });
    expect(read('http_port = 3030#ours')).toMatchObject({ value: '3030' });
    expect(read('http_port = "3030#"')).toMatchObject({ value: '"3030' });
  });

  it('a quote closed on a later line carries the lines between; a `\\` at the end joins the next line; those lines are no keys', () => {
    expect(read('http_port = `30', '30`\n')).toMatchObject({ value: '30\n30', line: 2 });
    expect(read('http_port = 30\\', '30\n')).toMatchObject({ value: '3030', line: 2 });
    expect(goIniSetting('[server]\nprotocol = `http\nhttp_port = 1\n`\nhttp_port = 3030\n', 'http_port', 'server')).toMatchObject({ value: '3030', line: 5 });
  });

  it('a line go-ini refuses fails the whole file: a quote never closed, no = or :, a [ never closed', () => {
    expect(read('http_port = `3030')).toEqual({ refused: 'missing closing key quote `', line: 2 });
    expect(read('http_port = 3030', 'http_port 3000\n')).toEqual({ refused: 'key-value delimiter not found', line: 3 });
    expect(goIniSetting('[server\nhttp_port = 3030\n', 'http_port', 'server')).toEqual({ refused: 'unclosed section', line: 1 });
    // A section's name is as written between [ and ] (go-ini does not trim it).
    expect(goIniSetting('[ server ]\nhttp_port = 3030\n', 'http_port', 'server')).toBeUndefined();
  });

  it('a section with no name and an empty key, quoted or not, fail the whole file too', () => {
    expect(goIniSetting('[]\n[server]\nhttp_port = 3030\n', 'http_port', 'server')).toEqual({ refused: 'empty section name', line: 1 });
    for (const line of ['`` = x', '"" = x', '" " = x', '= x'])
      expect(read('http_port = 3030', `${line}\n`), line).toEqual({ refused: 'empty key name', line: 3 });
  });

  it('a long run of `\\` lines is one value, read whole (a MiB of them)', () => {
    const text = `[server]\nhttp_port = 3030\nroot_url = x\\\n${'a\\\n'.repeat(349_000)}b\n`;
    const read = goIniSetting(text, 'root_url', 'server');
    expect(read).toMatchObject({ line: 3 });
    expect(read && 'value' in read && read.value).toBe(`x${'a'.repeat(349_000)}b`);
  });
});

describe("grafana.ini's http_port, quoted as go-ini reads it", () => {
  it('`3030`, """3030""": the port, where they were "not a port"', async () => {
    for (const value of ['`3030`', '"""3030"""', '`3030` ; was 3000'])
      expect((await check({ 'etc/grafana/grafana.ini': `[server]\nhttp_addr = 127.0.0.1\nhttp_port = ${value}\n` })).results, value).toEqual([
        expect.objectContaining({ severity: 'ok', reason: 'grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = 3030' }),
      ]);
  });

  it('a line Grafana cannot parse is an error at it, said once for every key read', async () => {
    const { results, root } = await check({ 'etc/grafana/grafana.ini': '[server]\nhttp_addr = 127.0.0.1\nhttp_port 3030\n' });
    expect(results).toEqual([
      expect.objectContaining({
        severity: 'error',
        reason: `grafana (3030): /etc/grafana/grafana.ini:3 under ${root}: Grafana cannot parse this line (go-ini: key-value delimiter not found), so it refuses the file and exits at start ("failed to parse"); write it as KEY = VALUE, closing every quote and [, or comment it out with ;`,
      }),
    ]);
  });
});

describe("%(NAME)s in a value, filled in as go-ini's String() does (the same section, else DEFAULT, the keys before any header)", () => {
  const ok = (value: string) => [expect.objectContaining({ severity: 'ok', reason: `grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = ${value}` })];

  it("another key's value, from [server] or DEFAULT, a turn at a time: the port, not an error; the key itself or none, as written", async () => {
    const server = await check({ 'etc/grafana/grafana.ini': '[server]\nhttp_addr = 127.0.0.1\nhttp_port = %(p)s\np = 3030\n' });
    expect(server.results).toEqual(ok('%(p)s (Grafana fills in %(p)s with 3030 from /etc/grafana/grafana.ini:4:5)'));
    const chained = await check({ 'etc/grafana/grafana.ini': 'q = 3030\n[server]\nhttp_port = %(p)s\nhttp_addr = 127.0.0.1\np = %(q)s\n' });
    expect(chained.results).toEqual([
      expect.objectContaining({
        severity: 'ok',
        reason:
          'grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = %(p)s (Grafana fills in %(p)s with %(q)s from /etc/grafana/grafana.ini:5:5, %(q)s with 3030 from /etc/grafana/grafana.ini:1:5)',
      }),
    ]);
    // A key whose value is a $__file{}: the file is read for it too.
    const fromFile = await check({
      'etc/grafana/grafana.ini': '[server]\nhttp_addr = 127.0.0.1\nhttp_port = %(p)s\np = $__file{/etc/grafana/port}\n',
      'etc/grafana/port': '3030\n',
    });
    expect(fromFile.results).toEqual([expect.objectContaining({ severity: 'ok', reason: expect.stringContaining('fills in %(p)s with 3030 from') })]);
    // The key itself, or a key set nowhere, is left as written (Grafana then fails to listen).
    for (const ini of ['[server]\nhttp_addr = 127.0.0.1\nhttp_port = %(http_port)s\n', '[server]\nhttp_addr = 127.0.0.1\nhttp_port = %(nothing)s\n'])
      expect((await check({ 'etc/grafana/grafana.ini': ini })).results, ini).toEqual([
        expect.objectContaining({ severity: 'error', reason: expect.stringContaining('is not a port') }),
      ]);
  });
});

describe(`Grafana's expansion of a value ($__file{}, $__env{}, \${VAR}, anywhere in it), after every layer and GF_ override`, () => {
  const UNIT = 'lib/systemd/system/grafana-server.service';
  const ini = (value: string) => ({ 'etc/grafana/grafana.ini': `[server]\nhttp_addr = 127.0.0.1\nhttp_port = ${value}\n` });

  it("$__file{PATH}: the file's contents, trimmed, read under the root; a port there other than the registry's is fixed in that file", async () => {
    const ok = await check({ ...ini('$__file{/etc/grafana/port}'), 'etc/grafana/port': ' 3030\n' });
    expect(ok.results).toEqual([
      expect.objectContaining({
        severity: 'ok',
        reason: 'grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = $__file{/etc/grafana/port} (/etc/grafana/port holds 3030)',
      }),
    ]);
    const other = await check({ ...ini('$__file{/etc/grafana/port}'), 'etc/grafana/port': '3000\n' });
    expect(other.results).toEqual([
      expect.objectContaining({
        severity: 'error',
        reason: `grafana (3030): /etc/grafana/grafana.ini:3:13 under ${other.root}: sets http_port = $__file{/etc/grafana/port} (/etc/grafana/port holds 3000), but the registry says Grafana uses port 3030; write 3030 in /etc/grafana/port, or give Grafana port: 3000 in the registry`,
      }),
    ]);
    // In GF_SERVER_HTTP_PORT too: Grafana expands after it applies the override.
    const overridden = await check({
      ...ini('3000'),
      'etc/grafana/port': '3030',
      [UNIT]: '[Service]\nEnvironment=GF_SERVER_HTTP_PORT=$__file{/etc/grafana/port}\n',
    });
    expect(overridden.results).toEqual([expect.objectContaining({ severity: 'ok' })]);
    // $__env{} and ${} anywhere in the value, before $__file{}.
    const env = await check({ ...ini(`30\${TENS}`), [UNIT]: '[Service]\nEnvironment=TENS=30\n' });
    expect(env.results).toEqual([
      expect.objectContaining({ severity: 'ok', reason: `grafana (3030): /etc/grafana/grafana.ini:3 sets http_port = 30\${TENS} (TENS=30 from /${UNIT}:2)` }),
    ]);
  });

  it("a variable's name from the file and the unit file's path are escaped in the reason (an ESC there reads as what it is)", async () => {
    const unset = await check(ini('$' + '{\u001b[31mPORT}'));
    expect(unset.results).toEqual([
      expect.objectContaining({ severity: 'unknown', reason: expect.stringContaining('the unit sets no \\e[31mPORT (in Environment=') }),
    ]);
    const dropIn = 'etc/systemd/system/grafana-server.service.d/x\u001b[31m.conf';
    const set = await check({
      ...ini('$' + '{GPORT}'),
      [UNIT]: '[Service]\nExecStart=/usr/sbin/grafana-server\n',
      [dropIn]: '[Service]\nEnvironment=GPORT=3030\n',
    });
    expect(set.results).toEqual([
      expect.objectContaining({
        severity: 'ok',
        reason: expect.stringContaining('(GPORT=3030 from /etc/systemd/system/grafana-server.service.d/x\\e[31m.conf:2)'),
      }),
    ]);
  });

  it('a file that is not there: the error Grafana exits on; a relative path, or $__vault{}: unknown, saying why', async () => {
    const missing = await check(ini('$__file{/etc/grafana/port}'));
    expect(missing.results).toEqual([
      expect.objectContaining({
        severity: 'error',
        reason: `grafana (3030): /etc/grafana/grafana.ini:3:13 under ${missing.root} sets http_port = $__file{/etc/grafana/port}, and /etc/grafana/port under ${missing.root} is not there, so Grafana exits at start ("got error while expanding server.http_port with expander 'file': stat /etc/grafana/port: no such file or directory"); put the value in /etc/grafana/port, or write it in place of $__file{/etc/grafana/port}`,
      }),
    ]);
    const relative = await check({ ...ini('$__file{port}'), port: '3030' });
    expect(relative.results).toEqual([
      expect.objectContaining({
        severity: 'unknown',
        reason: expect.stringContaining('names a path relative to the directory Grafana starts in, so the port cannot be told'),
      }),
    ]);
    const vault = await check(ini('$__vault{kv:grafana:port}'));
    expect(vault.results).toEqual([
      expect.objectContaining({
        severity: 'unknown',
        reason: expect.stringContaining('is read from Vault by Grafana Enterprise (Grafana OSS leaves it as written), so the port cannot be told'),
      }),
    ]);
  });
});
