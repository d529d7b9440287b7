// What the documentation says about `ports`, held against the commands'
// declarations: every `ports ...` example on every page (READMEs,
// CONTRIBUTING.md, docs/) names a real command and only flags that command
// takes, and the README's command table names every command with every flag
// it has (it left out get's, free's and schema's --json; claim-port's README
// told users to run `ports --check`, which is no command).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  docExamples,
  docPages,
  firstCells,
  flagSpellings,
  flagsIn,
  interfaceMembers,
  section,
  splitArgv,
  unionMembers,
} from '../../../../test-support/index.js';
import { type Command, commandFlags, GLOBAL_FLAGS } from '../../src/cli/command.js';
import { COMMANDS, loadCommand } from '../../src/cli/main.js';
import { SNIPPET_KINDS } from '../../src/render/config-snippets.js';
import { DEFAULT_CLAIM_PORT } from '../../src/render/systemd.js';
import { repoRoot } from '../helpers.js';
import { ports } from './helpers.js';

const names = Object.keys(COMMANDS) as (keyof typeof COMMANDS)[];
const isCommand = (name: string): name is keyof typeof COMMANDS => Object.hasOwn(COMMANDS, name);
/** A word the docs write for "some value here": `PLACEHOLDER` (from `<id>`), `KIND`, `FILE...`. */
const isPlaceholder = (word: string) => /^[A-Z][A-Z_]*(\.\.\.)?$/.test(word) || word.endsWith('...');
/** The name the docs give an unknown option when they show a usage error. */
const SHOWN_AS_A_MISTAKE = '--bogus';

/** The flags a command line with `command` (or none) accepts, as spellings. */
function accepted(command: Command | undefined): Set<string> {
  if (!command) return new Set(flagSpellings(GLOBAL_FLAGS));
  const { json: _json, ...flags } = commandFlags(command);
  return new Set([...flagSpellings(flags), ...(command.json ? ['--json'] : [])]);
}

