// `ports systemd --check` with EnvironmentFile=, in-process on real trees: a
// claim line whose argument a file it cannot read may change is not passed.
// (Its agreement with the health check, case by case, is held in
// packages/port-health-check/test/environment-file-agreement.test.ts.)
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const REGISTRY =
  'version: 1\nservices:\n  - id: svc\n    name: Svc\n    group: production\n    port: 8000\n    protocol: TCP\n    access: localhost\n' +
  '    configuredBy: hardcoded\n    robust: true\n    systemd: { unit: svc.service, claim: drop-in }\n    processes: [node]\n';

async function check(serviceLines: readonly string[], claim: string, files: Parameters<typeof writeTree>[1] = {}) {
  const root = writeTree(tempDir(), {
    'ports.yaml': REGISTRY,
    'usr/lib/systemd/system/svc.service': `[Service]\n${serviceLines.join('\n')}\nExecStart=/usr/bin/node svc.js\n`,
  });
  const registry = join(root, 'ports.yaml');
  expect((await ports(['systemd', '--registry', registry, '--root', root])).code).toBe(0);
  writeTree(root, {
    'etc/systemd/system/svc.service.d/port.conf': `[Service]\nExecStartPre=\nExecStartPre=+/usr/local/bin/claim-port ${claim} --registry /ports.yaml\n`,
    ...files,
  });
  return ports(['systemd', '--check', '--registry', registry, '--root', root]);
}

describe('ports systemd --check: EnvironmentFile=', () => {
  it("cannot tell a claim by any variable of its line (not only the service's own) that an unreadable file may set", async () => {
    const lines = ['Environment=LISTEN=8000', 'EnvironmentFile=-/etc/default/svc'];
    const unsure = await check(lines, '$LISTEN', { 'etc/default/svc': { fifo: true } });
    expect(unsure.code).toBe(1);
    expect(unsure.stdout).toBe(
      'svc.service: cannot tell whether it claims the right port: ExecStartPre=+/usr/local/bin/claim-port $LISTEN --registry /ports.yaml from /etc/systemd/system/svc.service.d/port.conf:3 claims port 8000, ' +
        'but the port may not be 8000: /etc/default/svc (EnvironmentFile= at /usr/lib/systemd/system/svc.service:3) may set LISTEN, and cannot be read: it is a FIFO (named pipe), not a regular file\n',
    );
    expect(unsure.stderr).toMatch(/^1 problem: the files match the registry, but the units systemd would load under /);
    // Readable, the file settles it either way; a line that names no variable is not in doubt.
    expect((await check(lines, `\${LISTEN}`, { 'etc/default/svc': 'OTHER=1\n' })).code).toBe(0);
    expect((await check(lines, '$LISTEN', { 'etc/default/svc': 'LISTEN=8001\n' })).stdout).toContain('claims port 8001, but svc uses port 8000');
    expect((await check(lines, '8000', { 'etc/default/svc': { fifo: true } })).code).toBe(0);
  });

  it('passes a unit-file claim by a braced variable whose port an EnvironmentFile= under --root sets, as the health check does', async () => {
    const registry = REGISTRY.replace('configuredBy: hardcoded', 'configuredBy: { env: SVC_PORT }').replace('claim: drop-in', 'claim: unit');
    const root = writeTree(tempDir(), {
      'ports.yaml': registry,
      'etc/systemd/system/svc.service': `[Service]\nEnvironmentFile=/etc/default/svc\nExecStartPre=+/usr/local/bin/claim-port \${SVC_PORT} --registry /ports.yaml\nExecStart=/usr/bin/node svc.js\n`,
      'etc/default/svc': 'SVC_PORT=8000\n',
    });
    const args = ['systemd', '--registry', join(root, 'ports.yaml'), '--root', root];
    expect((await ports(args)).code).toBe(0);
    const run = await ports([...args, '--check']);
    expect([run.code, run.stdout, run.stderr]).toEqual([0, expect.stringMatching(/^ok: 0 drop-ins, 1 unit file /), '']);
  });
});
