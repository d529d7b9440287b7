// checkPorts() end to end on a real tree, a real registry file and real listeners.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PortsError } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { checkPorts } from '../src/index.js';
import { tempDir } from './helpers.js';
import { scenario } from './scenario.js';

describe('checkPorts', () => {
  it('passes a healthy machine (exit code 0) with one row per service', async () => {
    const { root, registryPath, api } = await scenario();
    const report = await checkPorts({ registry: registryPath, root });
    expect(report.results.filter((r) => ['error', 'warning'].includes(r.severity))).toEqual([]);
    expect(report.exitCode).toBe(0);
    expect(report.services).toEqual([
      expect.objectContaining({ id: 'api', port: api.port, listening: true, addresses: [`127.0.0.1:${api.port}`], ownersKnown: true, verdict: 'ok' }),
    ]);
    const checks = new Set(report.results.filter((r) => r.service === 'api').map((r) => r.check));
    expect([...checks].sort()).toEqual(['access', 'dependencies', 'firewall', 'kernel', 'listening', 'owner', 'systemd']);
  });

  it('reports errors (exit code 1) and warnings only (exit code 2)', async () => {
    const broken = await scenario({ broken: true });
    const report = await checkPorts({ registry: broken.registryPath, root: broken.root });
    expect(report.exitCode).toBe(1);
    expect(report.results.filter((r) => r.severity === 'error').map((r) => `${r.check}:${r.service}`)).toEqual(['access:redis']);
    const warned = await scenario({ plus: false });
    const warning = await checkPorts({ registry: warned.registryPath, root: warned.root });
    expect(warning.results.filter((r) => r.severity === 'warning').map((r) => r.check)).toEqual(['systemd']);
    expect(warning.exitCode).toBe(2);
  });

  it('checks only the chosen services, without the host-wide checks', async () => {
    const { root, registryPath } = await scenario({ broken: true });
    const report = await checkPorts({ registry: registryPath, root, services: ['vite'] });
    expect(report.services.map((row) => row.id)).toEqual(['vite']);
    expect(report.results.some((r) => r.check === 'reserved' || r.check === 'unknown-listeners')).toBe(false);
    expect(report.exitCode).toBe(0);
    await expect(checkPorts({ registry: registryPath, root, services: ['vit'] })).rejects.toThrow(PortsError);
  });

  it('reports an invalid registry as errors with file:line:col, without running other checks', async () => {
    const path = join(tempDir(), 'ports.yaml');
    writeFileSync(path, 'version: 1\nservices:\n  - id: api\n    port: 99999\n');
    const report = await checkPorts({ registry: path });
    expect(report.exitCode).toBe(1);
    expect(report.services).toEqual([]);
    expect(report.results.every((r) => r.check === 'registry' && r.severity === 'error')).toBe(true);
    expect(report.results.map((r) => r.reason)).toContain(`${path}:4:11: services.api.port: must be between 1 and 65535`);
  });

  it('checks the bundled registry against this machine by default', async () => {
    const report = await checkPorts();
    expect(report.registry).toBe('ports.yaml (bundled)');
    expect(report.services.map((row) => row.id)).toContain('redis');
    expect(report.durationMs).toBeGreaterThan(0);
  });
});
