import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Registry, type RegistryData } from '@dsa110/ports';
import { snapshot } from '@dsa110/ports/system';
import { describe, expect, it } from 'vitest';
import { spawnListener } from '../../../test-support/index.js';
import { checkPorts } from '../src/index.js';
import { buildReport } from '../src/report.js';
import { renderJson } from '../src/report/json.js';
import { renderPrometheus } from '../src/report/prometheus.js';
import { renderText } from '../src/report/text.js';
import { quietPort, quietPorts, registryText, tempDir } from './helpers.js';

const input = { registry: 'ports.yaml', root: '/', strict: false, startedAt: new Date(0), durationMs: 1, services: [], results: [] };

describe('buildReport', () => {
  it("gives the machine's host name, read when first asked for, as a plain enumerable field (JSON, spread)", () => {
    const report = buildReport(input);
    expect(report.host).toBe(hostname());
    expect(report.host).toBe(report.host);
    expect(Object.keys(report)).toContain('host');
    expect(JSON.parse(JSON.stringify(report)).host).toBe(hostname());
    expect({ ...report }.host).toBe(hostname());
  });

  it('counts the results by severity and takes the exit code from them', () => {
    const report = buildReport({
      ...input,
      results: [
        { check: 'listening', severity: 'error', reason: 'down' },
        { check: 'owner', severity: 'warning', reason: 'odd' },
      ],
    });
    expect(report.counts).toMatchObject({ error: 1, warning: 1, ok: 0 });
    expect(report.status).toBe('error');
    expect(report.exitCode).toBe(1);
  });
});

describe('serviceRows', () => {
  it('gives a UDP service no listening state (only TCP listeners are read): never "not listening", never the TCP socket on its number', async () => {
    // A TCP listener on the very number the UDP service has: it must not pass for the service's socket.
    const taken = new Set((await snapshot()).listeners.map((listener) => listener.port));
    const tcp = await spawnListener({ host: '127.0.0.1', port: quietPort(taken) }); // stopped by the test helpers after the test
    const registryPath = join(tempDir(), 'ports.yaml');
    writeFileSync(registryPath, registryText([{ id: 'dns', port: tcp.port, transport: 'udp' }]));
    const report = await checkPorts({ registry: registryPath, root: tempDir(), firewall: false });
    expect(report.services).toEqual([expect.objectContaining({ id: 'dns', listening: undefined, addresses: [], owners: [], ownersKnown: false })]);
    expect(renderText(report)).toMatch(new RegExp(`^${tcp.port} +dns +unknown +- `, 'm'));
    expect(renderPrometheus(report)).not.toMatch(/^dsa110_port_up\{/m);
    expect(JSON.parse(renderJson(report)).services[0]).toMatchObject({ listening: null, ownersKnown: false });
  });
});

describe('renderPrometheus of a Registry made with new Registry() from ids never validated', () => {
  it('refuses two services written as one service label (one series, merged), naming both; ids that stay apart are written', async () => {
    const taken = new Set((await snapshot()).listeners.map((listener) => listener.port));
    const next = quietPorts(taken);
    const [first, second] = [next(), next()].sort((a, b) => a - b) as [number, number]; // the rows are by port: web\x01's first
    const registry = (ids: [string, string]) => {
      const data = JSON.parse(registryText(ids.map((id, index) => ({ id, port: index === 0 ? first : second })))) as { services: object[] };
      const services = data.services.map((service) => ({ ...service, transport: 'tcp', purpose: [], notes: [] }));
      const claim = { timeoutSeconds: 5, protect: { processes: [], unprotectBuiltin: [], pidsUpTo: 1000 } };
      return new Registry({ ...data, services, claim } as unknown as RegistryData, 'odd.yaml');
    };
    const odd = await checkPorts({ registry: registry(['web\x01', 'web\\x01']), root: tempDir(), firewall: false });
    expect(odd.services.map((row) => row.id)).toEqual(['web\x01', 'web\\x01']);
    expect(() => renderPrometheus(odd)).toThrow(
      /^services "web\\x01" and "web\\\\x01" would be one series in Prometheus: both are written as the label value service="web\\\\x01"; give each an id/,
    );
    const apart = await checkPorts({ registry: registry(['web', 'web-2']), root: tempDir(), firewall: false });
    expect(renderPrometheus(apart)).toContain(`dsa110_port_up{service="web-2",port="${second}"} 0`);
  });
});
