import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshot } from '@dsa110/ports/system';
import type { Severity as JournalSeverity } from '@dsa110/ports/cli';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { spawnListener } from '../../../../test-support/index.js';
import { checkPorts } from '../../src/index.js';
import { renderText, textLines, type JournalLevel } from '../../src/report/text.js';
import { quietPort, registryText, tempDir, writeTree } from '../helpers.js';
import { scenario } from '../scenario.js';

describe('text report', () => {
  it('prints the table, the problems by severity and a summary line', async () => {
    const { root, registryPath, api, redis, vitePort } = await scenario({ broken: true });
    const text = renderText(await checkPorts({ registry: registryPath, root }));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^PORT +SERVICE +STATE +OWNER +VERDICT$/);
    expect(text).toMatch(new RegExp(`^${api.port} +api +127\\.0\\.0\\.1:${api.port} +node\\[${api.pid}\\] +ok$`, 'm'));
    expect(text).toMatch(new RegExp(`^${redis!.port} +redis +0\\.0\\.0\\.0:${redis!.port} +node\\[${redis!.pid}\\] +error$`, 'm'));
    expect(text).toMatch(new RegExp(`^${vitePort} +vite +not listening +- +ok$`, 'm'));
    expect(text).toContain(
      `Errors (1)\n  [access] redis (${redis!.port}): listens on 0.0.0.0:${redis!.port} (every IPv4 interface), but Redis is localhost-only`,
    );
    expect(text).not.toContain('Warnings (');
    expect(lines.at(-2)).toMatch(
      /^port-health-check: 1 error, 0 warnings, \d+ unknown, \d+ info, \d+ passed \(3 services, .*ports\.yaml, root .*, \d+ ms\): exit 1$/,
    );
    expect(text).not.toContain('\x1b[');
  });

  it('prints reasons with newlines and terminal escapes on one line, escaped', async () => {
    const { root, registryPath } = await scenario({ broken: true });
    const report = await checkPorts({ registry: registryPath, root });
    const forged = {
      ...report,
      results: [...report.results, { check: 'systemd' as const, severity: 'error' as const, reason: 'ExecStartPre=/x\n  [systemd] api: ok\x1b[2J' }],
    };
    const text = renderText(forged);
    expect(text).toContain('  [systemd] ExecStartPre=/x\\n  [systemd] api: ok\\e[2J\n');
    expect(text).not.toContain('\x1b');
  });

  it('prints a registry path and a root with newlines and terminal escapes on the summary line, escaped', async () => {
    const { root, registryPath } = await scenario({ broken: true });
    const report = await checkPorts({ registry: registryPath, root });
    const text = renderText({ ...report, registry: '/etc/a\n[forged]\x1b[2J.yaml', root: '/srv/r\noot' });
    expect(text.split('\n').at(-2)).toMatch(/ \(3 services, \/etc\/a\\n\[forged\]\\e\[2J\.yaml, root \/srv\/r\\noot, \d+ ms\): exit 1$/);
    expect(text).not.toContain('\x1b');
  });

  it('quotes a registry path or root on the summary line as the error line does, when it would not be seen for what it is (blank, a space at an end)', async () => {
    const { root, registryPath } = await scenario({ broken: true });
    const report = await checkPorts({ registry: registryPath, root });
    const summary = (registry: string, at: string) =>
      renderText({ ...report, registry, root: at })
        .split('\n')
        .at(-2);
    // DSA110_PORTS_FILE=' ': the error line says `" "`; the summary said `(0 services,  , 6 ms)`.
    expect(summary(' ', '/')).toMatch(/ \(3 services, " ", \d+ ms\): exit 1$/);
    expect(summary('', '/srv/root ')).toMatch(/ \(3 services, "", root "\/srv\/root ", \d+ ms\): exit 1$/);
    expect(summary('ports.yaml (bundled)', '/')).toMatch(/ \(3 services, ports\.yaml \(bundled\), \d+ ms\): exit 1$/);
  });

  it('colours only when asked', async () => {
    const { root, registryPath } = await scenario({ broken: true });
    expect(renderText(await checkPorts({ registry: registryPath, root }), { color: true })).toContain('\x1b[31merror\x1b[0m');
  });

  it('refuses a misspelt option, naming the option it is near ({ colour: true } printed without colour)', async () => {
    const { root, registryPath } = await scenario();
    const report = await checkPorts({ registry: registryPath, root });
    const untyped = renderText as (report: unknown, options?: unknown) => string;
    expect(() => untyped(report, { colour: true })).toThrow(
      new TypeError('renderText: unknown option "colour" (did you mean "color"?); it takes { color?, quiet? }'),
    );
  });

  it("gives each line the journal priority of what it says: a problem's (and its heading's), the summary the exit code's, the rest info", async () => {
    // The published type stands alone; it must stay the CLI kit's (io.out takes it).
    expectTypeOf<JournalLevel>().toEqualTypeOf<JournalSeverity>();
    const broken = await scenario({ broken: true });
    const report = await checkPorts({ registry: broken.registryPath, root: broken.root });
    const lines = textLines(report);
    expect(lines.map((line) => line.text).join('\n') + '\n').toBe(renderText(report));
    const levelOf = (pattern: RegExp) => [...new Set(lines.filter((line) => pattern.test(line.text)).map((line) => line.level))];
    expect(levelOf(/^(Errors \(| {2}\[access\] redis)/)).toEqual(['error']);
    expect(levelOf(/^(Info \(| {2}\[unknown-listeners\])/)).toEqual(['info']);
    expect(levelOf(/^PORT|^\d+ +\S+ +/)).toEqual(['info']);
    expect(lines.at(-1)).toEqual({ text: expect.stringMatching(/^port-health-check: 1 error, .*: exit 1$/), level: 'error' });
    const unknown = lines.filter(
      (line) => /^(Unknown \(| {2}\[)/.test(line.text) && report.results.some((r) => r.severity === 'unknown' && line.text.includes(r.reason)),
    );
    for (const line of unknown) expect(line.level).toBe('notice');
    const quiet = textLines(report, { quiet: true });
    expect(quiet.map((line) => [line.text.split(':')[0], line.level])).toEqual(
      report.results
        .filter((r) => r.severity === 'error' || r.severity === 'warning' || r.severity === 'unknown')
        .sort((a, b) => ['error', 'warning', 'unknown'].indexOf(a.severity) - ['error', 'warning', 'unknown'].indexOf(b.severity))
        .map((r) => [r.severity, ({ error: 'error', warning: 'warn', unknown: 'notice' } as Record<string, string>)[r.severity]]),
    );
    // A run with warnings only: the summary is a warning.
    const warned = { ...report, exitCode: 2 as const };
    expect(textLines(warned).at(-1)!.level).toBe('warn');
    expect(textLines({ ...report, exitCode: 0 as const }).at(-1)!.level).toBe('info');
  });

  it('prints only the problems with --quiet, and nothing when all is well', async () => {
    const broken = await scenario({ broken: true });
    const quiet = renderText(await checkPorts({ registry: broken.registryPath, root: broken.root }), { quiet: true });
    expect(quiet).toBe(
      `error: [access] redis (${broken.redis!.port}): listens on 0.0.0.0:${broken.redis!.port} (every IPv4 interface), but Redis is localhost-only; bind it to 127.0.0.1 or ::1\n`,
    );
    const healthy = await scenario();
    expect(renderText(await checkPorts({ registry: healthy.registryPath, root: healthy.root }), { quiet: true })).toBe('');
  });

  it('quotes a holder whose name could pass for two owners or for the unseen "?" in the OWNER column (any process may name itself so)', async () => {
    const taken = new Set((await snapshot()).listeners.map((listener) => listener.port));
    const pick = () => {
      const port = quietPort(taken);
      taken.add(port);
      return port;
    };
    // Real processes that renamed themselves (prctl PR_SET_NAME): 15 bytes each, chosen to read as another owner.
    const forged = await spawnListener({ python: true, port: pick(), name: 'x[9], grafana' }); // stopped by the test helpers
    const unseen = await spawnListener({ python: true, port: pick(), name: '?' });
    const spaced = await spawnListener({ python: true, port: pick(), name: 'a "b\\' });
    const plain = await spawnListener({ python: true, port: pick(), name: 'uvicorn:main' });
    // A look-alike (`redis-server` with a Cyrillic е): every character beyond ASCII escaped, as processNameText shows it.
    const lookalike = await spawnListener({ python: true, port: pick(), name: 'r\u0435dis-server' });
    const registryPath = join(tempDir(), 'ports.yaml');
    const ids = ['forged', 'unseen', 'spaced', 'plain', 'lookalike'];
    const listeners = [forged, unseen, spaced, plain, lookalike];
    writeFileSync(registryPath, registryText(ids.map((id, i) => ({ id, port: listeners[i]!.port, processes: ['grafana'] }))));
    const text = renderText(await checkPorts({ registry: registryPath, root: tempDir(), firewall: false }));
    const owner = (id: string) => new RegExp(`^\\d+ +${id} +\\S+ +(.*?) +error$`, 'm').exec(text)?.[1];
    expect(owner('forged')).toBe(`"x[9], grafana"[${forged.pid}]`);
    expect(owner('unseen')).toBe(`"?"[${unseen.pid}]`);
    expect(owner('spaced')).toBe(`"a \\"b\\\\"[${spaced.pid}]`);
    expect(owner('plain')).toBe(`uvicorn:main[${plain.pid}]`);
    expect(owner('lookalike')).toBe(`"r\\u0435dis-server"[${lookalike.pid}]`);
  });

  it("sorts the table by the port each row shows: a service its unit's Environment= moved stands at the port it moved to", async () => {
    const taken = new Set((await snapshot()).listeners.map((listener) => listener.port));
    // Four ports in a row nothing listens on, so the rows' states do not depend on the machine.
    let base = quietPort(taken);
    while ([1, 2, 3].some((step) => taken.has(base + step))) base = quietPort(taken);
    const registryPath = join(tempDir(), 'ports.yaml');
    writeFileSync(
      registryPath,
      registryText([
        { id: 'moved', port: base, env: 'MOVED_PORT', unit: 'moved.service', group: 'development', access: 'dev' },
        { id: 'second', port: base + 1, group: 'development', access: 'dev' },
        { id: 'third', port: base + 2, group: 'development', access: 'dev' },
      ]),
    );
    const root = writeTree(tempDir(), {
      'etc/systemd/system/moved.service': `[Service]\nEnvironment=MOVED_PORT=${base + 3}\nExecStart=/usr/bin/node app.js\n`,
    });
    const text = renderText(await checkPorts({ registry: registryPath, root, firewall: false }));
    const rows = text
      .split('\n')
      .slice(1, 4)
      .map((row) => row.split(/ +/).slice(0, 2).join(' '));
    expect(rows).toEqual([`${base + 1} second`, `${base + 2} third`, `${base + 3} moved`]);
  });
});
