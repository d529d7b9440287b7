// `ports firewall` through the built bin.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasCommand } from '../../../../../test-support/commands.js';
import { repoRoot } from '../../helpers.js';
import { binForOtherUsers, checkout, committedDocs, ports, portsAsNobody, portsBin, replaceOnce, requireBuilt, rootRegistry } from '../helpers.js';
import { aclsWork, grantAcl, NO_ACLS } from '../../files/special.js';

/** nft -c -f in a network namespace of its own (as test/render/firewall.test.ts checks the rules): root, nft and unshare. */
const canCheckNft = process.getuid?.() === 0 && hasCommand('nft', ['--version']) && hasCommand('unshare', ['--version']);

beforeAll(requireBuilt);

describe('ports firewall', () => {
  it('prints nft by default and ufw on request; any other format is a usage error', async () => {
    const dir = checkout();
    const nft = await ports(['firewall', '--registry', 'ports.yaml'], { cwd: dir });
    expect(nft.code).toBe(0);
    expect(nft.stdout).toMatch(/^#!\/usr\/sbin\/nft -f\n/);
    expect(nft.stdout).toContain('\t\ttcp dport 8000 ip saddr @private_v4 accept\n');
    const ufw = await ports(['firewall', '--format', 'ufw', '--registry', 'ports.yaml'], { cwd: dir });
    expect(ufw.stdout).toContain("ufw prepend allow 80/tcp comment 'dsa110 nginx (public)'\n");
    const bad = await ports(['firewall', '--format', 'iptables'], { cwd: dir });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/^ports firewall: --format must be one of nft, ufw, not "iptables"\n/);
    // The format's full name, and a swapped pair of letters: the format meant.
    for (const [given, meant] of [
      ['nftables', 'nft'],
      ['uwf', 'ufw'],
    ])
      expect((await ports(['firewall', '--format', given!], { cwd: dir })).stderr).toMatch(
        new RegExp(`^ports firewall: --format must be one of nft, ufw, not "${given}" \\(did you mean "${meant}"\\?\\)\n`),
      );
  });
});

describe('ports firewall with an env override', () => {
  it('filters the port the override moves a service to, as `ports get` reports it, and refuses a bad one as `ports get` does', async () => {
    const dir = checkout();
    const env = { CONTIMG_API_PORT: '8500' };
    const get = await ports(['get', 'api', '--registry', 'ports.yaml'], { cwd: dir, env });
    expect(get.stdout).toBe('8500\n');
    const nft = await ports(['firewall', '--registry', 'ports.yaml'], { cwd: dir, env });
    expect(nft.code).toBe(0);
    expect(nft.stdout).toContain("\t\t# api (private): tcp 8500 (port from CONTIMG_API_PORT=8500; the registry's is 8000) from private networks\n");
    expect(nft.stdout).toContain('\t\ttcp dport 8500 ip saddr @private_v4 accept\n\t\ttcp dport 8500 ip6 saddr @private_v6 accept\n\t\ttcp dport 8500 drop\n');
    const ufw = await ports(['firewall', '--format', 'ufw', '--registry', 'ports.yaml'], { cwd: dir, env });
    expect(ufw.stdout).toContain("ufw prepend deny 8500/tcp comment 'dsa110 api (private)'\n");
    const bad = await ports(['firewall', '--registry', 'ports.yaml'], { cwd: dir, env: { CONTIMG_API_PORT: '80' } });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^ports firewall: CONTIMG_API_PORT="80" cannot be used for service "api": port 80 belongs to service "nginx"/);
  });
});

