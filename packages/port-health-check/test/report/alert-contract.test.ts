// The contract with the alert rules `ports monitoring` generates, on real
// situations: the built port-health-check runs on --root trees against a
// registry of its own, its --format prometheus series (with the instance and
// job labels node_exporter's scrape adds, and Prometheus's `up`) go to
// `promtool test rules` with the rules generated from the same registry, and
// exactly the expected alerts fire. Every error the health check reports
// pages once: by the specific alert that covers it, or else by the catch-all
// Dsa110PortCheckError. And for a UDP service (whose sockets the health check
// does not read) no rule reads a series the health check does not write.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRegistry, type Registry } from '@dsa110/ports';
import { snapshot } from '@dsa110/ports/system';
import { alertRules, annotate, CHECK_ERROR_ALERT, NODE_JOB, renderAlertRules, toYaml, type AlertRule } from '@dsa110/ports/render';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnListener } from '../../../../test-support/index.js';
import { EXECUTABLE, quietPorts, registryText, tempDir, writeTree } from '../helpers.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(packageDir, 'bin/port-health-check.js');
const promtool = spawnSync('promtool', ['--version']).status === 0;
const HOST = 'host-a:9100';
const SITE = '/etc/nginx/sites-available/dsa110';

beforeAll(() => {
  if (!existsSync(join(packageDir, 'dist/cli.cjs'))) throw new Error('port-health-check is not built: run `npx -y pnpm@10.34.9 build` first');
});

/** The built bin, asynchronously (the test's listeners keep answering while it runs). */
function runBin(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

interface Series {
  name: string;
  labels: Record<string, string>;
  value: string;
}

/** The samples of a text exposition (the health check's labels hold no `"`, `,` or `}` here: ids and check names). */
function samples(text: string): Series[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1]!, pair[2]!]));
      return { name: match[1]!, labels, value: match[3]! };
    });
}

/** A promtool series selector: the sample's labels with the instance and job Prometheus's scrape of node_exporter adds. */
function selector(series: Series): string {
  const labels = { ...series.labels, instance: HOST, job: NODE_JOB };
  return `${series.name}{${Object.entries(labels)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(',')}}`;
}

/** The equality matchers on `service` and `check` of every selector of `metric` in a rule's expression. */
function selectorsIn(expr: string): { metric: string; service?: string; check?: string }[] {
  return [...expr.matchAll(/([a-zA-Z_:][\w:]*)\{([^}]*)\}/g)].map((match) => {
    const equal = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1]!, pair[2]!]));
    return { metric: match[1]!, ...(equal.service !== undefined && { service: equal.service }), ...(equal.check !== undefined && { check: equal.check }) };
  });
}

interface Expected {
  alert: string;
  /** The service the alert's rule is for (undefined: a host-wide rule). */
  service?: string;
  /** The alert's labels but instance and job. */
  labels: Record<string, string>;
}

/** The alert promtool should see: its labels, and its rule's annotations filled in as Prometheus renders them (none when there is no such rule). */
function expectedAlert(rules: readonly AlertRule[], expected: Expected) {
  const rule = rules.find((candidate) => candidate.alert === expected.alert && candidate.labels.service === expected.service);
  const labels = { ...expected.labels, instance: HOST, job: NODE_JOB };
  return {
    exp_labels: { alertname: expected.alert, ...labels },
    exp_annotations: Object.fromEntries(Object.entries(rule?.annotations ?? {}).map(([key, template]) => [key, annotate(template, labels)])),
  };
}

interface Staged {
  registry: Registry;
  /** port-health-check --format prometheus, as the built bin wrote it, and its exit status. */
  stdout: string;
  status: number | null;
  series: Series[];
}

let staged: Promise<Staged> | undefined;

