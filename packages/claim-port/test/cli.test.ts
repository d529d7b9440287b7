import { userInfo } from 'node:os';
// The command: exit codes, output, JSON shape, and that a usage error signals
// nothing. Most cases call main() in-process; the built bin (`pnpm build`
// first) is run where the process itself matters: another user, the exit code
// of the real process, --test, a pipe nobody reads.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Script } from 'node:vm';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { compiledText, decodeEntry } from '@dsa110/ports/cli';
import { readEphemeralRange, readStartTime } from '@dsa110/ports/system';
import { describe, expect, it } from 'vitest';
import { isAlive, runUnbuiltBin, spawnListener } from '../../../test-support/index.js';
import { isRunning } from '../src/watch.js';
import { BIN, claimInProcess, runClaim } from './helpers.js';
import { tempDir } from '../../../test-support/tree.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The user the suite runs as (root or not): holders it spawns belong to it. */
const me = userInfo().username;

// Running as or against another user (setpriv) needs root; CI runs as root.
const root = process.getuid?.() === 0;

describe('claim-port usage errors', () => {
  it.each([
    ['0'],
    ['65536'],
    ['-1'],
    ['abc'],
    ['abc!'],
    ['80x'],
    ['1e3'],
    ['0x50'],
    [''],
    ['PORT', '--timeout=abc'],
    ['PORT', '--timeout=-1'],
    ['PORT', '--timeout=0'],
    ['PORT', '--timeout', '-1'],
    ['PORT', '--bogus'],
    ['PORT', 'PORT'],
    ['no-such-service'],
    ['PORT', '--timeout', '301'],
    ['PORT', '--dry-run=yes'],
    ['PORT', '-t', '5'],
    ['PORT', '--timeout', '5', '--timeout', '0.001'],
    ['PORT', '--registry', '/nonexistent/a', '--registry', '/nonexistent/b'],
    [],
  ])('%j exits 64 (EX_USAGE) and signals nothing', async (...args) => {
    const server = await spawnListener();
    const start = readStartTime(server.pid)!;
    const argv = args.map((a) => (a === 'PORT' ? String(server.port) : a));
    const run = await claimInProcess(argv, { port: server.port });
    expect(run.code).toBe(64);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^\[claim-port:[^\]]*\] error: /);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(run.stdout).toBe('');
    expect(isRunning({ pid: server.pid, startTime: start })).toBe(true);
  });

  it('an unknown service id names the known ones', async () => {
    const run = await claimInProcess(['aip']);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/unknown service "aip".*api/);
  });

  it('a reserved range id is said to be one, as ports get says it (the hint lives in Registry.service())', async () => {
    const run = await claimInProcess(['--dry-run', 'api-alt']);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(
      /^\[claim-port:api-alt\] error: unknown service "api-alt" \(a reserved range, 8010, not a service: "ports free api-alt" prints a free port in it\); known services: /,
    );
  });

  it('a service\'s name or title with spaces or punctuation (`FastAPI Backend`) gets the hint its one-word name gets, not "neither a port nor a service id"', async () => {
    const byName = await claimInProcess(['FastAPI', '--dry-run']);
    expect(byName.stderr).toMatch(/ \(the name of service "api": give its id, "api"\); known services: /);
    for (const [title, id] of [
      ['FastAPI Backend', 'api'],
      ['Vite Dev (default)', 'vite-default'],
    ] as const) {
      const run = await claimInProcess([title, '--dry-run']);
      expect(run.code, title).toBe(64);
      expect(run.stderr, title).toMatch(
        new RegExp(
          `^\\[claim-port:"${title.replace(/[()]/g, '\\$&')}"\\] error: unknown service "${title.replace(/[()]/g, '\\$&')}" \\(the name of service "${id}": give its id, "${id}"\\); known services: `,
        ),
      );
      expect(run.stderr.trim().split('\n'), title).toHaveLength(1);
    }
    // What `claim-port FastAPI` says of its name, word for word.
    expect(
      (await claimInProcess(['FastAPI Backend', '--dry-run'])).stderr.replace('[claim-port:"FastAPI Backend"]', '').replace(/"FastAPI Backend"/, '"FastAPI"'),
    ).toBe(byName.stderr.replace('[claim-port:FastAPI]', ''));
  });

  it('--json prints one JSON object on stdout for a usage error too', async () => {
    for (const argv of [
      ['--bogus', '--json'], // unknown flag
      ['-x', '--json'], // unknown short flag
      ['aip', '--json'], // unknown service id
      ['--json', '0'], // bad port
      ['--json'], // no port
      ['80', '81', '--json'], // two ports
      ['80', '--timeout', 'x', '--json'], // bad value
      ['80', '--json', '--timeout'], // a flag without its value
      ['80', '--registry=', '--json'], // an empty value
      ['80', '--json=1'], // --json takes no value
      ['--test', '80', '--json'], // --test takes no port
      ['80/sctp', '--json'], // bad transport
    ]) {
      const run = await claimInProcess(argv);
      expect(run.code, argv.join(' ')).toBe(64);
      expect(JSON.parse(run.stdout), argv.join(' ')).toEqual({ tool: 'claim-port', error: { kind: 'usage', message: expect.any(String) }, exitCode: 64 });
      expect(run.stdout.trim().split('\n')).toHaveLength(1);
    }
  });

  it('names the option meant for an unknown one near it, on stderr and in the JSON error alike (as ports and the health check do)', async () => {
    const message = 'unknown option --timout; did you mean --timeout?';
    expect(await claimInProcess(['8000', '--timout', '5'])).toEqual({ code: 64, stdout: '', stderr: `[claim-port:8000] error: ${message}\n` });
    // Before the port, the word after the unknown option may be its value: the label is the port after it, never "5".
    expect(await claimInProcess(['--timout', '5', '8000'])).toEqual({ code: 64, stdout: '', stderr: `[claim-port:8000] error: ${message}\n` });
    expect((await claimInProcess(['--timout', '5'])).stderr).toBe(`[claim-port:?] error: ${message}\n`);
    const json = await claimInProcess(['8000', '--timout', '5', '--json']);
    expect(json.code).toBe(64);
    expect(JSON.parse(json.stdout)).toMatchObject({ tool: 'claim-port', error: { kind: 'usage', message } });
  });

  it('names the service id for a unit name given instead (redis.service, redis-server.service)', async () => {
    for (const unit of ['redis.service', 'redis-server.service']) {
      const run = await claimInProcess([unit, '--dry-run']);
      expect(run.code).toBe(64);
      expect(run.stderr).toMatch(/give (its|the) id, "redis"\); known services: /);
    }
  });

  it('labels a bad port as given, negative or not: [claim-port:-1] as [claim-port:0]', async () => {
    for (const port of ['-1', '0']) expect((await claimInProcess([port, '--dry-run'])).stderr).toMatch(new RegExp(`^\\[claim-port:${port}\\] error: `));
  });

  it('shows a white-space $DSA110_PORTS_FILE or --registry quoted, so the blank path is seen', async () => {
    const byEnv = await claimInProcess(['api', '--dry-run'], { env: { DSA110_PORTS_FILE: ' ' } });
    expect(byEnv.stderr).toBe(
      '[claim-port:api] error: cannot resolve service "api": " ": cannot read the registry (from $DSA110_PORTS_FILE): no such file; fix or unset DSA110_PORTS_FILE\n',
    );
    const byFlag = await claimInProcess(['api', '--dry-run', '--registry', ' ']);
    expect(byFlag.stderr).toContain('"api": " ": cannot read the registry (from --registry)');
  });

  it('says where an unreadable registry path came from: --registry or $DSA110_PORTS_FILE', async () => {
    const missing = '/nonexistent/dsa110/ports.yaml';
    const byFlag = await claimInProcess(['api', '--dry-run', '--registry', missing]);
    expect(byFlag.code).toBe(64);
    expect(byFlag.stderr).toBe(
      `[claim-port:api] error: cannot resolve service "api": ${missing}: cannot read the registry (from --registry): no such file; check the path\n`,
    );
    expect(await claimInProcess(['api', '--dry-run', '--registry', '-'])).toEqual({
      code: 64,
      stdout: '',
      stderr:
        '[claim-port:api] error: cannot resolve service "api": -: cannot read the registry (from --registry): "-" (standard input) is not supported; give the path of a ports.yaml (./- for a file named "-")\n',
    });
    const byEnv = await claimInProcess(['api', '--dry-run'], { env: { DSA110_PORTS_FILE: missing } });
    expect(byEnv.code).toBe(64);
    expect(byEnv.stderr).toBe(
      `[claim-port:api] error: cannot resolve service "api": ${missing}: cannot read the registry (from $DSA110_PORTS_FILE): no such file; fix or unset DSA110_PORTS_FILE\n`,
    );
  });

  it('a service id with a registry of many problems: the first with its file:line:col, how many more, and what to run; one line, --json too', async () => {
    const dir = tempDir('claim-port-many-problems-');
    const many = join(dir, 'many.yaml');
    // 500 services, each without its required keys: 500 problems.
    writeFileSync(many, `version: 1\nservices:\n${Array.from({ length: 500 }, (_, i) => `  - id: s${i}\n    port: ${30000 + i}\n`).join('')}`);
    const env = { DSA110_PORTS_CACHE: 'off' };
    const expected =
      `cannot resolve service "s1": ${many}:3:5: services.s0: missing keys name, group, protocol, access, configuredBy, robust, processes ` +
      `(and 499 more problems); fix the registry (ports validate ${many} lists every problem)`;
    const run = await claimInProcess(['s1', '--registry', many, '--dry-run'], { env });
    expect(run).toEqual({ code: 64, stdout: '', stderr: `[claim-port:s1] error: ${expected}\n` });
    const json = await claimInProcess(['s1', '--registry', many, '--dry-run', '--json'], { env });
    expect(json.code).toBe(64);
    expect(json.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(json.stdout)).toEqual({ tool: 'claim-port', error: { kind: 'usage', message: expected }, exitCode: 64 });
    // One problem: no count; a path the shell would split is quoted in the command to run.
    const spaced = join(dir, 'my ports.yaml');
    writeFileSync(spaced, 'version: 1\nservices:\n  - id: s0\n    port: 30000\n');
    expect((await claimInProcess(['s0', '--registry', spaced, '--dry-run'], { env })).stderr).toBe(
      `[claim-port:s0] error: cannot resolve service "s0": ${spaced}:3:5: services.s0: missing keys name, group, protocol, access, configuredBy, robust, processes; ` +
        `fix the registry (ports validate '${spaced}' lists every problem)\n`,
    );
  });

  it('a service id given a transport (nosuch/udp): an unknown id is said to be unknown, with the known ids; a real one is told to come alone', async () => {
    const unknown = await claimInProcess(['nosuch/udp', '--dry-run']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toMatch(/^\[claim-port:nosuch\/udp\] error: unknown service "nosuch"; known services: api, .*redis.*\n$/);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    // What `claim-port nosuch` says, word for word.
    expect(unknown.stderr.replace('[claim-port:nosuch/udp]', '')).toBe(
      (await claimInProcess(['nosuch', '--dry-run'])).stderr.replace('[claim-port:nosuch]', ''),
    );
    const json = await claimInProcess(['--json', 'nosuch/tcp']);
    expect(JSON.parse(json.stdout)).toEqual({
      tool: 'claim-port',
      error: { kind: 'usage', message: expect.stringMatching(/^unknown service "nosuch"; known/) },
      exitCode: 64,
    });
    // A unit name with a transport: the id to give.
    expect((await claimInProcess(['redis.service/tcp', '--dry-run'])).stderr).toMatch(
      /unknown service "redis\.service".*give (its|the) id, "redis"\); known services: /,
    );
    // A real id: the hint stands (following it works).
    expect(await claimInProcess(['api/tcp', '--dry-run'])).toEqual({
      code: 64,
      stdout: '',
      stderr: '[claim-port:api/tcp] error: "api/tcp": a service id takes no /tcp (its transport is in the registry); give the id alone, "api"\n',
    });
    // The registry asked is the one given: in an empty one, api is unknown too.
    const dir = tempDir('claim-port-id-transport-');
    const empty = join(dir, 'ports.yaml');
    writeFileSync(empty, 'version: 1\nservices: []\n');
    expect((await claimInProcess(['--registry', empty, 'api/tcp', '--dry-run'], { env: { DSA110_PORTS_CACHE: 'off' } })).stderr).toBe(
      `[claim-port:api/tcp] error: unknown service "api"; ${empty} has no services\n`,
    );
    expect((await claimInProcess(['api/tcp', '--dry-run'], { env: { DSA110_PORTS_FILE: empty, DSA110_PORTS_CACHE: 'off' } })).stderr).toMatch(
      /unknown service "api"/,
    );
    // A registry that cannot be read cannot tell: the grammar's hint, as before.
    expect((await claimInProcess(['nosuch/udp', '--registry', join(dir, 'missing.yaml')])).stderr).toBe(
      '[claim-port:nosuch/udp] error: "nosuch/udp": a service id takes no /udp (its transport is in the registry); give the id alone, "nosuch"\n',
    );
    // Another mistake on the line is still said first.
    expect((await claimInProcess(['nosuch/udp', '--bogus'])).stderr).toBe('[claim-port:nosuch/udp] error: unknown option --bogus; see claim-port --help\n');
    expect((await claimInProcess(['nosuch/udp', '--timeout=x'])).stderr).toMatch(/--timeout "x" is not a number of seconds/);
    expect((await claimInProcess(['nosuch/udp', 'api'])).stderr).toMatch(/one port at a time/);
  });

  it('a negative --timeout is out of range, as 0 is (not "not a number")', async () => {
    for (const value of ['-1', '-0.5', '-0', '-.5', '0']) {
      for (const argv of [
        ['8000', '--dry-run', '--timeout', value],
        ['8000', '--dry-run', `--timeout=${value}`],
      ])
        expect(await claimInProcess(argv), argv.join(' ')).toEqual({
          code: 64,
          stdout: '',
          stderr: `[claim-port:8000] error: --timeout ${value} must be more than 0 seconds\n`,
        });
    }
  });

  it('--help and -h, --version and -V exit 0; an unknown option with them is a usage error, wherever it stands', async () => {
    for (const flag of ['--help', '-h']) {
      const help = await claimInProcess([flag, '8000']);
      expect(help).toMatchObject({ code: 0, stderr: '' });
      expect(help.stdout).toMatch(/Usage: claim-port <port\[\/tcp\|\/udp\]\|service-id>/);
      expect(help.stdout).toMatch(/Examples:\n {2}claim-port 8000/);
      expect(help.stdout).toMatch(/64 usage error/);
    }
    for (const flag of ['--version', '-V']) expect((await claimInProcess([flag])).stdout).toBe(`${VERSION}\n`);
    for (const argv of [
      ['--bogus', '--help'],
      ['-h', '--bogus'],
      ['--version', '--bogus'],
    ])
      expect(await claimInProcess(argv)).toEqual({
        code: 64,
        stdout: '',
        stderr: '[claim-port:?] error: unknown option --bogus; see claim-port --help\n',
      });
  });

  it('the built bin prints no deprecation warning where Node warns of pending ones, and still frees a held port and answers a free one', async () => {
    for (const env of [{ NODE_OPTIONS: '--pending-deprecation' }, { NODE_PENDING_DEPRECATION: '1' }]) {
      const server = await spawnListener({ name: 'pending-deprecation-holder' });
      const held = await runClaim([String(server.port)], { port: server.port, env });
      expect(held.stderr, JSON.stringify(env)).not.toContain('DeprecationWarning');
      expect(held.stderr).toContain(`port ${server.port} is free`);
      expect(held.code).toBe(0);
      expect(isAlive(server.pid)).toBe(false);
      const free = await runClaim([String(server.port)], { port: server.port, env });
      expect(free.stderr).toBe(`[claim-port:${server.port}] port ${server.port} is free; nothing to do\n`);
      expect(free.code).toBe(0);
    }
  });

  it('the built bin answers a free port the same where Node warns of pending deprecations: the registry neither names it nor is parsed', async () => {
    const dir = tempDir('claim-port-pending-');
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const named = join(dir, 'named.yaml');
    writeFileSync(named, `version: 1\nservices:\n  - id: api\n    port: ${port}\n`);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nservices: nope\n');
    const answers = async (env: NodeJS.ProcessEnv) => {
      const runs = [];
      for (const registry of [named, bad]) {
        const run = await runClaim([String(port), '--json', '--registry', registry], { port, env });
        const result = JSON.parse(run.stdout) as Record<string, unknown>;
        runs.push({ code: run.code, stderr: run.stderr, result: { ...result, elapsedMs: 0 } });
      }
      return runs;
    };
    const plain = await answers({ NODE_PENDING_DEPRECATION: undefined, NODE_OPTIONS: undefined });
    const line = `[claim-port:${port}] port ${port} is free; nothing to do\n`;
    expect(plain.map((run) => run.stderr)).toEqual([line, line]);
    expect(plain[0]!.result).not.toHaveProperty('service');
    for (const env of [{ NODE_PENDING_DEPRECATION: '1' }, { NODE_OPTIONS: '--pending-deprecation' }]) {
      expect(await answers(env), JSON.stringify(env)).toEqual(plain);
    }
  });

  it('the built bin: --help, --version, and exit 64 on a usage error', async () => {
    expect((await runClaim(['--help'])).stdout).toMatch(/Usage: claim-port <port\[\/tcp\|\/udp\]\|service-id>/);
    expect((await runClaim(['-V'])).stdout).toBe(`${VERSION}\n`);
    expect(await runClaim([])).toMatchObject({ code: 64, stdout: '', stderr: expect.stringMatching(/^\[claim-port:\?\] error: missing the port/) });
  });
});

