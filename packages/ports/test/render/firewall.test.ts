// The firewall from access levels. The plan is pure; the nft ruleset is proved
// on real kernels: loaded in a network namespace this test makes (and that
// dies with it), with a veth pair to a second namespace acting as an outside
// host that connects from a public and a private source address
// (test-support/firewall-netns.ts, shared with the health check's test).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRegistry, parseRegistry, Registry } from '@dsa110/ports';
import { firewallPlan, renderNft, renderUfw } from '@dsa110/ports/render';
import { hasCommand } from '../../../../test-support/commands.js';
import { canRunFirewallNetns, canRunUfwNetns, runFirewallNetns, runUfwNetns } from '../../../../test-support/firewall-netns.js';
import { parseRegistryText } from '../../src/parse.js';
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
      // Reserved for the TCP API alone: its UDP side, which no service may use, from this host only.
      ['api-alt', 8010, 8010, 'udp', 'none'],
    ]);
  });

  it('a range reserved for services of one transport filters the other too, from this host only (its UDP side was left open)', () => {
    const text = `version: 1
services:
  - { id: web, name: Web, group: production, port: 20000, protocol: HTTP, access: public, configuredBy: none, robust: false, processes: [web] }
  - { id: dns, name: DNS, group: production, port: 20100, protocol: UDP, transport: udp, access: private, configuredBy: none, robust: false, processes: [dnsmasq] }
reserved:
  - { id: web-alt, name: Web alternates, start: 20001, end: 20010, purpose: alternates, for: [web] }
  - { id: dns-alt, name: DNS alternates, start: 20101, end: 20110, purpose: alternates, for: [dns] }
  - { id: both, name: Both, start: 20201, end: 20210, purpose: alternates, for: [web, dns] }
`;
    const registry = parseRegistry(text);
    expect(firewallPlan(registry).map((entry) => [entry.id, entry.start, entry.transport, entry.sources])).toEqual([
      ['web', 20000, 'tcp', 'any'],
      ['dns', 20100, 'udp', 'private'],
      ['web-alt', 20001, 'tcp', 'any'],
      ['web-alt', 20001, 'udp', 'none'],
      ['dns-alt', 20101, 'tcp', 'none'],
      ['dns-alt', 20101, 'udp', 'private'],
      // Each transport at the access of the services that use it.
      ['both', 20201, 'tcp', 'any'],
      ['both', 20201, 'udp', 'private'],
    ]);
    const nft = renderNft(registry);
    expect(nft).toContain('\t\t# web-alt (reserved): udp 20001-20010 from this host only\n\t\tudp dport 20001-20010 drop\n');
    expect(nft).toContain('\t\t# dns-alt (reserved): tcp 20101-20110 from this host only\n\t\ttcp dport 20101-20110 drop\n');
    const ufw = renderUfw(registry);
    expect(ufw).toContain("ufw prepend deny 20001:20010/udp comment 'dsa110 web-alt (reserved)'\n");
    expect(ufw).toContain("ufw prepend deny 20101:20110/tcp comment 'dsa110 dns-alt (reserved)'\n");
    expect(ufw).toContain("ufw prepend allow 20201:20210/tcp comment 'dsa110 both (reserved)'\n");
    if (!canNamespace) return;
    const check = spawnSync('unshare', ['--net', 'nft', '-c', '-f', tempFile('rules.nft', nft)], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
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
      ['pool', 'none'],
    ]);
    const nft = renderNft(parseRegistry(sharedPool));
    expect(nft.indexOf('tcp dport 8005 accept')).toBeGreaterThan(0);
    expect(nft.indexOf('tcp dport 8005 accept')).toBeLessThan(nft.indexOf('tcp dport 8000-8010 drop'));
    // ufw: prepended last first, so the script prepends the range's deny before the service's allow.
    const ufw = renderUfw(parseRegistry(sharedPool));
    expect(ufw.indexOf('ufw prepend deny 8000:8010/tcp ')).toBeGreaterThan(0);
    expect(ufw.indexOf('ufw prepend deny 8000:8010/tcp ')).toBeLessThan(ufw.indexOf('ufw prepend allow 8005/tcp '));
  });

  it('ufw: prepended last first, so that every allow of a port ends up before its deny (ufw takes the first match)', async () => {
    const text = renderUfw(await loadRegistry({ path: join(repoRoot, 'ports.yaml') }));
    expect(text).toContain("ufw prepend allow 80/tcp comment 'dsa110 nginx (public)'\n");
    expect(text).toContain("ufw prepend allow from 192.168.0.0/16 to any port 8000 proto tcp comment 'dsa110 api (private)'\n");
    expect(text).toContain('ufw prepend deny 3210:3220/tcp ');
    const lines = text.split('\n').map((line) => line.trim());
    const deny8000 = lines.indexOf("ufw prepend deny 8000/tcp comment 'dsa110 api (private)'");
    expect(deny8000).toBeGreaterThan(0);
    for (const network of ['10.0.0.0/8', 'fc00::/7'])
      expect(lines.indexOf(`ufw prepend allow from ${network} to any port 8000 proto tcp comment 'dsa110 api (private)'`)).toBeGreaterThan(deny8000);
    expect(text).not.toMatch(/deny 80\//);
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
      ['api-alt', 8010, 'none', undefined],
    ]);
    expect(renderNft(registry, { env })).toContain(
      "\t\t# api (private): tcp 8500 (port from CONTIMG_API_PORT=8500; the registry's is 8000) from private networks\n\t\ttcp dport 8500 ip saddr @private_v4 accept\n",
    );
    expect(renderUfw(registry, { env })).toContain("ufw prepend deny 8500/tcp comment 'dsa110 api (private)'\n");
    // Without an env, the registry's ports alone (a pure function of the registry).
    expect(firewallPlan(registry).some((entry) => entry.start === 8500)).toBe(false);
  });

  it('a bad override is refused as `ports get` refuses it, not left out', () => {
    expect(() => firewallPlan(parseRegistry(minimalRegistry), { env: { CONTIMG_API_PORT: '6379' } })).toThrow(
      /^CONTIMG_API_PORT="6379" cannot be used for service "api": port 6379 belongs to service "redis"/,
    );
  });
});

