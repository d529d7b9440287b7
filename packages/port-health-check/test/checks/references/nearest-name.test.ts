// The "did you mean" of an unknown Redis directive or prometheus.yml field: the one name at most two edits away.
import { describe, expect, it } from 'vitest';
import { nearestName } from '../../../src/checks/references/nearest-name.js';

describe('nearestName', () => {
  it('offers the nearest name within two edits, a swap of neighbours counted as one', () => {
    expect(nearestName('prot', ['port', 'bind'])).toBe('port');
    expect(nearestName('statc_configs', ['static_configs', 'scrape_configs'])).toBe('static_configs');
    expect(nearestName('static_config', ['static_configs', 'file_sd_configs'])).toBe('static_configs');
    expect(nearestName('bnid', ['bind', 'port'])).toBe('bind');
  });

  it('offers none three edits away, none for a tie, and the nearer over a farther one', () => {
    expect(nearestName('prtx', ['port'])).toBe('port');
    expect(nearestName('pxxx', ['port'])).toBeUndefined();
    expect(nearestName('abx', ['abc', 'abd'])).toBeUndefined();
    expect(nearestName('abx', ['abc', 'xbyz'])).toBe('abc');
    expect(nearestName('x'.repeat(100_000), ['port'])).toBeUndefined();
  });
});
