// The fleet: two "hosts" (two stacks on two port ranges, each with its own
// Redis, node_exporter and textfile written by port-health-check), one
// Prometheus running what `ports monitoring` generates: its config (node
// targets as files under targets/node/, one per host, with an instance label)
// and the alert rules, with 1 s intervals and `for: 0s` for this test only.
// Redis stopped behind host-b: the query API shows dsa110_port_up 0 for
// host-b's Redis only, and Dsa110PortDown fires for host-b only.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_TARGETS_DIR, RULES_FILE, renderAlertRules, renderNodeTarget, renderPrometheusConfig } from '@dsa110/ports/render';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, show } from './support/bins.js';
import { leftovers, stopAllDaemons } from './support/daemons.js';
import { httpGet, pollUntil } from './support/net.js';
import { skipReason, titled } from './support/requirements.js';
import { Stack } from './support/stack.js';

const skip = skipReason(['redis-server', 'prometheus', 'prometheus-node-exporter']);

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

interface Alert {
  labels: Record<string, string>;
  state: string;
}

describe.skipIf(skip !== undefined).sequential(titled('the fleet: two hosts, one Prometheus with the generated rules', skip), () => {
  const hosts: Record<'host-a' | 'host-b', Stack> = {} as Record<'host-a' | 'host-b', Stack>;
  let prometheus: string;

  /** Each host's health check writes its textfile, as its timer does. */
  const writeTextfile = async (host: keyof typeof hosts) => {
    const stack = hosts[host];
    const args = [
      '--registry',
      stack.registryFile,
      '--service',
      'redis',
      '--format',
      'prometheus',
      '--output',
      join(stack.textfileDir, 'dsa110_ports.prom'),
      '--quiet',
    ];
    return runBin('port-health-check', args, { env: stack.env() });
  };

  async function query<T>(path: string): Promise<T | undefined> {
    const response = await httpGet(`${prometheus}${path}`);
    return response.status === 200 ? (JSON.parse(response.body) as { data: T }).data : undefined;
  }

  /** dsa110_port_up{service="redis"} by instance. */
  async function redisUp(): Promise<Record<string, string>> {
    const data = await query<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent('dsa110_port_up{service="redis"}')}`);
    return Object.fromEntries((data?.result ?? []).map((sample) => [sample.metric.instance!, sample.value[1]]));
  }

  async function firingRedisDown(): Promise<string[]> {
    const data = await query<{ alerts: Alert[] }>('/api/v1/alerts');
    return (data?.alerts ?? [])
      .filter((alert) => alert.state === 'firing' && alert.labels.alertname === 'Dsa110PortDown' && alert.labels.service === 'redis')
      .map((alert) => alert.labels.instance!)
      .sort();
  }

  beforeAll(async () => {
    hosts['host-a'] = await Stack.create();
    await Promise.all([hosts['host-a'].startRedis(), hosts['host-a'].startNodeExporter()]);
    hosts['host-b'] = await Stack.create();
    await Promise.all([hosts['host-b'].startRedis(), hosts['host-b'].startNodeExporter()]);

    // What `ports monitoring` writes, from host-a's registry, with test-only intervals.
    const a = hosts['host-a'];
    const dir = a.ws.mkdir('fleet-prometheus');
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, renderPrometheusConfig(a.registry, { scrapeInterval: '1s' }));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', RULES_FILE), renderAlertRules(a.registry, { for: '0s' }));
    mkdirSync(join(dir, NODE_TARGETS_DIR), { recursive: true });
    for (const [name, stack] of Object.entries(hosts)) {
      writeFileSync(join(dir, NODE_TARGETS_DIR, `${name}.yml`), renderNodeTarget('127.0.0.1', stack.ports.nodeExporter, { instance: name }));
    }
    await a.startPrometheus(config);
    prometheus = `http://127.0.0.1:${a.ports.prometheus}`;
  });

  afterAll(async () => {
    for (const stack of Object.values(hosts)) await stack?.stopAll();
    await stopAllDaemons();
    if (!process.env.E2E_KEEP) for (const stack of Object.values(hosts)) stack?.ws.remove();
    expect(leftovers(), 'every daemon this file started is stopped').toEqual([]);
  });

  it('Redis stopped behind host-b: dsa110_port_up is 0 for host-b only, and the port-down alert fires for host-b only', async () => {
    // Exit 1 here is the systemd check (the hosts' units are not installed on this machine): the textfile is written all the same.
    for (const host of ['host-a', 'host-b'] as const) {
      const written = await writeTextfile(host);
      expect([0, 1], show(written)).toContain(written.code);
      expect(readFileSync(join(hosts[host].textfileDir, 'dsa110_ports.prom'), 'utf8')).toContain(
        `dsa110_port_up{service="redis",port="${hosts[host].ports.redis}"} 1`,
      );
    }
    const bothUp = await pollUntil(redisUp, (got) => got['host-a'] === '1' && got['host-b'] === '1', 20_000);
    expect(bothUp).toEqual({ 'host-a': '1', 'host-b': '1' });
    expect(await firingRedisDown()).toEqual([]);

    await hosts['host-b'].stop('redis');
    const after = await writeTextfile('host-b');
    expect(after.code, show(after)).toBe(1);
    expect(readFileSync(join(hosts['host-b'].textfileDir, 'dsa110_ports.prom'), 'utf8')).toContain(
      `dsa110_port_up{service="redis",port="${hosts['host-b'].ports.redis}"} 0`,
    );
    const oneDown = await pollUntil(redisUp, (got) => got['host-b'] === '0', 20_000);
    expect(oneDown).toEqual({ 'host-a': '1', 'host-b': '0' });
    const firing = await pollUntil(firingRedisDown, (got) => got.length > 0, 20_000);
    expect(firing).toEqual(['host-b']);
    // Still only host-b a few evaluations later.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await firingRedisDown()).toEqual(['host-b']);
  });
});
