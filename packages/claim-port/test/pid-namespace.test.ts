// claim-port in a PID namespace that shows another namespace's /proc (the
// host's: `unshare --pid --fork` without --mount-proc) refuses before any
// signal: the PIDs it reads there are not the ones kill() reaches. The real
// case as root: a holder on the host, and in the namespace a decoy this file
// started with the holder's host PID as its own, which logs any SIGTERM; the
// built bin runs in that namespace (nsenter). Nothing else has that PID there.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { foreignProcReason, readForeignProc } from '../src/pid-namespace.js';
import { type Run, runClaim } from './helpers.js';
import { cleanupStarted, start } from './started.js';
import { hasCommand, isAlive, leasePort, spawnListener } from '../../../test-support/index.js';

const root = process.getuid?.() === 0;

afterEach(cleanupStarted);

describe('foreignProcReason', () => {
  it('is nothing when /proc/self is claim-port’s own PID', () => {
    expect(foreignProcReason('4242', 4242)).toBeUndefined();
    expect(readForeignProc()).toBeUndefined();
  });

  it('says whose /proc it is and what to do, in one line', () => {
    const reason = foreignProcReason('13293', 1)!;
    expect(reason).toContain("/proc/self is PID 13293 there, and PID 1 in claim-port's own");
    expect(reason).toContain('unshare --pid --fork --mount-proc');
    expect(reason).not.toContain('\n');
    expect(foreignProcReason(undefined, 7)).toContain('claim-port is not in it (/proc/self cannot be read; it is PID 7 in its own)');
    // A link that is no PID is not printed as it is.
    expect(foreignProcReason('x\n', 7)).toContain('/proc/self is PID ? there');
  });
});

/** `claim-port ...args` (the built bin) in the PID namespace of `inside`, with the /proc of this one; `port` behind the guard. */
function claimIn(inside: number, args: string[], port: number): Promise<Run> {
  return runClaim(args, { port, prefix: ['nsenter', '--target', String(inside), '--pid', '--'] });
}

describe.skipIf(!root || !hasCommand('unshare') || !hasCommand('nsenter'))('in a PID namespace with the host’s /proc', () => {
  it('refuses, dry run too, and signals neither the holder nor the process that has its PID there', async () => {
    const holder = await spawnListener();
    const dir = mkdtempSync(join(tmpdir(), 'claim-pidns-'));
    try {
      const log = join(dir, 'decoy.log');
      // Prints its host PID (what /proc/self names) and its PID in the namespace; logs a SIGTERM and lives on.
      const decoy = `const fs = require('fs');
process.on('SIGTERM', () => fs.appendFileSync(${JSON.stringify(log)}, 'SIGTERM\\n'));
console.log(JSON.stringify({ pid: Number(fs.readlinkSync('/proc/self')), inside: process.pid, port: ${holder.port} }));
setInterval(() => {}, 1 << 30);`;
      // PID 1 of the namespace makes the decoy's PID there the holder's host PID (ns_last_pid is this namespace's).
      const ns = await start([
        'unshare',
        '--pid',
        '--fork',
        '--kill-child',
        'sh',
        '-c',
        'echo $(($1 - 1)) > /proc/sys/kernel/ns_last_pid || exit 3; "$2" -e "$3" & wait',
        'sh',
        String(holder.pid),
        process.execPath,
        decoy,
      ]);
      expect(ns.first.inside, 'the decoy did not get the holder’s PID in the namespace').toBe(holder.pid);
      const decoyPid = ns.first.pid; // its host PID: nsenter joins its namespace

      const dry = await claimIn(decoyPid, [String(holder.port), '--dry-run', '--json'], holder.port);
      const real = await claimIn(decoyPid, [String(holder.port), '--timeout', '1', '--json'], holder.port);
      expect(existsSync(log) ? readFileSync(log, 'latin1') : '', 'the decoy was signalled').toBe('');
      expect(isAlive(holder.pid)).toBe(true);
      for (const run of [dry, real]) {
        expect(run.code, run.stdout + run.stderr).toBe(1);
        const result = JSON.parse(run.stdout);
        expect(result).toMatchObject({ action: 'refused', holders: [] });
        expect(result.message).toContain("the /proc claim-port reads is another PID namespace's");
        expect(result.message).toMatch(/; nothing was signalled$/);
      }
      expect(isAlive(decoyPid)).toBe(true);

      // A free port is still answered, at no cost: nothing is signalled there.
      const free = leasePort();
      const answer = await claimIn(decoyPid, [String(free), '--json'], free);
      expect(answer.code, answer.stderr).toBe(0);
      expect(JSON.parse(answer.stdout)).toMatchObject({ action: 'already-free' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
