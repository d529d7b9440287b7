import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { globToRegExp, isInterpreterName, matchProcessName, processNames, readProcessInfo } from '@dsa110/ports/system';
import { recordSpawned, signal, waitForExit, waitUntil } from '../../../../test-support/guard.js';
import { tempDir } from '../../../../test-support/tree.js';

describe('processNames', () => {
  it('knows a retitled daemon and a login shell by their program', () => {
    expect(processNames({ comm: 'nginx', argv: [`nginx: worker process${' '.repeat(40)}`] })).toContain('nginx');
    expect(processNames({ comm: 'bash', argv: ['-bash'] })).toContain('bash');
    expect(processNames({ comm: 'sshd', argv: ['sshd: alice@pts/0'] })).toContain('sshd');
  });

  it("names an interpreter's module or script, and only an interpreter's", () => {
    expect(processNames({ comm: 'python3', exe: '/usr/bin/python3.11', argv: ['python3', '-u', '-m', 'uvicorn', 'app:app'] })).toEqual(
      expect.arrayContaining(['python3', 'python3.11', 'uvicorn']),
    );
    expect(processNames({ comm: 'node', argv: ['node', '--inspect', '/srv/vite.js', '--port', '3000'] })).toEqual(
      expect.arrayContaining(['node', 'vite.js', 'vite']),
    );
    expect(processNames({ comm: 'python3', argv: ['python3', '-c', 'import uvicorn'] })).not.toContain('uvicorn');
    expect(processNames({ comm: 'redis-server', argv: ['/usr/bin/redis-server', 'uvicorn'] })).not.toContain('uvicorn');
  });

  it('matches a glob of many stars against a long name at once, as a glob does (no regular-expression backtracking)', () => {
    // Any user can give a process holding a port a 100,000-character argv[0]; `^.*a.*a.*a.*b$`
    // backtracked through every split of it (2,000 characters: 2.4 s; this one: forever), and
    // the health check and claim-port that match it run as root.
    const long = 'a'.repeat(100_000);
    const started = performance.now();
    expect(matchProcessName({ comm: 'x', argv: [long] }, ['*a*a*a*a*b', '*a?a*?b*'])).toBeUndefined();
    expect(matchProcessName({ comm: 'x', argv: [`${long}b`] }, ['*a*a*a*a*b'])).toEqual({ name: `${long}b`, glob: '*a*a*a*a*b' });
    expect(performance.now() - started).toBeLessThan(1000);
    // Still a glob: each star any run (empty too, never across a line break), ? one character, the rest literal.
    const cases: [string, string, boolean][] = [
      ['a*b*c', 'abc', true],
      ['a*b*c', 'aXbYc', true],
      ['a*b*c', 'acb', false],
      ['*ab*ab*', 'abab', true],
      ['*ab*ab*', 'aab', false],
      ['*a?c*', 'xxabcyy', true],
      ['a**b', 'ab', true],
      ['*', '', true],
      ['*.py', 'x.py', true],
      ['*.py', 'xpy', false],
      ['a*b', 'a\nb', true],
      ['(*)', '(x)', true],
      // A set, as in the shell: one character of it, or not of it with ! or ^; a ] first is one of it; * and ? in it are themselves.
      ['python[0-9]', 'python3', true],
      ['python[0-9]', 'python[0-9]', false],
      ['python[0-9]*', 'python3.11', true],
      ['[!a]*', 'bcd', true],
      ['[!a]*', 'acd', false],
      ['[^a]*', 'acd', false],
      ['a[]]b', 'a]b', true],
      ['x[[]y', 'x[y', true],
      ['[*?]', '*', true],
      ['[*?]', 'x', false],
      ['n[a-c-]e', 'n-e', true],
      ['n[a-c-]e', 'nde', false],
      ['[é]x', 'éx', true],
      ['?', '😀', true],
      // Any character is any: a line break too (a process may name itself so, to slip past a protected pattern).
      ['*worker', 'x\rworker', true],
      ['*worker', 'a\nworker', true],
      ['a*b*c', 'a\u2028b\u2029c', true],
      ['x?y', 'x\ny', true],
      ['x?y', 'x\r\ny', false],
    ];
    for (const [glob, name, matches] of cases) expect(globToRegExp(glob).test(name), `${glob} ${JSON.stringify(name)}`).toBe(matches);
  });

  it('refuses a glob that is not well formed, saying why: never matched as its text', () => {
    expect(() => globToRegExp('python[0-9')).toThrow(new TypeError('globToRegExp: the [ at character 7 is not closed by a ]: to match a [ itself, write [[]'));
    expect(() => globToRegExp('[z-a]')).toThrow(new TypeError('globToRegExp: the range [z-a] runs backwards: write [a-z]'));
  });

  it('matches globs and says which name matched which glob', () => {
    expect(matchProcessName({ comm: 'systemd-resolve' }, ['sshd', 'systemd-*'])).toEqual({ name: 'systemd-resolve', glob: 'systemd-*' });
    expect(matchProcessName({ comm: 'python3', argv: ['python3', '-m', 'dsa110_contimg.api.server'] }, ['uvicorn', 'dsa110_contimg.api*'])).toEqual({
      name: 'dsa110_contimg.api.server',
      glob: 'dsa110_contimg.api*',
    });
    expect(matchProcessName({ comm: 'node' }, ['n?de'])?.glob).toBe('n?de');
    expect(matchProcessName({ comm: 'a.bc' }, ['a.b*'])).toBeDefined();
    expect(matchProcessName({ comm: 'axbc' }, ['a.b*'])).toBeUndefined();
  });
});

