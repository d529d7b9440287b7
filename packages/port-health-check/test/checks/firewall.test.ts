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
import { registryText, tempDir, testRegistry, writeTree, type ServiceSpec } from '../helpers.js';

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

/** A ruleset captured from real nft, with the ports it names moved to the test's listeners' (`{ 6379: listener.port }`). */
function captured(name: string, ports: Record<number, number>): FirewallFacts {
  const move = (value: unknown, key?: string): unknown => {
    if (Array.isArray(value)) return value.map((item) => move(item));
    if (typeof value === 'number' && key !== 'handle' && key !== 'prio' && ports[value] !== undefined) return ports[value];
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, move(item, name)]));
  };
  return { ruleset: parseRuleset(JSON.stringify(move(JSON.parse(readFileSync(join(fixtures, name), 'utf8'))))) };
}

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
      `redis (${listener.port}): listens on 0.0.0.0:${listener.port} and the firewall lets outside connections in (IPv4 from any other host: no input chain filters it), but its access is localhost; load the registry's rules (ports firewall --format nft > dsa110-ports.nft && nft -f dsa110-ports.nft) or drop port ${listener.port} from outside in your own rules`,
    );
  });

  it("the fix reads the registry the check read (--registry, $DSA110_PORTS_FILE), a word the shell reads back, after the unit's port override", async () => {
    const listener = await spawnListener({ host: '0.0.0.0' });
    const named = "/srv/dsa110/it's my ports.yaml";
    const quoted = `'/srv/dsa110/it'\\''s my ports.yaml'`;
    const registry = testRegistry([{ id: 'redis', port: listener.port, ...robust('redis') }]);
    const facts = { ...(await gather({ registry, root: tempDir(), firewall: false, registryPath: named })), firewall: EMPTY };
    expect(check(facts, 'redis')[0]!.reason).toContain(
      `; load the registry's rules (ports --registry ${quoted} firewall --format nft > dsa110-ports.nft && nft -f dsa110-ports.nft) or drop port`,
    );
    // Moved by its unit's Environment=: the override first, as before.
    const root = writeTree(tempDir(), { 'etc/systemd/system/redis.service': `[Service]\nEnvironment=REDIS_PORT=${listener.port}\nExecStart=/usr/bin/true\n` });
    const moved = testRegistry([{ id: 'redis', port: listener.port + 1, env: 'REDIS_PORT', ...robust('redis') }]);
    const movedFacts = { ...(await gather({ registry: moved, root, firewall: false, registryPath: named })), firewall: EMPTY };
    expect(check(movedFacts, 'redis')[0]!.reason).toContain(
      `(REDIS_PORT=${listener.port} ports --registry ${quoted} firewall --format nft > dsa110-ports.nft && nft -f dsa110-ports.nft)`,
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
    expect(v4only!.reason).toContain('(IPv6 from any other host: accepted by the policy (accept) of inet host input)');
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

  it('a bogon filter that drops the documentation ranges (once the one source it asked about) hides no exposure: every other host gets in', async () => {
    const redis = await spawnListener({ host: '0.0.0.0' });
    const api = await spawnListener({ host: '0.0.0.0' });
    const services: ServiceSpec[] = [
      { id: 'redis', port: redis.port, ...robust('redis') },
      { id: 'api', port: api.port, ...robust('api'), access: 'private' },
    ];
    // bogons.nft: `ip saddr @bogons_v4 drop` (203.0.113.0/24 among them), policy accept.
    const facts = await factsWith(services, captured('bogons.json', { 8000: api.port }));
    const [localhost] = check(facts, 'redis');
    expect(localhost).toMatchObject({ severity: 'error' });
    expect(localhost!.reason).toContain(
      'the firewall lets outside connections in (IPv4 from 1.0.0.0-100.63.255.255, 100.128.0.0-126.255.255.255, 128.0.0.0-169.253.255.255 and 5 more ranges: accepted by the policy (accept) of inet edge input)',
    );
    // A private service too: the public addresses that are not bogons get in.
    const [internal] = check(facts, 'api');
    expect(internal).toMatchObject({ severity: 'error' });
    expect(internal!.reason).toContain('accepted by the policy (accept) of inet edge input), but its access is private');
  });

  it('`ip saddr != 10.0.0.0/8 drop`: the private network is let in, an exposure for a localhost service and none for a private one', async () => {
    const listener = await spawnListener({ host: '0.0.0.0' });
    const rules = captured('bogons.json', { 6379: listener.port });
    const [localhost] = check(await factsWith([{ id: 'redis', port: listener.port, ...robust('redis') }], rules), 'redis');
    expect(localhost).toMatchObject({ severity: 'error' });
    expect(localhost!.reason).toContain('(IPv4 from 10.0.0.0/8: accepted by the policy (accept) of inet edge input)');
    const [internal] = check(await factsWith([{ id: 'cache', port: listener.port, ...robust('cache'), access: 'private' }], rules), 'cache');
    expect(internal).toMatchObject({ severity: 'ok' });
    // Dropped by two rules, each for its sources.
    expect(internal!.reason).toMatch(
      /the firewall drops outside connections \(IPv4: rule inet edge input handle 5 \(100\.64\.0\.0\/10, .*\), rule inet edge input handle 7 \(1\.0\.0\.0-9\.255\.255\.255, .*\)\)$/,
    );
  });

  it('a rule it cannot evaluate makes the answer unknown for the sources it concerns, named; for sources the access allows it does not matter', async () => {
    const listener = await spawnListener({ host: '0.0.0.0' });
    // `tcp dport 9090 ip saddr 192.168.0.0/16 meta mark 0x1 accept`, then `tcp dport 9090 drop`.
    const rules = captured('bogons.json', { 9090: listener.port });
    const [localhost] = check(await factsWith([{ id: 'prometheus', port: listener.port, ...robust('prometheus') }], rules), 'prometheus');
    expect(localhost).toMatchObject({ severity: 'unknown' });
    expect(localhost!.reason).toContain(
      `cannot tell whether the firewall lets outside IPv4 connections in to 0.0.0.0:${listener.port}: rule inet edge input handle 9 uses a match on meta mark (for sources 192.168.0.0/16)`,
    );
    const [internal] = check(await factsWith([{ id: 'prometheus', port: listener.port, ...robust('prometheus'), access: 'private' }], rules), 'prometheus');
    expect(internal).toMatchObject({ severity: 'ok' });
  });

  it('route_localnet on and a DNAT to 127.0.0.1: a listener on 127.0.0.1 only is reachable from other hosts unless the input hook drops them', async () => {
    const open = await spawnListener({ host: '127.0.0.1' });
    const guarded = await spawnListener({ host: '127.0.0.1' });
    const services: ServiceSpec[] = [
      { id: 'redis', port: open.port, ...robust('redis') },
      { id: 'cache', port: guarded.port, ...robust('cache') },
    ];
    // localnet.nft: `tcp dport 16379 dnat to 127.0.0.1:6379`; for 6380 only, `iifname != "lo" ip daddr 127.0.0.0/8 drop`.
    const rules = captured('localnet.json', { 6379: open.port, 6380: guarded.port });
    const facts = { ...(await factsWith(services, rules)), routeLocalnet: { on: ['all'] } };
    const [exposed] = check(facts, 'redis');
    // The DNAT takes connections from any host on any interface, and the input hook lets them in: an error, naming the rule.
    expect(exposed).toMatchObject({ severity: 'error' });
    expect(exposed!.reason).toBe(
      `redis (${open.port}): listens on 127.0.0.1:${open.port} only, but net.ipv4.conf.all.route_localnet is 1: other hosts reach it through a DNAT rule, and the firewall lets them in (IPv4 from any other host to port 16379: rule ip nat prerouting handle 2 (DNAT to 127.0.0.1:${open.port}), accepted by the policy (accept) of inet filter input), and hosts on the link of any interface can send to it straight; remove that DNAT rule or limit it to the sources its access (localhost) allows, and set route_localnet to 0 or drop packets to 127.0.0.0/8 that do not come in on lo`,
    );
    const [dropped] = check(facts, 'cache');
    expect(dropped).toMatchObject({ severity: 'ok' });
    expect(dropped!.reason).toContain('but the firewall drops them (IPv4 to 127.0.0.1: rule inet filter input handle 2)');
    // On for one interface: named; without a DNAT to it, the link alone.
    const [eth0] = check({ ...facts, routeLocalnet: { on: ['eth0'] }, firewall: EMPTY }, 'redis');
    expect(eth0).toMatchObject({ severity: 'warning' });
    expect(eth0!.reason).toContain('but net.ipv4.conf.eth0.route_localnet is 1: hosts on the link of eth0 can send to it, and the firewall lets them in');
    // Off everywhere: loopback is loopback, whatever the firewall says.
    expect(check({ ...facts, routeLocalnet: { on: [] } }, 'redis')).toEqual([
      expect.objectContaining({
        severity: 'ok',
        reason: expect.stringContaining('bound to loopback only: not reachable from outside whatever the firewall says'),
      }),
    ]);
  });

  it('route_localnet unreadable, or on with the ruleset unreadable: unknown, never "not reachable"', async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const facts = await factsWith([{ id: 'redis', port: listener.port, ...robust('redis') }], {
      problem: 'permission denied: nft needs root with CAP_NET_ADMIN',
    });
    const [unread] = check({ ...facts, routeLocalnet: { problem: 'cannot list /proc/sys/net/ipv4/conf: EACCES' } }, 'redis');
    expect(unread).toMatchObject({ severity: 'unknown' });
    expect(unread!.reason).toContain('cannot tell whether route_localnet lets other hosts reach it (cannot list /proc/sys/net/ipv4/conf: EACCES)');
    const [noRules] = check({ ...facts, routeLocalnet: { on: ['eth0'] } }, 'redis');
    expect(noRules).toMatchObject({ severity: 'unknown' });
    expect(noRules!.reason).toContain(
      'net.ipv4.conf.eth0.route_localnet is 1: hosts on the link of eth0 reach it unless the firewall drops them, and cannot read the ruleset',
    );
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
