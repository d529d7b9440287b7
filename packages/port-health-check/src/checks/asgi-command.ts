// The API's server command line (its unit's ExecStart=), read as uvicorn and
// gunicorn read it, for where they listen. uvicorn (click, checked with
// uvicorn 0.54 and Debian's 0.17): `--port N`/`--port=N`, `--host H`,
// `--uds PATH`, `--fd N`, the last of each given winning; an option with a
// value takes the next word whatever it is; without the option, click reads
// UVICORN_PORT, UVICORN_HOST, UVICORN_UDS, UVICORN_FD (auto_envvar_prefix,
// an empty one ignored); else 127.0.0.1:8000. click refuses, and uvicorn
// exits at start on, an option `uvicorn --help` does not list (no short
// ones), no APP (nor UVICORN_APP), and any word beyond the one APP (after
// `--` too, and systemd's `#` words). A port is read as Python's
// int() reads it (` 8000`, `+8000`, `8_000`, `８０００`: python-int.ts). gunicorn (argparse, checked
// with gunicorn 26): `-b`/`--bind ADDRESS` (also `-bADDRESS`, `--bind=`, an
// abbreviation `--bi`), repeatable, each a socket; its command line wins over
// GUNICORN_CMD_ARGS (shlex-split), which wins over the config file (-c, else
// gunicorn.conf.py in the directory it starts in; its plain `bind` and
// `reuse_port` read by python-settings.ts, never run); with none of them,
// 0.0.0.0:$PORT when PORT is set, else 127.0.0.1:8000.
import { escapeText, type Service } from '@dsa110/ports';
import { pythonRun } from '@dsa110/ports/system';
import { environmentDoubt, type ExecLine } from '@dsa110/ports/systemd';
import type { EnvironmentSetting, Facts, InstalledUvicorn } from '../types.js';
import type { UvicornLaunch } from '../uvicorn-install.js';
import {
  commandAt,
  commandDoubt,
  daemonCommand,
  expandedArguments,
  commandPath,
  wordVariables,
  type DaemonCommand,
  type ExpandedArgument,
  type VariableOrigin,
} from './references/daemon-command.js';
import type { PortReading } from './references/finding.js';
import { pythonInt } from './python-int.js';
import { pythonSettings, type PythonSetting } from './python-settings.js';

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
  /** The unit's environment setting the server read it from, when it did not come from the command line (for gunicorn's default bind, PORT). */
  readonly env?: EnvironmentSetting & { readonly variable: string };
  /** gunicorn's config file and line that gave it (`bind = ...`), when neither its command line nor GUNICORN_CMD_ARGS gives a bind. */
  readonly conf?: { readonly file: string; readonly line: number };
  /** gunicorn's own default bind, which nothing sets. */
  readonly implicit?: true;
}

/**
 * Why click refuses uvicorn's command line (uvicorn then exits at start, status 2): `error` as uvicorn prints it, and
 * what it is about: an option it does not have (a short one, `-p`: uvicorn declares none; `installed`: one the
 * installed uvicorn, of a version known here, lacks), a flag given a value, an option given none, no APP (`appEnv`:
 * a UVICORN_APP that the installed uvicorn does not read), or words beyond the one APP (`afterDashes`: after a `--`,
 * which makes them arguments; `comment`: a `#` word, which systemd passes on as an argument).
 */
export interface UvicornRefusal {
  readonly error: string;
  readonly about:
    | { readonly kind: 'unknown' | 'flag value' | 'no value'; readonly word: string; readonly installed?: InstalledUvicorn }
    /** `given`: the long listen options (`--port`, `--host`) the line has already, which the fix does not advise again. */
    | { readonly kind: 'short'; readonly word: string; readonly given: readonly ('--port' | '--host')[] }
    | { readonly kind: 'no app'; readonly appEnv?: { readonly setting: EnvironmentSetting; readonly installed: InstalledUvicorn } }
    | { readonly kind: 'extra'; readonly word: string; readonly afterDashes?: true; readonly comment?: true };
}

/** uvicorn's listen options, each undefined when neither its command line nor its environment gives it; or why it does not start. */
export interface UvicornListen {
  readonly server: 'uvicorn';
  readonly refused?: UvicornRefusal;
  readonly port?: GivenValue;
  readonly host?: GivenValue;
  readonly uds?: GivenValue;
  readonly fd?: GivenValue;
}

