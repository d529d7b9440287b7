// `ports docs` through the built bin, on copies of ports.yaml and docs/ports.md in temp dirs.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers.js';
import { portsAsNobody, checkout, committedDocs, expectNoStack, ports, portsBin, replaceOnce, requireBuilt, rootRegistry } from '../helpers.js';

beforeAll(requireBuilt);

const read = (dir: string) => readFileSync(join(dir, 'docs/ports.md'), 'utf8');

describe('ports docs', () => {
  it('the committed docs/ports.md is up to date with ports.yaml (run `ports docs` when this fails)', async () => {
    const run = await ports(['docs', '--check'], { cwd: repoRoot });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('docs/ports.md is up to date with ports.yaml\n');
    expect(run.code).toBe(0);
  });

  it('--check on a stale page prints a diff, writes nothing and exits 1', async () => {
    const dir = checkout(replaceOnce(rootRegistry, 'port: 9090', 'port: 9091'), committedDocs);
    mkdirSync(join(dir, '.git')); // a git work tree: the page is committed, and the fix is to commit it again
    const run = await ports(['docs', '--check'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^--- docs\/ports\.md \(committed\)\n\+\+\+ docs\/ports\.md \(from ports\.yaml\)\n@@ /);
    expect(run.stdout).toContain('\n-| 9090 | Prometheus ');
    expect(run.stdout).toContain('\n+| 9091 | Prometheus ');
    expect(run.stderr).toBe('docs/ports.md is stale: run "ports docs" to regenerate it from ports.yaml, then commit it\n');
    expect(read(dir)).toBe(committedDocs);
    // Outside a work tree there is nothing to commit: the page is the one on disk.
    const loose = checkout(replaceOnce(rootRegistry, 'port: 9090', 'port: 9091'), committedDocs);
    const looseRun = await ports(['docs', '--check'], { cwd: loose });
    expect(looseRun.stdout).toMatch(/^--- docs\/ports\.md \(on disk\)\n/);
    expect(looseRun.stderr).toBe('docs/ports.md is stale: run "ports docs" to regenerate it from ports.yaml\n');
  });

  it('a page path with a line break or a terminal escape, and control characters in the page, are printed escaped', async () => {
    const dir = checkout(replaceOnce(rootRegistry, 'port: 9090', 'port: 9091'));
    const page = 'pa\u001b[31mge\nok: forged.md';
    writeFileSync(join(dir, page), committedDocs.replace('| 9090 | Prometheus ', '| 9090 | Prometheus \u001b[2J'));
    const check = await ports(['docs', '--check', '--file', page], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^--- pa\\e\[31mge\\nok: forged\.md \(on disk\)\n/);
    expect(check.stdout).toContain('\n-| 9090 | Prometheus \\e[2J');
    expect(check.stderr).toBe(
      'pa\\e[31mge\\nok: forged.md is stale: run "ports docs --file $\'pa\\e[31mge\\nok: forged.md\'" to regenerate it from ports.yaml\n',
    );
    const write = await ports(['docs', '--file', page], { cwd: dir });
    expect(write).toEqual({ code: 0, stdout: 'pa\\e[31mge\\nok: forged.md regenerated from ports.yaml\n', stderr: '' });
  });

  it.each(["q'd/page.md", 'line\nbreak/page.md'])('the command --check says to run, pasted into bash, regenerates a page at %j', async (page) => {
    const dir = checkout(replaceOnce(rootRegistry, 'port: 9090', 'port: 9091'));
    mkdirSync(join(dir, page.slice(0, page.indexOf('/'))));
    writeFileSync(join(dir, page), committedDocs);
    const check = await ports(['docs', '--check', '--file', page], { cwd: dir });
    const command = /run "(.*)" to regenerate/.exec(check.stderr)?.[1];
    expect(command, check.stderr).toMatch(/^ports docs --file /);
    // The suggested words, as bash reads them back, are the page's path.
    const words = execFileSync('bash', ['-c', `printf '%s\\0' ${command!.slice('ports '.length)}`], { encoding: 'utf8' })
      .split('\0')
      .slice(0, -1);
    expect(words).toEqual(['docs', '--file', page]);
  });

  it('regenerates a stale page, and a second run changes nothing (idempotent, byte for byte)', async () => {
    const dir = checkout(replaceOnce(rootRegistry, 'port: 9090', 'port: 9091'), committedDocs);
    const first = await ports(['docs'], { cwd: dir });
    expect(first).toEqual({ code: 0, stdout: 'docs/ports.md regenerated from ports.yaml\n', stderr: '' });
    const once = read(dir);
    expect(once).not.toBe(committedDocs);
    const second = await ports(['docs'], { cwd: dir });
    expect(second.stdout).toBe('docs/ports.md is already up to date with ports.yaml\n');
    expect(read(dir)).toBe(once);
    expect((await ports(['docs', '--check'], { cwd: dir })).code).toBe(0);
  });

  it('a page others could write is made 0644 when regenerated, said in one ports docs line on stderr', async () => {
    const dir = checkout(replaceOnce(rootRegistry, 'port: 9090', 'port: 9091'), committedDocs);
    const page = join(dir, 'docs/ports.md');
    chmodSync(page, 0o666);
    const run = await ports(['docs'], { cwd: dir });
    expect(run).toEqual({
      code: 0,
      stdout: 'docs/ports.md regenerated from ports.yaml\n',
      stderr: `ports docs: warning: made docs/ports.md 0644: it was writable by its group and others (mode 0666)\n`,
    });
    expect(statSync(page).mode & 0o7777).toBe(0o644);
  });

  it('a changed port changes every place on the page that shows it', async () => {
    const moved = replaceOnce(rootRegistry, 'port: 3030', 'port: 3031');
    const dir = checkout(moved, committedDocs);
    expect((await ports(['docs'], { cwd: dir })).code).toBe(0);
    const page = read(dir);
    expect(page).not.toMatch(/\b3030\b/);
    const before = committedDocs.match(/\b3030\b/g)!.length;
    expect(before).toBeGreaterThanOrEqual(6);
    expect(page.match(/\b3031\b/g)).toHaveLength(before);
    // Each generated place: the table, the details heading and config, the note, the claim table, the firewall, the conflicts row.
    expect(page).toContain('| 3031 | Grafana ');
    expect(page).toContain('### Port 3031 - Grafana');
    expect(page).toContain('(http_port = 3031)');
    expect(page).toContain('Uses 3031 to avoid conflict');
    expect(page).toContain('| grafana-simple | 3031 |');
    expect(page).toContain('#   localhost (from this host only: never exposed): 3031/tcp, 6379/tcp, 9090/tcp');
    expect(page).toContain('Grafana moved to <!-- ports:ref port:grafana -->3031<!-- /ports:ref -->');
  });

  it('escapes | and backslashes in table cells and keeps a | in a purpose line from breaking anything', async () => {
    let text = replaceOnce(rootRegistry, 'name: Redis\n', 'name: Redis | cache \\ store\n');
    text = replaceOnce(text, '- API response caching with TTL-based expiration', '- API response caching | TTL-based expiration');
    text = replaceOnce(text, 'purpose: Alternative API port (if needed)', 'purpose: Alternative API port | if needed');
    const dir = checkout(text, committedDocs);
    const run = await ports(['docs'], { cwd: dir });
    expect(run.stderr).toBe('');
    const page = read(dir);
    expect(page).toContain('| 6379 | Redis \\| cache \\\\ store | TCP ');
    expect(page).toContain('| **8010**      | Alternative API port \\| if needed ');
    expect(page).toContain('  - API response caching | TTL-based expiration\n');
    // Every row of the Quick Reference still has exactly 6 cells.
    const table = page.slice(page.indexOf('| Port |'), page.indexOf('\n\n', page.indexOf('| Port |')));
    for (const row of table.split('\n')) expect(row.split(/(?<!\\)\|/).length - 2).toBe(6);
  });

  it('regenerates a page it wrote itself, again and again: a protected name tick`x (written tick\\`x) next to a code span', async () => {
    const text = replaceOnce(rootRegistry, '    processes: []', '    processes: ["tick`x"]');
    // The line of protected names, with a code span after the value (the page's prose may have one anywhere).
    const page = replaceOnce(committedDocs, '<!-- /ports:ref -->,\n', '<!-- /ports:ref --> (`claim.protect.processes`),\n');
    const dir = checkout(text);
    writeFileSync(join(dir, 'page.md'), page);
    expect(await ports(['docs', '--file', 'page.md'], { cwd: dir })).toEqual({ code: 0, stdout: 'page.md regenerated from ports.yaml\n', stderr: '' });
    const once = readFileSync(join(dir, 'page.md'), 'utf8');
    expect(once).toContain(', pasta, tick\\`x<!-- /ports:ref --> (`claim.protect.processes`),\n');
    // Before, both failed: page.md:211:50: unrecognized ports marker.
    const check = await ports(['docs', '--file', 'page.md', '--check'], { cwd: dir });
    expect(check).toEqual({ code: 0, stdout: 'page.md is up to date with ports.yaml\n', stderr: '' });
    expect(await ports(['docs', '--file', 'page.md'], { cwd: dir })).toEqual({
      code: 0,
      stdout: 'page.md is already up to date with ports.yaml\n',
      stderr: '',
    });
    expect(readFileSync(join(dir, 'page.md'), 'utf8')).toBe(once);
  });

  it('fails with file:line:col when an end marker is missing, and writes nothing', async () => {
    const broken = replaceOnce(committedDocs, '<!-- ports:reserved:end -->\n', '');
    const dir = checkout(rootRegistry, broken);
    const lines = broken.split('\n');
    const line = lines.indexOf('<!-- ports:reserved:start -->') + 1;
    const next = lines.indexOf('<!-- ports:claim-port-usage:start -->') + 1;
    const run = await ports(['docs'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `docs/ports.md:${line}:1: <!-- ports:reserved:start --> has no <!-- ports:reserved:end --> before the next section's <!-- ports:claim-port-usage:start --> on line ${next}; add the end marker on its own line after the section\n`,
    );
    expect(read(dir)).toBe(broken);

    // At the end of the page: the last section's end marker removed.
    const last = replaceOnce(committedDocs, '<!-- ports:firewall:end -->\n', '');
    const atEnd = await ports(['docs', '--check'], { cwd: checkout(rootRegistry, last) });
    const firewall = last.split('\n').indexOf('<!-- ports:firewall:start -->') + 1;
    expect(atEnd.stderr).toBe(
      `docs/ports.md:${firewall}:1: <!-- ports:firewall:start --> has no <!-- ports:firewall:end -->; add the end marker on its own line after the section\n`,
    );
    expect(atEnd.code).toBe(1);
  });

  it('fails when a section is missing altogether, naming it', async () => {
    const start = committedDocs.indexOf('<!-- ports:firewall:start -->');
    const end = committedDocs.indexOf('<!-- ports:firewall:end -->\n') + '<!-- ports:firewall:end -->\n'.length;
    const dir = checkout(rootRegistry, committedDocs.slice(0, start) + committedDocs.slice(end));
    const run = await ports(['docs', '--check'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^docs\/ports\.md: missing generated section "firewall"; add <!-- ports:NAME:start --> and <!-- ports:NAME:end --> lines/);
    expectNoStack(run.stderr);
  });

  it('fails on an end marker without a start, and on an unknown section', async () => {
    const orphan = replaceOnce(committedDocs, '<!-- ports:firewall:start -->\n', '');
    const run = await ports(['docs', '--check'], { cwd: checkout(rootRegistry, orphan) });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^docs\/ports\.md:\d+:1: <!-- ports:firewall:end --> has no <!-- ports:firewall:start --> before it/);

    const unknown = `${committedDocs}\n<!-- ports:nonsense:start -->\n<!-- ports:nonsense:end -->\n`;
    const second = await ports(['docs', '--check'], { cwd: checkout(rootRegistry, unknown) });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^docs\/ports\.md:\d+:1: unknown generated section "nonsense"; known sections: quick-reference, /);
  });

  it('refuses a page that is not UTF-8 with file:line:col, instead of writing U+FFFD over the prose', async () => {
    // A stale page (so a write is due) whose hand-written prose holds a Latin-1 é.
    const dir = checkout(rootRegistry, replaceOnce(committedDocs, '| 8000 |', '| 8001 |'));
    const page = join(dir, 'docs/ports.md');
    const bytes = Buffer.concat([readFileSync(page), Buffer.from('caf\xe9 prose\n', 'latin1')]);
    writeFileSync(page, bytes);
    const line = bytes.toString('latin1').split('\n').length - 1;
    const run = await portsBin(['docs'], { cwd: dir });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `docs/ports.md:${line}:4: the file is not UTF-8 text (byte 0xe9); save it as UTF-8; nothing was written\n`,
    });
    expect(readFileSync(page)).toEqual(bytes);
    const check = await portsBin(['docs', '--check'], { cwd: dir });
    expect(check).toEqual({ code: 1, stdout: '', stderr: `docs/ports.md:${line}:4: the file is not UTF-8 text (byte 0xe9); save it as UTF-8\n` });
  });

  it('--file names another page; a missing page is one clear line', async () => {
    const dir = checkout(rootRegistry);
    writeFileSync(join(dir, 'page.md'), committedDocs);
    expect((await ports(['docs', '--check', '--file', 'page.md'], { cwd: dir })).code).toBe(0);
    const missing = await ports(['docs', '--check'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('ports docs: cannot read docs/ports.md: no such file; run from the repository root or pass --file PATH\n');
  });

  it('uses --registry over ./ports.yaml, and reports an invalid registry with file:line:col', async () => {
    const dir = checkout(rootRegistry, committedDocs);
    writeFileSync(join(dir, 'other.yaml'), replaceOnce(rootRegistry, 'port: 6379', 'port: 6380'));
    const run = await ports(['docs', '--check', '--registry', 'other.yaml'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('+| 6380 | Redis ');

    writeFileSync(join(dir, 'ports.yaml'), replaceOnce(rootRegistry, 'port: 6379', 'port: 70000'));
    const bad = await ports(['docs', '--check'], { cwd: dir });
    expect(bad.code).toBe(1);
    const line = rootRegistry.split('\n').findIndex((text) => text.includes('port: 6379')) + 1;
    expect(bad.stderr).toBe(`ports.yaml:${line}:11: services.redis.port: must be between 1 and 65535 (got 70000)\n`);
  });

  describe('run below the root of a checkout', () => {
    // A git work tree with Redis moved to 6380 in its ports.yaml, the build's stale copy in packages/ports, and the committed page.
    function movedRedis(): string {
      const dir = checkout(replaceOnce(rootRegistry, 'port: 6379', 'port: 6380'), committedDocs);
      mkdirSync(join(dir, '.git'));
      mkdirSync(join(dir, 'packages/ports'), { recursive: true });
      writeFileSync(join(dir, 'packages/ports/ports.yaml'), rootRegistry);
      return dir;
    }

    it("reads the ports.yaml at the root of the work tree, from any directory in it, never a build's copy; and names it", async () => {
      const dir = movedRedis();
      expect((await ports(['docs', '--check'], { cwd: dir })).code).toBe(1);
      const fromPackage = await ports(['docs', '--check', '--file', '../../docs/ports.md'], { cwd: join(dir, 'packages/ports') });
      expect(fromPackage.code).toBe(1);
      expect(fromPackage.stdout).toContain('+++ ../../docs/ports.md (from ../../ports.yaml)\n');
      expect(fromPackage.stdout).toContain('\n+| 6380 | Redis ');
      expect(fromPackage.stderr).toBe(
        '../../docs/ports.md is stale: run "ports docs --file ../../docs/ports.md" to regenerate it from ../../ports.yaml, then commit it\n',
      );
      const fromDocs = await ports(['docs', '--check', '--file', 'ports.md'], { cwd: join(dir, 'docs') });
      expect(fromDocs.code).toBe(1);
      expect(fromDocs.stderr).toContain('to regenerate it from ../ports.yaml');
      // Writing from there regenerates from the root's registry, never reverts the page to the bundled one.
      expect(await ports(['docs', '--file', 'ports.md'], { cwd: join(dir, 'docs') })).toEqual({
        code: 0,
        stdout: 'ports.md regenerated from ../ports.yaml\n',
        stderr: '',
      });
      expect(read(dir)).toContain('| 6380 | Redis ');
      expect((await ports(['docs', '--check'], { cwd: dir })).stdout).toBe('docs/ports.md is up to date with ports.yaml\n');
      // validate and monitoring find it the same way.
      expect((await ports(['validate'], { cwd: join(dir, 'packages/ports') })).stdout).toMatch(/^\.\.\/\.\.\/ports\.yaml: ok \(/);
      // A page in another checkout is checked against that checkout's registry.
      const other = movedRedis();
      const across = await ports(['docs', '--check', '--file', join(other, 'docs/ports.md')], { cwd: join(dir, 'packages/ports') });
      expect(across.stdout).toContain('(from ../../../' + other.split('/').at(-1) + '/ports.yaml)');
    });
  });

  it('refuses to write a page over the 4 MiB it reads back: one line, nothing written (--check alike)', async () => {
    const dir = checkout(rootRegistry);
    // The page less its reserved table, padded with prose to just under the limit: regenerated, it is over.
    const stripped = committedDocs.replace(/(<!-- ports:reserved:start -->\n)[\s\S]*?(<!-- ports:reserved:end -->)/, '$1$2');
    const size = 4 * 1024 * 1024 - 50;
    const pad = size - Buffer.byteLength(stripped) - 1;
    const page = `${stripped}${'x'.repeat(pad)}\n`;
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs/ports.md'), page);
    const run = await ports(['docs'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^ports docs: cannot write docs\/ports\.md: regenerated from ports\.yaml it would be \d+ bytes, over the 4 MiB this tool reads back; nothing was written; shorten the registry's text \(names, purposes, notes\)\n$/,
    );
    expect(readFileSync(join(dir, 'docs/ports.md'), 'utf8')).toBe(page);
    const check = await ports(['docs', '--check'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/^ports docs: cannot check docs\/ports\.md: regenerated from ports\.yaml it would be \d+ bytes, over /);
  });

  it('refuses a read-only page (no write bit), root included: one line saying what to do, nothing written', async () => {
    const dir = checkout(replaceOnce(rootRegistry, 'port: 9090', 'port: 9091'), committedDocs);
    const page = join(dir, 'docs/ports.md');
    chmodSync(page, 0o444);
    const run = await ports(['docs'], { cwd: dir });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'ports docs: cannot write docs/ports.md: it is read-only (mode 0444); make it writable (chmod u+w docs/ports.md) to regenerate it, or run with --check; nothing was written\n',
    });
    expect(read(dir)).toBe(committedDocs);
    expect(statSync(page).mode & 0o7777).toBe(0o444);
    // --check reads it as ever.
    expect((await ports(['docs', '--check'], { cwd: dir })).code).toBe(1);
    // Through a symbolic link: the file it points to is what would be replaced.
    symlinkSync('docs/ports.md', join(dir, 'link.md'));
    const linked = await ports(['docs', '--file', 'link.md'], { cwd: dir });
    expect(linked.code).toBe(1);
    expect(linked.stderr).toMatch(/^ports docs: cannot write link\.md: it is read-only \(mode 0444\); /);
    expect(read(dir)).toBe(committedDocs);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'as its owner (nobody), a page that owner may not write is refused, though its directory is writable (built bin)',
    async () => {
      for (const [mode, why] of [
        [0o444, 'it is read-only (mode 0444)'],
        [0o464, 'this user may not write it (mode 0464, owner uid 65534)'],
      ] as const) {
        const dir = checkout(replaceOnce(rootRegistry, 'port: 9090', 'port: 9091'), committedDocs);
        chmodSync(dir, 0o755);
        for (const path of [dir, join(dir, 'docs'), join(dir, 'docs/ports.md'), join(dir, 'ports.yaml')]) chownSync(path, 65534, 65534);
        chmodSync(join(dir, 'docs/ports.md'), mode);
        const run = portsAsNobody(dir, ['docs']);
        expect(run).toEqual({
          code: 1,
          stdout: '',
          stderr: `ports docs: cannot write docs/ports.md: ${why}; make it writable (chmod u+w docs/ports.md) to regenerate it, or run with --check; nothing was written\n`,
        });
        expect(read(dir)).toBe(committedDocs);
      }
    },
  );

  it.skipIf(process.getuid?.() !== 0)(
    "as nobody, a page of nobody's in a directory nobody may not write is refused naming the directory and why (the write makes a temporary file there) (built bin)",
    async () => {
      const dir = checkout(replaceOnce(rootRegistry, 'port: 9090', 'port: 9091'), committedDocs);
      chmodSync(dir, 0o755);
      chmodSync(join(dir, 'docs'), 0o755); // root's
      for (const path of [join(dir, 'docs/ports.md'), join(dir, 'ports.yaml')]) chownSync(path, 65534, 65534);
      const run = portsAsNobody(dir, ['docs']);
      const docs = join(dir, 'docs');
      expect(run).toEqual({
        code: 1,
        stdout: '',
        stderr: `ports docs: cannot write docs/ports.md: cannot make a file in its directory ${docs}: permission denied; run as a user who may write the directory ${docs} (the file is replaced through a temporary file made in its directory and renamed over it, so the directory must be writable, not only the file); nothing was written\n`,
      });
      expect(read(dir)).toBe(committedDocs);
    },
  );

  it('writes a hard-linked page in place: every name shows the new page (a rename split it from its other links)', async () => {
    const dir = checkout(replaceOnce(rootRegistry, 'port: 9090', 'port: 9091'), committedDocs);
    const page = join(dir, 'docs/ports.md');
    const other = join(dir, 'site-copy.md');
    linkSync(page, other);
    const inode = statSync(page).ino;
    expect(await ports(['docs'], { cwd: dir })).toEqual({ code: 0, stdout: 'docs/ports.md regenerated from ports.yaml\n', stderr: '' });
    expect(statSync(page).ino).toBe(inode);
    expect(statSync(page).nlink).toBe(2);
    expect(readFileSync(other, 'utf8')).toBe(read(dir));
    expect(read(dir)).toContain('| 9091 | Prometheus ');
    expect((await ports(['docs', '--check'], { cwd: dir })).code).toBe(0);
  });
});

describe('ports docs: what killed writers left', () => {
  it('a run removes their temporary files beside the page also when it is up to date; --check names them in one line, and still passes', async () => {
    const dir = checkout(rootRegistry, committedDocs);
    const temp = join(dir, `docs/.ports.md.${spawnSync('true').pid}.mx5egr7qelwawz.tmp`);
    writeFileSync(temp, 'half a page\n');
    const then = new Date(Date.now() - 5 * 60_000);
    utimesSync(temp, then, then);
    const check = await ports(['docs', '--check'], { cwd: dir });
    expect(check.code).toBe(0);
    expect(check.stdout).toBe('docs/ports.md is up to date with ports.yaml\n');
    expect(check.stderr).toBe(
      `note: 1 temporary file beside docs/ports.md was left by a writer killed before its rename (${temp.slice(dir.length + 1)}): not drift; "ports docs" removes it\n`,
    );
    expect(existsSync(temp)).toBe(true);
    expect((await ports(['docs'], { cwd: dir })).stdout).toBe('docs/ports.md is already up to date with ports.yaml\n');
    expect(existsSync(temp)).toBe(false);
  });
});
