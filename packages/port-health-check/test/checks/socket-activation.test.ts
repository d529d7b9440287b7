// A socket-activated service whose ExecStartPre= also runs claim-port: the
// socket unit makes systemd (PID 1) hold the port, claim-port never signals
// PID 1, so the service can never start. Real unit trees, read by the real
// gather(); systemd-analyze verify confirms each tree is one systemd loads.
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { checkSystemd } from '../../src/checks/systemd.js';
import { gather } from '../../src/gather.js';
import { listenPort } from '@dsa110/ports/systemd';
import { hasCommand } from '../../../../test-support/commands.js';
import { EXECUTABLE, tempDir, testRegistry, writeTree, type TreeEntry } from '../helpers.js';

const CLAIM = '/usr/local/bin/claim-port';
const registry = testRegistry([
  { id: 'api', port: 8000, env: 'CONTIMG_API_PORT', robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] },
  { id: 'worker', port: 9500, robust: true, unit: 'worker@main.service', claim: 'unit', processes: ['python3'] },
]);
const DIR = 'etc/systemd/system';
const API = `${DIR}/dsa110-api.service`;
const service = (...lines: string[]) =>
  `[Unit]\nDescription=api\nDefaultDependencies=no\n\n[Service]\n${lines.join('\n')}\nExecStartPre=+${CLAIM} 8000\nExecStart=/usr/bin/python3 -m api\n`;
const socket = (...lines: string[]) =>
  `[Unit]\nDescription=api socket\nDefaultDependencies=no\n\n[Socket]\n${lines.join('\n')}\n\n[Install]\nWantedBy=sockets.target\n`;
const enabled = (name: string) => ({ [`${DIR}/sockets.target.wants/${name}`]: { symlink: `/${DIR}/${name}` } });

async function run(files: Record<string, TreeEntry>, id = 'api') {
  const root = writeTree(tempDir(), { 'usr/local/bin/claim-port': EXECUTABLE, 'usr/bin/python3': EXECUTABLE, ...files });
  const facts = await gather({ registry, root, firewall: false });
  const results = checkSystemd(facts, registry.service(id));
  return { root, results, socket: results.filter((r) => /socket/.test(r.reason) && r.severity !== 'ok') };
}

const analyze = hasCommand('systemd-analyze', ['--version']);
/** systemd-analyze verify --root: the tree's units load (a socket whose service is missing, or a bad ListenStream=, fails it). */
function verify(root: string, units: string[]) {
  const result = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, ...units], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_LEVEL: 'notice' },
    encoding: 'utf8',
    timeout: 10_000,
  });
  return {
    code: result.status,
    stderr: result.stderr.split('\n').filter((line) => line && !/Cannot find unit for notify-reload|sockets\.target|No such file/.test(line)),
  };
}

