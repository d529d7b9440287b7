// checkPorts() end to end on a real tree, a real registry file and real listeners.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PortsError } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { checkPorts } from '../src/index.js';
import { spawnListener, worldReadableBundle } from '../../../test-support/index.js';
import { quietPort, registryText, tempDir, type ServiceSpec } from './helpers.js';
import { scenario } from './scenario.js';

describe('checkPorts', () => {
  it('passes a healthy machine (exit code 0) with one row per service', async () => {
    const { root, registryPath, api } = await scenario();
    const report = await checkPorts({ registry: registryPath, root });
    expect(report.results.filter((r) => ['error', 'warning'].includes(r.severity))).toEqual([]);
    expect(report.exitCode).toBe(0);
    expect(report.services).toEqual([
      expect.objectContaining({ id: 'api', port: api.port, listening: true, addresses: [`127.0.0.1:${api.port}`], ownersKnown: true, verdict: 'ok' }),
    ]);
    const checks = new Set(report.results.filter((r) => r.service === 'api').map((r) => r.check));
    expect([...checks].sort()).toEqual(['access', 'dependencies', 'firewall', 'kernel', 'listening', 'owner', 'systemd']);
  });

  it('reports errors (exit code 1) and warnings only (exit code 2)', async () => {
    const broken = await scenario({ broken: true });
    const report = await checkPorts({ registry: broken.registryPath, root: broken.root });
    expect(report.exitCode).toBe(1);
    expect(report.results.filter((r) => r.severity === 'error').map((r) => `${r.check}:${r.service}`)).toEqual(['access:redis']);
    const warned = await scenario({ plus: false });
    const warning = await checkPorts({ registry: warned.registryPath, root: warned.root });
    expect(warning.results.filter((r) => r.severity === 'warning').map((r) => r.check)).toEqual(['systemd']);
    expect(warning.exitCode).toBe(2);
  });

  it('checks only the chosen services, without the host-wide checks', async () => {
    const { root, registryPath } = await scenario({ broken: true });
    const report = await checkPorts({ registry: registryPath, root, services: ['vite'] });
    expect(report.services.map((row) => row.id)).toEqual(['vite']);
    expect(report.results.some((r) => r.check === 'reserved' || r.check === 'unknown-listeners')).toBe(false);
    expect(report.exitCode).toBe(0);
    await expect(checkPorts({ registry: registryPath, root, services: ['vit'] })).rejects.toThrow(PortsError);
  });

  it('runs the host-wide checks when every service is named, as when none is (a timer line built from `ports list`)', async () => {
    const { root, registryPath, api, redis, vitePort } = await scenario({ broken: true });
    // The scenario's services with a reserved port (nothing listens there: an ok result of the host-wide check).
    const services: ServiceSpec[] = [
      { id: 'api', port: api.port, access: 'private', robust: true, unit: 'dsa110-api.service', claim: 'unit' },
      { id: 'redis', port: redis!.port, access: 'localhost' },
      { id: 'vite', port: vitePort, access: 'dev', group: 'development' },
    ];
    writeFileSync(registryPath, registryText(services, [{ id: 'kept', name: 'Kept', port: vitePort + 1, purpose: 'kept free' }]));
    // A listener the registry does not name, there for both runs, below the ephemeral range (the host-wide
    // unknown-listeners check reports only those there, where daemons listen).
    const stray = await spawnListener({ host: '127.0.0.1', port: quietPort(new Set([api.port, redis!.port, vitePort, vitePort + 1])) });
    const every = await checkPorts({ registry: registryPath, root });
    const ids = every.services.map((row) => row.id);
    expect([...ids].sort()).toEqual(['api', 'redis', 'vite']);
    expect(every.results.filter((r) => r.check === 'reserved')).toHaveLength(1);
    const named = await checkPorts({ registry: registryPath, root, services: [...ids].reverse() });
    // The host's other listeners and unreadable processes (other test files' processes, started and ended meanwhile)
    // are no part of the comparison: the host-wide /proc row is there only while some process cannot be read, which
    // one run may see and the other not. The same listener of this test's own, and the rest, are compared.
    const ours = (r: (typeof every.results)[number]) =>
      r.check === 'unknown-listeners' ? r.reason.startsWith(`port ${stray.port} `) : !(r.check === 'dependencies' && r.service === undefined);
    const shape = (report: typeof every) =>
      report.results
        .filter(ours)
        .map((r) => `${r.check}:${r.service}:${r.severity}:${r.reason}`)
        .sort();
    expect(shape(every).filter((line) => line.startsWith('unknown-listeners:'))).toHaveLength(1);
    expect(shape(named)).toEqual(shape(every));
    expect(named.services.map((row) => row.id)).toEqual(ids);
    // One service left out: the host-wide checks are left out too.
    const most = await checkPorts({ registry: registryPath, root, services: ids.slice(1) });
    expect(most.results.some((r) => r.check === 'reserved' || r.check === 'unknown-listeners')).toBe(false);
  });

  // Running as another user (setpriv) needs root; CI runs as root.
  it.skipIf(process.getuid?.() !== 0)(
    'refuses a root this user cannot read, as it refuses a missing one (it used to report every file under it as unreadable)',
    async () => {
      const parent = tempDir();
      chmodSync(parent, 0o755);
      const image = join(parent, 'image');
      mkdirSync(image, { mode: 0o000 });
      chmodSync(image, 0o000);
      // nobody may not be able to read the checkout (a clone in a 0700 dir): a world-readable bundle of checkPorts.
      const bundle = await worldReadableBundle(new URL('../src/index.ts', import.meta.url).pathname);
      const script = `import('${bundle}').then((m) => m.checkPorts({ root: ${JSON.stringify(image)}, registry: '/nonexistent/ports.yaml' })).then(() => console.log('checked'), (e) => console.log(e.code + ': ' + e.message));`;
      const out = execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--input-type=module', '-e', script], {
        encoding: 'utf8',
        cwd: '/',
      });
      expect(out).toBe(
        `NOT_FOUND: root ${image} cannot be read (permission denied; run as root or as its owner); give the top of the tree to check (default /)\n`,
      );
    },
  );

  it('reports an invalid registry as errors with file:line:col, without running other checks', async () => {
    const path = join(tempDir(), 'ports.yaml');
    writeFileSync(path, 'version: 1\nservices:\n  - id: api\n    port: 99999\n');
    const report = await checkPorts({ registry: path });
    expect(report.exitCode).toBe(1);
    expect(report.services).toEqual([]);
    expect(report.results.every((r) => r.check === 'registry' && r.severity === 'error')).toBe(true);
    expect(report.results.map((r) => r.reason)).toContain(`${path}:4:11: services.api.port: must be between 1 and 65535 (got 99999)`);
  });

  it("reads a service's port override from its unit's Environment=, never from the checker's own env (cron's is not the service's)", async () => {
    const { root, api } = await scenario();
    const registryPath = join(tempDir(), 'ports.yaml');
    writeFileSync(
      registryPath,
      registryText([
        { id: 'api', port: api.port, access: 'private', robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['node'], env: 'API_PORT' },
      ]),
    );
    // A different port, and a value no port could be: neither moves the check off the registry's port.
    for (const value of [String(api.port === 65535 ? 1 : api.port + 1), 'garbage']) {
      const report = await checkPorts({ registry: registryPath, root, env: { API_PORT: value } });
      expect(report.services, value).toEqual([expect.objectContaining({ id: 'api', port: api.port, listening: true, verdict: 'ok' })]);
      expect(report.exitCode, value).toBe(0);
    }
  });

  it('checks the bundled registry against this machine by default', async () => {
    const report = await checkPorts();
    expect(report.registry).toBe('ports.yaml (bundled)');
    expect(report.services.map((row) => row.id)).toContain('redis');
    expect(report.durationMs).toBeGreaterThan(0);
  });
});

