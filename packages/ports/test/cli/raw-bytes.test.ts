// Paths that are not UTF-8 (src/cli/ports.ts, main.ts' pathRefusal). Node
// decodes argv and the environment as UTF-8, each byte that is not UTF-8
// becoming U+FFFD: `ports validate --registry /etc/p\xffrts.yaml` named no
// file (or another file, one really named with U+FFFD). The bin reads the
// bytes back from /proc/self/cmdline and environ (cli-kit/argv.ts); where it
// cannot, such a path is refused (64). The bin runs from its sources as a real
// process, with real bytes in its argv.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytePath, fromSource, runWithBytes } from '../../../../test-support/raw-bytes.js';
import { tempDir } from './helpers.js';

const BIN = fromSource('packages/ports/src/cli/ports.ts');
const cleanEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', DSA110_PORTS_CACHE: 'off' };

/** A registry of one service, `bytes-only` on port 18431, at a path that ends in the byte 0xf6. */
function registryWithByte() {
  const dir = tempDir('ports-bytes-');
  const path = bytePath(dir, 'p\xf6rts.yaml');
  const service = {
    id: 'bytes-only',
    name: 'Bytes only',
    group: 'production',
    port: 18431,
    protocol: 'TCP',
    access: 'localhost',
    configuredBy: 'none',
    robust: false,
    processes: ['node'],
  };
  writeFileSync(path, JSON.stringify({ version: 1, services: [service], reserved: [] }));
  return { dir, path };
}

describe('ports, given paths that are not UTF-8', () => {
  it('validate --registry PATH and validate FILE read that file, by its bytes, and name it escaped (they used to find no such file)', () => {
    const { dir, path } = registryWithByte();
    const ok = { code: 0, stdout: `${dir}/p\\xf6rts.yaml: ok (1 service, 0 reserved entries)\n`, stderr: '' };
    expect(runWithBytes(BIN, ['validate', '--registry', path], { env: cleanEnv })).toEqual(ok);
    expect(runWithBytes(BIN, ['validate', path], { env: cleanEnv })).toEqual(ok);
  });

  it('$DSA110_PORTS_FILE: get reads that file, by its bytes', () => {
    const { path } = registryWithByte();
    expect(runWithBytes(BIN, ['get', 'bytes-only'], { env: { ...cleanEnv, DSA110_PORTS_FILE: path } })).toEqual({ code: 0, stdout: '18431\n', stderr: '' });
  });

  it("shows a service's port override that is not UTF-8 by its bytes, \\xff, never U+FFFD (it only read $DSA110_PORTS_FILE back)", () => {
    expect(runWithBytes(BIN, ['get', 'api'], { env: { ...cleanEnv, CONTIMG_API_PORT: Buffer.from([0x38, 0x30, 0xff, 0xfe]) } })).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'ports get: CONTIMG_API_PORT="80\\xff\\xfe" cannot be used for service "api": it is not a plain decimal integer; give a plain decimal port 1-65535 or unset CONTIMG_API_PORT\n',
    });
  });

  it('refuses a path whose bytes cannot be read back (a preload rewrote the cmdline or the environment): 64, one line and the pointer to --help', () => {
    const { dir, path } = registryWithByte();
    const lost = (what: string, shown: string, from: string) =>
      `${what} "${shown}": the path is not UTF-8 (\\ufffd: bytes Node could not decode) and its bytes could not be read back from ${from}, ` +
      'so the file cannot be opened; give it a UTF-8 name (or a symlink with one)';
    const retitled = ['--import', "data:text/javascript,process.title='ports'", ...BIN];
    expect(runWithBytes(retitled, ['validate', '--registry', path], { env: cleanEnv })).toEqual({
      code: 64,
      stdout: '',
      stderr: `ports validate: ${lost('--registry', `${dir}/p\\ufffdrts.yaml`, '/proc/self/cmdline')}\nRun "ports validate --help" for usage.\n`,
    });
    expect(runWithBytes(retitled, ['validate', path], { env: cleanEnv })).toEqual({
      code: 64,
      stdout: '',
      stderr: `ports validate: ${lost('FILE', `${dir}/p\\ufffdrts.yaml`, '/proc/self/cmdline')}\nRun "ports validate --help" for usage.\n`,
    });
    const changed = [
      '--import',
      `data:text/javascript,${encodeURIComponent(`process.env.DSA110_PORTS_FILE=${JSON.stringify(`${dir}/q\uFFFD.yaml`)}`)}`,
      ...BIN,
    ];
    for (const command of [['get', 'bytes-only'], ['validate']]) {
      expect(runWithBytes(changed, command, { env: { ...cleanEnv, DSA110_PORTS_FILE: path } })).toEqual({
        code: 64,
        stdout: '',
        stderr: `ports: ${lost('$DSA110_PORTS_FILE', `${dir}/q\\ufffd.yaml`, '/proc/self/environ')}\nRun "ports ${command[0]} --help" for usage.\n`,
      });
    }
  });

  it('refuses, even read back, a directory it writes a tree under, and a path it writes into unit files (64): they must be UTF-8', () => {
    const { dir, path } = registryWithByte();
    const out = bytePath(dir, 'dep\xf6loy');
    const refusal = (command: string, what: string, why: string) => ({
      code: 64,
      stdout: '',
      stderr: `ports ${command}: ${what} "${dir}/dep\\xf6loy": the path is not UTF-8, and ${why}; give it a UTF-8 name (or a symlink with one)\nRun "ports ${command} --help" for usage.\n`,
    });
    expect(runWithBytes(BIN, ['monitoring', '--registry', path, '--out', out], { env: cleanEnv })).toEqual(
      refusal('monitoring', '--out', 'the files under it are written by UTF-8 names'),
    );
    expect(runWithBytes(BIN, ['systemd', '--registry', path, '--root', dir, '--claim-port', out], { env: cleanEnv })).toEqual(
      refusal('systemd', '--claim-port', 'it is written into unit files, and systemd ignores an assignment that is not UTF-8'),
    );
  });

  it('ports systemd: a registry under a directory named by bytes that are not UTF-8 is refused as not UTF-8 (64), never as a lone surrogate', () => {
    const dir = tempDir('ports-bytes-');
    const registry = Buffer.concat([bytePath(dir, '\xff\xfe'), Buffer.from('/ports.yaml')]);
    mkdirSync(bytePath(dir, '\xff\xfe'));
    writeFileSync(registry, readFileSync(registryWithByte().path));
    // systemd-analyze verify 252 of a claim line naming it: "String is not UTF-8 clean, ignoring assignment".
    const refusal = (origin: string) => ({
      code: 64,
      stdout: '',
      stderr:
        `ports systemd: the registry path "${dir}/\\xff\\xfe/ports.yaml" (${origin}) cannot go into the units: it is not valid UTF-8 (the bytes \\xff\\xfe), ` +
        'and systemd ignores a unit file line that is not ("String is not UTF-8 clean, ignoring assignment"); give a path that is UTF-8 (a symbolic link with a UTF-8 name will do)\n' +
        'Run "ports systemd --help" for usage.\n',
    });
    expect(runWithBytes(BIN, ['systemd', '--registry', registry, '--out', `${dir}/units`], { env: cleanEnv })).toEqual(refusal('from --registry'));
    expect(runWithBytes(BIN, ['systemd', '--out', `${dir}/units`], { env: { ...cleanEnv, DSA110_PORTS_FILE: registry } })).toEqual(
      refusal('from $DSA110_PORTS_FILE'),
    );
  });
});
