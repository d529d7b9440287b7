#!/usr/bin/env node
// `pnpm check:packages [--reproducible]`: the packages as a consumer gets them.
//
// Packs every package (`pnpm tarballs`), installs the tarballs with npm in a
// fresh directory outside the repository, and there: imports and requires
// every entry (one copy of each class across packages and across import and
// require), runs each bin, type-checks a consumer and the READMEs' examples
// under `nodenext`, `node16` and `bundler`, and runs publint and @arethetypeswrong/cli on each tarball.
// With --reproducible it builds and packs a second time and requires
// byte-identical tarballs. Also: every shipped .d.ts is reached from an export's types (and every relative
// import in one resolves), the packed package.json has no scripts, and a project pinning the oldest @types/node
// the peer range allows installs and type-checks. Prints one line per check; exit 1 when any fails.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { declarationFiles, reachableTypes } from './types-reach.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const reproducible = process.argv.includes('--reproducible');
const keep = process.env.CHECK_PACKAGES_KEEP === '1';
const work = mkdtempSync(join(tmpdir(), 'dsa110-packages-'));
let failed = 0;

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options, env: { ...process.env, ...options.env } });
  return { status: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}
function check(name, ok, detail = '') {
  if (ok) console.log(`ok   ${name}`);
  else {
    failed++;
    console.log(`FAIL ${name}${detail ? `\n${detail.trimEnd().replace(/^/gm, '     ')}` : ''}`);
  }
}
function pack(dir) {
  const r = run(process.execPath, [join(repo, 'scripts/tarballs.mjs'), dir], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    console.log(r.out);
    throw new Error(`packing failed (pnpm tarballs ${dir})`);
  }
  return readdirSync(dir)
    .filter((f) => f.endsWith('.tgz'))
    .sort();
}
const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

