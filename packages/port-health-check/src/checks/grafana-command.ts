// Grafana's command line (its unit's ExecStart=), read as Grafana reads it:
// the config file it reads and the `cfg:` properties that override settings.
// `grafana server` (urfave/cli v2) and `grafana-server` (Go's flag package in
// the old binary; the packaged wrapper runs `grafana server` with its words)
// parse flags as Go's flag package does: `-config X`, `--config X` and
// `--config=X` alike, the last one given winning, up to the first word that
// is no flag or a `--`; every word after is an argument, and those starting
// `cfg:` are properties. From pkg/setting/setting.go (loadConfiguration),
// Grafana builds its settings in this order, each over the one before: its
// homepath's conf/defaults.ini; `cfg:default.SECTION.KEY=VALUE` properties;
// the --config file, or with none its homepath's conf/custom.ini when there
// is one (a key left empty there is skipped); GF_SECTION_KEY variables that
// are not empty; `cfg:SECTION.KEY=VALUE` properties (--configOverrides'
// words, split at spaces, before the arguments; the last of a name wins).
import { CONFIG_KINDS, type Service } from '@dsa110/ports';
import type { CommandLineSettings } from './config-setting.js';
import { commandDoubt, commandPath, daemonCommand, pathFromCwd } from './references/daemon-command.js';
import type { EnvironmentSetting } from '@dsa110/ports/systemd';
import type { DaemonFile, Facts } from '../types.js';

/** `grafana server`'s flags that take no value (`--profile`, `-v`), in any version: `--NAME=VALUE` is one word. */
const SWITCHES = new Set(['version', 'v', 'vv', 'profile', 'tracing', 'help', 'h']);
/** Its flags that take one (the next word, or after `=`). Another name is one this reading does not know: Grafana may exit on it. */
const VALUED = new Set([
  'config',
  'homepath',
  'pidfile',
  'packaging',
  'configOverrides',
  'profile-addr',
  'profile-port',
  'profile-block-rate',
  'profile-mutex-rate',
  'tracing-file',
]);

/** What Grafana takes from its words: its --config and --homepath (the last of each), and its `cfg:` words in the order it applies them. */
export interface GrafanaArgs {
  readonly config?: string;
  readonly homepath?: string;
  readonly properties: readonly string[];
}

/**
 * Pure: the words of a command running `grafana server` or `grafana-server`, as Grafana reads them; undefined for
 * another command (`grafana cli`, `grafana server target`) and for one Grafana refuses or this reading does not know
 * (a flag it does not know, `---x`, a flag missing its value: Grafana prints its usage and exits).
 */
export function grafanaArgs(argv: readonly string[]): GrafanaArgs | undefined {
  const program = argv[0]!.slice(argv[0]!.lastIndexOf('/') + 1);
  let words = argv.slice(1);
  if (program === 'grafana') {
    if (words[0] !== 'server') return undefined;
    words = words.slice(1);
  }
  const values = new Map<string, string>();
  let index = 0;
  for (; index < words.length; index++) {
    const word = words[index]!;
    if (word === '--') {
      index++;
      break;
    }
    if (word.length < 2 || !word.startsWith('-')) break;
    const body = word.slice(word.startsWith('--') ? 2 : 1);
    if (body === '' || body.startsWith('-') || body.startsWith('=')) return undefined;
    const equals = body.indexOf('=');
    const name = equals < 0 ? body : body.slice(0, equals);
    if (SWITCHES.has(name)) continue;
    if (!VALUED.has(name)) return undefined;
    if (equals >= 0) values.set(name, body.slice(equals + 1));
    else if (index + 1 < words.length) values.set(name, words[++index]!);
    else return undefined;
  }
  const args = words.slice(index);
  // The server command's subcommand, which runs instead.
  if (args[0] === 'target') return undefined;
  const overrides = values.get('configOverrides')?.split(' ') ?? [];
  const config = values.get('config');
  const homepath = values.get('homepath');
  return {
    ...(config !== undefined && { config }),
    ...(homepath !== undefined && { homepath }),
    properties: [...overrides, ...args].filter((word) => word.startsWith('cfg:')),
  };
}

