// claim-port's arguments as the kernel gave them (commandLine, @dsa110/ports/cli:
// packages/ports/src/cli-kit/argv.ts, whose pure part its own test holds). Node decodes
// argv as UTF-8, each byte that is not UTF-8 becoming U+FFFD: a --registry
// path such as p\xff.yaml would name no file, and claim-port (root) would fall
// back to its built-in protected list. The bin reads the bytes back from
// /proc/self/cmdline; where it cannot, the path is refused (64), never opened
// as its U+FFFD form. The bin runs as a real process here, with real bytes in
// its argv: built (dist/, `pnpm build` first) and from its sources under tsx,
// whose node options before the script (and a `--`) the index mapping must skip.
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeIo, guardPort, isAlive, leasePort, spawnListener } from '../../../test-support/index.js';
import { tempDir } from '../../../test-support/tree.js';
import { bytePath, fromSource, runWithBytes } from '../../../test-support/raw-bytes.js';
import { main } from '../src/cli.js';
import { BIN, claimInProcess } from './helpers.js';

describe('main() told the bytes are lost', () => {
  it('refuses a --registry path holding U+FFFD with one line (64), for a port and a service id, --json too; a path without one is read', async () => {
    const port = leasePort();
    const line =
      '--registry "/etc/p\\ufffdrts.yaml": the path is not UTF-8 (\\ufffd: bytes Node could not decode) and its bytes could not be read back from /proc/self/cmdline, so the file cannot be opened; give it a UTF-8 name (or a symlink with one)';
    const run = async (argv: string[]) => {
      const io = fakeIo();
      const code = await main(argv, io, {}, { bytesLost: true });
      return { code, stdout: io.stdout, stderr: io.stderr };
    };
    expect(await run([String(port), '--dry-run', '--registry', '/etc/p\uFFFDrts.yaml'])).toEqual({
      code: 64,
      stdout: '',
      stderr: `[claim-port:${port}] error: ${line}\n`,
    });
    expect(await run(['api', '--registry', '/etc/p\uFFFDrts.yaml', '--json'])).toEqual({
      code: 64,
      stdout: `${JSON.stringify({ tool: 'claim-port', error: { kind: 'usage', message: line }, exitCode: 64 })}\n`,
      stderr: `[claim-port:api] error: ${line}\n`,
    });
    expect((await run([String(port), '--dry-run', '--registry', '/nonexistent/ports.yaml'])).code).toBe(0);
    // $DSA110_PORTS_FILE whose bytes the bin could not read back from /proc/self/environ: refused the same way.
    const io = fakeIo();
    expect(await main([String(port), '--dry-run'], io, { DSA110_PORTS_FILE: '/etc/p\uFFFDrts.yaml' }, { lostVariables: ['DSA110_PORTS_FILE'] })).toBe(64);
    expect(io.stderr).toBe(
      `[claim-port:${port}] error: $DSA110_PORTS_FILE "/etc/p\\ufffdrts.yaml": the path is not UTF-8 (\\ufffd: bytes Node could not decode) and its bytes could not be read back from /proc/self/environ, so the file cannot be opened; give it a UTF-8 name (or a symlink with one)\n`,
    );
    // Not told (tests, a caller's own argv): a U+FFFD is a character like any other.
    expect((await claimInProcess([String(port), '--dry-run', '--registry', '/nonexistent/p\uFFFD.yaml'], { port })).code).toBe(0);
  });
});

/** How the bin is started: the built one, and its sources under tsx with node options and `--` before the script. */
const BINS: [string, string[]][] = [
  ['the built bin', [BIN]],
  ['the source under tsx', fromSource('packages/claim-port/src/bin.ts')],
];

