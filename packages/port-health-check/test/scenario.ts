// A small real machine for the report and CLI tests: a root tree with a unit
// and an executable claim-port, a registry file, and real listeners.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshot } from '@dsa110/ports/system';
import { spawnListener, type SpawnedListener } from '../../../test-support/index.js';
import { EXECUTABLE, quietPorts, registryText, tempDir, writeTree, type ServiceSpec } from './helpers.js';

export interface Scenario {
  root: string;
  registryPath: string;
  api: SpawnedListener;
  redis?: SpawnedListener;
  vitePort: number;
}

/**
 * `api` (robust, claimed by its unit, listening on 127.0.0.1) always; with
 * `broken`, also `redis` (localhost-only, but on 0.0.0.0: an error) and `vite`
 * (dev, not listening: fine). `plus: false` drops the + from api's claim (a warning).
 */
export async function scenario(options: { broken?: boolean; plus?: boolean } = {}): Promise<Scenario> {
  const taken = new Set((await snapshot()).listeners.map((listener) => listener.port));
  const pick = quietPorts(taken);
  const api = await spawnListener({ host: '127.0.0.1', port: pick() });
  const redis = options.broken ? await spawnListener({ host: '0.0.0.0', port: pick() }) : undefined;
  const vitePort = pick();
  const root = writeTree(tempDir(), {
    'usr/local/bin/claim-port': EXECUTABLE,
    'etc/systemd/system/dsa110-api.service': `[Service]\nExecStartPre=${options.plus === false ? '' : '+'}/usr/local/bin/claim-port ${api.port}\nExecStart=/usr/bin/node api.js\n`,
  });
  const services: ServiceSpec[] = [
    { id: 'api', port: api.port, access: 'private', robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['node'] },
  ];
  if (redis) {
    services.push({ id: 'redis', port: redis.port, access: 'localhost', processes: ['node'] });
    services.push({ id: 'vite', port: vitePort, access: 'dev', group: 'development', processes: ['node'] });
  }
  const registryPath = join(tempDir(), 'ports.yaml');
  writeFileSync(registryPath, registryText(services));
  return { root, registryPath, api, ...(redis && { redis }), vitePort };
}