/**
 * One host, staged once (its listeners go when the first test ends; the report stays): the API (robust, private)
 * healthy; nginx passing the API's /metrics to the world; web, robust, whose unit calls a claim-port that is not
 * installed, and board, robust and development-only, not running, whose unit calls the same one (each pages at its own
 * severity); cache, robust and localhost-only, listening on every address; relay, robust and UDP, healthy; docs,
 * robust and development-only, not running (no alert: the health check calls that fine).
 */
function stage(): Promise<Staged> {
  staged ??= (async () => {
    const taken = new Set((await snapshot()).listeners.map((listener) => listener.port));
    const pick = quietPorts(taken);
    const api = await spawnListener({ host: '127.0.0.1', port: pick() });
    const nginx = await spawnListener({ host: '127.0.0.1', port: pick() });
    const web = await spawnListener({ host: '127.0.0.1', port: pick() });
    // Localhost-only, but listening on every address: the access check's error, which Dsa110PortExposed covers.
    const cache = await spawnListener({ host: '0.0.0.0', port: pick() });
    const relayPort = pick();
    // Robust and development-only, not running: dsa110_port_up 0, and the health check calls that fine.
    const docsPort = pick();
    const boardPort = pick();
    const claim = (port: number | string, path = '/usr/local/bin/claim-port') => `[Service]\nExecStartPre=+${path} ${port}\nExecStart=/usr/bin/node app.js\n`;
    const root = writeTree(tempDir(), {
      'usr/local/bin/claim-port': EXECUTABLE,
      // What the stand-in's #! line runs, as on a real host.
      'bin/sh': EXECUTABLE,
      'etc/systemd/system/api.service': claim(api.port),
      'etc/systemd/system/cache.service': claim(cache.port),
      'etc/systemd/system/relay.service': claim(`${relayPort}/udp`),
      'etc/systemd/system/docs.service': claim(docsPort),
      // A robust service whose unit calls a claim-port that is not installed: the dependencies check's error.
      'etc/systemd/system/web.service': claim(web.port, '/opt/claim/bin/claim-port'),
      // Another, development-only, whose unit calls the same missing claim-port: its own error, at its own severity.
      'etc/systemd/system/board.service': claim(boardPort, '/opt/claim/bin/claim-port'),
      // nginx passing every path, /metrics too, to the API, for anyone (no allow/deny): the references check's error.
      [SITE.slice(1)]: `server {\n  listen ${nginx.port};\n  location / {\n    proxy_pass http://127.0.0.1:${api.port};\n  }\n}\n`,
    });
    const text = JSON.parse(
      registryText([
        { id: 'api', port: api.port, access: 'private', robust: true, unit: 'api.service', claim: 'unit' },
        { id: 'nginx', port: nginx.port, access: 'public' },
        { id: 'web', port: web.port, access: 'localhost', robust: true, unit: 'web.service', claim: 'unit' },
        { id: 'cache', port: cache.port, access: 'localhost', robust: true, unit: 'cache.service', claim: 'unit' },
        { id: 'relay', port: relayPort, access: 'private', robust: true, unit: 'relay.service', claim: 'unit', transport: 'udp' },
        { id: 'docs', port: docsPort, group: 'development', access: 'dev', robust: true, unit: 'docs.service', claim: 'unit' },
        { id: 'board', port: boardPort, group: 'development', access: 'dev', robust: true, unit: 'board.service', claim: 'unit' },
      ]),
    );
    // Scraped over HTTP: metrics belong to a service that answers it.
    Object.assign(text.services[0], { metrics: '/metrics', protocol: 'HTTP' });
    text.services[1].configs = [{ kind: 'nginx-site', upstream: 'api', path: SITE }];
    const registryPath = join(tempDir(), 'ports.yaml');
    writeFileSync(registryPath, JSON.stringify(text, null, 2));
    const run = await runBin(['--registry', registryPath, '--root', root, '--no-firewall', '--format', 'prometheus']);
    expect(run.stderr).toBe('');
    return { registry: parseRegistry(JSON.stringify(text), { source: registryPath }), stdout: run.stdout, status: run.status, series: samples(run.stdout) };
  })();
  return staged;
}

