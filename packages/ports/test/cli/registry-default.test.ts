// Which registry each `ports` command reads with no --registry and no $DSA110_PORTS_FILE, in a checkout whose
// ports.yaml an operator edited without rebuilding (Redis moved 6379 -> 6380): the commands that make a checkout's
// files read that ports.yaml; the others read the bundled copy and say, in one warning line, that it is stale.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';
import { bundledCopy as bundledCopyOf, packageJsonNames } from '../../src/cli/context.js';
import { committedDocs, markCheckout, ports, portsAsNobody, portsBin, replaceOnce, requireBuilt, rootRegistry, tempDir } from './helpers.js';

const bundledCopy = join(repoRoot, 'packages/ports/ports.yaml');
const edited = replaceOnce(rootRegistry, '    port: 6379\n', '    port: 6380\n');

/** A git work tree (a `.git` in it), a checkout of the registry, holding `text` as its ports.yaml, and a subdirectory `packages/x`. */
function workTree(text = edited): string {
  const dir = markCheckout(tempDir());
  mkdirSync(join(dir, '.git'));
  mkdirSync(join(dir, 'packages/x'), { recursive: true });
  writeFileSync(join(dir, 'ports.yaml'), text);
  return dir;
}

/** The one line that says the bundled copy is not the checkout's ports.yaml (`file`, as named from the cwd). */
function staleLine(stderr: string, file: string): string {
  const lines = stderr.split('\n').filter((line) => line.includes('warning:') && line.includes('bundled'));
  expect(lines).toHaveLength(1);
  const line = lines[0]!;
  expect(line).toContain(`${file} differs from `);
  expect(line).toContain('packages/ports/ports.yaml');
  expect(line).toMatch(/rebuild \(npx -y pnpm@[\d.]+ build, then reinstall an installed ports\), or give --registry /);
  expect(line.endsWith(`--registry ${file}`)).toBe(true);
  return line;
}

beforeAll(() => {
  requireBuilt();
  // The bundled registry is the build's copy of the root ports.yaml: what an unedited checkout holds, but for the first
  // line, the editors' schema comment, which names the schema beside the copy (so no warning needs the bytes equal).
  const [copyFirst, ...copyRest] = readFileSync(bundledCopy, 'utf8').split('\n');
  const [rootFirst, ...rootRest] = rootRegistry.split('\n');
  expect(copyRest).toEqual(rootRest);
  expect([rootFirst, copyFirst]).toEqual(['# yaml-language-server: $schema=./packages/ports/schema.json', '# yaml-language-server: $schema=./schema.json']);
});

