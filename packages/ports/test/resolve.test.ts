import { dirname, join } from 'node:path';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  BUNDLED_SOURCE,
  checkRegistryFile,
  loadRegistry,
  parseRegistry,
  PortsError,
  portProblem,
  Registry,
  registryPath,
  type ResolvedPort,
} from '../src/index.js';
import { MAX_IDS_IN_MESSAGE } from '../src/id-hints.js';
import { parseRegistryText } from '../src/parse.js';
import { minimalRegistry, writeRegistry } from './helpers.js';

const registry = parseRegistry(minimalRegistry);
/** The minimal registry with redis on UDP. */
const udpRedisRegistry = minimalRegistry.replace('    protocol: TCP\n', '    protocol: UDP\n    transport: udp\n');

/** The message `fn` throws. */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('nothing was thrown');
}

function refusal(value: string, id: 'api' | 'redis' = 'api'): PortsError {
  const variable = id === 'api' ? 'CONTIMG_API_PORT' : 'REDIS_PORT';
  try {
    registry.resolvePort(id, { env: { [variable]: value } });
  } catch (error) {
    expect(error).toBeInstanceOf(PortsError);
    expect((error as PortsError).code).toBe('BAD_OVERRIDE');
    expect((error as PortsError).message).toContain(`${variable}=${JSON.stringify(value)} cannot be used for service "${id}"`);
    return error as PortsError;
  }
  throw new Error(`${variable}=${JSON.stringify(value)} was accepted`);
}

