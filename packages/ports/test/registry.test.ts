import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROTECTED_PROCESSES, BUNDLED_SOURCE, loadRegistry, parseRegistry, PortsError, Registry, type Service } from '../src/index.js';
import { bundledRegistry } from '../src/generated/registry.js';
import { bundledRegistryInstance } from '../src/load.js';
import { minimalRegistry, repoRoot, writeRegistry } from './helpers.js';

// The bundled registry, typed by its ids: what loadRegistry() gives unless $DSA110_PORTS_FILE is set.
const registry = bundledRegistryInstance();

function configurable(service: Service): string {
  const by = service.configuredBy;
  if (by === 'none') return 'No';
  if (by === 'hardcoded') return 'No (hardcoded)';
  return 'env' in by ? by.env : by.file;
}

describe('the bundled registry', () => {
  it('is the root ports.yaml', () => {
    const fromFile = parseRegistry(readFileSync(`${repoRoot}ports.yaml`, 'utf8'));
    expect(registry.source).toBe(BUNDLED_SOURCE);
    expect(registry.services).toEqual(fromFile.services);
    expect(registry.reserved).toEqual(fromFile.reserved);
    expect(registry.claim).toEqual(fromFile.claim);
  });

  // The reference page's Quick Reference table, row by row.
  it.each([
    [80, 'nginx', 'Nginx', 'HTTP', 'public', 'No', false],
    [3000, 'vite', 'Vite Dev Server', 'HTTP', 'dev', 'No (hardcoded)', false],
    [3030, 'grafana', 'Grafana', 'HTTP', 'localhost', 'grafana.ini', true],
    [5173, 'vite-default', 'Vite Dev (default)', 'HTTP', 'dev', 'No (hardcoded)', false],
    [6379, 'redis', 'Redis', 'TCP', 'localhost', 'REDIS_PORT', true],
    [8000, 'api', 'FastAPI', 'HTTP', 'private', 'CONTIMG_API_PORT', true],
    [8001, 'mkdocs', 'MkDocs', 'HTTP', 'dev', 'CONTIMG_DOCS_PORT', false],
    [9090, 'prometheus', 'Prometheus', 'HTTP', 'localhost', 'prometheus.yml', true],
  ] as const)('port %i is %s (%s, %s, %s, %s, robust %s)', (port, id, name, protocol, access, config, robust) => {
    const service = registry.lookup(port) as Service;
    expect(service).toMatchObject({ kind: 'service', id, name, protocol, access, robust, transport: 'tcp' });
    expect(configurable(service)).toBe(config);
  });

  it('lists services sorted by port', () => {
    expect(registry.services.map((service) => service.port)).toEqual([80, 3000, 3030, 5173, 6379, 8000, 8001, 9090]);
    expect(registry.ids).toEqual(['nginx', 'vite', 'grafana', 'vite-default', 'redis', 'api', 'mkdocs', 'prometheus']);
  });

  // The Configured Services table: where each robust service's claim is wired.
  it.each([
    ['api', 'dsa110-api.service', 'unit', '/etc/systemd/system/dsa110-api.service'],
    ['prometheus', 'prometheus.service', 'drop-in', '/etc/prometheus/prometheus.yml'],
    ['redis', 'redis-server.service', 'drop-in', '/etc/redis/redis.conf'],
    ['grafana', 'grafana-simple.service', 'unit', '/etc/grafana/grafana.ini'],
  ] as const)('%s claims its port in %s (%s)', (id, unit, claim, config) => {
    expect(registry.service(id)).toMatchObject({ robust: true, systemd: { unit, claim }, config });
  });

  it('keeps the per-service facts of the page', () => {
    expect(registry.service('nginx')).toMatchObject({
      config: '/etc/nginx/sites-available/dsa110-contimg',
      systemd: { unit: 'nginx.service' },
      robustNote: "Nginx doesn't need robust reservation as port 80 typically has no conflicts.",
      processes: ['nginx'],
    });
    expect(registry.service('nginx').purpose).toContain('Proxies `/api/` requests to FastAPI on port 8000');
    expect(registry.service('api').accessNote).toBe('Localhost and private networks (10.x, 172.16.x, 192.168.x)');
    expect(registry.service('api').details).toEqual({ Docs: 'Interactive API docs at `/api/docs`' });
    expect(registry.service('redis').accessNote).toBe('Localhost only (no authentication)');
    expect(registry.service('grafana').notes).toEqual(['Uses 3030 to avoid conflict with Vite dev server on 3000']);
    expect(registry.service('grafana').details['Default Credentials']).toBe('admin / admin');
    // The wiki's "Scrapes metrics from dsa110-api every 15 seconds" is a fact of the api's now: its scrapeInterval.
    expect(registry.service('prometheus').purpose).toEqual(['Stores time-series data for Grafana']);
    expect(registry.service('api')).toMatchObject({ metrics: '/metrics', scrapeInterval: '15s' });
    expect(registry.service('mkdocs')).toMatchObject({ command: 'mkdocs serve', env: 'CONTIMG_DOCS_PORT', access: 'dev' });
    expect(registry.service('vite').notes).toEqual(['Port varies by Vite version (3000 or 5173)']);
    for (const service of registry.services) expect(service.processes.length).toBeGreaterThan(0);
  });

  it('holds the reserved ranges', () => {
    expect(registry.reserved).toMatchObject([
      { kind: 'reserved', id: 'dashboard-fallback', start: 3210, end: 3220, for: [] },
      { kind: 'reserved', id: 'api-alt', start: 8010, end: 8010, for: ['api'] },
    ]);
    expect(registry.lookup(3210)?.id).toBe('dashboard-fallback');
    expect(registry.lookup(3220)?.id).toBe('dashboard-fallback');
    expect(registry.lookup(3221)).toBeUndefined();
    expect(registry.lookup(8010)?.id).toBe('api-alt');
    expect(registry.lookup(8000, 'udp')).toBeUndefined();
  });

  it('holds the claim policy', () => {
    expect(registry.claim).toEqual({
      timeoutSeconds: 5,
      protectedProcesses: BUILTIN_PROTECTED_PROCESSES,
      unprotectedBuiltins: [],
      protectedPidsUpTo: 2,
    });
  });

  it('names the known ids when asked for an unknown one', () => {
    // @ts-expect-error 'prometheos' is not a ServiceId
    const lookup = () => registry.service('prometheos');
    expect(lookup).toThrow(PortsError);
    expect(lookup).toThrow(
      'unknown service "prometheos" (did you mean "prometheus"?); known services: api, grafana, mkdocs, nginx, prometheus, redis, vite, vite-default',
    );
    expect(registry.has('api')).toBe(true);
    expect(registry.has('nope')).toBe(false);
  });
});

