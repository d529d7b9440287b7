// `ports systemd` keeps to its own files, on real trees under --root, in-process: a file of the operator's at a path it
// writes (no generated header) that sets more than it writes there is never replaced (the write refuses, and --check
// says the same), and a claim drop-in it wrote for a unit the registry no longer wires is removed, where it was only
// warned of and --check failed after every run.
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const ETC = 'etc/systemd/system';
const HEADER = '# Generated from ports.yaml by `ports systemd`; edit ports.yaml instead.';
const service = (id: string, port: number, unit: string) =>
  `  - id: ${id}\n    name: ${id}\n    group: production\n    port: ${port}\n    protocol: TCP\n` +
  `    access: localhost\n    configuredBy: hardcoded\n    robust: true\n    systemd: { unit: ${unit}, claim: drop-in }\n    processes: [${id}]\n`;
const registry = (...services: string[]) => `version: 1\nservices:\n${services.join('')}`;

/** A root with `text` as its registry, a claim-port, the units `units`, and `files`. */
function root(text: string, units: readonly string[], files: Record<string, string> = {}) {
  const dir = writeTree(tempDir('dsa110-ports-own-'), {
    'etc/dsa110/ports.yaml': text,
    'usr/local/bin/claim-port': '#!/bin/sh\nexit 0\n',
    'usr/local/bin/port-health-check': '#!/bin/sh\nexit 0\n',
    'var/lib/prometheus/node-exporter/.keep': '',
    ...Object.fromEntries(units.map((unit) => [`usr/lib/systemd/system/${unit}`, '[Service]\nExecStart=/bin/true\n'])),
    ...files,
  });
  for (const program of ['claim-port', 'port-health-check']) chmodSync(join(dir, 'usr/local/bin', program), 0o755);
  const args = ['--registry', join(dir, 'etc/dsa110/ports.yaml'), 'systemd', '--root', dir];
  return { dir, write: () => ports(args), check: () => ports([...args, '--check']) };
}

const claimDropIn = (port: number | string) => `${HEADER}\n[Service]\nExecStartPre=+/usr/local/bin/claim-port ${port} --registry /etc/dsa110/ports.yaml\n`;

