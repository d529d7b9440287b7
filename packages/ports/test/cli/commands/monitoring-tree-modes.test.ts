// `ports monitoring` as an operator runs it: from the sources in a child
// process, under a real umask, read back as `nobody` (Prometheus and Grafana
// run as users of their own), and against a real read-only or full file
// system on a directory of the tree (a tmpfs in a mount namespace of its own).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasCommand } from '../../../../../test-support/index.js';
import { repoRoot } from '../../helpers.js';
import { markCheckout, rootRegistry, tempDir } from '../helpers.js';

const isRoot = process.getuid?.() === 0;
const canSetpriv = isRoot && hasCommand('setpriv', ['--version']);
const canUnshare = isRoot && hasCommand('unshare', ['--version']);
const cli = join(repoRoot, 'packages/ports/src/cli/ports.ts');
// By URL: the prelude may `cd` out of the checkout, where a bare `tsx` does not resolve.
const tsx = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href;
const NOBODY = 65534;

/** A scratch dir every user may enter, with the root registry in it (the checkout itself may be 0700). */
function scratch(): string {
  const dir = markCheckout(tempDir());
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'ports.yaml'), rootRegistry);
  return dir;
}

/** `ports ARGS` from the sources, in a child, after `prelude` (shell: `umask 027`, a mount) in the same shell. */
function ports(args: readonly string[], prelude = ':', wrap: readonly string[] = []) {
  const run = spawnSync(
    wrap[0] ?? 'sh',
    [
      ...wrap.slice(1),
      ...(wrap.length > 0 ? ['sh'] : []),
      '-c',
      `${prelude} && exec "$0" "$@"`,
      process.execPath,
      '--conditions=development',
      '--import',
      tsx,
      cli,
      ...args,
    ],
    { cwd: repoRoot, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
  );
  expect(run.error).toBeUndefined();
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Whether `nobody` can read `path` (cat as that user). */
function nobodyReads(path: string): boolean {
  return spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'cat', path], { stdio: 'ignore' }).status === 0;
}

describe('ports monitoring under a umask that closes directories to others', () => {
  it.skipIf(!canSetpriv)(
    `makes every directory 0755 under umask 027, so nobody reads the rules; --check reports a closed one ${canSetpriv ? '' : '[skipped: needs root and setpriv]'}`,
    () => {
      const dir = scratch();
      const out = join(dir, 'u27');
      const registry = join(dir, 'ports.yaml');
      const written = ports(['monitoring', '--registry', registry, '--out', out], 'umask 027');
      expect(written.stderr).toBe('');
      expect(written.code).toBe(0);
      for (const sub of ['', 'prometheus', 'prometheus/rules', 'prometheus/targets/node', 'grafana/dashboards', 'grafana/provisioning/datasources']) {
        expect((statSync(join(out, sub)).mode & 0o7777).toString(8), sub).toBe('755');
      }
      const rules = join(out, 'prometheus/rules/dsa110-ports.rules.yml');
      expect(nobodyReads(rules)).toBe(true);
      expect(ports(['monitoring', '--registry', registry, '--out', out, '--check'])).toEqual({
        code: 0,
        stdout: `${out}: 6 files up to date with ${registry} (the host files in prometheus/targets/node/ not judged: the fleet's list of hosts is the operator's once it is there; the write only seeds it)\n`,
        stderr: '',
      });

      // As an earlier version left it under umask 027: nobody cannot read the rules, and --check says so.
      chmodSync(join(out, 'prometheus/rules'), 0o750);
      chmodSync(join(out, 'grafana'), 0o754);
      expect(nobodyReads(rules)).toBe(false);
      const check = ports(['monitoring', '--registry', registry, '--out', out, '--check']);
      expect(check).toEqual({
        code: 1,
        stdout:
          `${out}/prometheus/rules: other users may not list or enter it (mode 0750): Prometheus and Grafana, which run as users of their own, cannot read the files this tool writes there; run \`chmod o+rx ${out}/prometheus/rules\`\n` +
          `${out}/grafana: other users may not enter it (mode 0754): Prometheus and Grafana, which run as users of their own, cannot reach the files this tool writes under it; run \`chmod o+x ${out}/grafana\`\n`,
        stderr: `2 directories under ${out} cannot be read by other users (listed above, each with what to run)\n`,
      });
      // A directory that was there is never opened up by a write: the operator chose its mode.
      expect(ports(['monitoring', '--registry', registry, '--out', out]).code).toBe(0);
      expect(statSync(join(out, 'prometheus/rules')).mode & 0o7777).toBe(0o750);
      chmodSync(join(out, 'prometheus/rules'), 0o755);
      chmodSync(join(out, 'grafana'), 0o755);
      expect(nobodyReads(rules)).toBe(true);
      expect(ports(['monitoring', '--registry', registry, '--out', out, '--check']).code).toBe(0);
    },
  );
});