describe('a Registry method taken off the registry', () => {
  it('works as on it: destructured, or passed as a callback (it read `this` as undefined, an internal TypeError)', async () => {
    const loaded = await loadRegistry({ env: {} });
    const { resolvePort, service, has, lookup } = loaded;
    expect(resolvePort('api', { env: {} })).toEqual(loaded.resolvePort('api', { env: {} }));
    expect(['api', 'redis'].map(loaded.service).map((each) => each.port)).toEqual([8000, 6379]);
    expect(service('api').port).toBe(8000);
    expect(has('api')).toBe(true);
    expect(has(42)).toBe(false);
    expect(lookup(8000)?.id).toBe('api');
    // And still frozen: nothing can replace a method of the shared registry.
    expect(() => Object.assign(loaded, { service: () => undefined })).toThrow(TypeError);
  });
});

describe('loadRegistry', () => {
  it('reads DSA110_PORTS_FILE when no path is given', async () => {
    const path = writeRegistry(minimalRegistry);
    const fromEnv = await loadRegistry({ env: { DSA110_PORTS_FILE: path } });
    expect(fromEnv.source).toBe(path);
    expect(fromEnv.ids).toEqual(['redis', 'api']);
  });

  it('prefers an explicit path to DSA110_PORTS_FILE', async () => {
    const path = writeRegistry(minimalRegistry);
    const explicit = await loadRegistry({ path, env: { DSA110_PORTS_FILE: '/nonexistent.yaml' } });
    expect(explicit.source).toBe(path);
  });

  it('returns the same bundled registry each time', async () => {
    expect(await loadRegistry({ env: {} })).toBe(registry);
  });

  it('takes DSA110_PORTS_FILE set but empty for unset (the bundled registry), where an empty path is a TypeError, as the README says', async () => {
    expect(await loadRegistry({ env: { DSA110_PORTS_FILE: '' } })).toBe(registry);
    await expect(loadRegistry({ path: '' })).rejects.toThrow(TypeError);
    const readme = readFileSync(`${repoRoot}packages/ports/README.md`, 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('`DSA110_PORTS_FILE` set but empty (`DSA110_PORTS_FILE=`) names no file: the bundled registry is loaded');
  });
});

describe('new Registry(data, source) from JavaScript', () => {
  const Untyped = Registry as unknown as new (...args: unknown[]) => Registry;
  const points = '; a Registry is made from validated data: use parseRegistry(text) or loadRegistry({ path })';
  const service = (id: string, port: number) => ({ ...bundledRegistry.services[0]!, id, port });
  const data = (change: Record<string, unknown>) => ({ ...bundledRegistry, ...change });

  it('takes validated data, as loadRegistry and parseRegistry give it', () => {
    expect(new Registry(bundledRegistry, 'data').services).toEqual(registry.services);
  });

  it('refuses what it cannot be made from with a TypeError pointing to parseRegistry, never "Cannot read properties of undefined"', () => {
    expect(() => new Untyped()).toThrow(new TypeError(`Registry: source must be where the registry came from (a non-empty string), not undefined${points}`));
    expect(() => new Untyped(undefined, 'x')).toThrow(new TypeError(`Registry: data must be a registry's data (an object), not undefined${points}`));
    expect(() => new Untyped(bundledRegistry, '')).toThrow(/^Registry: source must be .*not the string ""; a Registry is made from validated data/);
    expect(() => new Untyped({ version: 1, services: [] }, 'x')).toThrow(new TypeError(`Registry: data.reserved must be an array, not undefined${points}`));
    expect(() => new Untyped(data({ claim: {} }), 'x')).toThrow(/^Registry: data\.claim must be a claim policy .*not an object; a Registry/);
    expect(() => new Untyped(data({ services: [null] }), 'x')).toThrow(
      new TypeError(`Registry: data.services[0] must be a service (an object), not null${points}`),
    );
    expect(() => new Untyped(data({ reserved: [{ id: 'r', start: 9, end: 8 }] }), 'x')).toThrow(
      new TypeError(`Registry: data.reserved[0] must hold a port, or a start and an end (ports 1-65535, start <= end)${points}`),
    );
    // The right shape, a wrong key inside: said as such, not "purpose.map is not a function".
    expect(() => new Untyped(data({ services: [{ ...service('a', 8000), purpose: 'text' }] }), 'x')).toThrow(
      /^Registry: data is not a registry's \(.*\); a Registry is made from validated data/,
    );
  });

  it('refuses the keys its lookups rest on when they are wrong: two services with id "a", port 0, a transport "TCP"', () => {
    expect(() => new Untyped(data({ services: [service('a', 0), service('a', 0)] }), 'x')).toThrow(
      new TypeError(`Registry: data.services[0].port must be a port 1-65535, not number 0${points}`),
    );
    expect(() => new Untyped(data({ services: [service('a', 8000), service('a', 8001)] }), 'x')).toThrow(
      new TypeError(`Registry: data.services holds the id "a" twice${points}`),
    );
    expect(() => new Untyped(data({ services: [service('', 8000)] }), 'x')).toThrow(
      /^Registry: data\.services\[0\]\.id must be a non-empty string, not the string ""/,
    );
    expect(() => new Untyped(data({ services: [{ ...service('a', 8000), transport: 'TCP' }] }), 'x')).toThrow(
      /^Registry: data\.services\[0\]\.transport must be "tcp" or "udp", not the string "TCP"/,
    );
  });

  it("refuses a claim policy claim-port's safety cannot rest on: a PID bound below the floor or no number, a wait that is none, lists that are not", () => {
    const claim = (protect: Record<string, unknown>, timeoutSeconds: unknown = 5) =>
      data({ claim: { timeoutSeconds, protect: { processes: [], unprotectBuiltin: [], pidsUpTo: 2, ...protect } } });
    for (const pidsUpTo of [Number.NaN, undefined, -5, 1, 2.5, '1000', 4_194_305, Number.POSITIVE_INFINITY])
      expect(() => new Untyped(claim({ pidsUpTo }), 'x'), String(pidsUpTo)).toThrow(
        /^Registry: data\.claim\.protect\.pidsUpTo must be a whole number 2 to 4194304, not /,
      );
    for (const timeoutSeconds of [Number.NaN, null, 0, -1, 301, '5'])
      expect(() => new Untyped(claim({}, timeoutSeconds), 'x'), String(timeoutSeconds)).toThrow(
        /^Registry: data\.claim\.timeoutSeconds must be a number of seconds, 0\.001 to 300, not /,
      );
    expect(() => new Untyped(claim({ processes: 'sshd' }), 'x')).toThrow(
      /^Registry: data\.claim\.protect\.processes must be an array of strings, not the string "sshd"/,
    );
    // An entry that is no string is named, with what it is: "must be an array of strings, not an array" contradicted itself.
    expect(() => new Untyped(claim({ processes: ['sshd', 1] }), 'x')).toThrow(
      new TypeError(`Registry: data.claim.protect.processes[1] must be a string, not number 1${points}`),
    );
    expect(() => new Untyped(claim({ unprotectBuiltin: [1] }), 'x')).toThrow(
      new TypeError(`Registry: data.claim.protect.unprotectBuiltin[0] must be a string, not number 1${points}`),
    );
    expect(new Untyped(claim({ pidsUpTo: 1000 }), 'x').claim.protectedPidsUpTo).toBe(1000);
  });
});
