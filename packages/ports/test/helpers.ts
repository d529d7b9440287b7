import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../../test-support/tree.js';

export const repoRoot = new URL('../../../', import.meta.url).pathname;
export const minimalRegistry = readFileSync(new URL('./fixtures/minimal.yaml', import.meta.url), 'utf8');

/** Write registry text to a fresh temp dir, removed after the test; returns the file's path. */
export function writeRegistry(text: string, name = 'ports.yaml'): string {
  const path = join(tempDir('dsa110-ports-'), name);
  writeFileSync(path, text);
  return path;
}

/** The minimal registry with one line replaced (1-based), for broken-file tests with known positions. */
export function withLine(line: number, replacement: string, text = minimalRegistry): string {
  const lines = text.split('\n');
  lines[line - 1] = replacement;
  return lines.join('\n');
}