/**
 * gunicorn's sockets: the binds it is given (or its default), or why they are not known here (a config file or a
 * setting of it this check does not read), or the -c file it is given that is not there. `reusePort` when it may open
 * them with SO_REUSEPORT (--reuse-port, or reuse_port in its config file, set or not known), with which two binds on
 * one port do not refuse each other.
 */
export type GunicornListen =
  | { readonly server: 'gunicorn'; readonly binds: readonly GivenValue[]; readonly reusePort?: true }
  | { readonly server: 'gunicorn'; readonly unread: string }
  | { readonly server: 'gunicorn'; readonly configMissing: { readonly path: string; readonly named: string } };

export type AsgiListen = UvicornListen | GunicornListen;

/** uvicorn's and gunicorn's own port and host, without an option or environment that sets them. */
export const ASGI_DEFAULT = { host: '127.0.0.1', port: 8000 } as const;

/** A port as uvicorn and gunicorn read it: Python's int() (pythonInt: spaces around, a sign, `_` between digits, digits of any script), then a port the socket takes. */
export const PYTHON_PORT: PortReading = {
  program: 'uvicorn',
  port: (value) => {
    const port = pythonInt(value);
    return port !== undefined && port >= 1n && port <= 65535n ? Number(port) : undefined;
  },
  rule: 'a whole number from 1 to 65535',
  refused: 'it exits at start',
};

/** A uvicorn's command-line grammar: the options that take no value, those that take one, and whether APP may come from UVICORN_APP. */
export interface UvicornOptions {
  readonly flags: ReadonlySet<string>;
  readonly valued: ReadonlySet<string>;
  readonly appEnv: boolean;
}

/** The `--NAME` and `--no-NAME` of each of uvicorn's on/off options (each `--no-` form is its own option, as declared: there is no --no-reload). */
const ON_OFF = ['access-log', 'use-colors', 'proxy-headers', 'server-header', 'date-header'].flatMap((name) => [`--${name}`, `--no-${name}`]);

/** The options that take a value in uvicorn 0.17.6 (Debian 12's) and in 0.54 alike. */
const VALUED_SINCE_0_17 = [
  'host',
  'port',
  'uds',
  'fd',
  'reload-dir',
  'reload-include',
  'reload-exclude',
  'reload-delay',
  'workers',
  'loop',
  'http',
  'ws',
  'ws-max-size',
  'ws-ping-interval',
  'ws-ping-timeout',
  'ws-per-message-deflate',
  'lifespan',
  'interface',
  'env-file',
  'log-config',
  'log-level',
  'forwarded-allow-ips',
  'root-path',
  'limit-concurrency',
  'backlog',
  'limit-max-requests',
  'timeout-keep-alive',
  'ssl-keyfile',
  'ssl-certfile',
  'ssl-keyfile-password',
  'ssl-version',
  'ssl-cert-reqs',
  'ssl-ca-certs',
  'ssl-ciphers',
  'header',
  'app-dir',
];

/**
 * uvicorn's options, as `uvicorn --help` lists them, by the version whose grammar is known: 0.54 (any 0.54.x), and
 * 0.17.6 (Debian 12's python3-uvicorn: a hidden --debug, none of 0.54's --http2, --reset-contextvars, --ws-max-queue,
 * --limit-max-requests-jitter, --timeout-graceful-shutdown, --timeout-worker-healthcheck,
 * --h11-max-incomplete-event-size, and no UVICORN_APP). click refuses any other word starting with `-` (uvicorn
 * declares no short options), before anything else it does. A version not here is read with 0.54's.
 */
const UVICORN_0_54: UvicornOptions = {
  flags: new Set(['--reload', '--http2', '--reset-contextvars', '--factory', '--version', '--help', ...ON_OFF]),
  valued: new Set(
    [
      ...VALUED_SINCE_0_17,
      'ws-max-queue',
      'limit-max-requests-jitter',
      'timeout-graceful-shutdown',
      'timeout-worker-healthcheck',
      'h11-max-incomplete-event-size',
    ].map((name) => `--${name}`),
  ),
  appEnv: true,
};
const UVICORN_0_17_6: UvicornOptions = {
  flags: new Set(['--debug', '--reload', '--factory', '--version', '--help', ...ON_OFF]),
  valued: new Set(VALUED_SINCE_0_17.map((name) => `--${name}`)),
  appEnv: false,
};

