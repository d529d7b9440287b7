// The port of a ListenStream=/ListenDatagram= line as systemd reads it. Every
// expectation here is what systemd 252 (252.38-1~deb12u1, glibc 2.36) loaded
// for that line in `systemd-analyze verify --root` with SYSTEMD_LOG_LEVEL=debug
// (its dump of the unit: `ListenStream: [::]:18000`, or the line ignored);
// the last block runs that again where systemd-analyze is installed.
// Not held here: with glibc 2.38 or later, strtoul() also takes `0b` after a
// sign (`+0b100`), which glibc 2.36 and so systemd 252 on Debian 12 refuse.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseIpPort } from '../../src/systemd/ip-port.js';
import { listenPort, parseSocketUnit } from '../../src/systemd/socket-units.js';
import { hasCommand } from '../../../../test-support/index.js';
import { tempDir, writeTree } from '../../../../test-support/tree.js';

/** A port alone, as parse_ip_port() reads it (after `:`, or the whole value). */
const PORTS: readonly (readonly [string, number | undefined])[] = [
  ['18000', 18000],
  ['65535', 65535],
  // strtoul() with base 0: hex, and a leading 0 is octal.
  ['0x4650', 18000],
  ['0X4650', 18000],
  ['0xffff', 65535],
  ['0x0000004650', 18000],
  ['043120', 18000],
  // systemd's own prefixes (mangle_base, systemd 252 NEWS), strtoul() taking white space and a sign after them.
  ['0o43120', 18000],
  ['0O43120', 18000],
  ['0b100011001010000', 18000],
  ['0B100', 4],
  ['0o+43120', 18000],
  ['0o 43120', 18000],
  ['0b 100', 4],
  // A sign: + is taken, - is out of range (and -0 is 0).
  ['+18000', 18000],
  ['+0x4650', 18000],
  ['\v18000', 18000],
  ['-18000', undefined],
  ['-0x4650', undefined],
  ['-0', undefined],
  ['0o-1', undefined],
  ['+-18000', undefined],
  ['+0o43120', undefined],
  ['+0b100', undefined],
  // 0 is no port; out of range, however far.
  ['0', undefined],
  ['00', undefined],
  ['+0', undefined],
  ['0x0', undefined],
  ['0o0', undefined],
  ['0o-0', undefined],
  ['65536', undefined],
  ['0x10000', undefined],
  ['4294985296', undefined],
  ['18446744073709569616', undefined],
  // Not a number to strtoul(), or not all of it.
  ['', undefined],
  [' 18000', undefined],
  ['\t18000', undefined],
  ['0x', undefined],
  ['0o', undefined],
  ['0b', undefined],
  ['08', undefined],
  ['018000', undefined],
  ['00018000', undefined],
  ['0x+4650', undefined],
  ['0x-1', undefined],
  ['0x 4650', undefined],
  ['00x4650', undefined],
  ['0x4650x', undefined],
  ['1_8000', undefined],
  ['18000.0', undefined],
  ['1e4', undefined],
  ['١٨٠٠٠', undefined],
  ['٠', undefined],
  ['１８０００', undefined],
];

