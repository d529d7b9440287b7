// A holder that listens on other ports too: killing it closes them all. One of
// another registered service's (another unit) refuses the claim, in a dry run
// too; others are named, and freed with it. Real holders on loopback, spawned
// by the suite; every claim behind the guard (claimOurs).
import { parseRegistry } from '@dsa110/ports';
import { readEphemeralRange } from '@dsa110/ports/system';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeOtherPorts } from '../src/elsewhere.js';
import { claimInProcess } from './helpers.js';
import { cleanupStarted, claimOurs, start } from './started.js';
import { isAlive, leasePort } from '../../../test-support/index.js';
import { tempDir } from '../../../test-support/tree.js';
import { cgroupsWritable, makeUnitCgroup } from '../../../test-support/cgroup.js';

/** `text` as a regular expression matching it literally. */
const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

afterEach(cleanupStarted);

const python = '/usr/bin/python3';
const lease = (count = 1) => leasePort({ ranges: [[20000, 29999]], count });

interface Entry {
  readonly id: string;
  readonly port: number;
  readonly unit: string;
  readonly transport?: 'tcp' | 'udp';
  /** Default true. */
  readonly robust?: boolean;
}

/** A registry of `services` (each with its unit), and a reserved range when given. */
function registryText(services: readonly Entry[], reserved?: { id: string; start: number; end: number }): string {
  const lines = ['version: 1', 'services:'];
  for (const s of services)
    lines.push(
      `  - id: ${s.id}`,
      `    name: ${s.id}`,
      `    port: ${s.port}`,
      `    protocol: ${s.transport === 'udp' ? 'UDP' : 'HTTP'}`,
      ...(s.transport === 'udp' ? ['    transport: udp'] : []),
      '    group: development',
      '    access: localhost',
      '    configuredBy: hardcoded',
      `    robust: ${s.robust ?? true}`,
      '    processes: [python3]',
      s.robust === false ? `    systemd: { unit: ${s.unit} }` : `    systemd: { unit: ${s.unit}, claim: unit }`,
    );
  if (reserved)
    lines.push(
      'reserved:',
      `  - id: ${reserved.id}`,
      `    name: ${reserved.id}`,
      `    start: ${reserved.start}`,
      `    end: ${reserved.end}`,
      '    purpose: scratch',
    );
  return `${lines.join('\n')}\n`;
}

/** Two services on leased ports: mysvc (the one claimed) in mysvc.service, and othersvc in `otherUnit`. */
function twoServices(otherUnit = 'othersvc.service') {
  const [mine, other] = [lease(), lease()];
  const registry = parseRegistry(
    registryText([
      { id: 'mysvc', port: mine, unit: 'mysvc.service' },
      { id: 'othersvc', port: other, unit: otherUnit },
    ]),
  );
  return { mine, other, registry };
}

/** One python3 process listening on every TCP port of `tcp` and bound to every UDP port of `udp`, on 127.0.0.1. */
function holder(tcp: readonly number[], udp: readonly number[] = []) {
  return start([
    python,
    '-c',
    `import json, os, resource, socket, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
kept = []
for port in ${JSON.stringify(tcp)}:
    s = socket.socket(); s.bind(('127.0.0.1', port)); s.listen(16); kept.append(s)
for port in ${JSON.stringify(udp)}:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', port)); kept.append(u)
print(json.dumps({'pid': os.getpid(), 'port': ${JSON.stringify(tcp[0] ?? udp[0])}}), flush=True)
while True: time.sleep(3600)`,
  ]);
}