/** The grammar of the uvicorn `installed`, when it is a version known here (0.17.6, 0.54.x). */
export function knownOptions(installed: InstalledUvicorn | undefined): UvicornOptions | undefined {
  const version = installed?.version;
  return version === '0.17.6' ? UVICORN_0_17_6 : version !== undefined && /^0\.54(?:\.|$)/.test(version) ? UVICORN_0_54 : undefined;
}
/** Whether `option` is one an older uvicorn known here had and the `installed` one dropped (0.17.6's --debug, on 0.54): upgrading cannot bring it back. */
export function droppedOption(option: string, installed: InstalledUvicorn): boolean {
  const known = knownOptions(installed);
  return known !== undefined && known !== UVICORN_0_17_6 && (UVICORN_0_17_6.flags.has(option) || UVICORN_0_17_6.valued.has(option));
}
const UVICORN_LISTEN = ['port', 'host', 'uds', 'fd'] as const;

/** An ExecStart= line that runs an API server (asgiServer). */
export interface AsgiServerLine {
  readonly server: AsgiServer;
  /** How many of its arguments (argv after argv[0]) come before the server's own. */
  readonly skip: number;
  /** Python's switches before `-m` (pythonRun's: `-s -I` → `sI`); empty for the server's own script. */
  readonly switches: string;
  /** The `NAME=VALUE` words `env` is given before the program, which set the server's environment. */
  readonly assigned: readonly string[];
  /** Whether `env` runs the program, found on its PATH. */
  readonly viaEnv: boolean;
}

/**
 * Pure: the server an ExecStart= line runs, and how many of its arguments (argv after argv[0]) come before the
 * server's own: `uvicorn ...` (0), `python3 -u -m uvicorn ...` (3), `python3 -um uvicorn` (2), read as CPython reads
 * its options (pythonRun, the reading the owner check names a process by); also through `env [NAME=VALUE]...`
 * (env's own options are not read); undefined for another program.
 */
export function asgiServer(line: Pick<ExecLine, 'path' | 'argv'>, servers: readonly AsgiServer[]): AsgiServerLine | undefined {
  const args = line.argv.slice(1);
  let program = line.path.slice(line.path.lastIndexOf('/') + 1);
  let skip = 0;
  const assigned: string[] = [];
  const viaEnv = program === 'env';
  if (viaEnv) {
    while (skip < args.length && /^[^-=][^=]*=/.test(args[skip]!)) assigned.push(args[skip++]!);
    const named = args[skip++];
    if (named === undefined || named.startsWith('-')) return undefined;
    program = named.slice(named.lastIndexOf('/') + 1);
  }
  if ((servers as readonly string[]).includes(program)) return { server: program as AsgiServer, skip, switches: '', assigned, viaEnv };
  if (!/^python(?:\d+(?:\.\d+)?)?$/.test(program)) return undefined;
  const run = pythonRun([program, ...args.slice(skip)]);
  if (run === undefined || !('module' in run) || !(servers as readonly string[]).includes(run.module)) return undefined;
  return { server: run.module as AsgiServer, skip: skip + run.next - 1, switches: run.switches, assigned, viaEnv };
}

/**
 * Pure: uvicorn's listen options from its arguments (click's reading: one APP, else UVICORN_APP; its options, each
 * last one winning; `--` ending them) and its unit's `environment`, or what click refuses in them (`refused`), which
 * uvicorn exits on at start; undefined when it does not serve (`--help`, `--version`, which click acts on before it
 * looks for APP or extra words). Read with the grammar of the uvicorn `installed` where its version is known here
 * (knownOptions), else with 0.54's, an option it lacks then `unknown` (a newer uvicorn may have it).
 */
export function uvicornListen(
  args: readonly ExpandedArgument[],
  environment: ReadonlyMap<string, EnvironmentSetting>,
  dropped: ReadonlyMap<number, VariableOrigin> = new Map(),
  installed?: InstalledUvicorn,
): UvicornListen | undefined {
  const words = readUvicornWords(args, dropped, installed);
  if ('refused' in words) return words.refused;
  if (words.eager) return undefined;
  const given = withEnvironment(words.given, environment);
  const refused = positionalRefusal(words.positional, words.afterDashes, environment, installed);
  return { server: 'uvicorn', ...given, ...(refused && { refused }) };
}

/** The listen options given, by name. */
type ListenGiven = Partial<Record<(typeof UVICORN_LISTEN)[number], GivenValue>>;

