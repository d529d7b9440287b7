// scripts/tarballs.mjs (`pnpm tarballs [DIR]`) run for real in a temp dir, with
// a stand-in for pnpm that only records that it ran: --help and a mistaken
// option are answered before anything is built, packed or made.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/tree.js';
import { repoRoot } from './helpers.js';

const script = join(repoRoot, 'scripts/tarballs.mjs');

/** `node scripts/tarballs.mjs ARGS` in a fresh temp dir, pnpm a stand-in that writes `pnpm-ran` and fails. */
function tarballs(args: readonly string[]) {
  const cwd = tempDir();
  const stub = join(tempDir(), 'pnpm-stand-in.mjs');
  writeFileSync(
    stub,
    `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(join(cwd, 'pnpm-ran'))}, process.argv.slice(2).join(' ') + '\\n');\nprocess.exit(1);\n`,
  );
  const run = spawnSync(process.execPath, [script, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', npm_execpath: stub },
  });
  const ran = existsSync(join(cwd, 'pnpm-ran')) ? readFileSync(join(cwd, 'pnpm-ran'), 'utf8') : undefined;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, ran, made: readdirSync(cwd).filter((name) => name !== 'pnpm-ran') };
}

describe('scripts/tarballs.mjs', () => {
  it('--help (or -h) says what it does and what DIR is, exit 0, building and making nothing', () => {
    for (const flag of ['--help', '-h']) {
      const run = tarballs([flag]);
      expect({ status: run.status, stderr: run.stderr, ran: run.ran, made: run.made }, flag).toEqual({ status: 0, stderr: '', ran: undefined, made: [] });
      expect(run.stdout).toMatch(/^usage: node scripts\/tarballs\.mjs \[DIR\]/);
      expect(run.stdout).toContain('packs one tarball each into DIR');
      expect(run.stdout).toContain('DIR defaults to ./tarballs');
      // The install line as the README has it: into /usr/local, where the units run claim-port (npm's own prefix may be /usr).
      expect(run.stdout).toContain('npm install -g --prefix /usr/local ./tarballs/*.tgz');
    }
  });

  it('refuses any other option, and a second DIR, in one line, exit 64, building and making nothing (--help made a directory named --help)', () => {
    for (const args of [['--bogus'], ['-x'], ['-'], ['--out=dir'], ['dir', '--help=x'], ['a', 'b']]) {
      const run = tarballs(args);
      expect({ status: run.status, stdout: run.stdout, ran: run.ran, made: run.made }, args.join(' ')).toEqual({
        status: 64,
        stdout: '',
        ran: undefined,
        made: [],
      });
      expect(run.stderr, args.join(' ')).toMatch(/^tarballs: [^\n]+; usage: node scripts\/tarballs\.mjs \[DIR\] \(or pnpm tarballs \[DIR\]\)\n$/);
    }
    expect(tarballs(['--bogus']).stderr).toMatch(/^tarballs: unknown option "--bogus"; /);
  });

  it('takes a DIR that starts with "-" after --, and then builds', () => {
    const run = tarballs(['--', '-out']);
    expect({ status: run.status, ran: run.ran, made: run.made }).toEqual({ status: 1, ran: 'run build\n', made: ['-out'] });
    expect(run.stderr).toBe(`tarballs: \`pnpm run build\` failed in ${repoRoot.replace(/\/$/, '')}\n`);
  });
});
