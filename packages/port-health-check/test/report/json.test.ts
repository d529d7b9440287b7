import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPorts } from '../../src/index.js';
import { JSON_SCHEMA_ID, renderJson } from '../../src/report/json.js';
import { renderText } from '../../src/report/text.js';
import { signal, spawnListener, waitForExit } from '../../../../test-support/index.js';
import { registryText, tempDir, writeTree } from '../helpers.js';
import { scenario } from '../scenario.js';

/** The user the suite runs as (root or not): holders it spawns belong to it. */
const me = userInfo().username;

describe('json report', () => {
  it('is a stable, versioned document with every check result', async () => {
    const { root, registryPath, api, redis } = await scenario({ broken: true });
    const report = await checkPorts({ registry: registryPath, root });
    const document = JSON.parse(renderJson(report));
    expect(Object.keys(document)).toEqual([
      'schema',
      'version',
      'host',
      'generatedAt',
      'durationMs',
      'registry',
      'root',
      'strict',
      'status',
      'exitCode',
      'counts',
      'services',
      'checks',
    ]);
    expect(document).toMatchObject({
      schema: JSON_SCHEMA_ID,
      version: 1,
      host: hostname(),
      registry: registryPath,
      root,
      strict: false,
      status: 'error',
      exitCode: 1,
    });
    expect(document.checks).toHaveLength(report.results.length);
    expect(document.services.find((row: { id: string }) => row.id === 'api')).toEqual({
      id: 'api',
      name: 'Api',
      port: api.port,
      registryPort: api.port,
      group: 'production',
      access: 'private',
      listening: true,
      addresses: [`127.0.0.1:${api.port}`],
      listeners: [{ address: '127.0.0.1', port: api.port, family: 4, dualStack: false }],
      owners: [expect.objectContaining({ pid: api.pid, user: me, uid: process.getuid?.(), comm: 'node' })],
      ownersKnown: true,
      verdict: 'ok',
    });
    expect(document.checks).toContainEqual(expect.objectContaining({ check: 'access', severity: 'error', service: 'redis', port: redis!.port, file: null }));
    expect(new Date(document.generatedAt).getTime()).toBe(report.startedAt.getTime());
  });

  it("gives a registry problem's place as its file: FILE:LINE:COL, as its reason starts; the file alone when it cannot be read", async () => {
    const dir = tempDir();
    const path = join(dir, 'dup.yaml');
    writeFileSync(path, 'version: 1\nservices:\n  - id: api\n    port: 99999\n');
    const checks = (report: Awaited<ReturnType<typeof checkPorts>>) => JSON.parse(renderJson(report)).checks;
    const invalid: { file: string; reason: string }[] = checks(await checkPorts({ registry: path, root: dir }));
    expect(invalid.map((check) => check.file)).toEqual([`${path}:3:5`, `${path}:4:11`]);
    for (const check of invalid) expect(check.reason.startsWith(`${check.file}: `), check.reason).toBe(true);
    const absent = join(dir, 'absent.yaml');
    expect(checks(await checkPorts({ registry: absent, root: dir }))).toEqual([
      expect.objectContaining({ check: 'registry', severity: 'error', file: absent, reason: expect.stringMatching(/: no such file; check the path$/) }),
    ]);
  });

  it('is well-formed Unicode (I-JSON): a byte that is not UTF-8 in a holder is U+FFFD there, and \\xff in the reason', async () => {
    const { root, registryPath } = await scenario({ broken: true });
    const report = await checkPorts({ registry: registryPath, root });
    // A holder as the process reader gives one whose argv and comm hold the bytes ff and fe: kept as U+DCFF and U+DCFE.
    const holder = { pid: 4242, uid: 0, user: 'root', comm: 'ev\udcffil', exe: 'python3', argv: ['python3', '\udcff\udcfe', 'ok \ud83d\ude00'] };
    const result = {
      check: 'owner' as const,
      severity: 'error' as const,
      service: 'api',
      port: 8000,
      reason: 'api (8000): held by ev\\xffil',
      processes: [holder],
    };
    const text = renderJson({ ...report, results: [...report.results, result] });
    // No lone surrogate escape is written (serde_json refuses one; Python cannot encode it again).
    expect(text).not.toMatch(/\\ud[89a-f][0-9a-f]{2}/i);
    expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
    const written = JSON.parse(text).checks.at(-1);
    expect(written.processes[0]).toMatchObject({ comm: 'ev\ufffdil', argv: ['python3', '\ufffd\ufffd', 'ok \ud83d\ude00'] });
    expect(written.reason).toBe('api (8000): held by ev\\xffil');
  });

  it('gives a file name that is not UTF-8 as the reason shows it: the byte as \\xff (it was U+FFFD, two files alike)', async () => {
    const dir = tempDir();
    const registry = join(dir, 'ports.yaml');
    writeFileSync(
      registry,
      registryText([{ id: 'redis', port: 26379, processes: ['redis-server'], configFile: { path: '/etc/redis/redis.conf', key: 'port' } }]),
    );
    writeTree(dir, { 'etc/redis/redis.conf': 'port 26379\ninclude /etc/redis/conf.d/*.conf\n', 'etc/redis/conf.d/a.conf': '# none\n' });
    // x\xff.conf, the last file the glob matches, sets the port Redis takes.
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/etc/redis/conf.d/x`), Buffer.from([0xff]), Buffer.from('.conf')]), 'port 26380\n');
    const text = renderJson(await checkPorts({ registry, root: dir }));
    const placed = JSON.parse(text).checks.filter((check: { file: string | null }) => check.file?.includes('/conf.d/x'));
    expect(placed.map((check: { file: string }) => check.file)).toEqual(['/etc/redis/conf.d/x\\xff.conf:1:6']);
    expect(placed[0].reason).toContain(`${placed[0].file} under ${dir}: port 26380`);
    expect(text).not.toContain('\ufffd');
  });

  it('gives each listening socket as fields too: address, port, family, dual-stack (addresses are for people)', async () => {
    const vite = await spawnListener({ host: '::' });
    try {
      const dir = tempDir();
      const registry = join(dir, 'ports.yaml');
      writeFileSync(registry, registryText([{ id: 'vite', port: vite.port, group: 'development', access: 'dev', processes: ['node'] }]));
      const row = JSON.parse(renderJson(await checkPorts({ registry, root: dir }))).services[0];
      // Node's [::] listener accepts IPv4 too, as the kernel's default (bindv6only 0) makes it.
      expect(row.addresses).toEqual([`[::]:${vite.port} (IPv4+IPv6 unless v6only)`]);
      expect(row.listeners).toEqual([{ address: '::', port: vite.port, family: 6, dualStack: true }]);
    } finally {
      signal(vite.pid, 'SIGKILL');
      await waitForExit(vite.pid);
    }
  });

  it('gives each reason as the text report prints it: control characters from files escaped, one line', async () => {
    const { root, registryPath } = await scenario({ broken: true });
    const report = await checkPorts({ registry: registryPath, root });
    // A check that quoted a unit line raw: ESC, BEL and a newline, as a hostile file holds them.
    const result = {
      check: 'systemd' as const,
      severity: 'error' as const,
      service: 'api',
      port: 8000,
      reason: 'ExecStartPre=+claim-port \u001b[31m8000\u0007\nok: forged',
    };
    const written = JSON.parse(renderJson({ ...report, results: [...report.results, result] })).checks.at(-1);
    expect(written.reason).toBe('ExecStartPre=+claim-port \\e[31m8000\\x07\\nok: forged');
    expect(renderText({ ...report, results: [result] })).toContain(`[systemd] ${written.reason}\n`);
  });
});
