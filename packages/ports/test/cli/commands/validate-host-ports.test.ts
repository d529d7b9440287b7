// `ports validate` on real files: an entry on a port of the host's own
// daemons (HOST_PORTS: 22, SSH's; 9100, node_exporter's) is valid, with a
// warning at the port's line and column, and exit 0 as for any warning.
import { describe, expect, it } from 'vitest';
import { checkout, ports, replaceOnce, rootRegistry } from '../helpers.js';

/** `ports validate` of the root registry with `from` (a line of it) replaced by `to`, and where `to`'s value landed. */
async function validate(from: string, to: string) {
  const text = replaceOnce(rootRegistry, from, `${to}\n`);
  const lines = text.split('\n');
  const line = lines.indexOf(to.split('\n')[0]!) + 1;
  const column = to.indexOf(': ') + 3;
  return { run: await ports(['validate', 'ports.yaml'], { cwd: checkout(text) }), at: `ports.yaml:${line}:${column}` };
}

describe("ports validate: an entry on a port of the host's own daemons", () => {
  it('warns about a service on the SSH port, and that its firewall rules (not public) would filter it', async () => {
    const { run, at } = await validate('    port: 6379\n', '    port: 22');
    expect(run).toEqual({
      code: 0,
      stdout: 'ports.yaml: ok (8 services, 2 reserved entries)\n',
      stderr: `${at}: warning: services.redis.port: port 22 is the SSH port, which the host's own daemon listens on, not a DSA-110 service's: redis would collide with it, and \`ports firewall\` would filter it as localhost (from this host only), cutting the daemon off; give redis another port\n`,
    });
  });

  it("warns about a public service on node_exporter's port, without the firewall (it opens the port to all)", async () => {
    const { run, at } = await validate('    port: 80\n', '    port: 9100');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      `${at}: warning: services.nginx.port: port 9100 is the node_exporter's port, which the host's own daemon listens on, not a DSA-110 service's: nginx would collide with it; give nginx another port\n`,
    );
  });

  it('warns about a reserved entry that holds one, a range or a port', async () => {
    const range = await validate('    start: 3210\n    end: 3220\n', '    start: 20\n    end: 30');
    expect(range.run.code).toBe(0);
    expect(range.run.stderr).toBe(
      `${range.at}: warning: reserved.dashboard-fallback: 20-30 holds port 22, the SSH port, which the host's own daemon listens on: a service moved onto it by its override would collide with it; keep the entry clear of port 22\n`,
    );
    const port = await validate('    port: 8010\n', '    port: 9100');
    expect(port.run.stderr).toMatch(/^ports\.yaml:\d+:11: warning: reserved\.api-alt: 9100 holds port 9100, the node_exporter's port, /);
  });

  it('says nothing of the root registry', async () => {
    expect(await ports(['validate', 'ports.yaml'], { cwd: checkout() })).toEqual({
      code: 0,
      stdout: 'ports.yaml: ok (8 services, 2 reserved entries)\n',
      stderr: '',
    });
  });
});
