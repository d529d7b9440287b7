// `ports`: main(argv, io, env) -> exit code: argument parsing, dispatch and
// printing. Each command is one file, commands/<name>.ts: its summary, flags
// (with their help), operands, --json and run(), declared with
// defineCommand() (command.ts). This file only lists the command names, each
// loaded on first use, and parses and prints help from the declarations. To
// add a command: its file, and its name below. Exit codes: see exit-code.ts.
import {
  cacheHelp,
  type Env,
  errorJson,
  type Flags,
  formatFlags,
  lostPathMessage,
  notUtf8PathMessage,
  packageVersion,
  parseCommandLine,
  UsageError as ParseError,
  usageHint,
  wantsJson,
  workingDirectoryGone,
} from '../cli-kit/index.js';
import { didYouMean } from '../suggest.js';
import { escapeText, oneLine, pathText, quoteValue } from '../escape.js';
import { MAX_ISSUES_IN_MESSAGE, RegistryError, formatIssue, moreProblems } from '../errors.js';
import { isParserNotInstalled } from '../parser-file.js';
import { type Command, commandFlags, commandHelp, exclusiveClash, GLOBAL_FLAGS, operandCount, usageLine } from './command.js';
import type { Io } from './context.js';
import { CommandError, exitCode, outcomeOfError, UsageError } from './exit-code.js';
import { printedShellWord } from '../shell-word.js';

/** Every command, in the order `ports --help` lists them; each module is loaded only when used. */
export const COMMANDS = {
  list: () => import('./commands/list.js'),
  get: () => import('./commands/get.js'),
  env: () => import('./commands/env.js'),
  validate: () => import('./commands/validate.js'),
  free: () => import('./commands/free.js'),
  docs: () => import('./commands/docs.js'),
  systemd: () => import('./commands/systemd.js'),
  firewall: () => import('./commands/firewall.js'),
  snippet: () => import('./commands/snippet.js'),
  monitoring: () => import('./commands/monitoring.js'),
  schema: () => import('./commands/schema.js'),
} as const satisfies Readonly<Record<string, () => Promise<{ command: Command }>>>;

/** What --version prints: this package's version. */
const version = () => packageVersion(import.meta.url, '@dsa110/ports');

type CommandName = keyof typeof COMMANDS;
const NAMES = Object.keys(COMMANDS) as CommandName[];
const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

/** A command's declaration, loaded. */
export async function loadCommand(name: CommandName): Promise<Command> {
  return (await COMMANDS[name]()).command;
}

/** `ports --help`: every command's summary (this loads every command module: only for the help). */
export async function usage(): Promise<string> {
  const width = Math.max(...NAMES.map((name) => name.length));
  const loaded = await Promise.all(NAMES.map(async (name) => [name, await loadCommand(name)] as const));
  const commands = loaded.map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  const checkout = loaded.filter(([, command]) => command.checkout).map(([name]) => name);
  return [
    'Usage: ports [--registry PATH] <command> [options]',
    '',
    'Commands:',
    ...commands,
    '',
    'Options:',
    formatFlags(GLOBAL_FLAGS),
    '',
    'Every command takes these options, before or after its name; --json where it has JSON output.',
    ...(checkout.length
      ? [
          `In a checkout, ${[checkout.slice(0, -1).join(', '), checkout.at(-1)].filter(Boolean).join(' and ')} read the checkout's ports.yaml, the one at the root of the git work tree, from any directory in it (./ports.yaml outside one), before the bundled one, where that directory is a checkout of the registry (its packages/ports/package.json names @dsa110/ports): another project's ports.yaml is not read by default; the others read the bundled one, and say so in a warning when the checkout's differs from the copy it was built from (rebuild, or give --registry).`,
        ]
      : []),
    '',
    'Examples:',
    '  ports list                          every service and reserved range',
    "  port=$(ports get api) || exit 1     a service's port, its env override applied; then",
    '  uvicorn app:app --port "$port"      (not --port "$(ports get api)": uvicorn would run with --port "" if it failed)',
    '  ports systemd --check               exit 1 when the installed drop-ins drifted from ports.yaml',
    '  ports docs --check                  exit 1 when docs/ports.md is stale',
    '',
    `Exit codes: 0 ok, 1 check failed or not found, ${exitCode('usage')} usage error.`,
    'Run "ports <command> --help" for a command\'s options.',
    '',
    cacheHelp(),
    '',
  ].join('\n');
}

