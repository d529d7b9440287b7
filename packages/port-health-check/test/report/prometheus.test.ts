import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkPorts } from '../../src/index.js';
import { renderPrometheus } from '../../src/report/prometheus.js';
import { scenario } from '../scenario.js';

const promtool = spawnSync('promtool', ['--version']).status === 0;

describe('prometheus report', () => {
  it('has the series an alert needs', async () => {
    const { root, registryPath, api, redis } = await scenario({ broken: true });
    const text = renderPrometheus(await checkPorts({ registry: registryPath, root }));
    expect(text).toContain(`dsa110_port_up{service="api",port="${api.port}"} 1\n`);
    expect(text).toContain(`dsa110_port_up{service="vite",port="`);
    expect(text).toMatch(/dsa110_port_up\{service="vite",port="\d+"\} 0\n/);
    expect(text).toContain('dsa110_port_check{service="redis",check="access",severity="error"} 1\n');
    expect(text).toContain('dsa110_port_check{service="api",check="systemd",severity="ok"} 1\n');
    expect(text).toContain('dsa110_port_health_results{severity="error"} 1\n');
    expect(text).toContain('dsa110_port_health_exit_code 1\n');
    expect(text).toMatch(/^dsa110_port_health_last_run_timestamp_seconds \d+(\.\d+)?$/m);
    expect(text).toMatch(/^dsa110_port_health_duration_seconds \d+(\.\d+)?$/m);
    for (const name of ['dsa110_port_up', 'dsa110_port_check', 'dsa110_port_health_last_run_timestamp_seconds', 'dsa110_port_health_duration_seconds']) {
      expect(text).toContain(`# HELP ${name} `);
      expect(text).toContain(`# TYPE ${name} gauge\n`);
    }
    expect(redis).toBeDefined();
  });

  // The title names the skip only when it is one (a test that ran said "skipped" in its name).
  it.skipIf(!promtool)(
    `passes \`promtool check metrics\`${promtool ? '' : ' [skipped: promtool is not installed; scripts/install-system-packages.sh installs it]'}`,
    async () => {
      const { root, registryPath } = await scenario({ broken: true });
      const text = renderPrometheus(await checkPorts({ registry: registryPath, root }));
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.stderr + check.stdout).toBe('');
      expect(check.status).toBe(0);
    },
  );

  it.skipIf(!promtool)('makes promtool fail on a broken exposition (the check can fail)', () => {
    const check = spawnSync('promtool', ['check', 'metrics'], { input: '# TYPE x gauge\nx{a="b} 1\n', encoding: 'utf8' });
    expect(check.status).not.toBe(0);
  });
});
