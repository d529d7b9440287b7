// claimPortInstall's advice pasted into a real bash, with npx and npm stand-in
// functions that only record the words they get: the prefix reaches npm as one
// word, the path as it is, whatever it holds (spaces, quotes, `$`, `;`, line
// breaks), and nothing in it runs.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimPortInstall } from '../../src/systemd/index.js';
import { tempDir } from '../../../../test-support/tree.js';

/** The words npm gets when `advice` (after `in a checkout: `) is pasted into bash in an empty directory, and what the paste made there. */
function pasted(advice: string): { npm: string[]; made: string[] } {
  const command = advice.replace(/^in a checkout: /, '');
  const cwd = tempDir();
  const run = spawnSync('bash', ['-c', `npx() { :; }; npm() { printf '%s\\0' "$@"; }; ${command}`], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'], // not a socket: bash would take itself for one run by sshd and read ~/.bashrc
    env: { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C' },
  });
  expect(run.status, run.stderr.toString()).toBe(0);
  return { npm: run.stdout.toString('utf8').split('\0').slice(0, -1), made: readdirSync(cwd) };
}

const HOSTILE = [
  '/opt/my dir',
  "/opt/it's",
  '/opt/$HOME/x',
  '/opt/a;touch pwned',
  '/opt/$(touch pwned)`touch pwned2`',
  '/opt/"q"\\b',
  '/opt/line\nbreak\ttab\u001b[31m',
  '/opt/-dash',
];

describe('claimPortInstall', () => {
  it.each(HOSTILE)('gives npm the prefix %j as one word, as it is, running nothing in it', (prefix) => {
    const advice = claimPortInstall(`${prefix}/bin/claim-port`);
    expect(pasted(advice)).toEqual({ npm: ['install', '-g', '--prefix', prefix, './tarballs/*.tgz'], made: [] });
  });

  it('under a root, the prefix inside it, both as they are', () => {
    const root = join(tempDir(), "a root's $dir");
    expect(pasted(claimPortInstall('/opt/x y/bin/claim-port', root)).npm).toEqual(['install', '-g', '--prefix', `${root}/opt/x y`, './tarballs/*.tgz']);
  });

  it('under a relative root (`--root hr`), the prefix from the current directory: the command is run from the checkout', () => {
    expect(pasted(claimPortInstall('/usr/local/bin/claim-port', 'hr')).npm).toEqual([
      'install',
      '-g',
      '--prefix',
      join(process.cwd(), 'hr/usr/local'),
      './tarballs/*.tgz',
    ]);
    expect(pasted(claimPortInstall(undefined, '../x/.')).npm[3]).toBe(join(process.cwd(), '../x/usr/local'));
  });

  it('keeps a plain prefix unquoted, and shows a control character escaped on one line', () => {
    expect(claimPortInstall()).toBe(
      'in a checkout: npx -y pnpm@10.34.9 install --frozen-lockfile && npx -y pnpm@10.34.9 tarballs && npm install -g --prefix /usr/local ./tarballs/*.tgz',
    );
    const advice = claimPortInstall('/opt/a\nb/bin/claim-port');
    expect(advice).toContain("--prefix $'/opt/a\\nb' ./tarballs/*.tgz");
    expect(advice).not.toContain('\n');
  });
});
