// The bin's bundles run on every Node from the floor up (engines: >=20). Node
// before 20.19 cannot require() an ES module (ERR_REQUIRE_ESM), and where it
// can, esbuild's import() shim hands over the module's namespace, not its
// default export: a package left outside a CommonJS bundle must be CommonJS.
// (ps-list, ES module only, was required by dist/run.cjs: the lsof fallback,
// where there is no /proc, failed with "e is not a function".)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnListener } from '../../../test-support/index.js';
import { unicodeClassesAtTopLevel } from '../../../test-support/bundle-start.js';
import { removeTree } from '../../../test-support/tree.js';
import { BIN, runClaim } from './helpers.js';

const dist = join(dirname(dirname(BIN)), 'dist');

describe("the bin's bundles", () => {
  it('make no regular expression with a Unicode property class as they load (V8 builds each from ICU at every start): each is made at first use', () => {
    for (const name of readdirSync(dist).filter((file) => file.endsWith('.cjs'))) expect(unicodeClassesAtTopLevel(join(dist, name)), name).toEqual([]);
  });

  it('require() no package: everything they run is in them (and a package left outside would have to be CommonJS)', () => {
    const bundles = readdirSync(dist).filter((name) => name.endsWith('.cjs'));
    expect(bundles).toContain('run.cjs');
    const required = new Set<string>();
    for (const name of bundles)
      for (const [, , id] of readFileSync(join(dist, name), 'utf8').matchAll(/\brequire\((["'`])([^"'`]+)\1\)/g))
        if (!id!.startsWith('.') && !id!.startsWith('node:') && !id!.startsWith('#') && !builtinModules.includes(id!)) required.add(id!);
    // None at all: claim-port runs as root, and a package's code is loaded from whatever node_modules
    // Node finds first (an ancestor's too), past the checks of the bin's own files. pidusage once was.
    // (The one package loaded at run time is the registry parser, through createRequire and its trust check:
    // cli-kit/installed-parser.ts.)
    expect([...required].sort()).toEqual([]);
    for (const id of required) {
      const load = spawnSync(process.execPath, ['--no-experimental-require-module', '-e', `require(${JSON.stringify(id)})`], { cwd: dist, encoding: 'utf8' });
      expect(load.stderr, id).toBe('');
      expect(load.status, id).toBe(0);
    }
  });

  it.each([
    ['a socket (as the journal stream)', undefined],
    // Its stdout a pipe: written through a description of its own (the full pipe's wait), still without net.
    ['a pipe', ['sh', '-c', '"$@" | cat', 'sh']],
  ] as const)(
    'free a held port without loading child_process or net (their load cost about 8 ms of each claim): they are required at first use; stdout %s',
    async (_, prefix) => {
      const server = await spawnListener({ name: 'bundle-builtins-holder' });
      const dir = mkdtempSync(join(tmpdir(), 'claim-port-builtins-'));
      try {
        const preload = join(dir, 'builtins.cjs');
        writeFileSync(
          preload,
          `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'loaded.json'))}, JSON.stringify(process.moduleLoadList)));\n`,
        );
        const run = await runClaim([String(server.port), '--json'], {
          port: server.port,
          env: { NODE_OPTIONS: `--require ${preload}` },
          ...(prefix && { prefix }),
        });
        expect(run.stderr).toContain(`sent SIGTERM to PID ${server.pid}`);
        expect(JSON.parse(run.stdout).action).toBe('freed');
        expect(run.code).toBe(0);
        const loaded = (JSON.parse(readFileSync(join(dir, 'loaded.json'), 'utf8')) as string[]).filter((name) => name.startsWith('NativeModule '));
        expect(loaded).toContain('NativeModule vm'); // the list is real: the claim engine runs through vm.Script
        expect(loaded.filter((name) => /^NativeModule (child_process|net|dgram|stream)$/.test(name))).toEqual([]);
      } finally {
        removeTree(dir);
      }
    },
  );
});
