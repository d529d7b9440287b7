// Every bin writes to the cache directory (claim-port as root), so each one's
// --help says where it is and how to move it or turn it off: run as built.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_ENV, ROOT_CACHE_DIR } from '../../src/cache.js';
import { cacheHelp } from '../../src/cli-kit/conventions.js';
import { repoRoot } from '../helpers.js';

describe('--help', () => {
  it('names the cache directory, and how to move it or turn it off', () => {
    expect(cacheHelp()).toContain(ROOT_CACHE_DIR);
    expect(cacheHelp()).toContain('~/.cache/dsa110-ports');
    expect(cacheHelp()).toContain(`${CACHE_ENV}=DIR`);
    expect(cacheHelp()).toContain(`${CACHE_ENV}=off`);
  });

  it.each(['ports/bin/ports.js', 'claim-port/bin/claim-port.js', 'port-health-check/bin/port-health-check.js'])('of %s says it', (bin) => {
    const help = execFileSync(process.execPath, [join(repoRoot, 'packages', bin), '--help'], { encoding: 'utf8' });
    expect(help).toContain(cacheHelp());
  });
});