/** The grammar uvicornListen reads the installed uvicorn's words with: its own where its version is known here, else 0.54's. */
function grammarOf(installed: InstalledUvicorn | undefined): UvicornOptions {
  return knownOptions(installed) ?? UVICORN_0_54;
}

/**
 * uvicorn's words as click parses them, in order: the listen options the command line gives (each last one winning),
 * the positional words (APP and any beyond it), how many came before `--` (`afterDashes`, when there is one), and
 * whether --help or --version was given (`eager`); or the first word click refuses (`refused`), as it stops there.
 */
function readUvicornWords(
  args: readonly ExpandedArgument[],
  dropped: ReadonlyMap<number, VariableOrigin>,
  installed: InstalledUvicorn | undefined,
):
  | { readonly refused: UvicornListen }
  | { readonly given: ListenGiven; readonly positional: string[]; readonly afterDashes?: number; readonly eager: boolean } {
  const options = grammarOf(installed);
  const given: ListenGiven = {};
  const positional: string[] = [];
  let afterDashes: number | undefined;
  let eager = false;
  for (let index = 0; index < args.length; index++) {
    const word = args[index]!.value;
    if (afterDashes !== undefined || word === '-' || !word.startsWith('-')) {
      positional.push(word);
      continue;
    }
    if (word === '--') {
      afterDashes = positional.length;
      continue;
    }
    const equals = word.indexOf('=');
    const option = equals < 0 ? word : word.slice(0, equals);
    const refused = optionRefusal(args, word, option, equals >= 0, installed);
    if (refused !== undefined) return { refused };
    if (options.flags.has(option)) {
      eager ||= option === '--help' || option === '--version';
      continue;
    }
    const read = valuedOption(args, index, option, equals, dropped);
    if ('refused' in read) return read;
    index = read.last;
    if (read.listen !== undefined) given[read.listen.name] = read.listen.value;
  }
  return { given, positional, ...(afterDashes !== undefined && { afterDashes }), eager };
}

/**
 * click's refusal of the option `option` (the word `word`, with a value after `=` when `withValue`), in the order it
 * checks: a short option (uvicorn declares none), a flag given a value, an option the grammar lacks; undefined for
 * one it accepts (a value it needs is read after: valuedOption).
 */
function optionRefusal(
  args: readonly ExpandedArgument[],
  word: string,
  option: string,
  withValue: boolean,
  installed: InstalledUvicorn | undefined,
): UvicornListen | undefined {
  const known = knownOptions(installed);
  const options = grammarOf(installed);
  if (!option.startsWith('--')) {
    const has = (long: string) => args.some(({ value }) => value === long || value.startsWith(`${long}=`));
    const given = (['--port', '--host'] as const).filter(has);
    return refusedLine(`No such option '${word.slice(0, 2)}'.`, { kind: 'short', word, given });
  }
  if (options.flags.has(option)) return withValue ? refusedLine(`Option '${option}' does not take a value.`, { kind: 'flag value', word: option }) : undefined;
  // 0.17.6 as Debian 12 ships it (click 8.1) words it "No such option: --x".
  if (!options.valued.has(option))
    return refusedLine(known === UVICORN_0_17_6 ? `No such option: ${option}` : `No such option '${option}'.`, {
      kind: 'unknown',
      word: option,
      ...(known && installed && { installed }),
    });
  return undefined;
}

/**
 * The value of the option `option` that takes one, the word at `index` (after its `=` when `equals` is not -1, else
 * the next word): `last`, the index of the last word it took, and `listen`, what it gives when it is a listen option;
 * or click's refusal when no word is left for it.
 */
function valuedOption(
  args: readonly ExpandedArgument[],
  index: number,
  option: string,
  equals: number,
  dropped: ReadonlyMap<number, VariableOrigin>,
):
  | { readonly refused: UvicornListen }
  | { readonly last: number; readonly listen?: { readonly name: (typeof UVICORN_LISTEN)[number]; readonly value: GivenValue } } {
  const { value: word, from, word: at } = args[index]!;
  const name = UVICORN_LISTEN.find((each) => `--${each}` === option);
  // `--port $PORT` with PORT empty or set nowhere: systemd drops the word, and click takes the next one (or none) for the value.
  const vanished = equals < 0 && name !== undefined ? dropped.get(at + 1) : undefined;
  const last = equals < 0 ? index + 1 : index;
  let value: ExpandedArgument | undefined = equals < 0 ? args[last] : { value: word.slice(equals + 1), word: at, ...(from && { from }) };
  if (value === undefined && vanished !== undefined) value = { value: '', word: at + 1 };
  if (value === undefined) return { refused: refusedLine(`Option '${option}' requires an argument.`, { kind: 'no value', word: option }) };
  if (name === undefined) return { last };
  // The variable the value came from: the value's own word (`--port ${X}`), or the option's (`$ARGS` holding `--port=7001`).
  value = { ...value, ...(value.from === undefined && from && { from }) };
  const given: GivenValue =
    vanished !== undefined
      ? { value: value.value, option, from: vanished, dropped: true }
      : { value: value.value, option, ...(value.from && { from: value.from }) };
  return { last, listen: { name, value: given } };
}