/** Grafana's command line, read: where it is, the directory it starts in, its executable, and what its words say. */
export interface GrafanaCommand extends CommandLineSettings {
  /** WorkingDirectory= (else `/`), as Grafana names it (inside `root`); undefined when not known. */
  readonly cwd?: string;
  /** The RootDirectory= Grafana runs chrooted in (DaemonCommand's `root`): every path it opens is under it. */
  readonly root?: string;
  /** Why no file Grafana opens can be looked at here (DaemonCommand's `rootUnknown`: RootImage=): then none is. */
  readonly rootUnknown?: string;
  /** The executable, as the unit names it (an absolute one under `root`, as the root the units are for names it). */
  readonly executable: string;
  /** --config's value, when not empty (Grafana reads an empty one as none). */
  readonly config?: string;
  /** The unit's variable --config's value is, when it is one (`--config=${CONF_FILE}`), and where the unit's environment sets it. */
  readonly configFrom?: EnvironmentSetting & { readonly variable: string };
  /** --homepath's value, when not empty. */
  readonly homepath?: string;
  /** The first `cfg:` word that is not `cfg:NAME=VALUE` with one `=`: Grafana exits at start on it ("Invalid command line argument"). */
  readonly refused?: string;
}

/**
 * Pure: the command line the unit of `service` runs Grafana with (daemonCommand: its one ExecStart= command running
 * `grafana` or `grafana-server`), read; undefined without one, or for one that runs something else or that Grafana
 * refuses (grafanaArgs).
 */
export function grafanaCommand(facts: Pick<Facts, 'units'>, service: Service): GrafanaCommand | undefined {
  const command = daemonCommand(facts, service, CONFIG_KINDS['grafana-datasource'].programs);
  const args = command && grafanaArgs(command.line.argv);
  if (command === undefined || args === undefined) return undefined;
  const properties = new Map<string, string>();
  let refused: string | undefined;
  for (const word of args.properties) {
    // Grafana splits at every `=`, and takes exactly two parts.
    const parts = word.slice('cfg:'.length).split('=');
    if (parts.length === 2) properties.set(parts[0]!, parts[1]!);
    else refused ??= word;
  }
  const doubt = commandDoubt(facts, command);
  const variable = args.config ? lastVariable(command.line.words, /^--?config(=|$)/) : undefined;
  // The unit's variable each property's value is, by name (`cfg:server.http_port=${GRAFANA_PORT}`): an empty value names it.
  const variables = new Map<string, string>();
  for (const name of properties.keys()) {
    const from = lastVariable(command.line.words, new RegExp(`^cfg:${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(=)`));
    if (from !== undefined) variables.set(name, from);
  }
  const setting = variable === undefined ? undefined : facts.units.get(command.unit)?.environment.get(variable);
  return {
    file: command.line.file,
    line: command.line.line,
    ...(command.cwd !== undefined && { cwd: command.cwd }),
    ...(command.root !== undefined && { root: command.root }),
    ...(command.rootUnknown !== undefined && { rootUnknown: command.rootUnknown }),
    executable: command.line.path.startsWith('/') ? (commandPath(command, command.line.path) ?? command.line.path) : command.line.path,
    ...(args.config && { config: args.config }),
    ...(setting !== undefined && { configFrom: { ...setting, variable: variable! } }),
    ...(args.homepath && { homepath: args.homepath }),
    properties,
    ...(variables.size > 0 && { variables }),
    ...(refused !== undefined && { refused }),
    ...(doubt !== undefined && { doubt }),
  };
}

/**
 * Pure: the variable the value of the last of the written words (`words`, $VAR not expanded) that `flag` matches is,
 * when it is one whole `$NAME` or `${NAME}`: the rest of the word after a `=` the pattern captures, else the next
 * word (Debian's `--config=${CONF_FILE}`, set in /etc/default/grafana-server).
 */
function lastVariable(words: readonly string[], flag: RegExp): string | undefined {
  let value: string | undefined;
  for (const [index, word] of words.entries()) {
    const found = flag.exec(word);
    if (found) value = found[1] === '=' ? word.slice(found[0].length) : words[index + 1];
  }
  return value === undefined ? undefined : /^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})$/.exec(value)?.slice(1).find(Boolean);
}

