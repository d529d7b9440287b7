// `ports free` with a bad env override: refused as `ports get`, `snippet` and `firewall` refuse it (one line, exit 1,
// nothing on stdout), never skipped in silence while a port is handed out. In-process, on real registry files.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

/** A registry with `api` (CONTIMG_API_PORT) and a range `scratch` kept for nobody, in a new temp dir. */
function registry(): string {
  return writeTree(tempDir('dsa110-ports-free-override-'), {
    'ports.yaml': `version: 1
services:
  - id: api
    name: FastAPI
    group: production
    port: 8000
    protocol: HTTP
    access: private
    configuredBy: { env: CONTIMG_API_PORT }
    robust: false
    processes: [uvicorn]
reserved:
  - id: scratch
    name: Scratch range
    start: 29610
    end: 29619
    purpose: test range
`,
  });
}

describe('ports free: a bad env override', () => {
  it.each([
    ['not a port', 'junk'],
    ['a port past 65535', '70000'],
    ['a port inside a range not kept for the service', '29612'],
  ])('%s is refused, exit 1, with the line ports get prints, named for free', async (_, value) => {
    const dir = registry();
    const env = { CONTIMG_API_PORT: value };
    const free = await ports(['free', 'scratch', '--registry', join(dir, 'ports.yaml')], { cwd: dir, env });
    const get = await ports(['get', 'api', '--registry', join(dir, 'ports.yaml')], { cwd: dir, env });
    expect(get.code).toBe(1);
    expect(get.stderr).toMatch(/^ports get: CONTIMG_API_PORT=.* cannot be used for service "api": .*\n$/);
    expect([free.code, free.stdout, free.stderr]).toEqual([1, '', get.stderr.replace(/^ports get: /, 'ports free: ')]);
  });

  it('with --json, the error is the JSON object on stdout too', async () => {
    const dir = registry();
    const free = await ports(['free', 'scratch', '--json', '--registry', join(dir, 'ports.yaml')], { cwd: dir, env: { CONTIMG_API_PORT: 'junk' } });
    expect(free.code).toBe(1);
    expect(JSON.parse(free.stdout)).toEqual({
      tool: 'ports',
      error: { kind: 'error', message: expect.stringMatching(/^ports free: CONTIMG_API_PORT="junk" cannot be used for service "api": /) },
      exitCode: 1,
    });
  });

  it('the bundled registry: CONTIMG_API_PORT=junk ports free dashboard-fallback exits 1, as ports snippet and ports firewall do', async () => {
    const env = { CONTIMG_API_PORT: 'junk' };
    const free = await ports(['free', 'dashboard-fallback'], { env });
    const snippet = await ports(['snippet', 'nginx-site'], { env });
    const firewall = await ports(['firewall'], { env });
    expect([free.code, snippet.code, firewall.code]).toEqual([1, 1, 1]);
    expect(free.stdout).toBe('');
    expect(free.stderr.replace(/^ports free: /, '')).toBe(snippet.stderr.replace(/^ports snippet: /, ''));
    expect(free.stderr.replace(/^ports free: /, '')).toBe(firewall.stderr.replace(/^ports firewall: /, ''));
  });
});
