import { describe, expect, it } from 'vitest';
import { chooseDropIns, dropInDirNames, dropInDirs, templateOf } from '../../src/systemd/search-path.js';

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
