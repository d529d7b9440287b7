// scripts/prepack.mjs run for real, as `pnpm -r pack` runs it: every package's prepack at once, in a workspace of
// three packages in a temp dir (a, and b and c that depend on it), with a stand-in for pnpm that "builds" a package
// slowly and writes down when. The package the others depend on is built once, never by two at a time, and not
// again while its sources and dist are as its last build left them.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/tree.js';
import { repoRoot } from './helpers.js';

/** A workspace: scripts/prepack.mjs, packages a, b, c (b and c depend on a), a pnpm stand-in that logs each build. */
function workspace() {
  const repo = tempDir();
  mkdirSync(join(repo, 'scripts'));
  copyFileSync(join(repoRoot, 'scripts/prepack.mjs'), join(repo, 'scripts/prepack.mjs'));
  for (const [name, dependencies] of [
    ['a', {}],
    ['b', { '@t/a': 'workspace:*' }],
    ['c', { '@t/a': 'workspace:*' }],
  ] as const) {
    mkdirSync(join(repo, 'packages', name, 'src'), { recursive: true });
    writeFileSync(join(repo, 'packages', name, 'package.json'), JSON.stringify({ name: `@t/${name}`, dependencies }));
    writeFileSync(join(repo, 'packages', name, 'src/index.ts'), `export const name = '${name}';\n`);
  }
  const log = join(repo, 'builds.log');
  const stub = join(repo, 'pnpm-stand-in.mjs');
  // `--filter NAME run build`: start and end lines around 300 ms of "building" (the dist emptied, then filled);
  // `--filter NAME... run build` builds @t/a first, as pnpm builds what a package depends on.
  writeFileSync(
    stub,
    `import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
const filter = process.argv[process.argv.indexOf('--filter') + 1];
const name = filter.replace(/\\.\\.\\.$/, '');
for (const each of filter.endsWith('...') && name !== '@t/a' ? ['@t/a', name] : [name]) {
  const dist = ${JSON.stringify(join(repo, 'packages'))} + '/' + each.split('/')[1] + '/dist';
  appendFileSync(${JSON.stringify(log)}, 'start ' + each + '\\n');
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist);
  await new Promise((resolve) => setTimeout(resolve, 300));
  writeFileSync(dist + '/index.js', String(Date.now()));
  appendFileSync(${JSON.stringify(log)}, 'end ' + each + '\\n');
}
`,
  );
  /** Every package's prepack at once, as pnpm -r pack runs them: their exit codes. */
  const packAll = () =>
    Promise.all(
      ['a', 'b', 'c'].map(
        (name) =>
          new Promise<number | null>((resolve) => {
            const child = spawn(process.execPath, [join(repo, 'scripts/prepack.mjs')], {
              cwd: join(repo, 'packages', name),
              stdio: 'ignore',
              env: { PATH: process.env.PATH ?? '/usr/bin:/bin', npm_config_user_agent: 'pnpm/10.34.9 node/v20', npm_execpath: stub },
            });
            child.on('close', resolve);
          }),
      ),
    );
  const builds = () => readFileSync(log, 'utf8').trim().split('\n');
  return { repo, packAll, builds };
}

describe('scripts/prepack.mjs under pnpm -r pack', () => {
  it('builds the package the others depend on once, never two builds of it at a time, then each of the others', async () => {
    const { packAll, builds } = workspace();
    expect(await packAll()).toEqual([0, 0, 0]);
    const log = builds();
    expect(log.filter((line) => line.endsWith('@t/a'))).toEqual(['start @t/a', 'end @t/a']);
    expect(log.filter((line) => line.endsWith('@t/b'))).toEqual(['start @t/b', 'end @t/b']);
    expect(log.filter((line) => line.endsWith('@t/c'))).toEqual(['start @t/c', 'end @t/c']);
    // b and c are built against a finished a.
    expect(log.indexOf('end @t/a')).toBeLessThan(log.indexOf('start @t/b'));
    expect(log.indexOf('end @t/a')).toBeLessThan(log.indexOf('start @t/c'));
  });

  it('builds it again after its sources change, or its dist is built by someone else', async () => {
    const { repo, packAll, builds } = workspace();
    await packAll();
    await packAll();
    const aBuilds = () => builds().filter((line) => line === 'start @t/a').length;
    expect(aBuilds()).toBe(1);
    writeFileSync(join(repo, 'packages/a/src/index.ts'), "export const name = 'a, changed';\n");
    expect(await packAll()).toEqual([0, 0, 0]);
    expect(aBuilds()).toBe(2);
    writeFileSync(join(repo, 'packages/a/dist/index.js'), 'a build by hand, maybe cut short');
    await packAll();
    expect(aBuilds()).toBe(3);
  });

  it('takes over a lock whose prepack was killed, one waiter at a time: a is still built once, never two at a time', async () => {
    const { repo, packAll, builds } = workspace();
    // The lock of a prepack that is gone (a process that has exited), as `pnpm -r pack` killed midway leaves it.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const lock = join(repo, 'node_modules/.cache/dsa110-prepack/_t_a.stamp.lock');
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, 'pid'), `${gone}\n`);
    expect(await packAll()).toEqual([0, 0, 0]);
    expect(builds().filter((line) => line.endsWith('@t/a'))).toEqual(['start @t/a', 'end @t/a']);
    expect(existsSync(lock) || existsSync(`${lock}.reap`)).toBe(false);
  });
});
