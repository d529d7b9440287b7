// The API's server command line (its unit's ExecStart=), read as uvicorn and
// gunicorn read it, for where they listen. uvicorn (click, checked with
// uvicorn 0.54 and Debian's 0.17): `--port N`/`--port=N`, `--host H`,
// `--uds PATH`, `--fd N`, the last of each given winning; an option with a
// value takes the next word whatever it is; without the option, click reads
// UVICORN_PORT, UVICORN_HOST, UVICORN_UDS, UVICORN_FD (auto_envvar_prefix,
// an empty one ignored); else 127.0.0.1:8000. A port is read as Python's
// int() reads it (` 8000`, `+8000`, `8_000`). gunicorn (argparse, checked
// with gunicorn 26): `-b`/`--bind ADDRESS` (also `-bADDRESS`, `--bind=`, an
// abbreviation `--bi`), repeatable, each a socket; its command line wins over
// GUNICORN_CMD_ARGS (shlex-split), which wins over the config file (-c, else
// gunicorn.conf.py in the directory it starts in); with none of them,
// 0.0.0.0:$PORT when PORT is set, else 127.0.0.1:8000.
import { escapeText, type Service } from '@dsa110/ports';
import { environmentDoubt, type ExecLine } from '@dsa110/ports/systemd';
import type { EnvironmentSetting, Facts } from '../types.js';
import {
  commandDoubt,
  daemonCommand,
  expandedArguments,
  wordVariables,
  type DaemonCommand,
  type ExpandedArgument,
  type VariableOrigin,
} from './references/daemon-command.js';
import type { PortReading } from './references/finding.js';

export type AsgiServer = 'uvicorn' | 'gunicorn';

/** A listen option's value as the server gets it, and where it came from: the ExecStart= line (with the unit variable it expands, if any), or the unit's environment. */
export interface GivenValue {
  readonly value: string;
  /** `--port` or `-b` as written, or the environment variable the server read (UVICORN_PORT, GUNICORN_CMD_ARGS, PORT). */
  readonly option: string;
  /** The unit variable the command line's word expanded (`--port ${CONTIMG_API_PORT}`). */
  readonly from?: VariableOrigin;
  /** `from`'s word (`$PORT` alone, empty or set nowhere) gave no argument, so the option took the next word (`value`), or none (''). */
  readonly dropped?: true;
  /** The unit's environment setting the server read it from, when it did not come from the command line. */
  readonly env?: EnvironmentSetting & { readonly variable: string };
}

/** uvicorn's listen options, each undefined when neither its command line nor its environment gives it. */
export interface UvicornListen {
  readonly server: 'uvicorn';
  readonly port?: GivenValue;
  readonly host?: GivenValue;
  readonly uds?: GivenValue;
  readonly fd?: GivenValue;
}

/**
 * gunicorn's sockets: the binds it is given, or why they are not known here (a config file this check does not
 * read). `reusePort` when it may open them with SO_REUSEPORT (--reuse-port, or a config file that may set it), with
 * which two binds on one port do not refuse each other.
 */
export type GunicornListen =
  | { readonly server: 'gunicorn'; readonly binds: readonly GivenValue[]; readonly reusePort?: true }
  | { readonly server: 'gunicorn'; readonly unread: string };

export type AsgiListen = UvicornListen | GunicornListen;

/** uvicorn's and gunicorn's own port and host, without an option or environment that sets them. */
export const ASGI_DEFAULT = { host: '127.0.0.1', port: 8000 } as const;

/** A port as uvicorn and gunicorn read it: Python's int() (spaces around, a sign, `_` between digits), then a port the socket takes. */
export const PYTHON_PORT: PortReading = {
  program: 'uvicorn',
  port: (value) => {
    if (!/^\s*\+?\d+(?:_\d+)*\s*$/.test(value)) return undefined;
    const port = Number(value.trim().replace(/[+_]/g, ''));
    return port >= 1 && port <= 65535 ? port : undefined;
  },
  rule: 'a whole number from 1 to 65535',
  refused: 'it exits at start',
};

