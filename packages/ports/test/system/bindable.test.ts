// The bind check, on real listening sockets on loopback (IPv4 and IPv6).
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { canBind, canBindAddressSync, canBindSync } from '../../src/system/bindable.js';
import { findFreePort, portAvailability, tryBind } from '../../src/system/free-port.js';
import { leasePort } from '../../../../test-support/test-port.js';
import { parseRegistry } from '../../src/index.js';
import { listJson } from '../../src/render/list.js';

describe('the bind check', () => {
  const listen = (host: string) =>
    new Promise<Server>((resolve) => {
      const server = createServer();
      server.listen(0, host, () => resolve(server));
    });

  it('fails while anything listens on the port, on any address or family; passes once it is gone', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const server = await listen(host);
      const port = (server.address() as { port: number }).port;
      expect(canBindSync(port)).toMatchObject({ ok: false, code: 'EADDRINUSE' });
      expect(await canBind(port)).toMatchObject({ ok: false });
      await new Promise((resolve) => server.close(resolve));
      expect(canBindSync(port)).toEqual({ ok: true });
    }
  });
});

describe('the bind check of one address (canBindAddressSync)', () => {
  it('fails on the listening address (and the wildcard overlapping it), passes on another loopback address', async () => {
    const server = await new Promise<Server>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = (server.address() as { port: number }).port;
    try {
      expect(canBindAddressSync('127.0.0.1', port)).toEqual({ ok: false, reason: '127.0.0.1: EADDRINUSE', code: 'EADDRINUSE' });
      expect(canBindAddressSync('0.0.0.0', port)).toMatchObject({ ok: false, code: 'EADDRINUSE' });
      expect(canBindAddressSync('127.0.0.2', port)).toEqual({ ok: true });
      expect(canBindAddressSync('::1', port)).toEqual({ ok: true });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(() => (canBindAddressSync as (address: unknown, port: number) => unknown)(undefined, port)).toThrow(/^canBindAddressSync: address must be/);
    expect(() => canBindAddressSync('127.0.0.1', 0)).toThrow(RangeError);
  });

  it('refuses a host name or other text that is no IP address, a TypeError (it answered { ok: false, code: "EINVAL" })', () => {
    const port = leasePort() || 40000; // bound for a moment on each address taken
    for (const address of [
      'localhost',
      '',
      'example.com',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '01.2.3.4',
      ' 127.0.0.1',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '::1%',
      '::g',
      '[::1]',
    ]) {
      expect(() => canBindAddressSync(address, port), address).toThrow(
        new TypeError(
          `canBindAddressSync: address must be an IP address such as 127.0.0.2 or ::1 (a host name is not looked up), not the string ${JSON.stringify(address)}`,
        ),
      );
    }
    for (const address of ['127.0.0.1', '0.0.0.0', '::', '::1', '::ffff:127.0.0.1', '1:2:3:4:5:6:7:8', 'fe80::1%lo', '2001:db8::1.2.3.4']) {
      expect(() => canBindAddressSync(address, port), address).not.toThrow();
    }
  });
});

describe('bind checks given a value that is not a port (from JavaScript)', () => {
  // Each of these used to bind an ephemeral port (or ignore the transport) and answer { ok: true }: "free".
  const notPorts: [unknown, RegExp][] = [
    [undefined, /^canBind(Sync)?: port must be a number 1-65535, not undefined$/],
    [null, /^canBind(Sync)?: port must be a number 1-65535, not null$/],
    ['8000', /^canBind(Sync)?: port must be a number 1-65535, not the string "8000" \(parse it with parsePort\)$/],
    [Number.NaN, /^canBind(Sync)?: port must be an integer 1-65535, not NaN$/],
    [0, /^canBind(Sync)?: port must be an integer 1-65535, not 0$/],
    [-1, /not -1$/],
    [1.5, /not 1\.5$/],
    [65536, /not 65536$/],
  ];
  const untypedSync = canBindSync as (port: unknown, transport?: unknown) => unknown;
  const untyped = canBind as (port: unknown, transport?: unknown) => Promise<unknown>;

  it.each(notPorts)('canBind / canBindSync(%j) throws naming it', async (port, message) => {
    expect(() => untypedSync(port)).toThrow(message);
    await expect(untyped(port)).rejects.toThrow(message);
  });

  it('a transport other than tcp/udp is a TypeError', async () => {
    expect(() => untypedSync(8000, 'TCP')).toThrow(new TypeError('canBindSync: transport must be "tcp" or "udp" (or left out: "tcp"), not the string "TCP"'));
    await expect(untyped(8000, 'sctp')).rejects.toThrow(TypeError);
    expect(() => untypedSync(8000, null)).toThrow(TypeError);
  });

  it('findFreePort, portAvailability and tryBind refuse a bad range, port or host', async () => {
    const find = findFreePort as (range: unknown) => Promise<unknown>;
    await expect(find(undefined)).rejects.toThrow(new TypeError('findFreePort: range must be an object { start, end }, not undefined'));
    await expect(find({ start: '40000', end: '40010' })).rejects.toThrow(/^findFreePort: range.start must be a number 1-65535, not the string "40000"/);
    await expect(find({ start: -5, end: 3 })).rejects.toThrow(new RangeError('findFreePort: range.start must be an integer 1-65535, not -5'));
    await expect(find({ start: 65530, end: 70000 })).rejects.toThrow(/range.end must be an integer 1-65535, not 70000$/);
    // An option given in the range is refused, not ignored, with where it goes.
    await expect(find({ start: 40000, end: 40000, host: '127.0.0.1' })).rejects.toThrow(
      new TypeError('findFreePort: range takes { start, end } only; host is an option: give it in the second argument, findFreePort({ start, end }, { host })'),
    );
    await expect(find({ start: 40000, ned: 40000 })).rejects.toThrow(
      new TypeError(
        'findFreePort: the range has an unknown key "ned" (did you mean "end"?); it takes { start, end }, or a registry\'s reserved range as it is (its kind "reserved", id, name, purpose and for are not read)',
      ),
    );
    await expect(find(new Map([['start', 40000]]))).rejects.toThrow(new TypeError('findFreePort: range must be an object { start, end }, not a Map'));
    await expect((portAvailability as (port: unknown) => Promise<unknown>)(0)).rejects.toThrow(RangeError);
    const bind = tryBind as (port: unknown, host: unknown) => Promise<unknown>;
    await expect(bind(Number.NaN, '127.0.0.1')).rejects.toThrow(RangeError);
    const hostText = 'tryBind: host must be an IP address such as "0.0.0.0" or "::" (a host name is not looked up), not';
    await expect(bind(40000, -1)).rejects.toThrow(new TypeError(`${hostText} number -1`));
    // A host name is refused before any lookup (net would ask DNS, off this machine).
    await expect(bind(40000, 'junk')).rejects.toThrow(new TypeError(`${hostText} the string "junk"`));
    await expect(bind(40000, 'localhost')).rejects.toThrow(new TypeError(`${hostText} the string "localhost"`));
    await expect(bind(40000, '')).rejects.toThrow(new TypeError(`${hostText} the string ""`));
    await expect((tryBind as (port: unknown, host: unknown, v6: unknown) => Promise<unknown>)(40000, '::1', 'yes')).rejects.toThrow(
      new TypeError('tryBind: ipv6Only must be true or false, or left out, not the string "yes"'),
    );
  });
});

describe('findFreePort: preferred ports, exclude, host and transport (real sockets on loopback)', () => {
  // Four consecutive ports below the ephemeral range, leased: no other test and no bind(0) is given them meanwhile.
  const base = leasePort({ ranges: [[20000, 29999]], count: 4 });
  const range = { start: base, end: base + 3 };
  const listenOn = (port: number, host: string) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen({ port, host, exclusive: true }, () => resolve(server));
    });
  const close = (server: Server) => new Promise((resolve) => server.close(resolve));
  const bindUdp = (port: number, address: string) =>
    new Promise<Socket>((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind({ port, address, exclusive: true }, () => resolve(socket));
    });

  it('tries the preferred port(s) first, in order, then the range; a taken one is passed over', async () => {
    expect(await findFreePort(range)).toBe(base);
    expect(await findFreePort(range, { port: base + 2 })).toBe(base + 2);
    const held = await listenOn(base + 2, '127.0.0.1');
    try {
      expect(await findFreePort(range, { port: [base + 2, base + 3] })).toBe(base + 3);
      expect(await findFreePort(range, { port: new Set([base + 2]) })).toBe(base);
      function* preferred() {
        yield base + 2;
        yield base + 1;
      }
      expect(await findFreePort(range, { port: preferred() })).toBe(base + 1);
    } finally {
      await close(held);
    }
  });

  it('never answers an excluded port, preferred or not; undefined when every port is excluded or taken', async () => {
    expect(await findFreePort(range, { exclude: [base, base + 1] })).toBe(base + 2);
    expect(await findFreePort(range, { port: base + 1, exclude: new Set([base + 1]) })).toBe(base);
    const held = await listenOn(base + 3, '::1');
    try {
      expect(await findFreePort(range, { exclude: [base, base + 1, base + 2] })).toBeUndefined();
    } finally {
      await close(held);
    }
  });

  it('with host, binds there too, and never narrows the test: a port in use on another address is passed over', async () => {
    const held = await listenOn(base, '127.0.0.1');
    try {
      expect(await findFreePort(range, { host: '127.0.0.1' })).toBe(base + 1);
      expect(await findFreePort(range, { host: '127.0.0.2' })).toBe(base + 1);
      expect(await findFreePort(range, { host: '::1', port: base })).toBe(base + 1);
    } finally {
      await close(held);
    }
    // An address of no interface of this machine (TEST-NET-1): an error at once, not "every port is taken".
    // Its code is the errno's, as the EMFILE errors of the same function carry theirs (it had none).
    await expect(findFreePort(range, { host: '192.0.2.1' })).rejects.toMatchObject({
      code: 'EADDRNOTAVAIL',
      message:
        'findFreePort: cannot bind options.host "192.0.2.1" on this machine (EADDRNOTAVAIL: no interface has that address): give an address of this machine, or leave host out',
    });
    await expect(findFreePort(range, { host: '10.255.255.1' })).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
  });

  it("with transport 'udp', tests datagram sockets: a port a UDP socket holds is passed over, which TCP does not see", async () => {
    const held = await bindUdp(base, '127.0.0.1');
    try {
      expect(await findFreePort(range)).toBe(base);
      expect(await findFreePort(range, { transport: 'udp' })).toBe(base + 1);
      expect(await findFreePort(range, { transport: 'udp', host: '127.0.0.1', port: base })).toBe(base + 1);
    } finally {
      await new Promise<void>((resolve) => held.close(() => resolve()));
    }
  });

  it('checks each option, naming it', async () => {
    const find = findFreePort as (range: unknown, options?: unknown) => Promise<unknown>;
    await expect(find(range, 'tcp')).rejects.toThrow(
      new TypeError('findFreePort: options must be an object ({ port?, exclude?, host?, transport? }) or left out, not the string "tcp"'),
    );
    await expect(find(range, { exlude: [base] })).rejects.toThrow(
      new TypeError('findFreePort: unknown option "exlude" (did you mean "exclude"?); it takes { port?, exclude?, host?, transport? }'),
    );
    await expect(find(range, { port: String(base) })).rejects.toThrow(
      new TypeError(
        `findFreePort: options.port must be a port number, or an array (or other iterable) of them, or left out, not the string "${base}" (parse it with parsePort)`,
      ),
    );
    await expect(find(range, { port: [base, 0] })).rejects.toThrow(new RangeError('findFreePort: options.port[1] must be an integer 1-65535, not 0'));
    await expect(find(range, { port: base + 4 })).rejects.toThrow(
      new RangeError(`findFreePort: options.port ${base + 4} is outside the range ${base}-${base + 3}: a preferred port must be one of the range's`),
    );
    await expect(find(range, { exclude: base })).rejects.toThrow(
      new TypeError(`findFreePort: options.exclude must be an array (or other iterable) of port numbers, or left out, not number ${base}`),
    );
    await expect(find(range, { exclude: [base, '8000'] })).rejects.toThrow(
      /^findFreePort: options.exclude\[1\] must be a number 1-65535, not the string "8000"/,
    );
    await expect(find(range, { host: 'localhost' })).rejects.toThrow(
      new TypeError(
        'findFreePort: options.host must be an IP address such as 127.0.0.1 or ::1 (a host name is not looked up), or left out, not the string "localhost"',
      ),
    );
    await expect(find(range, { host: 127 })).rejects.toThrow(/^findFreePort: options.host must be an IP address .*not number 127$/);
    await expect(find(range, { transport: 'TCP' })).rejects.toThrow(
      new TypeError('findFreePort: transport must be "tcp" or "udp" (or left out: "tcp"), not the string "TCP"'),
    );
  });
});