describe('claim-port on real listeners', () => {
  it('does not hang on a FIFO as the registry (--registry or DSA110_PORTS_FILE), and still claims a numeric port', async () => {
    const dir = tempDir('claim-port-fifo-');
    const fifo = join(dir, 'ports.yaml');
    execFileSync('mkfifo', [fifo]);
    const server = await spawnListener({ name: 'fifo-registry-holder' });
    const byFlag = await runClaim([String(server.port), '--dry-run', '--registry', fifo], { port: server.port });
    expect(byFlag.code).toBe(0);
    expect(byFlag.stderr).toContain(
      `[claim-port:${server.port}] warning: ${fifo}: cannot read the registry (from --registry): it is a FIFO (named pipe), not a regular file; check the path`,
    );
    expect(byFlag.stderr).toContain(`would send SIGTERM to PID ${server.pid}`);
    const byEnv = await runClaim(['api', '--dry-run'], { env: { DSA110_PORTS_FILE: fifo } });
    expect(byEnv.code).toBe(64); // a service id that cannot be resolved: a usage error
    expect(byEnv.stderr).toContain(`${fifo}: cannot read the registry (from $DSA110_PORTS_FILE): it is a FIFO (named pipe), not a regular file`);
    expect(byEnv.ms).toBeLessThan(10_000);
    // A numeric port with a bad $DSA110_PORTS_FILE: claimed with the built-in policy, the warning names the variable.
    const portByEnv = await runClaim([String(server.port), '--dry-run'], { port: server.port, env: { DSA110_PORTS_FILE: fifo } });
    expect(portByEnv.code).toBe(0);
    expect(portByEnv.stderr).toContain(
      `[claim-port:${server.port}] warning: ${fifo}: cannot read the registry (from $DSA110_PORTS_FILE): it is a FIFO (named pipe), not a regular file; fix or unset DSA110_PORTS_FILE; using the built-in protected list`,
    );
  });

  it('prints a holder whose command line holds newlines and terminal escapes on one line each, with the prefix', async () => {
    // comm (the first 15 bytes) stays plain, so that the suite's guard can read the holder with ss; the command line does not.
    const server = await spawnListener({ name: `evil-cmdline-xx\n[claim-port:1] port 1 was freed\x1b[2J\x1b[31m${'x'.repeat(300)}` });
    const run = await runClaim([String(server.port), '--dry-run'], { port: server.port });
    expect(run.code).toBe(0);
    const lines = run.stderr.trimEnd().split('\n');
    for (const line of lines) expect(line.startsWith(`[claim-port:${server.port}] `), line).toBe(true);
    expect(run.stderr).not.toContain('\x1b');
    expect(run.stderr).toContain('evil-cmdline-xx\\n[claim-port:1] port 1 was freed\\e[2J');
  });

  it('escapes the backslashes of a holder\'s command line, so that a "\\n" or "\\e" it wrote never reads as an escaped control character', async () => {
    const server = await spawnListener({ name: 'plain-cmdline-x literal\\n[claim-port:1] forged \\e[31m real\u001b[2J' });
    const run = await runClaim([String(server.port), '--dry-run'], { port: server.port });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`would send SIGTERM to PID ${server.pid}: plain-cmdline-x literal\\\\n[claim-port:1] forged \\\\e[31m real\\e[2J\n`);
  });

  it("shows invisible characters in a holder's command line (a zero-width space, a bidi mark, a no-break space), so that it cannot pass for another", async () => {
    const server = await spawnListener({ name: 'plain-cmdline-y /usr/sbin/sshd\u200b\u200f -D\u00a0' });
    const run = await runClaim([String(server.port), '--dry-run'], { port: server.port });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`would send SIGTERM to PID ${server.pid}: plain-cmdline-y /usr/sbin/sshd\\u200b\\u200f -D\\u00a0\n`);
  });

  it('exits 0 on a free port (the built bin)', async () => {
    const server = await spawnListener();
    await server.kill();
    const run = await runClaim([String(server.port)], { port: server.port });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`[claim-port:${server.port}] port ${server.port} is free; nothing to do\n`);
  });

  it('on a free port too, says a --registry or $DSA110_PORTS_FILE that cannot be read (the busy-port line), and exits 0', async () => {
    const dir = tempDir('claim-port-free-registry-');
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const valid = join(dir, 'ports.yaml');
    writeFileSync(valid, readFileSync(new URL('../../ports/ports.yaml', import.meta.url)));
    const server = await spawnListener();
    await server.kill();
    const port = String(server.port);
    const warning = (path: string, problem: string, hint = 'check the path', origin = 'from --registry') =>
      `[claim-port:${port}] warning: ${path}: cannot read the registry (${origin}): ${problem}; ${hint}; using the built-in protected list\n`;
    const free = `[claim-port:${port}] port ${port} is free; nothing to do\n`;
    const cases: [string[], NodeJS.ProcessEnv, string][] = [
      [['--registry', join(dir, 'missing.yaml')], {}, warning(join(dir, 'missing.yaml'), 'no such file')],
      [['--registry', dir], {}, warning(dir, 'it is a directory, not a regular file')],
      [['--registry', fifo], {}, warning(fifo, 'it is a FIFO (named pipe), not a regular file')],
      [['--registry', '/dev/null'], {}, warning('/dev/null', 'it is a character device, not a regular file')],
      [[], { DSA110_PORTS_FILE: join(dir, 'nope') }, warning(join(dir, 'nope'), 'no such file', 'fix or unset DSA110_PORTS_FILE', 'from $DSA110_PORTS_FILE')],
    ];
    for (const [args, env, line] of cases) {
      const run = await runClaim([port, '--dry-run', ...args], { port: server.port, env });
      expect({ args, env, ...run, ms: 0 }).toEqual({ args, env, code: 0, stdout: '', stderr: `${line}${free}`, ms: 0 });
      // --quiet keeps the warning; --json keeps stdout one object
      const quiet = await claimInProcess([port, '--quiet', '--json', ...args], { port: server.port, env: env as Record<string, string> });
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).toBe(line);
      expect(JSON.parse(quiet.stdout)).toMatchObject({ port: server.port, action: 'already-free' });
    }
    // A readable registry (the file checked, never parsed here) and no registry at all: no warning.
    expect((await runClaim([port, '--registry', valid], { port: server.port })).stderr).toBe(free);
    expect((await runClaim([port], { port: server.port, env: { DSA110_PORTS_FILE: valid } })).stderr).toBe(free);
  });

  it('--dry-run names the holder with its full command line and leaves it running', async () => {
    const server = await spawnListener({ name: 'dry-run-cli-holder' });
    const run = await claimInProcess([String(server.port), '--dry-run'], { port: server.port });
    expect(run.code).toBe(0);
    for (const line of run.stderr.trim().split('\n')) expect(line.startsWith(`[claim-port:${server.port}] `)).toBe(true);
    expect(run.stderr).toContain(`would send SIGTERM to PID ${server.pid}: dry-run-cli-holder`);
    expect(isAlive(server.pid)).toBe(true);
  });

  it('--json prints one object with the documented shape', async () => {
    const server = await spawnListener();
    const run = await claimInProcess([String(server.port), '--json', '--quiet'], { port: server.port });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ port: server.port, action: 'freed', elapsedMs: expect.any(Number) });
    expect(out.holders).toEqual([
      expect.objectContaining({ pid: server.pid, user: me, command: expect.stringContaining('listener-child.mjs'), signals: ['SIGTERM'], outcome: 'exited' }),
    ]);
    expect(out.holders[0].memory).toBeGreaterThan(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
  });

  it("--json is well-formed Unicode: a byte that is not UTF-8 in a holder's comm is U+FFFD there (never a lone surrogate), \\xff on stderr", async () => {
    const server = await spawnListener({ python: true, name: 'bad\udcffname' });
    const run = await claimInProcess([String(server.port), '--dry-run', '--json'], { port: server.port });
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    // Every string as parsed: no surrogate of either half (strict parsers refuse a lone one; none here makes a pair).
    const strings: string[] = [];
    JSON.stringify(out, (_key, value: unknown) => {
      if (typeof value === 'string') strings.push(value);
      return value;
    });
    expect(strings.filter((text) => /[\uD800-\uDFFF]/.test(text))).toEqual([]);
    expect(out.holders[0].comm).toBe('bad\uFFFDname');
    expect(run.stderr).toContain(`PID ${server.pid} (bad\\xffname,`);
  });

  it('--quiet drops the progress lines but keeps warnings, as --help and the README say', async () => {
    const server = await spawnListener({ name: 'quiet-cli-holder' });
    const missing = join(tempDir('claim-quiet-'), 'missing.yaml');
    const run = await claimInProcess([String(server.port), '--dry-run', '--quiet', '--registry', missing], { port: server.port });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      new RegExp(`^\\[claim-port:${server.port}\\] warning: .*missing\\.yaml: cannot read the registry .*; using the built-in protected list\\n$`),
    );
    expect(isAlive(server.pid)).toBe(true);
    const quietHelp = (await claimInProcess(['--help'])).stdout.split('\n').find((line) => line.includes('--quiet'));
    expect(quietHelp).toMatch(/warnings and errors/);
  });

  it('logs every signal and what became of the process', async () => {
    const server = await spawnListener({ ignoreTerm: true });
    const run = await claimInProcess([String(server.port), '--timeout=0.3'], { port: server.port });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`sent SIGTERM to PID ${server.pid}: .*listener-child`));
    expect(run.stderr).toMatch(new RegExp(`sent SIGKILL to PID ${server.pid}`));
    expect(run.stderr).toMatch(new RegExp(`PID ${server.pid} was killed after SIGKILL`));
  });

  it('resolves a service id with its env override (claim-port api honours CONTIMG_API_PORT)', async () => {
    const server = await spawnListener();
    const run = await claimInProcess(['api', '--dry-run', '--json'], { port: server.port, env: { CONTIMG_API_PORT: String(server.port) } });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ port: server.port, service: 'api', action: 'would-free' });
    expect(run.stderr).toContain(`[claim-port:${server.port}] `);
  });

  it("refuses (64, one line) an env override onto a port of the host's own daemons before looking at the port: CONTIMG_API_PORT=9100 would stop node_exporter", async () => {
    for (const [port, daemon] of [
      ['9100', 'node_exporter'],
      ['22', 'sshd'],
    ] as const) {
      const run = await claimInProcess(['api', '--dry-run'], { env: { CONTIMG_API_PORT: port } });
      expect(run).toMatchObject({ code: 64, stdout: '' });
      expect(run.stderr).toBe(
        `[claim-port:api] error: CONTIMG_API_PORT="${port}" cannot be used for service "api": port ${port} is where the host's own ${daemon} listens, not a DSA-110 service's port: "api" would collide with it; give a port reserved for "api", 8010 ("api-alt"), or another port the registry does not assign, or unset CONTIMG_API_PORT\n`,
      );
    }
  });

  it('exits 1 when refused', async () => {
    const server = await spawnListener({ name: 'systemd-test' });
    const run = await runClaim([String(server.port), '--json'], { port: server.port });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ action: 'refused' });
    expect(run.stderr).toMatch(/refusing: PID \d+ \(systemd-test\) is protected/);
    expect(isAlive(server.pid)).toBe(true);
  });

  it.skipIf(!root)('a holder of another user that only took a protected name is freed; stderr and the JSON say why', async () => {
    const server = await spawnListener({ user: 'nobody', python: true, name: 'sshd' });
    const run = await runClaim([String(server.port), '--json'], { port: server.port });
    // The port is leased (test-support): no other process takes it in the 1 s settle window, so the claim must succeed.
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).action).toBe('freed');
    const holder = JSON.parse(run.stdout).holders[0];
    expect(holder).toMatchObject({
      pid: server.pid,
      comm: 'sshd',
      outcome: 'exited',
      disguise: expect.stringMatching(/^named "sshd" \(protected pattern "sshd"\) but runs \//),
    });
    expect(run.stderr).toContain(`[claim-port:${server.port}] warning: PID ${server.pid} (sshd) is not protected: ${holder.disguise}\n`);
  });

  it.skipIf(!root)('run as nobody against a root holder: exit 1, says to run as root, signals nothing', async () => {
    const server = await spawnListener();
    const run = await runClaim([String(server.port)], { port: server.port, user: 'nobody' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/run claim-port as root/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(isAlive(server.pid)).toBe(true);
  });

  it.skipIf(!root)('run as nobody with a --registry nobody may read: the advice to run as root repeats it (and --dry-run), quoted', async () => {
    const server = await spawnListener();
    const registry = join(tempDir(), 'un read.yaml');
    writeFileSync(registry, 'version: 1\nservices: []\n', { mode: 0o600 });
    const run = await runClaim([String(server.port), '--dry-run', '--registry', registry], { port: server.port, user: 'nobody' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot read the registry (from --registry)');
    expect(run.stderr).toContain(`; run claim-port as root (sudo claim-port ${server.port} --dry-run --registry '${registry}')\n`);
    expect(isAlive(server.pid)).toBe(true);
  });

  it.skipIf(!root)('run as a user, its own process that took a protected name stays protected (the disguise rule is for claims run as root)', async () => {
    const server = await spawnListener({ user: 'nobody', python: true, name: 'sshd' });
    const run = await runClaim([String(server.port), '--json'], { port: server.port, user: 'nobody' });
    expect(run.code, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      action: 'refused',
      holders: [expect.objectContaining({ pid: server.pid, outcome: 'protected', signals: [] })],
    });
    expect(JSON.parse(run.stdout).holders[0].disguise).toBeUndefined();
    expect(isAlive(server.pid)).toBe(true);
  });

  it.skipIf(!root)('run as nobody against its own holder: frees it', async () => {
    const server = await spawnListener({ user: 'nobody' });
    const run = await runClaim([String(server.port), '--json'], { port: server.port, user: 'nobody' });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ action: 'freed', holders: [expect.objectContaining({ pid: server.pid, user: 'nobody' })] });
  });

  it('--force kills at once', async () => {
    const server = await spawnListener({ ignoreTerm: true });
    const run = await claimInProcess([String(server.port), '--force', '--json'], { port: server.port });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).holders[0]).toMatchObject({ signals: ['SIGKILL'], outcome: 'killed' });
  });

  it('--test passes, with a live TCP claim and a live UDP claim of its own children', async () => {
    const run = await runClaim(['--test', '--json']);
    expect(run.stderr).toMatch(/\d+ passed, 0 failed/);
    expect(run.code).toBe(0);
    const names = (JSON.parse(run.stdout) as { checks: { name: string; ok: boolean }[] }).checks.filter((check) => check.ok).map((check) => check.name);
    for (const transport of ['', '/udp']) {
      expect(names).toContainEqual(expect.stringMatching(new RegExp(`^dry run names the holder of 127\\.0\\.0\\.1:\\d+${transport}$`)));
      expect(names).toContainEqual(expect.stringMatching(new RegExp(`^claim frees 127\\.0\\.0\\.1:\\d+${transport}$`)));
    }
    expect(names).toContain('no bound UDP socket left on the port');
    expect(names).toContain('the UDP holder is gone after SIGTERM');
    // Its holders' ports are outside the kernel's ephemeral range: nothing else is given them once freed.
    const range = readEphemeralRange()!;
    const claimed = names.flatMap((name) => /^claim frees 127\.0\.0\.1:(\d+)/.exec(name)?.[1] ?? []).map(Number);
    expect(claimed).toHaveLength(2);
    for (const port of claimed) expect(port < range.start || port > range.end, `port ${port}`).toBe(true);
  });

  it('keeps a V8 code cache of each bundle, made by its first real use (not --version), that this Node accepts and the next run starts from', async () => {
    const cache = join(tempDir(), 'cache');
    const env = { DSA110_PORTS_CACHE: cache };
    const free = await spawnListener({ host: '127.0.0.1' });
    await free.kill(); // a port known to be free now
    expect((await runClaim(['--version'], { env })).code).toBe(0);
    expect(existsSync(cache)).toBe(false);
    // The bundle of the first part, and of the claim engine: each entry made from exactly its bundle's bytes, accepted
    // by this Node, and used (not made again) by the next run.
    const entryOf = (bundle: 'cli' | 'run') => {
      const names = readdirSync(cache).filter((name) => name.startsWith(`claim-port-`) && name.includes(`-${bundle}~`));
      // Named by the bundle's bytes too (bundleMark), so another build of the version has entries of its own.
      expect(names, bundle).toEqual([expect.stringMatching(new RegExp(`^claim-port-[\\d.]+-${bundle}~[0-9a-f]{8}\\.[0-9a-f]{8}-v[\\d.]+-[a-z0-9]+\\.v8$`))]);
      const entry = readFileSync(join(cache, names[0]!));
      const file = join(dirname(dirname(BIN)), `dist/${bundle}.cjs`);
      const source = readFileSync(file);
      const data = decodeEntry(entry, source);
      expect(data, bundle).toBeDefined();
      // The build wrote the bundle inside the module wrapper (prewrap): V8 compiles the file's text as it is.
      expect(compiledText(source.toString('utf8'))).toBe(source.toString('utf8'));
      expect(new Script(source.toString('utf8'), { filename: file, cachedData: data! }).cachedDataRejected, bundle).toBe(false);
      return { name: names[0]!, entry };
    };
    // On a Node before 20.15 (no crc32 in zlib: taken away here), the first part runs without a cache (crcOnly): the
    // WebAssembly sum would cost more than the cache saves.
    const older = join(tempDir(), 'older-node.cjs');
    writeFileSync(older, `delete process.binding('zlib').crc32;\ndelete require('node:zlib').crc32;\n`);
    expect((await runClaim([String(free.port), '--dry-run'], { env: { ...env, NODE_OPTIONS: `--require ${older}` } })).code).toBe(0);
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
    // A free port: the first part only (a service start never loads the claim engine).
    expect((await runClaim([String(free.port), '--dry-run'], { env })).code).toBe(0);
    const first = entryOf('cli');
    expect(readdirSync(cache)).toEqual([first.name]);
    expect((await runClaim([String(free.port), '--dry-run'], { env })).code).toBe(0);
    expect(readFileSync(join(cache, first.name)).equals(first.entry)).toBe(true); // used, not made again
    const others = ['port-health-check-0.9.0-cli-v20.20.2-x64.v8', 'registry-0123abcd.json'];
    for (const name of others) writeFileSync(join(cache, name), 'old', { mode: 0o600 });
    const held = await spawnListener({ host: '127.0.0.1' });
    try {
      expect((await runClaim([String(held.port), '--dry-run'], { env, port: held.port })).code).toBe(0);
      const engine = entryOf('run');
      expect((await runClaim([String(held.port), '--dry-run'], { env, port: held.port })).code).toBe(0);
      expect(readFileSync(join(cache, engine.name)).equals(engine.entry)).toBe(true);
      // The same options share the first part's entry, a free port or a held one; another bin's entries stay.
      expect(readdirSync(cache).sort()).toEqual([first.name, engine.name, ...others].sort());
    } finally {
      await held.kill();
    }
  });

  it('the built bin on a pipe nobody reads (EPIPE): no crash, the exit code stands', async () => {
    const server = await spawnListener();
    await server.kill();
    const child = spawn(process.execPath, [BIN, String(server.port), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader goes away before claim-port writes
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe(`[claim-port:${server.port}] port ${server.port} is free; nothing to do\n`);
    expect(code).toBe(0);
  });

  it.skipIf(!existsSync('/dev/full'))(
    'the built bin with stdout on /dev/full: one line, no stack trace, the exit code still says the port is free',
    async () => {
      const server = await spawnListener();
      await server.kill();
      const full = openSync('/dev/full', 'w');
      const child = spawn(process.execPath, [BIN, String(server.port), '--json'], { stdio: ['ignore', full, 'pipe'] });
      closeSync(full);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).toBe(
        `[claim-port:${server.port}] port ${server.port} is free; nothing to do\n[claim-port:${server.port}] error: cannot write to standard output: no space left on the device\n`,
      );
      expect(code).toBe(0);
    },
  );

  it.skipIf(!existsSync('/dev/full'))('the built bin with stdout on /dev/full: --help and --version, which only print, exit 1', async () => {
    for (const args of [['--help'], ['-V']]) {
      const full = openSync('/dev/full', 'w');
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', full, 'pipe'] });
      closeSync(full);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr, args[0]).toBe('[claim-port:?] error: cannot write to standard output: no space left on the device\n');
      expect(code, args[0]).toBe(1);
    }
  });

  it.skipIf(!existsSync('/dev/full'))(
    "the built bin with stderr on /dev/full: --test, whose lines are its answer, exits 1; with --json (stdout's) 0",
    async () => {
      const exit = async (args: string[]) => {
        const full = openSync('/dev/full', 'w');
        const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', full] });
        closeSync(full);
        let stdout = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        return { code, stdout };
      };
      expect(await exit(['--test'])).toEqual({ code: 1, stdout: '' });
      const json = await exit(['--test', '--json']);
      expect([json.code, JSON.parse(json.stdout).failed]).toEqual([0, 0]);
    },
  );
});