/**
 * What the bin could not read back (cli-kit/argv.ts): an argument's bytes that
 * are not UTF-8 (`bytesLost`), or those of the variables in `lostVariables`.
 */
export interface LostBytes {
  readonly bytesLost?: boolean;
  readonly lostVariables?: readonly string[];
}

/** The metavariables of a flag whose value is a path (`--registry PATH`, `--out DIR`, `--textfile FILE`). */
const PATH_VALUES: ReadonlySet<string | undefined> = new Set(['PATH', 'DIR', 'FILE']);

/**
 * Why a path on the command line cannot be used, or undefined. A path flag's
 * value, or a FILE operand, is used as its bytes (read back by the bin); when
 * they were lost, one holding U+FFFD is refused, never opened as another
 * file. A command's `utf8Paths` are refused even read back.
 */
function pathRefusal(name: string, command: Command, values: Readonly<Record<string, unknown>>, positionals: readonly string[], bytesLost: boolean) {
  const paths: (readonly [flag: string, what: string, path: string])[] = Object.entries(commandFlags(command)).flatMap(([flag, declared]) => {
    const value = values[flag];
    return PATH_VALUES.has(declared.value) && typeof value === 'string' ? [[flag, `--${flag}`, value] as const] : [];
  });
  if (command.operands?.includes('FILE')) paths.push(...positionals.map((path) => ['', 'FILE', path] as const));
  for (const [flag, what, path] of paths) {
    const why = command.utf8Paths?.[flag];
    const refused = (bytesLost ? lostPathMessage(what, path) : undefined) ?? (why === undefined ? undefined : notUtf8PathMessage(what, path, why));
    if (refused) return `ports ${name}: ${refused}`;
  }
  return undefined;
}

/**
 * The values run() gets, by the command's `outputs` (command.ts): a flag that names standard output (`-`,
 * /dev/stdout) where the command may print is left out, as when it is not given; a UsageError where it may not
 * (--check, or a flag that names a directory or a page rewritten in place). A flag that names a device or a file the
 * kernel keeps (/dev/null, /dev/stderr, /proc/self/fd/2: systemOutput) is a CommandError saying what to give instead.
 */
async function standardOutput<V extends Readonly<Record<string, unknown>>>(name: string, command: Command, values: V): Promise<V> {
  const given = Object.entries(command.outputs ?? {}).filter(([flag]) => typeof values[flag] === 'string' && values[flag] !== '');
  if (given.length === 0) return values;
  // Loaded only here: most runs name no output, and the startup stays small.
  const { writesToStdout } = await import('../files/write.js');
  const run: Record<string, unknown> = { ...values };
  for (const [flag, meaning] of given) {
    const path = values[flag] as string;
    if (!writesToStdout(path)) {
      // A device, /dev/stderr, /proc/self/fd/2: never written, and never to be moved away or unlinked for this tool.
      const { systemOutput, systemOutputText } = await import('./system-output.js');
      const what = systemOutput(path);
      const value = command.flags[flag]?.value ?? 'PATH';
      if (what !== undefined) throw new CommandError(systemOutputText(name, flag, value, path, what, meaning === true, values.check === true));
      continue;
    }
    const shown = `--${flag} ${path === '-' ? '-' : `${escapeText(path)} (descriptor 1)`}`;
    const asked = `--${flag} ${command.flags[flag]?.value ?? 'PATH'}`;
    const named = path === '-' ? ' (./- for one named "-")' : '';
    if (meaning !== true) throw new UsageError(`ports ${name}: ${shown} would be standard output, but ${meaning}: give ${asked}${named}`);
    if (values.check)
      throw new UsageError(`ports ${name}: --check compares with a file, and ${shown} is standard output: give ${asked}, the file written${named}`);
    delete run[flag];
  }
  return run as V;
}

/** What a usage error in the options before the command ends with. */
const GLOBAL_USAGE_HINT = 'usage: ports [--registry PATH] <command> [options]';

