import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRegistry } from '@dsa110/ports';
import { claimLinesIn, claimPortDropIn, claimPortPathProblem, claimWiring, execStartPreLine, serviceSectionLines, systemdDrift } from '@dsa110/ports/render';
import { parseExec } from '@dsa110/ports/systemd';
import { claimRegistryProblem } from '../../src/systemd/claim-verdict.js';
import { minimalRegistry } from '../helpers.js';

const registry = parseRegistry(minimalRegistry);

describe('claim wiring', () => {
  it('is the contract port-health-check checks: comment, [Service], ExecStartPre=+PATH PORT', () => {
    expect(execStartPreLine(6379)).toBe('ExecStartPre=+/usr/local/bin/claim-port 6379');
    expect(claimPortDropIn(6379, '/opt/bin/claim-port')).toBe(
      '# Generated from ports.yaml by `ports systemd`; edit ports.yaml instead.\n[Service]\nExecStartPre=+/opt/bin/claim-port 6379\n',
    );
    expect(claimWiring(registry).map(({ unit, claim, path, line }) => ({ unit, claim, path, line }))).toEqual([
      { unit: 'redis-server.service', claim: 'drop-in', path: 'redis-server.service.d/claim-port.conf', line: 'ExecStartPre=+/usr/local/bin/claim-port 6379' },
      { unit: 'dsa110-api.service', claim: 'unit', path: 'dsa110-api.service', line: 'ExecStartPre=+/usr/local/bin/claim-port 8000' },
    ]);
  });

  it('writes the transport of a UDP service: claim-port PORT/udp (and nothing extra for TCP)', () => {
    const twins = parseRegistry(readFileSync(new URL('../fixtures/udp-twins.yaml', import.meta.url), 'utf8'));
    expect(claimWiring(twins).map(({ unit, line }) => [unit, line])).toEqual([
      ['resolver-tcp.service', 'ExecStartPre=+/usr/local/bin/claim-port 61053'],
      ['resolver-udp.service', 'ExecStartPre=+/usr/local/bin/claim-port 61053/udp'],
    ]);
    expect(claimPortDropIn(5353, '/opt/bin/claim-port', 'udp')).toContain('\nExecStartPre=+/opt/bin/claim-port 5353/udp\n');
  });

  it('claims by service id the services whose unit sets their port variable (byId), a UDP one without /udp; the others by port', () => {
    const byId = claimWiring(registry, '/opt/bin/claim-port', '/etc/dsa110/ports.yaml', new Set(['redis']));
    expect(byId.map(({ unit, byId, line }) => [unit, byId, line])).toEqual([
      ['redis-server.service', true, 'ExecStartPre=+/opt/bin/claim-port redis --registry /etc/dsa110/ports.yaml'],
      ['dsa110-api.service', false, 'ExecStartPre=+/opt/bin/claim-port 8000 --registry /etc/dsa110/ports.yaml'],
    ]);
    expect(byId[0]!.contents).toBe(claimPortDropIn('redis', '/opt/bin/claim-port', 'tcp', '/etc/dsa110/ports.yaml'));
    expect(byId[0]!.contents).toContain('\nExecStartPre=+/opt/bin/claim-port redis --registry /etc/dsa110/ports.yaml\n');
    // claim-port takes a service id's transport from the registry, and refuses `ID/udp`.
    const twins = parseRegistry(readFileSync(new URL('../fixtures/udp-twins.yaml', import.meta.url), 'utf8'));
    const udp = twins.services.find((service) => service.transport === 'udp')!;
    expect(claimWiring(twins, undefined, undefined, new Set([udp.id])).map(({ line }) => line)).toEqual([
      'ExecStartPre=+/usr/local/bin/claim-port 61053',
      `ExecStartPre=+/usr/local/bin/claim-port ${udp.id}`,
    ]);
  });

  it('refuses only the claim-port paths systemd cannot run: relative, control characters, quotes, backslashes, a directory, too long', () => {
    expect(claimPortPathProblem('/usr/local/bin/claim-port')).toBeUndefined();
    expect(claimPortPathProblem('claim-port')).toMatch(/absolute/);
    for (const path of HOSTILE_EXECUTABLES) expect(claimPortPathProblem(path), path).toBeUndefined();
    for (const path of ['/a\nb/claim-port', '/a\tb/claim-port', '/a\0b', '/a\x1b[31m', '/a\x7f'])
      expect(claimPortPathProblem(path), path).toMatch(/control characters/);
    for (const path of ['/a"b/claim-port', "/it's/claim-port", '/a\\b/claim-port']) expect(claimPortPathProblem(path), path).toMatch(/quotes or backslashes/);
    expect(claimPortPathProblem('/opt/bin/')).toMatch(/directory/);
    // `/.` and `/..` name a directory too (the kernel's ENOTDIR or EISDIR at every start), not the file before them.
    expect(claimPortPathProblem('/opt/bin/claim-port/.')).toBe('it names a directory (it ends in "/."); give the executable file');
    expect(claimPortPathProblem('/opt/bin/claim-port/..')).toBe('it names a directory (it ends in "/.."); give the executable file');
    expect(claimPortPathProblem(`/${'x'.repeat(256)}/claim-port`)).toMatch(/255 bytes/);
    expect(claimPortPathProblem(`/${'x/'.repeat(2048)}claim-port`)).toMatch(/4096 bytes/);
    expect(claimPortPathProblem('/a\ud800b')).toMatch(/Unicode/);
  });

  it('writes a hostile claim-port path so that systemd (the core model) reads back exactly that path and port', () => {
    // $VAR-like text set in the environment, and specifier-like text in a template unit: neither may be expanded.
    const env = new Map([
      ['x', 'EXPANDED'],
      ['Y', 'EXPANDED'],
    ]);
    for (const path of HOSTILE_EXECUTABLES) {
      for (const transport of ['tcp', 'udp'] as const) {
        const line = execStartPreLine(8000, path, transport);
        expect(line.split('\n'), path).toHaveLength(1);
        const parsed = parseExec(line.slice('ExecStartPre='.length), env, { name: 'api@blue.service' });
        expect(parsed.error, line).toBeUndefined();
        expect(parsed.warnings, line).toEqual([]);
        expect(
          parsed.commands.map(({ prefixes, path, words }) => ({ prefixes, path, words })),
          line,
        ).toEqual([{ prefixes: '+', path, words: [path, transport === 'udp' ? '8000/udp' : '8000'] }]);
        expect(serviceSectionLines(claimPortDropIn(8000, path, transport)).length, line).toBe(1);
      }
    }
    // A plain path is written as it always was.
    expect(execStartPreLine(8000, '/opt/bin/claim-port')).toBe('ExecStartPre=+/opt/bin/claim-port 8000');
    expect(execStartPreLine(8000, '/opt/my tools/claim-port')).toBe('ExecStartPre=+"/opt/my tools/claim-port" 8000');
    expect(execStartPreLine(8000, '/opt/100%/claim-port')).toBe('ExecStartPre=+/opt/100%%/claim-port 8000');
  });

  it('names a registry with --registry, quoted and escaped so that systemd (the core model) reads back exactly that path', () => {
    const plain = claimWiring(registry, undefined, '/etc/dsa110/ports.yaml');
    expect(plain.map(({ line }) => line)).toEqual([
      'ExecStartPre=+/usr/local/bin/claim-port 6379 --registry /etc/dsa110/ports.yaml',
      'ExecStartPre=+/usr/local/bin/claim-port 8000 --registry /etc/dsa110/ports.yaml',
    ]);
    expect(plain[0]!.contents).toContain('\nExecStartPre=+/usr/local/bin/claim-port 6379 --registry /etc/dsa110/ports.yaml\n');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a template
    const hostile = '/etc/"dsa110" \'p\' \\x41 %i $x ${Y} ; ünï/ports.yaml';
    const line = execStartPreLine(5353, '/opt/my tools/claim-port', 'udp', hostile);
    const parsed = parseExec(
      line.slice('ExecStartPre='.length),
      new Map([
        ['x', 'EXPANDED'],
        ['Y', 'EXPANDED'],
      ]),
      { name: 'api@blue.service' },
    );
    expect(parsed.commands.map(({ argv }) => argv)).toEqual([['/opt/my tools/claim-port', '5353/udp', '--registry', hostile]]);
  });

  it('claimRegistryProblem: a claim line reads the registry named, however spelt, or says which one it reads instead', () => {
    const argv = (...args: string[]) => ['/usr/local/bin/claim-port', ...args];
    expect(claimRegistryProblem(argv('8000'), undefined)).toBeUndefined();
    // The bundled registry checked (undefined): a line that names one, or whose unit sets $DSA110_PORTS_FILE, reads another.
    expect(claimRegistryProblem(argv('8000', '--registry', '/etc/dsa110/ports.yaml'), undefined)).toBe(
      'reads --registry /etc/dsa110/ports.yaml, not the bundled registry, the registry checked here: its protected processes and claim timeout would not apply',
    );
    expect(claimRegistryProblem(argv('8000'), undefined, { value: '/srv/x.yaml', file: '/etc/systemd/system/api.service', line: 4 })).toMatch(
      /^names no --registry, so claim-port reads \$DSA110_PORTS_FILE=\/srv\/x\.yaml \(\/etc\/systemd\/system\/api\.service:4\), not the bundled registry/,
    );
    expect(claimRegistryProblem(argv('8000'), undefined, { value: '', file: '/etc/systemd/system/api.service', line: 4 })).toBeUndefined();
    expect(claimRegistryProblem(argv('8000', '--registry', '/etc/dsa110/ports.yaml'), '/etc/dsa110/ports.yaml')).toBeUndefined();
    expect(claimRegistryProblem(argv('--registry=/etc//dsa110/./ports.yaml', '8000'), '/etc/dsa110/ports.yaml')).toBeUndefined();
    expect(claimRegistryProblem(argv('8000'), '/etc/dsa110/ports.yaml')).toMatch(
      /^names no --registry and its unit sets no \$DSA110_PORTS_FILE, so claim-port reads its bundled registry, not \/etc\/dsa110\/ports\.yaml/,
    );
    expect(claimRegistryProblem(argv('8000', '--registry', '/srv/other.yaml'), '/etc/dsa110/ports.yaml')).toMatch(/^reads --registry \/srv\/other\.yaml, not /);
    // The unit's $DSA110_PORTS_FILE, read when the line names no --registry (as claim-port reads it; empty is unset).
    const setting = (value: string) => ({ value, file: '/etc/systemd/system/api.service', line: 4 });
    expect(claimRegistryProblem(argv('8000'), '/etc/dsa110/ports.yaml', setting('/etc/dsa110//ports.yaml'))).toBeUndefined();
    expect(claimRegistryProblem(argv('8000'), '/etc/dsa110/ports.yaml', setting('/srv/old\n.yaml'))).toBe(
      'names no --registry, so claim-port reads $DSA110_PORTS_FILE=/srv/old\\n.yaml (/etc/systemd/system/api.service:4), not /etc/dsa110/ports.yaml, the registry checked here: its protected processes and claim timeout would not apply',
    );
    expect(claimRegistryProblem(argv('8000'), '/etc/dsa110/ports.yaml', setting(''))).toMatch(/^names no --registry and its unit sets no /);
    // --registry wins over the unit's variable.
    expect(claimRegistryProblem(argv('8000', '--registry', '/srv/other.yaml'), '/etc/dsa110/ports.yaml', setting('/etc/dsa110/ports.yaml'))).toMatch(
      /^reads --registry \/srv\/other\.yaml, not /,
    );
  });
});

