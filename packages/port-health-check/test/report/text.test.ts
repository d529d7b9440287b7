import { describe, expect, it } from 'vitest';
import { checkPorts } from '../../src/index.js';
import { renderText } from '../../src/report/text.js';
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

  it('colours only when asked', async () => {
    const { root, registryPath } = await scenario({ broken: true });
    expect(renderText(await checkPorts({ registry: registryPath, root }), { color: true })).toContain('\x1b[31merror\x1b[0m');
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
});