/** A range reserved for nobody over 2000-2999, where this host's sshd listens on 2222, and a public service movable by WEB_PORT. */
const sshInRange = `version: 1
services:
  - { id: web, name: Web, group: production, port: 8005, protocol: HTTP, access: public, configuredBy: { env: WEB_PORT }, robust: false, processes: [nginx] }
  - { id: redis, name: Redis, group: production, port: 6379, protocol: TCP, access: localhost, configuredBy: { env: REDIS_PORT }, robust: false, processes: [redis-server] }
reserved:
  - { id: legacy, name: Legacy, start: 2000, end: 2999, purpose: Legacy }
`;

describe('the ports the rules never touch (SSH, node_exporter, keepOpen)', () => {
  it("an override onto 22 or 9100 is refused as resolvePort refuses it, naming the service, the variable and whose port it is, a public service's too (REDIS_PORT=22 dropped SSH)", () => {
    const registry = parseRegistry(minimalRegistry);
    expect(() => firewallPlan(registry, { env: { REDIS_PORT: '22' } })).toThrow(
      /^REDIS_PORT="22" cannot be used for service "redis": port 22 is where the host's own sshd listens, not a DSA-110 service's port: "redis" would collide with it; give another port the registry does not assign, or unset REDIS_PORT$/,
    );
    expect(() => renderNft(registry, { env: { CONTIMG_API_PORT: '22' } })).toThrow(
      /^CONTIMG_API_PORT="22" cannot be used for service "api": port 22 is where the host's own sshd listens/,
    );
    expect(() => renderUfw(registry, { env: { REDIS_PORT: '9100' } })).toThrow(
      /^REDIS_PORT="9100" cannot be used for service "redis": port 9100 is where the host's own node_exporter listens/,
    );
    // The id and variable of a Registry made by JavaScript are any text: escaped, never a second line.
    const parsed = parseRegistryText(minimalRegistry);
    if (!parsed.ok) throw new Error('the minimal registry does not parse');
    const services = parsed.data.services.map((service) =>
      service.id === 'redis' ? { ...service, id: 'red\nis', configuredBy: { env: 'R\u001bPORT' } } : service,
    );
    const odd = new Registry({ ...parsed.data, services }, 'x.yaml');
    expect(() => firewallPlan(odd, { env: { 'R\u001bPORT': '22' } })).toThrow(
      /^R\\ePORT="22" cannot be used for service "red\\nis": .*; give another port the registry does not assign, or unset R\\ePORT$/,
    );
    // A public service's rules would open the port to everyone, but the service would still collide with sshd: refused too.
    expect(() => firewallPlan(parseRegistry(sshInRange), { env: { WEB_PORT: '22' } })).toThrow(
      /^WEB_PORT="22" cannot be used for service "web": port 22 is where the host's own sshd/,
    );
  });

  it('keepOpen leaves more ports out of the reserved ranges (an sshd on 2222) and refuses an override onto them too', () => {
    const registry = parseRegistry(sshInRange);
    const runs = (options = {}) =>
      firewallPlan(registry, options)
        .filter((entry) => entry.id === 'legacy' && entry.transport === 'tcp')
        .map((entry) => [entry.start, entry.end]);
    expect(runs()).toEqual([[2000, 2999]]);
    expect(runs({ keepOpen: [2222] })).toEqual([
      [2000, 2221],
      [2223, 2999],
    ]);
    expect(runs({ keepOpen: [2999, 2000, 2500] })).toEqual([
      [2001, 2499],
      [2501, 2998],
    ]);
    expect(firewallPlan(registry, { env: { REDIS_PORT: '4444' } }).some((entry) => entry.start === 4444)).toBe(true);
    expect(() => firewallPlan(registry, { env: { REDIS_PORT: '4444' }, keepOpen: [2222, 4444] })).toThrow(
      /^REDIS_PORT=4444 moves service "redis" \(localhost\) onto port 4444, a port given to --keep-open, which the rules must leave open/,
    );
    expect(() => firewallPlan(registry, { keepOpen: [0] })).toThrow(
      new TypeError('firewallPlan: options.keepOpen must be an array of ports (integers 1-65535) or left out, not an array'),
    );
    expect(() => firewallPlan(registry, { keepOpen: '2222' as never })).toThrow(
      /^firewallPlan: options\.keepOpen must be an array of ports .*not the string "2222"$/,
    );
  });

  it('the nft and ufw headers say that forwarded packets (a container port Docker publishes) are not filtered', () => {
    expect(renderNft(parseRegistry(minimalRegistry))).toContain(
      '# Input path only: a forwarded packet (a container port Docker publishes by DNAT) is not filtered.\n',
    );
    expect(renderNft(parseRegistry(minimalRegistry))).toContain('\t\ttype filter hook input priority filter; policy accept;\n');
    expect(renderUfw(parseRegistry(minimalRegistry))).toContain(
      '# Incoming rules only: forwarded packets (a container port Docker publishes) are not filtered.\n',
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

describe('the nft ruleset with --keep-open', () => {
  it.skipIf(!canRunFirewallNetns)(
    `from an outside host: 2222, kept open, answers inside a range reserved for nobody; the rest of the range does not ${canRunFirewallNetns ? '' : skipReason('needs root, nft, unshare, nsenter, ip, python3')}`,
    async () => {
      const rules = tempFile('rules.nft', renderNft(parseRegistry(sshInRange), { keepOpen: [2222] }));
      const { seen } = await runFirewallNetns({ rules, ports: [2222, 2500] });
      for (const family of ['v4', 'v6']) {
        expect(seen.get(`after ${family} public 2222`), `after ${family} public 2222`).toBe('open');
        expect(seen.get(`after ${family} public 2500`), `after ${family} public 2500`).toBe('closed');
      }
    },
  );
});

describe('the ufw commands', () => {
  it.skipIf(!root || !ufw)(`each passes ufw --dry-run ${root && ufw ? '' : skipReason('needs root and ufw')}`, () => {
    const commands = renderUfw(parseRegistry(minimalRegistry))
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('ufw prepend '));
    expect(commands.length).toBeGreaterThan(5);
    for (const command of [...commands, "ufw prepend allow from 10.0.0.0/8 to any prt 8000 proto tcp comment 'typo'"]) {
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

/**
 * The real-ufw tests' limit: each ufw command is a Python start (about 0.3 s, a second or more on a loaded machine) and a
 * test runs scripts of 20 to 40 of them; the longest took 28.7 s of the suite's default 30 s at a load average of 3.7.
 */
const REAL_UFW = { timeout: 180_000 };

describe('the ufw script, run by a real ufw in namespaces of its own', REAL_UFW, () => {
  const otherTool = "ufw allow from 203.0.113.0/24 to any port 5555 proto tcp comment 'other tool'";

  it.skipIf(!canRunUfwNetns)(
    `replaces an earlier run's rules: private then localhost closes Redis to 10/8, public then private closes the API to the world; another tool's rule stays; a second run changes nothing ${ufwReason}`,
    async () => {
      const first = tempFile('first.sh', renderUfw(parseRegistry(twoServices('public', 'private'))));
      const then = tempFile('then.sh', renderUfw(parseRegistry(twoServices('private', 'localhost'))));
      // The first script broken half-way: it stops there and says so (the next run starts over).
      const firstText = readFileSync(first, 'utf8');
      expect(firstText).toContain('ufw prepend deny 6379/tcp ');
      const broken = tempFile('broken.sh', firstText.replace('ufw prepend deny 6379/tcp ', 'ufw prepend deny 6379/tcpx '));
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
      // Ours come first (prepended), in the plan's order; the other tool's, added before them, after.
      expect(runs[3]!.added.indexOf(otherTool)).toBe(5);
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
    `a public service whose port a reserved entry of that port alone (for it and a localhost one) denies stays open, as with nft: ufw keeps one rule per spec, and kept the range's deny ${ufwReason}`,
    async () => {
      const shared = [
        'version: 1',
        'services:',
        '  - { id: web, name: Web, group: production, port: 8080, protocol: HTTP, access: public, configuredBy: none, robust: false, processes: [nginx] }',
        '  - { id: api, name: API, group: production, port: 8000, protocol: HTTP, access: localhost, configuredBy: { env: CONTIMG_API_PORT }, robust: false, processes: [uvicorn] }',
        'reserved:',
        '  - { id: shared, name: shared, port: 8080, purpose: either may use it, for: [web, api] }',
        '',
      ].join('\n');
      const text = renderUfw(parseRegistry(shared));
      // Each spec once: the service's allow, never the range's deny of the same spec after it.
      expect(text).toContain("ufw prepend allow 8080/tcp comment 'dsa110 web (public)'\n");
      expect(text).not.toContain("ufw prepend deny 8080/tcp comment 'dsa110 shared (reserved)'");
      const { seen, output } = await runUfwNetns({ scratch: tempDir('dsa110-ufw-'), ports: [8080, 8000], scripts: [tempFile('shared.sh', text)] });
      const [run] = ufwRuns(output);
      expect(run!.status, output).toBe(0);
      expect(run!.output).not.toContain('Skipping');
      expect(run!.added).toContain("ufw allow 8080/tcp comment 'dsa110 web (public)'");
      for (const family of ['v4', 'v6']) {
        expect(seen.get(`after ${family} public 8080`), `after ${family} public 8080`).toBe('open');
        expect(seen.get(`after ${family} public 8000`), `after ${family} public 8000`).toBe('closed');
      }
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

describe('the ufw script and the rules it did not add, run by a real ufw in namespaces of its own', REAL_UFW, () => {
  const ssh = "ufw allow 22/tcp comment 'ssh'";
  const web = "ufw allow 80/tcp comment 'operator web'";
  /** twoServices with a public service on PORT. */
  const webOn = (port: number) =>
    `${twoServices('private', 'localhost')}  - { id: web, name: Web, group: production, port: ${port}, protocol: HTTP, access: public, configuredBy: none, robust: false, processes: [nginx] }\n`;

  it.skipIf(!canRunUfwNetns)(
    `a rule of the operator's with the spec of one it adds (SSH's 22/tcp, 80/tcp) stops it, changing nothing; it never takes that rule over, so a later run keeps it ${ufwReason}`,
    async () => {
      const on22 = tempFile('on22.sh', renderUfw(parseRegistry(webOn(22))));
      const on80 = tempFile('on80.sh', renderUfw(parseRegistry(webOn(80))));
      const plain = tempFile('plain.sh', renderUfw(parseRegistry(twoServices('private', 'localhost'))));
      const { seen, output } = await runUfwNetns({
        scratch: tempDir('dsa110-ufw-'),
        ports: [22, 80, 8000],
        before: `${ssh} && ${web}`,
        scripts: [on22, on80, plain, on22],
      });
      const runs = ufwRuns(output);
      expect(runs.map((run) => run.status)).toEqual([1, 1, 0, 1]);
      for (const [run, spec] of [
        [runs[0]!, '22/tcp'],
        [runs[1]!, '80/tcp'],
        [runs[3]!, '22/tcp'],
      ] as const) {
        // One line, naming the rule and what to do; no "stopped at a failed command" after it.
        expect(run.output).toBe(
          `ports firewall (ufw): ufw already has a rule "${spec}" that this script did not add (ufw status numbered lists it), and ufw keeps one rule per port and source: nothing was changed; delete that rule or move the service off the port, then run this again\n`,
        );
      }
      // Nothing changed by the refused runs; the operator's rules untouched by the others.
      expect(runs[0]!.added).toEqual([ssh, web]);
      expect(runs[1]!.added).toEqual([ssh, web]);
      expect(runs[2]!.added.filter((line) => !line.includes('dsa110'))).toEqual([ssh, web]);
      expect(runs[3]!.added).toEqual(runs[2]!.added);
      for (const family of ['v4', 'v6']) {
        for (const p of [22, 80]) expect(seen.get(`after ${family} public ${p}`), `after ${family} public ${p}`).toBe('open');
        expect(seen.get(`after ${family} public 8000`), `after ${family} public 8000`).toBe('closed');
      }
    },
    120_000,
  );

  it.skipIf(!canRunUfwNetns)(
    `its rules come before the operator's: an earlier allow from 10.0.0.0/8 no longer lets the LAN reach localhost Redis (as with nft), and still opens other ports to it ${ufwReason}`,
    async () => {
      const lan = "ufw allow from 10.0.0.0/8 comment 'operator lan'";
      const script = tempFile('rules.sh', renderUfw(parseRegistry(twoServices('private', 'localhost'))));
      const { seen, output } = await runUfwNetns({ scratch: tempDir('dsa110-ufw-'), ports: [6379, 8000, 5555], before: lan, scripts: [script, script] });
      const runs = ufwRuns(output);
      expect(runs.map((run) => run.status)).toEqual([0, 0]);
      expect(seen.get('after v4 private 6379')).toBe('closed');
      expect(seen.get('after v4 private 8000')).toBe('open');
      expect(seen.get('after v4 public 8000')).toBe('closed');
      expect(seen.get('after v4 private 5555')).toBe('open');
      expect(runs[1]!.added).toEqual(runs[0]!.added);
      // Ours first (IPv4's, in the plan's order), then the operator's, then ours for IPv6 alone (ufw lists its two files in turn).
      expect(runs[1]!.added.indexOf(lan)).toBe(5);
    },
    120_000,
  );

  it.skipIf(!canRunUfwNetns)(
    `with IPv6 off in ufw (IPV6=no) it skips the IPv6 allows, says so, and adds every other rule; a rerun does the same ${ufwReason}`,
    async () => {
      const script = tempFile('rules.sh', renderUfw(parseRegistry(twoServices('private', 'localhost'))));
      // ufw's defaults file is a copy bind-mounted in the run's own mount namespace: rewritten in place, then reloaded.
      const ipv4Only = `c=$(sed 's/^IPV6=.*/IPV6=no/' /etc/default/ufw) && printf '%s\\n' "$c" >/etc/default/ufw && grep -qx IPV6=no /etc/default/ufw && ufw reload`;
      const { seen, output } = await runUfwNetns({ scratch: tempDir('dsa110-ufw-'), ports: [6379, 8000], before: ipv4Only, scripts: [script, script] });
      const runs = ufwRuns(output);
      expect(runs.map((run) => run.status)).toEqual([0, 0]);
      for (const run of runs) {
        expect(run.output).toContain(
          'ports firewall (ufw): IPv6 is off in ufw (IPV6=no in /etc/default/ufw), so the 2 allows from fc00::/7 and fe80::/10 are skipped: private services answer private IPv4 networks only\n',
        );
        expect(run.output).not.toMatch(/ERROR|stopped/);
        expect(run.added.filter((line) => line.includes('dsa110'))).toEqual([
          "ufw deny 6379/tcp comment 'dsa110 redis (localhost)'",
          ...['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(
            (network) => `ufw allow from ${network} to any port 8000 proto tcp comment 'dsa110 api (private)'`,
          ),
          "ufw deny 8000/tcp comment 'dsa110 api (private)'",
        ]);
      }
      expect(seen.get('after v4 private 8000')).toBe('open');
      expect(seen.get('after v4 public 8000')).toBe('closed');
      expect(seen.get('after v4 private 6379')).toBe('closed');
    },
    120_000,
  );
});

describe('the ufw script and the kept ports, run by a real ufw in namespaces of its own', REAL_UFW, () => {
  it.skipIf(!canRunUfwNetns)(
    `never deletes an allow with its comment on 22 or 9100 that the plan does not have (the old script's plain \`ufw allow\` rewrote the operator's SSH rule as its own): left, said on stderr ${ufwReason}`,
    async () => {
      // ufw answers "Rule updated": the operator's 22/tcp now carries the comment, as after the old script.
      const takenOver = "ufw allow 22/tcp && ufw allow 22/tcp comment 'dsa110 web (public)' && ufw allow 9100/tcp comment 'dsa110 exporter (public)'";
      const script = tempFile('rules.sh', renderUfw(parseRegistry(twoServices('private', 'localhost'))));
      const { seen, output } = await runUfwNetns({ scratch: tempDir('dsa110-ufw-'), ports: [22, 9100], before: takenOver, scripts: [script, script] });
      const runs = ufwRuns(output);
      expect(runs.map((run) => run.status)).toEqual([0, 0]);
      for (const run of runs) {
        for (const [spec, port, comment] of [
          ['22/tcp', 22, 'dsa110 web (public)'],
          ['9100/tcp', 9100, 'dsa110 exporter (public)'],
        ])
          expect(run.output).toContain(
            `ports firewall (ufw): left alone: ufw rule 'allow ${spec}' (comment '${comment}') is likely from an earlier run of ports firewall, and the registry no longer asks for it, but port ${port} is one this script never filters, and it never deletes an allow there (an older version put its comment on operators' own rules, and deleting their SSH allow locked them out); if you do not need it: ufw delete allow ${spec}\n`,
          );
        expect(run.added).toContain("ufw allow 22/tcp comment 'dsa110 web (public)'");
        expect(run.added).toContain("ufw allow 9100/tcp comment 'dsa110 exporter (public)'");
      }
      for (const family of ['v4', 'v6'])
        for (const p of [22, 9100]) expect(seen.get(`after ${family} public ${p}`), `after ${family} public ${p}`).toBe('open');
    },
    120_000,
  );

  it.skipIf(!canRunUfwNetns)(
    `deletes a deny of an earlier run on 9100 that the registry no longer asks for (it locks no one out), as nft drops its table; the allow on 22 it leaves goes with the ufw delete it names ${ufwReason}`,
    async () => {
      // An earlier registry put a localhost service on 9100 and a public one on 22 (ports validate warns of both).
      const earlier = `${twoServices('private', 'localhost')}  - { id: exporter, name: Exporter, group: monitoring, port: 9100, protocol: HTTP, access: localhost, configuredBy: none, robust: false, processes: [node_exporter] }
  - { id: shell, name: Shell, group: production, port: 22, protocol: TCP, access: public, configuredBy: none, robust: false, processes: [sshd] }
`;
      const dir = tempDir('dsa110-ufw-kept-');
      const first = tempFile('first.sh', renderUfw(parseRegistry(earlier)));
      const plain = tempFile('plain.sh', renderUfw(parseRegistry(twoServices('private', 'localhost'))));
      // The operator's own allow from the LAN (every port): what 9100 answers once the deny ahead of it is gone.
      const lan = "ufw allow from 10.0.0.0/8 comment 'operator lan'";
      // The plain script again, then the `ufw delete` its line names, run as printed.
      const named = tempFile(
        'named.sh',
        `sh ${plain} >/dev/null 2>${dir}/err
sed -n 's/^ports firewall (ufw): left alone: .*; if you do not need it: //p' ${dir}/err >${dir}/named
sh ${dir}/named
`,
      );
      const { seen, output } = await runUfwNetns({ scratch: tempDir('dsa110-ufw-'), ports: [22, 9100], before: lan, scripts: [first, plain, named] });
      const runs = ufwRuns(output);
      expect(runs.map((run) => run.status)).toEqual([0, 0, 0]);
      expect(runs[0]!.added).toContain("ufw deny 9100/tcp comment 'dsa110 exporter (localhost)'");
      expect(runs[0]!.added).toContain("ufw allow 22/tcp comment 'dsa110 shell (public)'");
      expect(runs[1]!.output.split('\n').filter((line) => line.startsWith('ports firewall'))).toEqual([
        "ports firewall (ufw): left alone: ufw rule 'allow 22/tcp' (comment 'dsa110 shell (public)') is likely from an earlier run of ports firewall, and the registry no longer asks for it, but port 22 is one this script never filters, and it never deletes an allow there (an older version put its comment on operators' own rules, and deleting their SSH allow locked them out); if you do not need it: ufw delete allow 22/tcp",
      ]);
      expect(runs[1]!.added.filter((line) => line.includes('9100'))).toEqual([]);
      expect(runs[1]!.added).toContain("ufw allow 22/tcp comment 'dsa110 shell (public)'");
      expect(readFileSync(join(dir, 'named'), 'utf8')).toBe('ufw delete allow 22/tcp\n');
      expect(runs[2]!.added).toEqual(runs[1]!.added.filter((line) => !line.includes('22/tcp')));
      for (const port of [22, 9100]) {
        expect(seen.get(`after v4 private ${port}`), `after v4 private ${port}`).toBe('open');
        expect(seen.get(`after v4 public ${port}`), `after v4 public ${port}`).toBe('closed');
      }
    },
    120_000,
  );

  it.skipIf(!canRunUfwNetns)(
    `stops, changing nothing, when an operator's allow (2222/tcp, a range) lies inside a reserved range it denies; with --keep-open 2222 it runs and 2222 still answers ${ufwReason}`,
    async () => {
      const operator = 'ufw allow 22/tcp && ufw allow 2222/tcp && ufw allow from 10.0.0.0/8 to any port 2500:2600 proto udp && ufw allow out 2400/tcp';
      const registry = parseRegistry(sshInRange);
      const plain = tempFile('plain.sh', renderUfw(registry));
      const kept = tempFile('kept.sh', renderUfw(registry, { keepOpen: [2222] }));
      const dropRange = tempFile('drop-range.sh', 'ufw delete allow from 10.0.0.0/8 to any port 2500:2600 proto udp >/dev/null\n');
      const { seen, output } = await runUfwNetns({
        scratch: tempDir('dsa110-ufw-'),
        ports: [2222, 2500],
        before: operator,
        scripts: [plain, dropRange, kept, plain],
      });
      const runs = ufwRuns(output);
      expect(runs.map((run) => run.status)).toEqual([1, 0, 0, 1]);
      const theirs = ['ufw allow 22/tcp', 'ufw allow 2222/tcp', 'ufw allow from 10.0.0.0/8 to any port 2500:2600 proto udp', 'ufw allow out 2400/tcp'];
      expect(runs[0]!.output).toBe(
        'ports firewall (ufw): ufw has a rule "allow 2222/tcp" that this script did not add, inside reserved range legacy (2000-2999/tcp), which the script denies ahead of it: it would close that port; nothing was changed; if the port must stay open pass --keep-open 2222 to ports firewall, then run its new script\n',
      );
      expect(runs[0]!.added).toEqual(theirs);
      expect(runs[2]!.output).not.toMatch(/ERROR|ports firewall/);
      // The plain script again (without --keep-open): refused as before, the rules of the kept run left in place.
      expect(runs[3]!.output).toBe(runs[0]!.output);
      expect(runs[3]!.added).toEqual(runs[2]!.added);
      for (const family of ['v4', 'v6']) {
        expect(seen.get(`after ${family} public 2222`), `after ${family} public 2222`).toBe('open');
        expect(seen.get(`after ${family} public 2500`), `after ${family} public 2500`).toBe('closed');
      }
    },
    120_000,
  );
});

describe("the ufw script and an operator's allow by application or on every port, run by a real ufw in namespaces of its own", REAL_UFW, () => {
  /** An application profile in ufw's copied applications.d, as a package installs one. */
  const profile = (name: string, ports: string) =>
    `printf '[${name}]\\ntitle=${name}\\ndescription=a test profile\\nports=${ports}\\n' > '/etc/ufw/applications.d/dsa110-test-${name.replace(' ', '-')}'`;
  const closes = (rule: string, shown: string, keep: string) =>
    `ports firewall (ufw): ufw has a rule "${rule}" that this script did not add${shown} inside reserved range legacy (2000-2999/${rule.includes('Media') ? 'udp' : 'tcp'}), which the script denies ahead of it: it would close that port; nothing was changed; if the port must stay open pass ${keep} to ports firewall, then run its new script\n`;

  it.skipIf(!canRunUfwNetns)(
    `reads an application's ports as ufw app info prints them (a port, a list, a range), stops when it cannot, and runs with --keep-open; 2222 still answers ${ufwReason}`,
    async () => {
      const registry = parseRegistry(sshInRange);
      const plain = tempFile('plain.sh', renderUfw(registry));
      const kept = tempFile('kept.sh', renderUfw(registry, { keepOpen: [2222] }));
      const swap = (name: string, commands: string) => tempFile(`${name}.sh`, `set -e\n${commands}\n`);
      const { seen, output } = await runUfwNetns({
        scratch: tempDir('dsa110-ufw-'),
        ports: [2222, 2500],
        before: [
          profile('SSH2222', '2222/tcp'),
          profile('Web Pair', '4000,2100/tcp'),
          profile('Media', '4200/tcp|2500:2600/udp'),
          profile('Gone', '4100/tcp'),
          "ufw allow 'Web Pair'",
        ].join(' && '),
        scripts: [
          plain,
          swap('media', "ufw delete allow 'Web Pair' >/dev/null; ufw allow Media >/dev/null"),
          plain,
          swap('gone', 'ufw delete allow Media >/dev/null; ufw allow Gone >/dev/null; rm /etc/ufw/applications.d/dsa110-test-Gone'),
          plain,
          swap('ssh', 'ufw delete allow Gone >/dev/null; ufw allow SSH2222 >/dev/null'),
          plain,
          kept,
        ],
      });
      const runs = ufwRuns(output);
      expect(runs.map((run) => run.status)).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
      expect(runs[0]!.output).toBe(closes("allow 'Web Pair'", ' (application Web Pair: 4000,2100/tcp),', '--keep-open 2100'));
      expect(runs[2]!.output).toBe(
        closes('allow Media', ' (application Media: 4200/tcp, 2500:2600/udp),', '--keep-open PORT (once for each of its ports that must stay open)'),
      );
      expect(runs[4]!.output).toBe(
        'ports firewall (ufw): ufw has a rule "allow Gone" that this script did not add, for application profile Gone, whose ports ufw app info cannot read, so this script cannot tell whether a reserved range it denies would close them: nothing was changed; fix that profile in /etc/ufw/applications.d (ufw app list names those ufw reads) or delete the rule, then run this again\n',
      );
      expect(runs[6]!.output).toBe(closes('allow SSH2222', ' (application SSH2222: 2222/tcp),', '--keep-open 2222'));
      // Each stop changed nothing: the operator's rule alone.
      for (const [run, rule] of [
        [0, "ufw allow 'Web Pair'"],
        [2, 'ufw allow Media'],
        [4, 'ufw allow Gone'],
        [6, 'ufw allow SSH2222'],
      ] as const)
        expect(runs[run]!.added, rule).toEqual([rule]);
      expect(runs[7]!.output).not.toMatch(/ERROR|ports firewall/);
      expect(runs[7]!.added).toContain('ufw allow SSH2222');
      for (const family of ['v4', 'v6']) {
        expect(seen.get(`after ${family} public 2222`), `after ${family} public 2222`).toBe('open');
        expect(seen.get(`after ${family} public 2500`), `after ${family} public 2500`).toBe('closed');
      }
    },
  );

  it.skipIf(!canRunUfwNetns)(
    `reads the destination port only after \`to ADDR\` (after \`from ADDR\` it is the source port); an allow of every port into a range it denies stops it, one in on lo does not ${ufwReason}`,
    async () => {
      const plain = tempFile('plain.sh', renderUfw(parseRegistry(sshInRange)));
      const swap = (name: string, commands: string) => tempFile(`${name}.sh`, `set -e\n${commands}\n`);
      const every = (rule: string) =>
        `ports firewall (ufw): ufw has a rule "${rule}" that this script did not add, on every port (it names no destination port), so inside reserved range legacy (2000-2999/tcp), which the script denies ahead of it: it would close those ports to it; nothing was changed; replace it with allows of the ports it needs (to any port PORT), passing --keep-open PORT to ports firewall for each inside a reserved range, then run its new script\n`;
      const { seen, output } = await runUfwNetns({
        scratch: tempDir('dsa110-ufw-'),
        ports: [8005],
        before: 'ufw allow from 203.0.113.9 port 2222 proto tcp',
        scripts: [
          plain,
          swap('all', 'ufw delete allow from 203.0.113.9 port 2222 proto tcp >/dev/null; ufw allow from 203.0.113.9 proto tcp >/dev/null'),
          plain,
          swap(
            'narrow',
            'ufw delete allow from 203.0.113.9 proto tcp >/dev/null; ufw allow from 203.0.113.9 port 2222 to any port 8005 proto tcp >/dev/null; ufw allow in on lo >/dev/null',
          ),
          plain,
        ],
      });
      const runs = ufwRuns(output);
      expect(runs.map((run) => run.status)).toEqual([1, 0, 1, 0, 0]);
      // Source port 2222, any destination port: not "inside" the range at 2222, nor to be kept open there.
      expect(runs[0]!.output).toBe(every('allow from 203.0.113.9 port 2222 proto tcp'));
      expect(runs[0]!.added).toEqual(['ufw allow from 203.0.113.9 port 2222 proto tcp']);
      expect(runs[2]!.output).toBe(every('allow from 203.0.113.9 proto tcp'));
      expect(runs[2]!.added).toEqual(['ufw allow from 203.0.113.9 proto tcp']);
      expect(runs[4]!.output).not.toMatch(/ERROR|ports firewall/);
      expect(runs[4]!.added).toContain('ufw allow from 203.0.113.9 port 2222 to any port 8005 proto tcp');
      for (const family of ['v4', 'v6']) expect(seen.get(`after ${family} public 8005`), `after ${family} public 8005`).toBe('open');
    },
  );
});

describe('the ufw script says what is off', () => {
  it('says whether IPv6 is off in ufw or missing from the kernel, and that an inactive ufw applies the rules only once enabled', () => {
    const text = renderUfw(parseRegistry(twoServices('private', 'localhost')));
    expect(text).toContain(
      'if [ ! -d /proc/sys/net/ipv6 ]; then\n  ipv6=no\n  echo "ports firewall (ufw): this kernel has no IPv6 (no /proc/sys/net/ipv6), so the 2 allows',
    );
    expect(text).toContain(
      `elif [ "$ipv6" != yes ]; then\n  echo "ports firewall (ufw): IPv6 is off in ufw (IPV6=\${ipv6:-unset} in /etc/default/ufw), so the 2 allows`,
    );
    expect(text).toMatch(
      /\ncase \$\(ufw status\) in\n {2}'Status: inactive'\*\) echo "ports firewall \(ufw\): ufw is inactive: these rules take effect when it is enabled \(ufw enable\)" >&2 ;;\nesac\n$/,
    );
  });
});

/**
 * A stand-in ufw, a shell function (a real ufw is a Python start per command, 3,400 of them here): `show added`
 * prints $UFW_STATE's rules, `delete` removes one, `prepend` appends to $UFW_STATE.prepended.
 */
const STUB_UFW = `ufw() {
  case $1 in
  show) echo "Added user rules (see 'ufw status' for running firewall):"; cat "$UFW_STATE" ;;
  status) echo 'Status: active' ;;
  delete)
    shift
    stub_rule=ufw
    while [ $# -gt 0 ]; do
      if [ "$1" = comment ]; then stub_rule="$stub_rule comment '$2'"; shift 2; else stub_rule="$stub_rule $1"; shift; fi
    done
    grep -vFx -e "$stub_rule" "$UFW_STATE" > "$UFW_STATE.new" || true
    mv "$UFW_STATE.new" "$UFW_STATE" ;;
  prepend) shift; echo "ufw $*" >> "$UFW_STATE.prepended" ;;
  *) echo "stub ufw: $*" >&2; return 1 ;;
  esac
}`;

/** Runs a ufw script with STUB_UFW, whose rules start as `added`: its exit status and stderr, and the rules after it. */
function runWithStubUfw(script: string, added: string): { status: number | null; stderr: string; added: string; prepended: string[] } {
  const state = join(tempDir('dsa110-ufw-stub-'), 'added');
  writeFileSync(state, added);
  const run = spawnSync('sh', ['-c', `${STUB_UFW}\n. "$1"`, 'sh', tempFile('ufw.sh', script)], {
    env: { ...process.env, UFW_STATE: state },
    encoding: 'utf8',
  });
  const prepended = existsSync(`${state}.prepended`) ? readFileSync(`${state}.prepended`, 'utf8').trim().split('\n') : [];
  return { status: run.status, stderr: run.stderr, added: readFileSync(state, 'utf8'), prepended };
}

describe('the ufw script of a large registry', () => {
  it('deletes an earlier run’s rules when the plan’s specs pass the 128 KiB one argument may hold (570 private services)', { timeout: 120_000 }, () => {
    const count = 570;
    const services = Array.from(
      { length: count },
      (_, i) =>
        `  - { id: svc-${i}, name: Service ${i}, group: production, port: ${20000 + i}, protocol: TCP, access: private, configuredBy: none, robust: false, processes: [svc] }`,
    );
    const run = runWithStubUfw(
      renderUfw(parseRegistry(`version: 1\nservices:\n${services.join('\n')}\n`)),
      "ufw allow 20000/tcp comment 'dsa110 svc-0 (public)'\nufw allow 22/tcp comment 'ssh'\n",
    );
    expect(run.stderr).not.toMatch(/argument list too long|could not classify/i);
    expect(run.status).toBe(0);
    // The stale rule of an earlier run is gone; the operator's stays.
    expect(run.added).toBe("ufw allow 22/tcp comment 'ssh'\n");
    expect(run.prepended.filter((line) => line.startsWith('ufw deny '))).toHaveLength(count);
  });

  it('stops, deleting and adding nothing, when classifying ufw’s rules fails', () => {
    const stale = "ufw allow 8000/tcp comment 'dsa110 api (public)'\n";
    const run = runWithStubUfw(renderUfw(parseRegistry(twoServices('private', 'localhost'))).replace("| awk '", "| awk -f /nonexistent '"), stale);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^ports firewall \(ufw\): could not classify ufw's rules \(awk failed: see the error above\): stopped before deleting or adding any rule/m,
    );
    expect(run.added).toBe(stale);
    expect(run.prepended).toEqual([]);
  });
});

describe("the ufw script and an operator's allow inside a reserved range", () => {
  /** A service of ACCESS on 20000/tcp and a range 20001-20010 reserved for it. */
  const rangeFor = (access: string) => `version: 1
services:
  - { id: web, name: Web, group: production, port: 20000, protocol: HTTP, access: ${access}, configuredBy: none, robust: false, processes: [web] }
reserved:
  - { id: web-alt, name: Web alternates, start: 20001, end: 20010, purpose: alternates for web, for: [web] }
`;
  const message = (rule: string, transport: string, what: string) =>
    `ports firewall (ufw): ufw has a rule "${rule}" that this script did not add, inside reserved range web-alt (20001-20010/${transport}), ${what} pass --keep-open 20005 to ports firewall, then run its new script\n`;
  const narrows =
    'which the script lets in from private networks only, ahead of it: it would narrow that port to private networks; nothing was changed; if the port must stay open beyond private networks';
  const closes = 'which the script denies ahead of it: it would close that port; nothing was changed; if the port must stay open';

  it('runs when the range lets in anyone (reserved for a public service): its allow closes nothing', () => {
    const run = runWithStubUfw(renderUfw(parseRegistry(rangeFor('public'))), 'ufw allow 20005/tcp\n');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.prepended.filter((line) => line.includes('web-alt'))).toEqual([
      'ufw deny 20001:20010/udp comment dsa110 web-alt (reserved)',
      'ufw allow 20001:20010/tcp comment dsa110 web-alt (reserved)',
    ]);
    // Without a protocol the rule opens UDP too, which the range (reserved for a TCP service) closes: said so.
    const both = runWithStubUfw(renderUfw(parseRegistry(rangeFor('public'))), 'ufw allow 20005\n');
    expect(both.stderr).toBe(message('allow 20005', 'udp', closes));
    expect([both.status, both.prepended]).toEqual([1, []]);
  });

  it('stops, saying the port would be narrowed to private networks, not closed, when the range is private; an allow from a private network inside it runs', () => {
    const script = renderUfw(parseRegistry(rangeFor('private')));
    for (const rule of ['allow 20005/tcp', 'allow from 8.8.8.8 to any port 20005 proto tcp', 'allow from 10.0.0.0/7 to any port 20005 proto tcp']) {
      const run = runWithStubUfw(script, `ufw ${rule}\n`);
      expect(run.stderr).toBe(message(rule, 'tcp', narrows));
      expect([run.status, run.prepended, run.added]).toEqual([1, [], `ufw ${rule}\n`]);
    }
    for (const source of ['10.1.0.0/16', '172.20.0.5', '192.168.1.0/24', 'fd12:3456::/48', 'fe80::1']) {
      const run = runWithStubUfw(script, `ufw allow from ${source} to any port 20005 proto tcp\n`);
      expect(run.stderr, source).toBe('');
      expect(run.status, source).toBe(0);
    }
  });

  it('reads the destination port after `to ADDR` only: an allow from a source port, or of every port, is on every port of the range', () => {
    const everyPort = (rule: string, transport: string, what: string) =>
      `ports firewall (ufw): ufw has a rule "${rule}" that this script did not add, on every port (it names no destination port), so inside reserved range web-alt (20001-20010/${transport}), ${what}; nothing was changed; replace it with allows of the ports it needs (to any port PORT), passing --keep-open PORT to ports firewall for each inside a reserved range, then run its new script\n`;
    const narrowsAll = 'which the script lets in from private networks only, ahead of it: it would narrow those ports to private networks';
    const script = renderUfw(parseRegistry(rangeFor('private')));
    for (const rule of ['allow from 8.8.8.8 port 20005 proto tcp', 'allow from 8.8.8.8 proto tcp', 'allow to any proto tcp', 'limit in on eth0 from 8.8.8.8']) {
      const run = runWithStubUfw(script, `ufw ${rule}\n`);
      expect(run.stderr, rule).toBe(everyPort(rule, 'tcp', narrowsAll));
      expect([run.status, run.prepended], rule).toEqual([1, []]);
    }
    // From private networks (what the range lets in), to another port, in on loopback (ufw accepts it ahead of every rule), or outgoing: nothing taken.
    for (const rule of [
      'allow from 10.0.0.0/8 proto tcp',
      'allow from 8.8.8.8 port 20005 to any port 30000 proto tcp',
      'allow in on lo',
      'allow out to any port 20005 proto tcp',
      'allow out on eth0 from 8.8.8.8',
    ]) {
      const run = runWithStubUfw(script, `ufw ${rule}\n`);
      expect(run.stderr, rule).toBe('');
      expect(run.status, rule).toBe(0);
    }
    // The range's UDP side is loopback only (reserved for a TCP service): an allow of every port closes there.
    const udp = runWithStubUfw(script, 'ufw allow from 10.0.0.0/8\n');
    expect(udp.stderr).toBe(everyPort('allow from 10.0.0.0/8', 'udp', 'which the script denies ahead of it: it would close those ports to it'));
  });

  it('stops, saying the port would be closed, when the range is loopback only', () => {
    const run = runWithStubUfw(renderUfw(parseRegistry(rangeFor('localhost'))), 'ufw allow 20005/tcp\n');
    expect(run.stderr).toBe(message('allow 20005/tcp', 'tcp', closes));
    expect([run.status, run.prepended]).toEqual([1, []]);
  });
});
