// The listening check's "by its names it listens on port N" against a real
// listener run under an account this host's passwd does not name (uid 4242:
// an LDAP account, or one only the checked root's passwd holds), as the unit's
// User= gives it: by name, by number, by a name only the root's passwd holds,
// and by a name no passwd holds (LDAP, sssd), where only the unit's cgroup can
// say the process is the service's. A name none of these resolves is never
// taken for the service: no hint rather than a false one.
import { userInfo } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupsWritable, makeUnitCgroup } from '../../../../test-support/cgroup.js';
import { isAlive, signal, spawnListener, waitForExit } from '../../../../test-support/index.js';
import { checkListening } from '../../src/checks/listening.js';
import { checkUnknownListeners } from '../../src/checks/unknown-listeners.js';
import { gather } from '../../src/gather.js';
import type { Facts } from '../../src/types.js';
import { quietPort, tempDir, testRegistry, writeTree, type ServiceSpec } from '../helpers.js';

const isRoot = process.getuid?.() === 0;
const UNIT = `dsa110-api-s66-${process.pid}.service`;
/** A uid this host's passwd names no account for (the listener runs as it). */
const UID = 4242;
/** The root's passwd: `api-svc` and `api-alias` are uid 4242 there, `ldap-api` is in no passwd (an LDAP account). */
const PASSWD = `root:x:0:0::/root:/bin/sh\napi-svc:x:${UID}:${UID}::/srv/api:/usr/sbin/nologin\napi-alias:x:${UID}:${UID}::/srv/api:/usr/sbin/nologin\n`;

/** A cgroup made for a test: its processes killed (by PID) and the cgroup removed after it. */
const cgroups: { pids: number[]; remove: () => void }[] = [];
afterEach(async () => {
  for (const { pids, remove } of cgroups.splice(0)) {
    for (const pid of pids) if (isAlive(pid)) signal(pid, 'SIGKILL');
    await Promise.all(pids.map((pid) => waitForExit(pid)));
    remove();
  }
});

/**
 * A listener named as the service is, as uid 4242, on a port of its own; the service's registry port is a quiet one.
 * Both below the ephemeral range: only a listener there is an unknown listener (a leased port may be above it).
 */
async function strayAsUid(): Promise<{ pid: number; old: number; api: ServiceSpec }> {
  const listener = await spawnListener({ host: '127.0.0.1', port: quietPort(new Set()), name: 'stray-api', user: String(UID) });
  const given = quietPort(new Set([listener.port]));
  return {
    pid: listener.pid,
    old: listener.port,
    api: { id: 'api', port: given, group: 'production', access: 'private', unit: UNIT, processes: ['stray-api'] },
  };
}

/** The facts of a root whose unit runs the service as `user` (under that root's passwd). */
function factsAs(api: ServiceSpec, user: string): Promise<Facts> {
  const root = writeTree(tempDir(), { [`etc/systemd/system/${UNIT}`]: `[Service]\nUser=${user}\nExecStart=/usr/bin/stray-api\n`, 'etc/passwd': PASSWD });
  return gather({ registry: testRegistry([api]), root, firewall: false });
}

const hint = (old: number) => `; by its names it listens on port ${old} (127.0.0.1:${old}, held by stray-api (pid `;

describe.skipIf(!isRoot)('listening: where the service listens instead, under an account by uid', () => {
  it('a User= name the root’s passwd gives the uid the holder runs as (this host names it not): the hint, and the unknown listener says whose', async () => {
    const { pid, old, api } = await strayAsUid();
    const facts = await factsAs(api, 'api-svc');
    const [result] = checkListening(facts, facts.registry.service('api'));
    expect(result!.reason).toContain(hint(old));
    expect(result!.reason).toContain(`(pid ${pid}, uid ${UID}): stray-api), not on ${api.port}: if ${api.port} is new to it`);
    expect(checkUnknownListeners(facts, { strict: false }).find((r) => r.port === old)!.reason).toContain("by its names it is Api's (api)");
  });

  it('a User= given as that uid: the hint', async () => {
    const { old, api } = await strayAsUid();
    const facts = await factsAs(api, String(UID));
    expect(checkListening(facts, facts.registry.service('api'))[0]!.reason).toContain(hint(old));
  });

  it('a User= the holder’s uid is not (another account, by the root’s passwd): no hint', async () => {
    const { api } = await strayAsUid();
    const facts = await factsAs(api, 'root');
    expect(checkListening(facts, facts.registry.service('api'))[0]!.reason).not.toContain('by its names');
  });

  it('a User= no passwd names (LDAP), the holder in no unit’s cgroup: no hint, as nothing tells it is the service', async () => {
    const { api } = await strayAsUid();
    const facts = await factsAs(api, 'ldap-api');
    expect(checkListening(facts, facts.registry.service('api'))[0]!.reason).not.toContain('by its names');
  });

  it.skipIf(!cgroupsWritable)('a User= no passwd names (LDAP), the holder in the unit’s own cgroup: the hint (systemd put it there)', async () => {
    const cgroup = makeUnitCgroup(UNIT)!;
    const { pid, old, api } = await strayAsUid();
    cgroups.push({ pids: [pid], remove: cgroup.remove });
    cgroup.move(pid);
    const facts = await factsAs(api, 'ldap-api');
    expect(checkListening(facts, facts.registry.service('api'))[0]!.reason).toContain(hint(old));
  });

  it('the root’s passwd is read only where a holder may be the service under another name: not for a service up as its User=', async () => {
    const { api } = await strayAsUid();
    const accounts = (await factsAs(api, 'api-svc')).accounts;
    expect(accounts?.get('api-svc')).toBe(UID);
    // A second name for the uid is an account too (getpwnam finds it), not hidden by the first entry for the uid.
    expect(accounts?.get('api-alias')).toBe(UID);
    const healthy = await spawnListener({ host: '127.0.0.1', name: 'stray-api' });
    const up = await factsAs({ ...api, port: healthy.port }, userInfo().username);
    expect(up.accounts).toBeUndefined();
  });
});