describe.each(BINS)('%s, given a --registry path that is not UTF-8', (_, nodeArgs) => {
  it("opens it by its bytes: the file's claim.protect protects its holder (it used to fall back to the built-in list and would signal it)", async () => {
    const dir = tempDir('claim-port-bytes-');
    const registry = bytePath(dir, 'p\xf6rts.yaml');
    writeFileSync(registry, 'version: 1\nservices: []\nclaim:\n  protect:\n    processes: ["bytes-guarded"]\n');
    const server = await spawnListener({ name: 'bytes-guarded' });
    guardPort(server.port);
    const run = runWithBytes(nodeArgs, [String(server.port), '--dry-run', '--registry', registry]);
    expect(run.stderr).toContain(
      `refusing: PID ${server.pid} (bytes-guarded) is protected: its name "bytes-guarded" matches the protected pattern "bytes-guarded"`,
    );
    expect(run.stderr).not.toMatch(/warning|would send/);
    expect(run.code).toBe(1);
    expect(isAlive(server.pid)).toBe(true);
  });

  it('as $DSA110_PORTS_FILE too: opened by its bytes, read back from /proc/self/environ (it used to fall back to the built-in list)', async () => {
    const dir = tempDir('claim-port-bytes-');
    const registry = bytePath(dir, 'p\xf6rts.yaml');
    writeFileSync(registry, 'version: 1\nservices: []\nclaim:\n  protect:\n    processes: ["bytes-guarded"]\n');
    const server = await spawnListener({ name: 'bytes-guarded' });
    guardPort(server.port);
    const run = runWithBytes(nodeArgs, [String(server.port), '--dry-run'], {
      env: { ...process.env, DSA110_PORTS_CACHE: 'off', DSA110_PORTS_FILE: registry } as Record<string, string | Buffer>,
    });
    expect(run.stderr).toContain(
      `refusing: PID ${server.pid} (bytes-guarded) is protected: its name "bytes-guarded" matches the protected pattern "bytes-guarded"`,
    );
    expect(run.stderr).not.toMatch(/warning|would send/);
    expect(run.code).toBe(1);
    expect(isAlive(server.pid)).toBe(true);
  });

  it('prints it escaped, \\xf6, never U+FFFD: a missing file warns (a port) or is a usage error (a service id), as a UTF-8 path does', () => {
    const dir = tempDir('claim-port-bytes-');
    const missing = bytePath(dir, 'p\xf6rts.yaml');
    const port = leasePort();
    guardPort(port);
    expect(runWithBytes(nodeArgs, [String(port), '--registry', missing])).toEqual({
      code: 0,
      stdout: '',
      stderr:
        `[claim-port:${port}] warning: ${dir}/p\\xf6rts.yaml: cannot read the registry (from --registry): no such file; check the path; using the built-in protected list\n` +
        `[claim-port:${port}] port ${port} is free; nothing to do\n`,
    });
    const byId = runWithBytes(nodeArgs, ['api', '--dry-run', '--registry', missing, '--json']);
    expect(byId.code).toBe(64);
    expect(byId.stderr).toBe(
      `[claim-port:api] error: cannot resolve service "api": ${dir}/p\\xf6rts.yaml: cannot read the registry (from --registry): no such file; check the path\n`,
    );
    expect(byId.stdout).not.toContain('\uFFFD');
    expect(JSON.parse(byId.stdout).error.message).toContain(`${dir}/p\\xf6rts.yaml`);
  });

  it("shows a service's port override that is not UTF-8 by its bytes, \\xff, never U+FFFD (it only read $DSA110_PORTS_FILE back)", () => {
    const run = runWithBytes(nodeArgs, ['api', '--dry-run', '--json'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CONTIMG_API_PORT: Buffer.from([0x38, 0x30, 0xff, 0xfe]) },
    });
    const message =
      'CONTIMG_API_PORT="80\\xff\\xfe" cannot be used for service "api": it is not a plain decimal integer; give a plain decimal port 1-65535 or unset CONTIMG_API_PORT';
    expect([run.code, run.stderr]).toEqual([64, `[claim-port:api] error: ${message}\n`]);
    expect(JSON.parse(run.stdout).error.message).toBe(message);
  });

  it('refuses it (64, one line) when the bytes cannot be read back (a preload rewrote the cmdline), never falling back to the built-in list', () => {
    const dir = tempDir('claim-port-bytes-');
    const registry = bytePath(dir, 'p\xf6rts.yaml');
    writeFileSync(registry, 'version: 1\nservices: []\n');
    const port = leasePort();
    guardPort(port);
    const retitled = ['--import', "data:text/javascript,process.title='claim-port'", ...nodeArgs];
    expect(runWithBytes(retitled, [String(port), '--registry', registry])).toEqual({
      code: 64,
      stdout: '',
      stderr:
        `[claim-port:${port}] error: --registry "${dir}/p\\ufffdrts.yaml": the path is not UTF-8 (\\ufffd: bytes Node could not decode) and its bytes ` +
        'could not be read back from /proc/self/cmdline, so the file cannot be opened; give it a UTF-8 name (or a symlink with one)\n',
    });
  });
});
