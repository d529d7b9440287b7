// The owner check against a real redis-server holding Redis's port that its
// unit did not start: run by hand in a login session under another account
// than the unit's User= (a squatter: Redis's clients talk to it), under the
// unit's own (an operator's test copy: said nothing of), inside the unit's
// cgroup (the unit's own process, started before User= was set), and where
// nothing proves a copy: under a user's manager (rootless podman), in no
// unit's cgroup, or with a User= no passwd entry names (LDAP). The server runs on a
// leased loopback port above 20000 in a temp dir, saving nothing, and is
// stopped by its PID.
import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { userInfo } from 'node:os';
import { readListenSocketsSync } from '@dsa110/ports/system';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupsWritable, makeUnitCgroup } from '../../../../test-support/cgroup.js';
import { recordSpawned } from '../../../../test-support/guard.js';
import { hasCommand, isAlive, leasePort, signal, waitForExit, waitUntil } from '../../../../test-support/index.js';
import { checkOwner } from '../../src/checks/owner.js';
import { gather } from '../../src/gather.js';
import type { CheckResult } from '../../src/types.js';
import { tempDir, testRegistry, writeTree } from '../helpers.js';

const isRoot = process.getuid?.() === 0;
const UNIT = `redis-server-s65-${process.pid}.service`;
const NOBODY = userInfo().uid === 0 ? { uid: 65534, name: 'nobody' } : undefined;

const started: number[] = [];
afterEach(async () => {
  const pids = started.splice(0);
  for (const pid of pids) if (isAlive(pid)) signal(pid, 'SIGKILL');
  await Promise.all(pids.map((pid) => waitForExit(pid)));
});

/** A redis-server on a leased loopback port, as nobody, listening when this returns. */
async function redisAsNobody(): Promise<{ pid: number; port: number }> {
  const port = leasePort({ ranges: [[20001, 30000]] });
  const dir = tempDir();
  // Its working directory: nobody's to enter.
  chmodSync(dir, 0o755);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
    cwd: dir,
    uid: NOBODY!.uid,
    gid: NOBODY!.uid,
  });
  recordSpawned(child.pid!);
  started.push(child.pid!);
  expect(await waitUntil(() => readListenSocketsSync({ ports: new Set([port]) }).length > 0)).toBe(true);
  return { pid: child.pid!, port };
}

/** The root's passwd: redis is an account there, ldap-redis (an LDAP account) is not. */
const PASSWD = 'root:x:0:0::/root:/bin/sh\nredis:x:4711:4711::/var/lib/redis:/usr/sbin/nologin\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n';

async function owner(port: number, user: string): Promise<CheckResult[]> {
  const root = writeTree(tempDir(), {
    [`etc/systemd/system/${UNIT}`]: `[Service]\nExecStart=/usr/bin/redis-server /etc/redis/redis.conf\nUser=${user}\n`,
    'etc/passwd': PASSWD,
  });
  const registry = testRegistry([{ id: 'redis', port, access: 'localhost', group: 'production', processes: ['redis-server'], unit: UNIT }]);
  return checkOwner(await gather({ registry, root, firewall: false }), registry.service('redis'));
}

/** Runs `body` with a cgroup named `name` (a unit's, a session's scope) made, and what it started killed and the cgroup removed after. */
async function inCgroup(name: string, body: (move: (pid: number) => void) => Promise<void>): Promise<void> {
  const cgroup = makeUnitCgroup(name)!;
  try {
    await body(cgroup.move);
  } finally {
    const pids = started.splice(0);
    for (const pid of pids) if (isAlive(pid)) signal(pid, 'SIGKILL');
    await Promise.all(pids.map((pid) => waitForExit(pid)));
    cgroup.remove();
  }
}

const SESSION = `session-s65${process.pid}.scope`;