/** A whole ListenStream= value (after specifiers: `%lo` is written `%%lo`), as socket_address_parse() reads it. */
const VALUES: readonly (readonly [string, number | undefined])[] = [
  ['18000', 18000],
  ['0x4650', 18000],
  ['043120', 18000],
  ['+18000', 18000],
  // The unit file's value is trimmed, so white space around a port alone is dropped.
  [' 18000', 18000],
  ['18000 ', 18000],
  ['\t18000', 18000],
  ['\v18000', 18000],
  ['0.0.0.0:18000', 18000],
  ['[::]:18000', 18000],
  ['127.0.0.1:18000', 18000],
  ['[::]:0x4650', 18000],
  ['0.0.0.0:0x4650', 18000],
  ['0.0.0.0:043120', 18000],
  ['[::1]:043120', 18000],
  ['127.0.0.1:+18000', 18000],
  ['127.0.0.1:0o43120', 18000],
  ['[::1]:+0x4650', 18000],
  ['[::ffff:127.0.0.1]:0x4650', 18000],
  ['[1:2:3:4:5:6:7::]:18000', 18000],
  ['[::]:0b100', 4],
  // An interface after `%` (systemd looks it up: `lo` is on every machine).
  ['127.0.0.1:0x4650%lo', 18000],
  ['[fe80::1]:18000%lo', 18000],
  ['[fe80::1]:0x4650%lo', 18000],
  // Refused, so ignored.
  ['-18000', undefined],
  ['0', undefined],
  ['65536', undefined],
  ['0x', undefined],
  ['08', undefined],
  ['1_8000', undefined],
  ['١٨٠٠٠', undefined],
  ['18000.0', undefined],
  ['127.0.0.1: 18000', undefined],
  ['127.0.0.1:-1', undefined],
  ['127.0.0.1:0', undefined],
  ['[::]:0', undefined],
  ['127.0.0.1:0x', undefined],
  ['127.0.0.1:08', undefined],
  ['[::]:0x10000', undefined],
  ['0.0.0.0:-0', undefined],
  ['127.0.0.1:', undefined],
  ['[::]:', undefined],
  ['18000%lo', undefined],
  ['0x4650%lo', undefined],
  ['[fe80::1%lo]:18000', undefined],
  ['127.0.0.1:18000%all', undefined],
  ['18000#x', undefined],
  ['127.0.0.1:18000#x', undefined],
  ['::1', undefined],
  ['::1:18000', undefined],
  ['1.2.3.4', undefined],
  ['999.1.1.1:18000', undefined],
  ['01.2.3.4:18000', undefined],
  ['127.000.000.001:18000', undefined],
  ['127.1:18000', undefined],
  ['0x7f.1:18000', undefined],
  ['[1.2.3.4]:18000', undefined],
  ['[::ffff:1.2.3.04]:18000', undefined],
  ['[1::2::3]:18000', undefined],
  ['18000:', undefined],
  [':18000', undefined],
  ['127.0.0.1::18000', undefined],
  ['[::]18000', undefined],
  ['[::]:18000:', undefined],
  ['localhost:18000', undefined],
  // Not IP at all.
  ['vsock:2:0x4650', undefined],
  ['/run/x.sock', undefined],
  ['@abstract', undefined],
];

/**
 * A ListenStream= value as written in unit `p<index>.socket`, specifiers and
 * all: systemd resolves them over the whole value before it parses the
 * address, so `%` before an interface is a specifier unless written `%%`.
 */
const WRITTEN: readonly (readonly [string, number | undefined])[] = [
  // `%e` and `%1` are no specifiers systemd knows: "Failed to resolve unit specifiers ... Invalid slot", the line ignored.
  ['[fe80::1]:8000%eth0', undefined],
  ['[::1]:8000%1', undefined],
  // `%l` is the host name (`0.0.0.0:8000vmo` on the machine these were read on): not known here, so no port.
  ['0.0.0.0:8000%lo', undefined],
  ['0.0.0.0:8000%%lo', 8000],
  // `%n` is the unit's name: `8000p4.socket`.
  ['8000%n', undefined],
];

describe('parseIpPort', () => {
  it.each(PORTS)('%j is %j', (text, port) => {
    expect(parseIpPort(text)).toBe(port);
  });

  it('names itself for a value that is not a string', () => {
    expect(() => (parseIpPort as (text: unknown) => unknown)(18000)).toThrow(TypeError);
    expect(() => (parseIpPort as (text: unknown) => unknown)(18000)).toThrow(/^parseIpPort: text must be/);
  });
});

describe('listenPort', () => {
  it.each(VALUES)('%j is %j', (value, port) => {
    expect(listenPort(value)).toBe(port);
  });
});

