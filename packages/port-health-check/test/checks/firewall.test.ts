// The firewall check on real listeners this test spawns (on loopback, or on a
// wildcard address but only ever reached over loopback), with rulesets given
// as nft JSON: the evaluator's own tests use JSON captured from real nft; the
// exposure through a really loaded ruleset is e2e/firewall-health.test.ts.
// The ruleset reader runs real processes: nft as a user who may not read the
// ruleset, and stand-ins that hang or talk too much.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasCommand, spawnListener } from '../../../../test-support/index.js';
import { checkFirewall } from '../../src/checks/firewall.js';
import { findNft, NFT_TIMEOUT_MS, readRuleset, type FirewallFacts } from '../../src/firewall/read.js';
import { parseRuleset } from '../../src/firewall/ruleset.js';
import { gather } from '../../src/gather.js';
import { checkPorts } from '../../src/index.js';
import { renderPrometheus } from '../../src/report/prometheus.js';
import type { Facts } from '../../src/types.js';
import { registryText, tempDir, testRegistry, type ServiceSpec } from '../helpers.js';

const fixtures = join(import.meta.dirname, '../firewall/fixtures');

/** A ruleset of one inet table: policy accept, then these rules (nft JSON expressions) on the input hook. */
function ruleset(...rules: unknown[][]): FirewallFacts {
  const chain = { family: 'inet', table: 'host', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'accept' };
  const items = rules.map((expr, index) => ({ rule: { family: 'inet', table: 'host', chain: 'input', handle: 10 + index, expr } }));
  return { ruleset: parseRuleset(JSON.stringify({ nftables: [{ chain }, ...items] })) };
}
const dropPort = (port: number, family?: 'ip' | 'ip6') => [
  ...(family ? [{ match: { op: '==', left: { meta: { key: 'nfproto' } }, right: family === 'ip' ? 'ipv4' : 'ipv6' } }] : []),
  { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: port } },
  { drop: null },
];
/** A robust service needs its claim wired in a unit (the unit need not exist for this check). */
const robust = (id: string) => ({ robust: true, unit: `${id}.service`, claim: 'unit' as const });
const EMPTY: FirewallFacts = { ruleset: parseRuleset(readFileSync(join(fixtures, 'empty.json'), 'utf8')) };

async function factsWith(services: ServiceSpec[], firewall: FirewallFacts): Promise<Facts> {
  // The live ruleset is not read here (firewall: false): each test gives its own.
  return { ...(await gather({ registry: testRegistry(services), root: tempDir(), firewall: false })), firewall };
}

function check(facts: Facts, id: string) {
  return checkFirewall(facts, facts.registry.service(id));
}