const skipped = promtool ? '' : ' [skipped: promtool is not installed; scripts/install-system-packages.sh installs it]';

describe('the alert rules `ports monitoring` generates, on what the built port-health-check writes', () => {
  it.skipIf(!promtool)(
    `page once for every error it reports: the specific alert that covers it, else the catch-all${skipped}`,
    async () => {
      const { registry, stdout, status, series } = await stage();
      expect(status, stdout).toBe(1);
      const errors = series
        .filter((sample) => sample.name === 'dsa110_port_check' && sample.labels.severity === 'error')
        .map((sample) => `${sample.labels.service}:${sample.labels.check}`);
      expect(errors.sort(), stdout).toEqual(['board:dependencies', 'cache:access', 'nginx:references', 'web:dependencies']);

      // Its series and Prometheus's `up` for the host, an hour of one-minute samples; alerts looked at once every `for:` has passed.
      const rules = alertRules(registry);
      const fire: Expected[] = [
        { alert: CHECK_ERROR_ALERT, service: 'nginx', labels: { service: 'nginx', check: 'references', severity: 'critical' } },
        { alert: CHECK_ERROR_ALERT, service: 'web', labels: { service: 'web', check: 'dependencies', severity: 'critical' } },
        // The same claim-port, under a development service: its own alert, a warning.
        { alert: CHECK_ERROR_ALERT, service: 'board', labels: { service: 'board', check: 'dependencies', severity: 'warning' } },
        // Covered by its specific alert: not paged again by the catch-all.
        { alert: 'Dsa110PortExposed', service: 'cache', labels: { service: 'cache', severity: 'critical' } },
      ];
      const alertNames = [...new Set([...rules.map((rule) => rule.alert), ...fire.map((expected) => expected.alert)])];
      const input = [...series, { name: 'up', labels: {}, value: '1' }].map((sample) => ({ series: selector(sample), values: `${sample.value}x60` }));
      const tests = {
        rule_files: ['rules.yml'],
        evaluation_interval: '1m',
        tests: [
          {
            name: 'what port-health-check wrote',
            interval: '1m',
            input_series: input,
            alert_rule_test: alertNames.map((alertname) => ({
              eval_time: '30m',
              alertname,
              exp_alerts: fire.filter((expected) => expected.alert === alertname).map((expected) => expectedAlert(rules, expected)),
            })),
          },
        ],
      };
      const dir = tempDir();
      writeFileSync(join(dir, 'rules.yml'), renderAlertRules(registry));
      writeFileSync(join(dir, 'tests.yml'), toYaml(tests, ['port-health-check --format prometheus, as Prometheus scraped it from node_exporter']));
      const result = spawnSync('promtool', ['test', 'rules', join(dir, 'tests.yml')], { encoding: 'utf8' });
      expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
      // The catch-all's annotations say what to run, and where.
      const nginx = expectedAlert(rules, fire[0]!).exp_annotations;
      expect(nginx.description).toContain('run port-health-check --service nginx on the host');
      expect(nginx.summary).toContain('references check');
    },
    60_000,
  );

  it('for a UDP service (its sockets are not read) read only series the health check writes for it', async () => {
    const { registry, stdout, series } = await stage();
    const relayRules = alertRules(registry).filter((rule) => rule.labels.service === 'relay');
    expect(relayRules.map((rule) => rule.alert)).toContain('Dsa110ClaimWiringMissing');
    for (const rule of relayRules) {
      for (const read of selectorsIn(rule.expr)) {
        const found = series.some(
          (sample) => sample.name === read.metric && sample.labels.service === read.service && (read.check === undefined || sample.labels.check === read.check),
        );
        expect(found, `${rule.alert} reads ${JSON.stringify(read)}, which port-health-check never writes for the UDP service relay:\n${stdout}`).toBe(true);
      }
    }
  });
});
