// A listener held only inside an io_uring (registered with IORING_REGISTER_FILES, its own fd closed): no fd table
// shows it, and claims were refused as if no process could be identified. The ring's fdinfo names the holder.
import { afterEach, describe, expect, it } from 'vitest';
import { canBind, readListenSocketsSync } from '@dsa110/ports/system';
import { claimPort, type ClaimOptions } from '../src/index.js';
import { resultJsonLine } from '../src/result.js';
import { procControl } from '../src/processes.js';
import { isAlive, leasePort, ringHolderUnavailable, startRingHolder, type RingHolder } from '../../../test-support/index.js';

const unavailable = ringHolderUnavailable();
let holder: RingHolder | undefined;

afterEach(async () => {
  await holder?.stop();
  holder = undefined;
});

/**
 * claimPort() on the ring holder's port. The guard (ss -p) cannot read the owner of a socket no fd holds, so the
 * socket is proved ours by its inode (the only socket on the port, the one the holder made), and any signal to a
 * process other than the holder fails the test.
 */
async function claimRing(ring: RingHolder, options: ClaimOptions) {
  expect(readListenSocketsSync({ ports: [ring.port] }).map((socket) => socket.inode)).toEqual([ring.inode]);
  const base = procControl();
  const processes = {
    ...base,
    signal: (who: Parameters<typeof base.signal>[0], sig: Parameters<typeof base.signal>[1]) => {
      if (who.pid !== ring.pid) throw new Error(`the claim signalled PID ${who.pid}, which the test did not start`);
      return base.signal(who, sig);
    },
  };
  const lines: string[] = [];
  const result = await claimPort(ring.port, { usage: false, processes, log: (line) => lines.push(line), ...options });
  return { result, log: lines.join('\n') };
}

describe.skipIf(unavailable !== undefined)(`a listener held only through an io_uring${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('is claimed: its process is named as holding it through its io_uring, signalled and gone, and the port is free', async () => {
    holder = await startRingHolder(leasePort());
    const { result, log } = await claimRing(holder, { timeoutSeconds: 2 });
    expect(result.action, `${result.message}\n${log}`).toBe('freed');
    expect(result.holders.map((h) => [h.pid, h.signals[0]])).toEqual([[holder.pid, 'SIGTERM']]);
    expect(log).toContain(`127.0.0.1:${holder.port} held by PID ${holder.pid} through its io_uring`);
    expect(isAlive(holder.pid)).toBe(false);
    expect((await canBind(holder.port, 'tcp')).ok).toBe(true);
  });

  it('a dry run names the holder and signals nothing', async () => {
    holder = await startRingHolder(leasePort());
    const { result, log } = await claimRing(holder, { dryRun: true });
    expect(result.action, `${result.message}\n${log}`).toBe('would-free');
    expect(result.holders.map((h) => [h.pid, h.outcome, h.signals])).toEqual([[holder.pid, 'would-signal', []]]);
    expect(log).toContain(`held by PID ${holder.pid} through its io_uring (in the ring's registered files, not its fd table)`);
    expect(isAlive(holder.pid)).toBe(true);
  });

  // ss -p and lsof show no process on such a socket: the JSON and the holder's own line say how it holds it.
  it('--json marks the holder throughRing, and its line says through its io_uring: in a dry run and in a claim', async () => {
    for (const dryRun of [true, false]) {
      holder = await startRingHolder(leasePort());
      const { result, log } = await claimRing(holder, { dryRun, timeoutSeconds: 2 });
      expect(result.action, `${result.message}\n${log}`).toBe(dryRun ? 'would-free' : 'freed');
      const json = JSON.parse(resultJsonLine(result)) as { holders: { pid: number; throughRing?: unknown }[] };
      expect(json.holders.map((h) => [h.pid, h.throughRing])).toEqual([[holder.pid, true]]);
      expect(log).toMatch(new RegExp(`^PID ${holder.pid} \\([^)]*, through its io_uring\\): `, 'm'));
      await holder.stop();
      holder = undefined;
    }
  });
  // A thread with an fd table of its own (unshare(CLONE_FILES)) that holds the ring: /proc/PID/fd shows nothing.
  it("is claimed when the ring is in a thread's own fd table: named, signalled and gone; a dry run signals nothing", async () => {
    holder = await startRingHolder(leasePort(), { ownTable: true });
    const dry = await claimRing(holder, { dryRun: true });
    expect(dry.result.action, `${dry.result.message}\n${dry.log}`).toBe('would-free');
    expect(dry.result.holders.map((h) => [h.pid, h.outcome, h.throughRing])).toEqual([[holder.pid, 'would-signal', true]]);
    expect(isAlive(holder.pid)).toBe(true);
    const { result, log } = await claimRing(holder, { timeoutSeconds: 2 });
    expect(result.action, `${result.message}\n${log}`).toBe('freed');
    expect(result.holders.map((h) => [h.pid, h.signals[0], h.throughRing])).toEqual([[holder.pid, 'SIGTERM', true]]);
    expect(log).toContain(`127.0.0.1:${holder.port} held by PID ${holder.pid} through its io_uring`);
    expect(isAlive(holder.pid)).toBe(false);
    expect((await canBind(holder.port, 'tcp')).ok).toBe(true);
  });
});
