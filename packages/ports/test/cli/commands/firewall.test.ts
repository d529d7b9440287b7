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