/** The listen options `given` on the command line, and each other one that its UVICORN_ variable in `environment` sets. */
function withEnvironment(given: ListenGiven, environment: ReadonlyMap<string, EnvironmentSetting>): ListenGiven {
  const all: ListenGiven = { ...given };
  for (const name of UVICORN_LISTEN) {
    const variable = `UVICORN_${name.toUpperCase()}`;
    const setting = environment.get(variable);
    // click ignores an empty variable.
    if (all[name] === undefined && setting !== undefined && setting.value !== '')
      all[name] = { value: setting.value, option: variable, env: { ...setting, variable } };
  }
  return all;
}

/**
 * click's refusal of the positional words, which it checks after it has read each option's value (`--port abc` is
 * said first: PYTHON_PORT): no APP, and no UVICORN_APP the installed uvicorn reads (click ignores an empty one), or
 * any word beyond the one APP (`afterDashes`: how many came before a `--`); undefined for the one APP.
 */
function positionalRefusal(
  positional: readonly string[],
  afterDashes: number | undefined,
  environment: ReadonlyMap<string, EnvironmentSetting>,
  installed: InstalledUvicorn | undefined,
): UvicornRefusal | undefined {
  const app = environment.get('UVICORN_APP');
  if (positional.length === 0 && (app === undefined || app.value === '' || !grammarOf(installed).appEnv)) {
    const appEnv = app !== undefined && app.value !== '' && installed !== undefined ? { setting: app, installed } : undefined;
    return { error: "Missing argument 'APP'.", about: { kind: 'no app', ...(appEnv && { appEnv }) } };
  }
  if (positional.length <= 1) return undefined;
  const extra = positional.slice(1);
  const words = extra.join(' ');
  const about = {
    kind: 'extra' as const,
    word: words,
    ...(afterDashes !== undefined && afterDashes <= 1 && { afterDashes: true as const }),
    ...(extra.some((each) => each.startsWith('#')) && { comment: true as const }),
  };
  return { error: `Got unexpected extra argument${extra.length > 1 ? 's' : ''} (${words})`, about };
}

/** A uvicorn whose words click refuses as it parses them: its error (as uvicorn prints it after "Error: "), and what in the line it is about. */
function refusedLine(error: string, about: UvicornRefusal['about']): UvicornListen {
  return { server: 'uvicorn', refused: { error, about } };
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
    // argparse reads `-b=HOST:PORT` as `-b HOST:PORT` (the `=` dropped, checked with Python 3.11), `-bHOST:PORT` as it is.
    else if (long === undefined && word.length > 2) value = { value: word.slice(word[2] === '=' ? 3 : 2), ...(from && { from }) };
    else value = args[++index];
    // argparse refuses an option with no value, or one starting with `-`: gunicorn exits (said by no one here).
    if (value === undefined || value.value.startsWith('-')) return undefined;
    if (bind) binds.push({ value: value.value, option, ...((value.from ?? from) && { from: value.from ?? from }) });
    else config = value.value;
  }
  return { binds, ...(config !== undefined && { config }), reusePort };
}

/** The file gunicorn reads its settings from: the -c of its line (else of GUNICORN_CMD_ARGS), else gunicorn.conf.py where it starts, when there. */
export interface GunicornConfigFile {
  readonly path: string;
  /** -c's value as given (`file:` and all); undefined for gunicorn.conf.py in the directory it starts in. */
  readonly named?: string;
}

/** A gunicorn config file as gather found it: its text, or why not (`missing`: nothing there). */
export type GunicornConfigRead = { readonly text?: string; readonly problem?: string; readonly missing?: boolean };

