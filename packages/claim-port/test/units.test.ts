// Which unit a holder is in, as systemd counts it (cg_path_get_unit: the first
// unit after the slices; a user manager's own unit under user@UID.service), and
// what claim-port does with it: a user manager's unit's Restart= read up front
// from that manager's search path, a unit's delegated subtree or a nested
// manager's payload taken for the unit that holds it, claim-port's own unit told
// apart by its manager, and a cgroup's name never printed as fields of its own.
// Real processes in real cgroups made for the test (cgroup.ts), under a slice of
// the test's own; unit files in a directory given as $SYSTEMD_UNIT_PATH, or in a
// user manager's runtime directory (/run/user/UID) of a uid no one has.
import { spawn } from 'node:child_process';
import { existsSync, lchownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeUnit } from '../src/shown-name.js';
import { isAlive, isSpawned, signal, spawnListener, waitForExit } from '../../../test-support/index.js';
import { recordSpawned } from '../../../test-support/guard.js';
import { cgroupsWritable, makeCgroupPath } from '../../../test-support/cgroup.js';
import { python, RESPAWN } from './helpers.js';
import { claimOursLogged } from './started.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A slice of this test's own, so that nothing is made in the host's system.slice, machine.slice or user.slice. */
const slice = `claim-port-units-${process.pid}.slice`;

/** The cgroup `path` under the test's slice, removed after the test (after what runs in it is killed). */
function cgroupAt(path: string) {
  const cgroup = makeCgroupPath(`${slice}/${path}`)!;
  cleanups.push(() => cgroup.remove());
  return cgroup;
}

/** A listener of ours in the cgroup `path` (under the test's slice). */
async function holderIn(path: string) {
  const cgroup = cgroupAt(path);
  const server = await spawnListener();
  cleanups.push(() => server.kill());
  cgroup.move(server.pid);
  return server;
}

function unitDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'claim-port-units-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** A uid no passwd entry has and whose runtime directory (/run/user/UID) is not there: its user manager's units are the test's. */
function unusedUid(): number | undefined {
  const passwd = readFileSync('/etc/passwd', 'utf8');
  for (let uid = 3_900_000 + (process.pid % 50_000); uid < 4_000_000; uid += 50_000)
    if (!passwd.split('\n').some((line) => line.split(':')[2] === String(uid)) && !existsSync(`/run/user/${uid}`)) return uid;
  return undefined;
}