describe('the `ports` examples in the documentation', () => {
  const examples = docExamples().filter((example) => example.tool === 'ports');

  it('are found (on every page that shows one)', () => {
    expect(examples.length).toBeGreaterThan(50);
    expect(new Set(examples.map((example) => example.where.split(':')[0]))).toContain('docs/ports.md');
  });

  it('each names a command `ports` has and only flags that command takes', async () => {
    const problems: string[] = [];
    for (const example of examples) {
      const global = splitArgv(example.argv, (flag) => (GLOBAL_FLAGS as Record<string, { type: string }>)[flag.slice(2)]?.type === 'string');
      const word = global.operands[0];
      if (word !== undefined && !isPlaceholder(word) && word !== 'help' && !isCommand(word)) {
        problems.push(`${example.where}: \`ports ${example.argv.join(' ')}\`: ports has no command "${word}"`);
        continue;
      }
      const command = word !== undefined && isCommand(word) ? await loadCommand(word) : undefined;
      const takes = command ? commandFlags(command) : GLOBAL_FLAGS;
      const { flags } = splitArgv(example.argv, (flag) => (takes as Record<string, { type: string }>)[flag.slice(2)]?.type === 'string');
      const known = accepted(command);
      for (const flag of flags) {
        if (flag !== SHOWN_AS_A_MISTAKE && !known.has(flag)) {
          problems.push(`${example.where}: \`ports ${example.argv.join(' ')}\`: ${command ? `ports ${word}` : 'ports'} has no ${flag}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("the README's table of commands", () => {
  const rows = firstCells(section('packages/ports/README.md', '## The `ports` command'))
    .map((cell) => /^`ports (\S+)(.*)`$/.exec(cell))
    .filter((match) => match !== null);

  it('has one row per command, in the order `ports --help` lists them', () => {
    expect(rows.map((row) => row[1])).toEqual(names);
  });

  it.each(names)('ports %s: its row names every flag of its own and --json where it has JSON output, and no other', async (name) => {
    const command = await loadCommand(name);
    const row = rows.find((match) => match[1] === name)!;
    const own = [...flagSpellings(command.flags), ...(command.json ? ['--json'] : [])];
    expect(new Set(flagsIn(row[2]!))).toEqual(new Set(own));
  });

  it.each(names)("ports %s: each flag's default, as its help gives it, is the one the README gives", async (name) => {
    const command = await loadCommand(name);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const [flag, declared] of Object.entries(command.flags)) {
      const help = ([] as string[]).concat(declared.help ?? []).join(' ');
      // `(default: /etc/systemd/system)`, or an alternative marked `nft: ... (default)`.
      const value = /\(default: ([^\s)]+)/.exec(help)?.[1] ?? /(?:^|\s)([\w-]+): [^,;]*\(default\)/.exec(help)?.[1];
      if (value === undefined) continue;
      expect(readme, `--${flag}'s default ${value}`).toMatch(new RegExp(`(?<![\\w/.-])${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![\\w/-])`));
    }
  });
});

describe("the README's API", () => {
  it("lists every option of LoadOptions in loadRegistry's table, and no other", () => {
    const table = firstCells(section('packages/ports/README.md', '### `loadRegistry(options?)` → `Promise<Registry>`')).map((cell) => cell.replace(/`/g, ''));
    expect(new Set(table)).toEqual(new Set(interfaceMembers('packages/ports/api/index.api.md', 'LoadOptions')));
  });
});

describe("the README's snippet kinds", () => {
  it('the ports snippet row names every kind it prints, and no other', () => {
    const row = firstCells(section('packages/ports/README.md', '## The `ports` command')).find((cell) => cell.startsWith('`ports snippet'))!;
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const line = readme.split('\n').find((text) => text.startsWith(`| ${row} |`))!;
    const kinds = [...line.slice(row.length + 4).matchAll(/`([a-z]+-[a-z]+)`/g)].map((match) => match[1]);
    expect(new Set(kinds)).toEqual(new Set(SNIPPET_KINDS));
  });
});

describe("the README's errors", () => {
  it("PortsError's codes are PortsErrorCode's, every one", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    // The table under "`PortsError` is ...": a row per code (two codes may share one), its first cell the codes.
    const table = readme.slice(readme.indexOf('`PortsError` is ')).split('\n\n')[1] ?? '';
    const codes = table
      .split('\n')
      .slice(2)
      .flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Z_]+)`/g)].map((match) => match[1]));
    expect(codes.sort()).toEqual([...unionMembers('packages/ports/api/index.api.md', 'PortsErrorCode')].sort());
  });
});

describe('the install commands in the documentation', () => {
  it('every global npm install puts the commands where the units run them (--prefix /usr/local): npm -g alone follows Node (/usr/bin with NodeSource)', () => {
    const prefix = dirname(dirname(DEFAULT_CLAIM_PORT));
    const problems = docPages().flatMap((page) =>
      readFileSync(join(repoRoot, page), 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          [...line.matchAll(/npm (?:install|i) (?:-g|--global)\b[^`#\n]*/g)]
            .filter((match) => !match[0].includes(`--prefix ${prefix}`))
            .map((match) => `${page}:${index + 1}: ${match[0].trim()}`),
        ),
    );
    expect(prefix).toBe('/usr/local');
    expect(problems).toEqual([]);
  });
});

describe("the top README's Conventions", () => {
  it('say what `ports` prints without a command: bare, the line and the help; with options only, the line and a pointer to --help', async () => {
    const text = section('README.md', '## Conventions of the three commands').replace(/\s+/g, ' ');
    const quoted = (line: string) => `\`${line.replace(/; commands: .*/, '; commands: ...')}\``;
    const bare = await ports([]);
    const [bareLine, blank] = bare.stderr.split('\n');
    expect(bare.code).toBe(64);
    expect(blank).toBe('');
    expect(bare.stderr).toContain((await ports(['--help'])).stdout);
    expect(text).toContain(`Bare \`ports\` is a usage error (exit 64): ${quoted(bareLine!)}, then the help, on stderr.`);
    const options = await ports(['--registry', 'X']);
    expect(options.code).toBe(64);
    expect(options.stderr.split('\n')).toHaveLength(3);
    const [line, pointer] = options.stderr.split('\n');
    expect(text).toContain(`(\`ports --registry X\`) are a usage error too (exit 64)`);
    expect(text).toContain(`${quoted(line!)}, then \`${pointer}\`, on stderr.`);
  });
});