/**
 * Pure: the config file gunicorn reads (app/base.py's load_config: -c on its command line, else in GUNICORN_CMD_ARGS,
 * else ./gunicorn.conf.py, read only when there), as the `start` command opens it (commandPath: from the directory it
 * starts in, under its RootDirectory=; its --chdir is
 * applied only after the file is read: gunicorn 26 with --chdir DIR does not read DIR/gunicorn.conf.py); `unread`, why it cannot be told: a module
 * (`python:NAME`), a relative path from a directory not known, GUNICORN_CMD_ARGS quoted.
 */
function gunicornConfigFile(
  line: { readonly config?: string },
  fromEnv: { readonly config?: string } | undefined,
  quoted: boolean,
  start: Pick<DaemonCommand, 'cwd' | 'root' | 'rootUnknown'>,
): GunicornConfigFile | { unread: string } {
  const named = line.config ?? fromEnv?.config;
  if (named === undefined && quoted)
    return { unread: 'GUNICORN_CMD_ARGS is quoted, which this check does not split as gunicorn does, and may name its config file' };
  if (named?.startsWith('python:'))
    return { unread: `gunicorn reads its settings from the module ${escapeText(named, 500)} (-c), which this check does not look up` };
  const path = commandPath(start, named === undefined ? 'gunicorn.conf.py' : named.replace(/^file:/, ''));
  if (path === undefined)
    return {
      unread:
        start.rootUnknown !== undefined
          ? `${start.rootUnknown}, where gunicorn reads its config file`
          : 'gunicorn reads its config file from the directory it starts in, which is not known here',
    };
  return { path, ...(named !== undefined && { named }) };
}

/**
 * Pure: the config file's bind and reuse_port, as far as a plain file tells them (pythonSettings): gunicorn takes a
 * string or a list of strings for bind; True, False, None, "true" or "false" for reuse_port. Unknown (with why) for
 * a file that cannot be read, or a setting it makes some other way; none of either for a file not there.
 */
function gunicornConfigSettings(read: GunicornConfigRead | undefined): {
  bind: { binds: readonly string[]; line: number } | { unknown: string } | undefined;
  reusePort: boolean | undefined;
} {
  if (read?.missing === true) return { bind: undefined, reusePort: false };
  if (read?.text === undefined) return { bind: { unknown: `which cannot be read: ${read?.problem ?? 'not read'}` }, reusePort: undefined };
  const settings = pythonSettings(read.text, ['bind', 'reuse_port']);
  const why = (setting: PythonSetting & { kind: 'unknown' }) => `where ${setting.reason}${setting.line === undefined ? '' : ` (line ${setting.line})`}`;
  const bind = settings.get('bind')!;
  const reuse = settings.get('reuse_port')!;
  const value = bind.kind === 'set' ? bind.value : undefined;
  const binds = typeof value === 'string' ? [value] : Array.isArray(value) && value.length > 0 ? (value as readonly string[]) : undefined;
  const reuseValue = reuse.kind === 'set' ? reuse.value : undefined;
  return {
    bind:
      bind.kind === 'unset'
        ? undefined
        : bind.kind === 'unknown'
          ? { unknown: why(bind) }
          : binds === undefined
            ? { unknown: `whose bind (line ${bind.line}) this check does not read` }
            : { binds, line: bind.line },
    reusePort:
      reuse.kind === 'unset' || reuseValue === null
        ? false
        : typeof reuseValue === 'boolean'
          ? reuseValue
          : typeof reuseValue === 'string' && /^\s*(?:true|false)\s*$/i.test(reuseValue)
            ? reuseValue.trim().toLowerCase() === 'true'
            : undefined,
  };
}

/**
 * Pure: gunicorn's binds from its arguments, its unit's `environment` (GUNICORN_CMD_ARGS, PORT) and its config file
 * (gunicornConfigFile, as `files` gives it read), each over the next, and with none of them its default (0.0.0.0:$PORT,
 * else 127.0.0.1:8000); `unread` when they cannot be told (a config file or setting not read, GUNICORN_CMD_ARGS quoted
 * as this reading does not split); `configMissing` for a -c naming a file that is not there; undefined when it does
 * not serve or argparse refuses the line.
 */
