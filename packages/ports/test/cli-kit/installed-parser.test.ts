// The registry parser that claim-port and port-health-check require from the
// installed @dsa110/ports (cli-kit/installed-parser.ts, wired in by
// scripts/build-support.mjs's portsInBin): a missing one, or one of another
// version, or one whose package.json is broken (a FIFO, a directory, not
// JSON, a version that is not a string), is one line and the tool's "could
// not run" exit code, never Node's multi-line "Cannot find module ... Require
// stack", never a hang on a FIFO, and never a new parser under an old bin. The built bins run for real in an install layout made in
// a temporary directory. Build first (`pnpm build`).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, linkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ParserBuild, parserProblemMessage } from '../../src/cli-kit/installed-parser.js';

const packages = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const portsDir = join(packages, 'ports');
const portsVersion = (JSON.parse(readFileSync(join(portsDir, 'package.json'), 'utf8')) as { version: string }).version;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

beforeAll(() => {
  for (const name of ['ports/dist/parse.cjs', 'claim-port/dist/start.cjs', 'port-health-check/dist/start.cjs']) {
    if (!existsSync(join(packages, name))) throw new Error(`packages/${name} is missing: run \`npx -y pnpm@10.34.9 build\` first`);
  }
});

/**
 * node_modules as `npm install -g --prefix` leaves it, under a directory whose
 * name needs escaping: the two bin packages copied in (bin, dist,
 * package.json), and @dsa110/ports as `ports` says: none, one whose
 * package.json has `version`, or one without its dist/parse.cjs; `manifest`,
 * when given, makes its package.json instead (a FIFO, a directory, bad JSON).
 */