describe('the firewall check', () => {
  it('a localhost-only robust service on 0.0.0.0 with nothing filtering: an error naming the service, the port, why and what to do', async () => {
    const listener = await spawnListener({ host: '0.0.0.0' });
    const facts = await factsWith([{ id: 'redis', port: listener.port, ...robust('redis') }], EMPTY);
    const [result] = check(facts, 'redis');
    expect(result).toMatchObject({ check: 'firewall', severity: 'error', service: 'redis', port: listener.port });
    expect(result!.reason).toBe(
      `redis (${listener.port}): listens on 0.0.0.0:${listener.port} and the firewall lets outside connections in (IPv4 from 203.0.113.7: no input chain filters it), but its access is localhost; load the registry's rules (ports firewall --format nft > dsa110-ports.nft && nft -f dsa110-ports.nft) or drop port ${listener.port} from outside in your own rules`,
    );
  });

  it('names the rule that accepts, and passes when a rule drops the port', async () => {
    const listener = await spawnListener({ host: '0.0.0.0' });
    const services: ServiceSpec[] = [{ id: 'api', port: listener.port, ...robust('api'), access: 'private' }];
    const accepting = ruleset([
      { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: { range: [1024, 65535] } } },
      { accept: null },
    ]);
    expect(check(await factsWith(services, accepting), 'api')[0]!.reason).toContain('accepted by rule inet host input handle 10');
    const [dropped] = check(await factsWith(services, ruleset(dropPort(listener.port + 1), dropPort(listener.port))), 'api');
    expect(dropped).toMatchObject({ severity: 'ok' });
    expect(dropped!.reason).toBe(
      `api (${listener.port}): listens on 0.0.0.0:${listener.port}; the firewall drops outside connections (IPv4: rule inet host input handle 11)`,
    );
  });

  it('a dual-stack [::] listener is asked about both families: a drop for IPv4 only leaves IPv6 exposed', async () => {
    const listener = await spawnListener({ host: '::' });
    const services: ServiceSpec[] = [{ id: 'redis', port: listener.port, ...robust('redis') }];
    const [v4only] = check(await factsWith(services, ruleset(dropPort(listener.port, 'ip'))), 'redis');
    expect(v4only).toMatchObject({ severity: 'error' });
    expect(v4only!.reason).toContain('(IPv6 from 2001:db8::7: accepted by the policy (accept) of inet host input)');
    expect(v4only!.reason).not.toContain('IPv4 from');
    expect(check(await factsWith(services, ruleset(dropPort(listener.port))), 'redis')[0]).toMatchObject({ severity: 'ok' });
  });

  it('loopback only: not exposed whatever the firewall says; public, non-robust and idle services are not its business', async () => {
    const loopback = await spawnListener({ host: '127.0.0.1' });
    const open = await spawnListener({ host: '0.0.0.0' });
    const dev = await spawnListener({ host: '0.0.0.0' });
    const facts = await factsWith(
      [
        { id: 'redis', port: loopback.port, ...robust('redis') },
        { id: 'nginx', port: open.port, ...robust('nginx'), access: 'public' },
        { id: 'vite', port: dev.port, robust: false, access: 'dev' },
        { id: 'idle', port: 1, ...robust('idle') },
      ],
      EMPTY,
    );
    expect(check(facts, 'redis')).toEqual([expect.objectContaining({ severity: 'ok', reason: expect.stringContaining('bound to loopback only') })]);
    expect(check(facts, 'nginx')).toEqual([]);
    expect(check(facts, 'vite')).toEqual([]);
    expect(check(facts, 'idle')).toEqual([]);
    // --no-firewall: nothing at all.
    const off = await gather({ registry: testRegistry([{ id: 'redis', port: open.port, ...robust('redis') }]), root: tempDir(), firewall: false });
    expect(check(off, 'redis')).toEqual([]);
  });

  it('cannot read the ruleset, or cannot evaluate a rule: unknown with the reason and the rule, never an error', async () => {
    const listener = await spawnListener({ host: '0.0.0.0' });
    const services: ServiceSpec[] = [{ id: 'redis', port: listener.port, ...robust('redis') }];
    const [unread] = check(await factsWith(services, { problem: 'permission denied (run as root)' }), 'redis');
    expect(unread).toMatchObject({ severity: 'unknown' });
    expect(unread!.reason).toMatch(/^redis \(\d+\): cannot read the ruleset \(permission denied \(run as root\)\)/);
    const xt: FirewallFacts = { ruleset: parseRuleset(readFileSync(join(fixtures, 'xt.json'), 'utf8')) };
    const [unsure] = check(await factsWith(services, xt), 'redis');
    expect(unsure).toMatchObject({ severity: 'unknown' });
    expect(unsure!.reason).toContain('rule ip filter INPUT handle 3 uses an iptables extension (xt conntrack)');
  });

  it('Prometheus: dsa110_port_firewall_exposed 1 for an exposure, 0 when dropped, no series when it cannot tell', async () => {
    const exposed = await spawnListener({ host: '0.0.0.0' });
    const guarded = await spawnListener({ host: '0.0.0.0' });
    const unsure = await spawnListener({ host: '0.0.0.0' });
    const registry = testRegistry([
      { id: 'redis', port: exposed.port, ...robust('redis') },
      { id: 'api', port: guarded.port, ...robust('api'), access: 'private' },
      { id: 'grafana', port: unsure.port, ...robust('grafana') },
    ]);
    const facts = {
      ...(await gather({ registry, root: tempDir(), firewall: false })),
      firewall: ruleset(dropPort(guarded.port), [
        { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: unsure.port } },
        { xt: { type: 'match', name: 'recent' } },
        { drop: null },
      ]),
    };
    const { runChecks } = await import('../../src/checks/index.js');
    const { buildReport, serviceRows } = await import('../../src/report.js');
    const results = runChecks(facts, { strict: false });
    const text = renderPrometheus(
      buildReport({ registry, root: '/', strict: false, startedAt: new Date(), durationMs: 1, services: serviceRows(facts, results), results }),
    );
    expect(text).toContain('# TYPE dsa110_port_firewall_exposed gauge\n');
    expect(text).toContain(`dsa110_port_firewall_exposed{service="redis",port="${exposed.port}"} 1\n`);
    expect(text).toContain(`dsa110_port_firewall_exposed{service="api",port="${guarded.port}"} 0\n`);
    expect(text).not.toContain('dsa110_port_firewall_exposed{service="grafana"');
    expect(text).toContain('dsa110_port_check{service="grafana",check="firewall",severity="unknown"} 1\n');
  });
});

