// `ports firewall` through the built bin.
import { beforeAll, describe, expect, it } from 'vitest';
import { checkout, ports, requireBuilt } from '../helpers.js';

beforeAll(requireBuilt);

describe('ports firewall', () => {
  it('prints nft by default and ufw on request; any other format is a usage error', async () => {
    const dir = checkout();
    const nft = await ports(['firewall', '--registry', 'ports.yaml'], { cwd: dir });
    expect(nft.code).toBe(0);
    expect(nft.stdout).toMatch(/^#!\/usr\/sbin\/nft -f\n/);
    expect(nft.stdout).toContain('\t\ttcp dport 8000 ip saddr @private_v4 accept\n');
    const ufw = await ports(['firewall', '--format', 'ufw', '--registry', 'ports.yaml'], { cwd: dir });
    expect(ufw.stdout).toContain("ufw prepend allow 80/tcp comment 'dsa110 nginx (public)'\n");
    const bad = await ports(['firewall', '--format', 'iptables'], { cwd: dir });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/^ports firewall: --format must be one of nft, ufw, not "iptables"\n/);
  });
});

describe('ports firewall with an env override', () => {
  it('filters the port the override moves a service to, as `ports get` reports it, and refuses a bad one as `ports get` does', async () => {
    const dir = checkout();
    const env = { CONTIMG_API_PORT: '8500' };
    const get = await ports(['get', 'api', '--registry', 'ports.yaml'], { cwd: dir, env });
    expect(get.stdout).toBe('8500\n');
    const nft = await ports(['firewall', '--registry', 'ports.yaml'], { cwd: dir, env });
    expect(nft.code).toBe(0);
    expect(nft.stdout).toContain("\t\t# api (private): tcp 8500 (port from CONTIMG_API_PORT=8500; the registry's is 8000) from private networks\n");
    expect(nft.stdout).toContain('\t\ttcp dport 8500 ip saddr @private_v4 accept\n\t\ttcp dport 8500 ip6 saddr @private_v6 accept\n\t\ttcp dport 8500 drop\n');
    const ufw = await ports(['firewall', '--format', 'ufw', '--registry', 'ports.yaml'], { cwd: dir, env });
    expect(ufw.stdout).toContain("ufw prepend deny 8500/tcp comment 'dsa110 api (private)'\n");
    const bad = await ports(['firewall', '--registry', 'ports.yaml'], { cwd: dir, env: { CONTIMG_API_PORT: '80' } });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^ports firewall: CONTIMG_API_PORT="80" cannot be used for service "api": port 80 belongs to service "nginx"/);
  });
});

describe('ports firewall and the ports it must never touch', () => {
  it("refuses an override onto SSH's port or node_exporter's (exit 1, one line: service, variable, port, what to do), in both formats", async () => {
    const dir = checkout();
    for (const [env, line] of [
      [
        { REDIS_PORT: '22' },
        'REDIS_PORT=22 moves service "redis" (localhost) onto port 22, SSH port, which the rules must leave open: its rules would drop it from everywhere but this host and could lock you out; unset REDIS_PORT or set it to another port',
      ],
      [
        { CONTIMG_API_PORT: '22' },
        'CONTIMG_API_PORT=22 moves service "api" (private) onto port 22, SSH port, which the rules must leave open: its rules would drop it from public addresses and could lock you out; unset CONTIMG_API_PORT or set it to another port',
      ],
      [
        { REDIS_PORT: '9100' },
        'REDIS_PORT=9100 moves service "redis" (localhost) onto port 9100, node_exporter\'s port, which the rules must leave open: its rules would drop it from everywhere but this host and could lock you out; unset REDIS_PORT or set it to another port',
      ],
    ] as const) {
      for (const format of ['nft', 'ufw']) {
        const run = await ports(['firewall', '--format', format, '--registry', 'ports.yaml'], { cwd: dir, env });
        expect(run.code).toBe(1);
        expect(run.stdout).toBe('');
        expect(run.stderr).toBe(`ports firewall: ${line}\n`);
      }
    }
  });

  it('--keep-open PORT, repeatable, leaves more ports out of the reserved ranges and refuses an override onto them; a bad value is a usage error', async () => {
    const dir = checkout();
    const plain = await ports(['firewall', '--registry', 'ports.yaml'], { cwd: dir });
    expect(plain.stdout).toContain('\t\ttcp dport 3210-3220 drop\n');
    const kept = await ports(['firewall', '--keep-open', '3215', '--keep-open=3211', '--registry', 'ports.yaml'], { cwd: dir });
    expect(kept.code).toBe(0);
    expect(kept.stdout).not.toContain('3210-3220');
    for (const run of ['3210', '3212-3214', '3216-3220']) expect(kept.stdout).toContain(`\t\ttcp dport ${run} drop\n`);
    const ufw = await ports(['firewall', '--format', 'ufw', '--keep-open', '3215', '--registry', 'ports.yaml'], { cwd: dir });
    expect(ufw.stdout).toContain("ufw prepend deny 3216:3220/tcp comment 'dsa110 dashboard-fallback (reserved)'\n");
    const onto = await ports(['firewall', '--keep-open', '4444', '--registry', 'ports.yaml'], { cwd: dir, env: { REDIS_PORT: '4444' } });
    expect(onto.code).toBe(1);
    expect(onto.stderr).toMatch(
      /^ports firewall: REDIS_PORT=4444 moves service "redis" \(localhost\) onto port 4444, a port given to --keep-open, which the rules must leave open: .*\n$/,
    );
    for (const [value, problem] of [
      ['0', 'it is outside 1-65535'],
      ['ssh', 'it is not a plain decimal integer'],
    ]) {
      const bad = await ports(['firewall', '--keep-open', value!, '--registry', 'ports.yaml'], { cwd: dir });
      expect(bad.code).toBe(64);
      expect(bad.stderr).toMatch(new RegExp(`^ports firewall: --keep-open needs a port \\(1-65535\\), not "${value}": ${problem}\n`));
    }
    const help = await ports(['firewall', '--help']);
    expect(help.stdout).toContain('--keep-open PORT');
    expect(help.stdout).toContain('forwarded packets, such as a container port Docker publishes, are not filtered');
  });

  it("--keep-open on a port a service of the registry filters: one warning line on stderr (what, why, what to do), the service's rules kept, exit 0", async () => {
    for (const format of ['nft', 'ufw']) {
      const run = await ports(['firewall', '--format', format, '--keep-open', '6379', '--keep-open', '2222', '--keep-open', '80']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(format === 'nft' ? '\t\ttcp dport 6379 drop\n' : "deny 6379/tcp comment 'dsa110 redis (localhost)'");
      // 2222 is no registry port and 80 is nginx's, public: its rule accepts from anywhere, as --keep-open asks. Neither is said.
      expect(run.stderr).toBe(
        'warning: --keep-open 6379 is the port of service "redis" (localhost: from this host only), and the registry\'s own rules for it come first, so the port is still filtered; ' +
          'to open it, give redis another access in the registry (public: from anywhere, private: from private networks), or drop --keep-open 6379\n',
      );
    }
  });
});