export function gunicornListen(
  args: readonly ExpandedArgument[],
  environment: ReadonlyMap<string, EnvironmentSetting>,
  start: Pick<DaemonCommand, 'cwd' | 'root' | 'rootUnknown'>,
  files: (path: string) => GunicornConfigRead | undefined,
): GunicornListen | undefined {
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
  const config = gunicornConfigFile(line, fromEnv, quoted, start);
  const read = 'path' in config ? files(config.path) : undefined;
  // gunicorn exits at start on a -c naming nothing ("Error: 'FILE' doesn't exist").
  if ('path' in config && config.named !== undefined && read?.missing === true)
    return { server: 'gunicorn', configMissing: { path: config.path, named: config.named } };
  const settings = 'path' in config ? gunicornConfigSettings(read) : { bind: { unknown: '' }, reusePort: undefined };
  // --reuse-port from any of its sources (a flag: none turns it off), else the config file's reuse_port; one not known may be on.
  const reusePort = line.reusePort || fromEnv?.reusePort === true || settings.reusePort !== false;
  const sockets = (binds: readonly GivenValue[]): GunicornListen => ({ server: 'gunicorn', binds, ...(reusePort && { reusePort }) });
  if (line.binds.length > 0) return sockets(line.binds);
  if (cmdArgs !== undefined) {
    if (quoted) return { server: 'gunicorn', unread: 'GUNICORN_CMD_ARGS is quoted, which this check does not split as gunicorn does' };
    if (fromEnv === undefined) return undefined;
    const env = { ...cmdArgs, variable: 'GUNICORN_CMD_ARGS' };
    if (fromEnv.binds.length > 0) return sockets(fromEnv.binds.map((bind) => ({ ...bind, env })));
  }
  if ('unread' in config) return { server: 'gunicorn', unread: `it gives no --bind, and ${config.unread}` };
  const file = escapeText(config.path, 500);
  const named = config.named === undefined ? '' : ' (-c)';
  const { bind } = settings;
  if (bind !== undefined && 'unknown' in bind)
    return { server: 'gunicorn', unread: `gunicorn takes its binds from its config file ${file}${named}, ${bind.unknown}` };
  if (bind !== undefined) return sockets(bind.binds.map((value) => ({ value, option: 'bind', conf: { file: config.path, line: bind.line } })));
  // No bind anywhere: gunicorn's own (config.py's Bind), from PORT when it is set.
  const port = environment.get('PORT');
  return sockets([
    port === undefined
      ? { value: `${ASGI_DEFAULT.host}:${ASGI_DEFAULT.port}`, option: 'default', implicit: true }
      : { value: `0.0.0.0:${port.value}`, option: 'default', implicit: true, env: { ...port, variable: 'PORT' } },
  ]);
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
 * `python3 -m uvicorn`), with the server and its arguments; undefined when there is none (the pipeline's own module, a
 * wrapper script) or its arguments cannot be told (a variable an unread EnvironmentFile= may set).
 */
function serverCommand(
  facts: Pick<Facts, 'units'>,
  service: Service,
):
  | (Pick<AsgiServerLine, 'server' | 'switches' | 'viaEnv'> & {
      command: DaemonCommand;
      all: ExpandedArgument[];
      args: ExpandedArgument[];
      environment: ReadonlyMap<string, EnvironmentSetting>;
    })
  | undefined {
  const servers = asgiServers(service);
  if (servers.length === 0) return undefined;
  const command = daemonCommand(facts, service, (line) => asgiServer(line, servers) !== undefined);
  const unit = command && facts.units.get(command.unit);
  if (command === undefined || unit === undefined || commandDoubt(facts, command) !== undefined) return undefined;
  const { server, skip, assigned, switches, viaEnv } = asgiServer(command.line, servers)!;
  // The variables the server reads itself, which an EnvironmentFile= this check cannot read may set.
  if (
    environmentDoubt(unit, server === 'uvicorn' ? [...UVICORN_LISTEN, 'app'].map((name) => `UVICORN_${name.toUpperCase()}`) : ['GUNICORN_CMD_ARGS', 'PORT']) !==
    undefined
  )
    return undefined;
  const all = expandedArguments(facts, command);
  // `env NAME=VALUE ...` sets the server's environment over the unit's, at the ExecStart= line.
  const environment = new Map(unit.environment);
  for (const word of assigned) {
    const equals = word.indexOf('=');
    environment.set(word.slice(0, equals), { value: word.slice(equals + 1), ...commandAt(command) });
  }
  return { command, server, switches, viaEnv, all, args: all.slice(skip), environment };
}

