// Pure decisions: protection, refusals, exit codes; on real process records where one exists.
import { readProcessInfo, type Listener, type ProcessInfo } from '@dsa110/ports/system';
import { describe, expect, it } from 'vitest';
import { exitCode } from '../src/exit-code.js';
import { planClaim, throughRingOnly } from '../src/plan.js';
import { globToRegExp, processNames } from '@dsa110/ports/system';
import { BUILTIN_POLICY, disguiseReason, isServiceManager, protectionReason, sandboxJoiner, sandboxReason } from '../src/policy.js';
import { mapsHostRoot, parseUidMap, type NamespaceMember } from '../src/namespace.js';
import type { Executable } from '../src/executable.js';

const proc = (over: Partial<ProcessInfo>): ProcessInfo => ({
  pid: 5000,
  ppid: 4000,
  uid: 0,
  realUid: 0,
  user: 'root',
  comm: 'node',
  exe: 'node',
  argv: ['node', 'server.js'],
  command: 'node server.js',
  startTime: 100,
  state: 'S',
  kernelThread: false,
  ...over,
});
const listener = (holders: ProcessInfo[], over: Partial<Listener> = {}): Listener => ({
  address: '127.0.0.1',
  family: 'IPv4',
  port: 8000,
  inode: 1,
  uid: 0,
  dualStack: false,
  holders,
  ownerKnown: holders.length > 0,
  ...over,
});
const self = { pid: 9000, ancestors: new Set([8999, 1]) };
const base = { port: 8000, unreadable: [], policy: BUILTIN_POLICY, self, uid: 0, euid: 0 };