describe('resolvePort', () => {
  const saved = process.env.CONTIMG_API_PORT;
  afterEach(() => {
    if (saved === undefined) delete process.env.CONTIMG_API_PORT;
    else process.env.CONTIMG_API_PORT = saved;
  });

  it('uses the registry when the variable is unset', () => {
    expect(registry.resolvePort('api', { env: {} })).toEqual({ port: 8000, source: 'registry' });
  });

  it('takes a valid override, naming the variable', () => {
    expect(registry.resolvePort('api', { env: { CONTIMG_API_PORT: '8080' } })).toEqual({ port: 8080, source: 'env', variable: 'CONTIMG_API_PORT' });
    expect(registry.resolvePort('api', { env: { CONTIMG_API_PORT: '65535' } }).port).toBe(65535);
    expect(registry.resolvePort('api', { env: { CONTIMG_API_PORT: '1' } }).port).toBe(1);
  });

  it("says in its type that an 'env' answer names its variable and a 'registry' one has none", () => {
    const resolved = registry.resolvePort('api', { env: { CONTIMG_API_PORT: '8080' } });
    if (resolved.source === 'env') expectTypeOf(resolved.variable).toEqualTypeOf<string>();
    else expectTypeOf(resolved.variable).toEqualTypeOf<undefined>();
    // Read without a test of source, it may be either, as before.
    expectTypeOf(resolved.variable).toEqualTypeOf<string | undefined>();
    expectTypeOf<Extract<ResolvedPort, { source: 'env' }>>().toEqualTypeOf<{ readonly port: number; readonly source: 'env'; readonly variable: string }>();
    // @ts-expect-error: an 'env' answer without its variable is no ResolvedPort
    const unnamed: ResolvedPort = { port: 8080, source: 'env' };
    // @ts-expect-error: nor a 'registry' answer with one
    const named: ResolvedPort = { port: 8000, source: 'registry', variable: 'CONTIMG_API_PORT' };
    expect([unnamed, named, resolved.source]).toHaveLength(3);
  });

  it('accepts its own port and a port reserved for it', () => {
    expect(registry.resolvePort('api', { env: { CONTIMG_API_PORT: '8000' } })).toEqual({ port: 8000, source: 'env', variable: 'CONTIMG_API_PORT' });
    expect(registry.resolvePort('api', { env: { CONTIMG_API_PORT: '8010' } }).port).toBe(8010);
  });

  it("counts only the env object's own variables, as process.env has no inherited ones", () => {
    const polluted = Object.prototype as Record<string, unknown>;
    try {
      polluted.CONTIMG_API_PORT = '8010';
      polluted.REDIS_PORT = '7000';
      expect(registry.resolvePort('api', { env: {} })).toEqual({ port: 8000, source: 'registry' });
      expect(registry.resolvePort('api', { env: { CONTIMG_API_PORT: '7000' } }).port).toBe(7000);
    } finally {
      delete polluted.CONTIMG_API_PORT;
      delete polluted.REDIS_PORT;
    }
    // An env whose prototype is not Object.prototype (or null) is refused rather than read in part.
    expect(() => registry.resolvePort('api', { env: Object.create({ CONTIMG_API_PORT: '8010' }) as Record<string, string> })).toThrow(
      new TypeError(
        'resolvePort: options.env must be an object of environment variables (like process.env) or left out, not an object with a prototype of its own',
      ),
    );
    expect(registry.resolvePort('api', { env: Object.assign(Object.create(null) as Record<string, string>, { CONTIMG_API_PORT: '8010' }) }).port).toBe(8010);
  });

  it('reads an env given as a Proxy through its get, as the code it stands in for reads env.NAME', async () => {
    // Only a get trap: no own property to find, and it was silently the registry's port.
    const answering = new Proxy({}, { get: (_target, key) => (key === 'CONTIMG_API_PORT' ? '7003' : undefined) }) as Record<string, string>;
    expect(registry.resolvePort('api', { env: answering })).toEqual({ port: 7003, source: 'env', variable: 'CONTIMG_API_PORT' });
    // A wrapper of process.env (whose prototype is Node's own): was a TypeError.
    const wrapped = new Proxy(process.env, { get: (target, key) => (key === 'CONTIMG_API_PORT' ? '7004' : Reflect.get(target, key)) });
    expect(registry.resolvePort('api', { env: wrapped }).port).toBe(7004);
    // Its variables are checked as a plain object's are.
    const numeric = new Proxy({}, { get: (_target, key) => (key === 'CONTIMG_API_PORT' ? 7005 : undefined) }) as Record<string, string>;
    expect(() => registry.resolvePort('api', { env: numeric })).toThrow(
      new TypeError('resolvePort: options.env.CONTIMG_API_PORT must be a string (environment variables are text) or undefined, not number 7005'),
    );
    // loadRegistry reads DSA110_PORTS_FILE through it too.
    const file = new Proxy({}, { get: (_target, key) => (key === 'DSA110_PORTS_FILE' ? '/nonexistent/p.yaml' : undefined) }) as Record<string, string>;
    await expect(loadRegistry({ env: file })).rejects.toThrow(/^\/nonexistent\/p\.yaml: cannot read the registry \(from \$DSA110_PORTS_FILE\): no such file/);
    // A value that came from a polluted Object.prototype through a forwarding get is not set, as for a plain object.
    const polluted = Object.prototype as Record<string, unknown>;
    try {
      polluted.CONTIMG_API_PORT = '8010';
      const forwarding = new Proxy({}, { get: (target, key) => Reflect.get(target, key) }) as Record<string, string>;
      expect(registry.resolvePort('api', { env: forwarding })).toEqual({ port: 8000, source: 'registry' });
    } finally {
      delete polluted.CONTIMG_API_PORT;
    }
    // A revoked Proxy is refused, described.
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(() => registry.resolvePort('api', { env: proxy })).toThrow(/^resolvePort: options\.env must be an object of environment variables/);
  });

  it('reads process.env by default', () => {
    process.env.CONTIMG_API_PORT = '8081';
    expect(registry.resolvePort('api').port).toBe(8081);
  });

  it.each([
    ['08080', 'it has a leading zero'],
    [' 80', 'it has surrounding white space'],
    ['80 ', 'it has surrounding white space'],
    ['1e3', 'it is not a plain decimal integer'],
    ['80.0', 'it is not a plain decimal integer'],
    ['0x50', 'it is not a plain decimal integer'],
    ['+80', 'it has a sign'],
    ['+0', 'it has a sign'],
    ['', 'it is empty'],
    ['0', 'it is outside 1-65535'],
    ['65536', 'it is outside 1-65535'],
    ['-1', 'it is negative'],
    ['-0', 'it has a sign'],
    ['abc', 'it is not a plain decimal integer'],
    ['８０８１', 'it is written with digits other than ASCII 0-9 (U+FF18, U+FF10, U+FF11: 8081 in ASCII digits)'],
    ['𝟖𝟎𝟖𝟏', 'it is written with digits other than ASCII 0-9 (U+1D7D6, U+1D7CE, U+1D7CF: 8081 in ASCII digits)'],
  ])('rejects %j: %s', (value, why) => {
    expect(refusal(value).message).toContain(`${why}; give a plain decimal port 1-65535 or unset CONTIMG_API_PORT`);
  });

  it('rejects millions of digits of another script as BAD_OVERRIDE, never a RangeError (/^\\p{Nd}+$/u overflowed the stack)', () => {
    for (const value of ['８'.repeat(5_000_000), '𝟖'.repeat(2_500_000), `${'٨'.repeat(1_000)}x`]) {
      expect(() => registry.resolvePort('api', { env: { CONTIMG_API_PORT: value } })).toThrow(
        expect.objectContaining({
          code: 'BAD_OVERRIDE',
          message: expect.stringMatching(/characters long, far too long for a port; give a plain decimal port 1-65535/),
        }),
      );
      expect(portProblem(value)).toBe(`it is ${value.length} characters long, far too long for a port`);
    }
    // Up to 100 characters, still told as digits of another script.
    expect(portProblem('８'.repeat(100))).toMatch(/^it is written with digits other than ASCII 0-9 \(U\+FF18: 8{100} in ASCII digits\)$/);
  });

  it("rejects another service's port", () => {
    expect(refusal('6379').message).toMatch(/port 6379 belongs to service "redis" \(Redis\)/);
  });

  it('says what to give instead of a taken port: the ranges kept for the service, or any port the registry does not assign', () => {
    expect(refusal('6379').message).toMatch(
      /; give a port reserved for "api", 8010 \("api-alt"\), or another port the registry does not assign, or unset CONTIMG_API_PORT$/,
    );
    expect(refusal('3215').message).toMatch(
      /; give a port reserved for "api", 8010 \("api-alt"\), or another port the registry does not assign, or unset CONTIMG_API_PORT$/,
    );
    expect(refusal('8000', 'redis').message).toMatch(/belongs to service "api" .*; give a port the registry does not assign, or unset REDIS_PORT$/);
  });

  it('refuses two overrides in one environment that move two services onto the same port (each alone looked fine)', () => {
    const env = { CONTIMG_API_PORT: '7000', REDIS_PORT: '7000' };
    expect(() => registry.resolvePort('api', { env })).toThrow(
      'CONTIMG_API_PORT="7000" cannot be used for service "api": REDIS_PORT="7000" moves service "redis" (Redis) to port 7000 too; give each service its own port',
    );
    expect(() => registry.resolvePort('redis', { env })).toThrow(
      /^REDIS_PORT="7000" cannot be used for service "redis": CONTIMG_API_PORT="7000" moves service "api"/,
    );
    // Different ports, or the other variable not a port at all (its own resolvePort says so), are each fine here.
    expect(registry.resolvePort('api', { env: { CONTIMG_API_PORT: '7000', REDIS_PORT: '7001' } }).port).toBe(7000);
    expect(registry.resolvePort('api', { env: { CONTIMG_API_PORT: '7000', REDIS_PORT: '07000' } }).port).toBe(7000);
  });

  it("counts another service's override only when that service would take it: one refused moves nothing, whatever the reason", () => {
    // REDIS_PORT=8010 is refused for redis (8010 is reserved for api only), so redis stays on 6379 and api may have 8010.
    const reserved = { CONTIMG_API_PORT: '8010', REDIS_PORT: '8010' };
    expect(registry.resolvePort('api', { env: reserved })).toEqual({ port: 8010, source: 'env', variable: 'CONTIMG_API_PORT' });
    expect(() => registry.resolvePort('redis', { env: reserved })).toThrow(
      /^REDIS_PORT="8010" cannot be used for service "redis": port 8010 is inside reserved "api-alt"/,
    );
    // As for a value that is no port at all: the same rule, not one for each reason.
    expect(registry.resolvePort('api', { env: { CONTIMG_API_PORT: '7000', REDIS_PORT: '07000' } }).port).toBe(7000);
    // Two overrides each would take on its own still collide, in either order.
    const both = parseRegistry(minimalRegistry.replace('    for: [api]', '    for: [api, redis]'));
    expect(() => both.resolvePort('api', { env: reserved })).toThrow(/REDIS_PORT="8010" moves service "redis" \(Redis\) to port 8010 too/);
    expect(() => both.resolvePort('redis', { env: reserved })).toThrow(/CONTIMG_API_PORT="8010" moves service "api" \(FastAPI\) to port 8010 too/);
  });

  it('counts only an override of the same transport: a UDP service may move to the port a TCP one moves to', () => {
    const mixed = parseRegistry(udpRedisRegistry);
    const env = { CONTIMG_API_PORT: '7000', REDIS_PORT: '7000' };
    expect(mixed.resolvePort('api', { env }).port).toBe(7000);
    expect(mixed.resolvePort('redis', { env }).port).toBe(7000);
  });

  it("refuses another service's variable that is not a string, as that service's own resolvePort does (it was skipped in the collision check)", () => {
    const env = { CONTIMG_API_PORT: '7000', REDIS_PORT: 7000 } as unknown as Record<string, string>;
    const message = 'resolvePort: options.env.REDIS_PORT must be a string (environment variables are text) or undefined, not number 7000';
    expect(() => registry.resolvePort('redis', { env })).toThrow(new TypeError(message));
    expect(() => registry.resolvePort('api', { env })).toThrow(new TypeError(message));
  });

  it("refuses a port of the host's own daemons (sshd's 22, node_exporter's 9100): a mistyped Environment= had claim-port stop node_exporter at every start", () => {
    expect(refusal('9100').message).toBe(
      `CONTIMG_API_PORT="9100" cannot be used for service "api": port 9100 is where the host's own node_exporter listens, not a DSA-110 service's port: "api" would collide with it; give a port reserved for "api", 8010 ("api-alt"), or another port the registry does not assign, or unset CONTIMG_API_PORT`,
    );
    expect(refusal('22', 'redis').message).toBe(
      `REDIS_PORT="22" cannot be used for service "redis": port 22 is where the host's own sshd listens, not a DSA-110 service's port: "redis" would collide with it; give another port the registry does not assign, or unset REDIS_PORT`,
    );
    expect(refusal('0022', 'redis').code).toBe('BAD_OVERRIDE');
    // Inside a range reserved for the service (`ports validate` warns about such a range): refused all the same.
    const kept = parseRegistry(minimalRegistry.replace('    port: 8010\n', '    start: 9095\n    end: 9105\n'));
    expect(() => kept.resolvePort('api', { env: { CONTIMG_API_PORT: '9100' } })).toThrow(/port 9100 is where the host's own node_exporter listens/);
    expect(kept.resolvePort('api', { env: { CONTIMG_API_PORT: '9101' } }).port).toBe(9101);
  });

  it("follows the registry's own port even on a host daemon's (`ports validate` warns about that entry), and lets a UDP service onto one", () => {
    const onNode = parseRegistry(minimalRegistry.replace('    port: 6379\n', '    port: 9100\n'));
    expect(onNode.resolvePort('redis', { env: { REDIS_PORT: '9100' } })).toEqual({ port: 9100, source: 'env', variable: 'REDIS_PORT' });
    // Another service onto it is refused as on any service's port, naming the registry's service.
    expect(() => onNode.resolvePort('api', { env: { CONTIMG_API_PORT: '9100' } })).toThrow(/port 9100 belongs to service "redis" \(Redis\)/);
    // The host's daemons listen on TCP: 22/udp collides with nothing.
    expect(parseRegistry(udpRedisRegistry).resolvePort('redis', { env: { REDIS_PORT: '22' } }).port).toBe(22);
  });

  it('rejects a port inside a range reserved for someone else', () => {
    expect(refusal('3215').message).toMatch(/port 3215 is inside reserved "fallback" \(3210-3220: Dashboard fallback\), which is not reserved for "api"/);
    expect(refusal('8010', 'redis').message).toMatch(/inside reserved "api-alt" \(8010: Alternative API port\), which is not reserved for "redis"/);
  });

  it('ignores the environment for a service without a variable', async () => {
    const bundled = await loadRegistry({ env: {} });
    expect(bundled.resolvePort('nginx', { env: { CONTIMG_API_PORT: 'garbage' } })).toEqual({ port: 80, source: 'registry' });
  });

  it('refuses an unknown id, suggesting the nearest', () => {
    expect(() => registry.resolvePort('aip')).toThrow('unknown service "aip" in ports.yaml (did you mean "api"?); known services: api, redis');
  });

  it('lists the first MAX_IDS_IN_MESSAGE known ids of a big registry and says how many more (500 ids made one line of 10,000 characters); its hints still name the one meant', () => {
    const services = Array.from({ length: 500 }, (_, index) => {
      const id = `service-${String(index).padStart(3, '0')}`;
      return `  - { id: ${id}, name: Service ${index}, group: production, port: ${20000 + index}, protocol: TCP, access: private, configuredBy: none, robust: false, processes: [svc${index}] }`;
    });
    const zeta =
      '  - { id: zeta-service, name: Last one, group: production, port: 21000, protocol: TCP, access: private, configuredBy: none, robust: false, processes: [zeta] }';
    const big = parseRegistry(`version: 1\nservices:\n${[...services, zeta].join('\n')}\n`, { source: 'big.yaml' });
    const first = Array.from({ length: MAX_IDS_IN_MESSAGE }, (_, index) => `service-${String(index).padStart(3, '0')}`).join(', ');
    const list = `known services: ${first}, … and ${501 - MAX_IDS_IN_MESSAGE} more (ports list shows every one)`;
    expect(() => big.service('nope')).toThrow(new PortsError('UNKNOWN_SERVICE', `unknown service "nope" in big.yaml; ${list}`));
    expect(() => big.service('nope')).toThrow(/^.{0,600}$/);
    expect(() => big.service('service-42')).toThrow(`unknown service "service-42" in big.yaml (did you mean "service-042"?); ${list}`);
    expect(() => big.service('20499')).toThrow(
      `unknown service "20499" in big.yaml (port 20499 belongs to service "service-499": give its id, "service-499"); ${list}`,
    );
    expect(() => big.service('zeta')).toThrow(
      `unknown service "zeta" in big.yaml (a process name of service "zeta-service": give its id, "zeta-service"); ${list}`,
    );
    expect(() => big.service('Service 7')).toThrow(
      `unknown service "Service 7" in big.yaml (the name of service "service-007": give its id, "service-007"); ${list}`,
    );
    // No more than the cap: listed whole, as before.
    const few = parseRegistry(`version: 1\nservices:\n${services.slice(0, MAX_IDS_IN_MESSAGE).join('\n')}\n`);
    expect(() => few.service('nope')).toThrow(`unknown service "nope" in ports.yaml; known services: ${first}`);
  });

  it("names the service a process name belongs to (its `processes`, globs matched): `uvicorn` is api's, `node` two services'", async () => {
    const registry: Registry = await loadRegistry();
    expect(() => registry.resolvePort('uvicorn')).toThrow(
      /^unknown service "uvicorn" \(a process name of service "api": give its id, "api"\); known services: /,
    );
    const node = registry.services.filter((service) => service.processes.includes('node')).map((service) => `"${service.id}"`);
    expect(node.length).toBeGreaterThan(1);
    expect(() => registry.service('node')).toThrow(`(a process name of services ${node.join(', ')}: give one of their ids)`);
    // A glob: `dsa110_contimg.api*` holds `dsa110_contimg.api.main`.
    expect(() => registry.service('dsa110_contimg.api.main')).toThrow(/\(a process name of service "api": give its id, "api"\)/);
    try {
      registry.resolvePort('uvicorn');
    } catch (error) {
      expect(error).toBeInstanceOf(PortsError);
      expect((error as PortsError).code).toBe('UNKNOWN_SERVICE');
    }
  });

  it('refuses any id in a registry without services, saying it has none (not "known services: " and nothing)', () => {
    expect(() => parseRegistry('version: 1\nservices: []\n', { source: 'empty.yaml' }).service('api')).toThrow(
      /^unknown service "api"; empty\.yaml has no services$/,
    );
  });

  it("shows the registry's text in its messages escaped and cut: a source, a purpose or an id with a line break, a terminal escape, a megabyte", async () => {
    const source = 'etc/ports\n.yaml\u001b[2J';
    const shown = 'etc/ports\\n.yaml\\e[2J';
    const text = minimalRegistry.replace('purpose: Dashboard fallback', 'purpose: "first line\\nsecond line"');
    const odd = parseRegistry(text, { source });
    expect(() => odd.resolvePort('api', { env: { CONTIMG_API_PORT: '3215' } })).toThrow(
      /^CONTIMG_API_PORT="3215" cannot be used for service "api": port 3215 is inside reserved "fallback" \(3210-3220: first line\\nsecond line\), which/,
    );
    expect(() => odd.resolvePort('api', { env: { CONTIMG_API_PORT: '6379' } })).toThrow(`belongs to service "redis" (Redis) in ${shown}; give`);
    // A real file of that name, read by loadRegistry, says the same.
    const file = writeRegistry(text, 'ports\n.yaml\u001b[2J');
    const loaded = await loadRegistry({ path: file });
    const message = messageOf(() => loaded.resolvePort('api', { env: { CONTIMG_API_PORT: '6379' } }));
    expect(message).toContain(`in ${file.replace('ports\n.yaml\u001b[2J', 'ports\\n.yaml\\e[2J')}; give`);
    for (const line of [message, messageOf(() => loaded.resolvePort('api', { env: { CONTIMG_API_PORT: '3215' } }))]) {
      expect(line).not.toContain('\n');
      expect(line).not.toContain('\u001b');
    }
    // As RegistryError cuts a source (pathText): a 1 MB one is not a 1 MB message.
    const long = parseRegistry('version: 1\nservices: []\n', { source: 'y'.repeat(1e6) });
    expect(messageOf(() => long.service('a' as never)).length).toBeLessThan(1000);
    expect(() => long.service('a' as never)).toThrow(/^unknown service "a"; y+… has no services$/);
  });

  it('escapes the ids and names a Registry made by JavaScript holds, whatever they are', () => {
    const parsed = parseRegistryText(minimalRegistry);
    if (!parsed.ok) throw new Error('the minimal registry does not parse');
    const { data } = parsed;
    const redis = data.services.find((service) => service.id === 'redis')!;
    const odd = new Registry(
      { ...data, services: [...data.services.filter((service) => service !== redis), { ...redis, id: 'red\nis', name: 'Re\u001bdis' }] },
      'x.yaml',
    );
    const message = messageOf(() => odd.resolvePort('api', { env: { CONTIMG_API_PORT: '6379' } }));
    expect(message).toContain('belongs to service "red\\nis" (Re\\edis) in x.yaml');
    expect(messageOf(() => odd.service('nope' as never))).toBe('unknown service "nope" in x.yaml; known services: api, red\\nis');
    expect(messageOf(() => odd.service('6379' as never))).toContain('(port 6379 belongs to service "red\\nis": give its id, "red\\nis")');
    expect(messageOf(() => odd.service('red\nix' as never))).toBe(
      'unknown service "red\\nix" in x.yaml (did you mean "red\\nis"?); known services: api, red\\nis',
    );
  });

  it.each([
    ['8000', ' (port 8000 belongs to service "api": give its id, "api")'],
    ['6379/tcp', ' (port 6379/tcp belongs to service "redis": give its id, "redis")'],
    ['6379/udp', ''], // redis is TCP
    ['8010', ' (port 8010 is in reserved range "api-alt", kept for service "api": give its id, "api")'],
    ['3215', ' (port 3215 is in reserved range "fallback", no service\'s port: "ports free fallback" prints a free port in it)'],
    ['api-alt', ' (a reserved range, 8010, not a service: "ports free api-alt" prints a free port in it)'],
    ['fallback', ' (a reserved range, 3210-3220, not a service: "ports free fallback" prints a free port in it)'],
    ['FastAPI', ' (the name of service "api": give its id, "api")'],
    ['fastapi', ' (the name of service "api": give its id, "api")'],
    ['Redis', ' (did you mean "redis"?)'], // an id in other case is a typo of the id, whatever the name
    ['08000', ''],
    // Any number that is no port, by its digits: 0 and past 65535 (a 20-digit one was Number() 1e20, and got no hint).
    ['0', ' (0 is not a port: ports are 1-65535)'],
    ['00', ' (00 is not a port: ports are 1-65535)'],
    ['0/udp', ' (0/udp is not a port: ports are 1-65535)'],
    ['65536', ' (65536 is not a port: ports are 1-65535)'],
    ['99999999999999999999', ' (99999999999999999999 is not a port: ports are 1-65535)'],
    ['0065536', ' (0065536 is not a port: ports are 1-65535)'],
    ['redis-server.service', ' (unit redis-server.service belongs to service "redis": give its id, "redis")'],
    ['dsa110-api', ' (unit dsa110-api.service belongs to service "api": give its id, "api")'],
    ['redis-server.socket', ''],
    ['redis.service', ' (a systemd unit name, not a service id: give the id, "redis")'],
    ['api.socket', ' (a systemd unit name, not a service id: give the id, "api")'],
    ['nope.service', ''],
  ])("an unknown id %j that is a service's port, unit or name, or a reserved range or a port in one, names what to give", (id, hint) => {
    expect(() => registry.service(id)).toThrow(`unknown service ${JSON.stringify(id)} in ports.yaml${hint}; known services: api, redis`);
  });

  it('names every service of a port or unit that several share, and the transport picks one', () => {
    const udp = [
      '  - id: redis-udp',
      '    name: Redis UDP',
      '    group: production',
      '    port: 6379',
      '    transport: udp',
      '    protocol: UDP',
      '    access: localhost',
      '    configuredBy: { env: REDIS_UDP_PORT }',
      // Only one service may claim in a unit (its drop-in is one file); others may name it.
      '    robust: false',
      '    systemd: { unit: redis-server.service }',
      '    processes: [redis-server]',
    ].join('\n');
    const shared = parseRegistry(minimalRegistry.replace('reserved:', `${udp}\nreserved:`));
    const message = (id: string) => (() => shared.service(id)) as () => never;
    expect(message('6379')).toThrow('unknown service "6379" in ports.yaml (port 6379 belongs to services "redis", "redis-udp": give one of their ids); known');
    expect(message('6379/udp')).toThrow(
      'unknown service "6379/udp" in ports.yaml (port 6379/udp belongs to service "redis-udp": give its id, "redis-udp"); known',
    );
    expect(message('redis-server')).toThrow('(unit redis-server.service belongs to services "redis", "redis-udp": give one of their ids); known');
  });
});

describe('misuse from JavaScript', () => {
  it('a service id that is not a string is a TypeError naming it (was: "Cannot read properties of undefined")', async () => {
    const registry = await loadRegistry({ env: {} });
    const untyped = registry as unknown as { resolvePort(id: unknown): unknown; service(id: unknown): unknown };
    expect(() => untyped.resolvePort(undefined)).toThrow(new TypeError('resolvePort: id must be a service id (a string), not undefined'));
    expect(() => untyped.service(8000)).toThrow(new TypeError('service: id must be a service id (a string), not number 8000'));
    expect(() => untyped.service(null)).toThrow(new TypeError('service: id must be a service id (a string), not null'));
    // has() is a type guard: it takes anything, and what is not a string is no id.
    expect([registry.has('api'), registry.has(5), registry.has(null), registry.has({})]).toEqual([true, false, false, false]);
  });

  it('a misspelt option is a TypeError naming it, the option it is near, and what the function takes (was: ignored, and the default used)', async () => {
    await expect(loadRegistry({ pth: '/etc/ports.yaml' } as never)).rejects.toThrow(
      new TypeError('loadRegistry: unknown option "pth" (did you mean "path"?); it takes { path?, env?, origin? }'),
    );
    expect(() => registryPath({ enviroment: {} } as never)).toThrow(
      new TypeError('registryPath: unknown option "enviroment" (did you mean "env"?); it takes { path?, env?, origin? }'),
    );
    expect(() => parseRegistry('version: 1', { sourc: 'x' } as never)).toThrow(
      new TypeError('parseRegistry: unknown option "sourc" (did you mean "source"?); it takes { source? }'),
    );
    const registry = await loadRegistry({ env: {} });
    expect(() => registry.resolvePort('api', { evn: {} } as never)).toThrow(
      new TypeError('resolvePort: unknown option "evn" (did you mean "env"?); it takes { env? }'),
    );
  });

  it('an env holding any variable that is not a string is a TypeError, whichever function is given it (loadRegistry took { CONTIMG_API_PORT: 8001 })', async () => {
    const env = { CONTIMG_API_PORT: 8001 } as never;
    const message = (fn: string) =>
      new TypeError(`${fn}: options.env.CONTIMG_API_PORT must be a string (environment variables are text) or undefined, not number 8001`);
    await expect(loadRegistry({ env })).rejects.toThrow(message('loadRegistry'));
    await expect(loadRegistry({ path: writeRegistry(minimalRegistry), env })).rejects.toThrow(message('loadRegistry'));
    expect(() => registryPath({ env })).toThrow(message('registryPath'));
    expect(() => checkRegistryFile({ env })).toThrow(message('checkRegistryFile'));
    // resolvePort of a service whose own variable is another: it was taken.
    expect(() => registry.resolvePort('redis', { env })).toThrow(message('resolvePort'));
  });

  it('a path with a NUL byte is a TypeError, and an origin is printed escaped: one line', async () => {
    await expect(loadRegistry({ path: '/tmp/a\0b' })).rejects.toThrow(
      new TypeError('loadRegistry: options.path holds a NUL byte, which no file name can; give the path of a ports.yaml'),
    );
    // From DSA110_PORTS_FILE, it is the registry's problem, said as the variable's other bad values are (was: only "ERR_INVALID_ARG_VALUE").
    const nul =
      '/tmp/x\\x00y: cannot read the registry (from $DSA110_PORTS_FILE): the path holds a NUL byte, which no file name can; fix or unset DSA110_PORTS_FILE';
    await expect(loadRegistry({ env: { DSA110_PORTS_FILE: '/tmp/x\0y' } })).rejects.toThrow(nul);
    expect(() => checkRegistryFile({ env: { DSA110_PORTS_FILE: '/tmp/x\0y' } })).toThrow(expect.objectContaining({ name: 'RegistryError', message: nul }));
    const error = await loadRegistry({ path: '/nonexistent/ports.yaml', origin: 'from \u001b[31mX\nsecond' }).then(
      () => new Error('loaded'),
      (caught: unknown) => caught as Error,
    );
    expect(error.message).toBe('/nonexistent/ports.yaml: cannot read the registry (from \\e[31mX\\nsecond): no such file; check the path');
  });

  it('a path through a regular file names that file, not "no such file" (ENOTDIR)', async () => {
    const file = writeRegistry(minimalRegistry, 'good.yaml');
    await expect(loadRegistry({ path: join(file, 'x') })).rejects.toThrow(
      `${file}/x: cannot read the registry: ${file} is a regular file, not a directory; check the path`,
    );
    await expect(loadRegistry({ path: join(file, 'a', 'b.yaml'), origin: 'from --registry' })).rejects.toThrow(
      `${file}/a/b.yaml: cannot read the registry (from --registry): ${file} is a regular file, not a directory; check the path`,
    );
    await expect(loadRegistry({ env: { DSA110_PORTS_FILE: `${file}/` } })).rejects.toThrow(
      `cannot read the registry (from $DSA110_PORTS_FILE): ${file} is a regular file, not a directory; fix or unset DSA110_PORTS_FILE`,
    );
    // The file's name is printed escaped: the message stays one line.
    const odd = writeRegistry(minimalRegistry, 'good\nyaml');
    await expect(loadRegistry({ path: join(odd, 'x') })).rejects.toThrow(`${dirname(odd)}/good\\nyaml is a regular file, not a directory; check the path`);
  });

  it('a path that is not a non-empty string is a TypeError naming it (was: a crash in the error message, or ": cannot read")', async () => {
    await expect(loadRegistry({ path: 123 as unknown as string })).rejects.toThrow(
      new TypeError('loadRegistry: options.path must be a non-empty string (a ports.yaml path), not number 123'),
    );
    await expect(loadRegistry({ path: '' })).rejects.toThrow(
      new TypeError('loadRegistry: options.path must be a non-empty string (a ports.yaml path), not an empty string'),
    );
  });

  it('options that are not an object are a TypeError naming the function, never ignored (loadRegistry("/etc/ports.yaml") loaded the bundled registry)', async () => {
    const untyped = loadRegistry as unknown as (options: unknown) => Promise<unknown>;
    await expect(untyped('/etc/ports.yaml')).rejects.toThrow(
      new TypeError('loadRegistry: options must be an object ({ path?, env?, origin? }) or left out, not the string "/etc/ports.yaml"'),
    );
    await expect(untyped(null)).rejects.toThrow(/^loadRegistry: options must be an object .*, not null$/);
    await expect(untyped({ env: 'x' })).rejects.toThrow(/^loadRegistry: options.env must be an object of environment variables .*, not the string "x"$/);
    await expect(untyped({ env: { DSA110_PORTS_FILE: 5 } })).rejects.toThrow(
      new TypeError('loadRegistry: options.env.DSA110_PORTS_FILE must be a string (environment variables are text) or undefined, not number 5'),
    );
    await expect(untyped({ origin: 5 })).rejects.toThrow(/^loadRegistry: options.origin must be a string .*not number 5$/);
    expect(() => (registryPath as (options: unknown) => unknown)(null)).toThrow(/^registryPath: options must be an object/);
    expect(() => (checkRegistryFile as (options: unknown) => unknown)([])).toThrow(/^checkRegistryFile: options must be an object .*, not an array$/);
  });

  it('options or an env that is not a plain object is a TypeError saying what it was (a URL or a Map loaded the bundled registry, a Map env was ignored)', async () => {
    const shape = '{ path?, env?, origin? }';
    const untyped = loadRegistry as unknown as (options: unknown) => Promise<unknown>;
    await expect(untyped(new URL('file:///x'))).rejects.toThrow(new TypeError(`loadRegistry: options must be an object (${shape}) or left out, not a URL`));
    await expect(untyped(new Map([['path', '/x']]))).rejects.toThrow(
      new TypeError(`loadRegistry: options must be an object (${shape}) or left out, not a Map`),
    );
    await expect(untyped(new (class Options {})())).rejects.toThrow(
      new TypeError(`loadRegistry: options must be an object (${shape}) or left out, not an Options`),
    );
    expect(() => (registryPath as (options: unknown) => unknown)(new Map())).toThrow(/^registryPath: options must be an object .*, not a Map$/);
    expect(() => (checkRegistryFile as (options: unknown) => unknown)(new Date())).toThrow(/^checkRegistryFile: options must be an object .*, not a Date$/);
    expect(() => (parseRegistry as (text: string, options: unknown) => unknown)(minimalRegistry, new URL('file:///x'))).toThrow(
      /^parseRegistry: options must be an object \(\{ source\? \}\) or left out, not a URL$/,
    );
    const envShape = 'options.env must be an object of environment variables (like process.env) or left out';
    await expect(untyped({ env: new Map([['DSA110_PORTS_FILE', '/x']]) })).rejects.toThrow(new TypeError(`loadRegistry: ${envShape}, not a Map`));
    const registry = parseRegistry(minimalRegistry);
    const resolve = registry.resolvePort.bind(registry) as (id: string, options?: unknown) => unknown;
    expect(() => resolve('api', { env: new Map([['CONTIMG_API_PORT', '8010']]) })).toThrow(new TypeError(`resolvePort: ${envShape}, not a Map`));
    expect(() => resolve('api', new Map([['env', {}]]))).toThrow(new TypeError('resolvePort: options must be an object ({ env? }) or left out, not a Map'));

    // Still taken: frozen, without a prototype, a Proxy of a plain object, process.env itself.
    const path = writeRegistry(minimalRegistry);
    expect((await loadRegistry(Object.freeze({ path, env: Object.freeze({}) }))).source).toBe(path);
    expect((await loadRegistry(Object.assign(Object.create(null) as { path?: string }, { path }))).source).toBe(path);
    expect((await loadRegistry(new Proxy({ path }, {}))).source).toBe(path);
    expect((await loadRegistry({ path, env: process.env })).source).toBe(path);
    expect(resolve('api', new Proxy({ env: new Proxy({ CONTIMG_API_PORT: '8010' }, {}) }, {}))).toMatchObject({ port: 8010 });
    expect(resolve('api', Object.freeze({ env: Object.freeze({ CONTIMG_API_PORT: '8010' }) }))).toMatchObject({ port: 8010 });
  });

  it('reads each option as code reads it, options.path: non-enumerable, inherited from defaults (Object.create), or through a Proxy with only a get trap (each loaded the bundled registry)', async () => {
    const path = writeRegistry(minimalRegistry);
    const nonEnumerable = Object.defineProperty({}, 'path', { value: path });
    const inherited = Object.create({ path }) as { path?: string };
    const getOnly = new Proxy({}, { get: (_target, key) => (key === 'path' ? path : undefined) });
    for (const options of [nonEnumerable, inherited, getOnly]) {
      expect((await loadRegistry(options)).source).toBe(path);
      expect(registryPath(options)).toBe(path);
      expect(checkRegistryFile(options)).toBe(path);
    }
    // env too, and resolvePort's one option.
    const env = { CONTIMG_API_PORT: '8010' };
    for (const options of [
      Object.defineProperty({}, 'env', { value: env }),
      Object.create({ env }),
      new Proxy({}, { get: (_t, key) => (key === 'env' ? env : undefined) }),
    ]) {
      expect(registry.resolvePort('api', options)).toEqual({ port: 8010, source: 'env', variable: 'CONTIMG_API_PORT' });
    }
    // A misspelt option in the defaults is said, as one of the object's own is.
    await expect(loadRegistry(Object.create({ pth: path }) as object)).rejects.toThrow(/^loadRegistry: unknown option "pth" \(did you mean "path"\?\)/);
  });

  it("reads a getter once, and one that throws is a TypeError naming the option (it was the getter's own error)", async () => {
    const path = writeRegistry(minimalRegistry);
    let reads = 0;
    // A second read would get a number: refused as "options.path must be a path", or loading another file.
    const flipping = {
      get path() {
        return reads++ === 0 ? path : 5;
      },
    };
    expect((await loadRegistry(flipping as { path: string })).source).toBe(path);
    expect(reads).toBe(1);
    const throwing = {
      get path(): string {
        throw new Error('no path today');
      },
    };
    await expect(loadRegistry(throwing)).rejects.toThrow(
      new TypeError('loadRegistry: options.path cannot be read (reading it threw Error "no path today"); give options whose properties read as values'),
    );
    expect(() =>
      registry.resolvePort(
        'api',
        new Proxy(
          {},
          {
            get() {
              throw new RangeError('trap');
            },
          },
        ),
      ),
    ).toThrow(new TypeError('resolvePort: options.env cannot be read (reading it threw RangeError "trap"); give options whose properties read as values'));
  });

  it("reads options as own properties, defaults of their own or a Proxy's get: a polluted Object.prototype never chooses the file or the env", async () => {
    const evil = writeRegistry(minimalRegistry, 'evil.yaml');
    const registry = parseRegistry(minimalRegistry);
    const polluted = Object.prototype as Record<string, unknown>;
    try {
      polluted.path = evil;
      expect((await loadRegistry()).source).toBe(BUNDLED_SOURCE);
      expect((await loadRegistry({ env: {} })).source).toBe(BUNDLED_SOURCE);
      expect(registryPath({ env: {} })).toBeUndefined();
      expect(checkRegistryFile({ env: {} })).toBeUndefined();
    } finally {
      delete polluted.path;
    }
    try {
      polluted.path = evil;
      // Through defaults of their own, or a Proxy's get that answers what Object.prototype holds: still not set.
      expect((await loadRegistry(Object.create(Object.create({ env: {} })) as object)).source).toBe(BUNDLED_SOURCE);
      const forwarding = new Proxy({ env: {} }, { get: (target, key) => Reflect.get(target, key) });
      expect((await loadRegistry(forwarding)).source).toBe(BUNDLED_SOURCE);
    } finally {
      delete polluted.path;
    }
    try {
      polluted.env = { CONTIMG_API_PORT: '8010', DSA110_PORTS_FILE: evil };
      expect(registry.resolvePort('api')).toEqual({ port: 8000, source: 'registry' });
      expect((await loadRegistry()).source).toBe(BUNDLED_SOURCE);
    } finally {
      delete polluted.env;
    }
    try {
      polluted.origin = 'from a polluted prototype';
      await expect(loadRegistry({ path: '/nonexistent/ports.yaml' })).rejects.toThrow(/^\/nonexistent\/ports\.yaml: cannot read the registry: no such file/);
    } finally {
      delete polluted.origin;
    }
  });

  it('parseRegistry of something not a string is a TypeError (was: a RegistryError "internal error ... please report")', () => {
    const untyped = parseRegistry as unknown as (text: unknown, options?: unknown) => unknown;
    expect(() => untyped(Buffer.from(minimalRegistry))).toThrow(
      new TypeError(
        'parseRegistry: text must be a string (the YAML of a ports.yaml), not a Buffer (decode the bytes first: .toString("utf8"), or use loadRegistry({ path }))',
      ),
    );
    expect(() => untyped(undefined)).toThrow(new TypeError('parseRegistry: text must be a string (the YAML of a ports.yaml), not undefined'));
    expect(() => untyped(minimalRegistry, 'my.yaml')).toThrow(
      new TypeError('parseRegistry: options must be an object ({ source? }) or left out, not the string "my.yaml"'),
    );
    expect(() => untyped(minimalRegistry, null)).toThrow(TypeError);
    expect(() => untyped(minimalRegistry, { source: 5 })).toThrow(/^parseRegistry: options.source must be a non-empty string .*not number 5$/);
    expect(() => untyped(minimalRegistry, { source: '' })).toThrow(/not an empty string$/);
    expect(untyped(minimalRegistry, { source: 'my.yaml' })).toMatchObject({ source: 'my.yaml' });
  });

  it('resolvePort: bad options or a non-string override is a TypeError naming it (was: "truncate(...).replace is not a function")', async () => {
    const registry = await loadRegistry({ env: {} });
    const untyped = registry as unknown as { resolvePort(id: string, options?: unknown): unknown };
    expect(() => untyped.resolvePort('api', { env: { CONTIMG_API_PORT: 8001 } })).toThrow(
      new TypeError('resolvePort: options.env.CONTIMG_API_PORT must be a string (environment variables are text) or undefined, not number 8001'),
    );
    expect(() => untyped.resolvePort('api', null)).toThrow(new TypeError('resolvePort: options must be an object ({ env? }) or left out, not null'));
    expect(() => untyped.resolvePort('api', 'x')).toThrow(TypeError);
    expect(() => untyped.resolvePort('api', { env: null })).toThrow(/^resolvePort: options.env must be an object/);
    expect(untyped.resolvePort('api', { env: { CONTIMG_API_PORT: '8010' } })).toEqual({ port: 8010, source: 'env', variable: 'CONTIMG_API_PORT' });
  });

  it('lookup: a port that is not a number, or a transport not tcp/udp, is a TypeError (was: undefined, as if the port were unregistered)', async () => {
    const registry = await loadRegistry({ env: {} });
    const untyped = registry as unknown as { lookup(port: unknown, transport?: unknown): unknown };
    expect(() => untyped.lookup('8000')).toThrow(new TypeError('lookup: port must be a number, not the string "8000" (parse it with parsePort)'));
    expect(() => untyped.lookup(8000, 'TCP')).toThrow(new TypeError('lookup: transport must be "tcp" or "udp" (or left out: "tcp"), not the string "TCP"'));
    expect(() => untyped.lookup(8000, null)).toThrow(TypeError);
    expect(untyped.lookup(8000)).toMatchObject({ id: 'api' });
    // A number no port can be is a RangeError, not "no service has it".
    for (const port of [-1, 0, 1.5, Number.NaN, 65536, Number.POSITIVE_INFINITY]) expect(() => untyped.lookup(port)).toThrow(RangeError);
    expect(() => untyped.lookup(0)).toThrow(new RangeError('lookup: port must be a whole number 1-65535, not number 0'));
    expect(untyped.lookup(65535)).toBeUndefined();
  });
});
