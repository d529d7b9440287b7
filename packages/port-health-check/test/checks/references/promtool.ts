// `promtool check config` on a prometheus.yml, for the tests that hold the references check to what the real promtool
// says of each file (Debian's prometheus package; undefined where it is not installed).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasCommand } from '../../../../../test-support/commands.js';
import { tempDir } from '../../helpers.js';

export const promtool = hasCommand('promtool', ['--version']);

/** What `promtool check config` says of the file (its output, refused or not); undefined without promtool. */
export function promtoolSays(yml: string): string | undefined {
  if (!promtool) return undefined;
  const file = join(tempDir(), 'prometheus.yml');
  writeFileSync(file, yml);
  try {
    return execFileSync('promtool', ['check', 'config', file], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    return `${stdout}${stderr}`;
  }
}
