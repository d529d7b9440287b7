// describeProcess: the command line a reason shows is the process's own, each
// character it chose visible, with only the padding spaces a retitled
// process leaves dropped. A real child process, read from /proc.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { escapeText } from '@dsa110/ports';
import { readProcessInfo } from '@dsa110/ports/system';
import { describeProcess } from '../src/process-match.js';

describe('describeProcess', () => {
  it('shows a no-break space, U+2028/2029, U+FEFF and a newline at the end of the command line escaped, never trimmed away', async () => {
    const child = spawn(process.execPath, ['-e', 'process.stdout.write("up"); setTimeout(() => {}, 30000)', 'end\u00a0\u2029\ufeff\u2028\n'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await once(child.stdout, 'data');
      const info = readProcessInfo(child.pid!)!;
      const shown = describeProcess(info);
      expect(shown).toMatch(/ end\\u00a0\\u2029\\ufeff\\u2028\\n$/);
    } finally {
      child.kill();
      await once(child, 'exit');
    }
  });

  it('quotes a name that is empty (prctl PR_SET_NAME to ""), as the OWNER column does', async () => {
    const child = spawn('python3', ['-c', 'import ctypes, sys, time; ctypes.CDLL(None).prctl(15, b"\\0", 0, 0, 0); print("up", flush=True); time.sleep(30)'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await once(child.stdout, 'data');
      const info = readProcessInfo(child.pid!)!;
      expect(info.comm).toBe('');
      expect(describeProcess(info)).toMatch(new RegExp(`^"" \\(pid ${child.pid}, user [^)]+\\): `));
    } finally {
      child.kill();
      await once(child, 'exit');
    }
    expect(describeProcess({ pid: 7, uid: 0, user: 'root', comm: 'uvicorn:main' })).toBe('uvicorn:main (pid 7, user root)');
    expect(describeProcess({ pid: 7, uid: 0 })).toBe('? (pid 7, uid 0)');
  });

  it('drops the spaces a retitled process pads its command line with, and only those', () => {
    const shown = describeProcess({ pid: 7, uid: 0, user: 'root', comm: 'nginx', argv: ['nginx: worker process      '] });
    expect(shown).toBe('nginx (pid 7, user root): nginx: worker process');
    expect(describeProcess({ pid: 7, uid: 0, user: 'root', comm: 'x', argv: ['x\t', '\u00a0  '] })).toBe('x (pid 7, user root): x\\t \\u00a0');
  });

  it('cuts a long command line between escapes, never inside one (`\\e`, `\\u200b` whole or not at all)', () => {
    for (const special of ['\u001b[0m', '\u200b', '\\']) {
      for (let k = 120; k < 160; k++) {
        const rest = ` ${'a'.repeat(k)}${special}${'b'.repeat(200)}`;
        const shown = describeProcess({ pid: 9, uid: 0, user: 'root', comm: 'redis-server', argv: ['redis-server', rest.slice(1)] });
        const prefix = 'redis-server (pid 9, user root): redis-server';
        expect(shown.startsWith(prefix)).toBe(true);
        const command = shown.slice(prefix.length - 'redis-server'.length);
        expect(command.length).toBeLessThanOrEqual(160);
        expect(command.endsWith('…')).toBe(true);
        // Where the arguments were cut is where one character's escape ends.
        const cut = command.length - 'redis-server'.length - 1;
        const ends = [0];
        for (const character of rest) ends.push(ends.at(-1)! + escapeText(character).length);
        expect(ends, `${JSON.stringify(special)} after ${k}: ${command}`).toContain(cut);
      }
    }
  });

  it('names a uid that no passwd entry names as `uid N`, never as a user named by the number', () => {
    // readProcessInfo's user for such a uid is the number itself (userName).
    expect(describeProcess({ pid: 9, uid: 12345, user: '12345', comm: 'evil' })).toBe('evil (pid 9, uid 12345)');
    expect(describeProcess({ pid: 9, uid: 0, user: 'root', comm: 'redis-server' })).toBe('redis-server (pid 9, user root)');
    expect(describeProcess({ pid: 9, comm: 'redis-server' })).toBe('redis-server (pid 9, user unknown)');
  });
});