/** uvicorn's options that take no value (uvicorn 0.54's flags); every other `--name` takes the next word (click). */
const UVICORN_SWITCHES = new Set(
  ['reload', 'http2', 'access-log', 'use-colors', 'proxy-headers', 'server-header', 'date-header', 'reset-contextvars', 'factory'].flatMap((name) => [
    `--${name}`,
    `--no-${name}`,
  ]),
);
const UVICORN_LISTEN = ['port', 'host', 'uds', 'fd'] as const;

/** Python's options that take no value: before `-m`, a word of these (`-u`, `-OO`) is skipped. */
const PYTHON_SWITCHES = /^-[bBdEiIOPqsSuv]+$/;

/**
 * Pure: the server an ExecStart= line runs, and how many of its arguments (argv after argv[0]) come before the
 * server's own: `uvicorn ...` (0), `python3 -u -m uvicorn ...` (3); undefined for another program.
 */
export function asgiServer(line: Pick<ExecLine, 'path' | 'argv'>, servers: readonly AsgiServer[]): { server: AsgiServer; skip: number } | undefined {
  const program = line.path.slice(line.path.lastIndexOf('/') + 1);
  if ((servers as readonly string[]).includes(program)) return { server: program as AsgiServer, skip: 0 };
  if (!/^python(?:\d+(?:\.\d+)?)?$/.test(program)) return undefined;
  const args = line.argv.slice(1);
  for (let index = 0; index < args.length; index++) {
    const word = args[index]!;
    const module = word === '-m' ? args[index + 1] : word.startsWith('-m') ? word.slice(2) : undefined;
    if (module !== undefined)
      return (servers as readonly string[]).includes(module) ? { server: module as AsgiServer, skip: index + (word === '-m' ? 2 : 1) } : undefined;
    if (word === '-X' || word === '-W') index++;
    else if (!(PYTHON_SWITCHES.test(word) || /^-[XW]./.test(word))) return undefined;
  }
  return undefined;
}

/**
 * Pure: uvicorn's listen options from its arguments (click's reading) and its unit's `environment`; undefined
 * when it does not serve (`--help`, `--version`) or click refuses the line (an option with no value after it).
 */
export function uvicornListen(
  args: readonly ExpandedArgument[],
  environment: ReadonlyMap<string, EnvironmentSetting>,
  dropped: ReadonlyMap<number, VariableOrigin> = new Map(),
): UvicornListen | undefined {
  const given: Partial<Record<(typeof UVICORN_LISTEN)[number], GivenValue>> = {};
  for (let index = 0; index < args.length; index++) {
    const { value: word, from, word: at } = args[index]!;
    if (word === '--') break;
    if (word === '--help' || word === '--version') return undefined;
    if (!word.startsWith('--') || UVICORN_SWITCHES.has(word)) continue;
    const equals = word.indexOf('=');
    const option = equals < 0 ? word : word.slice(0, equals);
    const name = UVICORN_LISTEN.find((each) => `--${each}` === option);
    // `--port $PORT` with PORT empty or set nowhere: systemd drops the word, and click takes the next one (or none) for the value.
    const vanished = equals < 0 && name !== undefined ? dropped.get(at + 1) : undefined;
    let value: ExpandedArgument | undefined = equals < 0 ? args[++index] : { value: word.slice(equals + 1), word: at, ...(from && { from }) };
    if (value === undefined && vanished !== undefined) value = { value: '', word: at + 1 };
    if (value === undefined) return undefined;
    if (name === undefined) continue;
    // The variable the value came from: the value's own word (`--port ${X}`), or the option's (`$ARGS` holding `--port=7001`).
    value = { ...value, ...(value.from === undefined && from && { from }) };
    given[name] =
      vanished !== undefined
        ? { value: value.value, option, from: vanished, dropped: true }
        : { value: value.value, option, ...(value.from && { from: value.from }) };
  }
  for (const name of UVICORN_LISTEN) {
    const variable = `UVICORN_${name.toUpperCase()}`;
    const setting = environment.get(variable);
    // click ignores an empty variable.
    if (given[name] === undefined && setting !== undefined && setting.value !== '')
      given[name] = { value: setting.value, option: variable, env: { ...setting, variable } };
  }
  return { server: 'uvicorn', ...given };
}