describe('protectionReason', () => {
  it('protects PID <= 2, kernel threads, itself and its ancestors', () => {
    expect(protectionReason(proc({ pid: 1 }), BUILTIN_POLICY, self)).toMatch(/at or below 2/);
    // A higher bound is the registry's, not "init and kthreadd" (PID 402 is neither).
    expect(protectionReason(proc({ pid: 402 }), { ...BUILTIN_POLICY, protectedPidsUpTo: 1000 }, self)).toBe(
      'PID 402 is at or below 1000 (claim.protect.pidsUpTo)',
    );
    expect(protectionReason(proc({ pid: 77, kernelThread: true }), BUILTIN_POLICY, self)).toMatch(/kernel thread/);
    // PID 2 is kthreadd only when the kernel's flag says so: in a PID namespace (claim-port in a container) it is any process, unless the registry's bound covers it.
    expect(protectionReason(proc({ pid: 2, kernelThread: true }), BUILTIN_POLICY, self)).toBe('PID 2 is at or below 2 (init and kthreadd)');
    expect(protectionReason(proc({ pid: 2, kernelThread: false }), BUILTIN_POLICY, self)).toBeUndefined();
    expect(protectionReason(proc({ pid: 2, kernelThread: false }), { ...BUILTIN_POLICY, protectedPidsUpTo: 10 }, self)).toMatch(/claim\.protect\.pidsUpTo/);
    expect(protectionReason(proc({ pid: 9000 }), BUILTIN_POLICY, self)).toBe(
      'it is claim-port itself, which inherited the socket from the program that started it: start claim-port without that descriptor (close it, or mark it close-on-exec, before the exec)',
    );
    expect(protectionReason(proc({ pid: 8999 }), BUILTIN_POLICY, self)).toMatch(/ancestor/);
    expect(protectionReason(proc({}), BUILTIN_POLICY, self)).toBeUndefined();
  });
  it('keeps the floor (init, kthreadd) whatever bound a hand-made policy holds: NaN, none, negative, a string', () => {
    for (const protectedPidsUpTo of [Number.NaN, undefined, -5, 0, '1000'] as unknown as number[]) {
      const policy = { ...BUILTIN_POLICY, protectedPidsUpTo };
      expect(protectionReason(proc({ pid: 1 }), policy, self), String(protectedPidsUpTo)).toBe('PID 1 is at or below 2 (init and kthreadd)');
      expect(protectionReason(proc({ pid: 2, kernelThread: true }), policy, self), String(protectedPidsUpTo)).toBe(
        'PID 2 is at or below 2 (init and kthreadd)',
      );
    }
    expect(protectionReason(proc({ pid: 500 }), { ...BUILTIN_POLICY, protectedPidsUpTo: Number.POSITIVE_INFINITY }, self)).toMatch(/claim\.protect\.pidsUpTo/);
  });
  it('protects the init of another PID namespace, not the other processes in it', () => {
    expect(protectionReason(proc({ pid: 4242, namespacePid: 1 }), BUILTIN_POLICY, self)).toMatch(/PID 1 of its own PID namespace/);
    expect(protectionReason(proc({ pid: 4243, namespacePid: 7 }), BUILTIN_POLICY, self)).toBeUndefined();
  });
  it("unprotects the init of a PID namespace only when its user made it: a user's process in a user namespace mapping no host root, in no system container", () => {
    const init = proc({ pid: 4242, namespacePid: 1, uid: 1000, realUid: 1000 });
    const mappedUids = [{ first: 1000, count: 1 }];
    const userMade = {
      userNamespace: {
        mapsRoot: false,
        mappedUids,
        members: [{ pid: 4242, comm: 'python3', user: 'alice', uids: [1000, 1000, 1000, 1000], sameUserNamespace: true }],
      },
    };
    expect(protectionReason(init, BUILTIN_POLICY, self, undefined, userMade)).toBeUndefined();
    expect(sandboxReason(init, userMade)).toMatch(/maps no host root/);
    // A rootless container in the user's own service manager is the user's too.
    expect(sandboxReason(init, { ...userMade, container: 'abc', userManager: 'user@1000.service' })).toBeDefined();
    for (const [holder, facts] of [
      [init, undefined], // not known: not read, or a read failed
      [init, { userNamespace: { mapsRoot: true, mappedUids: [{ first: 0, count: 65536 }] } }], // root may run in it
      [init, { userNamespace: { mapsRoot: false, mappedUids } }], // its members could not be read
      [init, { ...userMade, container: 'abc' }], // a container of the system's runtime (userns-remap)
      [init, { ...userMade, systemUnit: true }], // a unit of the system's outside user.slice (systemd-nspawn -U, LXC)
      [proc({ pid: 4242, namespacePid: 1, uid: 0, realUid: 1000 }), userMade], // effective root
      [proc({ pid: 4242, namespacePid: 1, uid: 1000, realUid: 0 }), userMade], // real root
    ] as const) {
      expect(sandboxReason(holder, facts)).toBeUndefined();
      expect(protectionReason(holder, BUILTIN_POLICY, self, undefined, facts)).toMatch(/PID 1 of its own PID namespace/);
    }
    // Its names are still judged: a user's init named sshd that runs python is a disguise too; a genuine root-owned sshd is not.
    const named = proc({ pid: 4242, namespacePid: 1, uid: 1000, realUid: 1000, comm: 'sshd' });
    const rootOnly = { uid: 0, gid: 0, mode: 0o755 };
    expect(protectionReason(named, BUILTIN_POLICY, self, { path: '/usr/sbin/sshd', deleted: false, file: rootOnly, directory: rootOnly }, userMade)).toMatch(
      /"sshd"/,
    );
    const plan = planClaim({ ...base, listeners: [listener([init])], context: { holders: new Map([[4242, userMade]]) } });
    expect(plan).toMatchObject({ kind: 'signal' });
    expect(plan.kind === 'signal' && plan.disguised.get(4242)).toMatch(/^PID 1 of its own PID namespace/);
  });
  it('a user-made init is no sandbox of its user once a process that is not of its user namespace is in its PID namespace, or one that cannot be read', () => {
    const mappedUids = [{ first: 100000, count: 65536 }];
    const own = { pid: 4242, comm: 'python3', user: '100000', uids: [100000, 100000, 100000, 100000], sameUserNamespace: true };
    const facts = (...members: NamespaceMember[]) => ({ mapsRoot: false, mappedUids, members: [own, ...members] });
    expect(sandboxJoiner(facts())).toBeUndefined();
    // A nested user namespace that maps only what the init's maps, as a uid it maps.
    expect(sandboxJoiner(facts({ ...own, pid: 4250, sameUserNamespace: false, mappedUids: [{ first: 100005, count: 10 }] }))).toBeUndefined();
    const root = { pid: 4300, comm: 'sleep', user: 'root', uids: [0, 0, 0, 0], sameUserNamespace: false, mappedUids: [{ first: 0, count: 4294967295 }] };
    expect(sandboxJoiner(facts(root))).toBe('PID 4300 (sleep, user root) joined its PID namespace from outside its user namespace, and would die with it');
    // In its user namespace, as a uid it does not map (root that joined the user namespace too): its saved uid is root's.
    expect(sandboxJoiner(facts({ ...own, pid: 4301, comm: 'sh', uids: [100000, 100000, 0, 100000] }))).toBe(
      'PID 4301 (sh, user 100000) is in its PID namespace as uid 0, which its user namespace does not map, and would die with it',
    );
    expect(sandboxJoiner(facts({ ...own, pid: 4302, sameUserNamespace: false, mappedUids: [{ first: 100000, count: 65537 }] }))).toMatch(/^PID 4302 .* joined/);
    expect(sandboxJoiner(facts({ pid: 4303 }))).toBe('PID 4303, in its PID namespace, cannot be read');
    expect(sandboxJoiner({ mapsRoot: false, mappedUids })).toMatch(/could not be read/);
    // A comm is the process's choice: escaped.
    expect(sandboxJoiner(facts({ ...root, comm: 'x\n[claim-port:1] y' }))).toContain('(x\\n[claim-port:1] y, user root)');
    // A user namespace with no uid_map at all (unshare --user without --map-root-user): its processes keep the uids they
    // entered with, so the init's own (none of them root) prove a member; root that entered it (nsenter --user) does not.
    const nobody = { pid: 4242, comm: 'python3', user: 'nobody', uids: [65534, 65534, 65534, 65534], sameUserNamespace: true };
    const unmapped = (...members: NamespaceMember[]) => ({ mapsRoot: false, mappedUids: [], members: [nobody, ...members] });
    expect(sandboxJoiner(unmapped(), 4242)).toBeUndefined();
    expect(sandboxJoiner(unmapped({ ...nobody, pid: 4243, comm: 'sh' }), 4242)).toBeUndefined();
    expect(sandboxJoiner(unmapped({ ...nobody, pid: 4244, comm: 'sh', user: 'root', uids: [0, 0, 0, 0] }), 4242)).toBe(
      'PID 4244 (sh, user root) is in its PID namespace as uid 0, which its user namespace does not map, and would die with it',
    );
    // Only the init's own uids, and only when none of them is root; not known whose the namespace is: protected.
    expect(sandboxJoiner(unmapped(), undefined)).toMatch(/^PID 4242 .* as uid 65534, which its user namespace does not map/);
    expect(sandboxJoiner({ mapsRoot: false, mappedUids: [], members: [{ ...nobody, uids: [65534, 65534, 0, 65534] }] }, 4242)).toMatch(/as uid 65534,/);
    expect(sandboxReason(proc({ pid: 4242, namespacePid: 1, uid: 65534, realUid: 65534 }), { userNamespace: unmapped() })).toMatch(
      /^PID 1 of its own PID namespace, made in a user namespace that maps no host root/,
    );
    const init = proc({ pid: 4242, namespacePid: 1, uid: 100000, realUid: 100000 });
    expect(sandboxReason(init, { userNamespace: facts(root) })).toBeUndefined();
    expect(protectionReason(init, BUILTIN_POLICY, self, undefined, { userNamespace: facts(root) })).toMatch(
      /stop the container or sandbox instead \(its user made it, but PID 4300 \(sleep, user root\) joined its PID namespace/,
    );
    expect(parseUidMap('0 100000 65536\n')).toEqual([{ first: 100000, count: 65536 }]);
  });
  it('reads a uid_map: host root mapped or not, and nothing known from a malformed one', () => {
    expect(mapsHostRoot('         0      65534          1\n')).toBe(false);
    expect(mapsHostRoot('0 1000 1\n1 100000 65536\n')).toBe(false);
    expect(mapsHostRoot('0 0 4294967295\n')).toBe(true);
    expect(mapsHostRoot('0 100000 65536\n65536 0 1\n')).toBe(true);
    expect(mapsHostRoot('')).toBe(false);
    expect(mapsHostRoot('0 -1 1\n')).toBeUndefined();
    expect(mapsHostRoot('0 0\n')).toBeUndefined();
  });
  it('matches globs against comm, exe and argv[0]', () => {
    expect(protectionReason(proc({ comm: 'systemd-resolve' }), BUILTIN_POLICY, self)).toMatch(/"systemd-resolve" matches .*"systemd-\*"/);
    expect(protectionReason(proc({ comm: 'x', exe: 'dbus-daemon' }), BUILTIN_POLICY, self)).toMatch(/dbus-daemon/);
    expect(protectionReason(proc({ comm: 'x', exe: undefined, argv: ['/usr/sbin/sshd', '-D'] }), BUILTIN_POLICY, self)).toMatch(/sshd/);
    expect(protectionReason(proc({ comm: 'sshd: alice@pts/0' }), BUILTIN_POLICY, self)).toMatch(/sshd/);
    expect(protectionReason(proc({ comm: 'systemdx' }), BUILTIN_POLICY, self)).toBeUndefined();
    expect(protectionReason(proc({ comm: 'my-sshd-proxy' }), BUILTIN_POLICY, self)).toBeUndefined();
  });
  it('globs are anchored and escape regex characters', () => {
    expect(globToRegExp('a.b*').test('a.bc')).toBe(true);
    expect(globToRegExp('a.b*').test('axbc')).toBe(false);
    expect(globToRegExp('n?de').test('node')).toBe(true);
    expect(processNames(proc({ comm: 'node', exe: 'node', argv: ['-bash'] }))).toContain('bash');
  });
  it('reads real PID 1 and this process as protected where they hold a port', () => {
    const init = readProcessInfo(1);
    if (init) expect(protectionReason(init, BUILTIN_POLICY, self)).toMatch(/PID 1/);
    const kthreadd = readProcessInfo(2);
    if (kthreadd) expect(protectionReason(kthreadd, BUILTIN_POLICY, self)).toBeDefined();
  });
});

describe('disguiseReason: a protected name its user chose protects nothing', () => {
  const rootOnly = { uid: 0, gid: 0, mode: 0o755 };
  const runs = (path: string, over: Partial<Executable> = {}): Executable => ({ path, deleted: false, file: rootOnly, directory: rootOnly, ...over });
  const user = (over: Partial<ProcessInfo>) => proc({ uid: 1000, realUid: 1000, user: 'alice', ...over });
  const judge = (info: ProcessInfo, executable?: Executable) => ({
    disguise: disguiseReason(info, BUILTIN_POLICY, executable),
    protection: protectionReason(info, BUILTIN_POLICY, self, executable),
  });

  it('unmasks a renamed interpreter, a user’s copy, a writable file or directory', () => {
    const renamed = judge(user({ comm: 'sshd', exe: 'python3.11', argv: ['sshd'] }), runs('/usr/bin/python3.11'));
    expect(renamed).toEqual({
      disguise: 'named "sshd" (protected pattern "sshd") but runs /usr/bin/python3.11, which bears no protected name',
      protection: undefined,
    });
    // A script's name is the process's own choice too (python3 /tmp/sshd.py).
    expect(judge(user({ comm: 'python3', exe: 'python3.11', argv: ['python3', '/tmp/sshd.py'] }), runs('/usr/bin/python3.11')).disguise).toMatch(
      /which bears no protected name$/,
    );
    const cases: [Partial<Executable>, RegExp][] = [
      [{ file: { uid: 1000, gid: 1000, mode: 0o755 } }, /, owned by uid 1000$/],
      [{ file: { uid: 0, gid: 0, mode: 0o757 } }, /, which anyone may write$/],
      [{ file: { uid: 0, gid: 100, mode: 0o775 } }, /, which group 100 may write$/],
      [{ directory: { uid: 1000, gid: 1000, mode: 0o700 } }, /, in a directory owned by uid 1000$/],
      [{ directory: { uid: 0, gid: 0, mode: 0o1777 } }, /, in a directory anyone may write$/],
      [{ directory: { uid: 0, gid: 50, mode: 0o2775 } }, /, in a directory group 50 may write$/],
      [{ deleted: true, file: { uid: 1000, gid: 1000, mode: 0o755 } }, /^named "sshd" .* but runs \/home\/alice\/sshd \(deleted\), owned by uid 1000$/],
    ];
    for (const [over, why] of cases)
      expect(judge(user({ comm: 'sshd', exe: 'sshd' }), runs('/home/alice/sshd', over))).toEqual({
        disguise: expect.stringMatching(why),
        protection: undefined,
      });
    // The path is the process's: escaped.
    expect(judge(user({ comm: 'sshd' }), runs('/tmp/a\nb\u001b[2J/python3')).disguise).toContain('runs /tmp/a\\nb\\e[2J/python3,');
  });

  it('keeps the protection of every real program a user runs (root-owned, in root-only directories)', () => {
    const real: [Partial<ProcessInfo>, string][] = [
      // OpenSSH 9.8+: the user's half of a connection, titled "sshd-session: alice@pts/0" or "sshd: alice@pts/0".
      [{ comm: 'sshd-session', exe: 'sshd-session', argv: ['sshd: alice@pts/0'] }, '/usr/lib/openssh/sshd-session'],
      [{ comm: 'sshd', exe: 'sshd', argv: ['sshd: alice@notty'] }, '/usr/sbin/sshd'],
      [{ comm: 'systemd', exe: 'systemd', argv: ['/usr/lib/systemd/systemd', '--user'] }, '/usr/lib/systemd/systemd'],
      [{ comm: 'dbus-daemon', exe: 'dbus-daemon', argv: ['/usr/bin/dbus-daemon', '--session'] }, '/usr/bin/dbus-daemon'],
      [{ comm: 'conmon', exe: 'conmon', argv: ['/usr/bin/conmon'] }, '/usr/bin/conmon'],
      [{ comm: 'slirp4netns', exe: 'slirp4netns', argv: ['slirp4netns'] }, '/usr/bin/slirp4netns'],
      [{ comm: 'rootlessport', exe: 'rootlessport', argv: ['rootlessport'] }, '/usr/libexec/podman/rootlessport'],
      // pasta is a symlink to passt, re-executed as passt.avx2 on x86-64; podman 3 ran rootlessport as itself.
      [{ comm: 'pasta', exe: 'passt', argv: ['pasta', '--config-net'] }, '/usr/bin/passt'],
      [{ comm: 'passt.avx2', exe: 'passt.avx2', argv: ['pasta', '--config-net'] }, '/usr/bin/passt.avx2'],
      [{ comm: 'pasta.avx2', exe: 'pasta.avx2', argv: ['pasta', '--config-net'] }, '/usr/bin/pasta.avx2'],
      [{ comm: 'exe', exe: 'podman', argv: ['rootlessport'] }, '/usr/bin/podman'],
    ];
    for (const [over, path] of real) {
      const verdict = judge(user(over), runs(path));
      expect(verdict, path).toEqual({ disguise: undefined, protection: expect.stringMatching(/matches the built-in protected pattern/) });
    }
    // An alias vouches only for its own pattern's name: passt called sshd is a disguise.
    expect(judge(user({ comm: 'sshd', exe: 'passt' }), runs('/usr/bin/passt')).disguise).toMatch(/which bears no protected name$/);
    // After a package upgrade the running file is "(deleted)": still root's, still protected.
    expect(judge(user({ comm: 'sshd', exe: 'sshd' }), runs('/usr/sbin/sshd', { deleted: true })).disguise).toBeUndefined();
    // Root may let group root write, when no POSIX ACL lets others write through those bits (or one could not be told of).
    expect(judge(user({ comm: 'sshd', exe: 'sshd' }), runs('/usr/sbin/sshd', { directory: { uid: 0, gid: 0, mode: 0o775 } })).disguise).toBeUndefined();
    expect(
      judge(user({ comm: 'sshd', exe: 'sshd' }), runs('/usr/sbin/sshd', { directory: { uid: 0, gid: 0, mode: 0o775, acl: false } })).disguise,
    ).toBeUndefined();
    const unknown = { uid: 0, gid: 0, mode: 0o775, acl: 'ls exited with 2' };
    expect(judge(user({ comm: 'sshd', exe: 'sshd' }), runs('/usr/sbin/sshd', { file: unknown, directory: unknown })).disguise).toBeUndefined();
  });

  it("unmasks a program, or its directory, of root's group whose POSIX ACL lets users write (its group bits the ACL's mask)", () => {
    const acl = { uid: 0, gid: 0, mode: 0o775, acl: true };
    expect(judge(user({ comm: 'sshd', exe: 'sshd' }), runs('/opt/sshd', { file: acl })).disguise).toBe(
      'named "sshd" (protected pattern "sshd") but runs /opt/sshd, which the users and groups its POSIX ACL names (its mode\'s group-write bit is the ACL\'s mask) may write',
    );
    expect(judge(user({ comm: 'sshd', exe: 'sshd' }), runs('/opt/sshd', { directory: acl }))).toEqual({
      disguise:
        'named "sshd" (protected pattern "sshd") but runs /opt/sshd, in a directory the users and groups its POSIX ACL names (its mode\'s group-write bit is the ACL\'s mask) may write',
      protection: undefined,
    });
  });

  it('keeps protection whenever a fact is missing: a root holder, an unknown uid, an unread executable or directory', () => {
    const python = runs('/usr/bin/python3.11', { directory: { uid: 1000, gid: 1000, mode: 0o755 } });
    expect(judge(proc({ comm: 'sshd', uid: 0, realUid: 0 }), python).disguise).toBeUndefined();
    expect(judge(proc({ comm: 'sshd', uid: 1000, realUid: 0 }), python).disguise).toBeUndefined();
    expect(judge(proc({ comm: 'sshd', uid: 0, realUid: 1000 }), python).disguise).toBeUndefined();
    expect(judge(proc({ comm: 'sshd', uid: -1, realUid: -1 }), python).disguise).toBeUndefined();
    expect(judge(user({ comm: 'sshd' }), undefined)).toEqual({ disguise: undefined, protection: expect.stringMatching(/"sshd"/) });
    // No directory facts (another root directory, or gone): only the file and the name decide.
    const { directory: _, ...noDirectory } = runs('/home/alice/sshd');
    expect(judge(user({ comm: 'sshd', exe: 'sshd' }), noDirectory).disguise).toBeUndefined();
    // Not a protected name at all: nothing to unmask.
    expect(judge(user({ comm: 'uvicorn' }), python).disguise).toBeUndefined();
  });

  it('a name the registry added protects by itself, whoever runs the program from wherever; unprotecting a pattern drops its aliases', () => {
    const policy = { ...BUILTIN_POLICY, protectedProcesses: [...BUILTIN_POLICY.protectedProcesses, 'redis-server', 'dask-*'] };
    const userOwned = { uid: 1000, gid: 1000, mode: 0o755 };
    const trusted: [Partial<ProcessInfo>, Executable][] = [
      [{ comm: 'redis-server', exe: 'redis-server' }, runs('/usr/bin/redis-server')],
      // A Python program's script or module is its name: its executable is the interpreter, maybe a conda one in a service user's home.
      [
        { comm: 'dask-scheduler', exe: 'python3.11', argv: ['/srv/conda/bin/python3.11', '/srv/conda/bin/dask-scheduler'] },
        runs('/srv/conda/bin/python3.11', { file: userOwned, directory: userOwned }),
      ],
      [{ comm: 'redis-server', exe: 'node' }, runs('/usr/bin/node')],
    ];
    for (const [over, executable] of trusted) {
      expect(protectionReason(user(over), policy, self, executable), executable.path).toMatch(/matches the protected pattern "(redis-server|dask-\*)"/);
      expect(disguiseReason(user(over), policy, executable), executable.path).toBeUndefined();
    }
    // A built-in name is still unmasked under a policy that adds others.
    expect(disguiseReason(user({ comm: 'sshd', exe: 'python3.11' }), policy, runs('/usr/bin/python3.11'))).toMatch(/"sshd".*which bears no protected name/);
    // The registry listing a built-in name again trusts it no more than the built-in list does.
    const again = { ...BUILTIN_POLICY, protectedProcesses: [...BUILTIN_POLICY.protectedProcesses, 'sshd'] };
    expect(protectionReason(user({ comm: 'sshd', exe: 'python3.11' }), again, self, runs('/usr/bin/python3.11'))).toBeUndefined();
    const noPasta = { ...BUILTIN_POLICY, protectedProcesses: BUILTIN_POLICY.protectedProcesses.filter((glob) => glob !== 'pasta') };
    expect(disguiseReason(user({ comm: 'pasta', exe: 'passt' }), noPasta, runs('/usr/bin/passt'))).toBeUndefined(); // not protected to begin with
  });
});

describe('isServiceManager: proved by the program, never by a name', () => {
  const rootOnly = { uid: 0, gid: 0, mode: 0o755 };
  const program = (path: string, file: Executable['file'] = rootOnly, directory: Executable['directory'] = rootOnly): Executable => ({
    path,
    deleted: false,
    file,
    directory,
  });
  it.each([
    ['systemd, root-owned', program('/usr/lib/systemd/systemd'), true],
    ['init, root-owned', program('/sbin/init'), true],
    ['systemd deleted by an upgrade (a user manager still running the old one)', { ...program('/usr/lib/systemd/systemd'), deleted: true }, true],
    ['systemd seen from another root (no directory)', { path: '/usr/lib/systemd/systemd', deleted: false, file: rootOnly }, true],
    ['a python3 that named itself systemd (root)', program('/usr/bin/python3.11'), false],
    ['a copy named systemd owned by a user', program('/home/u/systemd', { uid: 1000, gid: 1000, mode: 0o755 }), false],
    ['systemd that anyone may write', program('/opt/systemd', { uid: 0, gid: 0, mode: 0o777 }), false],
    ['systemd in a directory a group may write', program('/srv/bin/systemd', rootOnly, { uid: 0, gid: 100, mode: 0o775 }), false],
    ["systemd in a directory of root's group with no POSIX ACL", program('/srv/bin/systemd', rootOnly, { uid: 0, gid: 0, mode: 0o775, acl: false }), true],
    [
      "systemd in a directory of root's group whose POSIX ACL lets users write",
      program('/srv/bin/systemd', rootOnly, { uid: 0, gid: 0, mode: 0o775, acl: true }),
      false,
    ],
    ["systemd of root's group whose ACL could not be told of", program('/srv/bin/systemd', { uid: 0, gid: 0, mode: 0o775, acl: 'ls exited with 2' }), false],
    ['not known (unreadable /proc/PID/exe)', undefined, false],
  ])('%s', (_, executable, expected) => {
    expect(isServiceManager(executable)).toBe(expected);
  });
});

describe('planClaim', () => {
  it('is free with no listeners', () => {
    expect(planClaim({ ...base, listeners: [] })).toEqual({ kind: 'free' });
  });
  it('signals every distinct holder across listeners', () => {
    const a = proc({ pid: 5001 });
    const b = proc({ pid: 5002 });
    const plan = planClaim({ ...base, listeners: [listener([a, b]), listener([b], { address: '::1', family: 'IPv6', inode: 2 })] });
    expect(plan.kind).toBe('signal');
    expect(plan.kind === 'signal' && plan.holders.map((h) => h.pid)).toEqual([5001, 5002]);
  });
  it('refuses everything when one holder is protected', () => {
    const plan = planClaim({ ...base, listeners: [listener([proc({ pid: 5001 }), proc({ pid: 5002, comm: 'sshd' })])] });
    expect(plan).toMatchObject({ kind: 'refuse' });
    expect(plan.kind === 'refuse' && plan.refusals.map((r) => r.reason)).toEqual([expect.stringMatching(/PID 5002 \(sshd\) is protected/)]);
  });
  it("names the user who made a protected holder's socket when it is another, not root (a socket passed with SCM_RIGHTS)", () => {
    const dbus = proc({ pid: 700, comm: 'dbus-daemon', exe: 'dbus-daemon', uid: 100, realUid: 100, user: 'messagebus' });
    const plan = planClaim({ ...base, listeners: [listener([dbus], { uid: 1000 })] });
    expect(plan.kind === 'refuse' && plan.refusals[0]!.reason).toMatch(
      /^PID 700 \(dbus-daemon, user messagebus\) is protected: its name "dbus-daemon" matches .*; it holds a socket uid 1000 made, not it \(passed to it over a Unix socket, SCM_RIGHTS/,
    );
    // Root's socket (systemd's socket activation, a daemon that drops privileges after binding) and its own are no news.
    for (const uid of [0, 100]) {
      const own = planClaim({ ...base, listeners: [listener([dbus], { uid })] });
      expect(own.kind === 'refuse' && own.refusals[0]!.reason).not.toMatch(/made, not it/);
    }
  });
  it("signals a holder that is not protected but holds another user's socket, and says whose socket it is", () => {
    const service = proc({ pid: 701, comm: 'victim-svc', exe: 'python3', uid: 65534, realUid: 65534, user: 'nobody' });
    const plan = planClaim({ ...base, listeners: [listener([service], { uid: 1001 })] });
    expect(plan).toMatchObject({ kind: 'signal' });
    expect(plan.kind === 'signal' && [...plan.handedOver]).toEqual([
      [
        701,
        expect.stringMatching(
          /^it holds a socket uid 1001 made, not it \(passed to it over a Unix socket, SCM_RIGHTS, or left to it by a parent\): look for what that user ran on the port$/,
        ),
      ],
    ]);
    for (const uid of [0, 65534]) {
      const own = planClaim({ ...base, listeners: [listener([service], { uid })] });
      expect(own.kind === 'signal' && own.handedOver.size).toBe(0);
    }
  });
  it('signals a holder whose protected name is a disguise, and says why', () => {
    const disguised = proc({ pid: 5003, uid: 1000, realUid: 1000, comm: 'sshd', exe: 'python3.11' });
    const executable: Executable = {
      path: '/usr/bin/python3.11',
      deleted: false,
      file: { uid: 0, gid: 0, mode: 0o755 },
      directory: { uid: 0, gid: 0, mode: 0o755 },
    };
    const context = { holders: new Map([[5003, { executable }]]) };
    const plan = planClaim({ ...base, listeners: [listener([disguised])], context });
    expect(plan).toMatchObject({ kind: 'signal', disguised: new Map([[5003, expect.stringMatching(/^named "sshd"/)]]) });
    // Without the executable's facts the name protects, as before.
    expect(planClaim({ ...base, listeners: [listener([disguised])] }).kind).toBe('refuse');
  });
  it('refuses an unknown owner, suggesting root when not root', () => {
    const unknown = listener([], { address: '0.0.0.0' });
    const asRoot = planClaim({ ...base, listeners: [unknown] });
    expect(asRoot.kind === 'refuse' && asRoot.refusals[0]!.reason).toMatch(/cannot be identified even as root/);
    // A ring whose files an older kernel does not name (its dentry name, empty for a socket) leaves its process unreadable.
    expect(asRoot.kind === 'refuse' && asRoot.refusals[0]!.reason).toContain("or with one on an older kernel that does not name a ring's files;");
    const asUser = planClaim({ ...base, uid: 1000, euid: 1000, listeners: [unknown] });
    expect(asUser.kind === 'refuse' && asUser.refusals[0]!.reason).toBe(
      'the process holding 0.0.0.0:8000 (a socket of uid 0) is not visible to this user (uid 1000); run claim-port as root (sudo claim-port 8000)',
    );
  });
  it('says an unknown owner once for sockets that read the same (a SO_REUSEPORT pair on one address), once each for others', () => {
    const pair = [listener([], { inode: 1 }), listener([], { inode: 2 })];
    const asUser = planClaim({ ...base, uid: 65534, euid: 65534, listeners: [...pair, listener([], { inode: 3, address: '::1', family: 'IPv6' })] });
    expect(asUser.kind === 'refuse' && asUser.refusals.map((refusal) => refusal.reason)).toEqual([
      'the process holding 127.0.0.1:8000 (a socket of uid 0) is not visible to this user (uid 65534); run claim-port as root (sudo claim-port 8000)',
      'the process holding [::1]:8000 (a socket of uid 0) is not visible to this user (uid 65534); run claim-port as root (sudo claim-port 8000)',
    ]);
  });
  it('advises the claim as given when it was more than the port (asRoot): its --registry, --dry-run', () => {
    const asRoot = "sudo claim-port 8000 --dry-run --registry 'my ports.yaml'";
    const unknown = planClaim({ ...base, uid: 1000, euid: 1000, listeners: [listener([], { address: '0.0.0.0' })], asRoot });
    expect(unknown.kind === 'refuse' && unknown.refusals[0]!.reason).toMatch(
      /; run claim-port as root \(sudo claim-port 8000 --dry-run --registry 'my ports\.yaml'\)$/,
    );
    const other = planClaim({ ...base, uid: 1000, euid: 1000, listeners: [listener([proc({ realUid: 0, user: 'root' })])], asRoot });
    expect(other.kind === 'refuse' && other.refusals[0]!.reason).toMatch(
      /; run claim-port as root \(sudo claim-port 8000 --dry-run --registry 'my ports\.yaml'\)$/,
    );
  });
  it('refuses another user’s process when not root', () => {
    const plan = planClaim({ ...base, uid: 1000, euid: 1000, listeners: [listener([proc({ realUid: 0, user: 'root' })])] });
    expect(plan.kind === 'refuse' && plan.refusals[0]!.reason).toMatch(/belongs to user root .*run claim-port as root \(sudo claim-port 8000\)$/);
    expect(planClaim({ ...base, uid: 1000, euid: 1000, listeners: [listener([proc({ realUid: 1000 })])] }).kind).toBe('signal');
  });
});

describe('exitCode', () => {
  it('is 0 only when the port is (or would be) free', () => {
    expect([exitCode('already-free'), exitCode('freed'), exitCode('would-free'), exitCode('refused'), exitCode('failed')]).toEqual([0, 0, 0, 1, 1]);
  });
});

describe('planClaim: systemd (PID 1) holds the port for a socket unit', () => {
  // This process's real facts, as PID 1 systemd (it holds a port only for a socket unit).
  const systemd = { ...readProcessInfo(process.pid)!, pid: 1, ppid: 0, comm: 'systemd', exe: 'systemd', argv: ['/sbin/init'], command: '/sbin/init' };
  const refusal = (context: Parameters<typeof planClaim>[0]['context'], holder: ProcessInfo = systemd) => {
    const plan = planClaim({ ...base, listeners: [listener([holder])], ...(context && { context }) });
    expect(plan.kind).toBe('refuse');
    return plan.kind === 'refuse' ? plan.refusals[0]!.reason : '';
  };
  const http = (over: Record<string, unknown> = {}) => ({
    unit: 'http.socket',
    file: '/etc/systemd/system/http.socket',
    masked: false,
    accept: false,
    listens: [],
    listen: { key: 'ListenStream' as const, value: '127.0.0.1:8000', port: 8000, transport: 'tcp' as const, file: '/etc/systemd/system/http.socket', line: 6 },
    enabledBy: '/etc/systemd/system/sockets.target.wants',
    ...over,
  });

  it('names the socket unit, where it listens, and how to stop it, or to make the claiming unit its Service=', () => {
    expect(refusal({ holders: new Map(), ownUnit: 'dsa110-api.service', socketService: 'dsa110-api.service', initSockets: [http()] })).toBe(
      'PID 1 (systemd) is protected: PID 1 is at or below 2 (init and kthreadd); systemd (PID 1) holds port 8000 for socket unit http.socket ' +
        '(ListenStream=127.0.0.1:8000 at /etc/systemd/system/http.socket:6, enabled in /etc/systemd/system/sockets.target.wants; it starts http.service): ' +
        '`systemctl stop http.socket` and `systemctl disable http.socket`, or make dsa110-api.service its Service= (socket activation, with no claim)',
    );
  });

  it('run by hand (its own unit a scope, or a transient one of systemd-run: no socketService), offers no unit to make Service=', () => {
    for (const ownUnit of ['session-3.scope', 'run-u12.service']) {
      const reason = refusal({ holders: new Map(), ownUnit, initSockets: [http()] });
      expect(reason).toMatch(/`systemctl disable http\.socket`$/);
      expect(reason).not.toContain(ownUnit);
    }
  });

  it('without the socket unit known, says that PID 1 holds a port for one, and how to find it', () => {
    expect(refusal({ holders: new Map() })).toBe(
      'PID 1 (systemd) is protected: PID 1 is at or below 2 (init and kthreadd); systemd (PID 1) holds a port when a socket unit listens on it (ListenStream=8000), ' +
        'and no unit file read here does: find it with `systemctl list-sockets`, then `systemctl stop NAME.socket` and `systemctl disable NAME.socket`',
    );
  });

  it('says nothing of socket units for another PID 1 (a container init) or another protected holder', () => {
    expect(refusal({ holders: new Map() }, { ...systemd, comm: 'tini', exe: 'tini' })).toBe(
      'PID 1 (tini) is protected: PID 1 is at or below 2 (init and kthreadd)',
    );
    expect(refusal(undefined, { ...systemd, pid: 2, kernelThread: true, comm: 'kthreadd' })).not.toContain('socket');
  });
});

describe('planClaim: a holder whose unit would start it again', () => {
  it('names the unit file escaped, and gives the stop command as a shell reads it back', () => {
    const holder = proc({ pid: 5100 });
    // A unit file in a directory whose name holds an escape and a backslash; a unit name systemd escaped (`my-app` as an instance part).
    const context = {
      holders: new Map([[5100, { unit: 'my\\x2dapp.service', restart: { restart: 'always', source: '/srv/u\u001b[31m\\nX/my\\x2dapp.service' } }]]),
    };
    const plan = planClaim({ ...base, listeners: [listener([holder])], context });
    expect(plan.kind).toBe('refuse');
    expect(plan.kind === 'refuse' && plan.refusals[0]!.reason).toBe(
      'PID 5100 (node, unit my\\\\x2dapp.service) belongs to my\\\\x2dapp.service, which would start it again (Restart=always, /srv/u\\e[31m\\\\nX/my\\\\x2dapp.service): ' +
        "stop my\\\\x2dapp.service first (systemctl stop 'my\\x2dapp.service')",
    );
  });
});

describe("planClaim: a holder that also listens on another service's port", () => {
  const others = (pids: number[]) => new Map(pids.map((pid) => [pid, [{ port: 8001, transport: 'tcp' as const, service: 'admin', unit: 'admin.service' }]]));

  it('names the holders that started it to kill by hand, never PID 1, a protected holder or an ancestor of claim-port (a socket-activated worker: not systemd)', () => {
    const init = proc({ pid: 1, ppid: 0, comm: 'systemd', command: '/sbin/init' });
    const worker = proc({ pid: 4242, ppid: 1 });
    const plan = planClaim({ ...base, listeners: [listener([init, worker])], otherPorts: others([1, 4242]) });
    expect(plan.kind).toBe('refuse');
    const reasons = plan.kind === 'refuse' ? plan.refusals.map((refusal) => refusal.reason) : [];
    expect(reasons.find((reason) => reason.startsWith('PID 4242'))).toMatch(/by hand \(kill 4242\) if that port may close too$/);
    expect(reasons.join('\n')).not.toContain('kill 1');
    // Under an ancestor of claim-port: the climb ends below it too.
    const shell = proc({ pid: 8999, ppid: 1, comm: 'bash' });
    const child = proc({ pid: 4243, ppid: 8999 });
    const under = planClaim({ ...base, listeners: [listener([shell, child])], otherPorts: others([8999, 4243]) });
    const said = under.kind === 'refuse' ? under.refusals.map((refusal) => refusal.reason).join('\n') : '';
    expect(said).toMatch(/PID 4243 .*by hand \(kill 4243\)/);
    expect(said).not.toContain('kill 8999');
  });

  it("says that a holder's unit could not be read where it was not, that it runs in no unit, or in which: a user's unit of that name is not the system's", () => {
    const holder = proc({ pid: 4242 });
    const reasonWith = (context?: object) => {
      const plan = planClaim({
        ...base,
        listeners: [listener([holder])],
        otherPorts: others([4242]),
        ...(context !== undefined && { context: { holders: new Map([[4242, context]]) } }),
      });
      return plan.kind === 'refuse' ? plan.refusals[0]!.reason : '';
    };
    expect(reasonWith()).toContain('though it does not run in that unit (its unit could not be read)');
    expect(reasonWith({ cgroup: '/user.slice/session-3.scope' })).toContain('(it runs in no unit)');
    expect(
      reasonWith({ cgroup: '/user.slice/user-1000.slice/user@1000.service/app.slice/admin.service', unit: 'admin.service', userManager: 'user@1000.service' }),
    ).toContain('though it does not run in that unit (it runs in admin.service (of user@1000.service))');
    expect(reasonWith({ cgroup: '/system.slice/admin.service', unit: 'admin.service' })).toContain('stop admin first (systemctl stop admin.service)');
  });

  it("on two services' ports: by hand where it runs in neither unit (stopping them changes nothing), else the service whose unit it runs in", () => {
    const holder = proc({ pid: 4242 });
    const two = new Map([
      [
        4242,
        [
          { port: 8001, transport: 'tcp' as const, service: 'admin', unit: 'admin.service' },
          { port: 9090, transport: 'tcp' as const, service: 'prometheus', unit: 'prometheus.service' },
        ],
      ],
    ]);
    const reasonWith = (context: object) => {
      const plan = planClaim({ ...base, listeners: [listener([holder])], otherPorts: two, context: { holders: new Map([[4242, context]]) } });
      return plan.kind === 'refuse' ? plan.refusals[0]!.reason : '';
    };
    expect(reasonWith({ cgroup: '/user.slice/session-3.scope' })).toBe(
      'PID 4242 (node) also listens on ports 8001 (admin) and 9090 (prometheus), which the registry gives to services admin, prometheus, though it does not run in any of their units (it runs in no unit): ' +
        'signalling it would close those ports too; free port 8000 by hand (kill 4242) if those ports may close too',
    );
    expect(reasonWith({ cgroup: '/system.slice/prometheus.service', unit: 'prometheus.service' })).toContain(
      'signalling it would take them down too; stop prometheus first (systemctl stop prometheus.service), or free port 8000 by hand (kill 4242) if they may go down',
    );
  });
});

describe('throughRingOnly', () => {
  const a = proc({ pid: 5001 });
  const b = proc({ pid: 5002 });
  it('is true of a process that holds each of its sockets only through its io_uring, and of no other', () => {
    const ring = listener([a, b], { throughRing: [5001] });
    expect(throughRingOnly(5001, [ring])).toBe(true);
    expect(throughRingOnly(5002, [ring])).toBe(false);
    // One socket through the ring, another in its fd table: that one shows, so it is not held only through a ring.
    expect(throughRingOnly(5001, [ring, listener([a], { inode: 2 })])).toBe(false);
    // Sockets it does not hold say nothing of it; nor does a listener list of which it holds none.
    expect(throughRingOnly(5001, [ring, listener([b], { inode: 2 })])).toBe(true);
    expect(throughRingOnly(5003, [ring])).toBe(false);
  });
});