describe('ports monitoring and a generated file other users may not read', () => {
  it.skipIf(!canSetpriv)(
    `--check reports a 0600 (or 0640) file with the right contents, with the chmod; a write replaces it 0644 and nobody reads it ${canSetpriv ? '' : '[skipped: needs root and setpriv]'}`,
    () => {
      const dir = scratch();
      const out = join(dir, 'deploy');
      const registry = join(dir, 'ports.yaml');
      expect(ports(['monitoring', '--registry', registry, '--out', out]).code).toBe(0);
      const rules = join(out, 'prometheus/rules/dsa110-ports.rules.yml');
      const datasource = join(out, 'grafana/provisioning/datasources/dsa110-prometheus.yml');
      const contents = readFileSync(rules, 'utf8');
      chmodSync(rules, 0o600);
      chmodSync(datasource, 0o640); // root's, its group may read it: not Grafana's account
      expect(nobodyReads(rules)).toBe(false);
      const regenerate = `ports --registry ${registry} monitoring --out ${out}`;
      expect(ports(['monitoring', '--registry', registry, '--out', out, '--check'])).toEqual({
        code: 1,
        stdout:
          `${rules}: other users may not read it (mode 0600): Prometheus and Grafana, which run as users of their own, cannot read it; run \`chmod o+r ${rules}\`, or \`${regenerate}\` to replace it (0644)\n` +
          `${datasource}: other users may not read it (mode 0640): Prometheus and Grafana, which run as users of their own, cannot read it; run \`chmod o+r ${datasource}\`, or \`${regenerate}\` to replace it (0644)\n`,
        stderr: `2 files under ${out} cannot be read by other users (listed above, each with what to run)\n`,
      });
      // With a closed directory too: one count for both.
      chmodSync(join(out, 'grafana'), 0o754);
      expect(ports(['monitoring', '--registry', registry, '--out', out, '--check']).stderr).toBe(
        `2 files and 1 directory under ${out} cannot be read by other users (listed above, each with what to run)\n`,
      );
      chmodSync(join(out, 'grafana'), 0o755);

      const written = ports(['monitoring', '--registry', registry, '--out', out]);
      expect(written).toEqual({ code: 0, stdout: `wrote ${rules}\nwrote ${datasource}\n${out}: 2 of 6 files regenerated from ${registry}\n`, stderr: '' });
      expect(statSync(rules).mode & 0o7777).toBe(0o644);
      expect(statSync(datasource).mode & 0o7777).toBe(0o644);
      expect(nobodyReads(rules)).toBe(true);
      expect(nobodyReads(datasource)).toBe(true);
      expect(readFileSync(rules, 'utf8')).toBe(contents);
      expect(ports(['monitoring', '--registry', registry, '--out', out, '--check'])).toEqual({
        code: 0,
        stdout: `${out}: 6 files up to date with ${registry} (the host files in prometheus/targets/node/ not judged: the fleet's list of hosts is the operator's once it is there; the write only seeds it)\n`,
        stderr: '',
      });
    },
  );
});