/** `dir`'s parent, as Go's filepath.Join(dir, "../") gives it. */
const parentOf = (dir: string): string => dir.slice(0, dir.replace(/\/+$/, '').lastIndexOf('/')) || '/';

/**
 * Pure: the paths gather looks at (daemonFiles) to tell which files `command` makes Grafana read: the --config file;
 * its executable (the ELF program, or a wrapper script that may add a --config or --homepath); and, for its homepath
 * (--homepath, else its working directory when conf/defaults.ini is there, else the one above when it is there), the
 * conf/defaults.ini it reads first, and without --config the conf/custom.ini it may read.
 */
export function grafanaPaths(command: GrafanaCommand): string[] {
  const { cwd } = command;
  if (command.rootUnknown !== undefined) return [];
  const config = command.config === undefined ? [] : [commandPath(command, command.config)].filter((path) => path !== undefined);
  const names = command.config === undefined ? ['conf/defaults.ini', 'conf/custom.ini'] : ['conf/defaults.ini'];
  const homes =
    command.homepath !== undefined
      ? [commandPath(command, command.homepath)]
      : cwd === undefined
        ? []
        : [commandPath(command, cwd), commandPath(command, parentOf(cwd))];
  return [...config, command.executable, ...homes.flatMap((home) => (home === undefined ? [] : names.map((name) => pathFromCwd(name, home)!)))];
}

/**
 * Pure: Grafana's homepath (setHomePath), as the root the units are for names it (under its RootDirectory=), from what gather found at grafanaPaths: --homepath; else, for the ELF
 * program, its working directory when conf/defaults.ini is there, else the one above when it is there, else the
 * working directory. Undefined when it cannot be told: a variable of the command line may be set in a file that
 * cannot be read, a relative path from an unknown directory, a wrapper script (the package's /usr/sbin/grafana adds
 * --homepath=/usr/share/grafana; another may add its own) given no --homepath.
 */
export function grafanaHome(command: GrafanaCommand, files: ReadonlyMap<string, DaemonFile | undefined>): string | undefined {
  if (command.doubt !== undefined) return undefined;
  if (command.homepath !== undefined) return commandPath(command, command.homepath);
  if (command.rootUnknown !== undefined || files.get(command.executable)?.elf !== true || command.cwd === undefined) return undefined;
  // As the root the units are for names them (under RootDirectory=, inside it).
  const cwd = commandPath(command, command.cwd)!;
  const parent = commandPath(command, parentOf(command.cwd))!;
  const defaultsIn = (home: string) => files.get(pathFromCwd('conf/defaults.ini', home)!)?.id !== undefined;
  return defaultsIn(cwd) || !defaultsIn(parent) ? cwd : parent;
}

/** The config file Grafana reads: named by --config, or its homepath's conf/custom.ini (read only when it is there). */
export interface GrafanaConfigFile {
  readonly path: string;
  readonly by: 'config' | 'homepath';
}

/**
 * Pure: the config file `command` makes Grafana read, from what gather found at grafanaPaths; undefined when it
 * cannot be told: a variable of the command line may be set in a file that cannot be read, a relative path from an
 * unknown directory, or no --config given to an executable that is not the ELF program (a wrapper script, such as the
 * package's /usr/sbin/grafana, may add one; one not there runs nothing).
 */
export function grafanaConfigFile(command: GrafanaCommand, files: ReadonlyMap<string, DaemonFile | undefined>): GrafanaConfigFile | undefined {
  if (command.doubt !== undefined) return undefined;
  if (command.config !== undefined) {
    const path = commandPath(command, command.config);
    return path === undefined ? undefined : { path, by: 'config' };
  }
  if (command.rootUnknown !== undefined || files.get(command.executable)?.elf !== true) return undefined;
  const home = grafanaHome(command, files);
  return home === undefined ? undefined : { path: pathFromCwd('conf/custom.ini', home)!, by: 'homepath' };
}