describe('findFreePort out of file descriptors', () => {
  it('says it cannot check the port (EMFILE, with what to raise), never "none free" (undefined) for ports it could not test', () => {
    const start = leasePort({ ranges: [[20000, 29999]], count: 3 });
    // A child with few descriptors, every one used up before it asks: each bind test then fails with EMFILE.
    const script = `
      import { openSync } from 'node:fs';
      const { findFreePort } = await import(${JSON.stringify(new URL('../../dist/system/index.js', import.meta.url).href)});
      const held = [];
      try { for (;;) held.push(openSync('/dev/null', 'r')); } catch {}
      try { console.log('answer', await findFreePort({ start: ${start}, end: ${start + 2} })); }
      catch (error) { console.log('error', error.code, error.message); }
      try { console.log('answer', await findFreePort({ start: ${start}, end: ${start + 2} }, { host: '127.0.0.1' })); }
      catch (error) { console.log('error', error.code, error.message); }
    `;
    const run = spawnSync('sh', ['-c', 'ulimit -n 64; exec "$0" --input-type=module -e "$1"', process.execPath, script], { encoding: 'utf8' });
    expect(run.stdout).toBe(
      `error EMFILE findFreePort: cannot check port ${start}: EMFILE (this process may open no more files: raise its limit, ulimit -n); no port was found free\n` +
        'error EMFILE findFreePort: cannot check options.host "127.0.0.1": EMFILE (this process may open no more files: raise its limit, ulimit -n); no port was found free\n',
    );
  });
});