describe('socket activation and claim-port', () => {
  it('warns for an enabled socket unit of the same name on the port, naming both units and what to drop', async () => {
    const {
      root,
      results,
      socket: found,
    } = await run({
      [API]: service(),
      [`${DIR}/dsa110-api.socket`]: socket('ListenStream=127.0.0.1:8000'),
      ...enabled('dsa110-api.socket'),
    });
    expect(found).toEqual([
      expect.objectContaining({ check: 'systemd', severity: 'warning', service: 'api', port: 8000, file: `/${DIR}/dsa110-api.socket:6` }),
    ]);
    expect(found[0]!.reason).toBe(
      `api (8000): dsa110-api.socket (same name) listens on ListenStream=127.0.0.1:8000 for dsa110-api.service, and it is enabled (/${DIR}/sockets.target.wants): ` +
        `systemd (PID 1) holds port 8000 for it, and claim-port (ExecStartPre= at /${API}:7) never signals PID 1, so it refuses and dsa110-api.service can never start; ` +
        `drop the claim-port ExecStartPre= at /${API}:7 (systemd hands the socket over, so no stray process can hold the port), or drop the socket unit (remove or \`systemctl mask dsa110-api.socket\`)`,
    );
    // The claim line itself is still judged: the warning comes beside it.
    expect(results.map((r) => r.severity)).toEqual(['ok', 'warning']);
    if (analyze) expect(verify(root, ['dsa110-api.socket', 'dsa110-api.service'])).toEqual({ code: 0, stderr: [] });
  });

  it("warns for a socket unit the service's Sockets= names (starting the service starts it), enabled or not", async () => {
    const { root, socket: found } = await run({
      [API]: service('Sockets=api-http.socket'),
      [`${DIR}/api-http.socket`]: socket('ListenStream=/run/api.sock', 'ListenStream=[::]:8000', 'Service=dsa110-api.service'),
    });
    expect(found.map((r) => [r.severity, r.file])).toEqual([['warning', `/${DIR}/api-http.socket:7`]]);
    expect(found[0]!.reason).toContain(
      `api-http.socket (Sockets= at /${API}:6) listens on ListenStream=[::]:8000 for dsa110-api.service, and dsa110-api.service's Sockets= starts it`,
    );
    if (analyze) expect(verify(root, ['api-http.socket', 'dsa110-api.service'])).toEqual({ code: 0, stderr: [] });
  });

  it('finds a socket unit of another name by its Service=, and one changed by a drop-in', async () => {
    const viaService = await run({
      [API]: service(),
      [`${DIR}/http.socket`]: socket('ListenStream=8000', 'Service=dsa110-api.service'),
      ...enabled('http.socket'),
    });
    expect(viaService.socket.map((r) => r.severity)).toEqual(['warning']);
    expect(viaService.socket[0]!.reason).toContain(`http.socket (Service= at /${DIR}/http.socket:7) listens on ListenStream=8000`);
    const dropIn = await run({
      [API]: service(),
      'usr/lib/systemd/system/dsa110-api.socket': socket('ListenStream=/run/api.sock'),
      [`${DIR}/dsa110-api.socket.d/port.conf`]: '[Socket]\nListenStream=0.0.0.0:8000%%lo\n',
      ...enabled('dsa110-api.socket'),
    });
    expect(dropIn.socket.map((r) => [r.severity, r.file])).toEqual([['warning', `/${DIR}/dsa110-api.socket.d/port.conf:2`]]);
  });

  it('finds an enabled instance of a template socket unit by its Service= (http@8000.socket from http@.socket), and not the template alone', async () => {
    const template = { [API]: service(), [`${DIR}/http@.socket`]: socket('ListenStream=%i', 'Service=dsa110-api.service') };
    const instance = await run({ ...template, [`${DIR}/sockets.target.wants/http@8000.socket`]: { symlink: `/${DIR}/http@.socket` } });
    expect(instance.socket.map((r) => [r.severity, r.file])).toEqual([['warning', `/${DIR}/http@.socket:6`]]);
    expect(instance.socket[0]!.reason).toContain(
      `http@8000.socket (Service= at /${DIR}/http@.socket:7) listens on ListenStream=8000 for dsa110-api.service, and it is enabled (/${DIR}/sockets.target.wants)`,
    );
    if (analyze) expect(verify(instance.root, ['http@8000.socket', 'dsa110-api.service'])).toEqual({ code: 0, stderr: [] });
    // An instance on another port, and the template with no instance enabled: nothing listens on 8000 for it.
    const otherPort = await run({ ...template, [`${DIR}/sockets.target.wants/http@8001.socket`]: { symlink: `/${DIR}/http@.socket` } });
    expect(otherPort.socket).toEqual([]);
    expect((await run(template)).socket).toEqual([]);
  });

  // systemd reads a port as strtoul() does (hex, a leading 0 octal, 0o and 0b, a + sign): 8000 is 0x1f40, 017500, 0o17500.
  it.each(['0x1f40', '0X1F40', '017500', '0o17500', '+8000', '0.0.0.0:0x1f40', '[::]:017500', '127.0.0.1:+8000'])(
    'warns for an enabled socket unit on the port written ListenStream=%s, as systemd loads it',
    async (value) => {
      const { root, socket: found } = await run({
        [API]: service(),
        [`${DIR}/dsa110-api.socket`]: socket(`ListenStream=${value}`),
        ...enabled('dsa110-api.socket'),
      });
      expect(found.map((r) => [r.severity, r.port, r.file])).toEqual([['warning', 8000, `/${DIR}/dsa110-api.socket:6`]]);
      expect(found[0]!.reason).toContain(`dsa110-api.socket (same name) listens on ListenStream=${value} for dsa110-api.service, and it is enabled`);
      if (analyze) expect(verify(root, ['dsa110-api.socket', 'dsa110-api.service'])).toEqual({ code: 0, stderr: [] });
    },
  );

  it('is info, not a warning, for a socket unit nothing starts (claim-port works until it is started)', async () => {
    const { socket: found } = await run({ [API]: service(), [`${DIR}/dsa110-api.socket`]: socket('ListenStream=8000') });
    expect(found.map((r) => r.severity)).toEqual(['info']);
    expect(found[0]!.reason).toContain('it is not enabled, so claim-port works today, but once dsa110-api.socket is started');
  });

  it('covers an instance: foo@.socket with Accept=yes starts foo@I.service for each connection', async () => {
    const { root, socket: found } = await run(
      {
        [`${DIR}/worker@.service`]: `[Unit]\nDefaultDependencies=no\n[Service]\nExecStartPre=+${CLAIM} 9500\nExecStart=/usr/bin/python3 -m worker\nStandardInput=socket\n`,
        [`${DIR}/worker.socket`]: socket('ListenStream=9500', 'Accept=yes'),
        ...enabled('worker.socket'),
      },
      'worker',
    );
    expect(found.map((r) => r.severity)).toEqual(['warning']);
    expect(found[0]!.reason).toContain('worker.socket (Accept=yes, the template of the same name) listens on ListenStream=9500 for worker@main.service');
    if (analyze) expect(verify(root, ['worker.socket'])).toEqual({ code: 0, stderr: [] });
  });

  it.each<[string, Record<string, TreeEntry>]>([
    ['another port', { [`${DIR}/dsa110-api.socket`]: socket('ListenStream=8001'), ...enabled('dsa110-api.socket') }],
    ['a UNIX socket only', { [`${DIR}/dsa110-api.socket`]: socket('ListenStream=/run/8000'), ...enabled('dsa110-api.socket') }],
    ['UDP on the port (the service is TCP)', { [`${DIR}/dsa110-api.socket`]: socket('ListenDatagram=8000'), ...enabled('dsa110-api.socket') }],
    [
      'a masked socket unit',
      { [`${DIR}/dsa110-api.socket`]: { symlink: '/dev/null' }, 'usr/lib/systemd/system/dsa110-api.socket': socket('ListenStream=8000') },
    ],
    [
      'a drop-in that resets the listen lines',
      {
        [`${DIR}/dsa110-api.socket`]: socket('ListenStream=8000'),
        [`${DIR}/dsa110-api.socket.d/off.conf`]: '[Socket]\nListenStream=\nListenStream=/run/api.sock\n',
        ...enabled('dsa110-api.socket'),
      },
    ],
    [
      'a same-named socket whose Service= is another unit',
      { [`${DIR}/dsa110-api.socket`]: socket('ListenStream=8000', 'Service=other.service'), ...enabled('dsa110-api.socket') },
    ],
    ['a socket of another service on the port (not this wiring)', { [`${DIR}/other.socket`]: socket('ListenStream=8000'), ...enabled('other.socket') }],
  ])('says nothing for %s', async (_, files) => {
    const { socket: found } = await run({ [API]: service(), ...files });
    expect(found).toEqual([]);
  });

  it('says nothing about sockets when the unit has no claim line (that is its own error)', async () => {
    const { results } = await run({
      [API]: '[Service]\nExecStart=/usr/bin/python3 -m api\n',
      [`${DIR}/dsa110-api.socket`]: socket('ListenStream=8000'),
      ...enabled('dsa110-api.socket'),
    });
    expect(results.map((r) => r.severity)).toEqual(['error']);
    expect(results[0]!.reason).not.toContain('socket');
  });

  it.each([
    ['8000', 8000],
    [' 8000 ', 8000],
    ['127.0.0.1:8000', 8000],
    ['[::1]:8000', 8000],
    ['[fe80::1]:8000%eth0', 8000],
    // systemd reads no server name (`#`) in a socket address: it ignores the line.
    ['0.0.0.0:8000#name', undefined],
    ['/run/x.sock', undefined],
    ['@abstract:8000', undefined],
    ['vsock:2:8000', undefined],
    ['0', undefined],
    ['70000', undefined],
    ['localhost:8000', undefined],
  ])('listenPort(%j) is %j, as systemd parses a socket address', (value, port) => {
    expect(listenPort(value)).toBe(port);
  });
});

