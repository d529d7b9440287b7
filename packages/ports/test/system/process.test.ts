// readProcessInfo on real processes this test spawns: a process that rewrites
// its title leaves its old argument area zeroed, which /proc/PID/cmdline shows
// as dozens of NULs after the title; argv holds the words ps shows, not one
// empty word per NUL.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readProcessInfo } from '@dsa110/ports/system';
import { recordSpawned, signal, waitForExit, waitUntil } from '../../../../test-support/guard.js';

describe('readProcessInfo: argv', () => {
  const started: number[] = [];
  afterEach(async () => {
    for (const pid of started.splice(0)) {
      signal(pid, 'SIGKILL');
      await waitForExit(pid);
    }
  });

  async function start(command: string, args: string[]): Promise<number> {
    const child = spawn(command, args, { stdio: 'ignore' });
    await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
    recordSpawned(child.pid!);
    started.push(child.pid!);
    return child.pid!;
  }

  it('a process that rewrites its title (as nginx: worker process): the title alone, not the NULs of its old arguments', async () => {
    // Node's process.title writes the title over argv and zeroes the rest of that area, as nginx's setproctitle does.
    const pid = await start(process.execPath, ['-e', "process.title = 'worker: title'; setInterval(() => {}, 1000);", 'x'.repeat(60)]);
    expect(await waitUntil(() => readProcessInfo(pid)?.comm === 'worker: title')).toBe(true);
    // What the kernel shows: the title, then a NUL for each byte of the old arguments it overwrote.
    expect(readFileSync(`/proc/${pid}/cmdline`, 'latin1')).toMatch(/^worker: title\0{20,}$/);
    const info = readProcessInfo(pid)!;
    expect(info.argv).toEqual(['worker: title']);
    expect(info.command).toBe('worker: title');
  });

  it('empty last arguments are dropped, as ps drops them; an empty one before a word is kept', async () => {
    const code = 'setInterval(() => {}, 1000);';
    const pid = await start(process.execPath, ['-e', code, '', 'x', '', '']);
    expect(await waitUntil(() => readProcessInfo(pid)?.argv[0] === process.execPath)).toBe(true);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'latin1')).toBe(`${process.execPath}\0-e\0${code}\0\0x\0\0\0`);
    expect(readProcessInfo(pid)!.argv).toEqual([process.execPath, '-e', code, '', 'x']);
  });
});
