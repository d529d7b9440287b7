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
    expect(ufw.stdout).toContain("ufw allow in proto tcp to any port 80 comment 'dsa110 nginx (public)'\n");
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
    expect(ufw.stdout).toContain("ufw deny in proto tcp to any port 8500 comment 'dsa110 api (private)'\n");
    const bad = await ports(['firewall', '--registry', 'ports.yaml'], { cwd: dir, env: { CONTIMG_API_PORT: '80' } });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^ports firewall: CONTIMG_API_PORT="80" cannot be used for service "api": port 80 belongs to service "nginx"/);
  });
});
