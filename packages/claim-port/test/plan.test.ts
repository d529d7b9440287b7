// Pure decisions: protection, refusals, exit codes; on real process records where one exists.
import { readProcessInfo, type Listener, type ProcessInfo } from '@dsa110/ports/system';
import { describe, expect, it } from 'vitest';
import { exitCode } from '../src/exit-code.js';
import { planClaim } from '../src/plan.js';
import { globToRegExp, processNames } from '@dsa110/ports/system';
import { BUILTIN_POLICY, protectionReason } from '../src/policy.js';

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
    expect(protectionReason(proc({ pid: 77, kernelThread: true }), BUILTIN_POLICY, self)).toMatch(/kernel thread/);
    expect(protectionReason(proc({ pid: 9000 }), BUILTIN_POLICY, self)).toMatch(/claim-port itself/);
    expect(protectionReason(proc({ pid: 8999 }), BUILTIN_POLICY, self)).toMatch(/ancestor/);
    expect(protectionReason(proc({}), BUILTIN_POLICY, self)).toBeUndefined();
  });
  it('protects the init of another PID namespace, not the other processes in it', () => {
    expect(protectionReason(proc({ pid: 4242, namespacePid: 1 }), BUILTIN_POLICY, self)).toMatch(/PID 1 of its own PID namespace/);
    expect(protectionReason(proc({ pid: 4243, namespacePid: 7 }), BUILTIN_POLICY, self)).toBeUndefined();
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
  it('refuses an unknown owner, suggesting root when not root', () => {
    const unknown = listener([], { address: '0.0.0.0' });
    const asRoot = planClaim({ ...base, listeners: [unknown] });
    expect(asRoot.kind === 'refuse' && asRoot.refusals[0]!.reason).toMatch(/cannot be identified even as root/);
    const asUser = planClaim({ ...base, uid: 1000, euid: 1000, listeners: [unknown] });
    expect(asUser.kind === 'refuse' && asUser.refusals[0]!.reason).toMatch(/not visible to this user .*run claim-port as root/);
  });
  it('refuses another user’s process when not root', () => {
    const plan = planClaim({ ...base, uid: 1000, euid: 1000, listeners: [listener([proc({ realUid: 0, user: 'root' })])] });
    expect(plan.kind === 'refuse' && plan.refusals[0]!.reason).toMatch(/belongs to user root .*run claim-port as root/);
    expect(planClaim({ ...base, uid: 1000, euid: 1000, listeners: [listener([proc({ realUid: 1000 })])] }).kind).toBe('signal');
  });
});

describe('exitCode', () => {
  it('is 0 only when the port is (or would be) free', () => {
    expect([exitCode('already-free'), exitCode('freed'), exitCode('would-free'), exitCode('refused'), exitCode('failed')]).toEqual([0, 0, 0, 1, 1]);
  });
});