describe("ports systemd: a file of the operator's where it writes", () => {
  it("a hand-made claim-port.conf with settings of its own, and a timer of the operator's: nothing written, each named with what would be lost; --check says the same", async () => {
    const mine =
      '# mine\n[Service]\nExecStartPre=+/usr/local/bin/claim-port 21000 --registry /etc/dsa110/ports.yaml\nLimitNOFILE=65536\nEnvironment=GOMAXPROCS=2\n';
    const timer = '# mine\n[Timer]\nOnCalendar=hourly\n[Install]\nWantedBy=timers.target\n';
    const { dir, write, check } = root(registry(service('api', 21000, 'api.service')), ['api.service'], {
      [`${ETC}/api.service.d/claim-port.conf`]: mine,
      [`${ETC}/dsa110-port-health.timer`]: timer,
    });
    const dropIn = join(dir, ETC, 'api.service.d/claim-port.conf');
    const timerPath = join(dir, ETC, 'dsa110-port-health.timer');
    const run = await write();
    expect(run.code).toBe(1);
    const notOurs = `it is not a file \`ports systemd\` wrote (no "${HEADER}" line), and writing would drop what it sets that this command does not write`;
    expect(run.stderr).toBe(
      `ports systemd: cannot write ${dropIn}: ${notOurs} ([Service] LimitNOFILE=65536, [Service] Environment=GOMAXPROCS=2); move what is yours to a drop-in of your own beside it (${join(dir, ETC, 'api.service.d/local.conf')}), remove ${dropIn}, then run \`ports systemd\` again; nothing was written\n` +
        `ports systemd: cannot write ${timerPath}: ${notOurs} ([Timer] OnCalendar=hourly); move what is yours to a drop-in of your own beside it (${timerPath}.d/local.conf), remove ${timerPath}, then run \`ports systemd\` again; nothing was written\n`,
    );
    expect(readFileSync(dropIn, 'utf8')).toBe(mine);
    expect(readFileSync(timerPath, 'utf8')).toBe(timer);
    expect(existsSync(join(dir, ETC, 'dsa110-port-health.service'))).toBe(false);
    const checked = await check();
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain(`${dropIn}: ${notOurs} ([Service] LimitNOFILE=65536, [Service] Environment=GOMAXPROCS=2); move what is yours`);
    expect(checked.stdout).toContain(`${timerPath}: ${notOurs} ([Timer] OnCalendar=hourly); move what is yours`);
    // Followed: the settings moved to a drop-in of the operator's, the file removed; the write then passes its check.
    writeFileSync(join(dir, ETC, 'api.service.d/local.conf'), '[Service]\nLimitNOFILE=65536\nEnvironment=GOMAXPROCS=2\n');
    writeFileSync(dropIn, '[Service]\nExecStartPre=+/usr/local/bin/claim-port 21000 --registry /etc/dsa110/ports.yaml\n'); // only the claim, by hand: replaced
    writeFileSync(timerPath, '');
    expect((await write()).code).toBe(0);
    expect(readFileSync(dropIn, 'utf8')).toBe(claimDropIn(21000));
    expect(readFileSync(join(dir, ETC, 'api.service.d/local.conf'), 'utf8')).toContain('LimitNOFILE');
    expect((await check()).code).toBe(0);
  });

  it("an ExecStartPre= step of the operator's beside the claim, or a trigger of their timer, is one more of a list, not the write's to replace: refused", async () => {
    const steps = '[Service]\nExecStartPre=/usr/bin/mkdir -p /run/api\nExecStartPre=+/usr/local/bin/claim-port 21000 --registry /etc/dsa110/ports.yaml\n';
    const timer = '[Timer]\nOnBootSec=1min\nOnUnitActiveSec=1h\n[Install]\nWantedBy=timers.target\n';
    const { dir, write } = root(registry(service('api', 21000, 'api.service')), ['api.service'], {
      [`${ETC}/api.service.d/claim-port.conf`]: steps,
      [`${ETC}/dsa110-port-health.timer`]: timer,
    });
    const run = await write();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${join(dir, ETC, 'api.service.d/claim-port.conf')}: it is not a file`);
    expect(run.stderr).toContain('does not write ([Service] ExecStartPre=/usr/bin/mkdir -p /run/api); move what is yours');
    expect(run.stderr).toContain('does not write ([Timer] OnUnitActiveSec=1h); move what is yours');
    expect(readFileSync(join(dir, ETC, 'api.service.d/claim-port.conf'), 'utf8')).toBe(steps);
  });

  it("a claim drop-in made by hand whose only line is a claim line gone wrong (another claim-port, another port) is the write's to repair: replaced, and said", async () => {
    const wrong = '[Service]\nExecStartPre=+/opt/old/bin/no-such-claim-port 21001\n';
    const { dir, write, check } = root(registry(service('api', 21000, 'api.service')), ['api.service'], { [`${ETC}/api.service.d/claim-port.conf`]: wrong });
    const path = join(dir, ETC, 'api.service.d/claim-port.conf');
    expect((await check()).code).toBe(1);
    const run = await write();
    expect(run.code).toBe(0);
    expect(readFileSync(path, 'utf8')).toBe(claimDropIn(21000));
    expect(run.stderr).toContain(`warning: ${path}: it was not a file \`ports systemd\` wrote`);
    expect(run.stderr).toContain('(it had [Service] ExecStartPre=+/opt/old/bin/no-such-claim-port 21001)');
    expect((await check()).code).toBe(0);
  });

  it("one that sets only what the write sets there, to values of the operator's: replaced, and said", async () => {
    const timer = '[Unit]\nDescription=my timer\n[Timer]\nOnBootSec=1min\nOnUnitActiveSec=5min\nAccuracySec=1min\n[Install]\nWantedBy=timers.target\n';
    const { dir, write, check } = root(registry(service('api', 21000, 'api.service')), ['api.service'], { [`${ETC}/dsa110-port-health.timer`]: timer });
    const path = join(dir, ETC, 'dsa110-port-health.timer');
    const run = await write();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `warning: ${path}: it was not a file \`ports systemd\` wrote (no "${HEADER}" line); what it set that this command sets there is now this command's (it had [Unit] Description=my timer, [Timer] AccuracySec=1min); to keep a value of your own, set it in a drop-in of your own (${path}.d/local.conf)\n`,
    );
    expect(readFileSync(path, 'utf8')).toMatch(new RegExp(`^${HEADER.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')}\n`));
    expect((await check()).code).toBe(0);
  });
});

