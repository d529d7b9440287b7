// snapshot and snapshotSync given option values of the wrong type or shape,
// from JavaScript: each is a TypeError (or RangeError) naming the function and
// the option, never an answer for TCP to a question about 'UDP', never
// "sockets.map is not a function", never listeners made up of undefined.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanSocketHolders, snapshot, snapshotSync, startSocketHoldersParallel, type SnapshotOptions } from '@dsa110/ports/system';
import { tempDir, writeTree } from '../../../../test-support/tree.js';

type Untyped = (options?: unknown) => unknown;
const sync = snapshotSync as Untyped;
const async = snapshot as (options?: unknown) => Promise<unknown>;

/** Both functions refuse `options` with the same message, each naming itself. */
async function refusedByBoth(options: unknown, message: string | RegExp, type: typeof TypeError | typeof RangeError = TypeError): Promise<void> {
  const named = (fn: string) => (typeof message === 'string' ? new type(`${fn}: ${message}`) : new RegExp(`^${fn}: ${message.source}`));
  expect(() => sync(options), JSON.stringify(options)).toThrow(named('snapshotSync'));
  expect(() => sync(options)).toThrow(type);
  await expect(async(options), JSON.stringify(options)).rejects.toThrow(named('snapshot'));
  await expect(async(options)).rejects.toThrow(type);
}

/** A procRoot with no process and empty socket tables: what is read there is known, and nothing is found. */
function emptyProc(): string {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  return writeTree(tempDir(), { 'net/tcp': header, 'net/tcp6': header, 'net/udp': header, 'net/udp6': header });
}

const SOCKET = { address: '0.0.0.0', family: 'IPv4', port: 8000, inode: 41001, uid: 0 } as const;

