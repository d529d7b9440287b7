// The firewall from access levels. The plan is pure; the nft ruleset is proved
// on real kernels: loaded in a network namespace this test makes (and that
// dies with it), with a veth pair to a second namespace acting as an outside
// host that connects from a public and a private source address
// (test-support/firewall-netns.ts, shared with the health check's test).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRegistry, parseRegistry } from '@dsa110/ports';
import { firewallPlan, renderNft, renderUfw } from '@dsa110/ports/render';
import { hasCommand } from '../../../../test-support/commands.js';
import { canRunFirewallNetns, canRunUfwNetns, runFirewallNetns, runUfwNetns } from '../../../../test-support/firewall-netns.js';
import { minimalRegistry, repoRoot } from '../helpers.js';
import { tempDir } from '../../../../test-support/tree.js';

const root = process.getuid?.() === 0;
const nft = hasCommand('nft', ['--version']);
const ufw = hasCommand('ufw', ['--version']);
const canNamespace = root && nft && hasCommand('unshare', ['--version']);
const skipReason = (what: string) => `[skipped: ${what}]`;

function tempFile(name: string, text: string): string {
  const path = join(tempDir('dsa110-firewall-'), name);
  writeFileSync(path, text);
  return path;
}

/** A range reserved for a public and a localhost service, both inside it: the range is loopback only, the public port is not. */
const sharedPool = `version: 1
services:
  - { id: web, name: Web, group: production, port: 8005, protocol: HTTP, access: public, configuredBy: none, robust: false, processes: [nginx] }
  - { id: cache, name: Cache, group: production, port: 8006, protocol: TCP, access: localhost, configuredBy: none, robust: false, processes: [redis-server] }
reserved:
  - { id: pool, name: Pool, start: 8000, end: 8010, purpose: Shared pool, for: [web, cache] }
`;

/** Reserved ranges over SSH's port and node_exporter's, reserved for nobody (so loopback only). */
const wideRanges = `version: 1
services:
  - { id: web, name: Web, group: production, port: 8005, protocol: HTTP, access: public, configuredBy: none, robust: false, processes: [nginx] }
reserved:
  - { id: low, name: Low, start: 20, end: 30, purpose: Legacy }
  - { id: exporters, name: Exporters, start: 9100, end: 9200, purpose: Exporters }
`;

/** Two services whose access levels the ufw tests change between runs of the script. */
const twoServices = (api: string, redis: string) => `version: 1
services:
  - { id: api, name: API, group: production, port: 8000, protocol: HTTP, access: ${api}, configuredBy: { env: CONTIMG_API_PORT }, robust: false, processes: [uvicorn] }
  - { id: redis, name: Redis, group: production, port: 6379, protocol: TCP, access: ${redis}, configuredBy: { env: REDIS_PORT }, robust: false, processes: [redis-server] }
`;

describe('firewallPlan', () => {
  it('public from anywhere, private from private networks, localhost and dev from nowhere; reserved ranges as their services', () => {
    expect(firewallPlan(parseRegistry(minimalRegistry)).map((entry) => [entry.id, entry.start, entry.end, entry.transport, entry.sources])).toEqual([
      ['redis', 6379, 6379, 'tcp', 'none'],
      ['api', 8000, 8000, 'tcp', 'private'],
      // Reserved for nobody: both transports (a UDP service there is refused as a TCP one is).
      ['fallback', 3210, 3220, 'tcp', 'none'],
      ['fallback', 3210, 3220, 'udp', 'none'],
      ['api-alt', 8010, 8010, 'tcp', 'private'],
    ]);
  });

  it("a reserved range leaves SSH's port and node_exporter's to the host's rules (a range 1-1024 dropped 22: locked out)", () => {
    expect(firewallPlan(parseRegistry(wideRanges)).map((entry) => [entry.id, entry.start, entry.end, entry.sources])).toEqual([
      ['web', 8005, 8005, 'any'],
      ['low', 20, 21, 'none'],
      ['low', 20, 21, 'none'],
      ['low', 23, 30, 'none'],
      ['low', 23, 30, 'none'],
      ['exporters', 9101, 9200, 'none'],
      ['exporters', 9101, 9200, 'none'],
    ]);
  });

  it('a service inside a range reserved for it keeps its own access: its rules come before the range (the first match decides)', () => {
    const plan = firewallPlan(parseRegistry(sharedPool));
    expect(plan.map((entry) => [entry.id, entry.sources])).toEqual([
      ['web', 'any'],
      ['cache', 'none'],
      ['pool', 'none'],
    ]);
    const nft = renderNft(parseRegistry(sharedPool));
    expect(nft.indexOf('tcp dport 8005 accept')).toBeGreaterThan(0);
    expect(nft.indexOf('tcp dport 8005 accept')).toBeLessThan(nft.indexOf('tcp dport 8000-8010 drop'));
    const ufw = renderUfw(parseRegistry(sharedPool));
    expect(ufw.indexOf('ufw allow in proto tcp to any port 8005 ')).toBeGreaterThan(0);
    expect(ufw.indexOf('ufw allow in proto tcp to any port 8005 ')).toBeLessThan(ufw.indexOf('ufw deny in proto tcp to any port 8000:8010 '));
  });

  it('ufw: every allow of a port comes before its deny (ufw takes the first match)', async () => {
    const text = renderUfw(await loadRegistry({ path: join(repoRoot, 'ports.yaml') }));
    expect(text).toContain("ufw allow in proto tcp to any port 80 comment 'dsa110 nginx (public)'\n");
    expect(text).toContain("ufw allow in proto tcp from 192.168.0.0/16 to any port 8000 comment 'dsa110 api (private)'\n");
    expect(text).toContain('ufw deny in proto tcp to any port 3210:3220 ');
    const lines = text.split('\n');
    const deny8000 = lines.findIndex((line) => line.startsWith('ufw deny in proto tcp to any port 8000 '));
    expect(lines.findIndex((line) => line.includes('to any port 8000 ') && line.startsWith('ufw allow'))).toBeLessThan(deny8000);
    expect(text).not.toMatch(/port 80 .*deny|deny .*port 80 /);
  });
});

