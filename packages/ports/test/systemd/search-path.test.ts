import { describe, expect, it } from 'vitest';
import { chooseDropIns, dropInDirNames, dropInDirs, dropInPrefix, templateOf, typeDropInDirName } from '../../src/systemd/search-path.js';
import { isValidUnitName } from '../../src/systemd/effective.js';
import { seededRandom } from './fixtures/systemd-corpus.js';

describe('systemd search path', () => {
  it('names drop-in directories most specific first', () => {
    expect(dropInDirNames('redis-server.service')).toEqual(['redis-server.service.d', 'redis-.service.d', 'service.d']);
    expect(dropInDirNames('dsa110-api-v2@blue.service')).toEqual([
      'dsa110-api-v2@blue.service.d',
      'dsa110-api-v2@.service.d',
      'dsa110-api-.service.d',
      'dsa110-.service.d',
      'dsa110-api-@blue.service.d',
      'dsa110-api-@.service.d',
      'dsa110-@blue.service.d',
      'dsa110-@.service.d',
      'service.d',
    ]);
    expect(templateOf('x@y.service')).toBe('x@.service');
    expect(templateOf('x.service')).toBeUndefined();
    // As systemd's unit_name_template(): up to the first @, then the suffix (systemd-analyze loads x@a@b.service from x@.service).
    expect(templateOf('x@a@b.service')).toBe('x@.service');
    expect(templateOf('x@a.b.service')).toBe('x@.service');
    expect(templateOf('x@.service')).toBeUndefined();
  });

  it('names the prefix every unit-specific drop-in directory name starts with (loadUnit skips a unit none of whose could be listed)', () => {
    expect(dropInPrefix('dsa110-api-v2@blue.service')).toBe('dsa110-');
    expect(dropInPrefix('redis.service')).toBe('redis');
    expect(dropInPrefix('x@a-b.service')).toBe('x');
    expect(dropInPrefix('-a-b.service')).toBe('-a-');
    expect(typeDropInDirName('a-b.socket')).toBe('socket.d');
    // Every name dropInDirNames makes, on names built from the characters that steer it.
    const alphabet = ['a', 'b', '-', '-', '@', '.', 'x'];
    const random = seededRandom(7);
    const next = () => Math.floor(random() * 2 ** 31);
    let checked = 0;
    for (let n = 0; n < 5000; n++) {
      const length = 1 + (next() % 9);
      let base = '';
      for (let i = 0; i < length; i++) base += alphabet[next() % alphabet.length];
      // A name without a suffix is no unit, but the prefix must hold for whatever the functions are given.
      const unit = [`${base}.service`, `${base}.socket`, base][next() % 3]!;
      const names = dropInDirNames(unit);
      expect(names.at(-1)).toBe(typeDropInDirName(unit));
      const prefix = dropInPrefix(unit);
      for (const name of names.slice(0, -1)) expect(name.startsWith(prefix), `${unit}: ${name} does not start with ${prefix}`).toBe(true);
      checked += names.length - 1;
    }
    expect(checked).toBeGreaterThan(8_000);
  });

  it('searches /etc before /run before the packaged directories', () => {
    const dirs = dropInDirs('prometheus.service');
    expect(dirs.indexOf('etc/systemd/system/prometheus.service.d')).toBeLessThan(dirs.indexOf('run/systemd/system/prometheus.service.d'));
    expect(dirs.indexOf('run/systemd/system/prometheus.service.d')).toBeLessThan(dirs.indexOf('lib/systemd/system/prometheus.service.d'));
    // The type-wide service.d comes after every unit-specific directory, /usr/lib's included.
    expect(dirs.indexOf('usr/lib/systemd/system/prometheus.service.d')).toBeLessThan(dirs.indexOf('etc/systemd/system/service.d'));
  });

  it('lets the highest-priority directory win a file name, then sorts by name', () => {
    expect(
      chooseDropIns([
        { dir: 'etc/systemd/system/a.service.d', names: ['50-claim.conf', 'README'] },
        { dir: 'usr/lib/systemd/system/a.service.d', names: ['50-claim.conf', '10-env.conf'] },
      ]),
    ).toEqual([
      { dir: 'usr/lib/systemd/system/a.service.d', name: '10-env.conf' },
      { dir: 'etc/systemd/system/a.service.d', name: '50-claim.conf' },
    ]);
  });
});

describe('chooseDropIns given entries that are not { dir, names } (from JavaScript)', () => {
  const untyped = chooseDropIns as (found: unknown) => unknown;
  it('names itself and the entry, never "names is not iterable"', () => {
    expect(() => untyped([{}])).toThrow(new TypeError('chooseDropIns: found[0].dir must be a directory (a string), not undefined'));
    expect(() => untyped([{ dir: 'a', names: ['x.conf'] }, { dir: 'b' }])).toThrow(
      new TypeError('chooseDropIns: found[1].names must be an array of strings, not undefined'),
    );
    expect(() => untyped([{ dir: 'a', names: [null] }])).toThrow(new TypeError('chooseDropIns: found[0].names[0] must be a string, not null'));
    expect(() => untyped([null])).toThrow(new TypeError('chooseDropIns: found[0] must be an object ({ dir, names }), not null'));
  });
});

describe('isValidUnitName', () => {
  it('takes what systemd takes as a unit name, and nothing else', () => {
    for (const name of ['redis-server.service', 'getty@tty1.service', 'foo@.service', 'a\\x20b.service', 'x:y_z.socket'])
      expect(isValidUnitName(name), name).toBe(true);
    for (const name of ['a b.service', 'service', '.service', '@x.service', 'caf\u00e9.service', `${'a'.repeat(256)}.service`])
      expect(isValidUnitName(name), name).toBe(false);
  });
});
