// claimPort()'s arguments from JavaScript: a wrong type is a TypeError naming
// the option, before anything is read or signalled. Every call here names a
// port nobody listens on, so even a check that failed to fire signals nothing.
import { loadRegistry } from '@dsa110/ports';
import { readListenSocketsSync } from '@dsa110/ports/system';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { guardPort, isAlive, leasePort, spawnListener } from '../../../test-support/index.js';
import { claimPort } from '../src/index.js';

/** A port nobody listens on, and no other process is given meanwhile (leased, outside the ephemeral range). */
const unusedPort = leasePort;

const untyped = claimPort as unknown as (portOrId: unknown, options?: unknown) => Promise<unknown>;

describe('claimPort from JavaScript', () => {
  it('refuses options that are not an object, never claiming as if none were given ("dry-run" used to claim for real)', async () => {
    const port = unusedPort();
    await expect(untyped(port, 'dry-run')).rejects.toThrow(
      new TypeError(
        'claimPort: options must be an object ({ dryRun?, force?, timeoutSeconds?, transport?, registry?, registryOrigin?, env?, log?, usage?, killWaitMs?, settleMs?, reader?, processes?, listening?, signal? }) or left out, not the string "dry-run"',
      ),
    );
    await expect(untyped(port, null)).rejects.toThrow(/^claimPort: options must be an object .*, not null$/);
    await expect(untyped(port, [])).rejects.toThrow(/^claimPort: options must be an object .*, not an array$/);
  });

  it('refuses a port or id that is neither a number nor a string (null was "unknown service \\"null\\"", 10n claimed port 10)', async () => {
    await expect(untyped(null, { dryRun: true })).rejects.toThrow(
      new TypeError('claimPort: portOrId must be a port number, a decimal string or a service id, not null'),
    );
    await expect(untyped(10n, { dryRun: true })).rejects.toThrow(/^claimPort: portOrId must be .*, not bigint 10$/);
    await expect(untyped(Symbol('x'), { dryRun: true })).rejects.toThrow(/^claimPort: portOrId must be .*, not symbol$/);
    await expect(untyped({ port: 8000 }, { dryRun: true })).rejects.toThrow(/not an object$/);
  });

  it('reads options as their own properties only: a polluted Object.prototype is not an option', async () => {
    const port = unusedPort();
    const polluted = Object.prototype as Record<string, unknown>;
    polluted.timeoutSeconds = 'x';
    try {
      // Read through the prototype, the left-out option was "the string x": a TypeError before the claim.
      await expect(untyped(port, { dryRun: true })).resolves.toMatchObject({ port });
    } finally {
      delete polluted.timeoutSeconds;
    }
  });

  it('names each option of the wrong type', async () => {
    const port = unusedPort();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ dryRun: 'yes' }, /^claimPort: options\.dryRun must be a boolean or left out, not the string "yes"$/],
      [{ force: 1 }, /options\.force must be a boolean .*not number 1$/],
      [{ timeoutSeconds: '5' }, /options\.timeoutSeconds must be a number of seconds .*not the string "5"$/],
      [{ transport: 'sctp' }, /options\.transport must be "tcp" or "udp" .*not the string "sctp"$/],
      [{ registry: 5 }, /options\.registry must be a ports.yaml path or a Registry .*not number 5$/],
      [{ registry: '' }, /options\.registry must be .*not the string ""$/],
      [{ env: null }, /options\.env must be an object of environment variables .*not null$/],
      [{ log: 'console' }, /options\.log must be a function .*not the string "console"$/],
      [{ killWaitMs: '10' }, /options\.killWaitMs must be a number of milliseconds/],
    ];
    for (const [options, message] of cases) {
      await expect(untyped(port, { dryRun: true, ...options }), JSON.stringify(options)).rejects.toThrow(message);
      await expect(untyped(port, { dryRun: true, ...options })).rejects.toBeInstanceOf(TypeError);
    }
    await expect(untyped(port, { dryRun: true, settleMs: Number.NaN })).rejects.toThrow(
      new RangeError('claimPort: options.settleMs must be a finite number of milliseconds >= 0, not NaN'),
    );
    await expect(untyped(port, { dryRun: true, killWaitMs: -1 })).rejects.toThrow(RangeError);
  });

  it('reads each option once (a getter), and takes frozen options', async () => {
    const port = unusedPort();
    let reads = 0;
    const options = {
      get dryRun() {
        reads++;
        return true;
      },
    };
    await expect(untyped(port, options)).resolves.toMatchObject({ action: 'already-free' });
    expect(reads).toBe(1);
    await expect(untyped(port, Object.freeze({ dryRun: true }))).resolves.toMatchObject({ action: 'already-free' });
  });

  it('refuses a misspelt option before anything is read or signalled: { dryrun: true } claimed for real (the holder got SIGTERM)', async () => {
    const server = await spawnListener();
    guardPort(server.port);
    const lines: string[] = [];
    await expect(untyped(server.port, { dryrun: true, log: (line: string) => lines.push(line) })).rejects.toThrow(
      new TypeError(
        'claimPort: unknown option "dryrun" (did you mean "dryRun"?); it takes { dryRun?, force?, timeoutSeconds?, transport?, registry?, registryOrigin?, env?, log?, usage?, killWaitMs?, settleMs?, reader?, processes?, listening?, signal? }',
      ),
    );
    // A SIGTERM would end it well within this (it exits at once on one): the holder is untouched, still listening.
    await sleep(300);
    expect(isAlive(server.pid)).toBe(true);
    expect(readListenSocketsSync({ ports: [server.port] }).map((socket) => socket.port)).toContain(server.port);
    expect(lines).toEqual([]);
  });

  it("names a misspelt option near none as unknown (one that starts an option's name, that one), and takes every key of ClaimOptions, the test hooks included", async () => {
    const port = unusedPort();
    await expect(untyped(port, { dryRun: true, bogus: 1 })).rejects.toThrow(/^claimPort: unknown option "bogus"; it takes \{ dryRun\?, /);
    await expect(untyped(port, { dryRun: true, timeout: 5 })).rejects.toThrow(
      /^claimPort: unknown option "timeout" \(did you mean "timeoutSeconds"\?\); it takes /,
    );
    // Each documented option, and the hooks the README leaves out, is a key it knows (a value of the wrong type says so, not "unknown").
    for (const key of [
      'force',
      'timeoutSeconds',
      'transport',
      'registry',
      'registryOrigin',
      'env',
      'log',
      'usage',
      'killWaitMs',
      'settleMs',
      'reader',
      'processes',
      'listening',
    ]) {
      await expect(untyped(port, { dryRun: true, [key]: Symbol('x') }), key).rejects.toThrow(new RegExp(`^claimPort: options\\.${key} must be `));
    }
  });

  it('refuses a registry that is neither a ports.yaml path nor a Registry, on a held port, a free port and for a service id', async () => {
    const message = (what: string) =>
      new TypeError(`claimPort: options.registry must be a ports.yaml path or a Registry (from loadRegistry or parseRegistry) or left out, not ${what}`);
    // A service id: it was "registry.resolvePort is not a function", from deep inside.
    await expect(untyped('api', { dryRun: true, registry: { path: 'x' } })).rejects.toThrow(message('an object'));
    // A free port: the value was ignored, and the claim said "free".
    const port = unusedPort();
    for (const [registry, what] of [
      [{}, 'an object'],
      [[], 'an array'],
      [{ services: [], reserved: [] }, 'an object'],
      [new Map(), 'a Map'],
    ] as const) {
      await expect(untyped(port, { dryRun: true, registry }), what).rejects.toThrow(message(what));
    }
    // A held port: it was "registry?.lookup is not a function", and the holder must not be signalled.
    const server = await spawnListener();
    guardPort(server.port);
    await expect(untyped(server.port, { registry: { path: 'x' } })).rejects.toThrow(message('an object'));
    await sleep(300);
    expect(isAlive(server.pid)).toBe(true);
    // A real Registry is taken, for a port and for a service id.
    const registry = await loadRegistry();
    await expect(untyped(port, { dryRun: true, registry })).resolves.toMatchObject({ action: 'already-free' });
    await expect(untyped('api', { dryRun: true, registry })).resolves.toMatchObject({ dryRun: true });
  });

  it('refuses an env holding a variable that is not a string, even where no registry is read (a free port)', async () => {
    const port = unusedPort();
    await expect(untyped(port, { dryRun: true, env: { CONTIMG_API_PORT: 8001 } })).rejects.toThrow(
      new TypeError('claimPort: options.env.CONTIMG_API_PORT must be a string (environment variables are text) or undefined, not number 8001'),
    );
    await expect(untyped(port, { dryRun: true, env: new Map() })).rejects.toThrow(
      /^claimPort: options\.env must be an object of environment variables .*not a Map$/,
    );
  });
});