try {
  // 1. Pack (and, for --reproducible, build and pack again).
  const first = join(work, 'tarballs');
  const tarballs = pack(first);
  check(`packed ${tarballs.join(', ')}`, tarballs.length === 3);
  for (const file of tarballs) {
    const list = run('tar', ['-tzf', join(first, file)])
      .out.split('\n')
      .filter(Boolean);
    const missing = ['package/LICENSE', 'package/README.md', 'package/THIRD-PARTY-NOTICES.md', 'package/package.json'].filter((f) => !list.includes(f));
    const unwanted = list.filter((f) => /^package\/(src|test|scripts)\/|\.cache$|\.v8|tsbuildinfo$/.test(f));
    check(
      `${file} ships LICENSE, README, notices; no sources, tests or caches`,
      missing.length === 0 && unwanted.length === 0,
      [...missing.map((f) => `missing ${f}`), ...unwanted.map((f) => `unwanted ${f}`)].join('\n'),
    );
  }
  // Every .d.ts shipped is reached from a published type entry (following relative imports), and every relative import
  // in one names a shipped file; the packed package.json has no scripts (each would run a file that is not shipped).
  for (const file of tarballs) {
    const unpacked = join(work, 'unpacked', file.replace(/\.tgz$/, ''));
    mkdirSync(unpacked, { recursive: true });
    run('tar', ['-xzf', join(first, file), '-C', unpacked]);
    const root = join(unpacked, 'package');
    const { reached, unresolved } = reachableTypes(root);
    const unreachable = declarationFiles(root).filter((f) => !reached.includes(f));
    check(
      `${file}: every .d.ts is reached from the exports' types, and every relative import in them resolves (${reached.length} files)`,
      unreachable.length === 0 && unresolved.length === 0,
      [...unreachable.map((f) => `unreachable ${f}`), ...unresolved.map((f) => `unresolved ${f}`)].join('\n'),
    );
    const { scripts = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    check(
      `${file}: its package.json has no scripts (.pnpmfile.cjs's beforePacking)`,
      Object.keys(scripts).length === 0,
      Object.entries(scripts)
        .map(([name, command]) => `scripts.${name}: ${command}`)
        .join('\n'),
    );
  }
  // The changelog `changeset version` writes beside each package.json: npm packs it only where `files` names it.
  for (const dir of readdirSync(join(repo, 'packages'))) {
    const { files = [] } = JSON.parse(readFileSync(join(repo, 'packages', dir, 'package.json'), 'utf8'));
    check(`packages/${dir} ships its CHANGELOG.md once changeset version writes it (package.json's files name it)`, files.includes('CHANGELOG.md'));
  }
  if (reproducible) {
    const second = join(work, 'tarballs-again');
    const again = pack(second);
    for (const file of tarballs) {
      const same = again.includes(file) && sha(join(first, file)) === sha(join(second, file));
      let detail = '';
      if (!same && again.includes(file)) {
        const list = (dir) => run('tar', ['-xzvf', join(dir, file), '-O'], {}).out;
        detail = `the two tarballs differ; compare: tar -xzf ${join(first, file)} and ${join(second, file)}`;
        if (list(first) === list(second)) detail += ' (same contents: metadata such as modes or times differ)';
      }
      check(`two builds of one commit give a byte-identical ${file}`, same, detail);
    }
  }

  // 2. A consumer outside the repository installs the tarballs with npm.
  const consumer = join(work, 'consumer');
  mkdirSync(join(consumer, 'src'), { recursive: true });
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  const typesNode = JSON.parse(readFileSync(join(repo, 'node_modules/@types/node/package.json'), 'utf8')).version;
  const install = run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs.map((f) => join(first, f)), `@types/node@${typesNode}`],
    { cwd: consumer },
  );
  check('npm installs the tarballs in a fresh directory', install.status === 0, install.out);
  if (install.status !== 0) throw new Error('cannot go on without an install');
  check(
    "a project's own @types/node is the one the packages' types use (one copy)",
    JSON.parse(readFileSync(join(consumer, 'node_modules/@types/node/package.json'), 'utf8')).version === typesNode,
  );

  // 2b. A project without @types/node: npm brings none (an optional peer dependency: the newest would need a newer
  // TypeScript than the README's minimum, and a global install of the CLIs has no use for it); one that type-checks adds its own.
  const bare = join(work, 'bare');
  mkdirSync(bare);
  writeFileSync(join(bare, 'package.json'), JSON.stringify({ name: 'bare', private: true, type: 'module' }, null, 2));
  const library = tarballs.find((f) => f.startsWith('dsa110-ports-'));
  const bareInstall = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', join(first, library)], { cwd: bare });
  check(
    'npm installs no @types/node with @dsa110/ports (an optional peer dependency)',
    bareInstall.status === 0 && !existsSync(join(bare, 'node_modules/@types/node')),
    bareInstall.out,
  );
  const global = join(work, 'global');
  const globalInstall = run(
    'npm',
    ['install', '-g', '--prefix', global, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs.map((f) => join(first, f))],
    {},
  );
  check(
    'npm install -g of the tarballs (the CLIs) installs no @types/node',
    globalInstall.status === 0 && !run('find', [global, '-path', '*/@types/node'], {}).out.trim(),
    globalInstall.out,
  );
  const typesInstall = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', '-D', `@types/node@${typesNode}`], {
    cwd: bare,
  });
  check('npm installs @types/node in that project, as the README says to', typesInstall.status === 0, typesInstall.out);

  // 2b'. The oldest @types/node the packages' types compile against (the floor of @dsa110/ports's peer range): a
  // project that pins it installs the tarballs (no ERESOLVE), and its tsc finds no error outside @types/node's own
  // files (that old @types/node has some of its own under this TypeScript and exactOptionalPropertyTypes, as in any project).
  const floorPeer = JSON.parse(readFileSync(join(repo, 'packages/ports/package.json'), 'utf8')).peerDependencies['@types/node'];
  const floor = floorPeer.match(/^\^?(\d+\.\d+\.\d+)/)?.[1];
  const oldest = join(work, 'oldest-types');
  mkdirSync(join(oldest, 'src'), { recursive: true });
  writeFileSync(
    join(oldest, 'package.json'),
    JSON.stringify({ name: 'oldest-types', private: true, type: 'module', devDependencies: { '@types/node': floor } }, null, 2),
  );
  const oldestInstall = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs.map((f) => join(first, f))], {
    cwd: oldest,
  });
  check(
    `npm installs the tarballs in a project whose own @types/node is ${floor}, the oldest the peer range ${floorPeer} allows`,
    oldestInstall.status === 0 &&
      existsSync(join(oldest, 'node_modules/@types/node/package.json')) &&
      JSON.parse(readFileSync(join(oldest, 'node_modules/@types/node/package.json'), 'utf8')).version === floor,
    oldestInstall.out,
  );

  // 2c. Where the project's own tsc does not look for its @types/node: a tsconfig
  // with "types": [] (npm), and pnpm, which installs the package in .pnpm/.
  // The entries' .d.ts reference Node's types (packages/ports/scripts/build.mjs),
  // found from the package's own place.
  const typed = `import { loadRegistry } from '@dsa110/ports';\nimport { readListenSockets } from '@dsa110/ports/system';\nimport { loadUnit } from '@dsa110/ports/systemd';\nconst registry = await loadRegistry();\nexport const port: number = registry.resolvePort('api').port;\nexport const loaders = [readListenSockets, loadUnit];\n`;
  const tsconfig = (types) =>
    JSON.stringify({
      compilerOptions: { strict: true, module: 'nodenext', target: 'ES2022', noEmit: true, skipLibCheck: false, ...types },
      files: ['index.ts'],
    });
  writeFileSync(join(bare, 'index.ts'), typed);
  writeFileSync(join(bare, 'tsconfig.json'), tsconfig({ types: [] }));
  const bareTsc = run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: bare });
  check('a project whose tsconfig says "types": [] type-checks against @dsa110/ports (its types bring Node\'s)', bareTsc.status === 0, bareTsc.out);
  const viaPnpm = join(work, 'pnpm');
  mkdirSync(viaPnpm);
  writeFileSync(join(viaPnpm, 'package.json'), JSON.stringify({ name: 'via-pnpm', private: true, type: 'module' }, null, 2));
  writeFileSync(join(viaPnpm, 'index.ts'), typed);
  writeFileSync(join(viaPnpm, 'tsconfig.json'), tsconfig({}));
  const pnpmAdd = run('npx', ['-y', 'pnpm@10.34.9', 'add', '--prefer-offline', '--loglevel=error', join(first, library), `@types/node@${typesNode}`], {
    cwd: viaPnpm,
  });
  const pnpmTsc = pnpmAdd.status === 0 ? run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: viaPnpm }) : pnpmAdd;
  check('a project that installs @dsa110/ports and its own @types/node with pnpm type-checks against it', pnpmTsc.status === 0, pnpmTsc.out);

  // 3. import and require: every entry, one copy of each class.
  const esm = run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
    import assert from 'node:assert/strict';
    import { createRequire } from 'node:module';
    import * as ports from '@dsa110/ports';
    import * as system from '@dsa110/ports/system';
    import { claimPort, ClaimUsageError } from '@dsa110/claim-port';
    import { checkPorts } from '@dsa110/port-health-check';
    const require = createRequire(import.meta.url);
    const registry = await ports.loadRegistry();
    assert.equal(registry.resolvePort('api').port, 8000);
    assert.equal(typeof system.snapshot, 'function');
    // require() gives the very same modules: no dual package hazard.
    assert.equal(require('@dsa110/ports').PortsError, ports.PortsError);
    assert.equal(require('@dsa110/ports/system').snapshot, system.snapshot);
    for (const entry of ['@dsa110/ports', '@dsa110/ports/system', '@dsa110/ports/files', '@dsa110/ports/systemd', '@dsa110/claim-port', '@dsa110/port-health-check']) {
      const imported = await import(entry);
      const required = require(entry);
      for (const name of Object.keys(imported)) assert.equal(required[name], imported[name], entry + ': ' + name);
    }
    assert.equal(require('@dsa110/claim-port').claimPort, claimPort);
    assert.equal(require('@dsa110/port-health-check').checkPorts, checkPorts);
    // One PortsError across packages: thrown by the health check, caught as @dsa110/ports's.
    await assert.rejects(checkPorts({ services: ['no-such-service'] }), (error) => error instanceof ports.PortsError && error.code === 'UNKNOWN_SERVICE');
    await assert.rejects(claimPort('no-such-service', { dryRun: true }), (error) => error instanceof ClaimUsageError && error.code === 'CLAIM_USAGE');
    assert.throws(() => ports.parseRegistry('version: 1\\n', { source: 'x.yaml' }), (error) => error instanceof ports.RegistryError && error.code === 'INVALID_REGISTRY');
    // Internal files are not reachable.
    for (const internal of ['@dsa110/ports/parser', '@dsa110/ports/render', '@dsa110/ports/cli', '@dsa110/ports/dist/parse.cjs', '@dsa110/claim-port/dist/cli.cjs']) {
      assert.throws(() => require.resolve(internal), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' }, internal);
    }
    console.log('done');
  `,
    ],
    { cwd: consumer },
  );
  check(
    'import every entry; require gives the same modules; one PortsError across packages; internals not exported',
    esm.status === 0 && esm.out.trim() === 'done',
    esm.out,
  );
  const cjs = run(
    process.execPath,
    [
      '-e',
      `
    const assert = require('node:assert/strict');
    const { loadRegistry } = require('@dsa110/ports');
    assert.equal(typeof require('@dsa110/ports/system').readListenSockets, 'function');
    assert.equal(typeof require('@dsa110/claim-port').claimPort, 'function');
    assert.equal(typeof require('@dsa110/port-health-check').renderText, 'function');
    loadRegistry().then((r) => { assert.equal(r.resolvePort('redis').port, 6379); console.log('done'); });
  `,
    ],
    { cwd: consumer },
  );
  check('require every package from CommonJS (Node 20.19+)', cjs.status === 0 && cjs.out.trim() === 'done', cjs.out);

  // 4. The bins, as installed (node_modules/.bin), including their lazily loaded parts.
  const bin = (name) => join(consumer, 'node_modules/.bin', name);
  const version = JSON.parse(readFileSync(join(repo, 'packages/ports/package.json'), 'utf8')).version;
  const badRegistry = join(consumer, 'bad.yaml');
  writeFileSync(badRegistry, 'version: 1\nservices: {}\nunknown: 1\n');
  const bins = [
    ['ports --version', [bin('ports'), '--version'], (r) => r.status === 0 && r.out.trim() === version],
    ['ports get api', [bin('ports'), 'get', 'api'], (r) => r.status === 0 && r.out.trim() === '8000'],
    ['ports schema (the lazily required parser)', [bin('ports'), 'schema'], (r) => r.status === 0 && JSON.parse(r.out).type === 'object'],
    ['ports validate a bad file', [bin('ports'), 'validate', badRegistry], (r) => r.status === 1 && r.out.includes('bad.yaml:')],
    ['claim-port --help', [bin('claim-port'), '--help'], (r) => r.status === 0 && r.out.includes('claim-port')],
    ['claim-port --version', [bin('claim-port'), '--version'], (r) => r.status === 0 && r.out.includes(version)],
    [
      'claim-port with a bad --registry (the claim engine and the parser)',
      [bin('claim-port'), '--dry-run', '--registry', badRegistry, 'api'],
      // One line: the first problem with its file:line:col, and a count of the others.
      (r) => r.status === 64 && r.out.includes('bad.yaml:2:11') && r.out.includes('(and 1 more problem)') && r.out.trim().split('\n').length === 1,
    ],
    ['port-health-check --help', [bin('port-health-check'), '--help'], (r) => r.status === 0 && r.out.includes('port-health-check')],
    [
      'port-health-check --format json --service api',
      [bin('port-health-check'), '--format', 'json', '--service', 'api'],
      (r) => [0, 1, 2].includes(r.status) && r.out.includes('"schema"'),
    ],
    ['port-health-check with a bad --registry', [bin('port-health-check'), '--registry', badRegistry], (r) => r.status === 1 && r.out.includes('bad.yaml:3:1')],
  ];
  for (const [name, argv, ok] of bins) {
    const r = run(argv[0], argv.slice(1), { cwd: consumer, env: { DSA110_PORTS_FILE: '' } });
    let good = false;
    try {
      good = ok(r);
    } catch {
      good = false;
    }
    check(`bin: ${name}`, good, `exit ${r.status}\n${r.out.slice(0, 2000)}`);
  }

  // 5. Type-check a consumer under nodenext and under bundler.
  writeFileSync(
    join(consumer, 'src/use.ts'),
    `
import { loadRegistry, PortsError, RegistryError, type Registry, type ServiceId } from '@dsa110/ports';
import { snapshot, type Listener } from '@dsa110/ports/system';
import { claimPort, ClaimUsageError, type ClaimResult } from '@dsa110/claim-port';
import { checkPorts, renderText, type HealthReport } from '@dsa110/port-health-check';

const registry = await loadRegistry();
const general: Registry = registry;
const id: ServiceId = 'api';
const port: number = registry.resolvePort(id).port;
const listeners: readonly Listener[] = (await snapshot({ ports: [port] })).listeners;
const result: ClaimResult = await claimPort(port, { dryRun: true });
const report: HealthReport = await checkPorts({ registry, services: [id] });
const text: string = renderText(report);
const codes: string[] = [new PortsError('BAD_PORT', 'x').code, new RegistryError('x', []).code, new ClaimUsageError('x').code];
// @ts-expect-error: 'aip' is not a service id of the bundled registry
registry.resolvePort('aip');
export { general, listeners, result, text, codes };
`,
  );
  writeFileSync(
    join(consumer, 'src/use.cts'),
    `
import ports = require('@dsa110/ports');
import claim = require('@dsa110/claim-port');
import health = require('@dsa110/port-health-check');
export const loaded: [typeof ports.loadRegistry, typeof claim.claimPort, typeof health.checkPorts] = [ports.loadRegistry, claim.claimPort, health.checkPorts];
`,
  );
  // Every TypeScript example of the READMEs, as a consumer would paste it (a
  // line marked "compile error" must fail to compile: @ts-expect-error).
  const readmes = ['README.md', 'packages/ports/README.md', 'packages/claim-port/README.md', 'packages/port-health-check/README.md'];
  let examples = 0;
  for (const readme of readmes) {
    const text = readFileSync(join(repo, readme), 'utf8');
    for (const [, code] of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
      const lines = code.split('\n').flatMap((line) => (/compile error/.test(line) ? ['// @ts-expect-error: the README says so', line] : [line]));
      writeFileSync(join(consumer, `src/readme-${++examples}.ts`), `// ${readme}\n${lines.join('\n')}\nexport {};\n`);
    }
  }
  check(`the READMEs' TypeScript examples are type-checked below (${examples})`, examples >= 4);
  const base = {
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    skipLibCheck: false,
    target: 'ES2022',
    lib: ['ES2023'],
    types: ['node'],
  };
  writeFileSync(
    join(consumer, 'tsconfig.nodenext.json'),
    JSON.stringify({ compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' }, include: ['src'] }),
  );
  writeFileSync(
    join(consumer, 'tsconfig.bundler.json'),
    JSON.stringify({ compilerOptions: { ...base, module: 'preserve', moduleResolution: 'bundler' }, include: ['src/*.ts'] }),
  );
  // node16 knows no require(esm): a CommonJS file that requires the package gets TS1479 inside its dist/index.d.cts
  // under skipLibCheck: false (the README says so; test/package.test.ts checks it): ES module files only.
  writeFileSync(
    join(consumer, 'tsconfig.node16.json'),
    JSON.stringify({ compilerOptions: { ...base, module: 'node16', moduleResolution: 'node16' }, include: ['src/*.ts'] }),
  );
  const tsc = require.resolve('typescript/bin/tsc');
  for (const mode of ['nodenext', 'node16', 'bundler']) {
    const r = run(process.execPath, [tsc, '-p', `tsconfig.${mode}.json`], { cwd: consumer });
    check(`a consumer type-checks under ${mode}${mode === 'nodenext' ? ' (ESM and CommonJS files)' : ''}`, r.status === 0, r.out);
  }

  // The same consumer (with its examples) against the oldest @types/node (2b'), under node16 only: bundler resolves
  // @types/node the same way (both were checked by hand when the floor was found), and each run costs CI ~8 s.
  if (oldestInstall.status === 0) {
    writeFileSync(join(oldest, 'tsconfig.node16.json'), readFileSync(join(consumer, 'tsconfig.node16.json')));
    for (const f of readdirSync(join(consumer, 'src'))) writeFileSync(join(oldest, 'src', f), readFileSync(join(consumer, 'src', f)));
    for (const mode of ['node16']) {
      const r = run(process.execPath, [tsc, '-p', `tsconfig.${mode}.json`], { cwd: oldest });
      const errors = r.out.split('\n').filter((line) => /^\S.*error TS\d+/.test(line));
      const ours = errors.filter((line) => !line.startsWith('node_modules/@types/node/'));
      check(
        `a consumer type-checks under ${mode} with @types/node ${floor} (no error outside @types/node's own files)`,
        ours.length === 0 && (r.status === 0 || errors.length > 0),
        ours.length ? r.out : '',
      );
    }
  }

  // 6. publint and arethetypeswrong on each tarball.
  const publint = join(repo, 'node_modules/publint/src/cli.js');
  const attw = join(repo, 'node_modules/@arethetypeswrong/cli/dist/index.js');
  for (const file of tarballs) {
    const tarball = join(first, file);
    const p = run(process.execPath, [publint, 'run', tarball, '--strict', '--level', 'suggestion']);
    check(`publint ${file}: no problem`, p.status === 0 && !/(suggestion|warning|error)s?:/i.test(p.out.replace(/All good!/, '')), p.out);
    // ports.yaml is data: no types to look for.
    const a = run(process.execPath, [
      attw,
      tarball,
      '--format',
      'ascii',
      '--no-color',
      '--no-emoji',
      ...(file.startsWith('dsa110-ports-') ? ['--exclude-entrypoints', './ports.yaml'] : []),
    ]);
    check(`attw ${file}: no problem`, a.status === 0 && /No problems found/.test(a.out), a.out);
  }
} catch (error) {
  failed++;
  console.log(`FAIL ${error.message}`);
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
console.log(failed ? `check-packages: ${failed} failed` : 'check-packages: all passed');
process.exit(failed ? 1 : 0);
