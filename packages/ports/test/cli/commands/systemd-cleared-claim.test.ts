// `ports systemd` (the write and --check) on a claim line that sits where the write puts it, in a drop-in of the unit's
// own (an instance's `NAME@INST.service.d/override.conf`, a package unit's), when a drop-in read after it holds an empty
// ExecStartPre=, which drops every earlier one: both name the clearing line, for every unit it clears, and neither says
// "nothing to do". Real trees under --root, in-process.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type TreeEntry, writeTree } from '../../../../../test-support/tree.js';
import { ports, tempDir } from '../helpers.js';

const ETC = 'etc/systemd/system';
const LIB = 'usr/lib/systemd/system';
const service = (id: string, port: number, systemd: string, udp = false) =>
  `  - id: ${id}\n    name: ${id}\n    group: production\n    port: ${port}\n    protocol: ${udp ? 'UDP\n    transport: udp' : 'TCP'}\n` +
  `    access: localhost\n    configuredBy: hardcoded\n    robust: true\n    systemd: ${systemd}\n    processes: [${id}]\n`;
/** dns@main.service claims in its unit file (its template's, so in a drop-in of its own); api.service by the claim drop-in the write makes. */
const REGISTRY = `version: 1\nservices:\n${service('dns', 25353, '{ unit: dns@main.service, claim: unit }', true)}${service('api', 20080, '{ unit: api.service, claim: drop-in }')}`;
const DNS_LINE = 'ExecStartPre=+/usr/local/bin/claim-port 25353/udp --registry /ports.yaml';
const CLEAR = '[Service]\nExecStartPre=\n';
/** The instance's line where the write puts it: a drop-in of its own (a file of its own would replace the template). */
const DNS_IN_OVERRIDE = { [`${ETC}/dns@main.service.d/override.conf`]: `[Service]\n${DNS_LINE}\n` };

/** A root with the registry, a claim-port, the template dns@.service and api.service (in `apiDir`), and `files`. */
async function root(files: Record<string, string> = {}, apiDir = ETC) {
  const dir = writeTree(tempDir('dsa110-ports-cleared-'), {
    'ports.yaml': REGISTRY,
    'usr/local/bin/claim-port': '#!/bin/sh\nexit 0\n',
    [`${ETC}/dns@.service`]: '[Service]\nExecStart=/bin/true\n',
    [`${apiDir}/api.service`]: '[Service]\nExecStart=/bin/true\n',
    ...files,
  });
  chmodSync(join(dir, 'usr/local/bin/claim-port'), 0o755);
  const args = ['--registry', join(dir, 'ports.yaml'), 'systemd', '--root', dir];
  return { dir, write: () => ports(args), check: () => ports([...args, '--check']) };
}

/** What the write printed after `UNIT: ` (its advice for a unit-file claim). */
const adviceOf = (stdout: string, unit: string) => stdout.split('\n').find((line) => line.startsWith(`${unit}: `));