describe('firewallPlan with env overrides', () => {
  it("a service moved by its variable gets its access on the override's port too, said in the rules' comments", () => {
    const registry = parseRegistry(minimalRegistry);
    const env = { CONTIMG_API_PORT: '8500', REDIS_PORT: '6379' };
    expect(firewallPlan(registry, { env }).map((entry) => [entry.id, entry.start, entry.sources, entry.override])).toEqual([
      ['redis', 6379, 'none', undefined],
      ['api', 8000, 'private', undefined],
      ['api', 8500, 'private', { variable: 'CONTIMG_API_PORT', registryPort: 8000 }],
      ['fallback', 3210, 'none', undefined],
      ['fallback', 3210, 'none', undefined],
      ['api-alt', 8010, 'private', undefined],
    ]);
    expect(renderNft(registry, { env })).toContain(
      "\t\t# api (private): tcp 8500 (port from CONTIMG_API_PORT=8500; the registry's is 8000) from private networks\n\t\ttcp dport 8500 ip saddr @private_v4 accept\n",
    );
    expect(renderUfw(registry, { env })).toContain("ufw deny in proto tcp to any port 8500 comment 'dsa110 api (private)'\n");
    // Without an env, the registry's ports alone (a pure function of the registry).
    expect(firewallPlan(registry).some((entry) => entry.start === 8500)).toBe(false);
  });

  it('a bad override is refused as `ports get` refuses it, not left out', () => {
    expect(() => firewallPlan(parseRegistry(minimalRegistry), { env: { CONTIMG_API_PORT: '6379' } })).toThrow(
      /^CONTIMG_API_PORT="6379" cannot be used for service "api": port 6379 belongs to service "redis"/,
    );
  });
});

describe('the nft ruleset', () => {
  it.skipIf(!canNamespace)(`passes nft -c -f (in a namespace of its own) ${canNamespace ? '' : skipReason('needs root, nft, unshare')}`, async () => {
    for (const registry of [await loadRegistry({ path: join(repoRoot, 'ports.yaml') }), parseRegistry(minimalRegistry)]) {
      const check = spawnSync('unshare', ['--net', 'nft', '-c', '-f', tempFile('rules.nft', renderNft(registry))], { encoding: 'utf8' });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
    }
    const broken = spawnSync(
      'unshare',
      ['--net', 'nft', '-c', '-f', tempFile('rules.nft', renderNft(parseRegistry(minimalRegistry)).replace('drop', 'dorp'))],
      { encoding: 'utf8' },
    );
    expect(broken.status).not.toBe(0);
  });

  it.skipIf(!canRunFirewallNetns)(
    `from an outside host: 80 answers; 6379, 9090, 3030 and 8000 do not; 8000 answers a private address; all answer before it loads and over loopback ${canRunFirewallNetns ? '' : skipReason('needs root, nft, unshare, nsenter, ip, python3')}`,
    async () => {
      const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
      const port = (id: string) => registry.service(id).port;
      const ports = [port('nginx'), port('api'), port('redis'), port('prometheus'), port('grafana')];
      const { seen } = await runFirewallNetns({ rules: tempFile('rules.nft', renderNft(registry)), ports });
      for (const family of ['v4', 'v6']) {
        for (const p of ports) {
          expect(seen.get(`before ${family} public ${p}`), `before ${family} public ${p}`).toBe('open');
          expect(seen.get(`after ${family} loopback ${p}`), `after ${family} loopback ${p}`).toBe('open');
        }
        expect(seen.get(`after ${family} public ${port('nginx')}`)).toBe('open');
        for (const p of [port('redis'), port('prometheus'), port('grafana'), port('api')]) {
          expect(seen.get(`after ${family} public ${p}`), `after ${family} public ${p}`).toBe('closed');
        }
        expect(seen.get(`after ${family} private ${port('api')}`)).toBe('open');
        for (const p of [port('redis'), port('prometheus'), port('grafana')]) {
          expect(seen.get(`after ${family} private ${p}`), `after ${family} private ${p}`).toBe('closed');
        }
      }
    },
  );
});

