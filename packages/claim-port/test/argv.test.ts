// claim-port's arguments as the kernel gave them (src/argv.ts). Node decodes
// argv as UTF-8, each byte that is not UTF-8 becoming U+FFFD: a --registry
// path such as p\xff.yaml would name no file, and claim-port (root) would fall
// back to its built-in protected list. The bin reads the bytes back from
// /proc/self/cmdline; where it cannot, the path is refused (64), never opened
// as its U+FFFD form. The bin runs as a real process here, with real bytes in
// its argv: built (dist/, `pnpm build` first) and from its sources under tsx,
// whose node options before the script (and a `--`) the index mapping must skip.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeIo, guardPort, isAlive, leasePort, spawnListener } from '../../../test-support/index.js';
import { tempDir } from '../../../test-support/tree.js';
import { recoverArguments } from '../src/argv.js';
import { main } from '../src/cli.js';
import { BIN, claimInProcess } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** `p\xff.yaml` in `dir`: the bytes of a name that is not UTF-8. */
const latin1Name = (dir: string, name: string) => Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(name, 'latin1')]);

/** The bytes of a cmdline: each word ended by a NUL. */
const cmdline = (...words: (string | Buffer)[]) => Buffer.concat(words.flatMap((word) => [Buffer.from(word), Buffer.of(0)]));

describe('recoverArguments (pure)', () => {
  it('reads an argument Node could not decode back from the last words of the cmdline, past node options, `--` and the script', () => {
    const given = ['8000', '--registry', '/etc/p\uFFFDrts.yaml'];
    const words = cmdline(
      'node',
      '--conditions=development',
      '--import',
      'tsx',
      '--',
      '/x/bin.ts',
      '8000',
      '--registry',
      Buffer.from('/etc/p\xf6rts.yaml', 'latin1'),
    );
    expect(recoverArguments(given, words)).toEqual({ argv: ['8000', '--registry', '/etc/p\udcf6rts.yaml'], bytesLost: false });
  });

  it('keeps a real U+FFFD (its UTF-8 bytes) as it is, and an empty argument in its place', () => {
    const given = ['', '--registry', '/a\uFFFD\uFFFDb'];
    const words = cmdline('node', '/x/bin.js', '', '--registry', Buffer.concat([Buffer.from('/a\uFFFD'), Buffer.of(0xff), Buffer.from('b')]));
    expect(recoverArguments(given, words)).toEqual({ argv: ['', '--registry', '/a\uFFFD\udcffb'], bytesLost: false });
  });

  it('says the bytes are lost when the cmdline is missing, rewritten (process.title) or does not match', () => {
    const given = ['8000', '--registry', '/p\uFFFD'];
    expect(recoverArguments(given, undefined)).toEqual({ argv: given, bytesLost: true });
    expect(recoverArguments(given, Buffer.from(`claim-port${'\0'.repeat(40)}`))).toEqual({ argv: given, bytesLost: true });
    expect(recoverArguments(given, Buffer.from('node\0bin\x008000\0--registry\0/p\xff', 'latin1'))).toEqual({ argv: given, bytesLost: true }); // no final NUL
    expect(recoverArguments(given, cmdline('node', 'bin', '8001', '--registry', Buffer.of(0x2f, 0x70, 0xff)))).toEqual({ argv: given, bytesLost: true });
    expect(recoverArguments(given, cmdline('--registry', Buffer.of(0x2f, 0x70, 0xff)))).toEqual({ argv: given, bytesLost: true }); // too few words
  });

  it('reads no cmdline when no argument holds U+FFFD', () => {
    expect(recoverArguments(['8000', '--dry-run'], undefined)).toEqual({ argv: ['8000', '--dry-run'], bytesLost: false });
  });
});

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
    // Not told (tests, a caller's own argv): a U+FFFD is a character like any other.
    expect((await claimInProcess([String(port), '--dry-run', '--registry', '/nonexistent/p\uFFFD.yaml'], { port })).code).toBe(0);
  });
});

/** How the bin is started: the built one, and its sources under tsx with node options and `--` before the script. */
const BINS: [string, string[]][] = [
  ['the built bin', [BIN]],
  ['the source under tsx', ['--conditions=development', '--import', 'tsx', '--', join(repoRoot, 'packages/claim-port/src/bin.ts')]],
];