/**
 * Pure: where the ExecStart= command of `service`'s unit that runs uvicorn or gunicorn (serverCommand) makes it
 * listen; undefined without one, or when the server does not serve. gunicorn's config file is read from
 * `appServerFiles` (gathered at gunicornConfigPath); uvicorn's version from `uvicornInstalls` (gathered at uvicornLaunch).
 */
export function asgiCommand(facts: Pick<Facts, 'units' | 'appServerFiles' | 'uvicornInstalls'>, service: Service): AsgiCommand | undefined {
  const found = serverCommand(facts, service);
  if (found === undefined) return undefined;
  const { command, server, all, args, environment } = found;
  const listen =
    server === 'uvicorn'
      ? uvicornListen(args, environment, droppedWords(command, all, environment), facts.uvicornInstalls?.get(command.unit))
      : gunicornListen(args, environment, command, (path) => facts.appServerFiles?.get(path));
  return listen === undefined ? undefined : { ...command, listen };
}

/** Pure: the config file gunicorn would read for `service` (gunicornConfigFile), for gather to read; undefined for none or one not known. */
export function gunicornConfigPath(facts: Pick<Facts, 'units'>, service: Service): string | undefined {
  const found = serverCommand(facts, service);
  if (found?.server !== 'gunicorn') return undefined;
  let wanted: string | undefined;
  gunicornListen(found.args, found.environment, found.command, (path) => {
    wanted = path;
    return undefined;
  });
  return wanted;
}

/**
 * Pure: how the ExecStart= command of `service`'s unit runs uvicorn (serverCommand), for gather to read which uvicorn
 * it imports (readInstalledUvicorn): `python -m uvicorn` (the interpreter, and the directory it starts in) or the
 * `uvicorn` script, by absolute path; undefined for none, a bare name, a chrooted unit (RootDirectory=, RootImage=),
 * or one whose environment sets PYTHONPATH, PYTHONHOME, PYTHONUSERBASE or HOME (which move where Python imports from;
 * the PYTHON* ones not under -E or -I); with the User= whose ~/.local Python reads first, unless -s, -I,
 * PYTHONNOUSERSITE or a dynamic user turn that off, and whether -P, -I or PYTHONSAFEPATH leave out the directory it starts in.
 */
export function uvicornLaunch(facts: Pick<Facts, 'units'>, service: Service): UvicornLaunch | undefined {
  const found = serverCommand(facts, service);
  if (found?.server !== 'uvicorn') return undefined;
  const unit = facts.units.get(found.command.unit);
  if (unit?.rootDirectory !== undefined || unit?.rootImage !== undefined) return undefined;
  const { path } = found.command.line;
  // `env python3`: the interpreter env finds on its PATH, a bare name.
  if (!path.startsWith('/') || found.viaEnv) return undefined;
  const program = path.slice(path.lastIndexOf('/') + 1);
  // Python's own switches before -m: -E ignores the PYTHON* variables, -s the user's site-packages, -P the directory
  // it starts in; -I is all three.
  const { switches } = found;
  const isolated = switches.includes('I');
  const ignoresEnvironment = isolated || switches.includes('E');
  const set = (name: string) => !ignoresEnvironment && Boolean(found.environment.get(name)?.value);
  // HOME and PYTHONUSERBASE move the user's own site-packages, which Python reads before the system's.
  const moving = [...(ignoresEnvironment ? [] : ['PYTHONPATH', 'PYTHONHOME', 'PYTHONUSERBASE']), 'HOME'];
  const doubtful = [...moving, ...(ignoresEnvironment ? [] : ['PYTHONNOUSERSITE', 'PYTHONSAFEPATH'])];
  if (moving.some((name) => found.environment.has(name)) || environmentDoubt(unit!, doubtful) !== undefined) return undefined;
  const user = unit!.user?.value ?? 'root';
  // A specifier (%i) is not resolved here: whose home it is cannot be told.
  if (user.includes('%')) return undefined;
  const noUserSite = isolated || switches.includes('s') || set('PYTHONNOUSERSITE') || unit!.dynamicUser;
  const userSite = noUserSite ? {} : { userSiteOf: user };
  if (program === 'uvicorn') return { script: path, ...userSite };
  const safePath = isolated || switches.includes('P') || set('PYTHONSAFEPATH');
  return { interpreter: path, ...(found.command.cwd !== undefined && { cwd: found.command.cwd }), ...userSite, ...(safePath && { safePath }) };
}