describe('a listen line of such a socket unit that systemd ignores', () => {
  it('is a warning at its value (file:line:col), naming it and why, with what to write; as systemd-analyze verify ignores exactly those lines', async () => {
    const lines = [
      'ListenStream=/run/api.sock',
      'ListenStream=08000',
      'ListenStream = 0.0.0.0:8000#x',
      'ListenDatagram=8000%1',
      'ListenStream=::1',
      'ListenStream=[::1]:9000',
    ];
    const { root, results } = await run({ [API]: service(), [`${DIR}/dsa110-api.socket`]: socket(...lines), ...enabled('dsa110-api.socket') });
    const ignored = results.filter((result) => result.reason.includes('systemd ignores'));
    // No conflict with the claim of port 8000: a line systemd ignores listens on nothing (08 is no octal number).
    expect(results.filter((result) => /socket/.test(result.reason) && result.severity !== 'ok')).toEqual(ignored);
    const at = `/${DIR}/dsa110-api.socket`;
    expect(ignored.map((result) => [result.check, result.severity, result.file])).toEqual([
      ['systemd', 'warning', `${at}:7:14`],
      ['systemd', 'warning', `${at}:8:16`],
      ['systemd', 'warning', `${at}:9:16`],
      ['systemd', 'warning', `${at}:10:14`],
    ]);
    const said = 'systemd reads no address in it ("Failed to parse address value", as systemd-analyze verify logs it)';
    expect(ignored.map((result) => result.reason)).toEqual([
      `api (8000): dsa110-api.socket (same name): systemd ignores ListenStream=08000: ${said}: a port with a leading 0 is octal to systemd, and 08000 has an 8 or 9, so dsa110-api.socket does not listen there; write ListenStream=8000`,
      `api (8000): dsa110-api.socket (same name): systemd ignores ListenStream=0.0.0.0:8000#x: ${said}: systemd takes no #NAME after a listen address, so dsa110-api.socket does not listen there; write ListenStream=0.0.0.0:8000`,
      `api (8000): dsa110-api.socket (same name): systemd ignores ListenDatagram=8000%1: systemd knows no specifier %1 ("Failed to resolve unit specifiers", as systemd-analyze verify logs it; a % meant as itself is written %%), so dsa110-api.socket does not listen there; write a port (ListenDatagram=8000), an IPv4 address and port (ListenDatagram=127.0.0.1:8000) or an IPv6 one in brackets (ListenDatagram=[::]:8000)`,
      `api (8000): dsa110-api.socket (same name): systemd ignores ListenStream=::1: ${said}: an IPv6 address takes brackets and a port ([::1]:8000), so dsa110-api.socket does not listen there; write a port (ListenStream=8000), an IPv4 address and port (ListenStream=127.0.0.1:8000) or an IPv6 one in brackets (ListenStream=[::]:8000)`,
    ]);
    if (analyze) {
      // systemd's view: the lines it logs as ignored, at the same file:line.
      const run = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, 'dsa110-api.socket'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_COLOR: '0' },
        encoding: 'utf8',
        timeout: 10_000,
      });
      const logged = run.stderr.split('\n').flatMap((line) => {
        const found = /^(.*):(\d+): [^\n]*, ignoring: /.exec(line);
        return found && found[1] === `${root}${at}` ? [`${at}:${found[2]}`] : [];
      });
      expect(logged).toEqual(ignored.map((result) => result.file!.replace(/:\d+$/, '')));
    }
  });

  it('a value escaped as every file string is; nothing for a line systemd takes', async () => {
    const { results } = await run({ [API]: service(), [`${DIR}/dsa110-api.socket`]: socket('ListenStream=8000\u001b[31m'), ...enabled('dsa110-api.socket') });
    const [ignored] = results.filter((result) => result.reason.includes('systemd ignores'));
    expect(ignored!.reason).toContain('systemd ignores ListenStream=8000\\e[31m: ');
    const taken = await run({ [API]: service(), [`${DIR}/dsa110-api.socket`]: socket('ListenStream=127.0.0.1:9000', 'ListenStream=/run/a.sock') });
    expect(taken.results.filter((result) => result.reason.includes('systemd ignores'))).toEqual([]);
  });
});