describe('claim-port: hostile values in errors', () => {
  const hostile = `\u001b[2J${'9\n[claim-port:22] forged '.repeat(300)}`;
  it.each([
    ['a bad port', [hostile]],
    ['a bad --timeout', ['--timeout', `9${'9'.repeat(1000)}`, 'api']],
    ['a non-numeric --timeout', ['--timeout', hostile, 'api']],
  ])('%s: one line with the prefix, escaped, the value cut', async (_name, args) => {
    const run = await claimInProcess(args);
    expect(run.code).toBe(64);
    const lines = run.stderr.split('\n');
    expect(lines).toHaveLength(2);
    // A bad port is labelled quoted and escaped (claimLabel), cut: no forged prefix, no control character.
    expect(lines[0]).toMatch(
      args[0] === '--timeout' ? /^\[claim-port:api\] error: --timeout / : /^\[claim-port:"\\e\\x5b2J9\\n\\x5bclaim-port:22\\x5d forged [^"]*…"\] error: port "/,
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
    expect(run.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(run.stderr.length).toBeLessThan(600);
  });
});

describe('an option copied from a page with a typographic dash', () => {
  it('is labelled with the port, as --bogus 5 8000 is, and named with the dash and the option meant (the bin)', async () => {
    const run = await runClaim(['\u2014dry-run', '8000']);
    expect(run).toMatchObject({
      code: 64,
      stdout: '',
      stderr:
        '[claim-port:8000] error: "\u2014dry-run" starts with an em dash (U+2014), not "--" (a command copied from a web page or a document); did you mean --dry-run?\n',
    });
    // An unknown option with one: never the label, nor the word after it.
    expect((await claimInProcess(['\u2014bogus', '5', '8000'])).stderr).toMatch(/^\[claim-port:8000\] error: /);
  });
});

describe('the bin in a checkout that was never built', () => {
  it('says in one line what to run, exit 1 (the port is not known to be free), no stack trace', () => {
    const run = runUnbuiltBin(join(dirname(BIN), '..'), 'claim-port.js', ['8000']);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: '[claim-port:?] error: not built: dist/ is missing; run `npx -y pnpm@10.34.9 build` in the checkout\n',
    });
  });
});
