// The main configuration nginx reads from the command its unit starts it with, held to a real nginx: the file
// `nginx -t` with those options says it tests, the directory a relative include is read from, and the options
// it refuses in its own words (always with -t first, so a command taken by mistake only tests).
import { spawnSync } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { hasCommand } from '../../../../../test-support/commands.js';
import { describe, expect, it } from 'vitest';
import type { DaemonCommand } from '../../../src/checks/references/daemon-command.js';
import { NGINX_BUILD_PREFIX, NGINX_CONF, nginxMain } from '../../../src/checks/references/nginx-main.js';
import { tempDir, writeTree } from '../../helpers.js';

/** nginx, for the tests held against it: on PATH, or Debian's in /usr/sbin, outside a non-root PATH. */
const NGINX = ['nginx', '/usr/sbin/nginx'].find((command) => hasCommand(command, ['-v']));
if (!NGINX) console.warn('[skipped: missing Debian package nginx-light: install with sudo bash scripts/install-system-packages.sh]');

/** A unit's ExecStart= of nginx with `args`, started in `cwd`. */
function command(args: readonly string[], cwd = '/'): DaemonCommand {
  const argv = ['/usr/sbin/nginx', ...args];
  return {
    unit: 'nginx.service',
    line: { file: '/lib/systemd/system/nginx.service', line: 7, value: '', prefixes: '', path: argv[0]!, words: argv, argv },
    cwd,
  };
}

/** What the real nginx says of `args` with -t (and its error log in `dir`) before them, run in `cwd`: its exit code and stderr. */
function realTest(args: readonly string[], cwd: string, dir: string): { status: number | null; stderr: string } {
  const run = spawnSync(NGINX!, ['-t', '-e', join(dir, 'error.log'), ...args], { cwd, encoding: 'utf8', timeout: 10_000 });
  return { status: run.status, stderr: run.stderr };
}

describe('the main configuration in the command nginx is started with', () => {
  it('is nginx.conf without a command or a -c, with relative includes under /etc/nginx/', () => {
    expect(nginxMain(undefined)).toEqual({ path: NGINX_CONF, confPrefix: '/etc/nginx/' });
    expect(nginxMain(command(['-g', 'daemon on; master_process on;']))).toEqual({
      path: NGINX_CONF,
      confPrefix: '/etc/nginx/',
      params: 'daemon on; master_process on;',
    });
    expect(nginxMain(command(['-t', '-q']))).toEqual({ unknown: true });
    expect(nginxMain(command(['-s', 'reload']))).toEqual({ unknown: true });
  });

  it.skipIf(!NGINX)('is the build’s --conf-path, a relative -c under its --prefix', () => {
    const built = spawnSync(NGINX!, ['-V'], { encoding: 'utf8' }).stderr;
    expect(built).toContain(` --conf-path=${NGINX_CONF} `);
    expect(built).toContain(` --prefix=${NGINX_BUILD_PREFIX.slice(0, -1)} `);
  });

  it.skipIf(!NGINX)('is the file a real nginx reads for each spelling of -c and -p, its includes under that file’s directory', () => {
    const dir = tempDir();
    const conf = join(dir, 'conf/main.conf');
    // The include is found only under conf/ (nginx -t fails else); the one it includes, relative too, under conf/ again.
    writeTree(dir, {
      'conf/main.conf': `pid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'error.log')};\nevents {}\ninclude sub/inc.conf;\n`,
      'conf/sub/inc.conf': 'include sub/inc2.conf;\n',
      'conf/sub/inc2.conf': '# reached\n',
    });
    const forms: { args: string[]; cwd?: string }[] = [
      { args: ['-c', conf] },
      { args: [`-c${conf}`] },
      { args: ['-qc', join(dir, 'conf/other.conf')] }, // quiet: only a file not there makes it say which it read
      { args: ['-', '-c', conf, '-g', 'worker_processes 1;'] },
      { args: ['-c', '/nonexistent.conf', '-c', conf] },
      { args: ['-p', dir, '-c', 'conf/main.conf'] },
      { args: [`-p${dir}/`, '-cconf/main.conf'] },
      { args: ['-p', '', '-c', 'conf/main.conf'], cwd: dir },
      { args: ['-p', basename(dir), '-c', 'conf/main.conf'], cwd: dirname(dir) },
      { args: ['-c', './conf/main.conf'], cwd: dir }, // relative to the build's prefix, not the start directory: not there
    ];
    let read = 0;
    for (const { args, cwd = '/' } of forms) {
      const main = nginxMain(command(args, cwd));
      const real = realTest(args, cwd, dir);
      const tested = /the configuration file (.*) syntax is ok/.exec(real.stderr)?.[1] ?? /open\(\) "([^"]*)" failed/.exec(real.stderr)?.[1];
      expect({ args, tested: tested && join(tested.startsWith('/') ? '/' : cwd, tested) }).toEqual({ args, tested: 'path' in main ? main.path : undefined });
      // Read, with its includes found: the directory said is the one nginx read them from (they are nowhere else).
      if (real.status === 0) expect(main).toMatchObject({ path: conf, confPrefix: `${join(dir, 'conf')}/` });
      else expect(tested).not.toBe(conf);
      if (real.status === 0) read++;
    }
    expect(read).toBe(forms.length - 2);
  });

  it.skipIf(!NGINX)('is refused where a real nginx refuses the command, in its words', () => {
    const dir = tempDir();
    for (const args of [['daemon'], ['-x'], ['-tx'], ['-c'], ['-q', '-p'], ['-g'], ['-s', 'restart'], [''], ['-c', '/etc/nginx/nginx.conf', 'off']]) {
      const main = nginxMain(command(args));
      const real = realTest(args, '/', dir);
      expect(real.status).toBe(1);
      expect({ args, refused: /^nginx: (.*)$/m.exec(real.stderr)?.[1] }).toEqual({ args, refused: 'refused' in main ? main.refused : undefined });
    }
  });
});