describe("a holder that also listens on another service's port", () => {
  it.each([
    ['a TCP claim, their TCP port', 'tcp', 'tcp'],
    ['a TCP claim, their UDP port', 'tcp', 'udp'],
    ['a UDP claim, their TCP port', 'udp', 'tcp'],
  ] as const)(
    '(%s) is never signalled, in a dry run nor a real one: one line names the PID, its name, the port, the service and what to do',
    async (_, ours, theirs) => {
      const mine = lease();
      const other = lease();
      const registry = parseRegistry(
        registryText([
          { id: 'mysvc', port: mine, unit: 'mysvc.service', transport: ours },
          { id: 'othersvc', port: other, unit: 'othersvc.service', transport: theirs },
        ]),
      );
      const tcp = [...(ours === 'tcp' ? [mine] : []), ...(theirs === 'tcp' ? [other] : [])];
      const udp = [...(ours === 'udp' ? [mine] : []), ...(theirs === 'udp' ? [other] : [])];
      const server = await holder(tcp, udp);
      const { pid } = server.first;
      const slash = (transport: 'tcp' | 'udp') => (transport === 'udp' ? '/udp' : '');
      for (const dryRun of [true, false]) {
        const lines: string[] = [];
        const result = await claimOurs(mine, { registry, transport: ours, dryRun, timeoutSeconds: 1, log: (line) => lines.push(line) });
        expect(result.action, lines.join('\n')).toBe('refused');
        expect(result.holders).toEqual([expect.objectContaining({ pid, signals: [], outcome: 'protected' })]);
        const claimed = `port ${mine}${slash(ours)} (mysvc)`;
        // It runs in no unit of othersvc's (this test's process tree): stopping othersvc.service would change nothing.
        expect(result.message).toMatch(
          new RegExp(
            `^refused to free ${esc(claimed)}: PID ${pid} \\(python3\\) also listens on port ${other}${esc(theirs === 'tcp' && ours === 'udp' ? '/tcp' : slash(theirs))} \\(othersvc\\), which the registry gives to service othersvc \\(unit othersvc\\.service\\), though it does not run in that unit \\((?:it runs in [^)]*|its unit could not be read)\\): signalling it would close that port too; free ${esc(claimed)} by hand \\(kill ${pid}\\) if that port may close too; nothing was signalled$`,
          ),
        );
        expect(result.holders[0]!.reason).toMatch(/^also listens on port \d+(\/udp|\/tcp)? \(othersvc\), which the registry gives to service othersvc/);
        expect(result.holders[0]!.otherPorts).toEqual([{ port: other, transport: theirs, service: 'othersvc', unit: 'othersvc.service' }]);
        expect(isAlive(pid)).toBe(true);
      }
    },
  );
});

