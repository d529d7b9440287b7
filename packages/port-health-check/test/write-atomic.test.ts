import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAtomic } from '../src/write-atomic.js';
import { tempDir } from './helpers.js';

describe('writeAtomic', () => {
  it('replaces the file in one rename and leaves no temp file behind', async () => {
    const dir = tempDir();
    const path = join(dir, 'ports.prom');
    writeFileSync(path, 'old\n');
    const before = statSync(path).ino;
    await writeAtomic(path, 'new\n');
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).ino).not.toBe(before); // a new file renamed over the old one, not rewritten in place
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['ports.prom']);
  });

  it('fails with the errno when the directory is missing, writing nothing', async () => {
    const dir = tempDir();
    await expect(writeAtomic(join(dir, 'nope', 'x.prom'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(readdirSync(dir)).toEqual([]);
  });
});
