// The scenarios end to end through checkPorts(): a fixture tree and
// real listeners on loopback, each with the exit code an operator's cron job
// would see.
import { snapshot } from '@dsa110/ports/system';
import { describe, expect, it } from 'vitest';
import { spawnListener, type ListenerOptions } from '../../../test-support/index.js';
import { checkPorts } from '../src/index.js';
import { EXECUTABLE, quietPort, tempDir, testRegistry, writeTree, type ServiceSpec, type TreeEntry } from './helpers.js';

const CLAIM = '/usr/local/bin/claim-port';

interface Case {
  name: string;
  listen?: ListenerOptions;
  /** The service, given the listener's port (or a quiet port when nothing listens). */
  service: (port: number) => ServiceSpec;
  reserved?: (port: number) => object[];
  files?: (port: number) => Record<string, TreeEntry>;
  /** The results that are not ok or info, as `check:severity`. */
  problems: string[];
  exitCode: 0 | 1 | 2;
}

const unit = (port: number | string, prefix = '+') => ({
  'etc/systemd/system/app.service': `[Service]\nExecStartPre=${prefix}${CLAIM} ${port}\nExecStart=/usr/bin/node app.js\n`,
});

const cases: Case[] = [
  { name: 'healthy', listen: {}, service: (port) => ({ id: 'app', port }), problems: [], exitCode: 0 },
  { name: 'not listening (production)', service: (port) => ({ id: 'app', port }), problems: ['listening:error'], exitCode: 1 },
  { name: 'not listening (development)', service: (port) => ({ id: 'app', port, group: 'development', access: 'dev' }), problems: [], exitCode: 0 },
  { name: 'wrong owner', listen: { name: 'vite' }, service: (port) => ({ id: 'app', port, processes: ['grafana'] }), problems: ['owner:error'], exitCode: 1 },
  { name: 'localhost service on 0.0.0.0', listen: { host: '0.0.0.0' }, service: (port) => ({ id: 'app', port }), problems: ['access:error'], exitCode: 1 },
  { name: 'localhost service on dual-stack [::]', listen: { host: '::' }, service: (port) => ({ id: 'app', port }), problems: ['access:error'], exitCode: 1 },
  {
    name: 'private service on dual-stack [::]',
    listen: { host: '::' },
    service: (port) => ({ id: 'app', port, access: 'private' }),
    problems: [],
    exitCode: 0,
  },
  {
    name: 'dev server on 0.0.0.0',
    listen: { host: '0.0.0.0' },
    service: (port) => ({ id: 'app', port, group: 'development', access: 'dev' }),
    problems: ['access:warning'],
    exitCode: 2,
  },
  { name: 'forked holders', listen: { workers: 2 }, service: (port) => ({ id: 'app', port }), problems: [], exitCode: 0 },
  {
    name: 'reserved range in use by a stranger',
    listen: {},
    service: () => ({ id: 'app', port: 1999, group: 'development', access: 'dev', processes: ['python3'] }),
    reserved: (port) => [{ id: 'app-alt', name: 'alt', start: port, end: port + 2, purpose: 'fallback', for: ['app'] }],
    problems: ['reserved:warning'],
    exitCode: 2,
  },
  {
    name: 'robust, claimed by the unit',
    listen: {},
    service: (port) => ({ id: 'app', port, robust: true, unit: 'app.service', claim: 'unit' }),
    files: (port) => ({ ...unit(port), 'usr/local/bin/claim-port': EXECUTABLE }),
    problems: [],
    exitCode: 0,
  },
  {
    name: 'robust, claim without +',
    listen: {},
    service: (port) => ({ id: 'app', port, robust: true, unit: 'app.service', claim: 'unit' }),
    files: (port) => ({ ...unit(port, ''), 'usr/local/bin/claim-port': EXECUTABLE }),
    problems: ['systemd:warning'],
    exitCode: 2,
  },
  {
    name: 'robust, claim-port binary missing',
    listen: {},
    service: (port) => ({ id: 'app', port, robust: true, unit: 'app.service', claim: 'unit' }),
    files: (port) => unit(port),
    problems: ['dependencies:error'],
    exitCode: 1,
  },
  {
    name: 'robust, a drop-in clears the claim',
    listen: {},
    service: (port) => ({ id: 'app', port, robust: true, unit: 'app.service', claim: 'unit' }),
    files: (port) => ({ ...unit(port), 'usr/local/bin/claim-port': EXECUTABLE, 'etc/systemd/system/app.service.d/zz.conf': '[Service]\nExecStartPre=\n' }),
    problems: ['systemd:error'],
    exitCode: 1,
  },
  {
    name: 'robust, moved by Environment= and claimed on the new port',
    listen: {},
    service: () => ({ id: 'app', port: 1999, env: 'APP_PORT', robust: true, unit: 'app.service', claim: 'unit' }),
    files: (port) => ({
      'etc/systemd/system/app.service': `[Service]\nEnvironment=APP_PORT=${port}\nExecStartPre=+${CLAIM} \${APP_PORT}\nExecStart=/usr/bin/node app.js\n`,
      'usr/local/bin/claim-port': EXECUTABLE,
    }),
    problems: [],
    exitCode: 0,
  },
];

describe('scenarios: severities and exit codes', () => {
  it.each(cases)('$name: exit $exitCode', async (scenario) => {
    const taken = new Set((await snapshot()).listeners.map((listener) => listener.port));
    const listener = scenario.listen ? await spawnListener({ host: '127.0.0.1', port: quietPort(taken), ...scenario.listen }) : undefined;
    const port = listener?.port ?? quietPort(taken);
    const registry = testRegistry([scenario.service(port)], scenario.reserved?.(port) ?? []);
    const root = writeTree(tempDir(), scenario.files?.(port) ?? {});
    const report = await checkPorts({ registry, root });
    const problems = report.results.filter((result) => !['ok', 'info'].includes(result.severity)).map((result) => `${result.check}:${result.severity}`);
    expect(problems, report.results.map((result) => result.reason).join('\n')).toEqual(scenario.problems);
    expect(report.exitCode).toBe(scenario.exitCode);
  });
});
