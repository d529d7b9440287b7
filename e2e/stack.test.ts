// Scenarios 1-4, 6 and 7 of the end-to-end suite, on one stack of real daemons
// configured from the test registry (ports.yaml shifted onto free high ports):
// nginx, Redis, uvicorn, Prometheus and node_exporter, all on loopback.
// Every scenario puts the stack back the way it found it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardPort } from '../test-support/guard.js';
import { runBin, show } from './support/bins.js';
import { descendants, leftovers, stopAllDaemons, type Daemon } from './support/daemons.js';
import { healthCheck, type HealthJson } from './support/health.js';
import { httpGet, isListening, pollUntil } from './support/net.js';
import { programs, skipReason, titled } from './support/requirements.js';
import { Stack } from './support/stack.js';
import type { SystemdTree } from './support/systemd.js';

const skip = skipReason(['nginx-light', 'redis-server', 'python3-uvicorn', 'prometheus', 'prometheus-node-exporter']);

describe.skipIf(skip !== undefined).sequential(titled('the pipeline stack on loopback', skip), () => {
  let stack: Stack;
  let tree: SystemdTree;
  /** port-health-check against the test registry and the generated systemd tree. */
  const health = (...args: string[]) => healthCheck(['--registry', stack.registryFile, '--root', tree.root, ...args], stack.env());

  beforeAll(async () => {
    stack = await Stack.create();
    tree = await stack.systemdTree();
    await Promise.all([stack.startRedis(), stack.startApi(), stack.startNginx(), stack.startNodeExporter(), stack.startPrometheus()]);
  });

  afterAll(async () => {
    await stack?.stopAll();
    await stopAllDaemons();
    if (!process.env.E2E_KEEP) stack?.ws.remove();
    expect(leftovers(), 'every daemon this file started is stopped').toEqual([]);
  });

  /** The service ids whose daemons the suite runs, with the process name each must show. */
  const OWNERS = { nginx: 'nginx', redis: 'redis-server', api: 'uvicorn', prometheus: 'prometheus' } as const;

  function row(report: HealthJson, id: string) {
    const found = report.services.find((service) => service.id === id);
    expect(found, `service ${id} in the report`).toBeDefined();
    return found!;
  }

  it('1. all up: port-health-check exits 0 and names the right owner for each port', async () => {
    // nginx really proxies /api/ to uvicorn on the API port.
    const proxied = await httpGet(`http://127.0.0.1:${stack.ports.nginx}/api/health`);
    expect(proxied.status).toBe(200);
    expect(JSON.parse(proxied.body)).toMatchObject({ status: 'ok', service: 'dsa110-api' });

    const run = await health();
    expect(run.result.code, run.text).toBe(0);
    expect(run.report.exitCode).toBe(0);
    expect(run.errors).toEqual([]);
    for (const [id, comm] of Object.entries(OWNERS)) {
      const service = row(run.report, id);
      expect(service.port).toBe(stack.registry.service(id).port);
      expect(service.listening, id).toBe(true);
      expect(
        service.owners.map((owner) => owner.comm),
        id,
      ).toContain(comm);
      // The very process the suite started (nginx: its master; its worker holds the socket too).
      expect(
        service.owners.map((owner) => owner.pid),
        id,
      ).toContain(stack.get(id).pid);
      const owner = run.report.checks.find((check) => check.check === 'owner' && check.service === id);
      expect(owner?.severity, id).toBe('ok');
      expect(owner?.reason, id).toContain(`${comm} (pid ${stack.get(id).pid}`);
    }
    // The text report's table names them too: `PORT  SERVICE  STATE  OWNER  VERDICT`.
    const text = await runBin('port-health-check', ['--registry', stack.registryFile, '--root', tree.root], { env: stack.env() });
    expect(text.code, show(text)).toBe(0);
    for (const [id, comm] of Object.entries(OWNERS)) {
      const line = text.stdout.split('\n').find((l) => l.startsWith(`${stack.registry.service(id).port} `) && l.includes(` ${id} `));
      expect(line, show(text)).toContain(`${comm}[${stack.get(id).pid}]`);
      expect(line, show(text)).toMatch(/ ok$/);
    }
  });

  it('2. Redis stopped: exit 1, and the reason names its port', async () => {
    const port = stack.ports.redis;
    try {
      await stack.stop('redis');
      expect(isListening(port)).toBe(false);
      const run = await health();
      expect(run.result.code, run.text).toBe(1);
      const redisErrors = run.errors.filter((error) => error.service === 'redis');
      expect(
        redisErrors.map((error) => error.check),
        run.text,
      ).toContain('listening');
      expect(redisErrors.find((error) => error.check === 'listening')!.reason).toContain(String(port));
      // Only Redis is wrong.
      expect(
        run.errors.filter((error) => error.service !== 'redis'),
        run.text,
      ).toEqual([]);
      expect(row(run.report, 'redis').listening).toBe(false);
    } finally {
      if (!stack.daemons.has('redis')) await stack.startRedis();
    }
    expect((await health()).result.code).toBe(0);
  });

  it('3. Redis started with --bind 0.0.0.0: exit 1 from the access check', async () => {
    try {
      await stack.stop('redis');
      const redis = await stack.startRedis('0.0.0.0');
      const run = await health();
      expect(run.result.code, run.text).toBe(1);
      expect(row(run.report, 'redis').addresses.join(' '), run.text).toContain('0.0.0.0');
      const access = run.errors.filter((error) => error.check === 'access');
      expect(
        access.map((error) => error.service),
        run.text,
      ).toEqual(['redis']);
      expect(access[0]!.reason).toContain('0.0.0.0');
      expect(access[0]!.reason).toContain(String(stack.ports.redis));
      // Nothing else is wrong: still the right owner, still listening. The firewall check may add its own
      // error for Redis, depending on this machine's nftables ruleset (none at all lets everything in).
      expect(
        run.errors.filter((error) => error.check !== 'access' && error.check !== 'firewall'),
        run.text,
      ).toEqual([]);
      for (const error of run.errors.filter((error) => error.check === 'firewall')) expect(error.service, run.text).toBe('redis');
      expect(row(run.report, 'redis').owners.map((owner) => owner.pid)).toContain(redis.pid);
    } finally {
      await stack.stop('redis');
      await stack.startRedis();
    }
    expect((await health()).result.code).toBe(0);
  });

  it('4. a python3 http.server squatting on the API port: reported by PID and command, freed by claim-port api, uvicorn back', async () => {
    const port = stack.ports.api;
    await stack.stop('api');
    const squatter: Daemon = await stack.startSquatter(port);
    try {
      const run = await health();
      expect(run.result.code, run.text).toBe(1);
      const conflict = run.errors.find((error) => error.check === 'owner' && error.service === 'api');
      expect(conflict, run.text).toBeDefined();
      expect(conflict!.reason).toContain(`pid ${squatter.pid}`);
      expect(conflict!.reason).toContain('http.server');
      expect(conflict!.processes.map((p) => p.pid)).toContain(squatter.pid);
      expect(conflict!.processes.find((p) => p.pid === squatter.pid)!.argv).toEqual([
        programs.python3,
        '-m',
        'http.server',
        String(port),
        '--bind',
        '127.0.0.1',
      ]);

      // Only processes this suite started may be on the port a claim is pointed at.
      guardPort(port);
      // A dry run names the squatter and signals nothing.
      const dry = await runBin('claim-port', ['api', '--dry-run', '--json', '--registry', stack.registryFile], { env: stack.env() });
      expect(dry.code, show(dry)).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({
        port,
        service: 'api',
        action: 'would-free',
        dryRun: true,
        holders: [{ pid: squatter.pid, signals: [], outcome: 'would-signal' }],
      });
      expect(squatter.running).toBe(true);
      expect((await httpGet(`http://127.0.0.1:${port}/`)).status).toBe(200);

      guardPort(port);
      const claim = await runBin('claim-port', ['api', '--json', '--registry', stack.registryFile], { env: stack.env() });
      expect(claim.code, show(claim)).toBe(0);
      expect(JSON.parse(claim.stdout)).toMatchObject({
        port,
        service: 'api',
        action: 'freed',
        holders: [{ pid: squatter.pid, signals: ['SIGTERM'], outcome: 'exited' }],
      });
      const exit = await Promise.race([squatter.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000))]);
      expect(exit, 'the squatter was stopped by claim-port').toEqual({ code: null, signal: 'SIGTERM' });
      expect(isListening(port)).toBe(false);
    } finally {
      await squatter.stop();
      if (!stack.daemons.has('api')) await stack.startApi();
    }
    const api = stack.get('api');
    const back = await health();
    expect(back.result.code, back.text).toBe(0);
    expect(row(back.report, 'api').owners.map((owner) => owner.pid)).toContain(api.pid);
    expect((await httpGet(`http://127.0.0.1:${stack.ports.nginx}/api/health`)).status).toBe(200);
  });

  it('claim-port frees a port held by a multi-process daemon: nginx master (root) and worker (nobody), then nginx starts again', async () => {
    const port = stack.ports.nginx;
    const nginx = stack.get('nginx');
    const workers = descendants(nginx.pid);
    expect(workers.length, 'nginx has a worker').toBeGreaterThanOrEqual(1);
    try {
      guardPort(port);
      const claim = await runBin('claim-port', [String(port), '--json', '--registry', stack.registryFile], { env: stack.env() });
      expect(claim.code, show(claim)).toBe(0);
      const result = JSON.parse(claim.stdout) as { action: string; service: string; holders: Array<{ pid: number; signals: string[]; outcome: string }> };
      expect(result).toMatchObject({ action: 'freed', service: 'nginx' });
      // Both hold the socket, both are found.
      expect(result.holders.map((holder) => holder.pid).sort()).toEqual([nginx.pid, ...workers].sort());
      // SIGTERM is nginx's fast shutdown: the master exits cleanly, and takes its worker
      // with it (which claim-port may then find gone before it signals it).
      expect(
        result.holders.find((holder) => holder.pid === nginx.pid),
        show(claim),
      ).toMatchObject({ signals: ['SIGTERM'], outcome: 'exited' });
      for (const worker of result.holders.filter((holder) => holder.pid !== nginx.pid)) {
        expect(['exited', 'gone'], show(claim)).toContain(worker.outcome);
      }
      expect(await nginx.exited).toEqual({ code: 0, signal: null });
      expect(isListening(port)).toBe(false);
    } finally {
      await stack.stop('nginx');
      await stack.startNginx();
    }
    const back = await health();
    expect(back.result.code, back.text).toBe(0);
  });

  /** Prometheus's answer to dsa110_port_up, as service -> value (and the port label each carries). */
  async function queryPortUp(): Promise<Map<string, { value: string; port: string }>> {
    const response = await httpGet(`http://127.0.0.1:${stack.ports.prometheus}/api/v1/query?query=dsa110_port_up`);
    const out = new Map<string, { value: string; port: string }>();
    if (response.status !== 200) return out;
    const body = JSON.parse(response.body) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    for (const sample of body.data.result) out.set(sample.metric.service!, { value: sample.value[1], port: sample.metric.port! });
    return out;
  }

  function expectedUp(down: readonly string[]): Map<string, { value: string; port: string }> {
    const running = new Set(Object.keys(OWNERS).filter((id) => !down.includes(id)));
    return new Map(stack.registry.services.map((service) => [service.id, { value: running.has(service.id) ? '1' : '0', port: String(service.port) }]));
  }

  it('6. --format prometheus into the textfile directory: node_exporter exposes it, Prometheus scrapes it, the query API answers per service', async () => {
    const output = `${stack.textfileDir}/ports.prom`;
    const write = async () => {
      const args = ['--registry', stack.registryFile, '--root', tree.root, '--format', 'prometheus', '--output', output, '--quiet'];
      return runBin('port-health-check', args, { env: stack.env() });
    };
    try {
      // One service down, so the values differ per service.
      await stack.stop('redis');
      const written = await write();
      expect(written.code, show(written)).toBe(1);
      const text = readFileSync(output, 'utf8');
      expect(text).toContain(`dsa110_port_up{service="redis",port="${stack.ports.redis}"} 0`);
      expect(text).toContain(`dsa110_port_up{service="api",port="${stack.ports.api}"} 1`);
      // promtool agrees it is valid exposition format.
      execFileSync(programs.promtool, ['check', 'metrics'], { input: text, stdio: ['pipe', 'pipe', 'pipe'] });

      const exposed = await httpGet(`http://127.0.0.1:${stack.ports.nodeExporter}/metrics`);
      expect(exposed.body).toMatch(new RegExp(`dsa110_port_up\\{port="${stack.ports.redis}",service="redis"\\} 0`));

      const want = expectedUp(['redis']);
      const seen = await pollUntil(queryPortUp, (got) => sameSamples(got, want), 20_000);
      expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(want));

      // Redis back: the next run's file is scraped and the query follows.
      await stack.startRedis();
      const again = await write();
      expect(again.code, show(again)).toBe(0);
      const wantAll = expectedUp([]);
      const seenAll = await pollUntil(queryPortUp, (got) => sameSamples(got, wantAll), 20_000);
      expect(Object.fromEntries(seenAll)).toEqual(Object.fromEntries(wantAll));
    } finally {
      if (!stack.daemons.has('redis')) await stack.startRedis();
    }
  });

  it("7. the health check's systemd check over a --root tree holding the generated drop-ins", async () => {
    const run = await health();
    expect(run.result.code, run.text).toBe(0);
    const robust = stack.registry.services.filter((service) => service.robust);
    expect(robust.map((service) => service.id).sort()).toEqual(['api', 'prometheus', 'redis']);
    for (const service of robust) {
      const systemd = run.report.checks.filter((check) => check.check === 'systemd' && check.service === service.id);
      expect(
        systemd.map((check) => check.severity),
        `${service.id}\n${run.text}`,
      ).toEqual(['ok']);
      expect(systemd[0]!.reason).toContain(`${stack.claimPort} ${service.port}`);
    }
    const dropIn = run.report.checks.find((check) => check.check === 'systemd' && check.service === 'redis')!;
    expect(dropIn.file).toContain('redis-server.service.d/claim-port.conf');
    const dependency = run.report.checks.find((check) => check.check === 'dependencies' && check.reason.includes(stack.claimPort));
    expect(dependency?.severity, run.text).toBe('ok');

    // The same tree without Redis's drop-in: the systemd check says so.
    const bare = await stack.systemdTree('root-without-redis-drop-in', '/bin/true');
    const { rmSync } = await import('node:fs');
    rmSync(`${bare.unitDir}/redis-server.service.d`, { recursive: true });
    const missing = await healthCheck(['--registry', stack.registryFile, '--root', bare.root], stack.env());
    expect(missing.result.code, missing.text).toBe(1);
    expect(
      missing.errors.map((error) => `${error.check}:${error.service}`),
      missing.text,
    ).toEqual(['systemd:redis']);
  });
});

function sameSamples(got: ReadonlyMap<string, { value: string; port: string }>, want: ReadonlyMap<string, { value: string; port: string }>): boolean {
  if (got.size !== want.size) return false;
  for (const [id, sample] of want) {
    const seen = got.get(id);
    if (!seen || seen.value !== sample.value || seen.port !== sample.port) return false;
  }
  return true;
}
