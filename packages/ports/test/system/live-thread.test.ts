import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { liveThreadId } from '../../src/system/process.js';
import { recordSpawned, signal } from '../../../../test-support/guard.js';

describe('liveThreadId', () => {
  it("names a live thread other than the leader: node's own V8 and libuv threads", () => {
    const tid = liveThreadId(process.pid);
    expect(tid).not.toBe(process.pid);
    expect(readdirSync(`/proc/${process.pid}/task`)).toContain(String(tid));
  });

  it('is undefined for a process with one thread, and for one that is gone', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      recordSpawned(child.pid!);
      expect(liveThreadId(child.pid!)).toBeUndefined();
    } finally {
      signal(child.pid!);
    }
    // Reaped: the PID is gone, not a zombie.
    await new Promise((resolve) => child.once('exit', resolve));
    expect(liveThreadId(child.pid!)).toBeUndefined();
  });
});