describe('parseSocketUnit reads a listen line', () => {
  it.each(WRITTEN.map(([value, port], index) => [value, port, index] as const))('%j as written is %j', (value, port, index) => {
    const unit = `p${index}.socket`;
    const { listens } = parseSocketUnit({
      unit,
      file: { path: `/etc/systemd/system/${unit}`, text: `[Socket]\nListenStream=${value}\n` },
      dropIns: [],
      problems: [],
    });
    expect(listens.map((listen) => listen.port)).toEqual([port]);
  });

  it('names a host specifier it cannot resolve, and resolves those PID 1 fixes', () => {
    const socket = (value: string) =>
      parseSocketUnit({
        unit: 'a.socket',
        file: { path: '/etc/systemd/system/a.socket', text: `[Socket]\nListenStream=${value}\n` },
        dropIns: [],
        problems: [],
      }).listens[0]!;
    expect(socket('0.0.0.0:8000%lo')).toMatchObject({ value: '0.0.0.0:8000%lo', unresolved: '%l' });
    expect(socket('0.0.0.0:8000%lo').port).toBeUndefined();
    expect(socket('%t/a.sock')).toEqual(expect.objectContaining({ value: '/run/a.sock' }));
    expect(socket('%t/a.sock').unresolved).toBeUndefined();
    // Left to the machine: quoted as the file says it, not half expanded (`%%` is `%` only once `%l` is too).
    expect(socket('[fe80::1]:8000%%%l')).toMatchObject({ value: '[fe80::1]:8000%%%l', unresolved: '%l' });
    // A UNIX socket has no port to leave to the machine.
    expect(socket('%t/%H.sock')).toMatchObject({ value: expect.stringMatching(/^\/run\/.*\.sock$/) });
    expect(socket('%t/%H.sock').unresolved).toBeUndefined();
  });
});

/** The one listen line of a socket unit holding `ListenStream=VALUE` (as written), as parseSocketUnit reads it. */
function socketListen(value: string, before = '') {
  return parseSocketUnit({
    unit: 'a.socket',
    file: { path: '/etc/systemd/system/a.socket', text: `[Socket]\n${before}ListenStream=${value}\n` },
    dropIns: [],
    problems: [],
  }).listens[0]!;
}

describe('parseSocketUnit says which listen lines systemd ignores, and why, at the value', () => {
  it('a leading 0 (octal to systemd), a port beyond 65535, #NAME, an unbracketed IPv6 address, an unknown specifier', () => {
    expect(socketListen('08000').ignored).toBe(
      'systemd reads no address in it ("Failed to parse address value", as systemd-analyze verify logs it): a port with a leading 0 is octal to systemd, and 08000 has an 8 or 9',
    );
    expect(socketListen('70000').ignored).toMatch(/: port 70000 is beyond 65535$/);
    expect(socketListen('0.0.0.0:8000#x').ignored).toMatch(/: systemd takes no #NAME after a listen address$/);
    expect(socketListen('::1').ignored).toMatch(/: an IPv6 address takes brackets and a port \(\[::1\]:8000\)$/);
    expect(socketListen('8000%1')).toMatchObject({
      value: '8000%1',
      ignored: 'systemd knows no specifier %1 ("Failed to resolve unit specifiers", as systemd-analyze verify logs it; a % meant as itself is written %%)',
    });
    // Taken: a port (octal 010000 is 4096), an address and port; no port, and not ignored: a UNIX socket, a host specifier only the machine resolves.
    for (const value of ['8000', '010000', '[::]:8000', '/run/a.sock', '@a', '0.0.0.0:8000%lo']) expect(socketListen(value).ignored, value).toBeUndefined();
  });

  it('places the value: its column after Key= and blanks, in characters', () => {
    expect(socketListen('08000').column).toBe(14);
    expect(socketListen('08000', '# é ü\n').column).toBe(14);
    const spaced = parseSocketUnit({
      unit: 'a.socket',
      file: { path: '/a.socket', text: '\ufeff[Socket]\n  ListenStream =\t é08000\n' },
      dropIns: [],
      problems: [],
    }).listens[0]!;
    expect(spaced).toMatchObject({ line: 2, column: 19 });
  });
});

const analyze = hasCommand('systemd-analyze', ['--version']);

/** systemd-analyze verify's output (stdout and stderr, at debug level) over `p<N>.socket` units of one ListenStream= value each. */
function verify(values: readonly string[], asWritten: boolean): { output: string; stderr: string } {
  const dir = 'etc/systemd/system';
  const files: Record<string, string> = {};
  values.forEach((value, index) => {
    files[`${dir}/p${index}.socket`] = `[Socket]\nListenStream=${asWritten ? value : value.replaceAll('%', '%%')}\n`;
    files[`${dir}/p${index}.service`] = '[Service]\nExecStart=/bin/true\n';
  });
  const root = writeTree(tempDir('dsa110-ip-port-'), files);
  const run = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, ...values.map((_, index) => `p${index}.socket`)], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'debug', SYSTEMD_LOG_COLOR: '0' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  return { output: `${run.stdout}\n${run.stderr}`, stderr: run.stderr };
}

