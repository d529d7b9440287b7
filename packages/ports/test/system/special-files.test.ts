// The system readers given a FIFO, a link to /dev/zero or a directory where a
// /proc file should be (a procRoot laid out by hand, a path a caller chose):
// each is refused at once, never read (a FIFO would hang the read, /dev/zero
// would fill memory), and said as readTextFile says it. Run in a child, which
// the old readers hung: a hang is a timeout here, not a stuck test run.
import { spawnSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readProcessInfo } from '@dsa110/ports/system';
import { tempDir, writeTree, type TreeEntry } from '../../../../test-support/tree.js';
import { repoRoot } from '../helpers.js';

/** Every file the readers read under a procRoot, and the two they take a path to. */
const FILES = [
  'net/tcp',
  'net/tcp6',
  'net/sockstat',
  'net/sockstat6',
  'net/udp',
  'net/udp6',
  'net/unix',
  'sys/net/ipv6/bindv6only',
  'loadavg',
  '1/stat',
  '1/status',
  '1/cmdline',
  '1/cgroup',
  '2/stat',
  '2/task/2/children',
  'range',
  'passwd',
];

/** A procRoot whose every file is `entry`; PID 1 and 2 have empty fd directories (2 is then looked at as kthreadd). */
function specialRoot(entry: TreeEntry): string {
  const files: Record<string, TreeEntry> = { '1/fd': { dir: true }, '2/fd': { dir: true } };
  for (const file of FILES) files[file] = entry;
  return writeTree(tempDir('dsa110-special-proc-'), files);
}

const SOCKET = { address: '0.0.0.0', family: 'IPv4', port: 8000, inode: 41001, uid: 0 };

/** Each call's outcome (`{ returned }` or `{ error }`) and how long it took, from a child given `root`. */
function runReaders(root: string): Record<string, { returned?: unknown; error?: string; ms: number }> {
  const script = `
    import * as system from './packages/ports/src/system/index.ts';
    const root = ${JSON.stringify(root)};
    const socket = ${JSON.stringify(SOCKET)};
    const calls = {
      readListenSocketsSync: () => system.readListenSocketsSync({ procRoot: root }),
      readListenSockets: () => system.readListenSockets({ procRoot: root }),
      snapshotSync: () => system.snapshotSync({ procRoot: root }),
      snapshot: () => system.snapshot({ procRoot: root }),
      snapshotParallel: () => system.snapshot({ procRoot: root, parallel: true }),
      snapshotOfSockets: () => system.snapshotSync({ procRoot: root, sockets: [socket] }).listeners.map((l) => [l.port, l.dualStack, l.ownerKnown]),
      snapshotUdp: () => system.snapshotSync({ procRoot: root, ports: [53], transport: 'udp' }),
      readPortSockets: () => system.readPortSockets(53, 'udp', root),
      scanSocketHolders: () => [...system.scanSocketHolders([41001], { procRoot: root }).holders],
      processesWithUnlistedSockets: () => [...system.processesWithUnlistedSockets(root)],
      readProcessInfo: () => system.readProcessInfo(1, root) ?? null,
      readStartTime: () => system.readStartTime(1, root) ?? null,
      ancestors: () => system.ancestors(1, root),
      readProcessUsage: () => system.readProcessUsage(1, root) ?? null,
      readCgroup: () => system.readCgroup(1, root) ?? null,
      readBindV6Only: () => system.readBindV6Only(root),
      hasIdleCore: () => system.hasIdleCore(root),
      readEphemeralRange: () => system.readEphemeralRange(root + '/range') ?? null,
      userName: () => system.userName(0, root + '/passwd'),
    };
    const out = {};
    for (const [name, call] of Object.entries(calls)) {
      const start = process.hrtime.bigint();
      try {
        out[name] = { returned: await call() };
      } catch (error) {
        out[name] = { error: error.message };
      }
      out[name].ms = Number(process.hrtime.bigint() - start) / 1e6;
    }
    console.log(JSON.stringify(out));
  `;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 30_000,
    killSignal: 'SIGKILL',
  });
  expect(child.signal, `the readers hung (or read without end): ${child.stderr}`).toBeNull();
  expect(child.stderr).toBe('');
  return JSON.parse(child.stdout) as Record<string, { returned?: unknown; error?: string; ms: number }>;
}

