// Which ports claim-port --test's own holders take (the live run is in cli.test.ts), and that it
// signals nothing but them.
import { describe, expect, it } from 'vitest';
import { holderPorts, runSelfTest } from '../src/self-test.js';
import { isAlive, leasePort, spawnListener } from '../../../test-support/index.js';

describe('holderPorts', () => {
  const range = { start: 32768, end: 60999 };

  it('gives distinct ports from 20000-65535, outside the ephemeral range and the registry', () => {
    const known = (port: number) => port % 2 === 0; // half the ports "in the registry"
    const ports = holderPorts(range, known, 200);
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports.length).toBeGreaterThan(100);
    for (const port of ports) {
      expect(port >= 20_000 && port <= 65_535, String(port)).toBe(true);
      expect(port >= range.start && port <= range.end, String(port)).toBe(false);
      expect(known(port), String(port)).toBe(false);
    }
    expect(ports.some((port) => port < range.start) && ports.some((port) => port > range.end)).toBe(true);
  });

  it('gives none when the range is unknown (the holder then takes an ephemeral port), and stops when nothing qualifies', () => {
    expect(holderPorts(undefined, () => false)).toEqual([]);
    expect(holderPorts({ start: 1, end: 65535 }, () => false)).toEqual([]);
    expect(holderPorts(range, () => true)).toEqual([]);
  });

  it('takes its randomness from the caller: the same draws, the same ports', () => {
    const draws = (seed: number) => {
      let state = seed;
      return () => (state = (state * 16807) % 2147483647) / 2147483647;
    };
    expect(holderPorts(range, () => false, 8, draws(7))).toEqual(holderPorts(range, () => false, 8, draws(7)));
  });
});

describe('runSelfTest', () => {
  it('never claims a port another process shares on another address ([::1] beside its 127.0.0.1): it takes another port, and the stranger lives', async () => {
    // A listener on [::1]:PORT does not stop the holder binding 127.0.0.1:PORT, and a claim of PORT finds both: it used to SIGTERM the stranger.
    const port = leasePort({ ranges: [[20_000, 29_999]] });
    const stranger = await spawnListener({ host: '::1', port });
    const random = () => (port - 20_000 + 0.5) / (65_536 - 20_000); // holderPorts draws `port` every time
    expect(holderPorts({ start: 32768, end: 60999 }, () => false, 16, random)).toEqual([port]);
    let out = '';
    const lines: string[] = [];
    const passed = await runSelfTest({ json: true, io: { out: (text) => (out += text), err: (text) => lines.push(text) }, random });
    expect(isAlive(stranger.pid)).toBe(true);
    const checks = (JSON.parse(out) as { checks: { name: string; ok: boolean }[] }).checks;
    expect(checks.filter((check) => check.name.includes(`:${port}`))).toEqual([]);
    expect(passed, lines.join('')).toBe(true);
  });
});
