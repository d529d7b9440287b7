// `ports monitoring` through the built bin, in temp checkouts.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers.js';
import {
  bin,
  binForOtherUsers,
  checkout,
  CONTROL,
  expectNoStack,
  ports,
  portsAsNobody,
  replaceOnce,
  requireBuilt,
  rootRegistry,
  tempDir,
  twoWritersAtOnce,
} from '../helpers.js';

beforeAll(requireBuilt);

describe('ports monitoring', () => {
  it('the committed deploy/ is up to date with ports.yaml (run `ports monitoring` when this fails)', async () => {
    const run = await ports(['monitoring', '--check'], { cwd: repoRoot });
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^deploy: \d+ files up to date with ports\.yaml \(the host files in prometheus\/targets\/node\/ not judged: .*\)\n$/);
    expect(run.code).toBe(0);
  });

  it('writes the tree, then --check passes; a moved API port makes --check print the diff and exit 1, writing nothing', async () => {
    const dir = checkout();
    const first = await ports(['monitoring'], { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('wrote deploy/prometheus/prometheus.yml\n');
    expect((await ports(['monitoring'], { cwd: dir })).stdout).toBe('deploy: already up to date from ports.yaml\n');
    expect((await ports(['monitoring', '--check'], { cwd: dir })).code).toBe(0);

    writeFileSync(join(dir, 'ports.yaml'), replaceOnce(rootRegistry, 'port: 8000', 'port: 8002'));
    const before = readFileSync(join(dir, 'deploy/prometheus/prometheus.yml'), 'utf8');
    const check = await ports(['monitoring', '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("-          - 'localhost:8000'\n+          - 'localhost:8002'\n");
    // prometheus.yml, the rules (each service's catch-all, by port: the API now after MkDocs on 8001) and their tests, the dashboard.
    expect(check.stderr).toMatch(/^4 of \d+ files under deploy are missing or stale: run "ports monitoring" to/);
    // Under --out, the command to run keeps it: the bare one would write ./deploy instead.
    const out = join(dir, 'mon');
    expect((await ports(['monitoring', '--out', out], { cwd: dir })).code).toBe(0);
    rmSync(join(out, 'prometheus/prometheus.yml'));
    const outCheck = await ports(['monitoring', '--out', out, '--check'], { cwd: dir });
    expect(outCheck.stderr).toMatch(new RegExp(`are missing or stale: run "ports monitoring --out ${out}" to regenerate them from ports.yaml\n$`));
    // In a git work tree, a changed file is the committed one, and the fix ends with committing it.
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(out, 'prometheus/prometheus.yml'), 'stale\n');
    const inTree = await ports(['monitoring', '--out', out, '--check'], { cwd: dir });
    expect(inTree.stdout).toContain(`--- ${out}/prometheus/prometheus.yml (committed)\n`);
    expect(inTree.stderr).toMatch(/ to regenerate them from ports\.yaml, then commit them\n$/);
    expect(readFileSync(join(dir, 'deploy/prometheus/prometheus.yml'), 'utf8')).toBe(before);
  });

  it("targets/node/ is the fleet's list, the operator's once written: this host's file taken out or edited stays so, for the write and --check", async () => {
    const dir = checkout();
    const out = join(dir, 'mon');
    const target = join(out, 'prometheus/targets/node/localhost.yml');
    expect((await ports(['monitoring', '--out', out], { cwd: dir })).code).toBe(0);
    expect(readFileSync(target, 'utf8')).toContain("'localhost:9100'");
    // The Prometheus host taken out of its own fleet: --check passes, and the next write does not put it back.
    rmSync(target);
    const check = await ports(['monitoring', '--out', out, '--check'], { cwd: dir });
    expect(check.stdout).not.toContain('localhost.yml');
    expect(check.code).toBe(0);
    const again = await ports(['monitoring', '--out', out], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('localhost.yml');
    expect(readdirSync(join(out, 'prometheus/targets/node'))).toEqual([]);
    // Named by the host's real name instead: left as it is.
    writeFileSync(join(out, 'prometheus/targets/node/h1.yml'), "- targets: ['h1:9100']\n");
    writeFileSync(target, "- targets: ['prom-host:9100']\n");
    expect((await ports(['monitoring', '--out', out, '--check'], { cwd: dir })).code).toBe(0);
    expect((await ports(['monitoring', '--out', out], { cwd: dir })).code).toBe(0);
    expect(readFileSync(target, 'utf8')).toBe("- targets: ['prom-host:9100']\n");
    // A tree without the list at all is a new one: the write seeds it with this host, and --check wants it.
    rmSync(join(out, 'prometheus/targets'), { recursive: true });
    const missing = await ports(['monitoring', '--out', out, '--check'], { cwd: dir });
    expect(missing.stdout).toContain(`${out}/prometheus/targets/node/localhost.yml: missing\n`);
    expect(missing.code).toBe(1);
    expect((await ports(['monitoring', '--out', out], { cwd: dir })).stdout).toContain(`wrote ${out}/prometheus/targets/node/localhost.yml\n`);
  });

  it('--check where there is no tree at all says where it looked and what to do, not that every file is stale', async () => {
    const dir = checkout();
    const run = await ports(['monitoring', '--check'], { cwd: dir });
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe(
      'ports monitoring: cannot check deploy: no such directory here (the default: ./deploy in the current directory); run from the repository root or pass --out DIR\n',
    );
    const out = await ports(['monitoring', '--check', '--out', 'elsewhere'], { cwd: dir });
    expect(out).toMatchObject({ code: 1, stdout: '' });
    expect(out.stderr).toBe('ports monitoring: cannot check elsewhere: no such directory; "ports monitoring --out elsewhere" writes it\n');
    // The command named is the one to run: with the registry this run read, and each word as the shell reads it back.
    writeFileSync(join(dir, 'other.yaml'), rootRegistry);
    const named = await ports(['--registry', 'other.yaml', 'monitoring', '--check', '--out', 'not here'], { cwd: dir });
    expect(named).toMatchObject({ code: 1, stdout: '' });
    expect(named.stderr).toBe(
      `ports monitoring: cannot check not here: no such directory; "ports --registry other.yaml monitoring --out 'not here'" writes it\n`,
    );
    // A file others may write fails the check whatever it holds, said as such (not "missing or stale": its contents are
    // right); writing replaces it.
    expect((await ports(['monitoring', '--out', 'elsewhere'], { cwd: dir })).code).toBe(0);
    chmodSync(join(dir, 'elsewhere/prometheus/prometheus.yml'), 0o666);
    const exposed = await ports(['monitoring', '--check', '--out', 'elsewhere'], { cwd: dir });
    expect(exposed).toEqual({
      code: 1,
      stdout: 'elsewhere/prometheus/prometheus.yml: writable by others (mode 0666): not only this tool writes it; regenerating replaces it\n',
      stderr: `1 of 6 files under elsewhere may be changed by others (listed above): run "ports monitoring --out elsewhere" to replace it with one of this user's, 0644\n`,
    });
    // With a stale file too: each counted as what it is.
    writeFileSync(join(dir, 'elsewhere/prometheus/rules/dsa110-ports.rules.yml'), '# edited by hand\n');
    chmodSync(join(dir, 'elsewhere/grafana/dashboards/dsa110-ports.json'), 0o664);
    const both = await ports(['monitoring', '--check', '--out', 'elsewhere'], { cwd: dir });
    expect(both.code).toBe(1);
    expect(both.stdout).toContain('elsewhere/grafana/dashboards/dsa110-ports.json: writable by its group (mode 0664)');
    expect(both.stderr).toBe(
      '1 of 6 files under elsewhere are missing or stale: run "ports monitoring --out elsewhere" to regenerate them from ports.yaml\n' +
        `2 of 6 files under elsewhere may be changed by others (listed above): run "ports monitoring --out elsewhere" to replace them with files of this user's, 0644\n`,
    );
    expect((await ports(['monitoring', '--out', 'elsewhere'], { cwd: dir })).code).toBe(0);
    expect((await ports(['monitoring', '--check', '--out', 'elsewhere'], { cwd: dir })).code).toBe(0);
    rmSync(join(dir, 'elsewhere'), { recursive: true });
    // A path that may be there but cannot be looked at is not "no such directory".
    const long = await ports(['monitoring', '--check', '--out', 'x'.repeat(300)], { cwd: dir });
    expect(long).toMatchObject({ code: 1, stdout: '' });
    expect(long.stderr).toBe(
      `ports monitoring: cannot check ${'x'.repeat(300)}: its path or a part of it is too long for the file system; give a shorter --out\n`,
    );
    // One file missing in a tree that is there is still a drift, listed.
    expect((await ports(['monitoring', '--out', 'elsewhere'], { cwd: dir })).code).toBe(0);
    rmSync(join(dir, 'elsewhere/prometheus/prometheus.yml'));
    const one = await ports(['monitoring', '--check', '--out', 'elsewhere'], { cwd: dir });
    expect(one.stdout).toBe('elsewhere/prometheus/prometheus.yml: missing\n');
    expect(one.stderr).toMatch(/^1 of 6 files under elsewhere are missing or stale: /);
  });

  it("a directory on the way to the files that others may write, up to /, is drift for --check; a write makes this user's 0755", async () => {
    const dir = checkout();
    expect((await ports(['monitoring'], { cwd: dir })).code).toBe(0);
    const check = () => ports(['monitoring', '--check'], { cwd: dir });
    // A directory holding generated files: a new file there counts (Prometheus loads every rule file in rules/).
    chmodSync(join(dir, 'deploy/prometheus/rules'), 0o777);
    let run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'deploy/prometheus/rules: writable by others (mode 0777): whoever may write in it may replace the files this tool writes there, or add others that Prometheus or Grafana read with them; run `ports monitoring` to make it 0755 (chmod go-w)\n',
    );
    expect(run.stderr).toBe('1 directory on the way to the files under deploy may be changed by others (listed above, each with what to run)\n');
    // One above them (here the checkout, where ./deploy is): whoever may write there may swap the whole tree.
    chmodSync(dir, 0o777);
    run = await check();
    expect(run.stdout).toContain(
      `${dir}: writable by others (mode 0777): whoever may write in it may put another directory in place of deploy, and so replace the files this tool writes; run \`ports monitoring\` to make it 0755 (chmod go-w)\n`,
    );
    expect(run.stderr).toMatch(/^2 directories on the way to the files under deploy may be changed by others/);
    run = await ports(['monitoring'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `made ${dir} 0755: it was writable by others (mode 0777)\nmade deploy/prometheus/rules 0755: it was writable by others (mode 0777)\ndeploy: already up to date from ports.yaml\n`,
    );
    expect(statSync(join(dir, 'deploy/prometheus/rules')).mode & 0o7777).toBe(0o755);
    expect((await check()).code).toBe(0);
  });

  it.skipIf(process.getuid?.() !== 0)('a directory on the way that another user owns: --check reports it, and the write refuses, writing nothing', async () => {
    const dir = checkout();
    expect((await ports(['monitoring'], { cwd: dir })).code).toBe(0);
    writeFileSync(join(dir, 'ports.yaml'), replaceOnce(rootRegistry, 'port: 8000', 'port: 8002'));
    const before = readFileSync(join(dir, 'deploy/prometheus/prometheus.yml'), 'utf8');
    chownSync(join(dir, 'deploy/prometheus'), 65534, 65534);
    const why =
      'deploy/prometheus is owned by uid 65534, not by root: its owner may replace the files this tool writes there, or add others that Prometheus or Grafana read with them; `chown root:root deploy/prometheus` (or remove it)';
    const run = await ports(['monitoring'], { cwd: dir });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `ports monitoring: cannot write deploy/prometheus/prometheus.yml: ${why} first; nothing was written\n`,
    });
    expect(readFileSync(join(dir, 'deploy/prometheus/prometheus.yml'), 'utf8')).toBe(before);
    const check = await ports(['monitoring', '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`${why.replace(' is owned', ': owned')}, then run \`ports monitoring\`\n`);
  });

  it("the fleet's host list, targets/node/, whose files are the operator's: its directory and targets/ are still held, since Prometheus reads every file there", async () => {
    const dir = checkout();
    expect((await ports(['monitoring'], { cwd: dir })).code).toBe(0);
    const check = () => ports(['monitoring', '--check'], { cwd: dir });
    const node = join(dir, 'deploy/prometheus/targets/node');
    // A host file the operator added is not judged; a directory anyone may add one to is.
    writeFileSync(join(node, 'other-host.yml'), "- targets: ['other-host:9100']\n");
    expect((await check()).code).toBe(0);
    for (const sub of ['deploy/prometheus/targets/node', 'deploy/prometheus/targets']) {
      chmodSync(join(dir, sub), 0o777);
      const run = await check();
      expect(run.code, sub).toBe(1);
      expect(run.stdout, sub).toMatch(new RegExp(`^${sub}: writable by others \\(mode 0777\\): whoever may write in it may `));
      expect((await ports(['monitoring'], { cwd: dir })).stdout, sub).toBe(
        `made ${sub} 0755: it was writable by others (mode 0777)\ndeploy: already up to date from ports.yaml\n`,
      );
      expect((await check()).code, sub).toBe(0);
    }
    // Prometheus, a user of its own, cannot list the hosts of a directory closed to others.
    chmodSync(node, 0o700);
    const closed = await check();
    expect(closed.code).toBe(1);
    expect(closed.stdout).toMatch(/^deploy\/prometheus\/targets\/node: other users may not list or enter it \(mode 0700\)/);
    chmodSync(node, 0o755);
    // A file in its place is no list: the write and --check say so, and nothing is written.
    rmSync(node, { recursive: true });
    writeFileSync(node, '');
    const refused = await ports(['monitoring'], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^ports monitoring: cannot write deploy\/prometheus\/targets\/node\/localhost\.yml: a path component is not a directory: /);
    expect((await check()).code).toBe(1);
  });

  it.skipIf(process.getuid?.() !== 0)("the fleet's host list, targets/node/, owned by another user: --check reports it, and the write refuses", async () => {
    const dir = checkout();
    expect((await ports(['monitoring'], { cwd: dir })).code).toBe(0);
    chownSync(join(dir, 'deploy/prometheus/targets/node'), 65534, 65534);
    const check = await ports(['monitoring', '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^deploy\/prometheus\/targets\/node: owned by uid 65534, not by root: /);
    expect((await ports(['monitoring'], { cwd: dir })).code).toBe(1);
  });

  it('--check on an --out that is a file or a loop of links says so once, not once per file', async () => {
    const dir = checkout();
    writeFileSync(join(dir, 'a-file'), '');
    symlinkSync('loop', join(dir, 'loop'));
    for (const [out, why] of [
      ['a-file', 'it is a regular file, not a directory; give a directory'],
      ['loop', 'its path holds a loop of symbolic links; give the real directory'],
    ] as const) {
      expect(await ports(['monitoring', '--check', '--out', out], { cwd: dir })).toEqual({
        code: 1,
        stdout: '',
        stderr: `ports monitoring: cannot check ${out}: ${why}\n`,
      });
    }
  });

  it("--out a device or the system's link (/dev/null, /proc/self/fd/2): refused, saying to give a directory, never to move it away; ports systemd --out and --root alike", async () => {
    const dir = checkout();
    for (const [command, flag, out, check, what] of [
      ['monitoring', '--out', '/dev/null', false, "it is a character device, the system's"],
      ['monitoring', '--out', '/proc/self/fd/2', true, "it is the system's symbolic link under /proc (to "],
      ['systemd', '--out', '/dev/null', false, "it is a character device, the system's"],
      ['systemd', '--root', '/dev/stderr', false, 'it is the system\'s symbolic link under /dev (to "/proc/self/fd/2")'],
    ] as const) {
      const args = [command, flag, out, '--registry', 'ports.yaml', ...(check ? ['--check'] : [])];
      const run = await ports(args, { cwd: dir });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr, args.join(' ')).toContain(`ports ${command}: cannot ${check ? 'check' : 'write'} under ${out}: ${what}`);
      expect(run.stderr, args.join(' ')).toMatch(
        new RegExp(`, not a directory for this tool; give ${flag} a directory's path${check ? '' : '; nothing was written'}\n$`),
      );
      expect(run.stderr).not.toMatch(/move it|remove the link/);
    }
    expect(readdirSync(dir).sort()).toEqual(['packages', 'ports.yaml']);
  });

  it('--help names files it writes: the promtool commands it suggests point at them', async () => {
    const dir = checkout();
    expect((await ports(['monitoring', '--out', 'out'], { cwd: dir })).code).toBe(0);
    const named = [...(await ports(['monitoring', '--help'])).stdout.matchAll(/DIR\/(\S+?)[;.]?(?:\s|$)/g)].map((match) => match[1] ?? '');
    expect(named).toEqual(['prometheus/prometheus.yml', 'prometheus/tests/dsa110-ports.rules.test.yml']);
    for (const path of named) expect(lstatSync(join(dir, 'out', path)).isFile(), path).toBe(true);
  });

  it('--out DIR; a file in the way is one clear line, exit 1', async () => {
    const dir = checkout();
    writeFileSync(join(dir, 'blocker'), 'x');
    const run = await ports(['monitoring', '--out', 'blocker'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^ports monitoring: cannot write blocker\/prometheus\/prometheus\.yml: a path component is not a directory: blocker is a regular file; move it away \(this tool makes the directory\), then run again; nothing was written \(and \d+ more: [^\n]*\)\n$/,
    );
    expectNoStack(run.stderr);
    expect((await ports(['monitoring', '--out', ''], { cwd: dir })).code).toBe(64);
  });

  it('a FIFO in the tree is refused at once (never opened), by the write and by --check', async () => {
    const dir = checkout();
    expect((await ports(['monitoring'], { cwd: dir })).code).toBe(0);
    const target = join(dir, 'deploy/prometheus/prometheus.yml');
    rmSync(target);
    spawnSync('mkfifo', [target]);
    const run = await ports(['monitoring'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'ports monitoring: cannot write deploy/prometheus/prometheus.yml: it is a FIFO (named pipe), not a regular file; move it away to let this tool write the file; nothing was written\n',
    );
    const check = await ports(['monitoring', '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toBe(
      'deploy/prometheus/prometheus.yml: it is a FIFO (named pipe), not a regular file; move it away to let this tool write the file\n',
    );
    expect(lstatSync(target).isFIFO()).toBe(true);
  });

  it('--check counts a link or a directory the write refuses apart from the stale files: regenerating would write nothing', async () => {
    const dir = checkout();
    expect((await ports(['--registry', 'ports.yaml', 'monitoring', '--out', 'mon'], { cwd: dir })).code).toBe(0);
    const target = join(dir, 'mon/prometheus/prometheus.yml');
    writeFileSync(`${target}.real`, readFileSync(target));
    rmSync(target);
    symlinkSync('prometheus.yml.real', target);
    const check = () => ports(['--registry', 'ports.yaml', 'monitoring', '--out', 'mon', '--check'], { cwd: dir });
    let run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'mon/prometheus/prometheus.yml: it is a symbolic link to "prometheus.yml.real", which is never replaced; remove the link to let this tool write the file\n',
    );
    expect(run.stderr).toBe(
      '1 file under mon is not for this tool to replace (listed above, each with what to do): "ports --registry ports.yaml monitoring --out mon" writes nothing until it is dealt with\n',
    );
    // What the summary says: the write refuses, writing nothing.
    expect((await ports(['--registry', 'ports.yaml', 'monitoring', '--out', 'mon'], { cwd: dir })).code).toBe(1);
    // With a stale file besides, regenerating is named, after the file in the way.
    rmSync(target);
    mkdirSync(target);
    rmSync(join(dir, 'mon/grafana/dashboards/dsa110-ports.json'));
    run = await check();
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'mon/prometheus/prometheus.yml: it is a directory, not a regular file; move it away to let this tool write the file\nmon/grafana/dashboards/dsa110-ports.json: missing\n',
    );
    expect(run.stderr).toBe(
      '1 file under mon is not for this tool to replace (listed above, each with what to do): "ports --registry ports.yaml monitoring --out mon" writes nothing until it is dealt with\n' +
        '1 of 6 files under mon are missing or stale: run "ports --registry ports.yaml monitoring --out mon" once that file is dealt with to regenerate them from ports.yaml\n',
    );
  });

  it.skipIf(process.getuid?.() !== 0)(
    'never writes through a directory link another user owns: one line, exit 1, nothing written; --check reports it',
    async () => {
      const dir = checkout();
      expect((await ports(['monitoring'], { cwd: dir })).code).toBe(0);
      const elsewhere = tempDir();
      const rules = join(dir, 'deploy/prometheus/rules');
      rmSync(rules, { recursive: true });
      symlinkSync(elsewhere, rules);
      lchownSync(rules, 65534, 65534);
      writeFileSync(join(dir, 'ports.yaml'), replaceOnce(rootRegistry, 'port: 8000', 'port: 8002'));
      const before = readFileSync(join(dir, 'deploy/prometheus/prometheus.yml'), 'utf8');
      const why = `${rules} is a symbolic link owned by uid 65534, not by root: it is not followed, since its owner could point it at any directory; remove it, or \`chown -h root:root\` it`;
      const run = await ports(['monitoring'], { cwd: dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(`^ports monitoring: cannot write deploy/prometheus/rules/[^:]+: ${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; nothing was written`),
      );
      expect(run.stderr.split('\n')).toHaveLength(2);
      expect(readdirSync(elsewhere)).toEqual([]);
      expect(readFileSync(join(dir, 'deploy/prometheus/prometheus.yml'), 'utf8')).toBe(before);
      const check = await ports(['monitoring', '--check'], { cwd: dir });
      expect(check.code).toBe(1);
      expect(check.stdout).toContain(`: ${why}\n`);
    },
  );

  it('--out under /proc (a directory that takes no new entries) is one line and exit 1, not a hang', () => {
    // The built bin in a child with a time limit: Node's recursive mkdir never returned there.
    const run = spawnSync(process.execPath, [bin, 'monitoring', '--out', `/proc/${process.pid}/deploy`], {
      cwd: checkout(),
      encoding: 'utf8',
      timeout: 20_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    expect(run.error, 'ports monitoring did not return within 20 s').toBeUndefined();
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `ports monitoring: cannot write /proc/${process.pid}/deploy/prometheus/prometheus.yml: cannot make its directory /proc/${process.pid}/deploy: its parent is on proc, the kernel's own file system, which makes no files; write elsewhere; nothing was written\n`,
    );
  });

  it('--out under /sys: the directory cannot be made because sysfs makes none, for root (was: immutable, chattr -i) as for anyone', async () => {
    const dir = checkout();
    chmodSync(dir, 0o755);
    for (const [out, made] of [
      ['/sys/s77-no-such', '/sys/s77-no-such'],
      ['/sys/kernel', '/sys/kernel/prometheus'],
    ] as const) {
      const stderr = `ports monitoring: cannot write ${out}/prometheus/prometheus.yml: cannot make its directory ${made}: its parent is on sysfs, the kernel's own file system, which makes no files; write elsewhere; nothing was written\n`;
      expect(await ports(['monitoring', '--out', out], { cwd: dir })).toEqual({ code: 1, stdout: '', stderr });
      if (process.getuid?.() === 0) expect(portsAsNobody(dir, ['monitoring', '--out', out]), out).toEqual({ code: 1, stdout: '', stderr });
    }
  });

  it('an --out with a line break or a terminal escape is printed escaped by the write and by --check', async () => {
    const dir = checkout();
    const out = 'de\u001b[31mploy\nok: forged';
    const write = await ports(['monitoring', '--out', out], { cwd: dir });
    expect(write.code).toBe(0);
    expect(write.stdout).toContain('wrote de\\e[31mploy\\nok: forged/prometheus/prometheus.yml\n');
    rmSync(join(dir, out, 'prometheus/prometheus.yml'));
    const check = await ports(['monitoring', '--check', '--out', out], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toBe('de\\e[31mploy\\nok: forged/prometheus/prometheus.yml: missing\n');
    expect(check.stderr).toMatch(/^1 of \d+ files under de\\e\[31mploy\\nok: forged are missing or stale/);
    for (const output of [write.stdout, write.stderr, check.stdout, check.stderr]) expect(output).not.toMatch(CONTROL);
  });

  it('--check reports the datasource file a registry with nothing to point it at no longer makes; the write warns', async () => {
    const dir = checkout();
    expect((await ports(['monitoring'], { cwd: dir })).code).toBe(0);
    const renamed = replaceOnce(
      replaceOnce(
        replaceOnce(rootRegistry, 'id: prometheus\n', 'id: prom-server\n'),
        '    configs:\n      - { kind: grafana-datasource, upstream: prometheus }\n',
        '',
      ),
      '{port:prometheus}',
      '{port:prom-server}',
    );
    writeFileSync(join(dir, 'ports.yaml'), renamed);
    const write = await ports(['monitoring'], { cwd: dir });
    expect(write.code).toBe(0);
    const leftover = 'deploy/grafana/provisioning/datasources/dsa110-prometheus.yml';
    const why =
      'unexpected: the registry has no grafana-datasource config and no "prometheus" service, so this tool no longer writes it; remove it, or give the registry a grafana-datasource config (or a "prometheus" service), after which this tool writes it again';
    // Said by the write and --check alike, exit status unchanged: the dashboard queries a data source nothing provides now.
    const noSource =
      'warning: the registry has no grafana-datasource config and no "prometheus" service, so no Grafana data source is written, and every panel of the dashboard, which queries data source uid dsa110-prometheus, shows no data; add a prometheus service (or a grafana-datasource config) to the registry, or provision a Prometheus data source with uid dsa110-prometheus in Grafana yourself\n';
    expect(write.stderr).toBe(`${noSource}warning: ${leftover}: ${why}\n`);
    const check = await ports(['monitoring', '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toBe(`${leftover}: ${why}\n`);
    // Not "missing or stale: run ports monitoring", which never removes it (a CI job doing as told would fail forever).
    const left =
      '1 file under deploy is left over from an earlier registry (listed above): ports.yaml no longer makes it, and "ports monitoring" never removes a file; remove it';
    expect(check.stderr).toBe(`${noSource}${left}\n`);
    // With a stale file too: each counted apart, the stale one of the 6 files this registry makes.
    const config = join(dir, 'deploy/prometheus/prometheus.yml');
    writeFileSync(config, 'stale\n');
    const both = await ports(['monitoring', '--check'], { cwd: dir });
    expect(both.code).toBe(1);
    expect(both.stderr).toBe(`${noSource}1 of 5 files under deploy are missing or stale: run "ports monitoring" to regenerate them from ports.yaml
${left}
`);
    // Doing as told: the write fixes the stale file, the leftover still fails until removed; in a git work tree, removed and committed.
    expect((await ports(['monitoring'], { cwd: dir })).code).toBe(0);
    mkdirSync(join(dir, '.git'));
    expect(await ports(['monitoring', '--check'], { cwd: dir })).toEqual({
      code: 1,
      stdout: `${leftover}: ${why}\n`,
      stderr: `${noSource}${left}, then commit the removal\n`,
    });
    rmSync(join(dir, leftover));
    expect(await ports(['monitoring', '--check'], { cwd: dir })).toMatchObject({ code: 0, stderr: noSource });
  });

  it("writes the datasource at the grafana-datasource config's upstream, as `ports snippet grafana-datasource` prints it", async () => {
    // Prometheus renamed: the config still names it, so the datasource is written, on its port.
    const renamed = replaceOnce(
      replaceOnce(replaceOnce(rootRegistry, 'id: prometheus\n', 'id: prom-server\n'), 'upstream: prometheus }', 'upstream: prom-server }'),
      '{port:prometheus}',
      '{port:prom-server}',
    );
    const dir = checkout(replaceOnce(renamed, 'port: 9090\n', 'port: 9093\n'));
    expect((await ports(['monitoring'], { cwd: dir })).code).toBe(0);
    const written = readFileSync(join(dir, 'deploy/grafana/provisioning/datasources/dsa110-prometheus.yml'), 'utf8');
    // `ports snippet` reads the installed registry unless told: name the checkout's.
    const snippet = await ports(['snippet', 'grafana-datasource', '--registry', 'ports.yaml'], { cwd: dir });
    expect(snippet.code).toBe(0);
    expect(written).toContain("url: 'http://localhost:9093'\n");
    expect(snippet.stdout).toContain("url: 'http://localhost:9093'\n");
  });

  it('refuses, writing nothing, a registry that makes a file larger than it reads back; --check says the same', async () => {
    // 500 robust services with the longest ids and names (three UTF-8 bytes a character): a registry `ports validate` accepts.
    const services = Array.from({ length: 500 }, (_, index) => {
      const id = `s${String(index).padStart(5, '0')}-`.padEnd(64, 'x');
      return [
        `  - id: ${id}`,
        `    name: ${'\u7aef'.repeat(74)} ${String(index).padStart(5, '0')}`,
        '    group: production',
        `    port: ${20000 + index}`,
        '    protocol: TCP',
        '    access: private',
        `    configuredBy: { env: SVC_${index}_PORT }`,
        '    robust: true',
        `    systemd: { unit: svc-${index}.service, claim: unit }`,
        `    processes: [svc${index}]`,
      ].join('\n');
    });
    const dir = checkout(['version: 1', 'services:', ...services, ''].join('\n'));
    expect((await ports(['validate'], { cwd: dir })).code).toBe(0);
    const line = (verb: string) =>
      new RegExp(
        `^ports monitoring: cannot ${verb} deploy/prometheus/tests/dsa110-ports\\.rules\\.test\\.yml: ports\\.yaml makes it \\d+ bytes, over the 4 MiB this tool reads back; nothing was written; shorten service names or mark fewer services robust [^\n]*\n$`,
      );
    const write = await ports(['monitoring'], { cwd: dir });
    expect(write).toMatchObject({ code: 1, stdout: '' });
    expect(write.stderr).toMatch(line('write'));
    expect(Number(/makes it (\d+) bytes/.exec(write.stderr)![1])).toBeGreaterThan(4 * 1024 * 1024);
    expect(readdirSync(dir)).not.toContain('deploy');
    // --check on a tree that is there: the same refusal, not a diff advising a write that would fail.
    mkdirSync(join(dir, 'deploy'));
    const check = await ports(['monitoring', '--check'], { cwd: dir });
    expect(check).toMatchObject({ code: 1, stdout: '' });
    expect(check.stderr).toMatch(line('check'));
    expect(readdirSync(join(dir, 'deploy'))).toEqual([]);
  });

  it('a dashboard too large for its many short-named services that are not robust: says so, not "shorten names or mark fewer robust"', async () => {
    // The dashboard's rows are what grows (about 3 kB a service, whatever its name); the rules and tests stay well under.
    const services = Array.from({ length: 1300 }, (_, index) =>
      [
        `  - id: s${index}`,
        `    name: S${index}`,
        '    group: production',
        `    port: ${20000 + index}`,
        '    protocol: TCP',
        '    access: localhost',
        '    configuredBy: hardcoded',
        '    robust: false',
        '    processes: [p]',
      ].join('\n'),
    );
    const dir = checkout(['version: 1', 'services:', ...services, ''].join('\n'));
    const write = await ports(['monitoring'], { cwd: dir });
    expect(write).toMatchObject({ code: 1, stdout: '' });
    expect(write.stderr).toMatch(
      /^ports monitoring: cannot write deploy\/grafana\/dashboards\/dsa110-ports\.json: ports\.yaml makes it \d+ bytes, over the 4 MiB this tool reads back; nothing was written; the dashboard has a row of panels for each service outside the development group \(about \d+ bytes each, whatever its name\): 1300 here, about 12\d\d fit; list fewer services in the registry this tree is made from \(a development service gets no row\)\n$/,
    );
    expect(write.stderr).not.toContain('robust');
    expect(readdirSync(dir)).not.toContain('deploy');
  });
});

describe('ports monitoring: a file in the way larger than the tool writes', () => {
  it("says it is not the tool's output and to move or delete it, in the write and in --check alike", async () => {
    const dir = checkout();
    const out = join(dir, 'mon');
    expect((await ports(['monitoring', '--out', out], { cwd: dir })).code).toBe(0);
    const big = join(out, 'grafana/dashboards/dsa110-ports.json');
    writeFileSync(big, ' '.repeat(5 * 1024 * 1024));
    const remedy = "it is larger than 4 MiB, so it is not this tool's output (it writes nothing that large); move it away or delete it, then run again";
    const write = await ports(['monitoring', '--out', out], { cwd: dir });
    expect(write).toMatchObject({ code: 1, stderr: `ports monitoring: cannot write ${big}: ${remedy}; nothing was written\n` });
    const check = await ports(['monitoring', '--out', out, '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`${big}: ${remedy}\n`);
  });
});

const NOBODY = 65534;

// A file this user may not read (mode 0000 to a user; as root, NFS with root_squash): a checkout of nobody's, with
// one of its files mode 0000, written and checked by the built bin run as nobody. (An strace that failed every open
// of that one path no longer sees it: a file is opened in its directory as held, by /proc/self/fd/N/NAME.)
describe.skipIf(process.getuid?.() !== 0)('ports monitoring: a file in the way that it may not read [needs root to run as nobody]', () => {
  function deniedRun(dir: string, args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
    // The bin from a world-readable copy: nobody may not read the checkout (a clone in a 0700 `mktemp -d`).
    const run = spawnSync(process.execPath, [binForOtherUsers(), 'monitoring', ...args], {
      cwd: dir,
      uid: NOBODY,
      gid: NOBODY,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  }

  it('says whose it is and what to do, the write and --check alike; one larger than 4 MiB is said to be no output of this tool', async () => {
    const dir = checkout();
    chmodSync(dir, 0o755);
    const out = join(dir, 'mon');
    expect((await ports(['monitoring', '--out', out], { cwd: dir })).code).toBe(0);
    spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, dir]);
    const yml = join(out, 'prometheus/prometheus.yml');
    writeFileSync(yml, 'edited\n');
    chmodSync(yml, 0);
    const remedy = `this user may not read it (permission denied; mode 0000, owner uid ${NOBODY}), so what it holds is not known; run as a user who may read it, or move it away or delete it, then run again`;
    expect(deniedRun(dir, ['--out', out])).toEqual({
      code: 1,
      stdout: '',
      stderr: `ports monitoring: cannot write ${yml}: ${remedy}; nothing was written\n`,
    });
    expect(readFileSync(yml, 'utf8')).toBe('edited\n');
    const check = deniedRun(dir, ['--out', out, '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toBe(`${yml}: ${remedy}\n`);
    // Larger than 4 MiB and not readable: its size says it is not this tool's output, without a read.
    rmSync(yml);
    const big = join(out, 'grafana/dashboards/dsa110-ports.json');
    writeFileSync(big, ' '.repeat(5 * 1024 * 1024));
    chmodSync(big, 0);
    const large = "it is larger than 4 MiB, so it is not this tool's output (it writes nothing that large); move it away or delete it, then run again";
    expect(deniedRun(dir, ['--out', out])).toEqual({
      code: 1,
      stdout: '',
      stderr: `ports monitoring: cannot write ${big}: ${large}; nothing was written\n`,
    });
    expect(deniedRun(dir, ['--out', out, '--check']).stdout).toContain(`${big}: ${large}\n`);
  });
});

/** A temporary file a writer killed before its rename left at `path`, 5 minutes ago; its PID (a process that has exited) is no process's now. */
function killedWritersTemp(path: string): void {
  const pid = spawnSync('true').pid!;
  writeFileSync(path.replace(/PID/, String(pid)), 'half a file\n');
  const then = new Date(Date.now() - 5 * 60_000);
  utimesSync(path.replace(/PID/, String(pid)), then, then);
}

describe('ports monitoring: what killed writers left', () => {
  it('a run removes their temporary files also when the tree is up to date; --check names them in one line, and still passes', async () => {
    const dir = checkout();
    const out = join(dir, 'mon');
    expect((await ports(['monitoring', '--out', out], { cwd: dir })).code).toBe(0);
    killedWritersTemp(join(out, 'prometheus/.prometheus.yml.PID.mx5egr7qelwawz.tmp'));
    killedWritersTemp(join(out, 'grafana/dashboards/.dsa110-ports.json.PID.mx5egr7qelwawz.tmp'));
    const temps = () => [...readdirSync(join(out, 'prometheus')), ...readdirSync(join(out, 'grafana/dashboards'))].filter((name) => name.endsWith('.tmp'));
    expect(temps()).toHaveLength(2);
    const check = await ports(['monitoring', '--out', out, '--check'], { cwd: dir });
    expect(check.code).toBe(0);
    expect(check.stdout).toBe(
      `${out}: 6 files up to date with ports.yaml (the host files in prometheus/targets/node/ not judged: the fleet's list of hosts is the operator's once it is there; the write only seeds it)\n`,
    );
    expect(check.stderr).toMatch(
      new RegExp(
        `^note: 2 temporary files under ${out} were left by writers killed before their rename \\(${out}/\\S+\\.tmp, ${out}/\\S+\\.tmp\\): not drift; "ports monitoring --out ${out}" removes them\n$`,
      ),
    );
    expect(temps()).toHaveLength(2);
    const run = await ports(['monitoring', '--out', out], { cwd: dir });
    expect(run.stdout).toBe(`${out}: already up to date from ports.yaml\n`);
    expect(temps()).toEqual([]);
    expect((await ports(['monitoring', '--out', out, '--check'], { cwd: dir })).stderr).toBe('');
  });
});

// Two runs of two registries writing one tree at once: strace holds each rename of the built bin's run (registry B)
// 1.5 s, and a run of registry A, started once B's first file is in place, rewrites only that file (the rest is still
// A's). B's later renames make the tree part A's, part B's; before the read-back both runs exited 0.
const strace = spawnSync('strace', ['-V']).status === 0;

describe.skipIf(!strace)(`ports monitoring: two runs at once${strace ? '' : ' [skipped: strace is not installed]'}`, () => {
  it('the run whose rename came last reads the tree back, and exits 1 naming what the other wrote', async () => {
    const dir = checkout();
    writeFileSync(join(dir, 'b.yaml'), replaceOnce(rootRegistry, 'port: 8000', 'port: 8004'));
    const out = join(dir, 'mon');
    const ref = join(dir, 'ref-b');
    expect((await ports(['monitoring', '--out', out], { cwd: dir })).code).toBe(0);
    expect((await ports(['--registry', 'b.yaml', 'monitoring', '--out', ref], { cwd: dir })).code).toBe(0);
    const differing = [
      'prometheus/prometheus.yml',
      'prometheus/rules/dsa110-ports.rules.yml',
      'prometheus/tests/dsa110-ports.rules.test.yml',
      'grafana/dashboards/dsa110-ports.json',
    ];
    for (const path of differing) expect(readFileSync(join(out, path), 'utf8')).not.toBe(readFileSync(join(ref, path), 'utf8'));
    const race = await twoWritersAtOnce('monitoring', dir, out, ref, differing);
    expect(race.held).toBe(true);
    // A finds that one file B's: it rewrites it, and reads back a tree all A's.
    expect(race.runA!.stdout).toContain(`wrote ${join(out, race.first!)}\n`);
    expect(race.runA!.code).toBe(0);
    expect(race.bFiles()).toEqual(differing.filter((path) => path !== race.first));
    expect(race.stdout).toBe('');
    expect(race.stderr).toBe(
      `ports monitoring: ${out}: another run wrote 1 of these 6 files at the same time (${join(out, race.first!)}); nothing there is known to match b.yaml: run "ports --registry b.yaml monitoring --out ${out}" again\n`,
    );
    expect(race.code).toBe(1);
  }, 40_000);
});