describe('ports systemd: a claim line in a drop-in of its own that a later drop-in clears', () => {
  it('the claim drop-in the write makes, cleared by a later drop-in: the write warns as --check fails (it said every file unchanged)', async () => {
    const { dir, write, check } = await root({ ...DNS_IN_OVERRIDE, [`${ETC}/api.service.d/zz-local.conf`]: `${CLEAR}ExecStartPre=/bin/true\n` });
    const reason =
      'api.service: the empty ExecStartPre= in /etc/systemd/system/api.service.d/zz-local.conf:2 clears every earlier ExecStartPre= of api.service, the claim-port line included, so nothing frees port 20080 before it starts; remove that line or add the claim after it';
    const first = await write();
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`warning: ${reason}\n`);
    const again = await write();
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`unchanged ${join(dir, ETC, 'api.service.d/claim-port.conf')}\n`);
    expect(again.stderr).toContain(
      `warning: ${reason}\n1 problem: the files are written as the registry asks, but the units systemd would load under ${dir} do not claim their ports as they should (said above); \`ports --registry ${join(dir, 'ports.yaml')} systemd --root ${dir} --check\` fails until it is fixed\n`,
    );
    const checked = await check();
    expect([checked.code, checked.stdout]).toEqual([1, `${reason}\n`]);
  });

  it('the line in place and nothing clearing it: the write says nothing to do, --check passes', async () => {
    const { dir, write, check } = await root(DNS_IN_OVERRIDE);
    expect(adviceOf((await write()).stdout, 'dns@main.service')).toBe(
      `dns@main.service: its unit file claims the port; this line is already in ${join(dir, ETC, 'dns@main.service.d/override.conf')}, a drop-in of its own, nothing to do:`,
    );
    const run = await check();
    expect([run.code, run.stderr]).toEqual([0, '']);
  });

  it("an instance's override.conf cleared by a later drop-in of its own: --check and the write name the clearing file:line, neither says nothing to do", async () => {
    const { dir, write, check } = await root({ ...DNS_IN_OVERRIDE, [`${ETC}/dns@main.service.d/zz.conf`]: CLEAR });
    const written = await write();
    expect(written.code).toBe(0);
    expect(adviceOf(written.stdout, 'dns@main.service')).toBe(
      `dns@main.service: its unit file claims the port; this line is in ${join(dir, ETC, 'dns@main.service.d/override.conf')}, ` +
        `but the empty ExecStartPre= in ${join(dir, ETC, 'dns@main.service.d/zz.conf')}:2 clears every earlier ExecStartPre=, this line included, ` +
        'so nothing frees the port before the unit starts; remove that empty ExecStartPre= or put this line after it:',
    );
    // Not one to add by hand: it is there.
    expect(written.stderr).not.toContain('claims its port in its own unit file');
    const run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('nothing to do');
    expect(run.stdout).toBe(
      'dns@main.service: the empty ExecStartPre= in /etc/systemd/system/dns@main.service.d/zz.conf:2 clears every earlier ExecStartPre= of dns@main.service, ' +
        'the claim-port line included, so nothing frees port 25353/udp before it starts; remove that line or add the claim after it\n',
    );
  });

  it('the type-wide service.d/zz.conf: --check names it for every unit it clears, the instance and the drop-in claim alike', async () => {
    const { write, check } = await root({ ...DNS_IN_OVERRIDE, [`${ETC}/service.d/zz.conf`]: CLEAR });
    expect(adviceOf((await write()).stdout, 'dns@main.service')).toContain('/etc/systemd/system/service.d/zz.conf:2 clears every earlier ExecStartPre=');
    const run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('nothing to do');
    for (const [unit, port] of [
      ['api.service', '20080'],
      ['dns@main.service', '25353/udp'],
    ])
      expect(run.stdout).toContain(
        `${unit}: the empty ExecStartPre= in /etc/systemd/system/service.d/zz.conf:2 clears every earlier ExecStartPre= of ${unit}, the claim-port line included, so nothing frees port ${port} before it starts`,
      );
  });

  it('a package\'s unit with the line in its override.conf, cleared after it: the clearing line named, never "replace the line with the line"', async () => {
    const registry = `version: 1\nservices:\n${service('api', 20080, '{ unit: api.service, claim: unit }')}`;
    const line = 'ExecStartPre=+/usr/local/bin/claim-port 20080 --registry /ports.yaml';
    const { dir, write, check } = await root(
      { 'ports.yaml': registry, [`${ETC}/api.service.d/override.conf`]: `[Service]\n${line}\n`, [`${ETC}/api.service.d/zz.conf`]: CLEAR },
      LIB,
    );
    expect(adviceOf((await write()).stdout, 'api.service')).toContain(
      `this line is in ${join(dir, ETC, 'api.service.d/override.conf')}, but the empty ExecStartPre= in ${join(dir, ETC, 'api.service.d/zz.conf')}:2 clears`,
    );
    const run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'api.service: the empty ExecStartPre= in /etc/systemd/system/api.service.d/zz.conf:2 clears every earlier ExecStartPre= of api.service, ' +
        'the claim-port line included, so nothing frees port 20080 before it starts; remove that line or add the claim after it\n',
    );
  });

  it("the operator's unit file holding the line, cleared by a drop-in: the write names the clearing line too, as --check does", async () => {
    const registry = `version: 1\nservices:\n${service('api', 20080, '{ unit: api.service, claim: unit }')}`;
    const { dir, write, check } = await root({
      'ports.yaml': registry,
      [`${ETC}/api.service`]: '[Service]\nExecStart=/bin/true\nExecStartPre=+/usr/local/bin/claim-port 20080 --registry /ports.yaml\n',
      [`${ETC}/api.service.d/zz.conf`]: CLEAR,
    });
    const said = adviceOf((await write()).stdout, 'api.service');
    expect(said).toContain(
      `this line is in ${join(dir, ETC, 'api.service')}, but the empty ExecStartPre= in ${join(dir, ETC, 'api.service.d/zz.conf')}:2 clears`,
    );
    expect(said).not.toContain('nothing to do');
    expect((await check()).stdout).toContain('api.service: the empty ExecStartPre= in /etc/systemd/system/api.service.d/zz.conf:2 clears');
  });
});

