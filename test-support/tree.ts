// Real temp trees of files for tests (unit files and drop-ins under a root,
// config files, registries), removed after each test. Shared by @dsa110/ports
// and port-health-check.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) removeTree(dir);
});

/** Remove a test's tree; rm -rf where Node cannot (a path deeper than PATH_MAX, made on purpose by some tests). */
export function removeTree(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    spawnSync('rm', ['-rf', '--', dir]);
  }
}

/** A fresh directory under the system's temp dir, removed after the current test. */
export function tempDir(prefix = 'dsa110-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A file's text; text with a mode; a symbolic link; a FIFO (named pipe); an empty directory. */
export type TreeEntry =
  | string
  | { readonly text: string; readonly mode: number }
  | { readonly symlink: string }
  | { readonly fifo: true }
  | { readonly dir: true };

/** Write files under root: `{ 'etc/systemd/system/x.service': '...' }`. Returns root. */
export function writeTree(root: string, files: Readonly<Record<string, TreeEntry>>): string {
  for (const [path, entry] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof entry === 'string') writeFileSync(full, entry);
    else if ('symlink' in entry) symlinkSync(entry.symlink, full);
    else if ('fifo' in entry) {
      const made = spawnSync('mkfifo', [full], { encoding: 'utf8' });
      if (made.status !== 0) throw new Error(`mkfifo ${full}: ${made.stderr || made.error}`);
    } else if ('dir' in entry) mkdirSync(full, { recursive: true });
    else {
      writeFileSync(full, entry.text);
      chmodSync(full, entry.mode);
    }
  }
  return root;
}