/** What gunicorn's arguments give: its binds, its config file (the last -c winning), and whether --reuse-port is given. */
function gunicornArguments(
  args: readonly Pick<ExpandedArgument, 'value' | 'from'>[],
): { binds: GivenValue[]; config?: string; reusePort: boolean } | undefined {
  const binds: GivenValue[] = [];
  let config: string | undefined;
  let reusePort = false;
  for (let index = 0; index < args.length; index++) {
    const { value: word, from } = args[index]!;
    if (word === '--') break;
    if (['-h', '--help', '-v', '--version', '--check-config', '--print-config'].includes(word)) return undefined;
    const equals = word.indexOf('=');
    const long = word.startsWith('--') ? (equals < 0 ? word : word.slice(0, equals)) : undefined;
    // A flag; argparse takes `--reu` and longer for it (--reload also starts `--re`).
    if (long !== undefined && equals < 0 && long.length >= 5 && '--reuse-port'.startsWith(long)) reusePort = true;
    // argparse takes `--bi`, `--bin` for --bind (no other option starts so); -c and --config exactly.
    const bind = long !== undefined ? long.length >= 4 && '--bind'.startsWith(long) : word.startsWith('-b');
    const isConfig = long !== undefined ? long === '--config' : word.startsWith('-c');
    if (!bind && !isConfig) continue;
    const option = long ?? word.slice(0, 2);
    let value: Pick<ExpandedArgument, 'value' | 'from'> | undefined;
    if (long !== undefined && equals >= 0) value = { value: word.slice(equals + 1), ...(from && { from }) };
    else if (long === undefined && word.length > 2) value = { value: word.slice(2), ...(from && { from }) };
    else value = args[++index];
    // argparse refuses an option with no value, or one starting with `-`: gunicorn exits (said by no one here).
    if (value === undefined || value.value.startsWith('-')) return undefined;
    if (bind) binds.push({ value: value.value, option, ...((value.from ?? from) && { from: value.from ?? from }) });
    else config = value.value;
  }
  return { binds, ...(config !== undefined && { config }), reusePort };
}

/**
 * Pure: gunicorn's binds from its arguments and its unit's `environment` (GUNICORN_CMD_ARGS, PORT); `unread` when
 * they come from a config file (the -c file, or gunicorn.conf.py where it starts) or GUNICORN_CMD_ARGS quoted as this
 * reading does not split; undefined when it does not serve or argparse refuses the line.
 */