describe('a listen line of such a socket unit with a host specifier (%H, %l), which systemd resolves from the machine', () => {
  it('is unknown at its value (file:line:col), naming the specifier and what to write; systemd takes or ignores such a line by the host it runs on', async () => {
    const lines = ['ListenStream=%H:8000', 'ListenStream=[fe80::1]:8000%%%l', 'ListenStream=/run/%H.sock', 'ListenStream=127.0.0.1:9000'];
    const { root, results } = await run({ [API]: service(), [`${DIR}/dsa110-api.socket`]: socket(...lines), ...enabled('dsa110-api.socket') });
    const at = `/${DIR}/dsa110-api.socket`;
    const unknown = results.filter((result) => result.severity === 'unknown');
    // Nothing else of the socket: no conflict told from a port that is not known, the UNIX socket and port 9000 not the claim's.
    expect(results.filter((result) => /socket/.test(result.reason) && result.severity !== 'ok')).toEqual(unknown);
    expect(unknown.map((result) => [result.check, result.file])).toEqual([
      ['systemd', `${at}:6:14`],
      ['systemd', `${at}:7:14`],
    ]);
    const fix =
      'cannot be told (where what it makes is no address, systemd ignores the line: "Failed to parse address value", as systemd-analyze verify logs it); ' +
      'write the address literally (ListenStream=127.0.0.1:8000, ListenStream=[::]:8000; a % meant as itself is written %%)';
    expect(unknown.map((result) => result.reason)).toEqual([
      `api (8000): dsa110-api.socket (same name): ListenStream=%H:8000 holds %H, which systemd resolves to the host name and this check does not, so whether dsa110-api.socket listens there, and on which port, ${fix}`,
      `api (8000): dsa110-api.socket (same name): ListenStream=[fe80::1]:8000%%%l holds %l, which systemd resolves to the short host name and this check does not, so whether dsa110-api.socket listens there, and on which port, ${fix}`,
    ]);
    if (analyze) {
      // systemd's view: each line as this machine makes it (its host name in it), an address or not by that name alone.
      const verified = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, 'dsa110-api.socket'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SYSTEMD_LOG_COLOR: '0' },
        encoding: 'utf8',
        timeout: 10_000,
      });
      const logged = verified.stderr.split('\n').flatMap((line) => {
        const found = /^(.*):(\d+): Failed to parse address value in '(.*)', ignoring/.exec(line);
        return found && found[1] === `${root}${at}` ? [[Number(found[2]), found[3]]] : [];
      });
      expect(logged).toEqual([
        [6, `${hostname()}:8000`],
        [7, `[fe80::1]:8000%${hostname().split('.')[0]}`],
      ]);
    }
  });
});