describe('the system readers never read a FIFO, a device or a directory in place of a /proc file', () => {
  const cases: [string, TreeEntry, string][] = [
    ['a FIFO', { fifo: true }, 'it is a FIFO (named pipe), not a regular file'],
    ['a link to /dev/zero', { symlink: '/dev/zero' }, 'it is a character device, not a regular file'],
    ['a directory', { dir: true }, 'it is a directory, not a regular file'],
  ];
  for (const [kind, entry, reason] of cases) {
    it(`${kind}: refused at once, an error naming the table, or the reader's "cannot be read" answer`, () => {
      const root = specialRoot(entry);
      const seen = runReaders(root);
      for (const [name, { ms }] of Object.entries(seen)) expect(ms, `${name} took ${ms} ms`).toBeLessThan(2000);
      const outcome = (name: string) => {
        const { ms: _, ...rest } = seen[name]!;
        return rest;
      };
      const table = (fn: string) => ({ error: `${fn}: cannot read ${root}/net/tcp: ${reason}` });
      expect(outcome('readListenSocketsSync')).toEqual(table('readListenSocketsSync'));
      expect(outcome('readListenSockets')).toEqual(table('readListenSockets'));
      expect(outcome('snapshotSync')).toEqual(table('snapshotSync'));
      expect(outcome('snapshot')).toEqual(table('snapshot'));
      expect(outcome('snapshotParallel')).toEqual(table('snapshot'));
      // bindv6only unreadable: the Linux default (0), so a 0.0.0.0 socket is no dual-stack one; its owner unknown.
      expect(outcome('snapshotOfSockets')).toEqual({ returned: [[8000, false, false]] });
      expect(outcome('snapshotUdp')).toEqual({ error: `${root}/net/udp: ${reason}` });
      expect(outcome('readPortSockets')).toEqual({ error: `${root}/net/udp: ${reason}` });
      expect(outcome('scanSocketHolders')).toEqual({ returned: [] });
      expect(outcome('processesWithUnlistedSockets')).toEqual({ returned: [] });
      for (const name of ['readProcessInfo', 'readStartTime', 'readProcessUsage', 'readCgroup', 'readEphemeralRange'])
        expect(outcome(name), name).toEqual({ returned: null });
      expect(outcome('ancestors')).toEqual({ returned: [] });
      expect(outcome('readBindV6Only')).toEqual({ returned: false });
      expect(outcome('hasIdleCore')).toEqual({ returned: false });
      expect(outcome('userName')).toEqual({ returned: '0' });
    }, 60_000);
  }

  it('a socket count (net/sockstat) that is a FIFO is not understood: the table is read', () => {
    const tcp =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41001 1 0 100 0 0 10 0\n';
    const root = writeTree(tempDir(), { 'net/tcp': tcp, 'net/sockstat': { fifo: true }, 'net/sockstat6': { symlink: '/dev/zero' } });
    const script = `
      import { readListenSocketsSync } from './packages/ports/src/system/index.ts';
      console.log(JSON.stringify(readListenSocketsSync({ procRoot: ${JSON.stringify(root)} })));
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
    expect(child.signal, 'the read hung on the FIFO').toBeNull();
    expect(JSON.parse(child.stdout)).toEqual([SOCKET]);
  });

  it('a /proc file longer than any the kernel writes (MAX_PROC_FILE_BYTES) is not read: the process has no arguments to show', () => {
    const stat = '1 (init) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n';
    const root = writeTree(tempDir(), { '1/stat': stat, '1/status': 'Uid:\t0\t0\t0\t0\n', '1/cmdline': 'init\0' });
    expect(readProcessInfo(1, root)?.argv).toEqual(['init']);
    // Sparse: 16 MiB of NULs that take no disk.
    writeFileSync(join(root, '1/cmdline'), 'init\0');
    truncateSync(join(root, '1/cmdline'), 16 * 1024 * 1024 + 1);
    expect(readProcessInfo(1, root)).toMatchObject({ pid: 1, argv: [], command: '[init]' });
  });
});