describe('the nft ruleset with an env override', () => {
  it.skipIf(!canRunFirewallNetns)(
    `from an outside host: the API moved to 8500 by CONTIMG_API_PORT answers a private address only; 8000 stays closed ${canRunFirewallNetns ? '' : skipReason('needs root, nft, unshare, nsenter, ip, python3')}`,
    async () => {
      const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
      const rules = tempFile('rules.nft', renderNft(registry, { env: { CONTIMG_API_PORT: '8500' } }));
      const { seen } = await runFirewallNetns({ rules, ports: [8000, 8500] });
      for (const family of ['v4', 'v6']) {
        for (const p of [8000, 8500]) {
          expect(seen.get(`after ${family} public ${p}`), `after ${family} public ${p}`).toBe('closed');
          expect(seen.get(`after ${family} private ${p}`), `after ${family} private ${p}`).toBe('open');
        }
      }
    },
  );
});

describe('the nft ruleset of a range shared by a public and a localhost service', () => {
  it.skipIf(!canRunFirewallNetns)(
    `from an outside host: the public service inside the range answers; the localhost one and the rest of the range do not ${canRunFirewallNetns ? '' : skipReason('needs root, nft, unshare, nsenter, ip, python3')}`,
    async () => {
      const { seen } = await runFirewallNetns({ rules: tempFile('rules.nft', renderNft(parseRegistry(sharedPool))), ports: [8005, 8006, 8009] });
      for (const family of ['v4', 'v6']) {
        expect(seen.get(`after ${family} public 8005`), `after ${family} public 8005`).toBe('open');
        for (const p of [8006, 8009]) expect(seen.get(`after ${family} public ${p}`), `after ${family} public ${p}`).toBe('closed');
        for (const p of [8005, 8006, 8009]) expect(seen.get(`after ${family} loopback ${p}`), `after ${family} loopback ${p}`).toBe('open');
      }
    },
  );
});

describe('the nft ruleset of reserved ranges over SSH and node_exporter', () => {
  it.skipIf(!canRunFirewallNetns)(
    `from an outside host: 22 and 9100 still answer; the rest of the ranges do not ${canRunFirewallNetns ? '' : skipReason('needs root, nft, unshare, nsenter, ip, python3')}`,
    async () => {
      const { seen } = await runFirewallNetns({ rules: tempFile('rules.nft', renderNft(parseRegistry(wideRanges))), ports: [22, 25, 9100, 9150] });
      for (const family of ['v4', 'v6']) {
        for (const p of [22, 9100]) expect(seen.get(`after ${family} public ${p}`), `after ${family} public ${p}`).toBe('open');
        for (const p of [25, 9150]) expect(seen.get(`after ${family} public ${p}`), `after ${family} public ${p}`).toBe('closed');
      }
    },
  );
});

describe('the ufw commands', () => {
  it.skipIf(!root || !ufw)(`each passes ufw --dry-run ${root && ufw ? '' : skipReason('needs root and ufw')}`, () => {
    const commands = renderUfw(parseRegistry(minimalRegistry))
      .split('\n')
      .filter((line) => line.startsWith('ufw '));
    expect(commands.length).toBeGreaterThan(5);
    for (const command of [...commands, "ufw allow in proto tcp frm 10.0.0.0/8 to any port 8000 comment 'typo'"]) {
      const args = [...command.slice(4).matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2]!);
      // --dry-run changes nothing; the namespaces keep even a mistake away from the host.
      const run = spawnSync('unshare', ['--net', '--mount', 'ufw', '--dry-run', ...args], { encoding: 'utf8' });
      if (command.includes('typo')) expect(run.status, command).not.toBe(0);
      else expect(run.status, `${command}\n${run.stderr}`).toBe(0);
    }
  });
});