describe('ports systemd --out DIR --check: a drop-in in DIR that clears the claim, as systemd reads DIR copied into /etc/systemd/system', () => {
  /** DIR written for the registry (redis by a claim drop-in, svc in its unit file, which DIR holds with its line), then `files` added. */
  async function out(files: Record<string, TreeEntry>) {
    const dir = tempDir('dsa110-ports-out-cleared-');
    const registry = writeTree(tempDir('dsa110-ports-out-reg-'), {
      'ports.yaml': `version: 1\nservices:\n${service('redis', 26379, '{ unit: redis-server.service, claim: drop-in }')}${service('svc', 26380, '{ unit: svc.service, claim: unit }')}`,
    });
    const args = ['--registry', join(registry, 'ports.yaml'), 'systemd', '--out', join(dir, 'units')];
    expect((await ports(args)).code).toBe(0);
    const line = `ExecStartPre=+/usr/local/bin/claim-port 26380 --registry ${join(registry, 'ports.yaml')}`;
    // REGISTRY in a file: the registry's path (a claim line naming none reads the bundled one, which --check says).
    const named = Object.fromEntries(
      Object.entries(files).map(([path, text]) => [path, typeof text === 'string' ? text.replaceAll('REGISTRY', join(registry, 'ports.yaml')) : text]),
    );
    writeTree(join(dir, 'units'), { 'svc.service': `[Service]\n${line}\nExecStart=/bin/true\n`, ...named });
    return { units: join(dir, 'units'), run: await ports([...args, '--check']) };
  }
  const cleared = (units: string, at: string, unit: string, claim: string, port: number) =>
    `${join(units, at)}: the empty ExecStartPre= here clears every earlier ExecStartPre= of ${unit}, its claim line in ${join(units, claim)} included, ` +
    `so once ${units} is copied into /etc/systemd/system as laid out nothing frees port ${port} before it starts; remove that line or add the claim after it`;

  it('nothing clearing: passes', async () => {
    const { run } = await out({ 'redis-server.service.d/aa.conf': CLEAR });
    // aa.conf sorts before claim-port.conf: systemd reads the claim after the clearing line.
    expect([run.code, run.stderr]).toEqual([0, '']);
  });

  it("a later drop-in of the unit's own: fails, naming it", async () => {
    const { units, run } = await out({ 'redis-server.service.d/zz-local.conf': CLEAR });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      `${cleared(units, 'redis-server.service.d/zz-local.conf:2', 'redis-server.service', 'redis-server.service.d/claim-port.conf', 26379)}\n`,
    );
  });

  it('the type-wide service.d/: fails for every unit it clears, the drop-in claim and the unit file alike', async () => {
    const { units, run } = await out({ 'service.d/zz.conf': CLEAR });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(cleared(units, 'service.d/zz.conf:2', 'redis-server.service', 'redis-server.service.d/claim-port.conf', 26379));
    expect(run.stdout).toContain(cleared(units, 'service.d/zz.conf:2', 'svc.service', 'svc.service', 26380));
  });

  // systemd reads the drop-in directories of each of a unit's names (checked with systemd-analyze verify 252: with the
  // claim-port path missing it says "not executable" without zz.conf, nothing with it), as --check under a root does.
  it("an alias's drop-in directory (redis.service, a link to the unit's file in DIR, as `systemctl enable` makes for Alias=): fails, naming it", async () => {
    const { units, run } = await out({
      'redis-server.service': '[Service]\nExecStart=/bin/true\n',
      'redis.service': { symlink: 'redis-server.service' },
      'redis.service.d/zz.conf': CLEAR,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`${cleared(units, 'redis.service.d/zz.conf:2', 'redis-server.service', 'redis-server.service.d/claim-port.conf', 26379)}\n`);
  });

  it("the registry's unit an alias (a link to foo.service in DIR): foo.service.d/ clears it, and fails, for a drop-in claim and a unit-file claim alike", async () => {
    const { units, run } = await out({
      'foo.service': '[Service]\nExecStart=/bin/true\n',
      'redis-server.service': { symlink: 'foo.service' },
      'foo.service.d/zz.conf': CLEAR,
      'bar.service': '[Service]\nExecStartPre=+/usr/local/bin/claim-port 26380 --registry REGISTRY\nExecStart=/bin/true\n',
      'svc.service': { symlink: 'bar.service' },
      'bar.service.d/zz.conf': CLEAR,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(cleared(units, 'foo.service.d/zz.conf:2', 'redis-server.service', 'redis-server.service.d/claim-port.conf', 26379));
    expect(run.stdout).toContain(cleared(units, 'bar.service.d/zz.conf:2', 'svc.service', 'svc.service', 26380));
  });

  // The link `systemctl enable` makes for Alias= of a package's unit names the unit file where it lies, out of DIR: once
  // DIR is in /etc/systemd/system, a link into a unit directory of systemd's is an alias all the same (checked with
  // systemd-analyze verify --root 252, DIR copied into ROOT/etc/systemd/system: with zz.conf the claim line is not run).
  it.each([
    ['an absolute link to /lib/systemd/system', '/lib/systemd/system/redis-server.service'],
    ['a relative link out of DIR (taken from /etc/systemd/system)', '../../../usr/lib/systemd/system/redis-server.service'],
  ])("an alias's drop-in directory, the alias %s: fails, naming it", async (_, target) => {
    const { units, run } = await out({ 'redis.service': { symlink: target }, 'redis.service.d/zz.conf': CLEAR });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`${cleared(units, 'redis.service.d/zz.conf:2', 'redis-server.service', 'redis-server.service.d/claim-port.conf', 26379)}\n`);
  });

  it("the registry's unit an alias of a unit out of DIR: that unit's drop-in directory in DIR clears it, and fails", async () => {
    const { units, run } = await out({ 'redis-server.service': { symlink: '/usr/lib/systemd/system/foo.service' }, 'foo.service.d/zz.conf': CLEAR });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`${cleared(units, 'foo.service.d/zz.conf:2', 'redis-server.service', 'redis-server.service.d/claim-port.conf', 26379)}\n`);
  });

  it('a link out of the unit directories (a linked unit file, no alias): its drop-in directory is not read, and passes', async () => {
    const { run } = await out({ 'redis.service': { symlink: '/opt/redis/redis-server.service' }, 'redis.service.d/zz.conf': CLEAR });
    expect([run.code, run.stderr]).toEqual([0, '']);
  });

  it('a link that is no alias (another type of unit): its drop-in directory is not read, and passes', async () => {
    const { run } = await out({
      'redis-server.service': '[Service]\nExecStart=/bin/true\n',
      'redis.socket': { symlink: 'redis-server.service' },
      'redis.socket.d/zz.conf': CLEAR,
    });
    expect([run.code, run.stderr]).toEqual([0, '']);
  });

  it('a claim line of its port read after the clearing one: that claim runs, and passes', async () => {
    const { run } = await out({ 'svc.service.d/zz.conf': `${CLEAR}ExecStartPre=+/usr/local/bin/claim-port 26380 --registry REGISTRY\n` });
    expect([run.code, run.stderr]).toEqual([0, '']);
  });
});