describe('ports monitoring --check in a git work tree', () => {
  it("reports closed modes of the checkout's own ./deploy without failing: a checkout has its umask's modes, which git does not keep", () => {
    const dir = scratch();
    mkdirSync(join(dir, '.git'));
    const out = join(dir, 'deploy');
    expect(ports(['monitoring'], `cd '${dir}'`).code).toBe(0);
    const rules = join(out, 'prometheus/rules/dsa110-ports.rules.yml');
    chmodSync(rules, 0o600);
    chmodSync(join(out, 'grafana'), 0o700);
    const check = ports(['monitoring', '--check'], `cd '${dir}'`);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('deploy/prometheus/rules/dsa110-ports.rules.yml: other users may not read it (mode 0600)');
    // What to run is not what was run: --check on the copy Prometheus and Grafana read, named with --out.
    expect(check.stderr).toBe(
      "1 file and 1 directory under deploy cannot be read by other users (listed above, each with what to run); not a failure for the checkout's own ./deploy, whose modes come from the umask of whoever cloned it (git keeps no read bits): run `ports monitoring --check --out DIR` on the copy Prometheus and Grafana read (--out deploy if they read this one)\n",
    );
    // Named with --out, the same tree is the copy they read: it fails.
    expect(ports(['monitoring', '--check', '--out', 'deploy'], `cd '${dir}'`).code).toBe(1);
    // Drift still fails there.
    writeFileSync(rules, 'edited\n');
    expect(ports(['monitoring', '--check'], `cd '${dir}'`).code).toBe(1);
  });

  it('fails for an unreadable tree given with --out anywhere in a git work tree (etckeeper keeps /etc in one)', () => {
    // An /etc under etckeeper: a git work tree with no ports.yaml at its root; the tree Prometheus reads is in it.
    const etc = scratch();
    mkdirSync(join(etc, '.git'));
    const out = join(etc, 'prometheus-deploy');
    const registry = join(etc, 'ports.yaml');
    expect(ports(['monitoring', '--registry', registry, '--out', out]).code).toBe(0);
    const rules = join(out, 'prometheus/rules/dsa110-ports.rules.yml');
    chmodSync(rules, 0o600);
    const check = ports(['monitoring', '--registry', registry, '--out', out, '--check']);
    expect(check).toEqual({
      code: 1,
      stdout: `${rules}: other users may not read it (mode 0600): Prometheus and Grafana, which run as users of their own, cannot read it; run \`chmod o+r ${rules}\`, or \`ports --registry ${registry} monitoring --out ${out}\` to replace it (0644)\n`,
      stderr: `1 file under ${out} cannot be read by other users (listed above, each with what to run)\n`,
    });
    // A deploy/ of a work tree that is not a checkout of the registry (no ports.yaml at its root) is not exempt either.
    const other = tempDir();
    chmodSync(other, 0o755);
    mkdirSync(join(other, '.git'));
    expect(ports(['monitoring', '--registry', registry], `cd '${other}'`).code).toBe(0);
    chmodSync(join(other, 'deploy/prometheus/rules/dsa110-ports.rules.yml'), 0o600);
    expect(ports(['monitoring', '--registry', registry, '--check'], `cd '${other}'`).code).toBe(1);
    // Nor is one whose root has a ports.yaml but is no checkout of the registry (no packages/ports/package.json of this package).
    writeFileSync(join(other, 'ports.yaml'), rootRegistry);
    expect(ports(['monitoring', '--registry', registry, '--check'], `cd '${other}'`).code).toBe(1);
  });
});

describe('ports monitoring when a directory of the tree takes no file', () => {
  // grafana/dashboards is there (the operator's), with a file system on it that is read-only or too small for the dashboard.
  it.skipIf(!canUnshare).each([
    ['read-only', 'ro,mode=0755', 'read-only file system'],
    ['full (8 KB, less than the dashboard)', 'size=8k,mode=0755', 'no space left on the device'],
  ])(
    `%s: exit 1, "nothing was written" and true: the directories it made are gone ${canUnshare ? '' : '[skipped: needs root and unshare]'}`,
    (_, options, reason) => {
      const dir = scratch();
      const out = join(dir, 'deploy');
      mkdirSync(join(out, 'grafana/dashboards'), { recursive: true });
      const run = ports(
        ['monitoring', '--registry', join(dir, 'ports.yaml'), '--out', out],
        `mount -t tmpfs -o ${options} tmpfs '${join(out, 'grafana/dashboards')}'`,
        ['unshare', '--mount', '--propagation', 'private'],
      );
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(new RegExp(`^ports monitoring: cannot write ${out}/grafana/dashboards/dsa110-ports\\.json: [^\\n]*; nothing was written\\n$`));
      expect(run.stderr).toContain(reason);
      expect(run.code).toBe(1);
      // Only what was there before: the 10 directories the run made (prometheus/..., grafana/provisioning/...) were removed.
      expect(readdirSync(out)).toEqual(['grafana']);
      expect(readdirSync(join(out, 'grafana'))).toEqual(['dashboards']);
      expect(readdirSync(join(out, 'grafana/dashboards'))).toEqual([]);
    },
  );
});