describe.skipIf(!isRoot || !hasCommand('redis-server'))('owner: a redis-server on Redis’s port that its unit did not start', () => {
  it.skipIf(!cgroupsWritable)('in a login session under another account than User=: an error naming the PID and the account, and what to do', () =>
    inCgroup(SESSION, async (move) => {
      const { pid, port } = await redisAsNobody();
      move(pid);
      const [result, ...more] = await owner(port, 'redis');
      expect(more).toEqual([]);
      expect(result).toMatchObject({ severity: 'error', file: `/etc/systemd/system/${UNIT}:3` });
      expect(result!.reason).toMatch(
        new RegExp(`^redis \\(${port}\\): port ${port} is held by redis-server \\(pid ${pid}, user nobody\\): redis-server 127\\.0\\.0\\.1:${port}: `),
      );
      expect(result!.reason).toContain(`: the name matches, but ${UNIT} runs Redis as "redis" (User= in /etc/systemd/system/${UNIT}:3 under `);
      expect(result!.reason).toMatch(
        new RegExp(
          `\\): another copy under user nobody, started by hand or by another unit, holds the port, and Redis's clients reach it, not Redis; stop it \\(as root: \`kill ${pid}\`\\), then restart ${UNIT.replace(/\./g, '\\.')}$`,
        ),
      );
    }),
  );

  it.skipIf(!cgroupsWritable)('under a user’s own manager (rootless podman: a subuid, user@N.service): a warning, no kill', () =>
    inCgroup('user@1001.service', async (move) => {
      const { pid, port } = await redisAsNobody();
      move(pid);
      const [result, ...more] = await owner(port, 'redis');
      expect(more).toEqual([]);
      expect(result).toMatchObject({ severity: 'warning', file: `/etc/systemd/system/${UNIT}:3` });
      expect(result!.reason).toContain(`: the name matches, but ${UNIT} runs Redis as "redis" (User= in /etc/systemd/system/${UNIT}:3 under `);
      expect(result!.reason).toContain(
        `, and no holder runs as that account; whether it is Redis or another copy is not known, as no cgroup shows whether it runs in a login session or another service (it may be in a container, a user’s own manager, or none): if it is another copy, stop it and restart ${UNIT}; if it is Redis (in a container, or under an account this check cannot resolve), leave it`,
      );
      expect(result!.reason).not.toContain('kill');
    }),
  );

  it('in no unit’s cgroup (here: the suite’s own, `/` without systemd, or a container’s): a warning, no kill', async () => {
    const { port } = await redisAsNobody();
    const [result] = await owner(port, 'redis');
    expect(result!.severity).toBe('warning');
    expect(result!.reason).not.toContain('kill');
    // Says plainly what is not known, and what to do either way.
    expect(result!.reason).toContain('and no holder runs as that account; whether it is Redis or another copy is not known, as ');
    expect(result!.reason).toMatch(
      /: if it is another copy, stop it and restart \S+; if it is Redis \(in a container, or under an account this check cannot resolve\), leave it$/,
    );
  });

  it.skipIf(!cgroupsWritable)('with a User= no passwd entry of the root names (an LDAP account), even in a login session: a warning, no kill', () =>
    inCgroup(SESSION, async (move) => {
      const { pid, port } = await redisAsNobody();
      move(pid);
      const [result] = await owner(port, 'ldap-redis');
      expect(result!.severity).toBe('warning');
      expect(result!.reason).toContain(`; whether it is Redis or another copy is not known, as "ldap-redis" names no account in `);
      expect(result!.reason).toContain('/etc/passwd (an LDAP or sssd account?), so this check cannot tell which uid it is: if it is another copy');
      expect(result!.reason).not.toContain('kill');
    }),
  );

  it('under the unit’s own account (an operator’s test copy): nothing to say', async () => {
    const { port } = await redisAsNobody();
    expect((await owner(port, 'nobody')).map((result) => result.severity)).toEqual(['ok']);
  });

  it.skipIf(!cgroupsWritable)('in the unit’s own cgroup under another account: the unit started it before User= was set (a warning)', async () => {
    const cgroup = makeUnitCgroup(UNIT)!;
    try {
      const { pid, port } = await redisAsNobody();
      cgroup.move(pid);
      const [result] = await owner(port, 'redis');
      expect(result).toMatchObject({ severity: 'warning', file: `/etc/systemd/system/${UNIT}:3` });
      expect(result!.reason).toMatch(
        new RegExp(
          `, which runs in ${UNIT.replace(/\./g, '\\.')} but not as "redis" \\(User= in /etc/systemd/system/\\S+ under \\S+\\): it started before that User= was set; restart \\S+$`,
        ),
      );
    } finally {
      const pids = started.splice(0);
      for (const pid of pids) if (isAlive(pid)) signal(pid, 'SIGKILL');
      await Promise.all(pids.map((pid) => waitForExit(pid)));
      cgroup.remove();
    }
  });
});
