import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../src/report.js';

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
