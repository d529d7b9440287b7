// Paths that are not UTF-8 (src/bin.ts, cli.ts' pathRefusal). Node decodes
// argv and the environment as UTF-8, each byte that is not UTF-8 becoming
// U+FFFD: `--registry /etc/p\xffrts.yaml` named no file (or another file, one
// really named with U+FFFD), and `--output r\xffport.prom` wrote another
// file. The bin reads the bytes back from /proc/self/cmdline and environ
// (@dsa110/ports/cli); where it cannot, such a path is refused (64). The bin
// runs from its sources as a real process, with real bytes in its argv.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { leasePort } from '../../../test-support/test-port.js';
import { bytePath, fromSource, runWithBytes } from '../../../test-support/raw-bytes.js';
import { parseArgs } from '../src/args.js';
import { registryText, tempDir } from './helpers.js';

const BIN = fromSource('packages/port-health-check/src/bin.ts');
const cleanEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', DSA110_PORTS_CACHE: 'off' };

/** A registry of one service named `id`, which no other registry holds, at a path that ends in the byte 0xf6. */
function registryWithByte(id: string) {
  const dir = tempDir('phc-bytes-');
  const path = bytePath(dir, 'p\xf6rts.yaml');
  writeFileSync(path, registryText([{ id, port: leasePort() }]));
  return { dir, path };
}

/** The ids the JSON report checked. */
const checkedIds = (stdout: string) => (JSON.parse(stdout) as { services: { id: string }[] }).services.map((service) => service.id);

describe('port-health-check, given paths that are not UTF-8', () => {
  it('--registry: checks that file, by its bytes (it used to say "cannot read the registry" about the U+FFFD name, exit 3)', () => {
    const { dir, path } = registryWithByte('bytes-only');
    const run = runWithBytes(BIN, ['--registry', path, '--json', '--no-firewall', '--root', dir], { env: cleanEnv });
    expect(run.stderr).not.toContain('cannot read');
    expect(checkedIds(run.stdout)).toEqual(['bytes-only']);
    // The text report names it escaped, as every path it prints.
    const text = runWithBytes(BIN, ['--registry', path, '--no-firewall', '--root', dir], { env: cleanEnv });
    expect(text.stdout).toContain(`1 service, ${dir}/p\\xf6rts.yaml, root ${dir}`);
    expect(text.stdout).toContain('bytes-only');
  });

  it('$DSA110_PORTS_FILE: checks that file, by its bytes', () => {
    const { dir, path } = registryWithByte('from-env');
    const run = runWithBytes(BIN, ['--json', '--no-firewall', '--root', dir], { env: { ...cleanEnv, DSA110_PORTS_FILE: path } });
    expect(run.stderr).not.toContain('cannot read');
    expect(checkedIds(run.stdout)).toEqual(['from-env']);
  });

  it('--output: writes exactly that file, nothing at the U+FFFD name', () => {
    const { dir, path: registry } = registryWithByte('written');
    const output = bytePath(dir, 'r\xf6port.prom');
    const run = runWithBytes(BIN, ['--registry', registry, '--format', 'prometheus', '--output', output, '--no-firewall', '--root', dir], { env: cleanEnv });
    expect(run.stderr).not.toContain('cannot write');
    expect(readFileSync(output, 'utf8')).toContain('service="written"');
    expect(
      readdirSync(dir, { encoding: 'buffer' })
        .map((name) => name.toString('latin1'))
        .sort(),
    ).toEqual(['p\xf6rts.yaml', 'r\xf6port.prom']);
  });

  it('refuses a path whose bytes cannot be read back (a preload rewrote the cmdline or the environment): 64, one line, nothing read or written', () => {
    const { dir, path: registry } = registryWithByte('lost');
    const output = bytePath(dir, 'r\xf6port.prom');
    const retitled = ['--import', "data:text/javascript,process.title='port-health-check'", ...BIN];
    const lost = (what: string, shown: string, from: string) =>
      `port-health-check: ${what} "${shown}": the path is not UTF-8 (\\ufffd: bytes Node could not decode) and its bytes could not be read back from ${from}, ` +
      'so the file cannot be opened; give it a UTF-8 name (or a symlink with one)\n';
    expect(runWithBytes(retitled, ['--registry', registry, '--no-firewall'], { env: cleanEnv })).toEqual({
      code: 64,
      stdout: '',
      stderr: lost('--registry', `${dir}/p\\ufffdrts.yaml`, '/proc/self/cmdline'),
    });
    const json = runWithBytes(retitled, ['--output', output, '--json', '--no-firewall'], { env: cleanEnv });
    expect(json.code).toBe(64);
    expect(json.stderr).toBe(lost('--output', `${dir}/r\\ufffdport.prom`, '/proc/self/cmdline'));
    expect(JSON.parse(json.stdout).error.kind).toBe('usage');
    expect(existsSync(output)).toBe(false);
    // The variable, changed after the start (so environ no longer holds its value).
    const changed = [
      '--import',
      `data:text/javascript,${encodeURIComponent(`process.env.DSA110_PORTS_FILE=${JSON.stringify(`${dir}/q\uFFFD.yaml`)}`)}`,
      ...BIN,
    ];
    expect(runWithBytes(changed, ['--no-firewall'], { env: { ...cleanEnv, DSA110_PORTS_FILE: registry } })).toEqual({
      code: 64,
      stdout: '',
      stderr: lost('$DSA110_PORTS_FILE', `${dir}/q\\ufffd.yaml`, '/proc/self/environ'),
    });
  });

  it('refuses a --root that is not UTF-8, even read back (64, one line): the tree under it is read by UTF-8 names', () => {
    const { dir, path: registry } = registryWithByte('rooted');
    const root = bytePath(dir, 'im\xf6g');
    expect(runWithBytes(BIN, ['--registry', registry, '--root', root, '--no-firewall'], { env: cleanEnv })).toEqual({
      code: 64,
      stdout: '',
      stderr: `port-health-check: --root "${dir}/im\\xf6g": the path is not UTF-8, and the unit files, config files and executables under it are read by UTF-8 names; give it a UTF-8 name (or a symlink with one)\n`,
    });
  });
});

describe('parseArgs, given a --claim-port path read back with bytes that are not UTF-8', () => {
  it('compares it as unit files are read (UTF-8, each bad byte a U+FFFD), so it matches the ExecStartPre= that names it', () => {
    const request = parseArgs(['--claim-port', '/opt/cl\udcf6im-port']);
    expect(request.kind === 'run' && request.claimPortPaths).toEqual(['/opt/cl\uFFFDim-port']);
  });
});
