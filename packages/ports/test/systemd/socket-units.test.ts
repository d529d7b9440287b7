import { describe, expect, it } from 'vitest';
import { listUnitDirs } from '../../src/systemd/effective.js';
import { parseSocketUnit, socketUnitsOn } from '../../src/systemd/socket-units.js';
import { tempDir, writeTree } from '../../../../test-support/tree.js';

describe('parseSocketUnit', () => {
  it('merges ListenStream= over the file and its drop-ins', () => {
    const unit = parseSocketUnit({
      unit: 'a.socket',
      file: { path: '/etc/systemd/system/a.socket', text: '[Socket]\nListenStream=8000\n' },
      dropIns: [{ path: '/etc/systemd/system/a.socket.d/x.conf', text: '[Socket]\nListenStream=\nListenStream=127.0.0.1:8001\n' }],
      problems: [],
    });
    expect(unit.listens.map((listen) => listen.port)).toEqual([8001]);
  });

  it('given a unit that is not a LoadedUnit (from JavaScript), names itself and the field, never "loaded.dropIns is not iterable"', () => {
    const untyped = parseSocketUnit as (loaded: unknown) => unknown;
    expect(() => untyped({})).toThrow(new TypeError('parseSocketUnit: loaded.unit must be a unit name (a string), not undefined'));
    expect(() => untyped({ unit: 'a.socket' })).toThrow(new TypeError('parseSocketUnit: loaded.dropIns must be an array of { path, text }, not undefined'));
    expect(() => untyped({ unit: 'a.socket', file: { text: '' }, dropIns: [] })).toThrow(
      new TypeError('parseSocketUnit: loaded.file.path must be a string, not undefined'),
    );
    expect(() => untyped({ unit: 'a.socket', dropIns: ['x'] })).toThrow(
      new TypeError('parseSocketUnit: loaded.dropIns[0] must be an object ({ path, text }), not the string "x"'),
    );
  });
});

describe('socketUnitsOn', () => {
  it('finds every socket unit whose files listen on the port with the transport: drop-ins and enabled template instances too, masked ones not', () => {
    const dir = 'etc/systemd/system';
    const socket = (...lines: string[]) => `[Socket]\n${lines.join('\n')}\n`;
    const root = writeTree(tempDir(), {
      [`${dir}/a.socket`]: socket('ListenStream=/run/a.sock', 'ListenStream=[::1]:8000'),
      [`${dir}/b.socket`]: socket('ListenDatagram=8000'),
      [`${dir}/c.socket`]: socket('ListenStream=8001'),
      [`${dir}/c.socket.d/port.conf`]: '[Socket]\nListenStream=\nListenStream=0.0.0.0:8000\n',
      [`${dir}/old.socket`]: { symlink: '/dev/null' },
      'usr/lib/systemd/system/old.socket': socket('ListenStream=8000'),
      [`${dir}/http@.socket`]: socket('ListenStream=%i'),
      [`${dir}/sockets.target.wants/http@8000.socket`]: { symlink: `/${dir}/http@.socket` },
    });
    const listing = listUnitDirs(root);
    expect(socketUnitsOn(root, listing, 8000, 'tcp').map((s) => [s.unit, s.listen.value, `${s.listen.file}:${s.listen.line}`, s.enabledBy])).toEqual([
      ['a.socket', '[::1]:8000', `/${dir}/a.socket:3`, undefined],
      ['c.socket', '0.0.0.0:8000', `/${dir}/c.socket.d/port.conf:3`, undefined],
      ['http@8000.socket', '8000', `/${dir}/http@.socket:2`, `/${dir}/sockets.target.wants`],
    ]);
    expect(socketUnitsOn(root, listing, 8000, 'udp').map((s) => s.unit)).toEqual(['b.socket']);
    expect(socketUnitsOn(root, listing, 9000, 'tcp')).toEqual([]);
    expect(() => socketUnitsOn(root, listing, 0, 'tcp')).toThrow(/socketUnitsOn: port must be/);
  });

  it('reads the port as systemd does: 0x4650, 043120 and +18000 are 18000; 018000 and 127.0.0.1:18000#name are ignored lines', () => {
    const dir = 'etc/systemd/system';
    const socket = (...lines: string[]) => `[Socket]\n${lines.join('\n')}\n`;
    const root = writeTree(tempDir(), {
      [`${dir}/hex.socket`]: socket('ListenStream=0x4650'),
      [`${dir}/octal.socket`]: socket('ListenDatagram=0.0.0.0:043120'),
      [`${dir}/plus.socket`]: socket('ListenStream=[::]:+18000'),
      [`${dir}/refused.socket`]: socket('ListenStream=018000', 'ListenStream=127.0.0.1:18000#name'),
    });
    const listing = listUnitDirs(root);
    expect(socketUnitsOn(root, listing, 18000, 'tcp').map((s) => [s.unit, s.listen.value])).toEqual([
      ['hex.socket', '0x4650'],
      ['plus.socket', '[::]:+18000'],
    ]);
    expect(socketUnitsOn(root, listing, 18000, 'udp').map((s) => s.unit)).toEqual(['octal.socket']);
  });
});
