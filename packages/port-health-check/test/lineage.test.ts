// readLineage against a real chain of processes deeper than MAX_ANCESTRY: two
// holders of it, one the other's parent, read in either order, give the same
// lineage (each walk goes its own MAX_ANCESTRY levels, through what the other
// walk read); and parents read only above a holder in a unit the descent rule
// asks of (a cgroup this test makes), as far up as they are in one.
import { spawn } from 'node:child_process';
import { readProcessInfo } from '@dsa110/ports/system';
import { afterEach, describe, expect, it } from 'vitest';
import { recordSpawned } from '../../../test-support/guard.js';
import { isAlive, signal, waitForExit } from '../../../test-support/index.js';
import { cgroupsWritable, makeUnitCgroup } from '../../../test-support/cgroup.js';
import { unitOf } from '../src/checks/workers.js';
import { MAX_ANCESTRY, processFacts, readLineage } from '../src/lineage.js';
import type { ListenerFacts, ProcessFacts } from '../src/types.js';

const DEPTH = MAX_ANCESTRY + 4;
// Each level forks the next and sleeps; the last prints the chain's PIDs, top first.
const CHAIN = `import os, json, time
chain = [os.getpid()]
for _ in range(${DEPTH}):
    if os.fork() != 0:
        time.sleep(3600)
        os._exit(0)
    chain.append(os.getpid())
print(json.dumps(chain), flush=True)
time.sleep(3600)
`;

const started: number[] = [];
afterEach(async () => {
  const pids = started.splice(0);
  for (const pid of pids) if (isAlive(pid)) signal(pid, 'SIGKILL');
  await Promise.all(pids.map((pid) => waitForExit(pid)));
});

async function chain(): Promise<number[]> {
  const child = spawn('python3', ['-c', CHAIN], { stdio: ['ignore', 'pipe', 'inherit'] });
  recordSpawned(child.pid!);
  started.push(child.pid!);
  const pids = JSON.parse(await new Promise<string>((resolve) => child.stdout.once('data', (data: Buffer) => resolve(data.toString())))) as number[];
  for (const pid of pids.slice(1)) {
    recordSpawned(pid);
    started.push(pid);
  }
  return pids;
}

/** Socket facts whose one listener `holders` hold, in that order. */
function heldBy(holders: readonly ProcessFacts[]) {
  const listener: ListenerFacts = { port: 1, address: '127.0.0.1', family: 4, dualStack: false, inode: 1, holders };
  return { listeners: [listener], unreadableProcesses: 0 };
}

describe('readLineage', () => {
  it('reads MAX_ANCESTRY parents above each holder, whichever holder comes first', async () => {
    const pids = await chain();
    const [bottom, above] = [pids.at(-1)!, pids.at(-2)!].map((pid) => processFacts(readProcessInfo(pid)!));
    // Eight above the holder next to the bottom: one further than the bottom's own walk goes.
    const top = pids.at(-2 - MAX_ANCESTRY)!;
    for (const holders of [
      [bottom!, above!],
      [above!, bottom!],
    ]) {
      const lineage = readLineage(heldBy(holders), () => true);
      expect(lineage.has(top)).toBe(true);
      expect(lineage.has(pids.at(-3 - MAX_ANCESTRY)!)).toBe(false);
    }
  });

  it.skipIf(!cgroupsWritable)('reads the parents of a holder in a unit it asks of, up to the first outside one; of a holder elsewhere, none', async () => {
    const unit = `lineage-s66-${process.pid}.service`;
    const cgroup = makeUnitCgroup(unit)!;
    try {
      const pids = await chain();
      // The bottom three in the unit (a service, its reloader, a worker); those above in the suite's own cgroup.
      for (const pid of pids.slice(-3)) cgroup.move(pid);
      const inUnit = (process: ProcessFacts) => unitOf(process) === unit;
      const facts = (pid: number) => processFacts(readProcessInfo(pid)!);
      const lineage = readLineage(heldBy([facts(pids.at(-1)!)]), inUnit);
      expect([...lineage.keys()].sort()).toEqual(pids.slice(-4).sort());
      expect(unitOf(lineage.get(pids.at(-4)!)!)).not.toBe(unit);
      // A holder outside the unit: itself (its cgroup), no parent.
      expect([...readLineage(heldBy([facts(pids.at(-5)!)]), inUnit).keys()]).toEqual([pids.at(-5)]);
    } finally {
      const pids = started.splice(0);
      for (const pid of pids) if (isAlive(pid)) signal(pid, 'SIGKILL');
      await Promise.all(pids.map((pid) => waitForExit(pid)));
      cgroup.remove();
    }
  });
});
