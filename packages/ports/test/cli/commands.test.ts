// list, get, env, validate, schema and usage errors: in-process through main(), and the built bin where the process matters.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';
import { COMMANDS } from '../../src/cli/main.js';
import {
  bin,
  portsAsNobody,
  checkout,
  markCheckout,
  cliBundle,
  expectNoStack,
  ports,
  portsBin,
  replaceOnce,
  requireBuilt,
  rootRegistry,
  tempDir,
} from './helpers.js';
import { execFileSync, spawnSync } from 'node:child_process';

beforeAll(requireBuilt);

describe('ports get', () => {
  it('prints the registry port alone on stdout', async () => {
    expect(await ports(['get', 'api'])).toEqual({ code: 0, stdout: '8000\n', stderr: '' });
    expect((await ports(['get', 'grafana'])).stdout).toBe('3030\n');
  });

  it('applies a valid env override, including a reserved port meant for the service', async () => {
    expect((await ports(['get', 'api'], { env: { CONTIMG_API_PORT: '8123' } })).stdout).toBe('8123\n');
    expect((await ports(['get', 'api'], { env: { CONTIMG_API_PORT: '8010' } })).stdout).toBe('8010\n');
  });

  it("takes an override whatever another service's refused override says: REDIS_PORT=8010 moves redis nowhere (8010 is kept for api)", async () => {
    const env = { CONTIMG_API_PORT: '8010', REDIS_PORT: '8010' };
    expect(await ports(['get', 'api'], { env })).toEqual({ code: 0, stdout: '8010\n', stderr: '' });
    const redis = await ports(['get', 'redis'], { env });
    expect(redis.code).toBe(1);
    expect(redis.stderr).toMatch(/^ports get: REDIS_PORT="8010" cannot be used for service "redis": port 8010 is inside reserved "api-alt"/);
  });

  it('exits 1 with one line for a bad override', async () => {
    const taken = await ports(['get', 'api'], { env: { CONTIMG_API_PORT: '6379' } });
    expect(taken).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'ports get: CONTIMG_API_PORT="6379" cannot be used for service "api": port 6379 belongs to service "redis" (Redis) in ports.yaml (bundled); give a port reserved for "api", 8010 ("api-alt"), or another port the registry does not assign, or unset CONTIMG_API_PORT\n',
    });
    const junk = await ports(['get', 'api'], { env: { CONTIMG_API_PORT: '80a' } });
    expect(junk.code).toBe(1);
    expect(junk.stderr).toBe(
      'ports get: CONTIMG_API_PORT="80a" cannot be used for service "api": it is not a plain decimal integer; give a plain decimal port 1-65535 or unset CONTIMG_API_PORT\n',
    );
    const reserved = await ports(['get', 'redis'], { env: { REDIS_PORT: '3215' } });
    expect(reserved.code).toBe(1);
    expect(reserved.stderr).toContain('inside reserved "dashboard-fallback"');
  });

  it("exits 1 with one line for an override onto a port of the host's own daemons (node_exporter's 9100 was printed, exit 0)", async () => {
    expect(await ports(['get', 'api'], { env: { CONTIMG_API_PORT: '9100' } })).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'ports get: CONTIMG_API_PORT="9100" cannot be used for service "api": port 9100 is where the host\'s own node_exporter listens, not a DSA-110 service\'s port: "api" would collide with it; give a port reserved for "api", 8010 ("api-alt"), or another port the registry does not assign, or unset CONTIMG_API_PORT\n',
    });
    // --json: the same line, as the error object's message.
    const json = await ports(['get', 'redis', '--json'], { env: { REDIS_PORT: '22' } });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error.message).toMatch(
      /^ports get: REDIS_PORT="22" cannot be used for service "redis": port 22 is where the host's own sshd listens/,
    );
  });

  it('exits 1 for an unknown id with a suggestion, and for a reserved id with a pointer to ports free', async () => {
    const unknown = await ports(['get', 'grafna']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      'ports get: unknown service "grafna" (did you mean "grafana"?); known services: api, grafana, mkdocs, nginx, prometheus, redis, vite, vite-default\n',
    );
    const reserved = await ports(['get', 'api-alt']);
    expect(reserved.code).toBe(1);
    expect(reserved.stderr).toMatch(
      /^ports get: unknown service "api-alt" \(a reserved range, 8010, not a service: "ports free api-alt" prints a free port in it\); known services: api, /,
    );
  });

  it("names the id to give for a service's name (the SERVICE column of ports list) and for a port inside a reserved range", async () => {
    for (const name of ['FastAPI', 'FastAPI Backend']) {
      const run = await ports(['get', name]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^ports get: unknown service "FastAPI[^"]*" \(the name of service "api": give its id, "api"\); known services: /);
    }
    expect((await ports(['get', 'Vite Dev Server'])).stderr).toMatch(/ \(the name of service "vite": give its id, "vite"\); known services: /);
    expect((await ports(['get', '8010'])).stderr).toMatch(/ \(port 8010 is in reserved range "api-alt", kept for service "api": give its id, "api"\); known/);
    expect((await ports(['get', '3215'])).stderr).toMatch(
      / \(port 3215 is in reserved range "dashboard-fallback", no service's port: "ports free dashboard-fallback" prints a free port in it\); known/,
    );
  });

  it('reads --registry and $DSA110_PORTS_FILE; --registry wins', async () => {
    const dir = checkout(replaceOnce(rootRegistry, 'port: 8000', 'port: 8002'));
    const other = join(dir, 'other.yaml');
    writeFileSync(other, replaceOnce(rootRegistry, 'port: 8000', 'port: 8003'));
    expect((await ports(['get', 'api', '--registry', 'ports.yaml'], { cwd: dir })).stdout).toBe('8002\n');
    expect((await ports(['--registry', 'ports.yaml', 'get', 'api'], { cwd: dir })).stdout).toBe('8002\n');
    expect((await ports(['get', 'api'], { cwd: dir, env: { DSA110_PORTS_FILE: other } })).stdout).toBe('8003\n');
    expect((await ports(['get', 'api', '--registry', 'ports.yaml'], { cwd: dir, env: { DSA110_PORTS_FILE: other } })).stdout).toBe('8002\n');
    const missing = await ports(['get', 'api', '--registry', 'nope.yaml'], { cwd: dir });
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'nope.yaml: cannot read the registry (from --registry): no such file; check the path\n' });
  });

  it('says where an unreadable registry path came from: --registry, $DSA110_PORTS_FILE or the default ./ports.yaml', async () => {
    const dir = markCheckout(tempDir());
    mkdirSync(join(dir, 'ports.yaml')); // the default of a checkout command, but a directory
    writeFileSync(join(dir, '-'), readFileSync(join(repoRoot, 'ports.yaml'))); // a valid registry named "-"
    const cases = [
      [['list', '--registry', 'nope.yaml'], {}, 'nope.yaml: cannot read the registry (from --registry): no such file; check the path\n'],
      [['validate', '--registry', 'nope.yaml'], {}, 'nope.yaml: cannot read the registry (from --registry): no such file; check the path\n'],
      [
        ['get', 'api'],
        { DSA110_PORTS_FILE: '/nonexistent/ports.yaml' },
        '/nonexistent/ports.yaml: cannot read the registry (from $DSA110_PORTS_FILE): no such file; fix or unset DSA110_PORTS_FILE\n',
      ],
      [['get', 'api'], { DSA110_PORTS_FILE: ' ' }, '" ": cannot read the registry (from $DSA110_PORTS_FILE): no such file; fix or unset DSA110_PORTS_FILE\n'],
      [
        ['validate'],
        { DSA110_PORTS_FILE: '/nonexistent/ports.yaml' },
        '/nonexistent/ports.yaml: cannot read the registry (from $DSA110_PORTS_FILE): no such file; fix or unset DSA110_PORTS_FILE\n',
      ],
      // "-" is not standard input, nor the file "-" in the directory (there is one here): one line that says so.
      [
        ['list', '--registry', '-'],
        {},
        '-: cannot read the registry (from --registry): "-" (standard input) is not supported; give the path of a ports.yaml (./- for a file named "-")\n',
      ],
      [
        ['get', 'api'],
        { DSA110_PORTS_FILE: '-' },
        '-: cannot read the registry (from $DSA110_PORTS_FILE): "-" (standard input) is not supported; give the path of a ports.yaml (./- for a file named "-")\n',
      ],
      [
        ['docs', '--check'],
        {},
        'ports.yaml: cannot read the registry (the default: ./ports.yaml in the current directory): it is a directory, not a regular file; check the path\n',
      ],
      [
        ['validate'],
        {},
        'ports.yaml: cannot read the registry (the default: ./ports.yaml in the current directory): it is a directory, not a regular file; check the path\n',
      ],
    ] as const;
    for (const [args, env, message] of cases) {
      const run = await ports(args, { cwd: dir, env });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stdout + run.stderr, args.join(' ')).toBe(message);
    }
    expect(await ports(['get', 'api', '--registry', './-'], { cwd: dir })).toMatchObject({ code: 0, stdout: '8000\n' });
  });

  it.each([
    ['an alias with no anchor', 'version: 1\nservices: *x\n', /^ports\.yaml:2:11: YAML alias \*x has no anchor &x before it\n$/],
    [
      '8 nested aliases',
      `version: 1\nservices: []\n${Array.from({ length: 8 }, (_, i) => `a${i}: &a${i} [${i === 0 ? '1' : `*a${i - 1}, *a${i - 1}`}]`).join('\n')}\n`,
      /^ports\.yaml:3:1: a0: unknown key "a0"; remove it\n/,
    ],
    [
      'a hexadecimal port',
      rootRegistry.replace(/port: 8000\b/, 'port: 0x1F40'),
      /ports\.yaml:\d+:\d+: services\.api\.port: must be a port number written in plain decimal, 1-65535 \(got "0x1F40"\)/,
    ],
  ])('reports a registry with %s as file:line:col problems, no stack trace (exit 1)', async (_, text, message) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ports.yaml'), text);
    const result = await ports(['list', '--registry', 'ports.yaml'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expectNoStack(result.stderr);
  });

  it('never loads yaml or zod for the bundled registry', () => {
    const script = `
      import { createRequire } from 'node:module';
      process.argv = [process.argv[0], 'ports', 'get', 'api'];
      // Before the import: the bin exits once its output is written (exitNow).
      process.on('exit', () => console.error(JSON.stringify(Object.keys(createRequire(import.meta.url).cache))));
      await import(${JSON.stringify(cliBundle)});
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(result.stdout).toBe('8000\n');
    const loaded = JSON.parse(result.stderr) as string[];
    expect(loaded.filter((file) => /parse\.cjs|[/\\](yaml|zod)[/\\]/.test(file))).toEqual([]);

    const cache = mkdtempSync(join(tmpdir(), 'ports-cache-'));
    const withFile = () =>
      spawnSync(process.execPath, ['--input-type=module', '-e', script.replace("'api']", "'api', '--registry', 'ports.yaml']")], {
        encoding: 'utf8',
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '', DSA110_PORTS_CACHE: cache },
      });
    const parserLoaded = (run: ReturnType<typeof withFile>) => JSON.parse(run.stderr).some((file: string) => /parse\.cjs/.test(file));
    // The same probe does see the parser when a file must be parsed (so the check above can fail)...
    expect(parserLoaded(withFile())).toBe(true);
    // ...and not when the parsed-registry cache holds that file.
    const again = withFile();
    expect(again.stdout).toBe('8000\n');
    expect(parserLoaded(again)).toBe(false);
    rmSync(cache, { recursive: true, force: true });
  });
});

describe('the shell use of ports get that the help shows', () => {
  /** `example` run by bash, `ports` the built bin and `uvicorn` a stand-in that prints its arguments. */
  function runExample(example: string, env: Record<string, string>) {
    const script = `ports() { "$NODE" "$BIN" "$@"; }\nuvicorn() { printf 'uvicorn %s\\n' "$*"; }\n${example}\n`;
    // stdin not a socket (libuv's pipes are socket pairs): bash would take itself for one run by sshd and read ~/.bashrc.
    return spawnSync('bash', ['-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: tmpdir(),
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE: process.execPath, BIN: bin, DSA110_PORTS_CACHE: 'off', ...env },
    });
  }

  it('stops when ports get fails (uvicorn never runs with --port ""), in ports --help and ports get --help alike', async () => {
    const main = (await ports(['--help'])).stdout.split('\n');
    // The example's command column: two lines, `port=$(ports get api) || exit 1` and `uvicorn app:app --port "$port"`.
    const start = main.findIndex((line) => line.startsWith('  port=$(ports get '));
    expect(start, 'ports --help shows port=$(ports get ...)').toBeGreaterThan(0);
    const fromMain = main
      .slice(start, start + 2)
      .map((line) => line.trim().split(/\s{2,}/)[0])
      .join('\n');
    const fromGet = /^For shell use: (.*)$/m.exec((await ports(['get', '--help'])).stdout)?.[1];
    expect(fromGet).toBeDefined();
    for (const example of [fromMain, fromGet!]) {
      expect(example).not.toContain('"$(ports get');
      const bad = runExample(example, { CONTIMG_API_PORT: '80a' });
      expect({ status: bad.status, stdout: bad.stdout }, example).toEqual({ status: 1, stdout: '' });
      expect(bad.stderr).toMatch(/^ports get: CONTIMG_API_PORT="80a" /);
      expect(runExample(example, {}), example).toMatchObject({ status: 0, stdout: 'uvicorn app:app --port 8000\n', stderr: '' });
      // uvicorn's command line as the READMEs write it: the app (MODULE:ATTRIBUTE) before --port.
      expect(example.split('\n').at(-1)!.replace(/^.*; /, '')).toBe('uvicorn app:app --port "$port"');
    }
    for (const page of ['README.md', 'packages/ports/README.md']) {
      expect(readFileSync(join(repoRoot, page), 'utf8'), page).toContain('\nuvicorn app:app --port "$port"\n');
    }
  });
});

describe('ports env', () => {
  it('prints sh (default), dotenv and systemd formats, sorted by port', async () => {
    expect((await ports(['env'])).stdout).toBe('export REDIS_PORT=6379\nexport CONTIMG_API_PORT=8000\nexport CONTIMG_DOCS_PORT=8001\n');
    expect((await ports(['env', '--format', 'sh'])).stdout).toBe('export REDIS_PORT=6379\nexport CONTIMG_API_PORT=8000\nexport CONTIMG_DOCS_PORT=8001\n');
    expect((await ports(['env', '--format', 'dotenv'])).stdout).toBe('REDIS_PORT=6379\nCONTIMG_API_PORT=8000\nCONTIMG_DOCS_PORT=8001\n');
    expect((await ports(['env', '--format=systemd'])).stdout).toBe(
      'Environment=REDIS_PORT=6379\nEnvironment=CONTIMG_API_PORT=8000\nEnvironment=CONTIMG_DOCS_PORT=8001\n',
    );
  });

  it('prints registry ports, not overrides, and the sh output evaluates in a real shell', async () => {
    const run = await ports(['env'], { env: { CONTIMG_API_PORT: '8123' } });
    expect(run.stdout).toContain('export CONTIMG_API_PORT=8000\n');
    const shell = spawnSync('sh', ['-c', `${run.stdout}\necho "$CONTIMG_API_PORT $REDIS_PORT"`], { encoding: 'utf8' });
    expect(shell.stdout).toBe('8000 6379\n');
  });

  it('rejects an unknown format as a usage error', async () => {
    const run = await ports(['env', '--format', 'json']);
    expect(run.code).toBe(64);
    expect(run.stderr).toBe('ports env: unknown format "json"; use one of sh, dotenv, systemd\nRun "ports env --help" for usage.\n');
    expect((await ports(['env', '--format', 'js'])).stderr.split('\n')[0]).toBe('ports env: unknown format "js"; use one of sh, dotenv, systemd');
    expect((await ports(['env', '--format', 'dot-env'])).stderr.split('\n')[0]).toBe(
      'ports env: unknown format "dot-env" (did you mean "dotenv"?); use one of sh, dotenv, systemd',
    );
    // Two edits from "sh" is no typo of it.
    expect((await ports(['env', '--format', 'fish'])).stderr.split('\n')[0]).toBe('ports env: unknown format "fish"; use one of sh, dotenv, systemd');
  });
});

describe('ports list', () => {
  it('prints services sorted by port, then reserved ranges', async () => {
    const run = await ports(['list']);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^PORT +ID +SERVICE +PROTOCOL +ACCESS +CONFIGURED BY +ROBUST$/);
    expect(lines.slice(1, 9).map((line) => Number(line.split(/\s+/)[0]))).toEqual([80, 3000, 3030, 5173, 6379, 8000, 8001, 9090]);
    expect(lines[6]).toMatch(/^8000 +api +FastAPI +HTTP +private +env CONTIMG_API_PORT +yes \(unit\)$/);
    expect(lines[5]).toMatch(/^6379 +redis +Redis +TCP +localhost +env REDIS_PORT +yes \(drop-in\)$/);
    expect(run.stdout).toMatch(
      /\n\nRESERVED +ID +PURPOSE\n3210-3220 +dashboard-fallback +Dashboard fallback ports \(auto-selected if 3210 busy\)\n8010 +api-alt +Alternative API port \(if needed\) \(for api\)\n$/,
    );
  });

  it('--json gives the services and reserved entries as data', async () => {
    const data = JSON.parse((await ports(['list', '--json'])).stdout);
    expect(data.source).toBe('ports.yaml (bundled)');
    expect(data.services.map((service: { id: string }) => service.id)).toEqual([
      'nginx',
      'vite',
      'grafana',
      'vite-default',
      'redis',
      'api',
      'mkdocs',
      'prometheus',
    ]);
    expect(data.services[5]).toMatchObject({
      id: 'api',
      port: 8000,
      env: 'CONTIMG_API_PORT',
      robust: true,
      systemd: { unit: 'dsa110-api.service', claim: 'unit' },
    });
    expect(data.reserved).toEqual([
      expect.objectContaining({ id: 'dashboard-fallback', start: 3210, end: 3220 }),
      expect.objectContaining({ id: 'api-alt', start: 8010, end: 8010, for: ['api'] }),
    ]);
  });
});

describe('ports validate', () => {
  it('says ok for valid files, and exits 0', async () => {
    const dir = checkout();
    const run = await ports(['validate', 'ports.yaml'], { cwd: dir });
    expect(run).toEqual({ code: 0, stdout: 'ports.yaml: ok (8 services, 2 reserved entries)\n', stderr: '' });
    expect((await ports(['validate'], { cwd: dir })).stdout).toBe('ports.yaml: ok (8 services, 2 reserved entries)\n');
  });

  it('prints FILE:LINE:COL: path: message per problem across files, and exits 1', async () => {
    const dir = checkout();
    let bad = replaceOnce(rootRegistry, 'port: 9090', 'port: 6379');
    bad = replaceOnce(bad, 'access: dev\n', 'access: developers\n');
    writeFileSync(join(dir, 'bad.yaml'), bad);
    const lineOf = (needle: string) => bad.split('\n').findIndex((line) => line.includes(needle)) + 1;
    const run = await ports(['validate', 'ports.yaml', 'bad.yaml'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      [
        'ports.yaml: ok (8 services, 2 reserved entries)',
        `bad.yaml:${lineOf('access: developers')}:13: services.vite.access: must be one of public, private, localhost, dev (got "developers") (did you mean "dev"?)`,
        `bad.yaml:${bad.split('\n').lastIndexOf('    port: 6379') + 1}:11: services.prometheus.port: port 6379/tcp is already used by service "redis"; give one of the two another port`,
        '',
      ].join('\n'),
    );
    expect(run.stderr).toBe('');
  });

  it('says a service indented with a tab after the blank line before it is a tab, on its line (it said the blank line, and a block sequence)', async () => {
    // The bundled ports.yaml has a blank line, and comments, between services: a tab there is where an operator makes one.
    const at = rootRegistry.indexOf('\n\n  - id: vite');
    const dir = checkout(`${rootRegistry.slice(0, at)}\n\n\t- id: vite${rootRegistry.slice(at + '\n\n  - id: vite'.length)}`);
    const line = rootRegistry.slice(0, at).split('\n').length + 2;
    const run = await ports(['validate', 'ports.yaml'], { cwd: dir });
    expect(run).toEqual({
      code: 1,
      stdout: `ports.yaml:${line}:1: a tab indents this line, and YAML indents with spaces only; indent it with spaces\n`,
      stderr: '',
    });
  });

  it('lists every problem, past the first 200 that an error message holds', async () => {
    const services = Array.from({ length: 300 }, (_, index) => `  - id: s${index}\n    portt: 1\n`).join('');
    const dir = checkout(`version: 1\nservices:\n${services}`);
    const run = await ports(['validate', 'ports.yaml'], { cwd: dir });
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(300);
    expect(lines.every((line) => line.startsWith('ports.yaml:'))).toBe(true);
    expect(run.stdout).not.toContain('more problems');
  });

  it('flags a {port:ID} reference to no entry at its line and column', async () => {
    const dir = checkout(replaceOnce(rootRegistry, 'FastAPI on port {port:api}', 'FastAPI on port {port:apx}'));
    const line = rootRegistry.split('\n').findIndex((text) => text.includes('{port:api}')) + 1;
    const run = await ports(['validate'], { cwd: dir });
    expect(run).toEqual({
      code: 1,
      stdout: `ports.yaml:${line}:9: services.nginx.purpose[1]: {port:apx} names no service or reserved entry; write the id of one\n`,
      stderr: '',
    });
  });

  it('reports an unreadable file and a missing default as one line each', async () => {
    const dir = tempDir();
    const missing = await ports(['validate', 'nope.yaml'], { cwd: dir });
    expect(missing).toEqual({ code: 1, stdout: 'nope.yaml: cannot read the registry: no such file; check the path\n', stderr: '' });
    const none = await ports(['validate'], { cwd: dir });
    expect(none.code).toBe(64);
    expect(none.stderr).toMatch(
      /^ports validate: no file given and no default ports\.yaml \(in a git work tree the one at its root, else \.\/ports\.yaml\); name the registries to validate\n/,
    );
  });

  it("refuses a YAML alias as a mapping key (the built bin): one file:line:col line, exit 1, never the alias's value", async () => {
    // `&p port: 8000` then `*p : 8500` read as api on 8500; `&k services:` then `*k :` as a second services list.
    const nested = replaceOnce(rootRegistry, '\n    port: 8000\n', '\n    &p port: 8000\n    *p : 8500\n');
    const top = replaceOnce(replaceOnce(rootRegistry, '\nservices:\n', '\n&k services:\n'), '\nreserved:\n', '\n*k :\n  - id: other\nreserved:\n');
    const dir = checkout(nested);
    writeFileSync(join(dir, 'top.yaml'), top);
    const run = await portsBin(['validate', 'ports.yaml', 'top.yaml'], { cwd: dir });
    expect(run).toEqual({
      code: 1,
      stdout: [
        `ports.yaml:${nested.split('\n').indexOf('    *p : 8500') + 1}:5: a YAML alias (*p) may not be a mapping key in ports.yaml; write the key itself`,
        `top.yaml:${top.split('\n').indexOf('*k :') + 1}:1: a YAML alias (*k) may not be a mapping key in ports.yaml; write the key itself`,
        '',
      ].join('\n'),
      stderr: '',
    });
    const get = await portsBin(['get', 'api', '--registry', 'ports.yaml'], { cwd: dir });
    expect(get.code).toBe(1);
    expect(get.stdout).toBe('');
  });

  it('names a character YAML does not allow, at its line and column (the built bin): not yaml\'s "Implicit map keys need to be followed by map values"', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'b.yaml'), 'version: 1\n\0');
    const run = await portsBin(['validate', 'b.yaml'], { cwd: dir });
    expect(run).toEqual({ code: 1, stdout: 'b.yaml:2:1: a NUL byte (\\x00), which YAML does not allow in a file; remove it\n', stderr: '' });
  });

  it('names the control character a value holds, at its line and column (the built bin): an invisible U+2066 in a line of prose can be found', async () => {
    const before = 'requests to FastAPI on port ';
    const bad = replaceOnce(replaceOnce(rootRegistry, `${before}{port:api}`, `${before}\u2066{port:api}`), 'name: Redis\n', 'name: "Re\\edis"\n');
    const lines = bad.split('\n');
    const prose = lines.findIndex((line) => line.includes(before));
    const redis = lines.indexOf('    name: "Re\\edis"');
    const dir = checkout(bad);
    const run = await portsBin(['validate', 'ports.yaml'], { cwd: dir });
    const controls = 'must not contain control characters (a terminal escape, a carriage return, a bidirectional override)';
    expect(run).toEqual({
      code: 1,
      stdout: [
        `ports.yaml:${prose + 1}:${lines[prose]!.indexOf(before) + before.length + 1}: services.nginx.purpose[1]: ${controls}: this holds U+2066 (LRI); write plain text`,
        `ports.yaml:${redis + 1}:${lines[redis]!.indexOf('\\e') + 1}: services.redis.name: ${controls}: this holds U+001B (ESC); write plain text on one line`,
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it("says a service entry written twice once, at the second's id, naming the first's line: not again as its port, variable and unit", async () => {
    const start = rootRegistry.indexOf('  - id: redis\n');
    const entry = rootRegistry.slice(start, rootRegistry.indexOf('\n  - id: ', start) + 1);
    const twice = rootRegistry.replace(entry, `${entry}\n${entry}`);
    const dir = checkout(twice);
    const lines = twice.split('\n');
    const first = lines.indexOf('  - id: redis') + 1;
    const second = lines.indexOf('  - id: redis', first) + 1;
    expect(second).toBeGreaterThan(first);
    const run = await ports(['validate', 'ports.yaml'], { cwd: dir });
    expect(run).toEqual({
      code: 1,
      stdout: `ports.yaml:${second}:9: services.redis.id: duplicate id "redis": services[4] (line ${first}) already has it; remove one of the two, or give this one an id of its own\n`,
      stderr: '',
    });
  });

  it('--help says what it does without ./ports.yaml: never falls back to the bundled registry', async () => {
    const help = (await ports(['validate', '--help'])).stdout;
    const registryLine = help.split('\n').find((line) => line.trimStart().startsWith('--registry'));
    expect(registryLine).toContain('never the bundled one');
    expect(registryLine).not.toContain('else the bundled');
  });
});

describe('the default ./ports.yaml when this user cannot tell whether it is there', () => {
  // Only ENOENT (and ENOTDIR) say there is no ./ports.yaml: the bundled registry (monitoring, docs) or a usage error
  // (validate). Any other reason stat fails is said, as a read of the file says it, never the bundled registry instead.
  const defaultCommands = (out: string) => [['validate'], ['monitoring', '--out', out], ['docs', '--check']];

  it('a ./ports.yaml that is a symbolic link loop (ELOOP): the read error, exit 1, never the bundled registry', async () => {
    const dir = markCheckout(tempDir());
    symlinkSync('ports.yaml', join(dir, 'ports.yaml'));
    const out = join(dir, 'out');
    for (const args of defaultCommands(out)) {
      // validate reports on stdout, as for every file it checks; the others on stderr.
      const run = await ports(args, { cwd: dir });
      expect({ code: run.code, text: run.stdout + run.stderr }, args.join(' ')).toEqual({
        code: 1,
        text: 'ports.yaml: cannot read the registry (the default: ./ports.yaml in the current directory): too many levels of symbolic links; check the path\n',
      });
    }
    expect(existsSync(out)).toBe(false);
  });

  it('a ./ports.yaml that is a symbolic link to nothing (an unmounted file system): the read error naming the target, exit 1, never the bundled registry', async () => {
    const dir = markCheckout(tempDir());
    symlinkSync('missing-mount/ports.yaml', join(dir, 'ports.yaml'));
    const out = join(dir, 'out');
    for (const args of defaultCommands(out)) {
      const run = await ports(args, { cwd: dir });
      expect({ code: run.code, text: run.stdout + run.stderr }, args.join(' ')).toEqual({
        code: 1,
        text: 'ports.yaml: cannot read the registry (the default: ./ports.yaml in the current directory): it is a symbolic link to "missing-mount/ports.yaml", which names no file (not there, or not mounted); check the path\n',
      });
    }
    expect(existsSync(out)).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'as nobody, in a 0700 directory of root that holds ports.yaml (EACCES): the line a 0600 ports.yaml gets, exit 1, nothing written (built bin)',
    () => {
      const dir = markCheckout(tempDir()); // 0700, root's: nobody may not search it
      writeFileSync(join(dir, 'ports.yaml'), rootRegistry);
      const out = tempDir();
      chmodSync(out, 0o777); // nobody could write the tree here: it must not
      const asNobody = (args: readonly string[]) => portsAsNobody(dir, args);
      const denied =
        'ports.yaml: cannot read the registry (the default: ./ports.yaml in the current directory): permission denied; run as a user who can read it, or check the path\n';
      for (const args of defaultCommands(out)) {
        const run = asNobody(args);
        expect({ code: run.code, text: run.stdout + run.stderr }, args.join(' ')).toEqual({ code: 1, text: denied });
      }
      expect(readdirSync(out)).toEqual([]);
      // The same line as for a 0600 ports.yaml in a directory nobody may search.
      chmodSync(dir, 0o755);
      chmodSync(join(dir, 'ports.yaml'), 0o600);
      const unreadable = asNobody(['validate']);
      expect({ code: unreadable.code, text: unreadable.stdout + unreadable.stderr }).toEqual({ code: 1, text: denied });
    },
  );
});

describe('ports schema', () => {
  it('prints the JSON Schema of ports.yaml, the same as the committed schema.json', async () => {
    const run = await ports(['schema']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(readFileSync(join(repoRoot, 'packages/ports/schema.json'), 'utf8'));
    expect(JSON.parse(run.stdout).properties.services.type).toBe('array');
  });
});

describe('usage', () => {
  it('--help and help COMMAND exit 0; every command is listed', async () => {
    const help = await ports(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['list', 'get', 'env', 'validate', 'free', 'docs', 'systemd', 'schema']) expect(help.stdout).toContain(`\n  ${command} `);
    expect((await ports(['help', 'systemd'])).stdout).toMatch(/^Usage: ports systemd /);
    expect((await ports(['docs', '--help'])).stdout).toContain('default: docs/ports.md in the current directory');
  });

  it("--help names the commands that read the checkout's ports.yaml first, as their own --help says", async () => {
    const help = (await ports(['--help'])).stdout;
    const named = /In a checkout, (.*) read the checkout's ports\.yaml/.exec(help)?.[1]?.split(/, | and /) ?? [];
    expect(named.length).toBeGreaterThan(0);
    for (const command of ['list', 'get', 'env', 'validate', 'free', 'docs', 'systemd', 'firewall', 'snippet', 'monitoring', 'schema']) {
      const own = (await ports([command, '--help'])).stdout.includes("else the checkout's ports.yaml");
      expect(named.includes(command), command).toBe(own);
    }
  });

  it('ports schema says that it does not read --registry (it takes it, as every command does)', async () => {
    const help = await ports(['schema', '--help']);
    expect(help.stdout).toContain('--registry is taken, as by every command, but not read: the schema is the same for every registry.');
    const run = await ports(['schema', '--registry', '/nonexistent/ports.yaml']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).title).toBe('DSA-110 port registry (ports.yaml)');
  });

  it('shows the words of a line with no command as a shell reads them: an escape, a literal backslash and a no-break space each for what it is', async () => {
    const shown = async (...argv: string[]) => (await ports(argv)).stderr.match(/\(got (.*)\); commands:/)?.[1];
    expect(await shown('--registry', 'x\u001b[31m')).toBe("--registry $'x\\e[31m'");
    expect(await shown('--registry', '\\e[31m')).toBe("--registry '\\e[31m'");
    expect(await shown('--registry', 'a\u00a0b', '--json')).toBe("--registry $'a\\xc2\\xa0b' --json");
    expect(await shown('--registry', 'my file.yaml')).toBe("--registry 'my file.yaml'");
  });

  it('exits 64 (EX_USAGE) for no command, an unknown command, an unknown option, a missing or extra argument', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--registry', 'x.yaml'],
        /^ports: no command given \(got --registry x.yaml\); commands: list, get, env, validate, free, docs, systemd, firewall, snippet, monitoring, schema\n/,
      ],
      // Without a command, a mistake in the options is named for what it is.
      [['--bogus'], /^ports: unknown option --bogus; usage: ports \[--registry PATH\] <command> \[options\]\n/],
      [['--registry'], /^ports: --registry needs a value; usage: ports \[--registry PATH\] <command> \[options\]\n/],
      [
        ['lst'],
        /^ports: unknown command "lst" \(did you mean "list"\?\); commands: list, get, env, validate, free, docs, systemd, firewall, snippet, monitoring, schema\n/,
      ],
      // An unknown option near one the command takes names it (the cli-kit's rule, as in claim-port and the health check).
      [['list', '--jsn'], /^ports list: unknown option --jsn; did you mean --json\?\n/],
      [['list', '--bogus'], /^ports list: unknown option --bogus; usage: ports list \[--json\]\n/],
      [['systemd', '--chek'], /^ports systemd: unknown option --chek; did you mean --check\?\n/],
      [['systemd', '--claim-port-path', '/x'], /^ports systemd: unknown option --claim-port-path; did you mean --claim-port\?\n/],
      [['list', '-v'], /^ports list: unknown option -v; did you mean -V\?\n/],
      [['--jsn'], /^ports: unknown option --jsn; did you mean --json\?\n/],
      // Not --json where it would be refused: a command without JSON output parses it only to say so.
      [['validate', '--jsn'], /^ports validate: unknown option --jsn; usage: ports validate /],
      // As typed, escaped: a newline or a terminal escape in an option never reaches the terminal raw.
      [['list', '--jsn\n\u001b[31mforged'], /^ports list: unknown option --jsn\\n\\e\[31mforged; usage: ports list \[--json\]\n/],
      [['get'], /^ports get: missing argument; usage: ports get <id> \[--json\]\n/],
      [['get', 'api', 'redis'], /^ports get: unexpected argument "redis"; usage: ports get <id> \[--json\]\n/],
      // An empty operand (an unset shell variable) names nothing: a usage error, as the health check's --service "" is.
      [['get', ''], /^ports get: an empty <id> argument; usage: ports get <id> \[--json\]\n/],
      [['free', ''], /^ports free: an empty <reserved-id> argument; usage: ports free <reserved-id>/],
      [['snippet', ''], /^ports snippet: an empty <kind> argument; usage: ports snippet <kind>/],
      [['env', '--format'], /^ports env: --format needs a value; usage: /],
      [['list', '--json=yes'], /^ports list: --json takes no value; usage: /],
      // --help and --version do not hide a mistake in the options, wherever they stand (as in claim-port and the health check).
      [['list', '--help', '--bogus'], /^ports list: unknown option --bogus; /],
      [['list', '--bogus', '-h'], /^ports list: unknown option --bogus; /],
      [['list', '-V', '--bogus'], /^ports list: unknown option --bogus; /],
      // ... and without a command too.
      [['--help', '--bogus'], /^ports: unknown option --bogus; usage: ports \[--registry PATH\] <command> \[options\]\n/],
      [['--bogus', '-h'], /^ports: unknown option --bogus; /],
      [['-V', '--registry'], /^ports: --registry needs a value; /],
      [['help', '--bogus'], /^ports: unknown option --bogus; /],
      [['help', 'get', 'extra'], /^ports help: unexpected argument "extra"; usage: ports help \[<command>\]\n/],
      // After `--`, --help is an operand: no command of that name.
      [['--', '--help'], /^ports: unknown command "--help"; commands: list, /],
      // A command's option before the command takes no value there: said so, not "unknown command DIR".
      [
        ['--out', "o'dir", 'monitoring', '--check'],
        /^ports: "--out" comes before the command, where only --registry takes a value; put it after the command: ports monitoring --out 'o'\\''dir'\n/,
      ],
      [
        ['--format', 'ufw', 'firewall'],
        /^ports: "--format" comes before the command, where only --registry takes a value; put it after the command: ports firewall --format ufw\n/,
      ],
      // An option with one dash before the command takes no value: it is the mistake named, not its value as a command.
      [['-registry', 'x.yaml', 'list'], /^ports: unknown option -registry; did you mean --registry\?\n/],
      [['-r', 'x.yaml', 'list'], /^ports: unknown option -r; usage: ports \[--registry PATH\] <command> \[options\]\n/],
      // Typographic dashes (a command copied from a page): the option meant, before the command or after it.
      [['\u2014registry', 'x.yaml', 'list'], /^ports: "\u2014registry" starts with an em dash \(U\+2014\), not "--" .*; did you mean --registry\?\n/],
      [['list', '\u2013\u2013json'], /^ports list: "\u2013\u2013json" starts with an en dash \(U\+2013\), not "--" .*; did you mean --json\?\n/],
      // A command's option before the command: named by the command's parser (only --registry is a global option).
      [['\u2014out', 'dir', 'monitoring'], /^ports monitoring: "\u2014out" starts with an em dash \(U\+2014\), not "--" .*; did you mean --out\?\n/],
    ];
    for (const [args, message] of cases) {
      const run = await ports(args);
      expect(run.code, args.join(' ')).toBe(64);
      // --json=yes asked for JSON: the error is also one JSON object on stdout (see below).
      if (!args.includes('--json=yes')) expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      // The help that answers: the command's own once the command is known, else ports --help.
      const first = args.find((arg) => !arg.startsWith('-'));
      const named = first !== undefined && Object.hasOwn(COMMANDS, first) ? first : undefined;
      expect(run.stderr.endsWith(`\nRun "ports ${named ? `${named} ` : ''}--help" for usage.\n`), run.stderr).toBe(true);
      expectNoStack(run.stderr);
    }
  });

  it('--version and -V print the package version, before or after a command', async () => {
    const version = JSON.parse(readFileSync(join(repoRoot, 'packages/ports/package.json'), 'utf8')).version;
    for (const args of [['--version'], ['-V'], ['list', '-V']]) expect(await ports(args)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    // Short options grouped, as parseArgs reads them after a command too: -hV is -h -V (the help wins), -VV is -V.
    const help = (await ports(['--help'])).stdout;
    for (const args of [['-hV'], ['-Vh'], ['-hh'], ['list', '-hV']]) {
      const run = await ports(args);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout, args.join(' ')).toBe(args[0] === 'list' ? (await ports(['list', '--help'])).stdout : help);
    }
    expect(await ports(['-VV'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await portsBin(['-V'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('bare ports is a usage error (a missing argument, as bare claim-port is): one line, then the help, on stderr; exit 64', async () => {
    const help = (await ports(['--help'])).stdout;
    for (const run of [await ports([]), await portsBin([])]) {
      expect(run.code).toBe(64);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`ports: no command given; commands: ${Object.keys(COMMANDS).join(', ')}\n\n${help}`);
      expect(run.stderr).toMatch(/\nExamples:\n {2}ports list /);
      expect(run.stderr).toContain('64 usage error');
    }
  });

  it('--json prints one JSON object on stdout for errors and usage errors too', async () => {
    for (const [args, code, kind] of [
      [['lst', '--json'], 64, 'usage'], // unknown command
      [['--json'], 64, 'usage'], // no command
      [['help', 'nosuch', '--json'], 64, 'usage'], // help for an unknown command
      [['list', '--bogus', '--json'], 64, 'usage'], // unknown flag
      [['list', '-x', '--json'], 64, 'usage'], // unknown short flag
      [['list', '--json', '--registy', 'x.yaml'], 64, 'usage'], // an unknown flag near one
      [['list', '--json=yes'], 64, 'usage'], // --json takes no value
      [['--json', 'get'], 64, 'usage'], // missing operand
      [['get', 'a', 'b', '--json'], 64, 'usage'], // extra operand
      [['env', '--json'], 64, 'usage'], // no JSON output
      [['env', '--format', '--json'], 64, 'usage'], // a flag without its value
      [['list', '--registry=', '--json'], 64, 'usage'], // an empty value
      [['--json', '--registry'], 64, 'usage'],
      [['env', '--format', 'xml', '--json'], 64, 'usage'], // a bad value, judged by the command
      [['env', '--format', 'sh', '--format', 'dotenv', '--json'], 64, 'usage'], // a value flag given twice
      [['--registry', 'a', 'list', '--registry', 'b', '--json'], 64, 'usage'], // --registry twice: which one?
      [['get', 'nosuch', '--json'], 1, 'error'],
      [['list', '--registry', '/nonexistent/ports.yaml', '--json'], 1, 'error'],
    ] as const) {
      const run = await ports([...args]);
      expect(run.code, args.join(' ')).toBe(code);
      expect(JSON.parse(run.stdout)).toEqual({ tool: 'ports', error: { kind, message: expect.any(String) }, exitCode: code });
      expect(run.stdout.trim().split('\n')).toHaveLength(1);
    }
    // The JSON error says what stderr says: the option meant, when one is near.
    const near = await ports(['list', '--json', '--registy', 'x.yaml']);
    expect(JSON.parse(near.stdout).error.message).toBe('ports list: unknown option --registy; did you mean --registry?');
    expect(near.stderr).toBe('ports list: unknown option --registy; did you mean --registry?\nRun "ports list --help" for usage.\n');
    expect((await portsBin(['lst', '--json'])).code).toBe(64);
    // Before the command too, where an option of the command would be said to be misplaced.
    expect(await ports(['--registy', 'x.yaml', 'list'])).toEqual({
      code: 64,
      stdout: '',
      stderr: 'ports list: unknown option --registy; did you mean --registry?\nRun "ports list --help" for usage.\n',
    });
  });

  it('--json for get and free', async () => {
    expect(JSON.parse((await ports(['get', 'api', '--json'])).stdout)).toEqual({ id: 'api', port: 8000, source: 'registry' });
    expect(JSON.parse((await ports(['get', 'api', '--json'], { env: { CONTIMG_API_PORT: '8123' } })).stdout)).toEqual({
      id: 'api',
      port: 8123,
      source: 'env',
      variable: 'CONTIMG_API_PORT',
    });
  });
});

describe('special files', () => {
  it('refuses a FIFO or a device as the registry, and a FIFO as docs --file, at once', async () => {
    const dir = tempDir();
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    for (const [args, env, message] of [
      [['list', '--registry', 'fifo'], {}, 'fifo: cannot read the registry (from --registry): it is a FIFO (named pipe), not a regular file; check the path\n'],
      [
        ['list'],
        { DSA110_PORTS_FILE: join(dir, 'fifo') },
        `${join(dir, 'fifo')}: cannot read the registry (from $DSA110_PORTS_FILE): it is a FIFO (named pipe), not a regular file; fix or unset DSA110_PORTS_FILE\n`,
      ],
      [
        ['list', '--registry', '/dev/urandom'],
        {},
        '/dev/urandom: cannot read the registry (from --registry): it is a character device, not a regular file; check the path\n',
      ],
      [
        ['docs', '--file', 'fifo', '--registry', join(repoRoot, 'ports.yaml')],
        {},
        'ports docs: cannot read fifo: it is a FIFO (named pipe), not a regular file; pass --file the page itself, a regular file (ports docs reads it and rewrites its marked sections in place)\n',
      ],
    ] as const) {
      const result = await ports(args, { cwd: dir, env });
      expect(result, args.join(' ')).toEqual({ code: 1, stdout: '', stderr: message });
    }
  });
});
