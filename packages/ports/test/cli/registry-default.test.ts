// Which registry each `ports` command reads with no --registry and no $DSA110_PORTS_FILE, in a checkout whose
// ports.yaml an operator edited without rebuilding (Redis moved 6379 -> 6380): the commands that make a checkout's
// files read that ports.yaml; the others read the bundled copy and say, in one warning line, that it is stale.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';
import { ports, portsBin, replaceOnce, requireBuilt, rootRegistry, tempDir } from './helpers.js';

const bundledCopy = join(repoRoot, 'packages/ports/ports.yaml');
const edited = replaceOnce(rootRegistry, '    port: 6379\n', '    port: 6380\n');

/** A git work tree (a `.git` in it) holding `text` as its ports.yaml, and a subdirectory `packages/x`. */
function workTree(text = edited): string {
  const dir = tempDir();
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
