// The README's "Uninstall" steps remove exactly what `ports systemd` writes
// with the bundled registry (its drop-ins and the health check's units, their
// drop-in directories, the unit-file claim lines it prints, the textfile), and
// uninstall every package this repository installs: a new robust service or
// unit changes the list, and this test says so.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { section } from '../../../test-support/index.js';
import { DEFAULT_TEXTFILE } from '../src/render/health-timer.js';
import { ports, tempDir } from './cli/helpers.js';
import { repoRoot } from './helpers.js';

const UNIT_DIR = '/etc/systemd/system';

describe('README.md: Uninstall', () => {
  const steps = section('README.md', '### Uninstall');
  const commands = /```sh\n([\s\S]*?)```/.exec(steps)![1]!.split('\n');
  /** The words of the step lines starting with `command`. */
  const operands = (command: string) =>
    commands
      .filter((line) => line.startsWith(`${command} `))
      .flatMap((line) =>
        line
          .slice(command.length + 1)
          .split(/\s+/)
          .filter((word) => word && !word.startsWith('-')),
      );

  it('removes every file `ports systemd` writes, and their drop-in directories', async () => {
    const out = tempDir();
    const run = await ports(['systemd', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const written = [...run.stdout.matchAll(/^wrote (.*)$/gm)].map((match) => match[1]!.slice(out.length));
    expect(written.length).toBeGreaterThan(0);
    const removed = operands('rm -f').map((path) => path.slice(UNIT_DIR.length));
    expect(removed.sort()).toEqual([...written].sort());
    const dropInDirs = written.filter((path) => path.includes('.d/')).map((path) => `${UNIT_DIR}${path.slice(0, path.lastIndexOf('/'))}`);
    // And the packages' scope directory, which npm uninstall leaves behind, empty.
    expect(operands('rmdir').sort()).toEqual([...dropInDirs, '/usr/local/lib/node_modules/@dsa110'].sort());
    expect(commands.findIndex((line) => line.endsWith(' /usr/local/lib/node_modules/@dsa110'))).toBeGreaterThan(
      commands.findIndex((line) => line.startsWith('npm uninstall')),
    );
    // The unit files that claim their port themselves: the line it printed for each, to remove by hand.
    const byHand = [...run.stdout.matchAll(/^(\S+): its unit file claims the port;/gm)].map((match) => match[1]!);
    expect(byHand.length).toBeGreaterThan(0);
    for (const unit of byHand) expect(commands.find((line) => line.startsWith('# '))).toContain(unit);
  });

  it("disables the timer, and removes the textfile, the cache and every package's install", () => {
    expect(commands).toContain('systemctl disable --now dsa110-port-health.timer');
    expect(commands).toContain('systemctl daemon-reload');
    expect(operands('rm -rf')).toEqual(['/var/cache/dsa110-ports', DEFAULT_TEXTFILE]);
    const packages = readdirSync(join(repoRoot, 'packages')).map(
      (dir) => (JSON.parse(readFileSync(join(repoRoot, 'packages', dir, 'package.json'), 'utf8')) as { name: string }).name,
    );
    expect(
      operands('npm uninstall -g')
        .filter((word) => word.startsWith('@'))
        .sort(),
    ).toEqual(packages.sort());
    expect(commands.indexOf('systemctl daemon-reload')).toBeLessThan(commands.findIndex((line) => line.startsWith('npm uninstall')));
  });
});