describe('commands that read the bundled registry, in a checkout whose ports.yaml differs from it', () => {
  it('ports get, list and env print the bundled ports, with one warning line naming both files and the fix', async () => {
    const dir = workTree();
    const get = await ports(['get', 'redis'], { cwd: dir });
    expect(get.code).toBe(0);
    expect(get.stdout).toBe('6379\n');
    staleLine(get.stderr, 'ports.yaml');
    for (const args of [['list'], ['env'], ['get', 'redis', '--json']]) {
      const run = await ports(args, { cwd: dir });
      expect(run.code).toBe(0);
      staleLine(run.stderr, 'ports.yaml');
    }
  });

  it('from a subdirectory of the work tree the warning names the root ports.yaml as reached from there', async () => {
    const dir = workTree();
    const run = await ports(['get', 'redis'], { cwd: join(dir, 'packages/x') });
    expect(run.stdout).toBe('6379\n');
    staleLine(run.stderr, '../../ports.yaml');
  });

  it('ports systemd --out says so too (its claim lines are for the bundled port, which claim-port reads)', async () => {
    const dir = workTree();
    const run = await ports(['systemd', '--out', 'units', '--claim-port', '/usr/local/bin/claim-port'], { cwd: dir });
    expect(run.code).toBe(0);
    staleLine(run.stderr, 'ports.yaml');
    expect(readFileSync(join(dir, 'units/redis-server.service.d/claim-port.conf'), 'utf8')).toContain('claim-port 6379');
  });

  it('no warning when the checkout holds the bundled copy, nor when the registry is named (--registry, $DSA110_PORTS_FILE)', async () => {
    const same = await ports(['get', 'redis'], { cwd: workTree(rootRegistry) });
    expect([same.stdout, same.stderr]).toEqual(['6379\n', '']);
    const dir = workTree();
    const named = await ports(['--registry', 'ports.yaml', 'get', 'redis'], { cwd: dir });
    expect([named.stdout, named.stderr]).toEqual(['6380\n', '']);
    const env = await ports(['get', 'redis'], { cwd: dir, env: { DSA110_PORTS_FILE: 'ports.yaml' } });
    expect([env.stdout, env.stderr]).toEqual(['6380\n', '']);
  });

  it('the built bin finds the copy it was built from (packages/ports/ports.yaml) and warns the same way', async () => {
    const run = await portsBin(['get', 'redis'], { cwd: workTree(), env: { DSA110_PORTS_CACHE: 'off' } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('6379\n');
    staleLine(run.stderr, 'ports.yaml');
    // The copy the build left is the checkout's ports.yaml but for its schema line: nothing to say.
    const same = await portsBin(['get', 'redis'], { cwd: workTree(rootRegistry), env: { DSA110_PORTS_CACHE: 'off' } });
    expect([same.stdout, same.stderr]).toEqual(['6379\n', '']);
  });
});

describe("the commands that make a checkout's files read its ports.yaml, as ports docs and monitoring do", () => {
  it('ports firewall writes the edited port, and --check against rules of the old copy fails (never "up to date" with the bundled one)', async () => {
    const dir = workTree();
    const nft = 'deploy/nftables/dsa110-ports.nft';
    // The committed rules, made before the edit (from the bundled registry's copy).
    expect((await ports(['firewall', '--registry', bundledCopy, '--out', nft], { cwd: dir })).code).toBe(0);
    const check = await ports(['firewall', '--out', nft, '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout + check.stderr).toContain('6380');
    expect(check.stdout + check.stderr).not.toContain('up to date');
    const write = await ports(['firewall', '--out', nft], { cwd: dir });
    expect(write.code).toBe(0);
    expect(write.stderr).not.toContain('warning:');
    const rules = readFileSync(join(dir, nft), 'utf8');
    expect(rules).toContain('6380');
    expect(rules).not.toContain('6379');
    expect((await ports(['firewall', '--out', nft, '--check'], { cwd: dir })).code).toBe(0);
  });

  it('ports snippet redis-conf prints the edited port', async () => {
    const run = await ports(['snippet', 'redis-conf'], { cwd: workTree() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^port 6380$/m);
    expect(run.stderr).toBe('');
  });
});

// Another project's ports.yaml, of another format (a compose file's services), at the root of its own git repository.
const OTHER = '# the ports of another project\nversion: "3"\nservices:\n  web:\n    image: nginx\n    ports: ["8080:80"]\n';

/** A real git repository (`git init`) that is no checkout of the registry, holding OTHER as its ports.yaml, and `packages/x`. */
function otherRepository(): string {
  const dir = tempDir();
  const init = spawnSync('git', ['init', '-q', dir], { encoding: 'utf8' });
  expect(init.status, init.stderr).toBe(0);
  mkdirSync(join(dir, 'packages/x'), { recursive: true });
  writeFileSync(join(dir, 'ports.yaml'), OTHER);
  return dir;
}

/** What a checkout command says of another project's ports.yaml (`file`, as named from the cwd), which it does not read. */
const otherNote = (file: string) =>
  `note: ${file} is not read by default: its directory is no checkout of the dsa110 registry (no packages/ports/package.json there naming @dsa110/ports); ` +
  `this command reads the bundled registry; give --registry ${file} to read that file\n`;

describe("another project's ports.yaml, at the root of its git repository or in the current directory, is not the registry", () => {
  it('ports get, list and env read the bundled registry without a word: nothing to compare the bundled copy with', async () => {
    const dir = otherRepository();
    for (const cwd of [dir, join(dir, 'packages/x')]) {
      expect(await ports(['get', 'redis'], { cwd })).toEqual({ code: 0, stdout: '6379\n', stderr: '' });
      for (const args of [['list'], ['env']]) expect(await ports(args, { cwd })).toMatchObject({ code: 0, stderr: '' });
    }
  });

  it('ports snippet, firewall and docs read the bundled registry and say, in one line, which file they did not read and how to read it', async () => {
    const dir = otherRepository();
    const snippet = await ports(['snippet', 'redis-conf'], { cwd: dir });
    expect(snippet).toMatchObject({ code: 0, stderr: otherNote('ports.yaml') });
    expect(snippet.stdout).toMatch(/^port 6379$/m);
    const firewall = await ports(['firewall'], { cwd: join(dir, 'packages/x') });
    expect(firewall).toMatchObject({ code: 0, stderr: otherNote('../../ports.yaml') });
    expect(firewall.stdout).toContain('6379');
    const nft = await ports(['firewall', '--out', 'dsa110-ports.nft'], { cwd: dir });
    expect(nft).toMatchObject({ code: 0, stderr: otherNote('ports.yaml') });
    expect(readFileSync(join(dir, 'dsa110-ports.nft'), 'utf8')).toContain('6379');
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs/ports.md'), committedDocs);
    const docs = await ports(['docs', '--check'], { cwd: dir });
    expect(docs).toMatchObject({ code: 0, stderr: otherNote('ports.yaml') });
    expect(docs.stdout).toMatch(/^docs\/ports\.md is up to date with /);
  });

  it('ports validate names the file it did not take as the default (exit 64); named, it is validated', async () => {
    const dir = otherRepository();
    expect(await ports(['validate'], { cwd: dir })).toEqual({
      code: 64,
      stdout: '',
      stderr:
        'ports validate: no file given, and ports.yaml is not read by default: its directory is no checkout of the dsa110 registry ' +
        '(no packages/ports/package.json there naming @dsa110/ports); name it to validate it (ports validate ports.yaml)\nRun "ports validate --help" for usage.\n',
    });
    expect((await ports(['validate', 'ports.yaml'], { cwd: dir })).code).toBe(1);
  });

  it('outside a git work tree, ./ports.yaml of another project alike; --registry reads it as named', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ports.yaml'), OTHER);
    const snippet = await ports(['snippet', 'redis-conf'], { cwd: dir });
    expect(snippet).toMatchObject({ code: 0, stderr: otherNote('ports.yaml') });
    expect(await ports(['get', 'redis'], { cwd: dir })).toEqual({ code: 0, stdout: '6379\n', stderr: '' });
    const named = await ports(['--registry', 'ports.yaml', 'snippet', 'redis-conf'], { cwd: dir });
    expect(named.code).toBe(1);
    expect(named.stderr).toContain('ports.yaml');
  });

  it("a checkout's ports.yaml that is broken is still the one read: it is the package.json beside it that tells a checkout", async () => {
    const dir = markCheckout(otherRepository());
    const run = await ports(['snippet', 'redis-conf'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ports.yaml:2:10: version: must be 1 (got "3")');
    expect(run.stderr).not.toContain('note:');
  });
});

describe("the package.json that tells a checkout: unreadable, with a BOM, or this package's own", () => {
  it('one that cannot be read (a loop of links; mode 600 to another user) is no checkout, and the note says why', async () => {
    const dir = otherRepository();
    mkdirSync(join(dir, 'packages/ports'), { recursive: true });
    symlinkSync('package.json', join(dir, 'packages/ports/package.json'));
    const note =
      'note: ports.yaml is not read by default: its directory is not taken as a checkout of the dsa110 registry, as packages/ports/package.json ' +
      'cannot be read (too many levels of symbolic links): in a checkout, make it readable; this command reads the bundled registry; give --registry ports.yaml to read that file\n';
    const snippet = await ports(['snippet', 'redis-conf'], { cwd: dir });
    expect(snippet).toMatchObject({ code: 0, stderr: note });
    expect(snippet.stdout).toMatch(/^port 6379$/m);
    expect((await ports(['validate'], { cwd: dir })).stderr).toContain('as packages/ports/package.json cannot be read (too many levels of symbolic links)');
    // Another user, who may not read it: the built bin, as nobody.
    const shared = tempDir();
    chmodSync(shared, 0o755);
    writeFileSync(join(shared, 'ports.yaml'), OTHER);
    mkdirSync(join(shared, 'packages/ports'), { recursive: true });
    writeFileSync(join(shared, 'packages/ports/package.json'), '{ "name": "@dsa110/ports" }\n', { mode: 0o600 });
    const nobody = portsAsNobody(shared, ['snippet', 'redis-conf']);
    expect(nobody).toMatchObject({ code: 0, stderr: note.replace('too many levels of symbolic links', 'permission denied') });
  });

  it('one that starts with a UTF-8 BOM names the package, as Node reads it: the checkout is read', async () => {
    const dir = otherRepository();
    mkdirSync(join(dir, 'packages/ports'), { recursive: true });
    writeFileSync(join(dir, 'packages/ports/package.json'), '\uFEFF{ "name": "@dsa110/ports" }\n');
    const run = await ports(['snippet', 'redis-conf'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ports.yaml:2:10: version: must be 1 (got "3")');
    expect(run.stderr).not.toContain('note:');
    expect(packageJsonNames(join(dir, 'packages/ports/package.json'))).toEqual({ named: true });
    // The package's own copy, found from its built module the same way.
    mkdirSync(join(dir, 'packages/ports/dist/cli'), { recursive: true });
    expect(bundledCopyOf(pathToFileURL(join(dir, 'packages/ports/dist/cli/ports.js')).href)).toBe(join(dir, 'packages/ports/ports.yaml'));
  });

  it("in an installed package's directory its ports.yaml is the bundled registry's copy: read without a note; validate validates it", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'package.json'), '{ "name": "@dsa110/ports", "version": "1.0.0" }\n');
    writeFileSync(join(dir, 'ports.yaml'), readFileSync(bundledCopy));
    const snippet = await ports(['snippet', 'redis-conf'], { cwd: dir });
    expect(snippet).toMatchObject({ code: 0, stderr: '' });
    expect(snippet.stdout).toMatch(/^port 6379$/m);
    expect(await ports(['validate'], { cwd: dir })).toMatchObject({ code: 0, stderr: '' });
  });

  it("in a checkout's packages/ports outside a git work tree (a tarball's), the checkout's ports.yaml two directories up is read", async () => {
    const dir = markCheckout(tempDir());
    writeFileSync(join(dir, 'ports.yaml'), edited);
    const pkg = join(dir, 'packages/ports');
    writeFileSync(join(pkg, 'ports.yaml'), readFileSync(bundledCopy));
    const snippet = await ports(['snippet', 'redis-conf'], { cwd: pkg });
    expect(snippet).toMatchObject({ code: 0, stderr: '' });
    expect(snippet.stdout).toMatch(/^port 6380$/m);
    writeFileSync(join(dir, 'ports.yaml'), OTHER);
    const broken = await ports(['validate'], { cwd: pkg });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('../../ports.yaml:2:10: version: must be 1');
  });
});

describe('claim-port and port-health-check never read a ports.yaml of the working directory', () => {
  it('claim-port SERVICE --dry-run in an edited checkout claims the bundled port', () => {
    const claimPort = join(repoRoot, 'packages/claim-port/bin/claim-port.js');
    const run = spawnSync(process.execPath, [claimPort, 'redis', '--dry-run'], {
      cwd: workTree(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DSA110_PORTS_CACHE: 'off' },
      encoding: 'utf8',
    });
    expect(run.stdout + run.stderr).toContain('6379');
    expect(run.stdout + run.stderr).not.toContain('6380');
  });
});