describe('snapshot options, checked', () => {
  it("a procRoot that is no /proc: snapshot({ parallel: true }) rejects with the table's error, and leaves no read to fail unawaited", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const file = join(tempDir(), 'file');
      writeFileSync(file, 'not a directory\n');
      for (const procRoot of [file, join(tempDir(), 'absent')]) {
        await expect(snapshot({ procRoot, parallel: true })).rejects.toThrow(
          `snapshot: cannot read ${procRoot}/net/tcp: options.procRoot ${JSON.stringify(procRoot)} holds no net/tcp: give where /proc is mounted`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('transport is "tcp", "udp" or left out: "UDP" or 5 used to be answered for TCP', async () => {
    const procRoot = emptyProc();
    for (const [transport, what] of [
      ['UDP', 'the string "UDP"'],
      [5, 'number 5'],
      [null, 'null'],
      ['', 'the string ""'],
    ] as const) {
      await refusedByBoth({ ports: [8000], procRoot, transport }, `options.transport must be "tcp" or "udp" or left out (TCP), not ${what}`);
    }
    expect(snapshotSync({ ports: [8000], procRoot, transport: 'udp' })).toEqual({ listeners: [], unreadable: [] });
    expect(snapshotSync({ ports: [8000], procRoot, transport: 'tcp' })).toEqual({ listeners: [], unreadable: [] });
    await refusedByBoth({ procRoot, transport: 'udp' }, 'options.transport "udp" needs options.ports (the UDP sockets bound to them are read)');
  });

  it('sockets is an array of ListenSocket: what is wrong with an entry is said, by its index and key', async () => {
    const procRoot = emptyProc();
    const shape = 'ListenSocket ({ address, family, port, inode, uid })';
    await refusedByBoth({ procRoot, sockets: 'x' }, `options.sockets must be an array of ${shape} or left out, not the string "x"`);
    await refusedByBoth({ procRoot, sockets: new Set([SOCKET]) }, `options.sockets must be an array of ${shape} or left out, not a Set`);
    await refusedByBoth({ procRoot, sockets: [null] }, `options.sockets[0] must be a ${shape}, not null`);
    await refusedByBoth({ procRoot, sockets: [{}] }, 'options.sockets[0].address must be an address (a non-empty string), not undefined');
    const bad: [Record<string, unknown>, string, typeof TypeError | typeof RangeError][] = [
      [{ address: '' }, 'address must be an address (a non-empty string), not an empty string', TypeError],
      [{ family: 'ipv4' }, 'family must be "IPv4" or "IPv6", not the string "ipv4"', TypeError],
      [{ port: '8000' }, 'port must be a number 1-65535, not the string "8000" (parse it with parsePort)', TypeError],
      [{ port: 0 }, 'port must be an integer 1-65535, not 0', RangeError],
      [{ inode: undefined }, 'inode must be a socket inode (a number), not undefined', TypeError],
      [{ inode: 1.5 }, 'inode must be an integer 0-9007199254740991, not 1.5', RangeError],
      [{ uid: -1 }, 'uid must be an integer 0-4294967294, not -1', RangeError],
    ];
    for (const [change, message, type] of bad) {
      await refusedByBoth({ procRoot, sockets: [SOCKET, { ...SOCKET, ...change }] }, `options.sockets[1].${message}`, type);
    }
    // A PortSocket (more keys) is a ListenSocket too; the caller's own are used, with no holder under this procRoot.
    const udp = { ...SOCKET, transport: 'udp', state: 'BOUND' };
    expect(snapshotSync({ procRoot, sockets: [udp] }).listeners).toEqual([{ ...udp, dualStack: false, holders: [], ownerKnown: false }]);
    expect(snapshotSync({ procRoot, sockets: [] })).toEqual({ listeners: [], unreadable: [] });
    // Inode 0 is a kernel socket's (nfsd listens with no file): taken, with no holder.
    expect(snapshotSync({ procRoot, sockets: [{ ...SOCKET, inode: 0 }] }).listeners).toMatchObject([{ inode: 0, holders: [], ownerKnown: false }]);
  });

  it('parallel is a boolean, threads "every", procRoot a non-empty string and ports port numbers, whatever else is given', async () => {
    const procRoot = emptyProc();
    await refusedByBoth({ procRoot, parallel: 'yes' }, 'options.parallel must be true, false or left out (false), not the string "yes"');
    await refusedByBoth({ procRoot, parallel: 1 }, /options\.parallel must be .*not number 1$/);
    await refusedByBoth({ procRoot, threads: 'all' }, 'options.threads must be "every" or left out, not the string "all"');
    // With the sockets given, none of these reached a check: procRoot 5 scanned no process, and said no holder.
    await refusedByBoth({ procRoot: 5, sockets: [SOCKET] }, /options\.procRoot must be a non-empty string .*not number 5$/);
    await refusedByBoth(
      { procRoot, ports: '8000', sockets: [SOCKET] },
      /options\.ports must be an array \(or other iterable\) of port numbers, not the string "8000"$/,
    );
    await refusedByBoth({ procRoot, ports: [80.5], transport: 'udp' }, /each of options\.ports must be an integer 1-65535, not 80\.5$/, RangeError);
    const options: SnapshotOptions = { procRoot, parallel: false, threads: 'every', transport: 'tcp', ports: new Set([8000]) };
    expect(await snapshot(options)).toEqual({ listeners: [], unreadable: [] });
    expect(snapshotSync({ ...options, parallel: true })).toEqual({ listeners: [], unreadable: [] });
  });

  it('holderScan is a started scan, with sockets, in snapshot() alone, without threads', async () => {
    const procRoot = emptyProc();
    const scan = startSocketHoldersParallel({ procRoot, perl: false });
    const started = 'a scan from startSocketHoldersParallel() or left out';
    for (const [value, what] of [
      [{}, 'an object'],
      [{ finish: () => {} }, 'an object'],
      ['scan', 'the string "scan"'],
      [null, 'null'],
    ] as const) {
      await expect(async({ procRoot, sockets: [SOCKET], holderScan: value })).rejects.toThrow(
        new TypeError(`snapshot: options.holderScan must be ${started}, not ${what}`),
      );
    }
    expect(() => sync({ procRoot, sockets: [SOCKET], holderScan: scan })).toThrow(
      new TypeError('snapshotSync: options.holderScan is for snapshot() (it waits for the scan); leave it out here'),
    );
    await expect(async({ procRoot, holderScan: scan })).rejects.toThrow(
      new TypeError('snapshot: options.holderScan needs options.sockets (the sockets whose holders it reads)'),
    );
    await expect(async({ procRoot, sockets: [SOCKET], threads: 'every', holderScan: scan })).rejects.toThrow(
      new TypeError('snapshot: options.holderScan reads with the options it was started with; leave options.threads out'),
    );
    expect(await snapshot({ procRoot, sockets: [SOCKET], holderScan: scan })).toEqual({
      listeners: [{ ...SOCKET, dualStack: false, holders: [], ownerKnown: false }],
      unreadable: [],
    });
  });

  it("the holder scans check procRoot and skip too (snapshot's procRoot reaches them)", () => {
    const untyped = scanSocketHolders as (inodes: unknown, options?: unknown) => unknown;
    expect(() => untyped([1], { procRoot: 5 })).toThrow(/^scanSocketHolders: options\.procRoot must be a non-empty string .*not number 5$/);
    expect(() => untyped([1], { skip: [1] })).toThrow(new TypeError('scanSocketHolders: options.skip must be a Set of PIDs or left out, not an array'));
  });
});
