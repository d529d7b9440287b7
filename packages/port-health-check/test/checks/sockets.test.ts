import { userInfo } from 'node:os';
// The listening, owner, access, reserved, kernel and unknown-listener checks
// against real listeners this test spawns on loopback (and the real socket
// table and /proc scan, read once by gather()).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { leasePort, signal, spawnListener, waitForExit } from '../../../../test-support/index.js';
import { recordSpawned } from '../../../../test-support/guard.js';
import { describe, expect, it } from 'vitest';
import { checkAccess } from '../../src/checks/access.js';
import { checkDependencies } from '../../src/checks/dependencies.js';
import { checkKernel } from '../../src/checks/kernel.js';
import { checkListening } from '../../src/checks/listening.js';
import { checkOwner } from '../../src/checks/owner.js';
import { checkReserved } from '../../src/checks/reserved.js';
import { checkUnknownListeners } from '../../src/checks/unknown-listeners.js';
import { gather, readSockets, socketTableProblem, type SocketRead } from '../../src/gather.js';
import { serviceRows } from '../../src/report.js';
import type { Facts, ProcessFacts } from '../../src/types.js';
import { quietPort, registryText, tempDir, testRegistry, writeTree, type ServiceSpec } from '../helpers.js';
import { parseRegistry } from '@dsa110/ports';
import { snapshot } from '@dsa110/ports/system';

/** The user the suite runs as (root or not): holders it spawns belong to it. */
const me = userInfo().username;

/** A passwd for a staged root: the suite's user and `others` (name and uid), as User= resolves them. */
function passwd(...others: [string, number][]): string {
  return [[me, userInfo().uid] as const, ...others].map(([name, uid]) => `${name}:x:${uid}:${uid}::/:/bin/sh\n`).join('');
}

/** The same real facts, with `pid`'s cgroup a login session's (started by hand), as on a machine with systemd. */
function inSession(facts: Facts, pid: number): Facts {
  const lineage = new Map(facts.lineage);
  lineage.set(pid, { ...lineage.get(pid)!, cgroup: '/user.slice/user-1000.slice/session-7.scope' });
  return { ...facts, lineage };
}

async function factsFor(services: ServiceSpec[], reserved: object[] = []): Promise<Facts> {
  return gather({ registry: testRegistry(services, reserved), root: tempDir() });
}

/**
 * python3 -c `code`, recorded with the guard; resolves once it prints its ready line (JSON with the port it
 * listens on). The caller SIGKILLs it (by this child's PID) when done.
 */
async function startPython(code: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn('/usr/bin/python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  recordSpawned(child.pid!);
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (data: Buffer) => resolve(data.toString()));
    child.once('close', (code) => reject(new Error(`python3 exited (${code}) before it was ready`)));
  });
  return { child, port: (JSON.parse(line) as { port: number }).port };
}

function run(facts: Facts, id: string) {
  const service = facts.registry.service(id);
  return {
    listening: checkListening(facts, service),
    owner: checkOwner(facts, service),
    access: checkAccess(facts, service),
    kernel: checkKernel(facts, service),
  };
}

/**
 * A listener restarted between a socket read and its holder scan: `stale` is the read taken while `first` listened,
 * with no holder found (it has exited since), and `second` listens on the same port now.
 */
async function restartedListener() {
  const first = await spawnListener({ host: '127.0.0.1' });
  const { listeners } = await snapshot({ ports: [first.port] });
  const stale: SocketRead = Promise.resolve({
    taken: { listeners: listeners.map((listener) => ({ ...listener, holders: [], ownerKnown: false })), unreadable: [] },
  });
  signal(first.pid, 'SIGKILL');
  await waitForExit(first.pid);
  const second = await spawnListener({ host: '127.0.0.1', port: first.port });
  return { first, listeners, stale, second };
}

const listenedPorts = (facts: Facts) => new Set(facts.sockets.listeners.map((listener) => listener.port));