describe("a holder that also listens on another service's port: what to do", () => {
  it("names the first holder that started the others (a pre-fork master, whose worker, killed alone, it starts again), in every holder's line", async () => {
    const { mine, other, registry } = twoServices();
    // A master listening on both ports forks a worker that inherits both sockets.
    const server = await start([
      python,
      '-c',
      `import json, os, socket, sys, time
kept = []
for port in (${mine}, ${other}):
    s = socket.socket(); s.bind(('127.0.0.1', port)); s.listen(16); kept.append(s)
child = os.fork()
if child == 0:
    while True: time.sleep(3600)
print(json.dumps({'pid': os.getpid(), 'pids': [os.getpid(), child], 'port': ${mine}}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const [master, worker] = server.first.pids as [number, number];
    const lines: string[] = [];
    const result = await claimOurs(mine, { registry, dryRun: true, timeoutSeconds: 1, log: (line) => lines.push(line) });
    expect(result.action).toBe('refused');
    const refusals = lines.filter((line) => line.startsWith('refusing: '));
    expect(refusals).toHaveLength(2);
    expect(refusals.find((line) => line.includes(`PID ${master} (python3)`))).toMatch(new RegExp(`by hand \\(kill ${master}\\) if that port may close too$`));
    expect(refusals.find((line) => line.includes(`PID ${worker} (python3)`))).toMatch(
      new RegExp(
        `by hand \\(kill ${master}: PID ${master} started PID ${worker} and holds the port too, and would start another\\) if that port may close too$`,
      ),
    );
    expect(isAlive(master) && isAlive(worker)).toBe(true);
  });

  it.skipIf(!cgroupsWritable)("says to stop that service's unit only when the holder runs in it", async () => {
    const unit = `othersvc-${process.pid}-${Math.random().toString(36).slice(2, 8)}.service`;
    const { mine, other, registry } = twoServices(unit);
    const cgroup = makeUnitCgroup(unit)!;
    try {
      const server = await holder([mine, other]);
      const { pid } = server.first;
      cgroup.move(pid);
      const result = await claimOurs(mine, { registry, dryRun: true, timeoutSeconds: 1 });
      expect(result.action).toBe('refused');
      expect(result.message).toContain(
        `also listens on port ${other} (othersvc), which the registry gives to service othersvc (unit ${unit}): signalling it would take that service down too; stop othersvc first (systemctl stop ${unit}), or free port ${mine} (mysvc) by hand (kill ${pid}) if it may go down; nothing was signalled`,
      );
    } finally {
      await cleanupStarted();
      cgroup.remove();
    }
  });
});

describe.skipIf(process.getuid?.() !== 0)("a holder's socket in another network namespace", () => {
  it("is in none of claim-port's tables: another service's port it listens on there is not named and does not refuse the claim (the README's Beware)", async () => {
    const { mine, other, registry } = twoServices();
    // It listens on its own port here, then unshares its network namespace (CLONE_NEWNET) and listens on othersvc's there.
    const server = await start([
      python,
      '-c',
      `import ctypes, json, os, socket, time
libc = ctypes.CDLL(None, use_errno=True)
here = socket.socket(); here.bind(('127.0.0.1', ${mine})); here.listen(16)
if libc.unshare(0x40000000) != 0: raise OSError(ctypes.get_errno(), 'unshare(CLONE_NEWNET)')
there = socket.socket(); there.bind(('0.0.0.0', ${other})); there.listen(16)
print(json.dumps({'pid': os.getpid(), 'port': ${mine}}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const { pid } = server.first;
    const dry = await claimOurs(mine, { registry, dryRun: true, timeoutSeconds: 1 });
    expect(dry).toMatchObject({ action: 'would-free', holders: [expect.objectContaining({ pid, outcome: 'would-signal' })] });
    expect(dry.holders[0]!.otherPorts).toBeUndefined();
    const result = await claimOurs(mine, { registry, timeoutSeconds: 1, settleMs: 0 });
    expect(result).toMatchObject({ action: 'freed', holders: [expect.objectContaining({ pid, signals: ['SIGTERM'] })] });
    expect(result.holders[0]!.otherPorts).toBeUndefined();
  });
});

describe('a holder that also listens on ports no other service has', () => {
  it("is freed when the other port is its own unit's other service's (an old instance of the unit: the restart case), and the lines say so", async () => {
    const mine = lease();
    const other = lease();
    const registry = parseRegistry(
      registryText([
        { id: 'mysvc', port: mine, unit: 'pair.service' },
        { id: 'mysvc-admin', port: other, unit: 'pair.service', robust: false },
      ]),
    );
    const server = await holder([mine, other]);
    const { pid } = server.first;
    const lines: string[] = [];
    const result = await claimOurs(mine, { registry, timeoutSeconds: 1, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('freed');
    expect(result.holders).toEqual([expect.objectContaining({ pid, signals: ['SIGTERM'], outcome: 'exited' })]);
    expect(result.holders[0]!.otherPorts).toEqual([{ port: other, transport: 'tcp', service: 'mysvc-admin', unit: 'pair.service', sameUnit: true }]);
    expect(lines).toContain(
      `PID ${pid} (python3) also listens on port ${other} (mysvc-admin, the same unit), which no other service of the registry has: that socket closes with it`,
    );
  });

  it('names them in the dry run and the real run, a reserved range and UDP too, in one short line past the first six (see describeOtherPorts for 400)', async () => {
    // Not one block of ports (other suites lease ports all over the range): the reserved range's three, then one by one;
    // twenty, not hundreds, so that the suite does not use up the range's leases (the 400 are describeOtherPorts' test).
    const scratch = lease(3);
    const mine = lease();
    const others = [scratch, scratch + 1, scratch + 2, ...Array.from({ length: 17 }, () => lease())];
    const udp = lease();
    const registry = parseRegistry(registryText([{ id: 'mysvc', port: mine, unit: 'mysvc.service' }], { id: 'scratch', start: scratch, end: scratch + 2 }));
    const sorted = [...others.map((port) => ({ port, udp: false })), { port: udp, udp: true }].sort((a, b) => a.port - b.port || Number(a.udp) - Number(b.udp));
    const shown = sorted
      .slice(0, 6)
      .map(({ port, udp: isUdp }) => `${port}${isUdp ? '/udp' : ''}${port >= scratch && port <= scratch + 2 ? ' (reserved scratch)' : ''}`)
      .join(', ');
    const server = await holder([mine, ...others], [udp]);
    const { pid } = server.first;
    for (const dryRun of [true, false]) {
      const lines: string[] = [];
      const result = await claimOurs(mine, { registry, dryRun, timeoutSeconds: 1, settleMs: 0, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe(dryRun ? 'would-free' : 'freed');
      const named = lines.filter((line) => line.includes('also listens on'));
      expect(named).toEqual([
        `PID ${pid} (python3) also listens on ports ${shown} and 15 more, which no other service of the registry has: those sockets ${dryRun ? 'would close' : 'close'} with it`,
      ]);
      expect(named[0]!.length).toBeLessThan(300);
      expect(result.holders[0]!.otherPorts).toHaveLength(21);
      expect(result.holders[0]!.otherPorts).toContainEqual({ port: udp, transport: 'udp' });
      if (dryRun) expect(isAlive(pid)).toBe(true);
      else expect(result.holders[0]).toMatchObject({ signals: ['SIGTERM'], outcome: 'exited' });
    }
  });

  it("a UDP socket not connected to a peer listens, whatever its port (a DNS or QUIC server's on [::], a statsd client's sendto): warned of as any other, never guessed a client's; one connected to a peer is a client's, not named; a port the registry gives another service still refuses", async () => {
    const sink = lease();
    // On a port in the ephemeral range: a dual-stack UDP server on [::]:P and a TCP listener on 127.0.0.1:P (the port
    // claimed); a statsd client (sendto before any bind: the kernel binds it to 0.0.0.0 on an ephemeral port); a
    // resolver's socket bound to 127.0.0.3 and connected to 127.0.0.1:53 (a client's, as the kernel's table says).
    const server = await start([
      python,
      '-c',
      `import json, os, socket, time
while True:
    d = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); d.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); d.bind(('::', 0))
    s = socket.socket()
    try: s.bind(('127.0.0.1', d.getsockname()[1])); break
    except OSError: d.close(); s.close()
s.listen(16)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.sendto(b'api.up:1|c', ('127.0.0.1', ${sink}))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.bind(('127.0.0.3', 0)); c.connect(('127.0.0.1', 53))
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1], 'client': u.getsockname()[1], 'connected': c.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const { pid } = server.first;
    const mine = server.first.port as number;
    const client = server.first.client as number;
    const connected = server.first.connected as number;
    const range = readEphemeralRange();
    for (const p of [mine, client]) expect(range !== undefined && p >= range.start && p <= range.end).toBe(true);
    const registry = parseRegistry(registryText([{ id: 'mysvc', port: mine, unit: 'mysvc.service' }]));
    const lines: { line: string; level: string }[] = [];
    const dry = await claimOurs(mine, { registry, dryRun: true, settleMs: 0, log: (line, level) => lines.push({ line, level }) });
    expect(dry.action).toBe('would-free');
    const [low, high] = mine < client ? [mine, client] : [client, mine];
    expect(lines.filter((l) => l.line.includes('UDP') || l.line.includes('/udp'))).toEqual([
      {
        line: `PID ${pid} (python3) also listens on ports ${low}/udp and ${high}/udp, which no other service of the registry has: those sockets would close with it`,
        level: 'warn',
      },
    ]);
    expect(lines.some((l) => l.line.includes("a client's") || l.line.includes('ephemeral port') || l.line.includes(`${connected}/udp`))).toBe(false);
    expect(dry.holders[0]!.otherPorts).toEqual([
      { port: low, transport: 'udp' },
      { port: high, transport: 'udp' },
    ]);
    // The registry's word comes first: a service's port is that service's, whatever the range (the claim refuses).
    const taken = parseRegistry(
      registryText([
        { id: 'mysvc', port: mine, unit: 'mysvc.service' },
        { id: 'statsd', port: client, unit: 'statsd.service', transport: 'udp' },
      ]),
    );
    const refused = await claimOurs(mine, { registry: taken, timeoutSeconds: 1, settleMs: 0 });
    expect(refused.action).toBe('refused');
    expect(refused.holders[0]!.otherPorts).toContainEqual({ port: client, transport: 'udp', service: 'statsd', unit: 'statsd.service' });
    expect(isAlive(pid)).toBe(true);
  });

  it('describeOtherPorts: one port, a few, and a count past the first six: 400 listeners are one short line', () => {
    const ports = (n: number) => Array.from({ length: n }, (_, i) => ({ port: 20000 + i, transport: 'tcp' as const }));
    expect(describeOtherPorts(ports(400))).toBe('20000, 20001, 20002, 20003, 20004, 20005 and 394 more');
    expect(describeOtherPorts([{ port: 5353, transport: 'udp', service: 'mdns' }])).toBe('5353/udp (mdns)');
    expect(describeOtherPorts(ports(2))).toBe('20000 and 20001');
    expect(describeOtherPorts(ports(7))).toBe('20000, 20001, 20002, 20003, 20004, 20005 and 1 more');
    // In a UDP claim's lines (the port claimed shown as 5353/udp), a TCP port is said to be one: a bare 5353 read as the port claimed.
    expect(describeOtherPorts([{ port: 5353, transport: 'tcp' }], undefined, 'udp')).toBe('5353/tcp');
    expect(describeOtherPorts([{ port: 5353, transport: 'tcp' }, ...ports(1)], undefined, 'udp')).toBe('5353/tcp and 20000/tcp');
    expect(describeOtherPorts([{ port: 5353, transport: 'udp' }], undefined, 'udp')).toBe('5353/udp');
  });
});

describe('claim-port (the command)', () => {
  it("refuses with exit 1 over another service's port, --dry-run and --json included, and says why in the holder's reason", async () => {
    const mine = lease();
    const other = lease();
    const file = join(tempDir('claim-port-elsewhere-'), 'ports.yaml');
    writeFileSync(
      file,
      registryText([
        { id: 'mysvc', port: mine, unit: 'mysvc.service' },
        { id: 'othersvc', port: other, unit: 'othersvc.service' },
      ]),
    );
    const server = await holder([mine, other]);
    const { pid } = server.first;
    for (const args of [['--dry-run'], []]) {
      const run = await claimInProcess(['mysvc', '--registry', file, '--json', ...args], { port: mine });
      expect(run.code).toBe(1);
      const result = JSON.parse(run.stdout) as { action: string; holders: { pid: number; outcome: string; reason: string }[] };
      expect(result.action).toBe('refused');
      expect(result.holders[0]).toMatchObject({ pid, outcome: 'protected', reason: expect.stringContaining(`port ${other} (othersvc)`) });
      expect(isAlive(pid)).toBe(true);
    }
  });
});

describe("a bare port that is a service's under its env override", () => {
  /** mysvc on `registered`, moved by MYSVC_PORT; othersvc, hardcoded, on `other`. */
  const overridden = (registered: number, other: number) =>
    parseRegistry(
      registryText([
        { id: 'mysvc', port: registered, unit: 'mysvc.service' },
        { id: 'othersvc', port: other, unit: 'othersvc.service' },
      ]).replace(/( {2}- id: mysvc\n(?: {4}.*\n)*? {4})configuredBy: hardcoded/, '$1configuredBy: { env: MYSVC_PORT }'),
    );

  it("is that service's, as its id is: a holder also on the service's registered port is freed as its own instance, and the registered port is no longer named for it", async () => {
    const registered = lease();
    const moved = lease();
    const other = lease();
    const registry = overridden(registered, other);
    expect(registry.service('mysvc').env).toBe('MYSVC_PORT');
    const env = { MYSVC_PORT: String(moved) };
    const server = await holder([moved, registered]);
    const { pid } = server.first;
    // The dry run first: the same answer as `claim-port mysvc` gives in that environment, and nothing signalled.
    const byId = await claimOurs(moved, { registry, env, dryRun: true, timeoutSeconds: 1 });
    expect(byId).toMatchObject({ port: moved, service: 'mysvc', action: 'would-free' });
    const lines: string[] = [];
    const result = await claimOurs(moved, { registry, env, timeoutSeconds: 1, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('freed');
    expect(result.service).toBe('mysvc');
    expect(result.holders).toEqual([expect.objectContaining({ pid, signals: ['SIGTERM'], outcome: 'exited' })]);

    // The registered port, which mysvc left for MYSVC_PORT: no service's now (not labelled mysvc); without the override, mysvc's.
    const old = await holder([registered]);
    const bare = await claimOurs(registered, { registry, env, dryRun: true, timeoutSeconds: 1 });
    expect(bare.service).toBeUndefined();
    expect(bare.message).toBe(`dry run: would send SIGTERM to PID ${old.first.pid} to free port ${registered}`);
    expect((await claimOurs(registered, { registry, env: {}, dryRun: true, timeoutSeconds: 1 })).service).toBe('mysvc');
  });

  it("names the registered port its override moved it from as no service's, not as its own (it read 'mysvc, the same unit')", async () => {
    const registered = lease();
    const moved = lease();
    const other = lease();
    const registry = overridden(registered, other);
    const env = { MYSVC_PORT: String(moved) };
    const server = await holder([moved, registered]);
    const { pid } = server.first;
    const lines: string[] = [];
    const dry = await claimOurs(moved, { registry, env, dryRun: true, timeoutSeconds: 1, log: (line) => lines.push(line) });
    expect(dry.action, lines.join('\n')).toBe('would-free');
    expect(dry.holders[0]!.otherPorts).toEqual([{ port: registered, transport: 'tcp' }]);
    expect(lines).toContain(
      `PID ${pid} (python3) also listens on port ${registered}, which no other service of the registry has: that socket would close with it`,
    );
    expect(lines.join('\n')).not.toMatch(/the same unit/);
    expect(isAlive(pid)).toBe(true);
  });
});
