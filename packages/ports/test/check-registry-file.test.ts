// checkRegistryFile: loadRegistry's read errors, from a stat and an open, with no read and no parse.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTree } from '../../../test-support/tree.js';
import { checkRegistryFile, loadRegistry, RegistryError } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'check-registry-file-'));
afterAll(() => removeTree(dir));

/** The message loadRegistry gives for these options (it must fail to read). */
async function loadMessage(options: Parameters<typeof checkRegistryFile>[0]): Promise<string> {
  const error = await loadRegistry(options!).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryError);
  return (error as Error).message;
}

describe('checkRegistryFile', () => {
  it('throws the RegistryError loadRegistry would for a file it cannot read, without reading it', async () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const large = join(dir, 'large.yaml');
    writeFileSync(large, '');
    truncateSync(large, 1024 * 1024 + 1);
    const cases = [
      { path: join(dir, 'missing.yaml') },
      { path: dir },
      { path: fifo },
      { path: '/dev/zero' },
      { path: large },
      { path: '-' },
      { path: join(dir, 'missing.yaml'), origin: 'from --registry' },
      { env: { DSA110_PORTS_FILE: join(dir, 'nope') } },
    ];
    for (const options of cases) {
      const expected = await loadMessage(options);
      expect(() => checkRegistryFile(options), JSON.stringify(options)).toThrow(RegistryError);
      expect(() => checkRegistryFile(options)).toThrow(expected);
    }
  });

  it('passes a readable file without parsing it, and returns the path; undefined for the bundled registry', () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'services: [');
    expect(checkRegistryFile({ path: broken })).toBe(broken);
    expect(checkRegistryFile({ env: { DSA110_PORTS_FILE: broken } })).toBe(broken);
    expect(checkRegistryFile({ env: {} })).toBeUndefined();
  });

  it('a path that is not a non-empty string is a TypeError naming it', () => {
    expect(() => checkRegistryFile({ path: '' })).toThrow(/^checkRegistryFile: options.path must be a non-empty string .*not an empty string$/);
    expect(() => checkRegistryFile({ path: 42 as unknown as string })).toThrow(TypeError);
  });
});
