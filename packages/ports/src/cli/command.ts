// What a `ports` command is: one file, src/cli/commands/<name>.ts, exports
// `command = defineCommand({...})`: its summary, its operands, its flags (each
// with its help), --json's meaning for it, and run(), which reads the parsed
// flags, typed, from context.values. main.ts parses the command line with
// these declarations and makes each command's --help from them (commandHelp),
// so the parser, the help and the reading cannot drift apart. main.ts lists
// the command names only, each loaded on first use. CONTRIBUTING.md, "Adding
// a flag" and "Adding a command".
import { formatFlags, STANDARD_OPTIONS, type Flags, type Parsed } from '../cli-kit/parse.js';
import type { Context } from './context.js';
import type { Outcome } from './exit-code.js';

/** What every command takes, besides its own flags; --json only where the command declares `json`. */
export const GLOBAL_FLAGS = {
  registry: {
    type: 'string',
    value: 'PATH',
    help: "the registry to read (default: $DSA110_PORTS_FILE, else the bundled ports.yaml, with a warning when the checkout's ports.yaml differs from it)",
  },
  json: { type: 'boolean', selectsJson: true, help: 'one JSON object on stdout, errors included' },
  ...STANDARD_OPTIONS,
} as const satisfies Flags;

/** The values run() reads: the command's own flags and the global ones, typed from the declarations. */
export type Values<F extends Flags> = Parsed<F & typeof GLOBAL_FLAGS>['values'];

export interface Command<F extends Flags = Flags> {
  /** One line for `ports --help`: what the command does. */
  readonly summary: string;
  /** The operands, as the usage line shows them: `<id>` (one), `[FILE...]` (any number); none when absent. */
  readonly operands?: string;
  /** The command's own flags (GLOBAL_FLAGS come with every command). */
  readonly flags: F;
  /** What --json prints for this command (its help line); without it, --json is a usage error. */
  readonly json?: string;
  /**
   * A command for a checkout: without --registry or $DSA110_PORTS_FILE it reads
   * the checkout's ports.yaml (at the root of the git work tree, else ./ports.yaml, where
   * that directory is a checkout of the registry: isRegistryCheckout()) when it exists,
   * before the bundled registry (context.ts, checkoutRegistry()). A command
   * without it reads the bundled registry there, and warns when the checkout's differs (load()).
   */
  readonly checkout?: true;
  /** A checkout command's --registry help line, when its default differs from load()'s (validate never reads the bundled registry). */
  readonly registryHelp?: string;
  /**
   * Its path flags that must be UTF-8, each with the reason the refusal gives
   * (`the files under it are written by UTF-8 names`): a path read back with
   * bytes that are not UTF-8 (main.ts, pathRefusal) that this command could
   * not use as those bytes. Every other PATH, DIR or FILE is used as its bytes.
   */
  readonly utf8Paths?: Readonly<Record<string, string>>;
  /**
   * Its flags that name where it writes, each with what `-` means there, one rule for every command (main.ts,
   * standardOutput). `true`: standard output, as port-health-check's `--output -`: `-`, or a path that is this
   * process's descriptor 1 (/dev/stdout; files/write.ts, writesToStdout), reaches run() as the flag left out (the
   * output printed, no status line), and is a usage error with --check (no file to compare). Otherwise what the
   * flag names instead (`the directory the files are written under`): `-` there is a usage error, never a file
   * or directory named `-` made in the working directory (`./-` names one).
   */
  readonly outputs?: Readonly<Record<string, true | string>>;
  /** Groups of its flags that exclude each other: the usage line shows `[--out DIR | --root DIR]`, and main() refuses two of a group. */
  readonly exclusive?: readonly (readonly string[])[];
  /** Lines printed after the options in the command's --help. */
  readonly notes?: readonly string[];
  run(context: Context<Values<F>>): Promise<Outcome>;
}

/** Declare a command (the identity, for the types: flags typed into run()'s context.values). */
export function defineCommand<const F extends Flags>(command: Command<F>): Command<F> {
  return command;
}

/** Pure: how many operands `operands` allows, [min, max]: `<x>` is required, `[x]` optional, `...` any number. */
export function operandCount(operands: string | undefined): readonly [number, number] {
  const words = operands?.split(' ').filter(Boolean) ?? [];
  const min = words.filter((word) => word.startsWith('<')).length;
  return [min, words.some((word) => word.endsWith('...') || word.endsWith('...]')) ? Infinity : words.length];
}

/** The flags a command parses: its own, then the global ones (--json only when it has JSON output, but always parsed). */
export function commandFlags(command: Command): Flags {
  return { ...command.flags, ...GLOBAL_FLAGS };
}

/** The usage line: `ports get <id> [--json]`, `ports docs [--check] [--file PATH]` (global flags left to --help). */
/** `--out DIR`, `--check`: a flag as the usage line shows it. */
function shownFlag(command: Command, flag: string): string {
  const declared = command.flags[flag];
  return `--${flag}${declared?.type === 'string' ? ` ${declared.value ?? 'VALUE'}` : ''}`;
}

export function usageLine(name: string, command: Command): string {
  const shown = (flag: string) => shownFlag(command, flag);
  // A group is shown where its first flag is declared; its other flags are in it.
  const grouped = new Set(command.exclusive?.flatMap((group) => group.slice(1)));
  const flags = Object.keys(command.flags)
    .filter((flag) => !grouped.has(flag))
    .map((flag) => ` [${(command.exclusive?.find((group) => group[0] === flag) ?? [flag]).map(shown).join(' | ')}]`);
  return `ports ${name}${command.operands ? ` ${command.operands}` : ''}${flags.join('')}${command.json ? ' [--json]' : ''}`;
}

/** `give --out DIR or --root DIR, not both` when two flags of one of the command's exclusive groups are given; else undefined. */
export function exclusiveClash(command: Command, values: Readonly<Record<string, unknown>>): string | undefined {
  for (const group of command.exclusive ?? []) {
    const given = group.filter((flag) => values[flag] !== undefined);
    if (given.length > 1) return `give ${shownFlag(command, given[0]!)} or ${shownFlag(command, given[1]!)}, not both`;
  }
  return undefined;
}

/** `ports <name> --help`, made from the declarations: usage, summary, every flag it parses, notes. */
export function commandHelp(name: string, command: Command): string {
  const { json, ...global } = GLOBAL_FLAGS;
  const flags: Flags = { ...command.flags, ...(command.json && { json: { ...json, help: command.json } }), ...global };
  const registry: Flags = command.checkout
    ? {
        registry: {
          ...global.registry,
          help:
            command.registryHelp ??
            "the registry to read (default: $DSA110_PORTS_FILE, else the checkout's ports.yaml: at the root of the git work tree, else ./ports.yaml, where packages/ports/package.json there names @dsa110/ports; else the bundled one)",
        },
      }
    : {};
  return [
    `Usage: ${usageLine(name, command)} [--registry PATH]`,
    '',
    `ports ${name}: ${command.summary}.`,
    '',
    'Options:',
    formatFlags({ ...flags, ...registry }),
    ...(command.notes ? ['', ...command.notes] : []),
    '',
  ].join('\n');
}