/** Run `ports` with `argv` (without node and the script); returns the exit code. */
export async function main(
  argv: readonly string[],
  io: Io,
  env: Env = process.env,
  { bytesLost = false, lostVariables = [] }: LostBytes = {},
): Promise<number> {
  // JSON errors when a flag declared `selectsJson` asks for them: the global ones until the command is known, then its own too.
  let json = wantsJson(argv, GLOBAL_FLAGS);
  // A global option may come before the command: skip the value of one that takes a value (`--registry PATH`).
  const takesValue = (arg: string | undefined) => arg?.startsWith('--') === true && (GLOBAL_FLAGS as Flags)[arg.slice(2)]?.type === 'string';
  const commandIndex = argv.findIndex((arg, index) => !arg.startsWith('-') && !takesValue(argv[index - 1]));
  const commandName = commandIndex >= 0 ? argv[commandIndex] : undefined;
  // Where a usage error sends the user: the command's own help once the command is known.
  let helpLine = 'ports --help';
  try {
    if (commandName === undefined || commandName === 'help') {
      // The options first, as with a command: a mistake in them (`--bogus`, `--registry` without its path)
      // is a usage error even with --help or --version on the line, and -hV is -h -V.
      let parsed: ReturnType<typeof parseCommandLine<typeof GLOBAL_FLAGS>>;
      try {
        parsed = parseCommandLine(argv, GLOBAL_FLAGS, { maxPositionals: Infinity, hint: GLOBAL_USAGE_HINT });
      } catch (error) {
        if (!(error instanceof ParseError)) throw error;
        throw new UsageError(`ports: ${error.message}`);
      }
      const { values, positionals } = parsed;
      if (commandName === 'help') {
        // `ports help [COMMAND]`.
        const [, topic, extra] = positionals;
        if (extra !== undefined) throw new UsageError(`ports help: unexpected argument ${quoteValue(extra)}; usage: ports help [<command>]`);
        if (topic !== undefined && !isCommand(topic)) {
          throw new UsageError(`unknown command ${quoteValue(topic)}${didYouMean(topic, NAMES)}; commands: ${NAMES.join(', ')}`);
        }
        io.out(topic !== undefined ? commandHelp(topic, await loadCommand(topic)) : await usage());
        return exitCode('ok');
      }
      // An operand after `--` that starts with "-" (`ports -- --help`) is no command.
      if (positionals.length > 0) throw new UsageError(`unknown command ${quoteValue(positionals[0]!)}; commands: ${NAMES.join(', ')}`);
      // Bare `ports` is a missing argument (EX_USAGE, as bare claim-port is): the one line, then the help, on stderr;
      // only `ports --help` asks for the help (stdout, exit 0).
      if (argv.length === 0) {
        io.err(`ports: no command given; commands: ${NAMES.join(', ')}\n\n${await usage()}`, 'error');
        return exitCode('usage');
      }
      if (values.help) {
        io.out(await usage());
        return exitCode('ok');
      }
      if (values.version) {
        io.out(`${await version()}\n`);
        return exitCode('ok');
      }
      // The words as a shell reads them back: an escape, a literal backslash and a no-break space each for what it is.
      throw new UsageError(`no command given (got ${argv.map(printedShellWord).join(' ')}); commands: ${NAMES.join(', ')}`);
    }
    if (!isCommand(commandName)) {
      // A global option written with typographic dashes (`ports —registry x.yaml list`, copied from a page) is no command:
      // parseCommandLine names it, with the option meant.
      try {
        parseCommandLine([commandName], GLOBAL_FLAGS, { maxPositionals: Infinity, hint: GLOBAL_USAGE_HINT });
      } catch (error) {
        if (!(error instanceof ParseError)) throw error;
        throw new UsageError(`ports: ${error.message}`);
      }
      const later = argv.slice(commandIndex + 1).find(isCommand);
      // A command's option written with typographic dashes before the command (`ports —out DIR monitoring`): the command's
      // parser names it, with the option meant (a word that is no option of the command parses as an operand there).
      if (later !== undefined) parse(later, await loadCommand(later), [commandName]);
      // `ports --out DIR monitoring`: a command's option before the command takes no value there, so its value looked like the command.
      const previous = argv[commandIndex - 1];
      if (previous?.startsWith('--') && !previous.includes('=') && later !== undefined) {
        // An option the command does not take either (`ports --registy x.yaml list`) is unknown wherever it goes: named so, with the one meant.
        const laterCommand = await loadCommand(later);
        if (!Object.hasOwn(commandFlags(laterCommand), previous.slice(2))) {
          helpLine = `ports ${later} --help`;
          parse(later, laterCommand, [previous]);
        }
        throw new UsageError(
          `${quoteValue(previous)} comes before the command, where only --registry takes a value; put it after the command: ports ${later} ${printedShellWord(previous)} ${printedShellWord(commandName)}`,
        );
      }
      // An option before it that is none (`ports -registry x.yaml list`, one dash) took no value: named as the mistake, not its value as the command.
      try {
        parseCommandLine(argv.slice(0, commandIndex), GLOBAL_FLAGS, { maxPositionals: Infinity, hint: GLOBAL_USAGE_HINT });
      } catch (error) {
        if (!(error instanceof ParseError)) throw error;
        throw new UsageError(`ports: ${error.message}`);
      }
      throw new UsageError(`unknown command ${quoteValue(commandName)}${didYouMean(commandName, NAMES)}; commands: ${NAMES.join(', ')}`);
    }
    const command = await loadCommand(commandName);
    helpLine = `ports ${commandName} --help`;
    const args = [...argv.slice(0, commandIndex), ...argv.slice(commandIndex + 1)];
    json = wantsJson(args, commandFlags(command));
    const { values, positionals } = parse(commandName, command, args);
    if (values.help) {
      io.out(commandHelp(commandName, command));
      return exitCode('ok');
    }
    if (values.version) {
      io.out(`${await version()}\n`);
      return exitCode('ok');
    }
    const [min, max] = operandCount(command.operands);
    const line = usageLine(commandName, command);
    if (positionals.length < min) throw new UsageError(`ports ${commandName}: missing argument; usage: ${line}`);
    if (positionals.length > max) {
      throw new UsageError(`ports ${commandName}: unexpected argument ${quoteValue(positionals[max]!)}; usage: ${line}`);
    }
    // An empty operand (`ports get ""`, an unset shell variable) names nothing: a usage error, as the health check's `--service ""` is.
    // (`validate`'s optional FILEs say so themselves.)
    if (positionals.slice(0, min).includes('')) throw new UsageError(`ports ${commandName}: an empty ${command.operands} argument; usage: ${line}`);
    if (values.json && !command.json) throw new UsageError(`ports ${commandName}: has no JSON output; drop --json`);
    const clash = exclusiveClash(command, values);
    if (clash) throw new UsageError(`ports ${commandName}: ${clash}; usage: ${line}`);
    const registryPath = values.registry as string | undefined;
    if (registryPath === '') throw new UsageError(`ports ${commandName}: --registry needs a path`);
    const refused = pathRefusal(commandName, command, values, positionals, bytesLost);
    if (refused) throw new UsageError(refused);
    const runValues = await standardOutput(commandName, command, values);
    return exitCode(await command.run({ io, env, registryPath, values: runValues, positionals, lostVariables, ...(command.checkout && { checkout: true }) }));
  } catch (error) {
    const { outcome, expected } = outcomeOfError(error);
    const cwdGone = workingDirectoryGone(error);
    const message = cwdGone ?? (error instanceof Error ? error.message : String(error));
    // One line per error (a registry's: one per issue, the first MAX_ISSUES_IN_MESSAGE), whatever a value in it held.
    const printed =
      error instanceof RegistryError ? registryProblems(error) : oneLine(isParserNotInstalled(error) || cwdGone !== undefined ? `ports: ${message}` : message);
    // (Errors: `<3>` on each line where stderr is the journal, cli-kit/journal.ts.)
    if (outcome === 'usage') io.err(`${message.startsWith('ports') ? '' : 'ports: '}${printed}\n${usageHint(helpLine)}\n`, 'error');
    else if (expected) io.err(`${printed}\n`, 'error');
    else io.err(`ports: internal error (please report it): ${error instanceof Error ? error.stack : message}\n`, 'error');
    const code = exitCode(outcome);
    if (json) io.out(errorJson('ports', outcome === 'usage' ? 'usage' : 'error', message, code));
    return code;
  }
}

/**
 * A registry's problems, one line each: the first MAX_ISSUES_IN_MESSAGE, as its message lists them (a file
 * can hold 100,000, every one a line), then how many more and the command that lists every one.
 */
function registryProblems(error: RegistryError): string {
  const shown = error.issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((issue) => oneLine(formatIssue(error.source, issue)));
  const more = error.issues.length - shown.length;
  if (more > 0)
    shown.push(
      `${pathText(error.source)}: … and ${moreProblems(more)} (fix these first; "ports validate ${printedShellWord(error.source.startsWith('-') ? `./${error.source}` : error.source)}" lists every one)`,
    );
  return shown.join('\n');
}

function parse(name: string, command: Command, args: string[]) {
  try {
    // --json parses for every command, to be refused by name where there is no JSON output; it is suggested only where there is.
    const unsuggested = command.json ? [] : ['json'];
    return parseCommandLine(args, commandFlags(command), { maxPositionals: Infinity, hint: `usage: ${usageLine(name, command)}`, unsuggested });
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    throw new UsageError(`ports ${name}: ${error.message}`);
  }
}
