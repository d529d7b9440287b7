import { describe, expect, it } from 'vitest';
import { parseSocketUnit } from '../../src/systemd/socket-units.js';

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
