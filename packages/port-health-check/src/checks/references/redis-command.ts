// redis-server's command line (its unit's ExecStart=), as Redis 7.0 reads it
// (server.c main, config.c loadServerConfig): argv[1], unless it starts with
// `-`, is the config file; the options after it are appended to the file's
// text as lines (`--port 7001` is `port "7001"`), so they override the file;
// `-` first or last reads more config from stdin, between the two.
import { CONFIG_KINDS, type ConfigRef, type Service } from '@dsa110/ports';
import type { Facts } from '../../types.js';
import {
  commandAt,
  commandDoubt,
  commandUnknown,
  daemonCommand,
  expandedArguments,
  commandPath,
  nameInCommand,
  sameFile,
  type DaemonCommand,
  type ExpandedArgument,
} from './daemon-command.js';
import { isGlob } from './includes.js';
import { redisWords, type RedisOption, type RedisStart, type VariableOrigin } from './redis.js';

/**
 * The programs that read a redis.conf and take its options on their command line: redis-server, and redis-sentinel,
 * redis-server under another name (Debian's redis-sentinel.service runs it), which starts it in Sentinel mode and
 * reads its file and options as redis-server does (checked with Redis 7.0: `redis-sentinel FILE --port N` and
 * `redis-server FILE --sentinel --port N` both listen on N). redis-server last: the one a message names.
 */
export const REDIS_PROGRAMS: readonly string[] = ['redis-sentinel', ...CONFIG_KINDS['redis-conf'].programs];

/**
 * Pure: whether Redis runs as Sentinel (server.c, checkForSentinelMode; checked with Redis 7.0): the base name of its
 * argv[0] holds `redis-sentinel` (ExecStart= runs redis-sentinel, or `@` names it so), or an argument after it is
 * exactly `--sentinel`. `redis-server FILE` run as `redis-server` is a plain Redis even where the binary is a link.
 */
export function runsSentinel(argv0: string, args: readonly string[]): boolean {
  return argv0.slice(argv0.lastIndexOf('/') + 1).includes('redis-sentinel') || args.includes('--sentinel');
}

/**
 * Pure: whether the service's Redis runs as Sentinel, which listens on 26379 (sentinel.c, initSentinelConfig) where
 * its file and command line set no port, and refuses to start without a config file: as the one ExecStart= command
 * of its unit that runs Redis starts it (runsSentinel: argv[0] as systemd gives it, the arguments as expanded);
 * without one to read (no unit, a wrapper), as the registry's `processes` name it (`redis-sentinel`, the name
 * the kernel gives a process started under it).
 */
export function redisRunsSentinel(facts: Pick<Facts, 'units'>, service: Service): boolean {
  const command = daemonCommand(facts, service, REDIS_PROGRAMS);
  if (command !== undefined) return runsSentinel(command.line.words[0] ?? command.line.path, command.line.argv.slice(1));
  return service.processes.includes('redis-sentinel') && !service.processes.some((name) => CONFIG_KINDS['redis-conf'].programs.includes(name));
}

/** What redis-server's arguments (after argv[0]) make Redis read. */
export interface RedisArguments {
  /** argv[1] when it does not start with `-`: the config file, as given (Redis makes it absolute from its working directory). */
  readonly file?: string;
  /** `-` as the first or last argument: Redis reads config from stdin too, after the file and before the options. */
  readonly stdin: boolean;
  readonly options: readonly RedisOption[];
}

/** The arguments with which redis-server does something else than serve (prints its version or help, tests memory or the system). */
const NOT_SERVING = new Set(['-v', '--version', '-h', '--help', '--test-memory', '--check-system']);

/**
 * Pure: what redis-server makes of `args` (its argv after argv[0]), as main() builds its options: each `--name` starts a
 * line `name` (a word with a space, `"--port 7001"`, is a whole line), each other argument is appended to the line,
 * quoted as sdscatrepr quotes it (`--bind 127.0.0.1 ::1` is `bind "127.0.0.1" "::1"`); after a `--name` alone, the
 * next argument is its value even when it starts with `--` (`--port --bind` is `port "--bind"`), but for `--save` and
 * `--sentinel`. Undefined when redis-server does not start a server (`--version`, `--help`).
 */
