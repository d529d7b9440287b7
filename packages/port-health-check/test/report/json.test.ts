import { userInfo } from 'node:os';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { checkPorts } from '../../src/index.js';
import { JSON_SCHEMA_ID, renderJson } from '../../src/report/json.js';
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
      owners: [expect.objectContaining({ pid: api.pid, user: me, uid: process.getuid?.(), comm: 'node' })],
      ownersKnown: true,
      verdict: 'ok',
    });
    expect(document.checks).toContainEqual(expect.objectContaining({ check: 'access', severity: 'error', service: 'redis', port: redis!.port, file: null }));
    expect(new Date(document.generatedAt).getTime()).toBe(report.startedAt.getTime());
  });
});