/** Executable paths systemd can run, each a trap for a naive writer: white space, specifiers, variables, `;`, Unicode. */
const HOSTILE_EXECUTABLES = [
  '/opt/my tools/claim-port',
  '/opt/two  spaces/claim-port',
  '/opt/ lead/trail /claim-port',
  '/opt/%n%i%%%/claim-port',
  '/opt/100%/claim-port',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${VAR}, not a template
  '/opt/$x/${Y}/$$/claim-port',
  '/opt/a;b/ ; /claim-port',
  '/opt/ünïcödé 日本/🙂/claim-port',
  '/opt/#hash/claim-port',
  '/opt/-+@!:/claim-port',
];

describe('systemdDrift', () => {
  const wiring = claimWiring(registry);
  const unit = '[Unit]\nDescription=x\n[Service]\nExecStartPre=+/usr/local/bin/claim-port 8000\nExecStart=/bin/true\n';
  const good = new Map<string, string | undefined>([
    ['redis-server.service.d/claim-port.conf', claimPortDropIn(6379)],
    ['dsa110-api.service', unit],
  ]);

  it('is empty when the tree matches', () => {
    expect(systemdDrift(wiring, { files: good, dropIns: ['redis-server.service.d/claim-port.conf'] })).toEqual([]);
  });

  it('reports a changed drop-in with both texts, a missing one, and an unexpected one', () => {
    const files = new Map(good);
    files.set('redis-server.service.d/claim-port.conf', claimPortDropIn(6380));
    const drift = systemdDrift(wiring, { files, dropIns: ['redis-server.service.d/claim-port.conf', 'dsa110-api.service.d/claim-port.conf'] });
    expect(drift.map((item) => [item.path, item.message.split(':')[0]])).toEqual([
      ['dsa110-api.service.d/claim-port.conf', 'unexpected'],
      ['redis-server.service.d/claim-port.conf', 'differs from the registry (ExecStartPre=+/usr/local/bin/claim-port 6379); run `ports systemd`'],
    ]);
    expect(drift[0]!.message).toContain("wires dsa110-api.service's claim in the unit file (systemd.claim: unit), so with this drop-in it would claim twice");
    expect(drift[1]).toMatchObject({ expected: claimPortDropIn(6379), actual: claimPortDropIn(6380) });

    files.delete('redis-server.service.d/claim-port.conf');
    expect(systemdDrift(wiring, { files, dropIns: [] })[0]!.message).toMatch(/^missing: /);
  });

  it("ends the fix for a claim-port.conf read in place of the registry's with this host's daemon-reload only on this host (root /), not for another root's tree", () => {
    const claims = claimLinesIn('redis-server.service.d/claim-port.conf', '[Service]\nExecStartPre=+/usr/local/bin/claim-port 6390\n', [
      '/usr/local/bin/claim-port',
    ]).map((claim) => ({ ...claim, dir: '/etc/systemd/system.control', unitNames: ['redis-server.service'] }));
    const fix = (root?: string) =>
      systemdDrift(wiring, { files: good, dropIns: ['redis-server.service.d/claim-port.conf'], claims }, root === undefined ? {} : { root })
        .map((item) => item.message)
        .find((message) => message.includes('remove this file'));
    const host = ', then `systemctl daemon-reload`; it is under /etc/systemd/system.control';
    expect(fix()).toContain(host);
    expect(fix('/')).toContain(host);
    const image = fix('/srv/img');
    expect(image).toContain("in place of the registry's); systemd reads it when the system under /srv/img boots; it is under /etc/systemd/system.control");
    expect(image).not.toContain('daemon-reload`;');
  });

  it('orders what it reports by path the same in every locale (under da_DK, localeCompare put aa after z)', () => {
    const render = fileURLToPath(new URL('../../src/render/index.ts', import.meta.url));
    const ports = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
    const script = [
      `import { systemdDrift, claimWiring } from ${JSON.stringify(render)};`,
      `import { parseRegistry } from ${JSON.stringify(ports)};`,
      `const minimalRegistry = ${JSON.stringify(minimalRegistry)};`,
      'const wiring = claimWiring(parseRegistry(minimalRegistry));',
      "const dropIns = ['zebra.service.d/claim-port.conf', 'aardvark.service.d/claim-port.conf'];",
      'console.log(JSON.stringify(systemdDrift(wiring, { files: new Map(), dropIns }).map((item) => item.path)));',
    ].join('\n');
    const paths = (env: NodeJS.ProcessEnv) => {
      const run = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      expect(run.status, run.stderr).toBe(0);
      return JSON.parse(run.stdout) as string[];
    };
    const english = paths({ LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' });
    expect(english.indexOf('aardvark.service.d/claim-port.conf')).toBeLessThan(english.indexOf('zebra.service.d/claim-port.conf'));
    expect(paths({ LC_ALL: 'da_DK.UTF-8', LANG: 'da_DK.UTF-8' })).toEqual(english);
  });

  it('reports every claim line the registry does not ask for: of a unit no robust service uses, a second claim beside claim-port.conf, another port', () => {
    const CLAIM = '/usr/local/bin/claim-port';
    const found = (path: string, ...lines: string[]) => claimLinesIn(path, `[Service]\n${lines.join('\n')}\n`, []);
    const claims = [
      ...found('redis-server.service.d/claim-port.conf', `ExecStartPre=+${CLAIM} 6379`),
      ...found('old.service', 'ExecStart=/bin/true', `ExecStartPre=+${CLAIM} 9999`),
      ...found('old.service.d/override.conf', `ExecStartPre=+${CLAIM} 8000`),
      ...found('redis-server.service.d/override.conf', `ExecStartPre=+${CLAIM} redis`),
      ...found('redis-server.service', `ExecStartPre=+${CLAIM}   8000`),
      // Read after claim-port.conf and clearing first: an override of the registry's claim, judged with the effective unit.
      ...found('redis-server.service.d/zz.conf', 'ExecStartPre=', `ExecStartPre=+${CLAIM} 6379`),
      // A claim: unit service's own files: judged with its unit file.
      ...found('dsa110-api.service.d/override.conf', `ExecStartPre=+${CLAIM} 8000`),
    ];
    expect(claims[1]).toEqual({ path: 'old.service', line: 3, text: `ExecStartPre=+${CLAIM} 9999`, target: { port: 9999, transport: 'tcp' } });
    const drift = systemdDrift(wiring, { files: good, dropIns: ['redis-server.service.d/claim-port.conf'], claims }, { services: registry.services });
    expect(drift.map(({ path, message }) => `${path}: ${message}`)).toEqual([
      `old.service:3: unexpected: ExecStartPre=+${CLAIM} 9999: no robust service in the registry uses old.service, yet at each start of it claim-port frees port 9999 as root; remove the line`,
      `old.service.d/override.conf:2: unexpected: ExecStartPre=+${CLAIM} 8000: no robust service in the registry uses old.service; it claims port 8000, which the registry gives to api (dsa110-api.service): at each start of old.service it would free api's port as root; remove the line`,
      `redis-server.service:2: unexpected: ExecStartPre=+${CLAIM} 8000 runs claim-port for redis-server.service besides redis-server.service.d/claim-port.conf, where the registry wires its claim, and frees port 8000, not redis's port 6379 (port 8000, which the registry gives to api (dsa110-api.service): at each start of redis-server.service it would free api's port as root); remove the line`,
      `redis-server.service.d/override.conf:2: unexpected: ExecStartPre=+${CLAIM} redis runs claim-port for redis-server.service besides redis-server.service.d/claim-port.conf, where the registry wires its claim, so redis-server.service claims its port twice; remove the line`,
    ]);
  });

  it("leaves a unit of another registry's alone (its line names that file), and reports one that names this registry", () => {
    const CLAIM = '/usr/local/bin/claim-port';
    const claims = [
      ...claimLinesIn('other.service', `[Service]\nExecStartPre=+${CLAIM} --registry /etc/other/ports.yaml 9999\n`, []),
      ...claimLinesIn('same.service', `[Service]\nExecStartPre=+${CLAIM} --registry /etc/dsa110//ports.yaml 9998\n`, []),
    ];
    expect(claims[0]!.registry).toBe('/etc/other/ports.yaml');
    const paths = (registryPath?: string) =>
      systemdDrift(wiring, { files: good, dropIns: [], claims }, { services: registry.services, ...(registryPath !== undefined && { registryPath }) }).map(
        (item) => item.path,
      );
    expect(paths('/etc/dsa110/ports.yaml')).toEqual(['same.service:2']);
    // Checked against the bundled registry: a line naming any file reads another one.
    expect(paths()).toEqual([]);
  });

  it('claimLinesIn: a claimed word a specifier or variable makes is dynamic (as written); a line with bytes that are not UTF-8 claims nothing', () => {
    const CLAIM = '/usr/local/bin/claim-port';
    const targets = (...lines: string[]) => claimLinesIn('x.service', `[Service]\n${lines.join('\n')}\n`, []).map((claim) => claim.target);
    expect(
      targets(
        `ExecStartPre=+${CLAIM} %i`,
        `ExecStartPre=+${CLAIM} \${PORT}`,
        `ExecStartPre=+${CLAIM} --timeout 3 $PORT`,
        // Without its variable the word reads `api`: what claim-port gets depends on the unit all the same.
        `ExecStartPre=+${CLAIM} api\${SUFFIX}`,
        // A variable in another argument: the port is fixed.
        `ExecStartPre=+${CLAIM} --registry \${REGISTRY} 8000`,
        // `%%` is a literal `%`; `:` expands no variable: claim-port refuses `100%i` and `$PORT`.
        `ExecStartPre=+${CLAIM} 100%%i`,
        `ExecStartPre=+:${CLAIM} $PORT`,
      ),
    ).toEqual([
      { dynamic: '%i' },
      { dynamic: `\${PORT}` },
      { dynamic: '$PORT' },
      { dynamic: `api\${SUFFIX}` },
      { port: 8000, transport: 'tcp' },
      undefined,
      undefined,
    ]);
    const [bad] = claimLinesIn('x.service', `[Service]\nExecStartPre=+${CLAIM} 8000 caf\udce9\n`, []);
    expect(bad).toEqual({ path: 'x.service', line: 2, text: `ExecStartPre=+${CLAIM} 8000 caf\udce9`, notUtf8: true });
  });

  it('reports claim-port in any other Exec setting (ExecStop=, ExecStartPost=, ...), of a wired unit too: the registry wires it in ExecStartPre= only', () => {
    const CLAIM = '/usr/local/bin/claim-port';
    const claims = [
      ...claimLinesIn('old.service', `[Service]\nExecStart=/bin/true\nExecStop=+${CLAIM} 6379\nExecReload=${CLAIM} 6379\n`, []),
      ...claimLinesIn('redis-server.service.d/override.conf', `[Service]\nExecStartPost=+${CLAIM} 6379\nExecStartPre=\n`, []),
    ];
    expect(claims.map((claim) => claim.otherExec)).toEqual(['ExecStop', 'ExecReload', 'ExecStartPost']);
    const drift = systemdDrift(wiring, { files: good, dropIns: [], claims }, { services: registry.services });
    expect(drift.map((item) => item.path)).toEqual(['old.service:3', 'old.service:4', 'redis-server.service.d/override.conf:2']);
    expect(drift[0]!.message).toBe(
      `unexpected: ExecStop=+${CLAIM} 6379: claim-port in ExecStop=, where the registry never wires it, frees port 6379 as root each time systemd runs that setting of old.service; remove the line`,
    );
    // An empty ExecStop= clears nothing of ExecStartPre='s: not a clear before a claim.
    expect(claimLinesIn('a.service.d/x.conf', `[Service]\nExecStop=\nExecStartPre=+${CLAIM} 6379\n`, [])[0]!.afterClear).toBeUndefined();
  });

  it('ties a leftover claim-port.conf to the port it frees, and gives one order of steps for a unit switched to `claim: unit`', () => {
    const claims = [
      ...claimLinesIn('api-old.service.d/claim-port.conf', claimPortDropIn(8000), []),
      ...claimLinesIn('gone.service.d/claim-port.conf', claimPortDropIn(9999), []),
    ];
    const dropIns = [
      'api-old.service.d/claim-port.conf',
      'dsa110-api.service.d/claim-port.conf',
      'gone.service.d/claim-port.conf',
      'redis-server.service.d/claim-port.conf',
    ];
    const drift = systemdDrift(wiring, { files: good, dropIns, claims }, { regenerate: 'ports systemd --root /srv/img' });
    expect(drift.map(({ path, message }) => `${path}: ${message}`)).toEqual([
      "api-old.service.d/claim-port.conf: unexpected: no robust service in the registry uses api-old.service; its ExecStartPre=+/usr/local/bin/claim-port 8000 claims port 8000, which the registry gives to api (dsa110-api.service): at each start of api-old.service it would free api's port as root; remove it",
      "dsa110-api.service.d/claim-port.conf: unexpected: the registry now wires dsa110-api.service's claim in the unit file (systemd.claim: unit), so with this drop-in it would claim twice; once the unit file has its claim line (`ports systemd --root /srv/img` prints it for dsa110-api.service), remove this drop-in",
      'gone.service.d/claim-port.conf: unexpected: no robust service in the registry uses gone.service; remove it',
    ]);
  });

  it('reads --registry=PATH as --registry PATH in a unit-file claim line, as claim-port does (before "--" only)', () => {
    const named = claimWiring(registry, '/usr/local/bin/claim-port', '/etc/dsa110/ports.yaml');
    const drift = (line: string) =>
      systemdDrift(named, {
        files: new Map(good).set('dsa110-api.service', `[Service]\n${line}\n`),
        dropIns: ['redis-server.service.d/claim-port.conf'],
      }).filter((item) => item.path === 'dsa110-api.service');
    expect(drift('ExecStartPre=+/usr/local/bin/claim-port 8000 --registry=/etc/dsa110/ports.yaml')).toEqual([]);
    expect(drift('ExecStartPre=+/usr/local/bin/claim-port 8000 --registry /etc/dsa110/ports.yaml')).toEqual([]);
    expect(drift('ExecStartPre=+/usr/local/bin/claim-port 8000 --registry=/etc/other.yaml')[0]!.message).toMatch(/^does not contain/);
    expect(drift('ExecStartPre=+/usr/local/bin/claim-port 8000 -- --registry=/etc/dsa110/ports.yaml')[0]!.message).toMatch(/^does not contain/);
  });

  it('finds the unit line only in [Service], with continuations and spacing normalised', () => {
    const elsewhere = '[Unit]\nExecStartPre=+/usr/local/bin/claim-port 8000\n[Service]\nExecStart=/bin/true\n';
    const files = new Map(good).set('dsa110-api.service', elsewhere);
    expect(systemdDrift(wiring, { files, dropIns: ['redis-server.service.d/claim-port.conf'] })[0]!.message).toMatch(/^does not contain/);
    expect(serviceSectionLines('[Service]\nExecStartPre = +/usr/local/bin/claim-port \\\n  8000\n# comment\n')).toEqual([
      'ExecStartPre=+/usr/local/bin/claim-port 8000',
    ]);
  });

  it('says that systemd refuses a unit file with a broken section header, at its line, not "add it there" (which never passes)', () => {
    const line = 'ExecStartPre=+/usr/local/bin/claim-port 8000';
    const broken = `[Service]x\nExecStart=/bin/true\n${line}\n`;
    for (const text of [broken, `${broken}[Service]\n${line}\n`, `[Unit]\nDescription=a\n[Bogus\n[Service]\n${line}\n`]) {
      const files = new Map(good).set('dsa110-api.service', text);
      const at = text.startsWith('[Service]x') ? 1 : 3;
      const header = text.startsWith('[Service]x') ? '"[Service]x"' : '"[Bogus"';
      expect(systemdDrift(wiring, { files, dropIns: ['redis-server.service.d/claim-port.conf'] }).map(({ path, message }) => `${path}: ${message}`)).toEqual([
        `dsa110-api.service: systemd would refuse to load it: line ${at}: invalid section header ${header} (a header line holds only [Section]; systemd refuses the file); fix that line, then make sure its [Service] section holds ${line}`,
      ]);
    }
  });

  it("says to replace a wrong claim line, quoted (a UDP claim without /udp), and, for a package's unit file, to use the drop-in", () => {
    const fixture = readFileSync(new URL('../fixtures/udp-twins.yaml', import.meta.url), 'utf8');
    const twins = parseRegistry(fixture.replace('{ unit: resolver-udp.service, claim: drop-in }', '{ unit: resolver-udp.service, claim: unit }'));
    const udp = claimWiring(twins).filter((entry) => entry.unit === 'resolver-udp.service');
    const unitWith = (...lines: string[]) => `[Service]\n${[...lines, 'ExecStart=/bin/true'].join('\n')}\n`;
    const drift = (text: string, place?: Parameters<typeof systemdDrift>[1]['places']) =>
      systemdDrift(udp, { files: new Map([['resolver-udp.service', text]]), dropIns: [], ...(place && { places: place }) }).map((item) => item.message);
    const want = 'ExecStartPre=+/usr/local/bin/claim-port 61053/udp';
    expect(drift(unitWith('ExecStartPre=+/usr/local/bin/claim-port 61053'))).toEqual([
      `does not contain ${want} in its [Service] section; replace its ExecStartPre=+/usr/local/bin/claim-port 61053 at resolver-udp.service:2 with the line`,
    ]);
    expect(drift(unitWith())).toEqual([`does not contain ${want} in its [Service] section; add it there`]);
    const place = (packaged: boolean, dropIns: { path: string; text: string }[] = []) =>
      new Map([['resolver-udp.service', { packaged, dropIn: '/etc/systemd/system/resolver-udp.service.d/override.conf', dropIns }]]);
    const packaged = `does not contain ${want} in its [Service] section, and it is a package's file, which an upgrade of the package overwrites`;
    expect(drift(unitWith(), place(true))).toEqual([
      `${packaged}; put the line under a [Service] line in the drop-in /etc/systemd/system/resolver-udp.service.d/override.conf`,
    ]);
    const wrong = { path: '/etc/systemd/system/resolver-udp.service.d/claim.conf', text: unitWith('ExecStartPre=+/usr/local/bin/claim-port 61054/udp') };
    expect(drift(unitWith('ExecStartPre=+/usr/local/bin/claim-port 61053'), place(true, [wrong]))).toEqual([
      `${packaged}; remove its ExecStartPre=+/usr/local/bin/claim-port 61053 at resolver-udp.service:2, and replace ExecStartPre=+/usr/local/bin/claim-port 61054/udp in the drop-in ${wrong.path}:2 with the line`,
    ]);
    // The operator's own file and a drop-in both claiming: the drop-in's is replaced (systemd reads it last), the file's removed.
    expect(drift(unitWith('ExecStartPre=+/usr/local/bin/claim-port 61053'), place(false, [wrong]))).toEqual([
      `does not contain ${want} in its [Service] section; remove its ExecStartPre=+/usr/local/bin/claim-port 61053 at resolver-udp.service:2, and replace ExecStartPre=+/usr/local/bin/claim-port 61054/udp in the drop-in ${wrong.path}:2 with the line`,
    ]);
  });

  it('finds the unit line by what systemd reads: a quoted path with two spaces is not the same path with one', () => {
    const path = '/opt/two  spaces/claim-port';
    const quoted = claimWiring(registry, path);
    const unitWith = (line: string) => `[Unit]\nDescription=x\n[Service]\n${line}\nExecStart=/bin/true\n`;
    const tree = (line: string) => ({
      files: new Map([
        ['redis-server.service.d/claim-port.conf', claimPortDropIn(6379, path)],
        ['dsa110-api.service', unitWith(line)],
      ]),
      dropIns: ['redis-server.service.d/claim-port.conf'],
    });
    expect(quoted[1]!.line).toBe('ExecStartPre=+"/opt/two  spaces/claim-port" 8000');
    expect(systemdDrift(quoted, tree(quoted[1]!.line))).toEqual([]);
    // The same words, spelled otherwise (escapes, spacing between words, the prefix inside the quotes): no drift.
    expect(systemdDrift(quoted, tree('ExecStartPre="+/opt/two\\s\\x20spaces/claim-port"   8000'))).toEqual([]);
    // One space where the path has two: another file, so drift.
    expect(systemdDrift(quoted, tree('ExecStartPre=+"/opt/two spaces/claim-port" 8000'))[0]!.message).toMatch(/^does not contain/);
    expect(systemdDrift(quoted, tree('ExecStartPre=+"/opt/two  spaces/claim-port" 8001'))[0]!.message).toMatch(/^does not contain/);
  });
});