describe('reading the ruleset', () => {
  const stand = (script: string) => {
    const path = join(tempDir(), 'nft');
    writeFileSync(path, `#!/bin/sh\n${script}\n`);
    chmodSync(path, 0o755);
    return path;
  };

  it('without nft, with an nft that fails, hangs or floods: a reason each, never an exception', async () => {
    expect(await readRuleset(undefined)).toEqual({ problem: 'nft is not installed' });
    expect(await readRuleset(stand('echo "Error: Could not process rule: Operation not permitted" >&2; exit 1'))).toEqual({
      problem: 'permission denied: nft needs root with CAP_NET_ADMIN',
    });
    expect(await readRuleset(stand('echo "netlink: Error: boom" >&2; exit 1'))).toEqual({ problem: 'netlink: Error: boom' });
    expect(await readRuleset(stand('echo "not json"'))).toEqual({ problem: expect.stringMatching(/^nft printed something else than its JSON/) });
    const started = Date.now();
    expect(await readRuleset(stand('exec sleep 30'))).toEqual({ problem: `nft -j list ruleset gave no answer within ${NFT_TIMEOUT_MS} ms` });
    expect(Date.now() - started).toBeLessThan(NFT_TIMEOUT_MS + 2000);
    expect(await readRuleset(stand('exec yes'))).toEqual({ problem: 'the ruleset is larger than 16 MiB' });
  });

  it('finds nft outside a short PATH (cron) and not where there is none', () => {
    expect(findNft('/nonexistent')).toEqual(hasCommand('nft', ['--version']) ? expect.stringMatching(/\/nft$/) : undefined);
  });

  const nft = findNft();
  const root = process.getuid?.() === 0;
  it.skipIf(!nft || !root || !hasCommand('setpriv', ['--version']))(
    `without CAP_NET_ADMIN the real health check says it cannot read the ruleset, and the exposure is unknown, not an error ${nft && root ? '' : '[skipped: needs root, nft and setpriv]'}`,
    async () => {
      const listener = await spawnListener({ host: '0.0.0.0' });
      const registryPath = join(tempDir(), 'ports.yaml');
      writeFileSync(registryPath, registryText([{ id: 'redis', port: listener.port, ...robust('redis'), processes: ['node'] }]));
      const bin = join(import.meta.dirname, '../../bin/port-health-check.js');
      const { spawnSync } = await import('node:child_process');
      // Root, but without the capability nft needs (as any other user is).
      const run = spawnSync('setpriv', ['--bounding-set=-net_admin', '--inh-caps=-net_admin', process.execPath, bin, '--registry', registryPath, '--json'], {
        encoding: 'utf8',
      });
      expect(run.stderr).toBe('');
      const report = JSON.parse(run.stdout) as { checks: { check: string; severity: string; reason: string }[] };
      expect(report.checks.filter((result) => result.check === 'firewall')).toEqual([
        expect.objectContaining({
          severity: 'unknown',
          reason: expect.stringContaining('cannot read the ruleset (permission denied: nft needs root with CAP_NET_ADMIN)'),
        }),
      ]);
      // With the capability the same run reads it (this machine's ruleset, whatever it holds).
      const asRoot = await checkPorts({ registry: registryPath });
      const firewall = asRoot.results.filter((result) => result.check === 'firewall');
      expect(firewall).toHaveLength(1);
      expect(firewall[0]!.reason).not.toContain('cannot read the ruleset');
    },
  );
});