describe('ports firewall and the ports it must never touch', () => {
  it("refuses an override onto SSH's port or node_exporter's as `ports get` does (exit 1, one line: variable, value, whose port, what to do), in both formats", async () => {
    const dir = checkout();
    const instead = (variable: string) => `give another port the registry does not assign, or unset ${variable}`;
    for (const [env, line] of [
      [
        { REDIS_PORT: '22' },
        `REDIS_PORT="22" cannot be used for service "redis": port 22 is where the host's own sshd listens, not a DSA-110 service's port: "redis" would collide with it; ${instead('REDIS_PORT')}`,
      ],
      [
        { CONTIMG_API_PORT: '22' },
        'CONTIMG_API_PORT="22" cannot be used for service "api": port 22 is where the host\'s own sshd listens, not a DSA-110 service\'s port: "api" would collide with it; give a port reserved for "api", 8010 ("api-alt"), or another port the registry does not assign, or unset CONTIMG_API_PORT',
      ],
      [
        { REDIS_PORT: '9100' },
        `REDIS_PORT="9100" cannot be used for service "redis": port 9100 is where the host's own node_exporter listens, not a DSA-110 service's port: "redis" would collide with it; ${instead('REDIS_PORT')}`,
      ],
    ] as const) {
      for (const format of ['nft', 'ufw']) {
        const run = await ports(['firewall', '--format', format, '--registry', 'ports.yaml'], { cwd: dir, env });
        expect(run.code).toBe(1);
        expect(run.stdout).toBe('');
        expect(run.stderr).toBe(`ports firewall: ${line}\n`);
      }
    }
  });

  it('--keep-open PORT, repeatable, leaves more ports out of the reserved ranges and refuses an override onto them; a bad value is a usage error', async () => {
    const dir = checkout();
    const plain = await ports(['firewall', '--registry', 'ports.yaml'], { cwd: dir });
    expect(plain.stdout).toContain('\t\ttcp dport 3210-3220 drop\n');
    const kept = await ports(['firewall', '--keep-open', '3215', '--keep-open=3211', '--registry', 'ports.yaml'], { cwd: dir });
    expect(kept.code).toBe(0);
    expect(kept.stdout).not.toContain('3210-3220');
    for (const run of ['3210', '3212-3214', '3216-3220']) expect(kept.stdout).toContain(`\t\ttcp dport ${run} drop\n`);
    const ufw = await ports(['firewall', '--format', 'ufw', '--keep-open', '3215', '--registry', 'ports.yaml'], { cwd: dir });
    expect(ufw.stdout).toContain("ufw prepend deny 3216:3220/tcp comment 'dsa110 dashboard-fallback (reserved)'\n");
    const onto = await ports(['firewall', '--keep-open', '4444', '--registry', 'ports.yaml'], { cwd: dir, env: { REDIS_PORT: '4444' } });
    expect(onto.code).toBe(1);
    expect(onto.stderr).toMatch(
      /^ports firewall: REDIS_PORT=4444 moves service "redis" \(localhost\) onto port 4444, a port given to --keep-open, which the rules must leave open: .*\n$/,
    );
    for (const [value, problem] of [
      ['0', 'it is outside 1-65535'],
      ['ssh', 'it is not a plain decimal integer'],
    ]) {
      const bad = await ports(['firewall', '--keep-open', value!, '--registry', 'ports.yaml'], { cwd: dir });
      expect(bad.code).toBe(64);
      expect(bad.stderr).toMatch(new RegExp(`^ports firewall: --keep-open needs a port \\(1-65535\\), not "${value}": ${problem}\n`));
    }
    const help = await ports(['firewall', '--help']);
    expect(help.stdout).toContain('--keep-open PORT');
    expect(help.stdout).toContain('forwarded packets, such as a container port Docker publishes, are not filtered');
  });

  it("--keep-open on a port a service of the registry filters: one warning line on stderr (what, why, what to do), the service's rules kept, exit 0", async () => {
    for (const format of ['nft', 'ufw']) {
      const run = await ports(['firewall', '--format', format, '--keep-open', '6379', '--keep-open', '2222', '--keep-open', '80']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(format === 'nft' ? '\t\ttcp dport 6379 drop\n' : "deny 6379/tcp comment 'dsa110 redis (localhost)'");
      // 2222 is no registry port and 80 is nginx's, public: its rule accepts from anywhere, as --keep-open asks. Neither is said.
      expect(run.stderr).toBe(
        'warning: --keep-open 6379 is the port of service "redis" (localhost: from this host only), and the registry\'s own rules for it come first, so the port is still filtered; ' +
          'to open it, give redis another access in the registry (public: from anywhere, private: from private networks), or drop --keep-open 6379\n',
      );
    }
  });

  it('a service the registry itself puts on the SSH port, not public: its rules are written as the registry says, with one warning that they could lock you out (--keep-open 22 adds no second)', async () => {
    const dir = checkout(replaceOnce(rootRegistry, 'port: 6379', 'port: 22'));
    for (const format of ['nft', 'ufw']) {
      for (const keep of [[], ['--keep-open', '22']]) {
        const run = await ports(['firewall', '--format', format, ...keep, '--registry', 'ports.yaml'], { cwd: dir });
        expect(run.code).toBe(0);
        expect(run.stdout).toContain(format === 'nft' ? '\t\ttcp dport 22 drop\n' : "deny 22/tcp comment 'dsa110 redis (localhost)'");
        expect(run.stderr).toBe(
          'warning: port 22 is the SSH port, which the host\'s own daemon listens on, and the registry puts service "redis" (localhost: from this host only) on it: its rules filter the port, and loading them could lock you out; ' +
            'give redis another port in the registry, or another access (public: from anywhere, private: from private networks)\n',
        );
      }
    }
    // A UDP service on 22 filters no SSH (TCP): nothing to say; nor of a public service there, accepted from anywhere.
    const udp = checkout(replaceOnce(rootRegistry, 'port: 3000\n    protocol: HTTP\n    transport: tcp', 'port: 22\n    protocol: UDP\n    transport: udp'));
    const udpRun = await ports(['firewall', '--registry', 'ports.yaml'], { cwd: udp });
    expect(udpRun.stdout).toContain('udp dport 22 drop');
    expect(udpRun.stderr).toBe('');
    const open = checkout(
      replaceOnce(
        rootRegistry,
        'port: 6379\n    protocol: TCP\n    transport: tcp\n    access: localhost',
        'port: 22\n    protocol: TCP\n    transport: tcp\n    access: public',
      ),
    );
    expect((await ports(['firewall', '--registry', 'ports.yaml'], { cwd: open })).stderr).toBe('');
  });
});

describe('ports firewall --out FILE and --check', () => {
  const registry = ['--registry', 'ports.yaml'];

  it('writes the rules to FILE (its directory made), the same bytes as stdout; a second run changes nothing', async () => {
    for (const format of ['nft', 'ufw']) {
      const dir = checkout();
      const file = join(dir, 'etc/nftables.d/dsa110-ports.rules');
      const printed = await ports(['firewall', '--format', format, ...registry], { cwd: dir });
      const write = await ports(['firewall', '--format', format, '--out', file, ...registry], { cwd: dir });
      expect(write.stderr).toBe('');
      expect(write.code).toBe(0);
      expect(write.stdout).toBe(`${file} regenerated from ports.yaml\n`);
      expect(readFileSync(file, 'utf8')).toBe(printed.stdout);
      const again = await ports(['firewall', '--format', format, '--out', file, ...registry], { cwd: dir });
      expect(again.code).toBe(0);
      expect(again.stdout).toBe(`${file} is already up to date with ports.yaml\n`);
    }
  });

  it('--check: exit 0 when FILE holds what the same options write; exit 1 with a diff and the command to run after a registry edit or a hand edit', async () => {
    for (const format of ['nft', 'ufw']) {
      const dir = checkout();
      const file = join(dir, 'dsa110-ports.nft');
      const options = ['--format', format, '--keep-open', '2222', '--out', file, ...registry];
      expect((await ports(['firewall', ...options], { cwd: dir })).code).toBe(0);
      const fresh = await ports(['firewall', ...options, '--check'], { cwd: dir });
      expect(fresh.stderr).toBe('');
      expect(fresh.code).toBe(0);
      expect(fresh.stdout).toBe(`${file} is up to date with ports.yaml\n`);
      const regenerate = `ports --registry ports.yaml firewall --format ${format} --keep-open 2222 --out ${file}`;

      // The registry moves a service: the file on disk no longer matches.
      writeFileSync(join(dir, 'ports.yaml'), replaceOnce(rootRegistry, 'port: 6379', 'port: 6380'));
      const moved = await ports(['firewall', ...options, '--check'], { cwd: dir });
      expect(moved.code).toBe(1);
      expect(moved.stdout).toContain(`--- ${file} (on disk)\n+++ ${file} (from ports.yaml)\n`);
      expect(moved.stdout).toMatch(/^-.*6379/m);
      expect(moved.stdout).toMatch(/^\+.*6380/m);
      expect(moved.stderr).toBe(`${file} is stale: run "${regenerate}" to regenerate it from ports.yaml\n`);
      expect(readFileSync(file, 'utf8')).toContain('6379');
      // Other options than the write's are other rules: the check compares with what these options write.
      const otherOptions = await ports(['firewall', '--format', format, '--out', file, ...registry, '--check'], { cwd: dir });
      expect(otherOptions.code).toBe(1);

      // Regenerated as it says, then edited by hand.
      expect((await ports(['firewall', ...options], { cwd: dir })).code).toBe(0);
      expect((await ports(['firewall', ...options, '--check'], { cwd: dir })).code).toBe(0);
      writeFileSync(file, `${readFileSync(file, 'utf8')}# a hand edit\n`);
      const edited = await ports(['firewall', ...options, '--check'], { cwd: dir });
      expect(edited.code).toBe(1);
      expect(edited.stdout).toContain('-# a hand edit\n');
      expect(edited.stderr).toBe(`${file} is stale: run "${regenerate}" to regenerate it from ports.yaml\n`);
    }
  });

  it('--check names the env overrides the rules took a port from in the command to run, and fails without them', async () => {
    const dir = checkout();
    const file = join(dir, 'dsa110-ports.nft');
    const env = { CONTIMG_API_PORT: '8500' };
    expect((await ports(['firewall', '--out', file, ...registry], { cwd: dir, env })).code).toBe(0);
    expect((await ports(['firewall', '--out', file, ...registry, '--check'], { cwd: dir, env })).code).toBe(0);
    writeFileSync(file, readFileSync(file, 'utf8').replace('# Filters', '# filters'));
    const stale = await ports(['firewall', '--out', file, ...registry, '--check'], { cwd: dir, env });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toBe(
      `${file} is stale: run "CONTIMG_API_PORT=8500 ports --registry ports.yaml firewall --out ${file}" to regenerate it from ports.yaml\n`,
    );
    expect((await ports(['firewall', '--out', file, ...registry], { cwd: dir, env })).code).toBe(0);
    const without = await ports(['firewall', '--out', file, ...registry, '--check'], { cwd: dir });
    expect(without.code).toBe(1);
    expect(without.stdout).toMatch(/^-.*CONTIMG_API_PORT=8500/m);
  });

  it("--check of a file written under other env overrides than its own says so, with both ways out: check with the file's, or regenerate with its own", async () => {
    const dir = checkout();
    const file = join(dir, 'f2.nft');
    const options = ['--keep-open', '3215', '--out', file, ...registry];
    const command = `ports --registry ports.yaml firewall --keep-open 3215 --out ${file}`;
    const stale = (overrides: string) =>
      `${file} is stale, and was written under other env overrides than this run's (${overrides}): if the services run with the file's, check it with those: `;
    expect((await ports(['firewall', ...options], { cwd: dir, env: { CONTIMG_API_PORT: '8500', REDIS_PORT: '6400' } })).code).toBe(0);
    // In CI, without the unit's Environment=: "run ..." alone would drop the rules of the API's real port.
    const unset = await ports(['firewall', ...options, '--check'], { cwd: dir });
    expect(unset.code).toBe(1);
    expect(unset.stdout).toMatch(/^-.*tcp dport 8500 .*drop$/m);
    expect(unset.stderr).toBe(
      `${stale('CONTIMG_API_PORT: 8500 in the file, unset in this run; REDIS_PORT: 6400 in the file, unset in this run')}"CONTIMG_API_PORT=8500 REDIS_PORT=6400 ${command} --check"; ` +
        `if they run with this run's, run "${command}" to regenerate it from ports.yaml\n`,
    );
    // The check it names passes; one override changed: that one is named, the command sets the file's both.
    expect((await ports(['firewall', ...options, '--check'], { cwd: dir, env: { CONTIMG_API_PORT: '8500', REDIS_PORT: '6400' } })).code).toBe(0);
    const other = await ports(['firewall', ...options, '--check'], { cwd: dir, env: { CONTIMG_API_PORT: '8600', REDIS_PORT: '6400' } });
    expect(other.stderr).toBe(
      `${stale('CONTIMG_API_PORT: 8500 in the file, 8600 in this run')}"CONTIMG_API_PORT=8500 REDIS_PORT=6400 ${command} --check"; ` +
        `if they run with this run's, run "REDIS_PORT=6400 CONTIMG_API_PORT=8600 ${command}" to regenerate it from ports.yaml\n`,
    );
    // The other way round, in the ufw format too: an override this run has and the file was written without.
    for (const format of ['nft', 'ufw']) {
      expect((await ports(['firewall', '--format', format, ...options], { cwd: dir })).code).toBe(0);
      const added = await ports(['firewall', '--format', format, ...options, '--check'], { cwd: dir, env: { CONTIMG_API_PORT: '8500' } });
      const formatted = `ports --registry ports.yaml firewall --format ${format} --keep-open 3215 --out ${file}`;
      expect(added.stderr).toBe(
        `${stale('CONTIMG_API_PORT: unset in the file, 8500 in this run')}"env -u CONTIMG_API_PORT ${formatted} --check"; ` +
          `if they run with this run's, run "CONTIMG_API_PORT=8500 ${formatted}" to regenerate it from ports.yaml\n`,
      );
    }
    // A comment naming a variable the registry has no service for is no override of its: the plain summary.
    writeFileSync(file, `${readFileSync(file, 'utf8')}# x (port from NOT_OURS_PORT=9; the registry's is 8)\n`);
    const foreign = await ports(['firewall', '--format', 'ufw', ...options, '--check'], { cwd: dir });
    expect(foreign.stderr).toBe(
      `${file} is stale: run "ports --registry ports.yaml firewall --format ufw --keep-open 3215 --out ${file}" to regenerate it from ports.yaml\n`,
    );
  });

  it('--check of a missing or unreadable FILE: one line, exit 1; --check without --out and an empty --out are usage errors', async () => {
    const dir = checkout();
    const missing = join(dir, 'nope.nft');
    const run = await ports(['firewall', '--out', missing, ...registry, '--check'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`ports firewall: cannot check ${missing}: no such file; "ports --registry ports.yaml firewall --out ${missing}" writes it\n`);
    const link = join(dir, 'link.nft');
    symlinkSync('nope.nft', link);
    const linked = await ports(['firewall', '--out', link, ...registry, '--check'], { cwd: dir });
    expect(linked.code).toBe(1);
    expect(linked.stderr).toBe(
      `ports firewall: cannot check ${link}: it is a symbolic link to "nope.nft", which is never replaced; remove the link to let this tool write the file\n`,
    );
    const written = await ports(['firewall', '--out', link, ...registry], { cwd: dir });
    expect(written.code).toBe(1);
    expect(written.stderr).toMatch(
      new RegExp(`^ports firewall: cannot write ${link}: it is a symbolic link to "nope.nft", which is never replaced; .*; nothing was written\n$`),
    );
    const isDir = await ports(['firewall', '--out', dir, ...registry, '--check'], { cwd: dir });
    expect(isDir.code).toBe(1);
    expect(isDir.stderr).toBe(`ports firewall: cannot check ${dir}: it is a directory, not a regular file; move it away to let this tool write the file\n`);
    const noOut = await ports(['firewall', ...registry, '--check'], { cwd: dir });
    expect(noOut.code).toBe(64);
    expect(noOut.stderr).toMatch(/^ports firewall: --check needs --out FILE, the file the rules were written to\n/);
    const empty = await ports(['firewall', '--out', '', ...registry], { cwd: dir });
    expect(empty.code).toBe(64);
    expect(empty.stderr).toMatch(/^ports firewall: --out needs a file\n/);
  });

  it('refuses an --out that names a directory (nft.d/, fw.nft/, ./fw.nft/.), --check too, as `ports docs --file` does: one line, exit 1, nothing written', async () => {
    const dir = checkout(rootRegistry, committedDocs);
    const file = join(dir, 'fw.nft');
    expect((await ports(['firewall', '--out', file, ...registry], { cwd: dir })).code).toBe(0);
    const before = readFileSync(file, 'utf8');
    const reasons: Record<string, string> = {
      'nft.d/': 'it ends in "/", so it names a directory; give the path of a file to write',
      'fw.nft/': 'fw.nft is a regular file, not a directory; give the path of the file without the "/" at its end',
      './fw.nft/.': './fw.nft is a regular file, not a directory; give the path of the file without the "/." at its end',
      'fw.nft/..': 'fw.nft is a regular file, not a directory; give a path whose directories exist',
    };
    for (const [out, reason] of Object.entries(reasons)) {
      for (const format of ['nft', 'ufw']) {
        const write = await ports(['firewall', '--format', format, '--out', out, ...registry], { cwd: dir });
        expect(write, out).toEqual({ code: 1, stdout: '', stderr: `ports firewall: cannot write ${out}: ${reason}; nothing was written\n` });
        const check = await ports(['firewall', '--format', format, '--out', out, ...registry, '--check'], { cwd: dir });
        expect(check, out).toEqual({ code: 1, stdout: '', stderr: `ports firewall: cannot check ${out}: ${reason}\n` });
      }
    }
    expect(readdirSync(dir).sort()).toEqual(['docs', 'fw.nft', 'packages', 'ports.yaml']);
    expect(readFileSync(file, 'utf8')).toBe(before);
    // The same reason as the page's: one check for every path a user gives to be written.
    const docs = await ports(['docs', '--file', 'docs/ports.md/', ...registry], { cwd: dir });
    expect(docs).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'ports docs: cannot read docs/ports.md/: docs/ports.md is a regular file, not a directory; give the path of the file without the "/" at its end\n',
    });
  });

  it('--check fails on the right rules in a file others may write; the write replaces it (0644)', async () => {
    const dir = checkout();
    const file = join(dir, 'dsa110-ports.nft');
    expect((await ports(['firewall', '--out', file, ...registry], { cwd: dir })).code).toBe(0);
    chmodSync(file, 0o666);
    const open = await ports(['firewall', '--out', file, ...registry, '--check'], { cwd: dir });
    expect(open.code).toBe(1);
    expect(open.stdout).toContain(`${file}: writable by others (mode 0666): whoever may write it chooses the rules loaded as root;`);
    expect(open.stderr).toBe(`${file} has the rules of ports.yaml, but others may change it (listed above, with what to run)\n`);
    expect((await ports(['firewall', '--out', file, ...registry], { cwd: dir })).code).toBe(0);
    expect((await ports(['firewall', '--out', file, ...registry, '--check'], { cwd: dir })).code).toBe(0);
  });

  it.skipIf(!aclsWork)(
    `--check fails on a directory of root's group whose ACL lets a user write; the write narrows its mask${aclsWork ? '' : ` (${NO_ACLS})`}`,
    async () => {
      const dir = checkout();
      const rules = join(dir, 'fw');
      mkdirSync(rules);
      const file = join(rules, 'dsa110-ports.nft');
      expect((await ports(['firewall', '--out', file, ...registry], { cwd: dir })).code).toBe(0);
      // user:1234:rwx: the mode shows the ACL's mask, 0775, as if only the group could write (root's, or this user's own).
      expect(grantAcl(rules)).toBe(true);
      const check = await ports(['firewall', '--out', file, ...registry, '--check'], { cwd: dir });
      expect(check.code).toBe(1);
      expect(check.stdout).toContain(
        `${rules}: writable by the users and groups its POSIX ACL names (mode 0775: its group bits are the ACL's mask, rwx): whoever may write in it may replace the rules file`,
      );
      const write = await ports(['firewall', '--out', file, ...registry], { cwd: dir });
      expect(write.code).toBe(0);
      expect(write.stdout).toContain(`made ${rules} 0755: it was writable by the users and groups its POSIX ACL names`);
      expect(statSync(rules).mode & 0o7777).toBe(0o755);
      expect((await ports(['firewall', '--out', file, ...registry, '--check'], { cwd: dir })).code).toBe(0);
    },
  );

  it('names the --keep-open ports in the header, so that the command it names writes the same rules', async () => {
    const dir = checkout();
    for (const format of ['nft', 'ufw']) {
      const kept = await ports(['firewall', '--format', format, '--keep-open', '2222', '--keep-open', '2200', '--keep-open', '2222', ...registry], {
        cwd: dir,
      });
      expect(kept.stdout).toContain(
        `\n# Generated from ports.yaml by \`ports firewall --format ${format} --keep-open 2200 --keep-open 2222\`; edit ports.yaml instead.\n`,
      );
      const plain = await ports(['firewall', '--format', format, ...registry], { cwd: dir });
      expect(plain.stdout).toContain(`\n# Generated from ports.yaml by \`ports firewall --format ${format}\`; edit ports.yaml instead.\n`);
    }
  });

  it("--keep-open: the same set of ports, in any order, repeated or with SSH and node_exporter's, is the same file: --check passes", async () => {
    for (const format of ['nft', 'ufw']) {
      const dir = checkout();
      const file = join(dir, 'f/k.rules');
      const write = await ports(['firewall', '--format', format, '--keep-open', '3215', '--keep-open', '3211', '--out', file, ...registry], { cwd: dir });
      expect(write.code).toBe(0);
      const rules = readFileSync(file, 'utf8');
      expect(rules).toContain(`\`ports firewall --format ${format} --keep-open 3211 --keep-open 3215\``);
      for (const order of [
        ['3211', '3215'],
        ['3215', '3211', '3215'],
        ['22', '3215', '9100', '3211'],
      ]) {
        const keep = order.flatMap((port) => ['--keep-open', port]);
        const check = await ports(['firewall', '--format', format, ...keep, '--out', file, ...registry, '--check'], { cwd: dir });
        expect(check.stderr, order.join(' ')).toBe('');
        expect(check.code, order.join(' ')).toBe(0);
        expect((await ports(['firewall', '--format', format, ...keep, ...registry], { cwd: dir })).stdout).toBe(rules);
      }
      // Another set is other rules.
      const other = await ports(['firewall', '--format', format, '--keep-open', '3211', '--out', file, ...registry, '--check'], { cwd: dir });
      expect(other.code).toBe(1);
    }
  });

  it("the committed deploy/nftables/dsa110-ports.nft is the root registry's rules (regenerate it with the command the failure prints)", async () => {
    const file = join(repoRoot, 'deploy/nftables/dsa110-ports.nft');
    const run = await ports(['firewall', '--registry', join(repoRoot, 'ports.yaml'), '--format', 'nft', '--out', file, '--check']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it.skipIf(process.getuid?.() !== 0)(
    '--out where no file can be made says why once, from what is known: a directory nobody may not write, sysfs (for anyone), root without CAP_DAC_OVERRIDE (built bin)',
    async () => {
      const dir = checkout();
      chmodSync(dir, 0o755);
      const replaced =
        '(the file is replaced through a temporary file made in its directory and renamed over it, so the directory must be writable, not only the file); nothing was written';
      const closed = join(dir, 'closed');
      mkdirSync(closed, { mode: 0o755 }); // root's
      expect(portsAsNobody(dir, ['firewall', '--out', join(closed, 'x.nft'), ...registry])).toEqual({
        code: 1,
        stdout: '',
        stderr: `ports firewall: cannot write ${closed}/x.nft: cannot make a file in its directory ${closed}: permission denied; run as a user who may write the directory ${closed} ${replaced}\n`,
      });
      // sysfs makes no files, for root as for anyone: no permission to look for, nor a network file system to blame.
      const sysfs =
        "ports firewall: cannot write /sys/kernel/x.nft: cannot make a file in its directory /sys/kernel: it is on sysfs, the kernel's own file system, which makes no files; write elsewhere; nothing was written\n";
      expect(await ports(['firewall', '--out', '/sys/kernel/x.nft', ...registry], { cwd: dir })).toEqual({ code: 1, stdout: '', stderr: sysfs });
      expect(portsAsNobody(dir, ['firewall', '--out', '/sys/kernel/x.nft', ...registry]).stderr).toBe(sysfs);
      // Root without CAP_DAC_OVERRIDE is held to the mode bits of its own directory, and told so.
      const locked = join(dir, 'locked');
      mkdirSync(locked);
      chmodSync(locked, 0o555);
      const capless = spawnSync(
        'setpriv',
        ['--bounding-set=-dac_override', process.execPath, binForOtherUsers(), 'firewall', '--out', join(locked, 'x.nft'), ...registry],
        {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DSA110_PORTS_CACHE: 'off' },
          encoding: 'utf8',
        },
      );
      expect(capless.stderr).toBe(
        `ports firewall: cannot write ${locked}/x.nft: cannot make a file in its directory ${locked}: permission denied, even to root (this process runs without CAP_DAC_OVERRIDE, as in a container or a unit that drops it); write elsewhere ${replaced}\n`,
      );
      expect(capless.status).toBe(1);
      expect(readdirSync(closed)).toEqual([]);
      expect(readdirSync(locked)).toEqual([]);
    },
  );

  it('refuses a FILE in a sticky directory others may add to (as /tmp), and leaves its mode alone; --check fails on one', async () => {
    const dir = checkout();
    const shared = join(dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const file = join(shared, 'dsa110-ports.nft');
    const write = await ports(['firewall', '--out', file, ...registry], { cwd: dir });
    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(
      new RegExp(
        `^ports firewall: cannot write ${file}: ${shared} is writable by others \\(mode 1777\\): anyone may add to it \\(sticky, as /tmp\\), and may .*; a sticky directory is shared on purpose, so this tool leaves its mode alone: .*; nothing was written\n$`,
      ),
    );
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
    writeFileSync(file, (await ports(['firewall', ...registry], { cwd: dir })).stdout);
    const check = await ports(['firewall', '--out', file, ...registry, '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`${shared}: writable by others (mode 1777): anyone may add to it (sticky, as /tmp), and may`);
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
  });

  it('--out - (and /dev/stdout) prints the rules, as without --out, and makes no file; ./- names a file; --check with it is a usage error', async () => {
    const dir = checkout();
    const printed = await ports(['firewall', '--keep-open', '6379', ...registry], { cwd: dir });
    for (const out of ['-', '/dev/stdout']) {
      // The built bin, whose descriptor 1 is a pipe: what `ports firewall --out - | nft -f -` feeds nft.
      const run = await portsBin(['firewall', '--keep-open', '6379', '--out', out, ...registry], { cwd: dir });
      expect(run.code, out).toBe(0);
      expect(run.stdout, out).toBe(printed.stdout);
      // The warning, on stderr as without --out; no status line anywhere.
      expect(run.stderr, out).toBe(printed.stderr);
      expect(run.stderr).toMatch(/^warning: --keep-open 6379 /);
      expect(readdirSync(dir).sort(), out).toEqual(['packages', 'ports.yaml']);
      const check = await portsBin(['firewall', '--out', out, ...registry, '--check'], { cwd: dir });
      expect(check.code, out).toBe(64);
      expect(check.stdout).toBe('');
      expect(check.stderr.split('\n')[0], out).toBe(
        out === '-'
          ? 'ports firewall: --check compares with a file, and --out - is standard output: give --out FILE, the file written (./- for one named "-")'
          : 'ports firewall: --check compares with a file, and --out /dev/stdout (descriptor 1) is standard output: give --out FILE, the file written',
      );
      expect(readdirSync(dir).sort(), out).toEqual(['packages', 'ports.yaml']);
    }
    const named = await ports(['firewall', '--out', './-', ...registry], { cwd: dir });
    expect(named.code).toBe(0);
    expect(named.stdout).toBe('./- regenerated from ports.yaml\n');
    expect(readFileSync(join(dir, '-'), 'utf8')).toBe((await ports(['firewall', ...registry], { cwd: dir })).stdout);
  });

  it("--out a device or the system's link (/dev/null, /dev/tty, /dev/stderr, /dev/fd/2, /proc/self/fd/2, a link to /dev/null): refused, saying to give a file or -, never to move or remove it", async () => {
    const dir = checkout();
    symlinkSync('/dev/null', join(dir, 'null.nft'));
    const cases: [string, string][] = [
      ['/dev/null', "it is a character device, the system's"],
      ['/dev/tty', "it is a character device, the system's"],
      ['/dev/stderr', 'it is the system\'s symbolic link under /dev (to "/proc/self/fd/2")'],
      ['/dev/fd/2', "it is the system's symbolic link under /dev (to "],
      ['/proc/self/fd/2', "it is the system's symbolic link under /proc (to "],
      [join(dir, 'null.nft'), 'it is a symbolic link to "/dev/null", the system\'s path under /dev'],
    ];
    for (const [out, what] of cases) {
      const run = await ports(['firewall', '--out', out, ...registry], { cwd: dir });
      expect(run.code, out).toBe(1);
      expect(run.stdout, out).toBe('');
      expect(run.stderr, out).toContain(`ports firewall: cannot write ${out}: ${what}`);
      expect(run.stderr, out).toMatch(/, not a file for this tool; give --out a regular file's path, or - for standard output; nothing was written\n$/);
      expect(run.stderr, out).not.toMatch(/move it|remove the link/);
      // With --check, no -: the file compared with.
      const check = await ports(['firewall', '--out', out, ...registry, '--check'], { cwd: dir });
      expect(check.code, out).toBe(1);
      expect(check.stderr, out).toContain(`ports firewall: cannot check ${out}: ${what}`);
      expect(check.stderr, out).toMatch(/, not a file for this tool; give --out the path of a regular file, the one written\n$/);
    }
    expect(readdirSync(dir).sort()).toEqual(['null.nft', 'packages', 'ports.yaml']);
  });

  it.skipIf(!canCheckNft)(`--out - gives nft -c -f - the rules ${canCheckNft ? '' : '[skipped: needs root, nft, unshare]'}`, async () => {
    const dir = checkout();
    const run = await portsBin(['firewall', '--keep-open', '3215', '--keep-open', '3211', '--out', '-', ...registry], { cwd: dir });
    expect(run.code).toBe(0);
    const check = spawnSync('unshare', ['--net', 'nft', '-c', '-f', '-'], { input: run.stdout, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it.skipIf(!canCheckNft)(`writes a file nft -c -f accepts ${canCheckNft ? '' : '[skipped: needs root, nft, unshare]'}`, async () => {
    const dir = checkout();
    const file = join(dir, 'dsa110-ports.nft');
    expect((await ports(['firewall', '--keep-open', '2222', '--out', file, ...registry], { cwd: dir, env: { CONTIMG_API_PORT: '8500' } })).code).toBe(0);
    const check = spawnSync('unshare', ['--net', 'nft', '-c', '-f', file], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