describe("findFreePort given a registry's reserved range", () => {
  it('takes registry.reserved[i] as it is (its start and end; it used to refuse its "kind"), and still refuses a stray key elsewhere', async () => {
    const start = leasePort({ ranges: [[20000, 29999]], count: 2 });
    const registry = parseRegistry(
      `version: 1\nservices: []\nreserved:\n  - id: scratch\n    name: Scratch\n    start: ${start}\n    end: ${start + 1}\n    purpose: test range\n`,
    );
    const scratch = registry.reserved.find((entry) => entry.id === 'scratch')!;
    const held = await new Promise<Server>((resolve) => {
      const server = createServer();
      server.listen({ port: start, host: '127.0.0.1', exclusive: true }, () => resolve(server));
    });
    try {
      expect(await findFreePort(scratch)).toBe(start + 1);
      expect(await findFreePort(scratch, { exclude: [start + 1] })).toBeUndefined();
    } finally {
      await new Promise((resolve) => held.close(resolve));
    }
    const find = findFreePort as (range: unknown) => Promise<unknown>;
    await expect(find({ start, end: start + 1, kind: 'service' })).rejects.toThrow(
      /^findFreePort: the range's kind is the string "service", not "reserved"; it takes \{ start, end \}, or a registry's reserved range/,
    );
    await expect(find({ kind: 'reserved', start, end: start + 1, ned: 1 })).rejects.toThrow(/^findFreePort: the range has an unknown key "ned" \(did you/);
    await expect(find({ start, end: start + 1, 'x\u001b[2J': 1 })).rejects.toThrow(/^findFreePort: the range has an unknown key "x\\e\[2J"; it takes/);
  });

  it('takes an entry of `ports list --json`\'s reserved (no kind) as it is: its id, name, purpose and for are not read (name was "an unknown option")', async () => {
    const start = leasePort({ ranges: [[20000, 29999]], count: 2 });
    const registry = parseRegistry(
      `version: 1\nservices: []\nreserved:\n  - id: scratch\n    name: Scratch\n    start: ${start}\n    end: ${start + 1}\n    purpose: test range\n`,
    );
    const [entry] = listJson(registry).reserved as { start: number; end: number }[];
    expect(Object.keys(entry!).sort()).toEqual(['end', 'for', 'id', 'name', 'purpose', 'start']);
    expect(await findFreePort(entry!)).toBe(start);
    expect(await findFreePort({ start, end: start + 1, name: 'dev' } as { start: number; end: number })).toBe(start);
  });
});

describe('findFreePort, portAvailability, canBind and tryBind at once on one port, in one process (real sockets on loopback)', () => {
  const listenOn = (port: number, host: string) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen({ port, host, exclusive: true }, () => resolve(server));
    });
  // Each at once, twice: every test of the port while another of this library's binds it.
  const allAtOnce = (port: number) =>
    Promise.all([
      findFreePort({ start: port, end: port }),
      findFreePort({ start: port, end: port }, { host: '127.0.0.1' }),
      portAvailability(port),
      portAvailability(port),
      canBind(port),
      canBind(port),
      tryBind(port, '0.0.0.0'),
      tryBind(port, '::', true),
      findFreePort({ start: port, end: port }),
    ]);

  it("never takes another's test socket for a holder: a free port is free to each (one of two said undefined, EADDRINUSE)", async () => {
    const port = leasePort({ ranges: [[20000, 29999]] });
    for (let round = 0; round < 30; round++) {
      const [a, b] = await Promise.all([findFreePort({ start: port, end: port }), findFreePort({ start: port, end: port })]);
      expect([a, b]).toEqual([port, port]);
      expect(await Promise.all([portAvailability(port), portAvailability(port)])).toEqual([
        { port, free: true, ipv6: true },
        { port, free: true, ipv6: true },
      ]);
      expect(await allAtOnce(port)).toEqual([
        port,
        port,
        ...Array(2).fill({ port, free: true, ipv6: true }),
        { ok: true },
        { ok: true },
        { ok: true },
        { ok: true },
        port,
      ]);
      const udp = await Promise.all([
        findFreePort({ start: port, end: port }, { transport: 'udp' }),
        findFreePort({ start: port, end: port }, { transport: 'udp', host: '127.0.0.1' }),
        portAvailability(port, 'udp'),
        canBind(port, 'udp'),
      ]);
      expect(udp).toEqual([port, port, { port, free: true, ipv6: true }, { ok: true }]);
    }
  });

  it('still says a port a server holds is taken, to every check at once', async () => {
    const port = leasePort({ ranges: [[20000, 29999]] });
    const held = await listenOn(port, '::1');
    try {
      const [one, onHost, first, second, bindOne, bindTwo, v4, v6, two] = await allAtOnce(port);
      expect([one, onHost, two]).toEqual([undefined, undefined, undefined]);
      expect([first, second]).toEqual([
        { port, free: false, reason: '[::]: EADDRINUSE', ipv6: true },
        { port, free: false, reason: '[::]: EADDRINUSE', ipv6: true },
      ]);
      expect([bindOne, bindTwo]).toEqual([
        { ok: false, reason: '[::]: EADDRINUSE', code: 'EADDRINUSE' },
        { ok: false, reason: '[::]: EADDRINUSE', code: 'EADDRINUSE' },
      ]);
      expect([v4, v6]).toEqual([{ ok: true }, { ok: false, code: 'EADDRINUSE' }]);
      expect(canBindSync(port)).toEqual({ ok: false, reason: '[::]: EADDRINUSE', code: 'EADDRINUSE' });
    } finally {
      await new Promise((resolve) => held.close(resolve));
    }
  });
});