/** Each script's `=== PATH exit STATUS`, its output and `ufw show added` after it, from runUfwNetns's output. */
function ufwRuns(output: string): { status: number; output: string; added: string[] }[] {
  return output
    .split(/^=== \S+ exit /m)
    .slice(1)
    .map((run) => {
      const [head, added = ''] = run.split(/^=== added\n/m);
      const [status = '', ...rest] = head!.split('\n');
      return { status: Number(status), output: rest.join('\n'), added: added.split('\n').filter((line) => line.startsWith('ufw ')) };
    });
}

const ufwReason = canRunUfwNetns ? '' : skipReason('needs root, ufw, nft, unshare, nsenter, ip, python3');

describe('the ufw script, run by a real ufw in namespaces of its own', () => {
  const otherTool = "ufw allow from 203.0.113.0/24 to any port 5555 proto tcp comment 'other tool'";

  it.skipIf(!canRunUfwNetns)(
    `replaces an earlier run's rules: private then localhost closes Redis to 10/8, public then private closes the API to the world; another tool's rule stays; a second run changes nothing ${ufwReason}`,
    async () => {
      const first = tempFile('first.sh', renderUfw(parseRegistry(twoServices('public', 'private'))));
      const then = tempFile('then.sh', renderUfw(parseRegistry(twoServices('private', 'localhost'))));
      // The first script broken at its last command: it stops there and says so (the next run starts over).
      const broken = tempFile('broken.sh', readFileSync(first, 'utf8').replace(/proto tcp to any port 6379 (?=comment)/, 'proto tcpx to any port 6379 '));
      const { seen, output } = await runUfwNetns({
        scratch: tempDir('dsa110-ufw-'),
        ports: [8000, 6379, 5555],
        before: otherTool,
        scripts: [broken, first, then, then],
      });
      const runs = ufwRuns(output);
      expect(runs.map((run) => run.status)).toEqual([1, 0, 0, 0]);
      expect(runs[0]!.output).toMatch(/^ports firewall \(ufw\): stopped at a failed command \(exit 1\)/m);
      for (const family of ['v4', 'v6']) {
        expect(seen.get(`after ${family} public 8000`), `after ${family} public 8000`).toBe('closed');
        expect(seen.get(`after ${family} private 8000`), `after ${family} private 8000`).toBe('open');
        for (const kind of ['public', 'private']) expect(seen.get(`after ${family} ${kind} 6379`), `after ${family} ${kind} 6379`).toBe('closed');
      }
      expect(seen.get('after v4 public 5555')).toBe('open');
      expect(runs[3]!.added).toContain(otherTool);
      // Idempotent: the same rules, in the same order, after the second run of the same script.
      expect(runs[3]!.added).toEqual(runs[2]!.added);
      // Only the current run's rules are ours: IPv4's in order, then those for IPv6 alone (ufw lists its two files in turn).
      const allow = (network: string) => `ufw allow from ${network} to any port 8000 proto tcp comment 'dsa110 api (private)'`;
      expect(runs[2]!.added.filter((line) => line.includes('dsa110'))).toEqual([
        "ufw deny 6379/tcp comment 'dsa110 redis (localhost)'",
        ...['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(allow),
        "ufw deny 8000/tcp comment 'dsa110 api (private)'",
        ...['fc00::/7', 'fe80::/10'].map(allow),
      ]);
    },
  );

  it.skipIf(!canRunUfwNetns)(
    `private then public opens the API to the world and Redis to 10/8 (an earlier deny left ahead of the allows cut them off) ${ufwReason}`,
    async () => {
      const first = tempFile('first.sh', renderUfw(parseRegistry(twoServices('private', 'localhost'))));
      const then = tempFile('then.sh', renderUfw(parseRegistry(twoServices('public', 'private'))));
      const { seen, output } = await runUfwNetns({ scratch: tempDir('dsa110-ufw-'), ports: [8000, 6379], scripts: [first, then] });
      expect(ufwRuns(output).map((run) => run.status)).toEqual([0, 0]);
      for (const family of ['v4', 'v6']) {
        for (const kind of ['public', 'private']) expect(seen.get(`after ${family} ${kind} 8000`), `after ${family} ${kind} 8000`).toBe('open');
        expect(seen.get(`after ${family} public 6379`), `after ${family} public 6379`).toBe('closed');
        expect(seen.get(`after ${family} private 6379`), `after ${family} private 6379`).toBe('open');
      }
    },
  );
});
