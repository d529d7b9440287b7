// Real temp trees of unit files for the systemd model's tests, removed after each test.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'ports-systemd-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export type TreeEntry = string | { text: string; mode: number } | { symlink: string };

/** Write files under root: `{ 'etc/systemd/system/x.service': '...' }`. */
export function writeTree(root: string, files: Record<string, TreeEntry>): string {
  for (const [path, entry] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof entry === 'string') writeFileSync(full, entry);
    else if ('symlink' in entry) symlinkSync(entry.symlink, full);
    else {
      writeFileSync(full, entry.text);
      chmodSync(full, entry.mode);
    }
  }
  return root;
}
