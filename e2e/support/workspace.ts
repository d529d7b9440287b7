// A private temporary directory for one e2e file: paths, directories and files in it, removed at the end.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Workspace {
  readonly dir: string;
  constructor(prefix = 'dsa110-e2e-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }
  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }
  mkdir(...parts: string[]): string {
    const path = this.path(...parts);
    mkdirSync(path, { recursive: true });
    return path;
  }
  write(relative: string, text: string, mode?: number): string {
    const path = this.path(relative);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    if (mode !== undefined) chmodSync(path, mode);
    return path;
  }
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
