import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRegistry } from '@dsa110/ports';
import { claimPortDropIn, claimPortPathProblem, claimWiring, execStartPreLine, serviceSectionLines, systemdDrift } from '@dsa110/ports/render';
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

  it('refuses claim-port paths systemd would misread', () => {
    expect(claimPortPathProblem('/usr/local/bin/claim-port')).toBeUndefined();
    expect(claimPortPathProblem('claim-port')).toMatch(/absolute/);
    expect(claimPortPathProblem('/a b/claim-port')).toMatch(/white space/);
    expect(claimPortPathProblem('/a/%n')).toMatch(/%/);
  });
});

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
    expect(drift[0]!.message).toContain("wires dsa110-api.service's claim in the unit file, so this would claim twice");
    expect(drift[1]).toMatchObject({ expected: claimPortDropIn(6379), actual: claimPortDropIn(6380) });

    files.delete('redis-server.service.d/claim-port.conf');
    expect(systemdDrift(wiring, { files, dropIns: [] })[0]!.message).toMatch(/^missing: /);
  });

  it('finds the unit line only in [Service], with continuations and spacing normalised', () => {
    const elsewhere = '[Unit]\nExecStartPre=+/usr/local/bin/claim-port 8000\n[Service]\nExecStart=/bin/true\n';
    const files = new Map(good).set('dsa110-api.service', elsewhere);
    expect(systemdDrift(wiring, { files, dropIns: ['redis-server.service.d/claim-port.conf'] })[0]!.message).toMatch(/^does not contain/);
    expect(serviceSectionLines('[Service]\nExecStartPre = +/usr/local/bin/claim-port \\\n  8000\n# comment\n')).toEqual([
      'ExecStartPre=+/usr/local/bin/claim-port 8000',
    ]);
  });
});
