// The command, run as operators run it: real files, real listeners, exit
// codes and output checked. Most cases call main(argv, io, env) in-process;
// what depends on the process itself (a terminal, the modules a start loads,
// the syscalls, the code cache, the bin's exit status) runs the built bin.
// Build first (`pnpm build`).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import * as zlib from 'node:zlib';
import { argumentShape, cacheName, compiledText, decodeEntry } from '@dsa110/ports/cli';
import { PARALLEL_MIN_PROCESSES } from '@dsa110/ports/system';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMain, runUnbuiltBin, spawnListener, waitUntil } from '../../../test-support/index.js';
import { main } from '../src/cli.js';
import { quietPort, tempDir } from './helpers.js';
import { scenario } from './scenario.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(packageDir, 'bin/port-health-check.js');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** In-process: main() with no environment but what the test gives (no NO_COLOR, no DSA110_PORTS_FILE from the machine). */
async function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const { code, stdout, stderr } = await runMain(main, args, env);
  return { status: code, stdout, stderr };
}

// Asynchronous, so that this worker's listeners keep answering while the bin runs.
function runBin(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(() => {
  if (!existsSync(join(packageDir, 'dist/cli.cjs'))) throw new Error('port-health-check is not built: run `npx -y pnpm@10.34.9 build` first');
});

describe('port-health-check (built bin)', () => {
  it.skipIf(!existsSync('/dev/full'))('with stdout on /dev/full: one line and exit 3, the report could not be delivered', async () => {
    const healthy = await scenario();
    const full = openSync('/dev/full', 'w');
    const child = spawn(process.execPath, [bin, '--registry', healthy.registryPath, '--root', healthy.root, '--format', 'prometheus'], {
      env: { ...process.env, NO_COLOR: '' },
      stdio: ['ignore', full, 'pipe'],
    });
    closeSync(full);
    let stderr = '';
    child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('port-health-check: cannot write to standard output: no space left on the device\n');
    expect(status).toBe(3);
    // A usage error keeps its 64 (its JSON could not be written either).
    const usage = spawnSync(process.execPath, [bin, '--bogus', '--json'], { stdio: ['ignore', openSync('/dev/full', 'w'), 'pipe'], encoding: 'utf8' });
    expect(usage.status).toBe(64);
    expect(usage.stderr).toContain('port-health-check: cannot write to standard output: no space left on the device\n');
  });

  it.skipIf(!existsSync('/dev/full'))(
    'with --output written and stdout on /dev/full: the one line, and the exit code the report holds (as when the reader of stdout went away)',
    async () => {
      const broken = await scenario({ broken: true });
      const report = join(tempDir(), 'ports.prom');
      const args = [bin, '--registry', broken.registryPath, '--root', broken.root, '--format', 'prometheus', '--output', report];
      const env = { ...process.env, NO_COLOR: '', DSA110_PORTS_CACHE: 'off' };
      const full = openSync('/dev/full', 'w');
      const child = spawn(process.execPath, args, { env, stdio: ['ignore', full, 'pipe'] });
      closeSync(full);
      let stderr = '';
      child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(readFileSync(report, 'utf8')).toContain('\ndsa110_port_health_exit_code 1\n');
      expect(stderr).toBe('port-health-check: cannot write to standard output: no space left on the device\n');
      expect(status).toBe(1); // the unit does not fail while the metric says 1
      // A reader that closed its end (EPIPE): the same code.
      const piped = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      piped.stdout!.destroy();
      let pipedErr = '';
      piped.stderr!.on('data', (data: Buffer) => (pipedErr += data.toString()));
      expect(await new Promise<number | null>((resolve) => piped.on('close', resolve))).toBe(1);
      expect(pipedErr).toBe('');
      // --output - is stdout: the report was not delivered, 3.
      const dash = spawnSync(process.execPath, [...args.slice(0, -1), '-'], { env, stdio: ['ignore', openSync('/dev/full', 'w'), 'pipe'], encoding: 'utf8' });
      expect(dash.status).toBe(3);
    },
  );

  // systemd's SIGTERM (stop, timeout) during the atomic replace of the textfile: strace holds the fsync before the
  // rename, and the kill lands there. Before, the process died there and its temporary file stayed in the textfile
  // directory for ever; SIGKILL still can, and then the next run removes it.
  const canDelay = spawnSync('strace', ['-V']).status === 0;
  it.skipIf(!canDelay)(
    `killed while it writes --output: SIGTERM waits for the rename, and what SIGKILL left the next run removes${canDelay ? '' : ' [skipped: strace is not installed]'}`,
    async () => {
      const healthy = await scenario();
      const dir = join(tempDir(), 'textfiles');
      mkdirSync(dir);
      const report = join(dir, 'ports.prom');
      const args = ['--registry', healthy.registryPath, '--root', healthy.root, '--format', 'prometheus', '--output', report];
      const env = { ...process.env, NO_COLOR: '', DSA110_PORTS_CACHE: 'off' };
      const killed = async (signal: NodeJS.Signals) => {
        // -D: strace is a grandchild, so the child is the bin itself, the one signalled.
        const delay = ['-D', '-f', '-qq', '-o', '/dev/null', '-e', 'trace=fsync', '-e', 'inject=fsync:delay_enter=1500000'];
        const child = spawn('strace', [...delay, process.execPath, bin, ...args], { env, stdio: 'ignore' });
        const closed = new Promise<NodeJS.Signals | null>((resolve) => child.once('close', (_code, by) => resolve(by)));
        let temp: string | undefined;
        const seen = await waitUntil(() => (temp = readdirSync(dir).find((name) => name.endsWith('.tmp'))) !== undefined, 20_000);
        child.kill(signal);
        return { seen, temp, by: await closed, pid: child.pid };
      };

      const stopped = await killed('SIGTERM');
      expect(stopped.seen).toBe(true);
      expect(stopped.temp).toMatch(new RegExp(`^\\.ports\\.prom\\.${stopped.pid}\\.[0-9a-z]+\\.tmp$`));
      expect(stopped.by).toBe('SIGTERM'); // ended by the signal, after the rename
      expect(readdirSync(dir)).toEqual(['ports.prom']);
      expect(readFileSync(report, 'utf8')).toMatch(/\ndsa110_port_health_exit_code 0\n/);

      const lost = await killed('SIGKILL');
      expect(lost.by).toBe('SIGKILL');
      expect(readdirSync(dir).sort()).toEqual([lost.temp, 'ports.prom'].sort());
      // Another exporter's file and another target's leftovers are never touched.
      writeFileSync(join(dir, 'other.prom'), 'other_metric 1\n');
      writeFileSync(join(dir, `.other.prom.${lost.pid}.mx5egr7qelwawz.tmp`), 'other_metric 1\n');
      // Within the minute after its last write it may be a live writer's of another PID namespace: kept.
      const soon = await runBin(args, { DSA110_PORTS_CACHE: 'off' });
      expect(soon.status).toBe(0);
      expect(readdirSync(dir).sort()).toEqual([lost.temp, `.other.prom.${lost.pid}.mx5egr7qelwawz.tmp`, 'other.prom', 'ports.prom'].sort());
      // A run after that minute (the file's clock set back two) removes it.
      const twoMinutesAgo = new Date(Date.now() - 120_000);
      utimesSync(join(dir, lost.temp!), twoMinutesAgo, twoMinutesAgo);
      const next = await runBin(args, { DSA110_PORTS_CACHE: 'off' });
      expect(next.status).toBe(0);
      expect(readdirSync(dir).sort()).toEqual([`.other.prom.${lost.pid}.mx5egr7qelwawz.tmp`, 'other.prom', 'ports.prom']);
    },
  );

  it('exits 0 on a healthy machine, 2 on warnings only, 1 on errors', async () => {
    const healthy = await scenario();
    const ok = await runBin(['--registry', healthy.registryPath, '--root', healthy.root]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/: exit 0\n$/);
    expect(ok.status).toBe(0);

    const warned = await scenario({ plus: false });
    const warning = await runBin(['--registry', warned.registryPath, '--root', warned.root]);
    expect(warning.stdout).toContain('Warnings (1)\n  [systemd] api (');
    expect(warning.status).toBe(2);

    const broken = await scenario({ broken: true });
    const error = await runBin(['--registry', broken.registryPath, '--root', broken.root]);
    expect(error.stdout).toContain('Errors (1)\n  [access] redis (');
    expect(error.status).toBe(1);
  });

  it('prints no deprecation warning where Node warns of pending ones (its code cache then checks with the zlib module)', async () => {
    const healthy = await scenario();
    const cache = tempDir();
    const envs: Record<string, string>[] = [{ NODE_OPTIONS: '--pending-deprecation' }, { NODE_PENDING_DEPRECATION: '1' }, {}];
    for (const env of envs) {
      // Twice each: the first run makes the code cache entry, the second reads it.
      for (const round of [1, 2]) {
        const run = await runBin(['--registry', healthy.registryPath, '--root', healthy.root], { DSA110_PORTS_CACHE: cache, ...env });
        expect(run.stderr, `${JSON.stringify(env)} run ${round}`).toBe('');
        expect(run.status).toBe(0);
      }
    }
    // One checksum whatever the warnings (zlib's CRC-32 where Node has it): the entries were not remade in turn.
    const entries = readdirSync(cache).filter((file) => file.endsWith('.v8'));
    expect(entries.length).toBeGreaterThan(0);
    const kinds = new Set(entries.map((file) => readFileSync(join(cache, file)).subarray(0, 8).toString()));
    expect(kinds).toEqual(new Set([typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? 'dsa110c3' : 'dsa110c2']));
  });

  it('writes the text report in one write for each run of lines of one journal priority', async () => {
    // A write a line was 1,212 writes for a registry of 500 services; its lines come in 6 runs of one priority.
    const broken = await scenario({ broken: true });
    const args = ['--registry', broken.registryPath, '--root', broken.root, '--no-firewall'];
    const writes: { text: string; severity: string | undefined }[] = [];
    const io = { out: (text: string, severity?: string) => void writes.push({ text, severity }), err: () => undefined, stdoutIsTTY: false };
    expect(await main(args, io as Parameters<typeof main>[1], {})).toBe(1);
    const text = writes.map((write) => write.text).join('');
    expect(text).toContain('Errors (1)\n  [access] redis (');
    expect(writes.length).toBeGreaterThan(1);
    expect(writes.length).toBeLessThan(text.split('\n').length - 1);
    for (const [index, write] of writes.entries()) {
      expect(write.text.endsWith('\n')).toBe(true);
      if (index > 0) expect(write.severity).not.toBe(writes[index - 1]!.severity);
    }
    expect(writes.find((write) => write.text.includes('[access] redis'))?.severity).toBe('error');
  });

  it('turns unknown listeners into warnings with --strict', async () => {
    const healthy = await scenario();
    const stray = await spawnListener({ host: '127.0.0.1', port: quietPort(new Set([healthy.api.port])) });
    const lax = await run(['--registry', healthy.registryPath, '--root', healthy.root]);
    expect(lax.stdout).toContain(`[unknown-listeners] port ${stray.port} is not in ${healthy.registryPath}`);
    expect(lax.status).toBe(0);
    const strict = await run(['--registry', healthy.registryPath, '--root', healthy.root, '--strict', '--quiet']);
    expect(strict.stdout).toContain(`warning: [unknown-listeners] port ${stray.port} is not in`);
    expect(strict.status).toBe(2);
  });

  it('exits 64 (EX_USAGE) on bad arguments, 3 when the check cannot run; one line, no stack trace', async () => {
    const bad = await run(['--format', 'xml']);
    expect(bad).toEqual({
      status: 64,
      stdout: '',
      stderr: 'port-health-check: --format must be one of text, json, prometheus, not "xml"\nRun "port-health-check --help" for usage.\n',
    });
    // An error that names --help itself is the one line.
    expect(await run(['--bogus'])).toEqual({ status: 64, stdout: '', stderr: 'port-health-check: unknown option --bogus; see port-health-check --help\n' });
    expect((await runBin(['--bogus'])).status).toBe(64);
    const noRoot = await run(['--root', '/nonexistent/image']);
    expect(noRoot).toEqual({
      status: 3,
      stdout: '',
      stderr: 'port-health-check: --root: root /nonexistent/image does not exist; give the top of the tree to check (default /)\n',
    });
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    const fileRoot = await run(['--root', file]);
    expect(fileRoot.stderr).toBe(`port-health-check: --root: root ${file} is not a directory; give the top of the tree to check (default /)\n`);
    expect(fileRoot.status).toBe(3);
    const loop = join(tempDir(), 'loop');
    symlinkSync(loop, loop);
    expect((await run(['--root', loop])).stderr).toBe(
      `port-health-check: --root: root ${loop} is a loop of symbolic links; give the top of the tree to check (default /)\n`,
    );
    const unknown = await run(['--service', 'aip']);
    expect(unknown.status).toBe(3);
    expect(unknown.stderr).toMatch(/^port-health-check: --service: unknown service "aip" \(did you mean "api"\?\); known services: api, .*\n$/);
    // A port or a systemd unit instead of the id: the id to give.
    const byPort = await run(['--service', '8000']);
    expect(byPort.status).toBe(3);
    expect(byPort.stderr).toMatch(
      /^port-health-check: --service: unknown service "8000" \(port 8000 belongs to service "api": give its id, "api"\); known services: /,
    );
    const byUnit = await run(['--service', 'redis-server.service']);
    expect(byUnit.stderr).toMatch(
      /^port-health-check: --service: unknown service "redis-server\.service" \(unit redis-server\.service belongs to service "redis": give its id, "redis"\); known/,
    );
    // A reserved range or a service's name: what to give (one hint for every tool, Registry.service()).
    expect((await run(['--service', 'api-alt'])).stderr).toMatch(
      /^port-health-check: --service: unknown service "api-alt" \(a reserved range, 8010, not a service: "ports free api-alt" prints a free port in it\); known/,
    );
    expect((await run(['--service', 'FastAPI'])).stderr).toMatch(/ \(the name of service "api": give its id, "api"\); known/);
    // A name or title with spaces (what `ports get` recognises) is tried whole: the same hint, never split into ids
    // that do not exist (was: `--service FastAPI,Backend`, and for `Vite Dev (default)` a line the shell refuses).
    for (const [title, id] of [
      ['FastAPI Backend', 'api'],
      ['Vite Dev (default)', 'vite-default'],
    ] as const) {
      const named = await run(['--service', `redis,${title}`]);
      expect(named.status, title).toBe(3);
      expect(named.stderr, title).toMatch(
        new RegExp(
          `^port-health-check: --service: unknown service "${title.replace(/[()]/g, '\\$&')}" \\(the name of service "${id}": give its id, "${id}"\\); known services: api, `,
        ),
      );
    }
    // Only ids separated by spaces (`--service "$IDS"`, IDS="api redis") get the commas, as a word the shell reads back whole.
    for (const [value, fixed] of [
      ['api redis', 'api,redis'],
      ['vite,api\tredis ', 'vite,api,redis'],
    ] as const) {
      const spaced = await run(['--service', value]);
      expect(spaced.status, value).toBe(64);
      expect(spaced.stderr, value).toBe(
        `port-health-check: --service ${JSON.stringify(value.trim().split(',').at(-1))}: separate ids with commas, not spaces (--service ${fixed})\nRun "port-health-check --help" for usage.\n`,
      );
    }
    // A word that is no id among them: unknown, as the whole value (following commas would fail again).
    expect((await run(['--service', 'api nosuch'])).stderr).toMatch(/^port-health-check: --service: unknown service "api nosuch"; known services: api, /);
  });

  it('exits 1 with file:line:col problems for an invalid registry', async () => {
    const path = join(tempDir(), 'ports.yaml');
    writeFileSync(path, 'version: 1\nservices:\n  - id: api\n    port: 99999\n');
    const result = await run(['--registry', path]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`[registry] ${path}:4:11: services.api.port: must be between 1 and 65535 (got 99999)`);
    for (const [text, problem] of [
      ['version: 1\nservices: *x\n', ':2:11: YAML alias *x has no anchor &x before it'],
      [
        `version: 1\nservices: []\n${Array.from({ length: 8 }, (_, i) => `a${i}: &a${i} [${i === 0 ? '1' : `*a${i - 1}, *a${i - 1}`}]`).join('\n')}\n`,
        ':3:1: a0: unknown key "a0"; remove it',
      ],
    ] as const) {
      writeFileSync(path, text);
      const hostile = await run(['--registry', path]);
      expect(hostile.stdout).toContain(`[registry] ${path}${problem}`);
      expect(hostile.status).toBe(1);
    }
    const fifo = join(tempDir(), 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    for (const [args, env] of [[['--registry', fifo]], [[], { DSA110_PORTS_FILE: fifo }]] as const) {
      const special = await run([...args, '--quiet'], env);
      expect(special.stdout).toBe(
        `error: [registry] ${fifo}: cannot read the registry (${args.length ? 'from --registry' : 'from $DSA110_PORTS_FILE'}): it is a FIFO (named pipe), not a regular file; ${args.length ? 'check the path' : 'fix or unset DSA110_PORTS_FILE'}\n`,
      );
      expect(special.status).toBe(1);
    }
    const blank = await run(['--quiet'], { DSA110_PORTS_FILE: ' ' });
    expect(blank.stdout).toBe('error: [registry] " ": cannot read the registry (from $DSA110_PORTS_FILE): no such file; fix or unset DSA110_PORTS_FILE\n');
    // The summary names it as the error line does, quoted: not `(0 services,  , 6 ms)`.
    expect((await run([], { DSA110_PORTS_FILE: ' ' })).stdout).toMatch(/ \(0 services, " ", \d+ ms\): exit 1\n$/);
    const stdin = await run(['--registry', '-', '--quiet']);
    expect(stdin.stdout).toBe(
      'error: [registry] -: cannot read the registry (from --registry): "-" (standard input) is not supported; give the path of a ports.yaml (./- for a file named "-")\n',
    );
    expect(stdin.status).toBe(1);
    const missing = await run(['--registry', join(tempDir(), 'absent.yaml'), '--quiet']);
    expect(missing.stdout).toMatch(/^error: \[registry\] .*absent\.yaml: cannot read the registry \(from --registry\): no such file; check the path\n$/);
    expect(missing.status).toBe(1);
  });

  it('writes --output atomically, prints only problems, and the file passes promtool', async () => {
    const broken = await scenario({ broken: true });
    const dir = tempDir();
    const file = join(dir, 'dsa110_ports.prom');
    const result = await run(['--registry', broken.registryPath, '--root', broken.root, '--format', 'prometheus', '--output', file]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^error: \[access\] redis/);
    expect(readdirSync(dir)).toEqual(['dsa110_ports.prom']);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('dsa110_port_check{service="redis",check="access",severity="error"} 1');
    if (spawnSync('promtool', ['--version']).status === 0) {
      expect(spawnSync('promtool', ['check', 'metrics'], { input: text }).status).toBe(0);
    }
    const unwritable = await run(['--registry', broken.registryPath, '--output', join(dir, 'missing', 'x.prom')]);
    expect(unwritable.status).toBe(3);
    expect(unwritable.stderr).toBe(`port-health-check: cannot write ${join(dir, 'missing', 'x.prom')}: its directory does not exist; create it first\n`);
  });

  it('--output /dev/fd/3 with a pipe the caller opened as 3 (`3> >(cat)`) is refused, saying a pipe is not taken there and what to do', async () => {
    const healthy = await scenario();
    const piped = join(tempDir(), 'piped');
    const args = [bin, '--registry', healthy.registryPath, '--root', healthy.root, '--format', 'prometheus', '--output', '/dev/fd/3'];
    // bash's process substitution, as an operator writes it: fd 3 a FIFO's write end, its reader `cat`.
    const child = spawn('bash', ['-c', `"$@" 3> >(cat > '${piped}')`, 'bash', process.execPath, ...args], {
      env: { ...process.env, NO_COLOR: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status).toBe(3);
    // The caller opened it: never blamed on Node's own descriptors as if it were one.
    expect(stderr).not.toContain('this process holds');
    expect(stderr).toBe(
      'port-health-check: cannot write /dev/fd/3: descriptor 3 is a FIFO (named pipe): a pipe or socket given as /dev/fd/3 (`3> >(cmd)`) is not taken, as past descriptor 2 Node holds pipes of its own that cannot be told from one the caller opened (only a file or device is written there); give a file path, or "-" for standard output and pipe that (nothing was written)\n',
    );
    await waitUntil(() => existsSync(piped));
    expect(readFileSync(piped, 'utf8')).toBe('');
  });

  it('an --output file others could write is made 0644, said in one port-health-check line on stderr', async () => {
    const broken = await scenario({ broken: true });
    const file = join(tempDir(), 'dsa110_ports.prom');
    writeFileSync(file, '');
    chmodSync(file, 0o666);
    const result = await run(['--registry', broken.registryPath, '--root', broken.root, '--format', 'prometheus', '--output', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`port-health-check: warning: made ${file} 0644: it was writable by its group and others (mode 0666)\n`);
    expect(statSync(file).mode & 0o7777).toBe(0o644);
  });

  it('with --json and --output, stdout is one JSON object with the problems only, never text lines', async () => {
    const broken = await scenario({ broken: true });
    const dir = tempDir();
    const file = join(dir, 'report.json');
    const result = await run(['--registry', broken.registryPath, '--root', broken.root, '--json', '--output', file]);
    expect(result.status).toBe(1);
    const full = JSON.parse(readFileSync(file, 'utf8'));
    const shown = JSON.parse(result.stdout);
    expect(shown).toMatchObject({ schema: 'dsa110-port-health-check/problems/v1', output: file, status: 'error', exitCode: 1, counts: full.counts });
    expect(shown.checks.length).toBeGreaterThan(0);
    expect(shown.checks).toEqual(full.checks.filter((check: { severity: string }) => ['error', 'warning', 'unknown'].includes(check.severity)));
    // The text format keeps its lines.
    const text = await run(['--registry', broken.registryPath, '--root', broken.root, '--output', join(dir, 'report.txt')]);
    expect(text.stdout).toMatch(/^error: \[access\] redis/);
  });

  it('writes --output - to stdout, a private /dev/stdout link to its own stdout, and never replaces a directory or a FIFO nobody reads', async () => {
    const broken = await scenario({ broken: true });
    const args = ['--registry', broken.registryPath, '--root', broken.root, '--format', 'prometheus'];
    const dash = await run([...args, '--output', '-']);
    expect(dash.stdout).toContain('dsa110_port_check{service="redis",check="access",severity="error"} 1');
    expect(dash.status).toBe(1);
    const dir = tempDir();
    symlinkSync('/proc/self/fd/1', join(dir, 'stdout'));
    const viaLink = await run([...args, '--output', join(dir, 'stdout')]);
    expect(viaLink.stdout).toContain('dsa110_port_check{service="redis",check="access",severity="error"} 1');
    expect(lstatSync(join(dir, 'stdout')).isSymbolicLink()).toBe(true);
    mkdirSync(join(dir, 'd'));
    const directory = await run([...args, '--output', join(dir, 'd')]);
    expect(directory.stderr).toBe(
      `port-health-check: cannot write ${join(dir, 'd')}: it is a directory; give the path of a file to write (nothing was written)\n`,
    );
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const fifo = await run([...args, '--output', join(dir, 'fifo')]);
    expect(fifo.stderr).toBe(`port-health-check: cannot write ${join(dir, 'fifo')}: it is a FIFO (named pipe) that nobody is reading; nothing was written\n`);
    expect(lstatSync(join(dir, 'fifo')).isFIFO()).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)('writes --output into a private copy of /dev/null in place: it stays a device (skipped unless root: mknod)', async () => {
    const broken = await scenario({ broken: true });
    const dir = tempDir();
    execFileSync('mknod', ['-m', '0666', join(dir, 'null'), 'c', '1', '3']);
    const result = await run(['--registry', broken.registryPath, '--root', broken.root, '--format', 'prometheus', '--output', join(dir, 'null')]);
    expect(result.status).toBe(1);
    expect(lstatSync(join(dir, 'null')).isCharacterDevice()).toBe(true);
    expect(readdirSync(dir)).toEqual(['null']);
  });

  it('never writes --output over the registry it reads (--registry or $DSA110_PORTS_FILE, through a link too): exit 3, the registry untouched', async () => {
    const dir = tempDir();
    const registry = join(dir, 'ports.yaml');
    writeFileSync(registry, 'version: 1\nservices: []\n');
    symlinkSync('ports.yaml', join(dir, 'link.yaml'));
    const same = await run(['--registry', registry, '--format', 'prometheus', '--output', registry]);
    expect(same.status).toBe(3);
    expect(same.stderr).toBe(
      `port-health-check: cannot write ${registry}: it is the registry this check reads (${registry}); give another path (nothing was written)\n`,
    );
    const viaLink = await run(['--json', '--output', join(dir, 'link.yaml')], { DSA110_PORTS_FILE: registry });
    expect(viaLink.status).toBe(3);
    expect(JSON.parse(viaLink.stdout).error.message).toMatch(/it is the registry this check reads/);
    expect(readFileSync(registry, 'utf8')).toBe('version: 1\nservices: []\n');
    expect(lstatSync(join(dir, 'link.yaml')).isSymbolicLink()).toBe(true);
    // Another file in the same directory is written as ever.
    expect((await run(['--registry', registry, '--output', join(dir, 'report.txt')])).status).not.toBe(3);
  });

  it('never writes --output over a program (a typo for the textfile naming claim-port): exit 3, the program untouched', async () => {
    const dir = tempDir();
    const registry = join(dir, 'ports.yaml');
    writeFileSync(registry, 'version: 1\nservices: []\n');
    const program = join(dir, 'claim-port');
    writeFileSync(program, '#!/usr/bin/env node\n', { mode: 0o755 });
    const result = await run(['--registry', registry, '--format', 'prometheus', '--output', program]);
    expect(result.status).toBe(3);
    expect(result.stderr).toBe(
      `port-health-check: cannot write ${program}: it is a program (a script: it starts with #!, mode 0755), not a file this writes; give the path of the file to write (nothing was written)\n`,
    );
    expect(readFileSync(program, 'utf8')).toBe('#!/usr/bin/env node\n');
  });

  it('names a hostile --root or --output escaped, on one line', async () => {
    const hostile = '/nonexistent/a\n[forged]\u001b[31m';
    const root = await run(['--root', hostile]);
    expect(root.status).toBe(3);
    expect(root.stderr).toBe(
      'port-health-check: --root: root /nonexistent/a\\n[forged]\\e[31m does not exist; give the top of the tree to check (default /)\n',
    );
    const output = await run(['--registry', '/nonexistent/ports.yaml', '--output', `${hostile}/x.prom`]);
    expect(output.status).toBe(3);
    expect(output.stderr).toBe('port-health-check: cannot write /nonexistent/a\\n[forged]\\e[31m/x.prom: its directory does not exist; create it first\n');
  });

  it('--json (or --format json) prints one JSON object on stdout for errors and usage errors too', async () => {
    for (const [argv, status, kind] of [
      [['--json', '--bogus'], 64, 'usage'], // unknown flag
      [['--json', '-x'], 64, 'usage'], // unknown short flag
      [['--json', 'api'], 64, 'usage'], // an operand
      [['--json', '--format'], 64, 'usage'], // a flag without its value
      [['--json', '--format', 'xml'], 64, 'usage'], // a bad value
      [['--json', '--root='], 64, 'usage'], // an empty value
      [['--json', '--registry', 'a', '--registry', 'b'], 64, 'usage'], // given twice
      [['--json=1'], 64, 'usage'], // --json takes no value
      [['--format=json', '--strict=yes'], 64, 'usage'],
      [['--format', 'json', '--format', 'text'], 64, 'usage'],
      [['--json', '--service', 'aip'], 3, 'error'],
      [['--format=json', '--root', '/nonexistent/image'], 3, 'error'],
      [['--json', '--registry', '/nonexistent/ports.yaml', '--output', tempDir()], 3, 'error'], // an --output it cannot write (a directory)
      [['--json', '--registry', '/nonexistent/ports.yaml', '--output', '/nonexistent/dir/x.json'], 3, 'error'],
    ] as const) {
      const result = await run([...argv]);
      expect(result.status, argv.join(' ')).toBe(status);
      // The message is the one line of the error, as claim-port's and ports' are: no "Run --help" line for people.
      expect(JSON.parse(result.stdout)).toEqual({ tool: 'port-health-check', error: { kind, message: expect.stringMatching(/^[^\n]+$/) }, exitCode: status });
      expect(result.stdout.trim().split('\n')).toHaveLength(1);
    }
    expect(JSON.parse((await run(['--json', '--bogus'])).stdout).error.message).toBe('unknown option --bogus; see port-health-check --help');
    // An option near one it has: that one, as on stderr (and as in claim-port and ports).
    const near = await run(['--json', '--servic', 'api']);
    expect(near.status).toBe(64);
    expect(JSON.parse(near.stdout).error.message).toBe('unknown option --servic; did you mean --service?');
    expect((await run(['--servic', 'api'])).stderr).toBe(
      'port-health-check: unknown option --servic; did you mean --service?\nRun "port-health-check --help" for usage.\n',
    );
  });

  it('-V and --version print the package version (in-process and the built bin); --help has examples', async () => {
    const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
    expect((await run(['-V'])).stdout).toBe(`${version}\n`);
    expect((await run(['--version'])).stdout).toBe(`${version}\n`);
    expect((await runBin(['-V'])).stdout).toBe(`${version}\n`);
    expect((await run(['--help'])).stdout).toMatch(/Examples:\n {2}port-health-check /);
  });

  it('prints JSON that parses, with the same exit code', async () => {
    const broken = await scenario({ broken: true });
    const result = await run(['--registry', broken.registryPath, '--root', broken.root, '--format', 'json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: 1, exitCode: 1, status: 'error' });
    expect(result.status).toBe(1);
    const viaBin = await runBin(['--registry', broken.registryPath, '--root', broken.root, '--json']);
    expect(JSON.parse(viaBin.stdout)).toMatchObject({ version: 1, exitCode: 1, status: 'error' });
    expect(viaBin.status).toBe(1);
  });

  it('colours a terminal, and not with NO_COLOR', async () => {
    const broken = await scenario({ broken: true });
    const command = `${process.execPath} ${bin} --registry ${broken.registryPath} --root ${broken.root}`;
    const tty = (env: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, TERM: 'xterm', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (data: Buffer) => (out += data.toString()));
        child.on('close', () => resolve(out));
      });
    const { NO_COLOR: _drop, ...withoutNoColor } = process.env;
    expect(await tty({ ...(withoutNoColor as Record<string, string>), NO_COLOR: '' })).toContain('\x1b[31merror\x1b[0m');
    expect(await tty({ NO_COLOR: '1' })).not.toContain('\x1b[');
  });

  it('starts light: no yaml or zod, no streams, sockets, child processes, fs/promises or os for the default run', () => {
    // On a machine of PARALLEL_MIN_PROCESSES processes or more the fd scan is read by perl children, through
    // pipes: then child_process, net and stream are what the scan needs, and os counts the cores (well away
    // from the threshold either way). The text report has no host name: os is not loaded for it.
    const processes = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
    const scanChildren = processes >= PARALLEL_MIN_PROCESSES - 100 ? ['net', 'stream', 'child_process', 'os'] : [];
    const report = join(tempDir(), 'loaded.json');
    const preload = join(packageDir, 'test/fixtures/report-loaded-modules.cjs');
    // --no-firewall: the firewall check spawns nft only when an internal service of the bundled
    // registry listens beyond loopback, which depends on this machine, not on the code under test.
    spawnSync(process.execPath, ['-r', preload, bin, '--no-firewall'], { env: { ...process.env, REPORT_LOADED_MODULES: report }, stdio: 'ignore' });
    const loaded = JSON.parse(readFileSync(report, 'utf8')) as { builtins: string[]; files: string[] };
    // The bundle itself runs from the loader's vm.Script (with its code cache), not through require().
    expect(loaded.files.filter((file) => file !== preload)).toEqual([bin, join(packageDir, 'dist/start.cjs')]);
    for (const heavy of ['fs/promises', 'net', 'tty', 'stream', 'child_process', 'crypto', 'os'].filter((name) => !scanChildren.includes(name))) {
      expect(loaded.builtins).not.toContain(`NativeModule ${heavy}`);
    }
    expect(loaded.builtins.length).toBeGreaterThan(10); // the list is real
  });

  it("answers its usual command lines (none, the timer's long options) without loading parseArgs (the build stands in for it)", () => {
    const report = join(tempDir(), 'loaded.json');
    const preload = join(packageDir, 'test/fixtures/report-loaded-modules.cjs');
    const loadedBy = (args: string[]) => {
      spawnSync(process.execPath, ['-r', preload, bin, ...args], { env: { ...process.env, REPORT_LOADED_MODULES: report }, stdio: 'ignore' });
      return (JSON.parse(readFileSync(report, 'utf8')) as { builtins: string[] }).builtins;
    };
    const parseArgsModule = 'NativeModule internal/util/parse_args/parse_args';
    expect(loadedBy([])).not.toContain(parseArgsModule);
    expect(loadedBy(['--format', 'prometheus', '--output', join(tempDir(), 'ports.prom'), '--no-firewall'])).not.toContain(parseArgsModule);
    expect(loadedBy(['-j'])).toContain(parseArgsModule); // a short option goes to parseArgs: the list is real
  });

  const strace = spawnSync('strace', ['-V']).status === 0;
  it.skipIf(!strace)(
    `reads each socket table at most once and scans /proc/*/fd once for the whole registry${strace ? '' : ' [skipped: strace is not installed; scripts/install-system-packages.sh installs it]'}`,
    () => {
      const trace = join(tempDir(), 'openat.txt');
      // chdir too: on a machine of many processes perl reads each fd directory from inside it (chdir, then opendir('.')).
      const traced = spawnSync('strace', ['-f', '-e', 'trace=openat,chdir', '-o', trace, process.execPath, bin], { stdio: 'ignore' });
      expect([0, 1, 2]).toContain(traced.status);
      const opens = readFileSync(trace, 'utf8').split('\n');
      const count = (pattern: RegExp) => opens.filter((line) => pattern.test(line)).length;
      // At most once each: not at all when net/sockstat{,6} counts no TCP socket of the family (other tests' sockets come and go).
      expect(count(/"\/proc\/net\/tcp"/)).toBeLessThanOrEqual(1);
      expect(count(/"\/proc\/net\/tcp6"/)).toBeLessThanOrEqual(1);
      expect(count(/"\/proc", .*O_DIRECTORY/)).toBe(1); // one listing of /proc: one scan
      // Each process's fds read once by each reader (perl, then Node for a process perl could not read whole), not once per port.
      // But the check's own: Node reads it again once perl is done (its pipes to perl, closed since, are none of its
      // sockets: finishPerlScan in holders-perl.ts). strace starts each line with the caller's PID, the first line's the check's.
      const self = /^(\d+)/.exec(opens[0] ?? '')?.[1];
      const fdDirs = (call: string) =>
        opens.map((line) => new RegExp(`${call}\\(.*"/proc/(\\d+)/fd"`).exec(line)?.[1]).filter((pid) => pid !== undefined && pid !== self);
      expect(fdDirs('openat').length + fdDirs('chdir').length).toBeGreaterThan(1);
      for (const call of ['openat', 'chdir']) expect(new Set(fdDirs(call)).size).toBe(fdDirs(call).length);
    },
  );

  it.skipIf(!strace)(
    `reads system.conf and its drop-in directories once a run, for DefaultEnvironment= and DefaultTimeoutStartSec= alike${strace ? '' : ' [skipped: strace is not installed; scripts/install-system-packages.sh installs it]'}`,
    async () => {
      // api's unit claims its port and sets no start timeout: both settings are wanted.
      const healthy = await scenario();
      writeFileSync(join(healthy.root, 'etc/systemd/system.conf'), '[Manager]\nDefaultEnvironment=A=1\nDefaultTimeoutStartSec=2min\n');
      mkdirSync(join(healthy.root, 'etc/systemd/system.conf.d'));
      writeFileSync(join(healthy.root, 'etc/systemd/system.conf.d/x.conf'), '[Manager]\nDefaultTimeoutStartSec=3min\n');
      const trace = join(tempDir(), 'openat.txt');
      const args = [bin, '--registry', healthy.registryPath, '--root', healthy.root, '--no-firewall'];
      const traced = spawnSync('strace', ['-f', '-e', 'trace=openat', '-o', trace, process.execPath, ...args], { stdio: 'ignore' });
      expect([0, 1, 2]).toContain(traced.status);
      const opens = readFileSync(trace, 'utf8').split('\n');
      const count = (path: string) => opens.filter((line) => line.includes(`"${join(healthy.root, path)}"`)).length;
      expect([count('etc/systemd/system.conf'), count('etc/systemd/system.conf.d'), count('etc/systemd/system.conf.d/x.conf')]).toEqual([1, 1, 1]);
    },
  );

  it('ships no V8 code cache: nothing made on the build machine, nothing that differs between two builds', () => {
    const shipped = readdirSync(join(packageDir, 'dist'), { recursive: true }).map(String);
    expect(shipped.filter((file) => /\.cache$|\.v8$/.test(file))).toEqual([]);
  });

  it('makes a V8 code cache on its first run, in the cache directory, that this Node accepts, and starts from it', async () => {
    const cache = join(tempDir(), 'cache');
    const first = await runBin(['--json'], { DSA110_PORTS_CACHE: cache });
    expect([0, 1, 2]).toContain(first.status);
    const [name] = readdirSync(cache);
    // Its own for --json, and this build's (by the bundle's bytes: another build of the version has entries of its own).
    const version = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
    const [, mark] = /~([0-9a-f]{8})\./.exec(name!) ?? [];
    expect(name).toBe(cacheName({ bin: 'port-health-check', version, bundle: 'cli' }, argumentShape(['--json']), process.version, process.arch, mark));
    const entry = readFileSync(join(cache, name!));
    const file = join(packageDir, 'dist/cli.cjs');
    const source = readFileSync(file);
    const data = decodeEntry(entry, source);
    expect(data).toBeDefined();
    // The build wrote the bundle inside the module wrapper (prewrap): V8 compiles the file's text as it is.
    expect(compiledText(source.toString('utf8'))).toBe(source.toString('utf8'));
    const script = new Script(source.toString('utf8'), { filename: file, cachedData: data! });
    expect(script.cachedDataRejected).toBe(false);
    const second = await runBin(['--json'], { DSA110_PORTS_CACHE: cache });
    expect(second.status).toBe(first.status);
    expect(readFileSync(join(cache, name!)).equals(entry)).toBe(true); // used, not made again
  });

  it('keeps a --registry file parsed in the cache directory and loads it from there the next time', async () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const registry = join(dir, 'ports.yaml');
    writeFileSync(registry, readFileSync(join(packageDir, '../../ports.yaml')));
    const report = (stdout: string) => {
      const { services, results } = JSON.parse(stdout) as { services: unknown; results: unknown };
      return { services, results };
    };
    const first = await runBin(['--json', '--registry', registry], { DSA110_PORTS_CACHE: cache });
    const entries = readdirSync(cache).filter((name) => name.startsWith('registry-'));
    expect(entries).toHaveLength(1);
    const entry = join(cache, entries[0]!);
    const made = readFileSync(entry);
    expect(made.includes(readFileSync(registry))).toBe(true);
    // Proof that the second run reads the entry: a service renamed in it (in both copies of its data, and only there) shows in the report.
    const renamed = Buffer.from(made.toString('utf8').replaceAll('"name":"Redis"', '"name":"Redis from the cache"'));
    expect(renamed.equals(made)).toBe(false);
    writeFileSync(entry, renamed, { mode: 0o600 });
    const second = await runBin(['--json', '--registry', registry], { DSA110_PORTS_CACHE: cache });
    expect(second.status).toBe(first.status);
    expect(second.stdout).toContain('Redis from the cache');
    expect(JSON.stringify(report(second.stdout)).replaceAll('Redis from the cache', 'Redis')).toBe(JSON.stringify(report(first.stdout)));
    // Off: parsed from the file, nothing read or written.
    const off = await runBin(['--json', '--registry', registry], { DSA110_PORTS_CACHE: 'off' });
    expect(off.stdout).not.toContain('Redis from the cache');
    expect(report(off.stdout)).toEqual(report(first.stdout));
  });

  it('runs against the bundled registry and this machine by default, and prints help', async () => {
    const result = await runBin([]);
    expect([0, 1, 2]).toContain(result.status);
    expect(result.stdout).toMatch(/^PORT +SERVICE/);
    expect(result.stdout).toMatch(/port-health-check: .* \(8 services, ports\.yaml \(bundled\), \d+ ms\): exit [012]\n$/);
    const help = await runBin(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('NOT the Nagios order');
  });
});

describe('the bin in a checkout that was never built', () => {
  it('says in one line what to run, exit 3 (the check could not run), no stack trace', () => {
    const run = runUnbuiltBin(fileURLToPath(new URL('..', import.meta.url)), 'port-health-check.js');
    expect(run).toEqual({ code: 3, stdout: '', stderr: 'port-health-check: not built: dist/ is missing; run `npx -y pnpm@10.34.9 build` in the checkout\n' });
  });
});