export function redisArguments(args: readonly string[], expanded: readonly Omit<ExpandedArgument, 'value'>[] = []): RedisArguments | undefined {
  if (args[0] !== undefined && NOT_SERVING.has(args[0])) return undefined;
  const file = args[0] !== undefined && !args[0].startsWith('-') ? args[0] : undefined;
  const lines: { text: string; given: string[]; from?: VariableOrigin; word?: number }[] = [];
  const origins = expanded.map((each) => each.from);
  let stdin = false;
  // Whether the last `--name` has its value: the next argument starting with `--` then starts a line of its own.
  let handled = true;
  for (let index = file === undefined ? 0 : 1; index < args.length; index++) {
    const arg = args[index]!;
    const last = index === args.length - 1;
    if (arg === '-' && (index === 0 || last)) {
      stdin = true;
      continue;
    }
    if (handled && arg.startsWith('--')) {
      const word = expanded[index]?.word;
      const line: (typeof lines)[number] = { text: `${arg.slice(2)} `, given: [arg], ...(word !== undefined && { word }) };
      if (origins[index] !== undefined) line.from = origins[index];
      lines.push(line);
      // A word of its own (`--port`) waits for its value; one of more words (`"--port 7001"`, or unbalanced: sdssplitargs fails) is whole.
      handled = redisWords(arg)?.length !== 1;
      const next = args[index + 1];
      const name = arg.toLowerCase();
      if (!handled && (name === '--save' || name === '--sentinel') && (last || next!.startsWith('--'))) {
        // `--save` with no value is `save ""` (no snapshots); `--sentinel` takes none.
        if (name === '--save') line.text += '""';
        handled = !last;
      }
      continue;
    }
    // A value: appended to the last line (a first line of its own when no `--name` came before it).
    if (lines.length === 0) lines.push({ text: '', given: [] });
    const line = lines.at(-1)!;
    line.text += `${redisQuoted(arg)} `;
    // The first value, from a variable the `--name` is not of (`--port $ARGS`): the variable's first word; its fix is there, not a `--port` in it.
    const from = origins[index];
    if (from !== undefined && line.from === undefined && line.given.length === 1 && line.word !== undefined && expanded[index]?.word !== line.word)
      line.from = { ...from, valueFor: line.given[0]! };
    line.given.push(arg);
    line.from ??= origins[index];
    handled = true;
  }
  // A `--name` that holds a newline makes more than one line of the text Redis reads.
  const options = lines.flatMap((line) => line.text.split('\n').map((text) => ({ text, given: line.given, ...(line.from && { from: line.from }) })));
  return { ...(file !== undefined && { file }), stdin, options };
}

/** An argument as sdscatrepr quotes it: in `"`, with `\\` and `"` escaped and control characters as C escapes, so sdssplitargs reads it back as it was. */
function redisQuoted(arg: string): string {
  let quoted = '"';
  for (const char of arg) {
    const code = char.codePointAt(0)!;
    if (char === '\\' || char === '"') quoted += `\\${char}`;
    else if (char === '\n') quoted += '\\n';
    else if (char === '\r') quoted += '\\r';
    else if (char === '\t') quoted += '\\t';
    else if (char === '\x07') quoted += '\\a';
    else if (char === '\b') quoted += '\\b';
    else if (code < 0x20 || code === 0x7f) quoted += `\\x${code.toString(16).padStart(2, '0')}`;
    else quoted += char; // a character past ASCII: Redis writes its bytes as \xHH, which read back as it
  }
  return `${quoted}"`;
}

/**
 * The command with which the service's unit starts redis-server (daemonCommand, one of `programs`), held against the
 * registry's `ref`; undefined when there is none to read (no unit, none with an ExecStart=) or it does not start a
 * server; with `doubt` when it is not known (commandUnknown: a wrapper, a part of the unit not read; commandDoubt).
 */
export function redisStart(
  facts: Pick<Facts, 'units' | 'daemonFiles'>,
  service: Service,
  ref: Pick<ConfigRef, 'path'>,
  programs: readonly string[],
): RedisStart | undefined {
  const unknown = commandUnknown(facts, service, programs, redisUsesStartDirectory);
  if (unknown !== undefined)
    return { file: unknown.file, line: unknown.line, stdin: false, options: [], doubt: unknown.reason, ...(unknown.fix !== undefined && { fix: unknown.fix }) };
  const command = daemonCommand(facts, service, programs);
  if (command === undefined) return undefined;
  const at = commandAt(command);
  const doubt = commandDoubt(facts, command);
  if (doubt !== undefined) return { ...at, stdin: false, options: [], doubt };
  const expanded = expandedArguments(facts, command);
  const read = redisArguments(
    expanded.map((each) => each.value),
    expanded,
  );
  if (read === undefined) return undefined;
  const reads = configRead(facts, read.file, command, ref.path);
  const registryNames = ref.path === service.config ? `${service.name}'s config:` : `the path: of ${service.name}'s redis-conf entry`;
  return {
    ...at,
    ...(reads !== undefined && { reads: typeof reads === 'string' ? reads : { other: reads.other, registryNames, ...inCommand(command, ref.path) } }),
    stdin: read.stdin,
    options: read.options,
    ...(command.root !== undefined && { root: command.root }),
  };
}

/** The name `command`'s Redis gives the registry's file `path` (nameInCommand), when it can open it. */
function inCommand(command: DaemonCommand, path: string): { registryInCommand?: string } {
  const name = nameInCommand(command, path);
  return name === undefined ? {} : { registryInCommand: name };
}

/** Whether Redis reads a path of `command` from the directory it starts in: its config file, given relative (Redis makes it absolute from there). */
function redisUsesStartDirectory(command: DaemonCommand): boolean {
  const file = redisArguments(command.line.argv.slice(1))?.file;
  return file !== undefined && !file.startsWith('/');
}

/** RedisStart.reads of a command's config file argument (`given`), as `command` opens it (commandPath), held against the registry's `registryPath`. */
function configRead(
  facts: Pick<Facts, 'daemonFiles'>,
  given: string | undefined,
  command: DaemonCommand,
  registryPath: string,
): 'registry' | 'none' | { other: string } | undefined {
  if (given === undefined) return 'none';
  const path = commandPath(command, given);
  if (path === undefined || isGlob(path)) return undefined;
  return sameFile(facts, path, registryPath) ? 'registry' : { other: path };
}