/**
 * Run `node ...nodeArgs ...args` where a Buffer argument is passed as its own
 * bytes (spawn() would encode a string as UTF-8): the shell's printf makes them.
 */
function runBytes(nodeArgs: readonly string[], args: readonly (string | Buffer)[]) {
  const plain: string[] = [process.execPath, ...nodeArgs];
  const words = plain.map((_, index) => `"\${${index + 1}}"`);
  for (const arg of args) {
    if (typeof arg === 'string') {
      plain.push(arg);
      words.push(`"\${${plain.length}}"`);
    } else {
      words.push(`"$(printf '%b' '${[...arg].map((byte) => `\\0${byte.toString(8).padStart(3, '0')}`).join('')}')"`);
    }
  }
  const run = spawnSync('/bin/sh', ['-c', `exec ${words.join(' ')}`, 'sh', ...plain], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, DSA110_PORTS_CACHE: 'off' },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe.each(BINS)('%s, given a --registry path that is not UTF-8', (_, nodeArgs) => {
  it("opens it by its bytes: the file's claim.protect protects its holder (it used to fall back to the built-in list and would signal it)", async () => {
    const dir = tempDir('claim-port-bytes-');
    const registry = latin1Name(dir, 'p\xf6rts.yaml');
    writeFileSync(registry, 'version: 1\nservices: []\nclaim:\n  protect:\n    processes: ["bytes-guarded"]\n');
    const server = await spawnListener({ name: 'bytes-guarded' });
    guardPort(server.port);
    const run = runBytes(nodeArgs, [String(server.port), '--dry-run', '--registry', registry]);
    expect(run.stderr).toContain(
      `refusing: PID ${server.pid} (bytes-guarded) is protected: its name "bytes-guarded" matches the protected pattern "bytes-guarded"`,
    );
    expect(run.stderr).not.toMatch(/warning|would send/);
    expect(run.code).toBe(1);
    expect(isAlive(server.pid)).toBe(true);
  });

  it('prints it escaped, \\xf6, never U+FFFD: a missing file warns (a port) or is a usage error (a service id), as a UTF-8 path does', () => {
    const dir = tempDir('claim-port-bytes-');
    const missing = latin1Name(dir, 'p\xf6rts.yaml');
    const port = leasePort();
    guardPort(port);
    expect(runBytes(nodeArgs, [String(port), '--registry', missing])).toEqual({
      code: 0,
      stdout: '',
      stderr:
        `[claim-port:${port}] warning: ${dir}/p\\xf6rts.yaml: cannot read the registry (from --registry): no such file; check the path; using the built-in protected list\n` +
        `[claim-port:${port}] port ${port} is free; nothing to do\n`,
    });
    const byId = runBytes(nodeArgs, ['api', '--dry-run', '--registry', missing, '--json']);
    expect(byId.code).toBe(64);
    expect(byId.stderr).toBe(
      `[claim-port:api] error: cannot resolve service "api": ${dir}/p\\xf6rts.yaml: cannot read the registry (from --registry): no such file; check the path\n`,
    );
    expect(byId.stdout).not.toContain('\uFFFD');
    expect(JSON.parse(byId.stdout).error.message).toContain(`${dir}/p\\xf6rts.yaml`);
  });

  it('refuses it (64, one line) when the bytes cannot be read back (a preload rewrote the cmdline), never falling back to the built-in list', () => {
    const dir = tempDir('claim-port-bytes-');
    const registry = latin1Name(dir, 'p\xf6rts.yaml');
    writeFileSync(registry, 'version: 1\nservices: []\n');
    const port = leasePort();
    guardPort(port);
    const retitled = ['--import', "data:text/javascript,process.title='claim-port'", ...nodeArgs];
    expect(runBytes(retitled, [String(port), '--registry', registry])).toEqual({
      code: 64,
      stdout: '',
      stderr:
        `[claim-port:${port}] error: --registry "${dir}/p\\ufffdrts.yaml": the path is not UTF-8 (\\ufffd: bytes Node could not decode) and its bytes ` +
        'could not be read back from /proc/self/cmdline, so the file cannot be opened; give it a UTF-8 name (or a symlink with one)\n',
    });
  });
});