export function gunicornListen(args: readonly ExpandedArgument[], environment: ReadonlyMap<string, EnvironmentSetting>): GunicornListen | undefined {
  const line = gunicornArguments(args);
  if (line === undefined) return undefined;
  const cmdArgs = environment.get('GUNICORN_CMD_ARGS');
  const quoted = cmdArgs !== undefined && /["'\\]/.test(cmdArgs.value);
  const fromEnv =
    cmdArgs === undefined || quoted
      ? undefined
      : gunicornArguments(
          cmdArgs.value
            .split(/\s+/)
            .filter(Boolean)
            .map((value) => ({ value })),
        );
  let config = line.config;
  // --reuse-port from any of its sources (a flag: none turns it off); a config file, not read here, may set it.
  const reusePort = line.reusePort || fromEnv?.reusePort === true || quoted || config !== undefined || fromEnv?.config !== undefined;
  const sockets = (binds: readonly GivenValue[]): GunicornListen => ({ server: 'gunicorn', binds, ...(reusePort && { reusePort }) });
  if (line.binds.length > 0) return sockets(line.binds);
  if (cmdArgs !== undefined) {
    if (quoted) return { server: 'gunicorn', unread: 'GUNICORN_CMD_ARGS is quoted, which this check does not split as gunicorn does' };
    if (fromEnv === undefined) return undefined;
    const env = { ...cmdArgs, variable: 'GUNICORN_CMD_ARGS' };
    if (fromEnv.binds.length > 0) return sockets(fromEnv.binds.map((bind) => ({ ...bind, env })));
    config ??= fromEnv.config;
  }
  if (config !== undefined)
    return { server: 'gunicorn', unread: `gunicorn takes its binds from its config file ${escapeText(config, 500)} (-c), which this check does not read` };
  const port = environment.get('PORT');
  // Read only when nothing else gives a bind: gunicorn.conf.py in its working directory, if there, comes first.
  const fallback =
    port === undefined
      ? `${ASGI_DEFAULT.host}:${ASGI_DEFAULT.port}`
      : `0.0.0.0:${escapeText(port.value, 200)} (PORT is set at ${escapeText(`${port.file}:${port.line}`, 500)})`;
  return {
    server: 'gunicorn',
    unread: `it gives no --bind, so gunicorn binds where gunicorn.conf.py in the directory it starts in says, when there is one, which this check does not read, else on ${fallback}`,
  };
}

/**
 * The ExecStart= words that give the program no argument at all, by their index among the arguments as written (as
 * ExpandedArgument's `word`), with the variable of each: a `$NAME` word alone whose variable is empty or set nowhere.
 */
function droppedWords(
  command: DaemonCommand,
  args: readonly ExpandedArgument[],
  environment: ReadonlyMap<string, EnvironmentSetting>,
): Map<number, VariableOrigin> {
  const dropped = new Map<number, VariableOrigin>();
  if (command.line.prefixes.includes(':')) return dropped;
  command.line.words.slice(1).forEach((written, word) => {
    const variables = wordVariables(written);
    if (variables.length !== 1 || args.some((arg) => arg.word === word)) return;
    const setting = environment.get(variables[0]!);
    dropped.set(word, { variable: variables[0]!, written, ...(setting && { set: { file: setting.file, line: setting.line } }) });
  });
  return dropped;
}

/** The programs of `service`'s processes that this reading knows. */
export function asgiServers(service: Pick<Service, 'processes'>): AsgiServer[] {
  return (['uvicorn', 'gunicorn'] as const).filter((server) => service.processes.includes(server));
}

/** The API server's command line, read: the command (daemonCommand) and where it listens. */
export interface AsgiCommand extends DaemonCommand {
  readonly listen: AsgiListen;
}

/**
 * Pure: the ExecStart= command of `service`'s unit that runs uvicorn or gunicorn (one its processes name; also as
 * `python3 -m uvicorn`), and where it listens; undefined when there is none (the pipeline's own module, a wrapper
 * script), the server does not serve, or its arguments cannot be told (a variable an unread EnvironmentFile= may set).
 */
export function asgiCommand(facts: Pick<Facts, 'units'>, service: Service): AsgiCommand | undefined {
  const servers = asgiServers(service);
  if (servers.length === 0) return undefined;
  const command = daemonCommand(facts, service, (line) => asgiServer(line, servers) !== undefined);
  const unit = command && facts.units.get(command.unit);
  if (command === undefined || unit === undefined || commandDoubt(facts, command) !== undefined) return undefined;
  const { server, skip } = asgiServer(command.line, servers)!;
  // The variables the server reads itself, which an EnvironmentFile= this check cannot read may set.
  if (
    environmentDoubt(unit, server === 'uvicorn' ? UVICORN_LISTEN.map((name) => `UVICORN_${name.toUpperCase()}`) : ['GUNICORN_CMD_ARGS', 'PORT']) !== undefined
  )
    return undefined;
  const all = expandedArguments(facts, command);
  const args = all.slice(skip);
  const { environment } = unit;
  const listen = server === 'uvicorn' ? uvicornListen(args, environment, droppedWords(command, all, environment)) : gunicornListen(args, environment);
  return listen === undefined ? undefined : { ...command, listen };
}