describe.skipIf(!existsSync('/usr/bin/python3'))('processNames of real processes (needs Debian python3)', () => {
  const started: number[] = [];
  afterEach(async () => {
    for (const pid of started.splice(0)) {
      signal(pid, 'SIGKILL');
      await waitForExit(pid);
    }
  });

  // Debian's python3, not a version manager's shim (a shell script that execs it later).
  const python = '/usr/bin/python3';

  async function start(args: string[], cwd?: string) {
    const child = spawn(python, args, { cwd, stdio: 'ignore' });
    await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
    recordSpawned(child.pid!);
    started.push(child.pid!);
    // 'spawn' can come before the exec: wait until /proc shows python's own argv.
    const exec = await waitUntil(() => readProcessInfo(child.pid!)?.argv[0] === python);
    expect(exec).toBe(true);
    return readProcessInfo(child.pid!)!;
  }

  it('a python3 -m http.server squatter is not uvicorn', async () => {
    const info = await start(['-m', 'http.server', '--bind', '127.0.0.1', '0']);
    expect(processNames(info)).toEqual(expect.arrayContaining(['python3', 'http.server']));
    expect(matchProcessName(info, ['uvicorn', 'gunicorn', 'dsa110_contimg.api*'])).toBeUndefined();
  });

  it('python3 -m uvicorn is uvicorn', async () => {
    const dir = tempDir('dsa110-names-');
    mkdirSync(join(dir, 'uvicorn'));
    writeFileSync(join(dir, 'uvicorn/__main__.py'), 'import time\ntime.sleep(30)\n');
    const info = await start(['-m', 'uvicorn', 'app:app'], dir);
    expect(matchProcessName(info, ['uvicorn'])).toEqual({ name: 'uvicorn', glob: 'uvicorn' });
  });
});

describe('isInterpreterName', () => {
  it("is true for the names every program an interpreter or runner runs goes by, false for a program's own", () => {
    for (const name of ['node', 'python3', 'python3.11', 'perl', 'ruby', 'deno', 'bun', 'sh']) expect(isInterpreterName(name), name).toBe(true);
    for (const name of ['uvicorn', 'vite', 'nginx', 'redis-server', 'nodejs-app', 'pythonista', '']) expect(isInterpreterName(name), name).toBe(false);
  });
});
