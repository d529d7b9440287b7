// The dependencies check on a claim-port several units run: real files in a
// temp --root tree (gather, then the pure check, then the Prometheus report).
// A broken claim-port stops every unit that calls it, so each of their services
// gets its own result: the alert rules page each at its own severity
// (critical for production, warning for the rest), under its own `service`.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkDependencies } from '../../src/checks/dependencies.js';
import { gather } from '../../src/gather.js';
import { checkPorts } from '../../src/index.js';
import { renderPrometheus } from '../../src/report/prometheus.js';
import { renderText } from '../../src/report/text.js';
import { EXECUTABLE, tempDir, testRegistry, writeTree, type ServiceSpec, type TreeEntry } from '../helpers.js';

const CLAIM = '/usr/local/bin/claim-port';
const promtool = spawnSync('promtool', ['--version']).status === 0;
// grafana first (the lowest port), a development service; redis and api production.
const SERVICES: ServiceSpec[] = [
  { id: 'grafana', port: 3030, group: 'development', robust: true, unit: 'grafana.service', claim: 'unit' },
  { id: 'redis', port: 6379, robust: true, unit: 'redis-server.service', claim: 'drop-in' },
  { id: 'api', port: 8000, robust: true, unit: 'api.service', claim: 'unit' },
];
const registry = testRegistry(SERVICES);
const GRAFANA = 'etc/systemd/system/grafana.service';
const REDIS_DROP_IN = 'etc/systemd/system/redis-server.service.d/claim-port.conf';
const API = 'etc/systemd/system/api.service';

/** A root whose three units run the same claim-port (`claimPort`); the api unit with `apiLines` too. */
function tree(claimPort: TreeEntry, extra: Record<string, TreeEntry> = {}, apiLines = ''): string {
  return writeTree(tempDir(), {
    'usr/local/bin/claim-port': claimPort,
    [GRAFANA]: `[Service]\nExecStartPre=+${CLAIM} 3030\nExecStart=/usr/bin/grafana-server\n`,
    'etc/systemd/system/redis-server.service': '[Service]\nExecStart=/usr/bin/redis-server\n',
    [REDIS_DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 6379\n`,
    [API]: `[Service]\n${apiLines}ExecStartPre=+${CLAIM} 8000\nExecStart=/usr/bin/node app.js\n`,
    ...extra,
  });
}

async function claimResults(root: string) {
  return checkDependencies(await gather({ registry, root, firewall: false })).filter((result) => result.service);
}

describe('dependencies: a claim-port that several units run', () => {
  it('not executable: an error for each service whose unit calls it, each naming its own line and the other callers', async () => {
    const root = tree({ text: EXECUTABLE.text, mode: 0o644 });
    const results = await claimResults(root);
    expect(results.map((result) => [result.severity, result.service, result.file])).toEqual([
      ['error', 'grafana', `/${GRAFANA}:2`],
      ['error', 'redis', `/${REDIS_DROP_IN}:2`],
      ['error', 'api', `/${API}:2`],
    ]);
    expect(results[1]!.reason).toBe(
      `claim-port ${CLAIM} (called by redis in /${REDIS_DROP_IN}:2; also by grafana, api) is not an executable file under ${root}; chmod +x it`,
    );
  });

  it('names a few of the other callers and how many more, so that n callers do not make n² names', async () => {
    const many: ServiceSpec[] = Array.from({ length: 40 }, (_, index) => ({
      id: `s${index}`,
      port: 20000 + index,
      robust: true,
      unit: `s${index}.service`,
      claim: 'unit',
    }));
    const units = Object.fromEntries(
      many.map((spec): [string, TreeEntry] => [`etc/systemd/system/${spec.unit}`, `[Service]\nExecStartPre=+${CLAIM} ${spec.port}\nExecStart=/usr/bin/true\n`]),
    );
    const root = writeTree(tempDir(), { 'usr/local/bin/claim-port': { text: EXECUTABLE.text, mode: 0o644 }, ...units });
    const results = checkDependencies(await gather({ registry: testRegistry(many), root, firewall: false })).filter((result) => result.service);
    expect(results).toHaveLength(40);
    expect(results[0]!.reason).toBe(
      `claim-port ${CLAIM} (called by s0 in /etc/systemd/system/s0.service:2; also by s1, s2, s3, s4, s5 and 34 more) is not an executable file under ${root}; chmod +x it`,
    );
  });

  it('its #! interpreter is judged in the PATH each unit gets: an error for the unit that cannot find it, ok for the one that can', async () => {
    const root = tree(
      { text: '#!/usr/bin/env node\n', mode: 0o755 },
      { 'usr/bin/env': EXECUTABLE, 'opt/node/bin/node': EXECUTABLE },
      'Environment=PATH=/opt/node/bin\n',
    );
    const results = await claimResults(root);
    expect(results.map((result) => [result.severity, result.service])).toEqual([
      ['error', 'grafana'],
      ['error', 'redis'],
      ['ok', 'api'],
    ]);
    expect(results[2]!.reason).toBe(
      `claim-port ${CLAIM} (called by api in /${API}:3; also by grafana, redis) exists and is executable, and its interpreter is found (node at /opt/node/bin/node)`,
    );
  });

  it.skipIf(!promtool)(
    `one dsa110_port_check series at severity="error" per service that calls it, and the exposition passes \`promtool check metrics\`${promtool ? '' : ' [skipped: promtool is not installed]'}`,
    async () => {
      const report = await checkPorts({ registry, root: tree({ text: EXECUTABLE.text, mode: 0o644 }), firewall: false });
      const text = renderPrometheus(report);
      const series = text.split('\n').filter((line) => line.startsWith('dsa110_port_check{') && line.includes('check="dependencies"'));
      expect(series).toEqual(
        expect.arrayContaining(['grafana', 'redis', 'api'].map((service) => `dsa110_port_check{service="${service}",check="dependencies",severity="error"} 1`)),
      );
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    },
  );

  it('one problem the same for each caller (no /usr/bin/env under --root) is one line of the text report, naming each at its line; each service keeps its result', async () => {
    const root = tree({ text: '#!/usr/bin/env node\n', mode: 0o755 });
    const report = await checkPorts({ registry, root, firewall: false });
    const mine = report.results.filter((result) => result.check === 'dependencies' && result.service !== undefined);
    expect(mine.map((result) => [result.severity, result.service])).toEqual([
      ['error', 'grafana'],
      ['error', 'redis'],
      ['error', 'api'],
    ]);
    const shared = `claim-port ${CLAIM} (called by grafana in /${GRAFANA}:2, redis in /${REDIS_DROP_IN}:2, api in /${API}:2) under ${root}: its interpreter /usr/bin/env (#!/usr/bin/env node) does not exist`;
    for (const result of mine) expect(result.sharedText).toMatch(new RegExp(`^${shared.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    // The JSON reasons, one per service, stay as they were: each its own line and the others.
    expect(mine[1]!.reason).toMatch(/^claim-port \S+ \(called by redis in \S+:2; also by grafana, api\) under /);
    for (const quiet of [false, true]) {
      const lines = renderText(report, { quiet })
        .split('\n')
        .filter((line) => line.includes('[dependencies] claim-port'));
      expect(lines, `quiet: ${quiet}`).toHaveLength(1);
      expect(lines[0]).toContain(shared);
    }
  });
});