/** `/run/user/UID/systemd/transient` (where `systemd-run --user` puts a unit) holding `files`; what was made is removed after. */
function userRuntimeUnits(uid: number, files: Record<string, string>): void {
  const top = existsSync('/run/user') ? `/run/user/${uid}` : '/run/user';
  const dir = `/run/user/${uid}/systemd/transient`;
  mkdirSync(dir, { recursive: true });
  cleanups.push(() => rmSync(top, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

const ALWAYS = '[Service]\nExecStart=/bin/true\nRestart=always\n';
const uid = cgroupsWritable ? unusedUid() : undefined;

describe.skipIf(!cgroupsWritable || uid === undefined)("a user manager's unit: its Restart= judged up front, from that manager's search path", () => {
  it('Restart=always in the user manager’s runtime directory: refused, naming the unit, its manager and the command as that user', async () => {
    const unit = `claim-port-user-${process.pid}.service`;
    userRuntimeUnits(uid!, { [unit]: ALWAYS });
    const server = await holderIn(`user@${uid}.service/app.slice/${unit}`);
    for (const dryRun of [true, false]) {
      const { result } = await claimOursLogged(server.port, { dryRun });
      expect(result.action).toBe('refused');
      expect(result.holders[0]).toMatchObject({ pid: server.pid, unit });
      expect(result.message).toContain(`belongs to ${unit} (of user@${uid}.service), which would start it again (Restart=always`);
      expect(result.message).toContain(`/run/user/${uid}/systemd/transient/${unit}`);
      expect(result.message).toContain(`(systemctl --user stop ${unit}, as uid ${uid})`);
      expect(isAlive(server.pid)).toBe(true);
    }
  });

  it('a unit file that is a link its user owns is not followed as root: a warning, and the Restart= of what it points at is not taken', async () => {
    const unit = `claim-port-user-${process.pid}-link.service`;
    // A file only root may read, which the user's link points root at: followed, Restart=always would refuse the claim.
    const secret = unitDir({ 'secret.service': ALWAYS });
    userRuntimeUnits(uid!, {});
    const link = `/run/user/${uid}/systemd/transient/${unit}`;
    symlinkSync(join(secret, 'secret.service'), link);
    lchownSync(link, uid!, uid!);
    const server = await holderIn(`user@${uid}.service/app.slice/${unit}`);
    const { result, warnings } = await claimOursLogged(server.port, { settleMs: 100 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${link}: cannot read: ${link} is a symbolic link owned by uid ${uid}, not by root`);
    expect(warnings[0]).toContain('assuming Restart=no');
    expect(result.action).toBe('freed');
  });

  it('no file of the unit in that search path: a warning that its Restart= is not known, and a watch that catches its restart', async () => {
    const unit = `claim-port-user-${process.pid}-nofile.service`;
    userRuntimeUnits(uid!, {});
    const path = `user@${uid}.service/app.slice/${unit}`;
    const server = await holderIn(path);
    // What the user manager's Restart= would do: another process of the unit takes the port once the holder is gone.
    const again = spawn(python, ['-c', RESPAWN, String(server.pid), String(server.port)], { stdio: 'ignore' });
    recordSpawned(again.pid!);
    cleanups.push(async () => {
      if (isSpawned(again.pid!) && isAlive(again.pid!)) signal(again.pid!, 'SIGKILL');
      // Gone before its cgroup is removed, or the removal fails.
      await waitForExit(again.pid!, 5000);
    });
    makeCgroupPath(`${slice}/${path}`)!.move(again.pid!);
    const { result, warnings, lines } = await claimOursLogged(server.port, { settleMs: 10_000 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`cannot tell the Restart= of ${unit} (of user@${uid}.service): `);
    expect(warnings[0]).toContain(`no file of ${unit} is in the default search path of user@${uid}.service`);
    expect(lines.some((line) => line.includes(`the Restart= of ${unit} (of user@${uid}.service) is not known`))).toBe(true);
    expect(result.action).toBe('failed');
    expect(result.message).toContain(`taken again by PID ${again.pid}`);
    expect(result.message).toContain(`stop ${unit} (of user@${uid}.service) first`);
  });
});

describe.skipIf(!cgroupsWritable)('the unit a process is in is the first after the slices: what lies below it is its own', () => {
  it("a holder in a unit's sub-cgroup (Delegate=yes) is that unit's: its Restart=always refuses the claim", async () => {
    const outer = `claim-port-outer-${process.pid}.service`;
    const dir = unitDir({ [outer]: `${ALWAYS}Delegate=yes\n` });
    const server = await holderIn(`${outer}/inner.service`);
    const { result } = await claimOursLogged(server.port, { env: { SYSTEMD_UNIT_PATH: dir } });
    expect(result.action).toBe('refused');
    expect(result.holders[0]).toMatchObject({ pid: server.pid, unit: outer });
    expect(result.message).toContain(`stop ${outer} first (systemctl stop ${outer})`);
    expect(isAlive(server.pid)).toBe(true);
  });

  it("a nested manager's payload (nspawn's) is the machine scope's: the host's unit of the payload's name is never read", async () => {
    const payload = `claim-port-nginx-${process.pid}.service`;
    const scope = `machine-claimport${process.pid}.scope`;
    const dir = unitDir({ [payload]: ALWAYS });
    const server = await holderIn(`${scope}/payload/system.slice/${payload}`);
    const { result } = await claimOursLogged(server.port, { env: { SYSTEMD_UNIT_PATH: dir }, settleMs: 100 });
    expect(result.holders[0]).toMatchObject({ pid: server.pid, unit: scope });
    expect(result.action).toBe('freed');
  });
});

describe.skipIf(!cgroupsWritable || uid === undefined)("claim-port's own unit is told by its manager too", () => {
  /** Runs `body` with this process (claim-port's, here) in the cgroup `path`, and puts it back where it was. */
  async function asIn<T>(path: string, body: () => Promise<T>): Promise<T> {
    const cgroup = cgroupAt(path);
    // The line of the hierarchy the cgroup was made in: v1's name=systemd, else v2's.
    const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
    const line = (cgroup.base.endsWith('/systemd') ? lines.find((l) => l.includes(':name=systemd:')) : undefined) ?? lines.find((l) => l.startsWith('0::'))!;
    const home = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    cgroup.move(process.pid);
    try {
      return await body();
    } finally {
      writeFileSync(join(cgroup.base, home, 'cgroup.procs'), String(process.pid));
    }
  }

  it("claim-port in a user manager's x.service does not spare a holder in the system's x.service", async () => {
    const unit = `claim-port-own-${process.pid}.service`;
    const dir = unitDir({ [unit]: ALWAYS });
    const server = await holderIn(unit);
    const { result } = await asIn(`user@${uid}.service/app.slice/${unit}`, () =>
      claimOursLogged(server.port, { env: { SYSTEMD_UNIT_PATH: dir }, dryRun: true }),
    );
    expect(result.action).toBe('refused');
    expect(result.message).toContain(`belongs to ${unit}, which would start it again (Restart=always`);
  });

  it("a holder in claim-port's own user unit is a leftover of it: not refused for its Restart=", async () => {
    const unit = `claim-port-own-${process.pid}-user.service`;
    userRuntimeUnits(uid!, { [unit]: ALWAYS });
    const path = `user@${uid}.service/app.slice/${unit}`;
    const server = await holderIn(path);
    const { result } = await asIn(path, () => claimOursLogged(server.port, { dryRun: true }));
    expect(result.action).toBe('would-free');
  });
});

describe('a unit name stands among a holder’s fields', () => {
  it.skipIf(!cgroupsWritable)('a cgroup named to close the field and fake others is no unit, and never prints as fields', async () => {
    const forged = 'x) (sshd, user root, parent 1, unit y.service';
    const server = await holderIn(forged);
    const { result, lines } = await claimOursLogged(server.port, { dryRun: true });
    expect(result.holders[0]!.unit).toBeUndefined();
    for (const line of lines) expect(line).not.toContain('(sshd, user root');
  });

  it('a unit name holding what could close its field prints quoted, as a process name does', () => {
    expect(describeUnit({ unit: 'x) (sshd.service' })).toBe('"x) (sshd.service"');
    expect(describeUnit({ unit: 'api.service', userManager: 'user@1000.service' })).toBe('api.service (of user@1000.service)');
  });
});
