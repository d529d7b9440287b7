// One file per command: every file in src/cli/commands is a registered
// command, and what each command parses is exactly what its --help lists
// (read back from the printed help, not from the declarations).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flagSpellings, flagsInHelp } from '../../../../test-support/index.js';
import { GLOBAL_FLAGS, operandCount } from '../../src/cli/command.js';
import { COMMANDS, loadCommand } from '../../src/cli/main.js';
import { repoRoot } from '../helpers.js';
import { ports, tempDir } from './helpers.js';

const commandsDir = join(repoRoot, 'packages/ports/src/cli/commands');
const names = Object.keys(COMMANDS) as (keyof typeof COMMANDS)[];

describe('the commands', () => {
  it('every file in src/cli/commands is listed in main.ts COMMANDS under its own name, and every listed name has its file', () => {
    const files = readdirSync(commandsDir)
      .filter((file) => file.endsWith('.ts'))
      .map((file) => file.slice(0, -3))
      .sort();
    expect([...names].sort()).toEqual(files);
  });

  it.each(names)('%s exports its declaration as `command`, and `ports --help` lists its summary', async (name) => {
    const command = await loadCommand(name);
    expect(command.summary).toMatch(/^[^\n]+$/);
    expect(typeof command.run).toBe('function');
    expect((await ports(['--help'])).stdout).toContain(`\n  ${name.padEnd(10)}  ${command.summary}\n`);
  });

  it.each(names)('ports %s --help lists exactly the flags it parses, and each is accepted', async (name) => {
    const command = await loadCommand(name);
    const help = await ports([name, '--help']);
    expect(help.code).toBe(0);
    const shown = flagsInHelp(help.stdout);
    const declared = flagSpellings(command.flags);
    const global = ['--registry', '-h', '--help', '-V', '--version', ...(command.json ? ['--json'] : [])];
    expect(new Set(shown)).toEqual(new Set([...declared, ...global]));
    expect(shown).toHaveLength(new Set(shown).size);
    // Each shown flag is known to the parser (an unknown one is a usage error naming it).
    for (const flag of shown.filter((flag) => flag.startsWith('--') && !['--help', '--version'].includes(flag))) {
      const declaredFlag = command.flags[flag.slice(2)];
      const value = declaredFlag?.type === 'string' || flag === '--registry' ? ['x'] : [];
      const run = await ports([name, flag, ...value, '--help']);
      expect(run.stderr, `${name} ${flag}`).toBe('');
      expect(run.code, `${name} ${flag}`).toBe(0);
    }
    // And --json is refused where the help does not offer it.
    const operands = Array.from({ length: operandCount(command.operands)[0] }, () => 'x');
    if (!command.json) expect((await ports([name, ...operands, '--json'])).stderr).toContain('has no JSON output');
  });
});

describe('the output flags (Command.outputs): one rule for "-"', () => {
  it('every command that writes names its output flags, and "-" is standard output only where it may print: elsewhere a usage error that makes nothing', async () => {
    const declared: Record<string, Record<string, true | string> | undefined> = {};
    for (const name of names) declared[name] = (await loadCommand(name)).outputs;
    expect(declared).toMatchObject({
      firewall: { out: true },
      monitoring: { out: expect.any(String) },
      systemd: { out: expect.any(String), root: expect.any(String) },
      docs: { file: expect.any(String) },
    });
    const dir = tempDir();
    for (const [name, flags] of Object.entries(declared)) {
      for (const [flag, meaning] of Object.entries(flags ?? {})) {
        if (meaning === true) continue;
        const run = await ports([name, `--${flag}`, '-', '--registry', join(repoRoot, 'ports.yaml')], { cwd: dir });
        expect(run.code, `${name} --${flag} -`).toBe(64);
        expect(run.stdout).toBe('');
        expect(run.stderr.split('\n')[0]).toMatch(
          new RegExp(`^ports ${name}: --${flag} - would be standard output, but .*: give --${flag} [A-Z]+ \\(\\./- for one named "-"\\)$`),
        );
        expect(readdirSync(dir), `${name} --${flag} -`).toEqual([]);
      }
    }
  });
});

describe('ports --help', () => {
  it('lists exactly the global flags (GLOBAL_FLAGS, read back from the text)', async () => {
    const help = await ports(['--help']);
    const declared = flagSpellings(GLOBAL_FLAGS);
    expect(new Set(flagsInHelp(help.stdout))).toEqual(new Set(declared));
  });
});

describe('operandCount', () => {
  it.each([
    [undefined, [0, 0]],
    ['<id>', [1, 1]],
    ['[FILE...]', [0, Infinity]],
    ['<kind> [more]', [1, 2]],
  ] as const)('%j -> %j', (operands, count) => {
    expect(operandCount(operands)).toEqual(count);
  });
});