function installLayout(ports: { version: string; parser?: boolean; manifest?: (path: string, json: Record<string, unknown>) => void } | undefined): string {
  const base = join(mkdtempSync(join(tmpdir(), 'installed-parser-')), 'pre\nfix\u001b[31m');
  dirs.push(dirname(base));
  const scope = join(base, 'lib/node_modules/@dsa110');
  for (const bin of ['claim-port', 'port-health-check']) {
    for (const part of ['bin', 'dist', 'package.json']) cpSync(join(packages, bin, part), join(scope, bin, part), { recursive: true });
  }
  if (ports !== undefined) {
    const manifest = JSON.parse(readFileSync(join(portsDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    mkdirSync(join(scope, 'ports/dist'), { recursive: true });
    const json = { ...manifest, version: ports.version };
    if (ports.manifest === undefined) writeFileSync(join(scope, 'ports/package.json'), JSON.stringify(json, null, 2));
    else ports.manifest(join(scope, 'ports/package.json'), json);
    if (ports.parser !== false) cpSync(join(portsDir, 'dist/parse.cjs'), join(scope, 'ports/dist/parse.cjs'));
  }
  // A registry that needs the parser: a --registry file (the bundled one never does).
  writeFileSync(join(base, 'ports.yaml'), readFileSync(join(portsDir, 'ports.yaml')));
  return base;
}

const { DSA110_PORTS_FILE: _, ...environment } = process.env;
const versionOf = (bin: string) => (JSON.parse(readFileSync(join(packages, bin, 'package.json'), 'utf8')) as { version: string }).version;

function runBin(base: string, bin: string, args: string[]) {
  const { status, stdout, stderr } = spawnSync(process.execPath, [join(base, 'lib/node_modules/@dsa110', bin, 'bin', `${bin}.js`), ...args], {
    encoding: 'utf8',
    // No cache: a parsed-registry entry would spare the parser.
    env: { ...environment, DSA110_PORTS_CACHE: 'off', NO_COLOR: '' },
    // A bin that hangs (a blocking read of a FIFO) fails the test instead of hanging it: status null.
    timeout: 20_000,
  });
  return { status, stdout, stderr };
}

/** What each bin prints when it could not run, and its documented code for that: the health check 3, claim-port 1 (not known free). */
const BINS = [
  { bin: 'port-health-check', args: (base: string) => ['--registry', join(base, 'ports.yaml')], code: 3, prefix: 'port-health-check: could not run: ' },
  { bin: 'claim-port', args: (base: string) => ['api', '--dry-run', '--registry', join(base, 'ports.yaml')], code: 1, prefix: '[claim-port:api] error: ' },
] as const;

describe('the installed registry parser, on the built bins', () => {
  it('a missing @dsa110/ports: one line naming it, where the bin looked (escaped) and what to install, and the could-not-run code', () => {
    const base = installLayout(undefined);
    for (const { bin, args, code, prefix } of BINS) {
      const run = runBin(base, bin, args(base));
      expect(run.status, bin).toBe(code);
      expect(run.stderr, bin).toBe(
        `${prefix}cannot load the registry parser: @dsa110/ports is not installed where @dsa110/${bin} looks for it (node_modules in ${dirname(base)}/pre\\nfix\\e[31m/lib/node_modules/@dsa110/${bin}/dist and each directory above); reinstall @dsa110/${bin} with the @dsa110/ports it depends on, or install @dsa110/ports@${portsVersion} beside it\n`,
      );
    }
  });

  it('an @dsa110/ports of another version than the bin was built with: refused, one line, the could-not-run code', () => {
    const base = installLayout({ version: `${portsVersion}-other` });
    for (const { bin, args, code, prefix } of BINS) {
      const run = runBin(base, bin, args(base));
      expect(run.status, bin).toBe(code);
      expect(run.stderr, bin).toBe(
        `${prefix}cannot load the registry parser: @dsa110/${bin} ${versionOf(bin)} was built with @dsa110/ports@${portsVersion} exactly, but ${dirname(base)}/pre\\nfix\\e[31m/lib/node_modules/@dsa110/ports/package.json is version ${portsVersion}-other; install @dsa110/ports@${portsVersion} there, or reinstall @dsa110/${bin} at the version made for @dsa110/ports ${portsVersion}-other\n`,
      );
    }
  });

  it('the right version without its dist/parse.cjs: one line, no require stack', () => {
    const base = installLayout({ version: portsVersion, parser: false });
    for (const { bin, args, code, prefix } of BINS) {
      const run = runBin(base, bin, args(base));
      expect(run.status, bin).toBe(code);
      expect(run.stderr.split('\n'), bin).toHaveLength(2);
      expect(run.stderr, bin).toMatch(new RegExp(`^${prefix.replace(/[[\]]/g, '\\$&')}cannot load the registry parser: .*/dist/parse\\.cjs of @dsa110/ports@`));
      expect(run.stderr, bin).not.toContain('Require stack');
    }
  });

  it('the exact version: the registry file is parsed and the tool runs', () => {
    const base = installLayout({ version: portsVersion });
    for (const { bin, args, code } of BINS) {
      const run = runBin(base, bin, args(base));
      expect(run.stderr, bin).not.toContain('registry parser');
      expect(run.status, bin).not.toBe(code === 1 ? 64 : code);
    }
  });
});

/** The line for an installed @dsa110/ports whose package.json is broken: the file named (escaped), what is wrong, what to install. */
function brokenLine(base: string, bin: string, prefix: string, what: string): string {
  return `${prefix}cannot load the registry parser: @dsa110/ports is installed, but ${dirname(base)}/pre\\nfix\\e[31m/lib/node_modules/@dsa110/ports/package.json ${what}; reinstall @dsa110/${bin} with the @dsa110/ports it depends on, or install @dsa110/ports@${portsVersion} beside it\n`;
}

describe('an installed @dsa110/ports whose package.json is broken: said so, not "not installed", one line, the could-not-run code', () => {
  const cases: { name: string; manifest: (path: string, json: Record<string, unknown>) => void; what: string | RegExp }[] = [
    {
      name: 'a FIFO (never read: no hang)',
      manifest: (path) => execFileSync('mkfifo', [path]),
      what: 'cannot be read (it is a FIFO (named pipe), not a regular file)',
    },
    { name: 'a directory', manifest: (path) => mkdirSync(path), what: 'cannot be read (it is a directory, not a regular file)' },
    {
      name: 'larger than 1 MiB',
      manifest: (path, json) => writeFileSync(path, JSON.stringify(json).padEnd(1024 * 1024 + 1, ' ')),
      what: 'cannot be read (it is larger than 1 MiB)',
    },
    { name: 'not JSON', manifest: (path) => writeFileSync(path, '{"name": "@dsa110/ports", version'), what: /^is broken \(not JSON: .+\)$/ },
    { name: 'JSON null', manifest: (path) => writeFileSync(path, 'null\n'), what: 'is broken (not a JSON object but null)' },
    {
      name: 'a numeric version, shown as JSON',
      manifest: (path, json) => writeFileSync(path, JSON.stringify({ ...json, version: 1.5 })),
      what: 'is broken (its "version" is not a string but 1.5)',
    },
    {
      name: 'no version',
      manifest: (path, json) => writeFileSync(path, JSON.stringify({ ...json, version: undefined })),
      what: 'is broken (it has no "version")',
    },
  ];
  for (const { name, manifest, what } of cases) {
    it(name, () => {
      const base = installLayout({ version: portsVersion, manifest });
      for (const { bin, args, code, prefix } of BINS) {
        const run = runBin(base, bin, args(base));
        expect(run.status, bin).toBe(code);
        if (typeof what === 'string') expect(run.stderr, bin).toBe(brokenLine(base, bin, prefix, what));
        else {
          const [head, tail] = brokenLine(base, bin, prefix, '\0').split('\0') as [string, string];
          expect(run.stderr.startsWith(head) && run.stderr.endsWith(tail), `${bin}: ${run.stderr}`).toBe(true);
          expect(run.stderr.slice(head.length, -tail.length), bin).toMatch(what);
        }
      }
    });
  }

  it('an empty @dsa110/ports directory nearer the bin (left behind): passed over, as Node does, for the installed one', () => {
    const base = installLayout({ version: portsVersion });
    for (const bin of ['claim-port', 'port-health-check'])
      mkdirSync(join(base, 'lib/node_modules/@dsa110', bin, 'node_modules/@dsa110/ports'), { recursive: true });
    for (const { bin, args, code } of BINS) {
      const run = runBin(base, bin, args(base));
      expect(run.stderr, bin).not.toContain('registry parser');
      expect(run.status, bin).not.toBe(code === 1 ? 64 : code);
    }
  });

  it('a pnpm layout (the package directory a symbolic link into .pnpm, its files hard links into the store): the tool runs', () => {
    const base = installLayout(undefined);
    const modules = join(base, 'lib/node_modules');
    const store = join(base, 'store');
    mkdirSync(store);
    writeFileSync(join(store, 'package.json'), readFileSync(join(portsDir, 'package.json')));
    cpSync(join(portsDir, 'dist/parse.cjs'), join(store, 'parse.cjs'));
    const linked = join(modules, `.pnpm/@dsa110+ports@${portsVersion}/node_modules/@dsa110/ports`);
    mkdirSync(join(linked, 'dist'), { recursive: true });
    linkSync(join(store, 'package.json'), join(linked, 'package.json'));
    linkSync(join(store, 'parse.cjs'), join(linked, 'dist/parse.cjs'));
    symlinkSync(`../.pnpm/@dsa110+ports@${portsVersion}/node_modules/@dsa110/ports`, join(modules, '@dsa110/ports'));
    for (const { bin, args, code } of BINS) {
      const run = runBin(base, bin, args(base));
      expect(run.stderr, bin).not.toContain('registry parser');
      expect(run.status, bin).not.toBe(code === 1 ? 64 : code);
    }
  });

  it("a package.json that is a symbolic link to a file elsewhere (a tree of per-file links): followed, and dist/parse.cjs is the package directory's", () => {
    const base = installLayout({
      version: portsVersion,
      manifest: (path, json) => {
        const real = join(dirname(path), '../../../package.json.real');
        writeFileSync(real, JSON.stringify(json));
        symlinkSync(real, path);
      },
    });
    for (const { bin, args, code } of BINS) {
      const run = runBin(base, bin, args(base));
      expect(run.stderr, bin).not.toContain('registry parser');
      expect(run.status, bin).not.toBe(code === 1 ? 64 : code);
    }
  });
});

/**
 * A parser another user planted where Node would look: it writes `marker` when it runs (as whoever
 * ran the bin) and then is the real parser, so a bin that runs it works and only the marker tells.
 */
function plantParser(packageDir: string, marker: string): void {
  mkdirSync(join(packageDir, 'dist'), { recursive: true });
  writeFileSync(join(packageDir, 'package.json'), JSON.stringify({ name: '@dsa110/ports', version: portsVersion }));
  writeFileSync(
    join(packageDir, 'dist/parse.cjs'),
    `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'uid=' + process.getuid() + '\\n');\nmodule.exports = require(${JSON.stringify(join(portsDir, 'dist/parse.cjs'))});\n`,
  );
}

/** The bins installed under `base` as `npm install -g --prefix base` leaves them, without @dsa110/ports; and a registry file. */
function binsOnly(base: string): void {
  const scope = join(base, 'lib/node_modules/@dsa110');
  for (const bin of ['claim-port', 'port-health-check']) {
    for (const part of ['bin', 'dist', 'package.json']) cpSync(join(packages, bin, part), join(scope, bin, part), { recursive: true });
  }
  writeFileSync(join(base, 'ports.yaml'), readFileSync(join(portsDir, 'ports.yaml')));
}

const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** The line for a parser that is not trusted: the file, the part of its path at fault (owner, mode), what to do. */
function untrustedLine(prefix: string, bin: string, file: string, at: string, what: string, packageDir: string): string {
  const shown = (path: string) => path.replaceAll('\n', '\\n').replaceAll('\u001b', '\\e');
  return `${prefix}cannot load the registry parser: ${shown(file)} is not trusted: ${at === file ? 'it' : shown(at)} ${what}, and the parser is loaded only from files and directories that root or the running user owns and no one else may write; if that @dsa110/ports is yours, chown it and chmod go-w (and the directories above it), else remove ${shown(packageDir)} and reinstall @dsa110/${bin} with the @dsa110/ports it depends on, or install @dsa110/ports@${portsVersion} beside it\n`;
}

describe('a parser another user could have written is never run (as root)', () => {
  it.skipIf(!asRoot)(
    'planted by another user in a node_modules above the install, in a world-writable sticky directory (/tmp): refused in one line, never run',
    () => {
      const top = mkdtempSync(join(tmpdir(), 'installed-parser-'));
      dirs.push(top);
      chmodSync(top, 0o1777); // as /tmp is
      const base = join(top, 'deploy');
      binsOnly(base);
      const marker = join(top, 'PLANTED-PARSER-RAN');
      plantParser(join(top, 'node_modules/@dsa110/ports'), marker);
      execFileSync('chown', ['-R', String(NOBODY), join(top, 'node_modules')]);
      for (const { bin, args, code, prefix } of BINS) {
        const run = runBin(base, bin, args(base));
        expect(existsSync(marker), `${bin} ran the planted parser`).toBe(false);
        expect(run.status, bin).toBe(code);
        expect(run.stderr, bin).toBe(
          untrustedLine(
            prefix,
            bin,
            join(top, 'node_modules/@dsa110/ports/dist/parse.cjs'),
            // The nearest part at fault.
            join(top, 'node_modules/@dsa110/ports'),
            'is owned by uid 65534 (mode 0755), neither root nor the running user',
            join(top, 'node_modules/@dsa110/ports'),
          ),
        );
      }
    },
  );

  it.skipIf(!asRoot)("in a directory that is root's but writable by its group (not sticky), or a parser file of another user: refused, never run", () => {
    const base = installLayout(undefined);
    const marker = join(dirname(base), 'PLANTED-PARSER-RAN');
    const modules = join(base, 'lib/node_modules');
    chmodSync(modules, 0o775);
    plantParser(join(modules, '@dsa110/ports'), marker);
    for (const { bin, args, code, prefix } of BINS) {
      const run = runBin(base, bin, args(base));
      expect(existsSync(marker), `${bin} ran the planted parser`).toBe(false);
      expect(run.status, bin).toBe(code);
      const packageDir = join(modules, '@dsa110/ports');
      expect(run.stderr, bin).toBe(
        untrustedLine(prefix, bin, join(packageDir, 'dist/parse.cjs'), modules, 'is writable by its group (owner uid 0, mode 0775, not sticky)', packageDir),
      );
    }
    chmodSync(modules, 0o755);
    execFileSync('chown', [String(NOBODY), join(modules, '@dsa110/ports/dist/parse.cjs')]);
    for (const { bin, args, code, prefix } of BINS) {
      const run = runBin(base, bin, args(base));
      expect(existsSync(marker), `${bin} ran the planted parser`).toBe(false);
      expect(run.status, bin).toBe(code);
      const packageDir = join(modules, '@dsa110/ports');
      const file = join(packageDir, 'dist/parse.cjs');
      expect(run.stderr, bin).toBe(untrustedLine(prefix, bin, file, file, 'is owned by uid 65534 (mode 0644), neither root nor the running user', packageDir));
    }
  });

  it.skipIf(!asRoot)(
    "$HOME/.node_modules, $HOME/.node_libraries and $NODE_PATH (Node's global folders) are never searched: another user's HOME given to root plants nothing",
    () => {
      const base = installLayout(undefined);
      const home = join(dirname(base), 'home');
      const marker = join(dirname(base), 'PLANTED-PARSER-RAN');
      for (const folder of ['.node_modules', '.node_libraries', 'node-path']) plantParser(join(home, folder, '@dsa110/ports'), marker);
      execFileSync('chown', ['-R', String(NOBODY), home]);
      for (const { bin, args, code, prefix } of BINS) {
        const run = spawnSync(process.execPath, [join(base, 'lib/node_modules/@dsa110', bin, 'bin', `${bin}.js`), ...args(base)], {
          encoding: 'utf8',
          env: { ...environment, DSA110_PORTS_CACHE: 'off', NO_COLOR: '', HOME: home, NODE_PATH: join(home, 'node-path') },
          timeout: 20_000,
        });
        expect(existsSync(marker), `${bin} ran the planted parser`).toBe(false);
        expect(run.status, bin).toBe(code);
        expect(run.stderr, bin).toMatch(
          new RegExp(`^${prefix.replace(/[[\]]/g, '\\$&')}cannot load the registry parser: @dsa110/ports is not installed where`),
        );
      }
    },
  );

  it.skipIf(!asRoot)("run as another user: an install of root's, or of that user's own, is used", () => {
    const base = installLayout({ version: portsVersion });
    chmodSync(dirname(base), 0o755);
    const asNobody = (bin: string, args: string[]) =>
      spawnSync(process.execPath, [join(base, 'lib/node_modules/@dsa110', bin, 'bin', `${bin}.js`), ...args], {
        encoding: 'utf8',
        env: { ...environment, DSA110_PORTS_CACHE: 'off', NO_COLOR: '', HOME: '/nonexistent' },
        cwd: '/',
        uid: NOBODY,
        gid: NOBODY,
        timeout: 20_000,
      });
    for (const owner of [0, NOBODY]) {
      execFileSync('chown', ['-R', String(owner), join(base, 'lib/node_modules/@dsa110/ports')]);
      for (const { bin, args, code } of BINS) {
        const run = asNobody(bin, args(base));
        expect(run.stderr, `${bin}, parser of uid ${owner}`).not.toContain('registry parser');
        expect(run.status, bin).not.toBe(code === 1 ? 64 : code);
      }
    }
  });
});

describe('parserProblemMessage', () => {
  const build: ParserBuild = { tool: '@dsa110/claim-port', toolVersion: '1.2.0', portsVersion: '1.2.0' };
  it('is one line whatever the paths and versions found hold', () => {
    const messages = [
      parserProblemMessage({ kind: 'missing', from: '/opt/x\ny/dist' }, build),
      parserProblemMessage({ kind: 'unreadable', at: '/opt/\u001b]0;x/package.json', why: 'EACCES\nstack' }, build),
      parserProblemMessage({ kind: 'mismatch', at: '/opt/p/package.json', found: '9.9.9\r\nforged line' }, build),
      parserProblemMessage({ kind: 'no-parser', at: '/opt/p/dist/parse.cjs', why: 'boom' }, build),
      parserProblemMessage({ kind: 'broken', at: '/opt/p\r/package.json', why: 'not JSON: Unexpected token\n' }, build),
    ];
    for (const message of messages) {
      for (const control of ['\n', '\r', '\u001b']) expect(message).not.toContain(control);
      expect(message).toMatch(/^cannot load the registry parser: /);
      expect(message).toContain('@dsa110/ports@1.2.0');
    }
    expect(messages[0]).toContain('/opt/x\\ny/dist');
    expect(messages[2]).toContain('is version 9.9.9\\r\\nforged line;');
    expect(messages[4]).toContain('@dsa110/ports is installed, but /opt/p\\r/package.json is broken (not JSON: Unexpected token\\n);');
  });
});
