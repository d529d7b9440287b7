// The bin's bundle runs every module's top level at every start: what it makes there, each check pays for.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { unicodeClassesAtTopLevel } from '../../../test-support/bundle-start.js';

const bundle = join(dirname(dirname(fileURLToPath(import.meta.url))), 'dist/cli.cjs');

describe("the bin's bundle", () => {
  it('makes no regular expression with a Unicode property class as it loads (V8 builds each from ICU at every start): each is made at first use', () => {
    if (!existsSync(bundle)) throw new Error('port-health-check is not built: run `npx -y pnpm@10.34.9 build` first');
    expect(unicodeClassesAtTopLevel(bundle)).toEqual([]);
  });
});