/** The port systemd-analyze's dump shows for each `p<N>.socket` (undefined: no IP listen loaded), of one ListenStream= value each. */
function loadedPorts(values: readonly string[], asWritten = false): (number | undefined)[] {
  const run = verify(values, asWritten);
  const listens = new Map<string, string>();
  let unit: string | undefined;
  for (const line of run.output.split('\n')) {
    const header = /^\t-> Unit (\S+):$/.exec(line);
    if (header) unit = header[1];
    const listen = /^\t\tListenStream: (.*)$/.exec(line);
    if (listen && unit && !listens.has(unit)) listens.set(unit, listen[1]!);
  }
  expect(listens.size, `systemd-analyze loaded no socket unit:\n${run.stderr.slice(-2000)}`).toBeGreaterThan(0);
  return values.map((_, index) => {
    const address = listens.get(`p${index}.socket`);
    const port = address === undefined || /^[/@]|^vsock:/.test(address) ? undefined : /:(\d+)(?:%[^:\]]*)?$/.exec(address)?.[1];
    return port === undefined ? undefined : Number(port);
  });
}

describe.skipIf(!analyze)(
  `systemd-analyze loads the same ports (${analyze ? 'systemd-analyze installed' : 'skipped: systemd-analyze is not installed'})`,
  () => {
    it('for each whole ListenStream= value', () => {
      const values = VALUES.map(([value]) => value);
      const loaded = loadedPorts(values);
      expect(values.map((value, index) => [value, loaded[index]])).toEqual(VALUES.map(([value, port]) => [value, port]));
    }, 60_000);

    it('for each ListenStream= value as written, specifiers and all', () => {
      const values = WRITTEN.map(([value]) => value);
      const loaded = loadedPorts(values, true);
      expect(values.map((value, index) => [value, loaded[index]])).toEqual(WRITTEN.map(([value, port]) => [value, port]));
    }, 60_000);

    it('and ignores the lines it logs as ignored ("..., ignoring"), each with why, and no other (one the machine resolves is its own)', () => {
      // As written: VALUES with each % doubled (a % meant as itself), and WRITTEN with its specifiers.
      const written = [...VALUES.map(([value]) => value.replaceAll('%', '%%')), ...WRITTEN.map(([value]) => value)];
      const run = verify(written, true);
      const logged = new Set([...run.output.matchAll(/\/p(\d+)\.socket:2: [^\n]*, ignoring/g)].map((match) => Number(match[1])));
      const listens = written.map((value) => socketListen(value));
      const told = written.map((_, index) => index).filter((index) => listens[index]!.unresolved === undefined);
      expect(told.map((index) => [written[index], listens[index]!.ignored !== undefined])).toEqual(told.map((index) => [written[index], logged.has(index)]));
      // systemd's own words lead each reason.
      for (const index of told.filter((each) => logged.has(each)))
        expect(listens[index]!.ignored).toMatch(
          /^systemd (?:reads no address in it \("Failed to parse address value"|knows no specifier %. \("Failed to resolve unit specifiers")/,
        );
    }, 60_000);

    it('for each port after 127.0.0.1: (where the unit file trims nothing off)', () => {
      const ports = PORTS.filter(([text]) => text.trimEnd() === text);
      const loaded = loadedPorts(ports.map(([text]) => `127.0.0.1:${text}`));
      expect(ports.map(([text], index) => [text, loaded[index]])).toEqual(ports.map(([text, port]) => [text, port]));
    }, 60_000);
  },
);