describe('listening, owner and access on real listeners', () => {
  it('passes a healthy localhost service and names its process', async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const facts = await factsFor([{ id: 'redis', port: listener.port, processes: ['node'] }]);
    const { listening, owner, access } = run(facts, 'redis');
    expect(listening).toEqual([expect.objectContaining({ severity: 'ok', reason: `redis (${listener.port}): listening on 127.0.0.1:${listener.port}` })]);
    expect(owner[0]).toMatchObject({ check: 'owner', severity: 'ok' });
    expect(owner[0]!.reason).toContain(`(pid ${listener.pid}, user ${me})`);
    expect(owner[0]!.processes!.map((p) => p.pid)).toEqual([listener.pid]);
    expect(access).toEqual([expect.objectContaining({ severity: 'ok' })]);
  });

  it('is an error when a production service is not listening, fine for a dev-only one', async () => {
    const seen = listenedPorts(await factsFor([]));
    const prod = quietPort(seen);
    const dev = quietPort(new Set([...seen, prod]));
    const facts = await factsFor([
      { id: 'api', port: prod, group: 'production', access: 'private', unit: 'dsa110-api.service' },
      { id: 'vite', port: dev, group: 'development', access: 'dev' },
    ]);
    const api = run(facts, 'api');
    expect(api.listening).toEqual([
      expect.objectContaining({
        severity: 'error',
        reason: `api (${prod}): nothing is listening on port ${prod}, but Api (production) should be; start dsa110-api.service`,
      }),
    ]);
    expect(api.owner).toEqual([]);
    expect(api.access).toEqual([]);
    expect(run(facts, 'vite').listening).toEqual([
      expect.objectContaining({ severity: 'ok', reason: `vite (${dev}): not listening (Vite is development-only)` }),
    ]);
  });

  it('says where a service that is not on its port listens instead by its names (started before its port moved): restart it, and the unknown listener says whose it is', async () => {
    const seen = listenedPorts(await factsFor([]));
    const old = await spawnListener({ host: '127.0.0.1', port: quietPort(seen), name: 'stray-api' });
    const given = quietPort(new Set([...seen, old.port]));
    const api: ServiceSpec = { id: 'api', port: given, group: 'production', access: 'private', unit: 'dsa110-api.service', processes: ['stray-api'] };
    const facts = await factsFor([api]);
    expect(run(facts, 'api').listening).toEqual([
      expect.objectContaining({
        severity: 'error',
        reason:
          `api (${given}): nothing is listening on port ${given}, but Api (production) should be; by its names it listens on port ${old.port} ` +
          `(127.0.0.1:${old.port}, held by stray-api (pid ${old.pid}, user ${me}): stray-api), not on ${given}: if ${given} is new to it (the registry or its unit moved it), ` +
          `restart dsa110-api.service; else make it listen on ${given} as well, as the registry says`,
      }),
    ]);
    expect(checkUnknownListeners(facts, { strict: false }).find((r) => r.port === old.port)!.reason).toBe(
      `port ${old.port} is not in test-ports.yaml: listening on 127.0.0.1:${old.port}, held by stray-api (pid ${old.pid}, user ${me}): stray-api; ` +
        `by its names it is Api's (api), and nothing listens on port ${given}, the one the registry gives it (its listening result says what to do)`,
    );
    // A development-only service's absence is fine (its listening result is ok): its names on another port say nothing.
    const dev = await factsFor([{ ...api, group: 'development', access: 'dev' }]);
    expect(run(dev, 'api').listening[0]!.severity).toBe('ok');
    expect(checkUnknownListeners(dev, { strict: false }).find((r) => r.port === old.port)!.reason).not.toContain('by its names');
    // The unit runs it as another user: the holder is a copy someone started, not the unit's service on its old port.
    const unitDir = writeTree(tempDir(), { 'etc/systemd/system/dsa110-api.service': '[Service]\nUser=nobody-else-here\nExecStart=/usr/bin/stray-api\n' });
    const asOther = await gather({ registry: testRegistry([api]), root: unitDir });
    expect(run(asOther, 'api').listening[0]!.reason).not.toContain('by its names');
    expect(checkUnknownListeners(asOther, { strict: false }).find((r) => r.port === old.port)!.reason).not.toContain('by its names');
    const asMe = await gather({
      registry: testRegistry([api]),
      root: writeTree(tempDir(), { 'etc/systemd/system/dsa110-api.service': `[Service]\nUser=${me}\nExecStart=/usr/bin/stray-api\n` }),
    });
    expect(run(asMe, 'api').listening[0]!.reason).toContain(`; by its names it listens on port ${old.port} (`);
    // Names another service shares tell nothing: the plain finding, and the unknown listener is nobody's.
    const shared = await factsFor([api, { id: 'worker', port: quietPort(new Set([...seen, old.port, given])), processes: ['stray-*'] }]);
    expect(run(shared, 'api').listening[0]!.reason).toBe(
      `api (${given}): nothing is listening on port ${given}, but Api (production) should be; start dsa110-api.service`,
    );
    expect(checkUnknownListeners(shared, { strict: false }).find((r) => r.port === old.port)!.reason).not.toContain('by its names');
    // Only an interpreter's name (the listener is a node program): any node program goes by it, so it tells nothing.
    const byNode = await factsFor([{ ...api, processes: ['node'] }]);
    expect(run(byNode, 'api').listening[0]!.reason).toBe(
      `api (${given}): nothing is listening on port ${given}, but Api (production) should be; start dsa110-api.service`,
    );
    // Listening on its own port too: the other listener is another of its ports, not where it went instead.
    const own = await spawnListener({ host: '127.0.0.1', name: 'stray-api' });
    const both = await factsFor([{ ...api, port: own.port }]);
    expect(run(both, 'api').listening[0]!.severity).toBe('ok');
    expect(checkUnknownListeners(both, { strict: false }).find((r) => r.port === old.port)!.reason).not.toContain('by its names');
  });

  it('names the intruder (PID, user, command line) when another process holds the port', async () => {
    const vite = await spawnListener({ host: '127.0.0.1', name: 'vite' });
    const facts = await factsFor([{ id: 'grafana', port: vite.port, access: 'localhost', group: 'monitoring', processes: ['grafana', 'grafana-server'] }]);
    const { owner, listening } = run(facts, 'grafana');
    expect(listening[0]!.severity).toBe('ok');
    expect(owner).toHaveLength(1);
    expect(owner[0]!.severity).toBe('error');
    expect(owner[0]!.reason).toBe(
      `grafana (${vite.port}): port ${vite.port} is held by vite (pid ${vite.pid}, user ${me}): vite, not by Grafana (expected grafana, grafana-server); stop it (as root: claim-port ${vite.port}), then start Grafana`,
    );
    // A service with a unit: the unit to start.
    const withUnit = await factsFor([
      { id: 'grafana', port: vite.port, access: 'localhost', group: 'monitoring', processes: ['grafana'], unit: 'grafana-server.service' },
    ]);
    expect(run(withUnit, 'grafana').owner[0]!.reason).toMatch(/; stop it \(as root: claim-port \d+\), then start grafana-server\.service$/);
  });

  it('tells claim-port the registry this check read, and to stop by hand an intruder that registry protects (claim-port refuses it)', async () => {
    const vite = await spawnListener({ host: '127.0.0.1', name: 'vite' });
    const services: ServiceSpec[] = [{ id: 'grafana', port: vite.port, access: 'localhost', group: 'monitoring', processes: ['grafana'] }];
    const factsOf = (extra: object, registryPath?: string) =>
      gather({
        registry: parseRegistry(JSON.stringify({ ...JSON.parse(registryText(services)), ...extra }), { source: 'test-ports.yaml' }),
        root: tempDir(),
        ...(registryPath !== undefined && { registryPath }),
      });
    const named = await factsOf({}, '/srv/my ports.yaml');
    expect(run(named, 'grafana').owner[0]!.reason).toMatch(
      new RegExp(`; stop it \\(as root: claim-port --registry '/srv/my ports\\.yaml' ${vite.port}\\), then start Grafana$`),
    );
    const guarded = await factsOf({ claim: { protect: { processes: ['vit[a-e]'] } } }, '/srv/ports.yaml');
    expect(run(guarded, 'grafana').owner[0]!.reason).toMatch(
      /; stop it by hand \(claim-port refuses it: its name "vite" matches the protected pattern "vit\[a-e\]" \(claim\.protect\.processes in \/srv\/ports\.yaml\)\), then start Grafana$/,
    );
  });

  it('names another service of the registry by its names (ports swapped, or its configuration not moved with the registry): the fix is moving it, not claim-port', async () => {
    const vite = await spawnListener({ host: '127.0.0.1', name: 'vite' });
    const theirs = leasePort();
    const facts = await factsFor([
      { id: 'grafana', port: vite.port, access: 'localhost', group: 'monitoring', processes: ['grafana'], unit: 'grafana-server.service' },
      { id: 'vite', port: theirs, access: 'dev', group: 'development', processes: ['vite'] },
    ]);
    expect(run(facts, 'grafana').owner[0]!.reason).toBe(
      `grafana (${vite.port}): port ${vite.port} is held by vite (pid ${vite.pid}, user ${me}): vite, which is Vite's by its names (vite: vite), not Grafana's (expected grafana); the registry gives vite port ${theirs}: set ${theirs} where Vite takes its port and restart Vite (claim-port would take it down, not move it), then start grafana-server.service`,
    );
  });

  it('says a built-in protected pattern is built in (the operator will not find it in the registry), as claim-port does', async () => {
    const intruder = await spawnListener({ host: '127.0.0.1', name: 'systemd-test' });
    const services: ServiceSpec[] = [{ id: 'grafana', port: intruder.port, access: 'localhost', group: 'monitoring', processes: ['grafana'] }];
    const facts = await gather({
      registry: parseRegistry(registryText(services), { source: 'test-ports.yaml' }),
      root: tempDir(),
      registryPath: '/srv/ports.yaml',
    });
    expect(run(facts, 'grafana').owner[0]!.reason).toMatch(
      /; stop it by hand \(claim-port refuses it: its name "systemd-test" matches the built-in protected pattern "systemd-\*"\), then start Grafana$/,
    );
  });

  it('names a hostile intruder escaped, backslashes included: a "\\n" it wrote never reads as an escaped newline', async () => {
    // Its name is a literal backslash-n and backslash-e, then a real escape sequence and a real newline.
    const hostile = await spawnListener({ host: '127.0.0.1', name: 'x\\n\\e[2J\u001b[31m\nforged' });
    const facts = await factsFor([{ id: 'grafana', port: hostile.port, access: 'localhost', group: 'monitoring', processes: ['grafana'] }]);
    const reason = run(facts, 'grafana').owner[0]!.reason;
    expect(reason).toContain(`(pid ${hostile.pid}, user ${me}): x\\\\n\\\\e[2J\\e[31m\\nforged, not by Grafana`);
    expect(reason).toMatch(/^grafana \(\d+\): port \d+ is held by x\\\\n\\\\e\[2J\\e\[31m\\nf \(pid/); // comm: its first 15 bytes
    expect([...reason].some((char) => char.charCodeAt(0) < 0x20)).toBe(false);
  });

  it("is an error when the names match but no holder runs as the User= of the service's unit (a copy another account started)", async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const { uid } = userInfo();
    const other = uid === 0 ? 'nobody' : 'root';
    const otherUid = uid === 0 ? 65534 : 0;
    const factsWith = (user: string | undefined) => {
      const root = tempDir();
      writeTree(root, {
        'etc/systemd/system/x.service': `[Service]\nExecStart=/usr/bin/node x.js\n${user === undefined ? '' : `User=${user}\n`}`,
        'etc/passwd': passwd([other, otherUid]),
      });
      return gather({ registry: testRegistry([{ id: 'x', port: listener.port, processes: ['node'], unit: 'x.service' }]), root });
    };
    // Started by hand in a login session: only there is it surely a copy (else a warning, owner-account.test.ts).
    const owner = (facts: Facts) => run(inSession(facts, listener.pid), 'x').owner;
    const [warned, ...more] = owner(await factsWith(other));
    expect(more).toEqual([]);
    expect(warned).toMatchObject({ severity: 'error', file: '/etc/systemd/system/x.service:3' });
    expect(warned!.reason.startsWith(`x (${listener.port}): port ${listener.port} is held by node (pid ${listener.pid}, user ${me}): `)).toBe(true);
    expect(warned!.reason).toMatch(
      new RegExp(
        `: the name matches, but x\\.service runs X as "${other}" \\(User= in /etc/systemd/system/x\\.service:3 under /\\S+\\): another copy under user ${me}, started by hand or by another unit, holds the port, ` +
          `and X's clients reach it, not X; stop it \\(as root: \`kill ${listener.pid}\`\\), then restart x\\.service$`,
      ),
    );
    // Set by a drop-in: that file and line are named.
    const dropped = writeTree(tempDir(), {
      'etc/systemd/system/x.service': `[Service]\nExecStart=/usr/bin/node x.js\nUser=${me}\n`,
      'etc/systemd/system/x.service.d/user.conf': `# who\n[Service]\nUser=${other}\n`,
      'etc/passwd': passwd([other, otherUid]),
    });
    const [byDropIn] = owner(
      await gather({ registry: testRegistry([{ id: 'x', port: listener.port, processes: ['node'], unit: 'x.service' }]), root: dropped }),
    );
    expect(byDropIn).toMatchObject({ severity: 'error', file: '/etc/systemd/system/x.service.d/user.conf:3' });
    expect(byDropIn!.reason).toContain(`x.service runs X as "${other}" (User= in /etc/systemd/system/x.service.d/user.conf:3 under ${dropped}): another copy`);
    // Its own user, by name or by uid; no User=; a DynamicUser=: no warning.
    for (const facts of [await factsWith(me), await factsWith(String(uid)), await factsWith(undefined)]) expect(owner(facts)[0]!.severity).toBe('ok');
    const root = tempDir();
    writeTree(root, { 'etc/systemd/system/x.service': `[Service]\nExecStart=/usr/bin/node x.js\nUser=${other}\nDynamicUser=yes\n` });
    const dynamic = await gather({ registry: testRegistry([{ id: 'x', port: listener.port, processes: ['node'], unit: 'x.service' }]), root });
    expect(owner(dynamic)[0]!.severity).toBe('ok');
  });

  it("is an error for a second socket on the port whose holders none run as the unit's User=, even when another socket's do", async () => {
    const own = await spawnListener({ host: '127.0.0.1' });
    const twin = await spawnListener({ host: '::1', port: own.port });
    const root = writeTree(tempDir(), { 'etc/systemd/system/x.service': `[Service]\nExecStart=/usr/bin/node x.js\nUser=${me}\n`, 'etc/passwd': passwd() });
    const real = await gather({ registry: testRegistry([{ id: 'x', port: own.port, processes: ['node'], unit: 'x.service' }]), root });
    expect(run(real, 'x').owner[0]!.severity).toBe('ok');
    // The same real facts, with the [::1] socket's holder another user (started by hand as that user).
    const stranger = (holder: ProcessFacts): ProcessFacts => ({ ...holder, uid: 4242, user: 'mallory' });
    const impostor: Facts = {
      ...inSession(real, twin.pid),
      // The root's passwd, which gather reads only where a holder does not run as User= (as here, once edited).
      accounts: new Map([[me, userInfo().uid]]),
      sockets: {
        ...real.sockets,
        listeners: real.sockets.listeners.map((l) => (l.port === own.port && l.address === '::1' ? { ...l, holders: l.holders?.map(stranger) } : l)),
      },
    };
    const [warned, ...more] = run(impostor, 'x').owner;
    expect(more).toEqual([]);
    expect(warned).toMatchObject({ severity: 'error', file: '/etc/systemd/system/x.service:3' });
    expect(warned!.reason.startsWith(`x (${own.port}): [::1]:${own.port} is held by node (pid ${twin.pid}, user mallory): `)).toBe(true);
    expect(
      warned!.reason.endsWith(
        `: the name matches, but x.service runs X as "${me}" (User= in /etc/systemd/system/x.service:3 under ${root}), and no holder of this socket does: another copy under user mallory, ` +
          `started by hand or by another unit, listens there, and X's clients reach it, not X; stop it (as root: \`kill ${twin.pid}\`), then restart x.service`,
      ),
    ).toBe(true);
  });

  it('matches the expected name against comm, the executable and argv[0]', async () => {
    const titled = await spawnListener({ host: '127.0.0.1', name: 'my-api' });
    const facts = await factsFor([{ id: 'by-exe', port: titled.port, processes: ['no*', 'python3.*'] }]);
    expect(run(facts, 'by-exe').owner[0]!.severity).toBe('ok');
  });

  it('lists every holder of a forked listener, and all must match', async () => {
    const forked = await spawnListener({ host: '127.0.0.1', workers: 2 });
    expect(forked.pids.length).toBe(3);
    const facts = await factsFor([{ id: 'api', port: forked.port, access: 'private' }]);
    const { owner } = run(facts, 'api');
    expect(owner[0]!.severity).toBe('ok');
    expect(owner[0]!.processes!.map((p) => p.pid).sort()).toEqual([...forked.pids].sort());
    for (const pid of forked.pids) expect(owner[0]!.reason).toContain(`pid ${pid},`);
  });

  it.skipIf(!existsSync('/usr/bin/python3'))(
    "finds a holder that keeps a service's socket only in a thread's own fd table (unshare(CLONE_FILES)), instead of an unknown owner",
    async () => {
      const { child, port } = await startPython(
        `import ctypes, json, os, socket, threading, time
libc = ctypes.CDLL(None, use_errno=True)
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
port = s.getsockname()[1]
ready = threading.Event()
def hold():
    if libc.unshare(0x400) != 0: raise OSError(ctypes.get_errno(), 'unshare(CLONE_FILES)')
    ready.set()
    time.sleep(3600)
threading.Thread(target=hold, daemon=True).start()
ready.wait(); s.close()
print(json.dumps({'port': port}), flush=True)
time.sleep(3600)`,
      );
      try {
        const facts = await factsFor([{ id: 'api', port, processes: ['uvicorn'] }]);
        const { owner } = run(facts, 'api');
        expect(owner[0]!.severity, owner[0]!.reason).not.toBe('unknown');
        expect(owner[0]!.processes!.map((p) => p.pid)).toEqual([child.pid]);
      } finally {
        signal(child.pid!, 'SIGKILL');
        await waitForExit(child.pid!);
      }
    },
  );

  it.skipIf(!existsSync('/usr/bin/python3') || process.getuid?.() !== 0)(
    "says a service's socket that no process holds (in flight in a Unix-socket message, SCM_RIGHTS) may be that: unknown owner",
    async () => {
      const { child, port } = await startPython(
        `import array, json, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
port = s.getsockname()[1]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
a.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [s.fileno()]))])
s.close()
print(json.dumps({'port': port}), flush=True)
time.sleep(3600)`,
      );
      try {
        const { owner } = run(await factsFor([{ id: 'api', port, processes: ['uvicorn'] }]), 'api');
        expect(owner).toEqual([expect.objectContaining({ severity: 'unknown' })]);
        expect(owner[0]!.reason).toContain('or the socket is in flight in a Unix-socket message (SCM_RIGHTS) that no process has received');
      } finally {
        signal(child.pid!, 'SIGKILL');
        await waitForExit(child.pid!);
      }
    },
  );

  it("reads a service's port again when its listener closed between the table read and the fd scan (a restart), not 'unknown'", async () => {
    // The race, made to happen: a read taken while the first daemon listened, whose holders the scan
    // then could not find (it had exited), and a second daemon on the port by the time it is looked at.
    const { first, listeners, stale, second } = await restartedListener();
    const now = await readSockets(new Set([first.port]), stale);
    const onPort = now.listeners.filter((listener) => listener.port === first.port);
    expect(onPort.map((listener) => listener.holders?.map((holder) => holder.pid))).toEqual([second.holders]);
    expect(onPort[0]!.inode).not.toBe(listeners[0]!.inode);
    signal(second.pid, 'SIGKILL');
    await waitForExit(second.pid);
  });

  it("says a listener that closed as it was read, with nothing on its port when read again, changed while the check ran (info), not 'nothing is listening'", async () => {
    // A process restarting in a loop, read in its gap: the table listed its listener, the fd scan found no holder
    // (it had exited), and when the port is read again nothing listens there yet.
    const first = await spawnListener({ host: '127.0.0.1' });
    const { listeners } = await snapshot({ ports: [first.port] });
    const stale: SocketRead = Promise.resolve({
      taken: { listeners: listeners.map((listener) => ({ ...listener, holders: [], ownerKnown: false })), unreadable: [] },
    });
    signal(first.pid, 'SIGKILL');
    await waitForExit(first.pid);
    const sockets = await readSockets(new Set([first.port]), stale);
    expect(sockets.listeners.filter((listener) => listener.port === first.port)).toEqual([
      expect.objectContaining({ inode: listeners[0]!.inode, changed: true, holders: undefined }),
    ]);
    const facts = { ...(await factsFor([{ id: 'flappy', port: first.port, processes: ['node'] }])), sockets };
    const { listening, owner } = run(facts, 'flappy');
    expect(listening[0]!.reason).not.toContain('nothing is listening');
    expect(owner).toEqual([expect.objectContaining({ severity: 'info' })]);
    expect(owner[0]!.reason).toContain(`cannot tell who holds port ${first.port}: held by no process that stayed`);
  });

  it("reads a port outside the registry again too when its listener closed as it was read, not 'a process whose open files even root cannot read'", async () => {
    const { first, stale, second } = await restartedListener();
    try {
      // Every process's fds read: the holder-less listener of a port no service has is no process hiding it.
      const now = await readSockets(new Set(), stale);
      const onPort = now.listeners.filter((listener) => listener.port === first.port);
      expect(onPort.map((listener) => listener.holders?.map((holder) => holder.pid))).toEqual([second.holders]);
    } finally {
      signal(second.pid, 'SIGKILL');
      await waitForExit(second.pid);
    }
  });

  it('says a listener that closes and opens again each time it is read changed while the check ran (info), never that its holder cannot be seen', async () => {
    // Each listener is held by no process: its socket is in flight in a Unix-socket message (SCM_RIGHTS) that
    // nobody has received. At each `r` line the helper receives and closes it, and sends a new one on the port:
    // the old socket is gone from the table, and the new one has no holder either. The check's re-reads rotate it.
    const port = quietPort(new Set());
    const code = [
      'import array, os, socket, sys',
      `port = ${port}`,
      'a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)',
      'def fly():',
      '    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", port)); s.listen()',
      '    a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [s.fileno()]))]); s.close()',
      'def land():',
      '    _, anc, _, _ = b.recvmsg(1, socket.CMSG_SPACE(4))',
      '    for _, _, data in anc: os.close(array.array("i", data[:4])[0])',
      'fly(); print("ok", flush=True)',
      'for line in sys.stdin:',
      '    land(); fly(); print("ok", flush=True)',
    ].join('\n');
    const child = spawn('/usr/bin/python3', ['-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    recordSpawned(child.pid!);
    const lines: string[] = [];
    let waiting: (() => void) | undefined;
    child.stdout!.on('data', (data: Buffer) => {
      lines.push(
        ...data
          .toString()
          .split('\n')
          .filter((line) => line !== ''),
      );
      waiting?.();
    });
    const nextOk = async (count: number) => {
      while (lines.length < count) await new Promise<void>((resolve) => (waiting = resolve));
    };
    try {
      await nextOk(1);
      const rotate = async () => {
        const want = lines.length + 1;
        child.stdin!.write('r\n');
        await nextOk(want);
      };
      for (const watched of [new Set<number>(), new Set([port])]) {
        const first = await snapshot({ ports: [port] });
        expect(first.listeners.map((listener) => listener.ownerKnown)).toEqual([false]);
        // Every process's fds read (the first read saw no unreadable one), else a port no service has is not read again.
        const sockets = await readSockets(watched, Promise.resolve({ taken: { ...first, unreadable: [] } }), { beforeReread: rotate });
        const onPort = sockets.listeners.filter((listener) => listener.port === port);
        expect(onPort).toEqual([expect.objectContaining({ changed: true, holders: undefined })]);
        expect(onPort[0]!.inode).not.toBe(first.listeners[0]!.inode);
        const registry = [{ id: 'flappy', port: watched.has(port) ? port : port + 1, processes: ['python3'] }];
        const facts = { ...(await factsFor(registry)), sockets };
        const results = watched.has(port) ? run(facts, 'flappy').owner : checkUnknownListeners(facts, { strict: true }).filter((r) => r.port === port);
        expect(results).toHaveLength(1);
        expect(results[0]!.reason).toContain('it changed while the check ran');
        expect(results[0]!.reason).not.toMatch(/cannot read|cannot see|SCM_RIGHTS/);
        if (watched.has(port)) expect(results[0]!.severity).toBe('info');
      }
      // Left alone, the in-flight socket stays in the table without a holder: unseen, as before (no re-read rotates it).
      const still = await readSockets(new Set([port]), Promise.resolve({ taken: await snapshot({ ports: [port] }) }));
      expect(still.listeners.filter((listener) => listener.port === port)).toEqual([expect.objectContaining({ holders: undefined })]);
      expect(still.listeners.find((listener) => listener.port === port)!.changed).toBeUndefined();
    } finally {
      signal(child.pid!, 'SIGKILL');
      await waitForExit(child.pid!);
    }
  });

  it('is an error for a localhost-only service on 0.0.0.0, a warning for a dev server', async () => {
    const redis = await spawnListener({ host: '0.0.0.0' });
    const vite = await spawnListener({ host: '0.0.0.0' });
    const facts = await factsFor([
      { id: 'redis', port: redis.port, access: 'localhost' },
      { id: 'vite', port: vite.port, access: 'dev', group: 'development' },
    ]);
    expect(run(facts, 'redis').access).toEqual([
      expect.objectContaining({
        severity: 'error',
        reason: `redis (${redis.port}): listens on 0.0.0.0:${redis.port} (every IPv4 interface), but Redis is localhost-only; bind it to 127.0.0.1 or ::1`,
      }),
    ]);
    expect(run(facts, 'vite').access[0]).toMatchObject({ severity: 'warning' });
    expect(run(facts, 'vite').access[0]!.reason).toContain('reachable from the network');
  });

  it('understands a dual-stack [::] listener as IPv4 and IPv6, and a v6-only one beside an IPv4 twin as IPv6 only', async () => {
    const dual = await spawnListener({ host: '::' });
    const v6only = await spawnListener({ host: '::', ipv6Only: true });
    const twin = await spawnListener({ host: '0.0.0.0', port: v6only.port });
    const loop6 = await spawnListener({ host: '::1' });
    const facts = await factsFor([
      { id: 'dual', port: dual.port, access: 'localhost' },
      { id: 'six', port: v6only.port, access: 'localhost' },
      { id: 'loop', port: loop6.port, access: 'localhost' },
    ]);
    expect(run(facts, 'dual').listening[0]!.reason).toBe(`dual (${dual.port}): listening on [::]:${dual.port} (IPv4+IPv6 unless v6only)`);
    expect(run(facts, 'dual').access[0]!.reason).toContain(`listens on [::]:${dual.port} (every IPv6 interface, and every IPv4 one unless v6only), but`);
    expect(run(facts, 'six').listening[0]!.reason).toBe(`six (${v6only.port}): listening on 0.0.0.0:${twin.port}, [::]:${v6only.port}`);
    expect(run(facts, 'six').access[0]!.reason).toContain(`[::]:${v6only.port} (every IPv6 interface)`);
    expect(run(facts, 'loop').access[0]).toMatchObject({ severity: 'ok' });
  });

  it("says of a [::] listener without an IPv4 twin only what /proc tells: IPv4 too unless it set v6only (nginx's listen [::]:80 does)", async () => {
    // /proc/net/tcp6 shows no IPV6_V6ONLY: this v6-only socket looks like a dual-stack one, and is never said to take IPv4.
    const v6only = await spawnListener({ host: '::', ipv6Only: true });
    const facts = await factsFor([{ id: 'six', port: v6only.port, access: 'localhost' }]);
    expect(run(facts, 'six').listening[0]!.reason).toBe(`six (${v6only.port}): listening on [::]:${v6only.port} (IPv4+IPv6 unless v6only)`);
    expect(run(facts, 'six').access[0]!.reason).toContain(`[::]:${v6only.port} (every IPv6 interface, and every IPv4 one unless v6only)`);
  });

  it('is unknown, never "wrong owner", when the holders cannot be seen', async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const real = await factsFor([{ id: 'redis', port: listener.port, processes: ['redis-server'] }]);
    expect(run(real, 'redis').owner[0]!.severity).toBe('error');
    // The same real facts as an unprivileged user would see them: no readable /proc/PID/fd.
    const unseen: Facts = {
      ...real,
      sockets: { ...real.sockets, listeners: real.sockets.listeners.map((l) => (l.port === listener.port ? { ...l, holders: undefined } : l)) },
    };
    const owner = run(unseen, 'redis').owner;
    expect(owner).toEqual([expect.objectContaining({ severity: 'unknown' })]);
    expect(owner[0]!.reason).toContain('cannot see every process holding port');
    // What would show them: root, unless this already ran as root.
    const asUser = run({ ...unseen, sockets: { ...unseen.sockets, readAsRoot: false, unreadableProcesses: 1 } }, 'redis');
    const asRoot = run({ ...unseen, sockets: { ...unseen.sockets, readAsRoot: true, unreadableProcesses: 1 } }, 'redis');
    expect(asUser.owner[0]!.reason).toContain('run as root to see them');
    expect(asRoot.owner[0]!.reason).toContain('even root cannot read their open files here');
    expect(asRoot.owner[0]!.reason).not.toContain('run as root');
    const dependencies = (facts: Facts) => checkDependencies(facts).find((result) => result.reason.includes('/proc is readable'))!.reason;
    expect(dependencies({ ...unseen, sockets: { ...unseen.sockets, readAsRoot: false, unreadableProcesses: 1 } })).toContain('run as root to see them');
    expect(dependencies({ ...unseen, sockets: { ...unseen.sockets, readAsRoot: true, unreadableProcesses: 1 } })).not.toContain('run as root');
  });

  it('records whether the table was read as root', async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const facts = await factsFor([{ id: 'redis', port: listener.port, processes: ['redis-server'] }]);
    expect(facts.sockets.readAsRoot).toBe(process.geteuid?.() === 0);
  });
});

describe('a SO_REUSEPORT group', () => {
  it('names its one address once, in reasons and the table, and each holder apart', async () => {
    const first = await spawnListener({ host: '127.0.0.1', reusePort: true });
    const second = await spawnListener({ host: '127.0.0.1', reusePort: true, port: first.port });
    const port = first.port;
    const range = { id: 'spare', name: 'spare', start: port - 1, end: port + 1, purpose: 'spare ports', for: ['x'] };
    const facts = await factsFor([{ id: 'x', port, processes: ['python3'] }], [range]);
    expect(facts.sockets.listeners.filter((listener) => listener.port === port)).toHaveLength(2);
    expect(run(facts, 'x').listening[0]!.reason).toBe(`x (${port}): listening on 127.0.0.1:${port}`);
    const [reserved] = checkReserved(facts);
    // (spawnListener's reusePort listeners are python3.)
    expect(reserved!.reason).toContain(`is in use on 127.0.0.1:${port}, held by python3 (pid ${first.pid}`);
    expect(reserved!.reason).toContain(`; python3 (pid ${second.pid}`);
    const [row] = serviceRows(facts, []);
    expect(row).toMatchObject({ addresses: [`127.0.0.1:${port}`] });
    expect(row!.listeners).toHaveLength(2);
  });
});

describe('reserved ranges', () => {
  it('reports a listener in a reserved range with its owner: info, warning for a stranger, unknown when unseen', async () => {
    const listener = await spawnListener({ host: '127.0.0.1' });
    const port = listener.port;
    const range = (id: string, extra: object) => ({ id, name: id, start: port - 1, end: port + 1, purpose: 'fallback ports', ...extra });
    const services: ServiceSpec[] = [{ id: 'api', port: 8000, processes: ['python3'] }];

    const open = checkReserved(await factsFor(services, [range('fallback', {})]));
    expect(open).toEqual([expect.objectContaining({ check: 'reserved', severity: 'info', port })]);
    expect(open[0]!.reason).toContain(
      `port ${port} in reserved "fallback" (${port - 1}-${port + 1}: fallback ports) is in use on 127.0.0.1:${port}, held by node (pid ${listener.pid}`,
    );

    const stranger = checkReserved(await factsFor(services, [range('api-alt', { for: ['api'] })]));
    expect(stranger[0]).toMatchObject({ severity: 'warning' });
    expect(stranger[0]!.reason).toContain('the range is kept for api (expected python3)');

    const owned = checkReserved(await factsFor([{ id: 'api', port: 8000, processes: ['node'] }], [range('api-alt', { for: ['api'] })]));
    expect(owned[0]).toMatchObject({ severity: 'info' });

    const real = await factsFor(services, [range('api-alt', { for: ['api'] })]);
    const unseen: Facts = {
      ...real,
      sockets: { ...real.sockets, listeners: real.sockets.listeners.map((l) => (l.port === port ? { ...l, holders: undefined } : l)) },
    };
    expect(checkReserved(unseen)[0]).toMatchObject({ severity: 'unknown' });
  });

  it('is ok for a range nobody listens in', async () => {
    const facts = await factsFor([], [{ id: 'quiet', name: 'quiet', port: quietPort(listenedPorts(await factsFor([]))), purpose: 'kept free' }]);
    expect(checkReserved(facts)).toEqual([expect.objectContaining({ severity: 'ok' })]);
  });
});

describe('kernel ephemeral range', () => {
  it('warns about a registered port inside ip_local_port_range, and passes one below it', async () => {
    const facts = await factsFor([]);
    const range = facts.kernel.ephemeral!;
    expect(range.start).toBeLessThanOrEqual(range.end);
    const inside = range.start + 7;
    const below = Math.min(range.start - 1, 20000);
    const withPorts = await factsFor([
      { id: 'inside', port: inside },
      { id: 'below', port: below },
    ]);
    const reserved = withPorts.kernel.reservedPorts.some((r) => inside >= r.start && inside <= r.end);
    expect(run(withPorts, 'inside').kernel[0]!.severity).toBe(reserved ? 'ok' : 'warning');
    if (!reserved)
      expect(run(withPorts, 'inside').kernel[0]!.reason).toContain(`port ${inside} is inside the ephemeral port range ${range.start}-${range.end}`);
    expect(run(withPorts, 'below').kernel[0]!.severity).toBe('ok');
  });
});

describe('unknown listeners', () => {
  it('lists a listener below the ephemeral range that the registry does not know: info, warning with --strict', async () => {
    const seen = listenedPorts(await factsFor([]));
    const stranger = await spawnListener({ host: '127.0.0.1', port: quietPort(seen), name: 'stray-daemon' });
    const facts = await factsFor([{ id: 'api', port: 8000 }]);
    const lax = checkUnknownListeners(facts, { strict: false }).find((r) => r.port === stranger.port);
    expect(lax).toMatchObject({ check: 'unknown-listeners', severity: 'info' });
    expect(lax!.reason).toBe(
      `port ${stranger.port} is not in test-ports.yaml: listening on 127.0.0.1:${stranger.port}, held by stray-daemon (pid ${stranger.pid}, user ${me}): stray-daemon`,
    );
    expect(checkUnknownListeners(facts, { strict: true }).find((r) => r.port === stranger.port)!.severity).toBe('warning');
    const known = await factsFor([{ id: 'stray', port: stranger.port }]);
    expect(checkUnknownListeners(known, { strict: true }).find((r) => r.port === stranger.port)).toBeUndefined();
  });
  it("warns about a listener on a service's registry port when the service's unit moved it elsewhere", async () => {
    const seen = listenedPorts(await factsFor([]));
    const squatter = await spawnListener({ host: '127.0.0.1', port: quietPort(seen), name: 'evil' });
    const moved = quietPort(new Set([...seen, squatter.port]));
    const unitFile = 'etc/systemd/system/dsa110-api.service';
    const root = writeTree(tempDir(), { [unitFile]: `[Service]\nEnvironment=CONTIMG_API_PORT=${moved}\nExecStart=/usr/bin/uvicorn app:app\n` });
    const spec: ServiceSpec = { id: 'api', port: squatter.port, env: 'CONTIMG_API_PORT', unit: 'dsa110-api.service', processes: ['uvicorn'] };
    const facts = await gather({ registry: testRegistry([spec]), root });
    const found = checkUnknownListeners(facts, { strict: false }).filter((r) => r.port === squatter.port);
    expect(found).toEqual([expect.objectContaining({ check: 'unknown-listeners', severity: 'warning', service: 'api' })]);
    expect(found[0]!.reason).toBe(
      `api (${squatter.port}): port ${squatter.port} is api's in test-ports.yaml, but api moved to port ${moved} (CONTIMG_API_PORT=${moved} from /${unitFile}:2): ` +
        `listening on 127.0.0.1:${squatter.port}, held by evil (pid ${squatter.pid}, user ${me}): evil; find out why it listens there, or set api back to port ${squatter.port}`,
    );
    // The service itself on its old port (its unit moved it, it was not restarted): a restart moves it.
    const itself = await gather({ registry: testRegistry([{ ...spec, processes: ['evil'] }]), root });
    expect(checkUnknownListeners(itself, { strict: false }).find((r) => r.port === squatter.port)!.reason).toBe(
      `api (${squatter.port}): port ${squatter.port} is api's in test-ports.yaml, but api moved to port ${moved} (CONTIMG_API_PORT=${moved} from /${unitFile}:2): ` +
        `listening on 127.0.0.1:${squatter.port}, held by evil (pid ${squatter.pid}, user ${me}): evil; by its names that is api itself, started before it moved: restart dsa110-api.service so it takes port ${moved}`,
    );
    expect(run(itself, 'api').listening[0]!.reason).toContain(`; by its names it listens on port ${squatter.port} (`);
    // A development-only service too: it is itself on the port its unit moved it from (its listening result is ok).
    const devItself = await gather({ registry: testRegistry([{ ...spec, processes: ['evil'], group: 'development', access: 'dev' }]), root });
    expect(checkUnknownListeners(devItself, { strict: false }).find((r) => r.port === squatter.port)!.reason).toContain(
      `; by its names that is api itself, started before it moved: restart dsa110-api.service so it takes port ${moved}`,
    );
    // Not when another service really uses that port (moved onto it by its own unit).
    const other: ServiceSpec = { id: 'web', port: moved, env: 'WEB_PORT', unit: 'web.service', processes: ['node'] };
    const onto = writeTree(root, { 'etc/systemd/system/web.service': `[Service]\nEnvironment=WEB_PORT=${squatter.port}\nExecStart=/usr/bin/node\n` });
    const taken = await gather({ registry: testRegistry([spec, other]), root: onto });
    expect(checkUnknownListeners(taken, { strict: true }).filter((r) => r.port === squatter.port)).toEqual([]);
  });

  it("lists a TCP listener on a UDP service's port number: the registry knows the port for UDP only", async () => {
    const seen = listenedPorts(await factsFor([]));
    const stranger = await spawnListener({ host: '127.0.0.1', port: quietPort(seen), name: 'evil' });
    const facts = await factsFor([{ id: 'syslog', port: stranger.port, transport: 'udp', processes: ['rsyslogd'] }]);
    const found = checkUnknownListeners(facts, { strict: true }).filter((r) => r.port === stranger.port);
    expect(found).toEqual([expect.objectContaining({ severity: 'warning' })]);
    expect(found[0]!.reason).toMatch(
      new RegExp(`^port ${stranger.port} is not in test-ports.yaml \\(for TCP: syslog has ${stranger.port}/udp\\): listening on 127\\.0\\.0\\.1:`),
    );
  });
});

describe('a socket table that cannot be read', () => {
  // The errors are made here: the real table is readable to every user on this machine.
  const errno = (code: string) => Object.assign(new Error(`${code}: open '/proc/net/tcp'`), { code });
  it('says why in words and what to do, not a bare errno code', () => {
    expect(socketTableProblem(errno('EACCES'), false)).toBe('permission denied reading /proc/net/tcp (run as root)');
    expect(socketTableProblem(errno('EPERM'), true)).toBe(
      'permission denied reading /proc/net/tcp, even to root (a sandbox or security module hides it: run the check on the host)',
    );
    expect(socketTableProblem(errno('ENOENT'), true)).toBe('this system has no /proc/net/tcp (no procfs at /proc: mount it, or run the check on Linux)');
    expect(socketTableProblem(errno('EIO'), true)).toBe('cannot read /proc/net/tcp (EIO)');
    expect(socketTableProblem(new Error('something else'), true)).toBe('something else');
  });
});