describe('checkPorts from JavaScript', () => {
  it('reads options as their own properties only: a polluted Object.prototype is not an option', async () => {
    const polluted = Object.prototype as Record<string, unknown>;
    polluted.strict = 'yes';
    try {
      // Read through the prototype, the left-out option was "the string yes": a TypeError before the check.
      await expect(checkPorts({ services: ['redis'] })).resolves.toMatchObject({ strict: false });
    } finally {
      delete polluted.strict;
    }
  });
  const untyped = checkPorts as unknown as (options?: unknown) => Promise<unknown>;

  it('refuses options that are not an object, never checking as if none were given', async () => {
    await expect(untyped('/etc/ports.yaml')).rejects.toThrow(
      new TypeError(
        'checkPorts: options must be an object ({ registry?, registryOrigin?, root?, services?, strict?, claimPortPaths?, firewall?, env? }) or left out, not the string "/etc/ports.yaml"',
      ),
    );
    await expect(untyped(null)).rejects.toThrow(/^checkPorts: options must be an object .*, not null$/);
    await expect(untyped([])).rejects.toThrow(/not an array$/);
  });

  it('names each option of the wrong type (services: "api" used to check services "a", "p" and "i")', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ services: 'api' }, /^checkPorts: options\.services must be an array of strings or left out, not the string "api"$/],
      // An empty list checked every service.
      [{ services: [] }, /^checkPorts: options\.services is an empty array; give at least one service id, or leave it out to check every service$/],
      [{ services: ['api', 5] }, /^checkPorts: options\.services\[1\] must be a string, not number 5$/],
      [{ claimPortPaths: '/usr/bin/claim-port' }, /options\.claimPortPaths must be an array of strings/],
      [{ root: 5 }, /options\.root must be a directory \(a non-empty string\) or left out, not number 5$/],
      [{ root: '' }, /options\.root must be .*not the string ""$/],
      [{ registry: 5 }, /options\.registry must be a ports.yaml path or a Registry .*not number 5$/],
      // A plain object is not a Registry: it failed deep inside the checks ("reading 'flatMap'").
      [
        { registry: {} },
        /^checkPorts: options\.registry must be a ports.yaml path or a Registry \(from loadRegistry or parseRegistry\) or left out, not an object$/,
      ],
      [{ registry: { path: '/etc/ports.yaml' } }, /options\.registry must be a ports.yaml path or a Registry/],
      [{ registry: { services: [], reserved: [] } }, /options\.registry must be a ports.yaml path or a Registry/],
      [{ registryOrigin: 5 }, /options\.registryOrigin must be a string/],
      [{ strict: 'yes' }, /options\.strict must be a boolean .*not the string "yes"$/],
      [{ firewall: 'no' }, /options\.firewall must be a boolean .*not the string "no"$/],
      [{ env: null }, /options\.env must be an object of environment variables .*not null$/],
    ];
    for (const [options, message] of cases) {
      const error = await untyped(options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(options)).toBeInstanceOf(TypeError);
      expect((error as Error).message, JSON.stringify(options)).toMatch(message);
    }
  });

  it('refuses a misspelt option, naming the option it is near ({ servics: ["api"] } checked all 8 services)', async () => {
    const takes = 'it takes { registry?, registryOrigin?, root?, services?, strict?, claimPortPaths?, firewall?, env? }';
    await expect(untyped({ servics: ['api'] })).rejects.toThrow(new TypeError(`checkPorts: unknown option "servics" (did you mean "services"?); ${takes}`));
    await expect(untyped({ registryPath: '/etc/ports.yaml' })).rejects.toThrow(/^checkPorts: unknown option "registryPath" \(did you mean "registry"\?\); /);
    await expect(untyped({ verbose: true })).rejects.toThrow(new TypeError(`checkPorts: unknown option "verbose"; ${takes}`));
    await expect(untyped({ Strict: true })).rejects.toThrow(/^checkPorts: unknown option "Strict" \(did you mean "strict"\?\); /);
  });

  it('refuses an env holding a variable that is not a string (environment variables are text), as loadRegistry does', async () => {
    await expect(untyped({ env: { API_PORT: 8001 } })).rejects.toThrow(
      new TypeError('checkPorts: options.env.API_PORT must be a string (environment variables are text) or undefined, not number 8001'),
    );
    await expect(untyped({ env: new Map() })).rejects.toThrow(/^checkPorts: options\.env must be an object of environment variables .*not a Map$/);
  });
});