describe('ports systemd: a claim drop-in it wrote for a unit the registry no longer wires', () => {
  it('is removed (a unit renamed, a service removed), with its directory when empty; one the operator changed is left and warned of', async () => {
    const before = registry(service('redis', 21379, 'redis-server.service'), service('api', 21000, 'api.service'), service('web', 21080, 'web.service'));
    const units = ['redis-server.service', 'valkey-server.service', 'api.service', 'web.service'];
    const { dir, write, check } = root(before, units, { [`${ETC}/web.service.d/mine.conf`]: '[Service]\nNice=5\n' });
    expect((await write()).code).toBe(0);
    // Redis becomes Valkey; api leaves the registry; web leaves too, but its drop-in directory holds a file of the operator's.
    writeFileSync(join(dir, 'etc/dsa110/ports.yaml'), registry(service('redis', 21379, 'valkey-server.service')));
    const edited = `${claimDropIn(21000)}Nice=5\n`;
    writeFileSync(join(dir, ETC, 'api.service.d/claim-port.conf'), edited);
    const run = await write();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `removed ${join(dir, ETC, 'redis-server.service.d/claim-port.conf')} (a claim drop-in it wrote before: no robust service in the registry uses redis-server.service now)\n`,
    );
    expect(run.stdout).toContain(`removed ${join(dir, ETC, 'web.service.d/claim-port.conf')} (`);
    expect(existsSync(join(dir, ETC, 'redis-server.service.d'))).toBe(false);
    expect(readFileSync(join(dir, ETC, 'web.service.d/mine.conf'), 'utf8')).toBe('[Service]\nNice=5\n');
    // Changed by the operator: left, and said.
    expect(readFileSync(join(dir, ETC, 'api.service.d/claim-port.conf'), 'utf8')).toBe(edited);
    expect(run.stderr).toContain(`warning: ${join(dir, ETC, 'api.service.d/claim-port.conf')}: unexpected: no robust service in the registry uses api.service`);
    const checked = await check();
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(/api\.service\.d\/claim-port\.conf: unexpected: no robust service in the registry uses api\.service/);
    expect(checked.stdout).not.toContain('redis-server.service.d');
  });

  it("is never one reached through a drop-in directory linked to a wired unit's (an alias name's): that is the file this run wrote, under --root and --out", async () => {
    const text = registry(service('foo', 21000, 'foo.service'));
    const { dir, write, check } = root(text, ['foo.service', 'bar.service']);
    expect((await write()).code).toBe(0);
    symlinkSync('foo.service.d', join(dir, ETC, 'bar.service.d'));
    for (let run = 0; run < 2; run++) {
      const again = await write();
      expect(again.code).toBe(0);
      expect(again.stdout).not.toContain('removed ');
      expect(readFileSync(join(dir, ETC, 'foo.service.d/claim-port.conf'), 'utf8')).toBe(claimDropIn(21000));
    }
    expect((await check()).stdout).not.toContain('foo.service.d/claim-port.conf: missing');
    const out = join(tempDir('dsa110-ports-own-out-'), 'units');
    const args = ['--registry', join(dir, 'etc/dsa110/ports.yaml'), 'systemd', '--out', out];
    expect((await ports(args)).code).toBe(0);
    symlinkSync('foo.service.d', join(out, 'bar.service.d'));
    const written = await ports(args);
    expect(written.stdout).not.toContain('removed ');
    expect(existsSync(join(out, 'foo.service.d/claim-port.conf'))).toBe(true);
  });

  it('is not removed through a directory someone besides root may write, nor when it is a link', async () => {
    const { dir, write } = root(registry(service('redis', 21379, 'redis-server.service')), ['redis-server.service', 'valkey-server.service']);
    expect((await write()).code).toBe(0);
    writeFileSync(join(dir, 'etc/dsa110/ports.yaml'), registry(service('redis', 21379, 'valkey-server.service')));
    const open = join(dir, ETC, 'redis-server.service.d');
    chmodSync(open, 0o777);
    const target = join(dir, 'elsewhere.conf');
    writeFileSync(target, claimDropIn(21379));
    mkdirSync(join(dir, ETC, 'other.service.d'));
    symlinkSync(target, join(dir, ETC, 'other.service.d/claim-port.conf'));
    const run = await write();
    expect(run.stdout).not.toContain('removed ');
    expect(existsSync(join(open, 'claim-port.conf'))).toBe(true);
    expect(existsSync(target)).toBe(true);
  });
});
