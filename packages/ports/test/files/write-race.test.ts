// The writers against a directory swapped after it was checked, for real: a
// process of another account (nobody) exchanges, again and again, a directory
// of root's in a directory it owns with its own link to a directory only root
// may write (renameat2 RENAME_EXCHANGE, as a hostile tester did). Root's
// writes into the first directory must never land in the second: whatever is
// at the path when a step runs, every step after the check works on the
// directory the check saw. As root only: the swapper runs as another user.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, lchownSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killedWritersTemps, writeOutputFile } from '../../src/files/write.js';
import { ConcurrentWriteError, writeGeneratedFiles } from '../../src/files/tree.js';
import { isRoot, privateDir } from './special.js';

const NOBODY = 65534;
/**
 * Enough for the writers before the fix to land in the swapped-in directory every run (6 runs of 6 did), in about 3 s;
 * and for the tree writer that read its tree back by path to take a swap for another run (35 of 6000, 4 runs of 4).
 * The tree writer's test took 8-13 s at a load average of 8-9 on 2 cores, against 3.5-4.5 s before it worked in the
 * directories held (a write alone costs the same): 40 s for those.
 */
const TRIES = 6000;

// renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) in a loop: syscall 316 on x86_64, 276 on aarch64.
const SWAPPER = `
import ctypes, os, platform, sys
libc = ctypes.CDLL(None, use_errno=True)
number = {'x86_64': 316, 'aarch64': 276}[platform.machine()]
a, b = sys.argv[1].encode(), sys.argv[2].encode()
if libc.syscall(number, -100, a, -100, b, 2) != 0:
    sys.exit('renameat2: ' + os.strerror(ctypes.get_errno()))
print('swapping', flush=True)
while True:
    libc.syscall(number, -100, a, -100, b, 2)
`;

/**
 * `race/` (nobody's) holding `ne/` (root's) and `lnk -> ../rootonly` (nobody's link), and `rootonly/` (root's, 0700)
 * holding `name` (root's, 0600): the layout of /var/lib/prometheus (prometheus's) and its node-exporter/ (root's).
 */
function raceTree(name: string): { ne: string; rootonly: string } {
  const dir = privateDir();
  chmodSync(dir, 0o755);
  const race = join(dir, 'race');
  mkdirSync(race);
  mkdirSync(join(race, 'ne'));
  symlinkSync('../rootonly', join(race, 'lnk'));
  lchownSync(join(race, 'lnk'), NOBODY, NOBODY);
  chownSync(race, NOBODY, NOBODY);
  const rootonly = join(dir, 'rootonly');
  mkdirSync(rootonly, { mode: 0o700 });
  writeFileSync(join(rootonly, name), 'precious\n', { mode: 0o600 });
  return { ne: join(race, 'ne'), rootonly };
}

/** Start the swapper as nobody; resolves once it swapped once (its process, for the caller to kill by PID). */
async function startSwapper(a: string, b: string): Promise<ChildProcess> {
  const child = spawn('/usr/bin/python3', ['-c', SWAPPER, a, b], { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let errors = '';
    child.stderr!.on('data', (chunk) => (errors += chunk));
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the swapper exited (${code}): ${errors}`)));
  });
  return child;
}

/**
 * Run `write` once with nothing swapped (it must go through: a writer that refuses everything would pass the rest),
 * then TRIES times while `race/ne` and `race/lnk` are swapped; how many of those went through. How many do depends on
 * the machine's load (under CI's, every one may meet a swap and be refused): only where they land is asserted.
 */
async function underSwaps(ne: string, write: () => void, refused: (error: unknown) => void = () => {}): Promise<number> {
  write();
  const swapper = await startSwapper(ne, join(ne, '../lnk'));
  let written = 0;
  try {
    for (let index = 0; index < TRIES; index++) {
      try {
        write();
        written++;
      } catch (error) {
        refused(error); // the swap was seen
      }
    }
  } finally {
    if (swapper.pid !== undefined) process.kill(swapper.pid, 'SIGKILL');
  }
  return written;
}

function expectUntouched(rootonly: string, name: string): void {
  expect(readdirSync(rootonly)).toEqual([name]);
  expect(readFileSync(join(rootonly, name), 'utf8')).toBe('precious\n');
  expect(statSync(join(rootonly, name)).mode & 0o777).toBe(0o600);
}

describe.skipIf(!isRoot)(
  `writes into a directory another account swaps after it was checked ${isRoot ? '' : '[skipped: needs root to run the swapper as nobody]'}`,
  () => {
    it('writeOutputFile (port-health-check --output, ports docs) never writes into the directory swapped in', { timeout: 20_000 }, async () => {
      const name = 'dsa110_ports.prom';
      const { ne, rootonly } = raceTree(name);
      await underSwaps(ne, () => writeOutputFile(join(ne, name), 'report\n'));
      expectUntouched(rootonly, name);
    });

    it('writeGeneratedFiles (ports systemd, ports monitoring, ports firewall --out) never writes nor makes a directory in the one swapped in', {
      timeout: 40_000,
    }, async () => {
      const name = 'claim-port.conf';
      const { ne, rootonly } = raceTree(name);
      let turn = 0;
      // A new directory each time too (made, then the file in it), and the file in ne/ itself.
      await underSwaps(ne, () =>
        writeGeneratedFiles(
          '',
          [
            { path: join(ne, name), contents: `drop-in ${turn}\n` },
            { path: join(ne, `made-${turn++}`, name), contents: 'made\n' },
          ],
          { maxBytes: 1024 },
        ),
      );
      expectUntouched(rootonly, name);
    });

    it('writeGeneratedFiles reads its tree back in the directories it wrote: a swap after the renames is never taken for another run', {
      timeout: 40_000,
    }, async () => {
      const name = 'claim-port.conf';
      const { ne, rootonly } = raceTree(name);
      let turn = 0;
      const reasons = new Map<string, number>();
      // Alone, no other run writes the tree: a refusal may name the swap, never "another run wrote".
      await underSwaps(
        ne,
        () => writeGeneratedFiles('', [{ path: join(ne, name), contents: `drop-in ${turn++}\n` }], { maxBytes: 1024 }),
        (error) => {
          const kind = error instanceof ConcurrentWriteError ? 'another run wrote' : String((error as Error).message).replace(/^.*?: /, '');
          reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
        },
      );
      expect(Object.fromEntries(reasons)).not.toHaveProperty(['another run wrote']);
      expectUntouched(rootonly, name);
    });

    it("--check's search for killed writers' temporary files (killedWritersTemps) looks only in the directory it judged", {
      timeout: 20_000,
    }, async () => {
      const name = 'claim-port.conf';
      const { ne, rootonly } = raceTree(name);
      // A killed writer's leftover in the directory swapped in (PID 9999999 is past any pid_max; an hour old): not ne's.
      const leftover = join(rootonly, `.${name}.9999999.x.tmp`);
      writeFileSync(leftover, '', { mode: 0o600 });
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(leftover, hourAgo, hourAgo);
      const named = new Set<string>();
      await underSwaps(ne, () => {
        for (const path of killedWritersTemps([join(ne, name)], { remove: false })) named.add(path);
      });
      expect([...named]).toEqual([]);
      expect(readdirSync(rootonly).sort()).toEqual([`.${name}.9999999.x.tmp`, name]);
    });
  },
);
