// The main configuration nginx reads, from the command its unit starts it
// with: `-c FILE` names it (relative: under the prefix, `-p` else the
// compiled-in one), `-g` adds directives read before it, and a relative
// include in any file is under the directory of that main file (nginx's
// conf_prefix). As nginx.c's ngx_get_options and ngx_process_options have it.
import { CONFIG_KINDS, type Service } from '@dsa110/ports';
import type { Facts, UnitLine } from '../../types.js';
import { commandAt, commandDoubt, commandPath, commandUnknown, daemonCommand, type DaemonCommand } from './daemon-command.js';

// Where Debian's and Red Hat's nginx build looks for things (`nginx -V`), each said once.
/** Its compiled-in prefix (--prefix), under which a relative -c is read when there is no -p. */
export const NGINX_BUILD_PREFIX = '/usr/share/nginx/';
/** Its conf prefix: the directory of its main configuration (--conf-path), under which a relative include is read. */
export const NGINX_CONF_PREFIX = '/etc/nginx/';
/** Its main configuration (--conf-path): what nginx reads without -c. */
export const NGINX_CONF = `${NGINX_CONF_PREFIX}nginx.conf`;

/**
 * The main configuration nginx reads, as its command gives it: `path`, the directory its relative includes are
 * read from (`confPrefix`), the -g directives (`params`), the -p prefix (`prefix`, as a directory), and the unit
 * line that named it (`at`) when a -c did or it is not NGINX_CONF; or an option nginx refuses (`refused`, in nginx's own words:
 * it exits at start), at that line; or `unknown`, when the model cannot tell (a command that does not serve: -t,
 * -v, -s; a relative -p in a start directory not known), with `doubt` and the unit line when a variable of the
 * command may be set by an EnvironmentFile= that cannot be read (commandDoubt), or a wrapper starts nginx or part of
 * the unit cannot be read (commandUnknown): then its -c is not known.
 */
export type NginxMain =
  | {
      readonly path: string;
      readonly confPrefix: string;
      readonly params?: string;
      readonly prefix?: string;
      readonly at?: UnitLine;
      /** Whether the command has a -c (else `path` is nginx's default, under `root` when chrooted). */
      readonly option?: true;
      /** The RootDirectory= nginx runs chrooted in (DaemonCommand's `root`): its files, and its absolute includes, are under it. */
      readonly root?: string;
    }
  | { readonly refused: string; readonly at: UnitLine }
  | { readonly unknown: true; readonly doubt?: { readonly reason: string; readonly at: UnitLine; readonly fix?: string } };

/**
 * Pure: the main configuration of the nginx that serves `service`'s site, from its unit's command (nginxMain); nginx's
 * default without a unit read. A unit that starts it otherwise (a wrapper, `sh -c` or a script, which may give it any
 * -c; nginx started twice) or that could not all be read leaves it unknown, with the reason, as does a command whose variables an EnvironmentFile= that cannot be
 * read may set (what the readable files give is not what nginx may get: a -c, or none).
 */
export function serviceNginxMain(facts: Pick<Facts, 'units'>, service: Service): NginxMain {
  // A wrapper, or a part of the unit not read (commandUnknown): said, never nginx's default taken in its place.
  const unknown = commandUnknown(facts, service, CONFIG_KINDS['nginx-site'].programs, nginxUsesStartDirectory);
  if (unknown !== undefined)
    return {
      unknown: true,
      doubt: { reason: unknown.reason, at: { file: unknown.file, line: unknown.line }, ...(unknown.fix !== undefined && { fix: unknown.fix }) },
    };
  const command = daemonCommand(facts, service, CONFIG_KINDS['nginx-site'].programs);
  const doubt = command === undefined ? undefined : commandDoubt(facts, command);
  if (doubt !== undefined) return { unknown: true, doubt: { reason: doubt, at: commandAt(command!) } };
  if (command !== undefined) return nginxMain(command);
  const unit = service.systemd === undefined ? undefined : facts.units.get(service.systemd.unit);
  return unit?.execStart !== undefined && !unit.masked ? { unknown: true } : nginxMain(undefined);
}

/** Whether nginx reads a path of `command` from the directory it starts in: a relative -p (a relative -c is read under the prefix). */
function nginxUsesStartDirectory(command: DaemonCommand): boolean {
  const options = nginxOptions(command.line.argv);
  return 'serves' in options && options.p !== undefined && !options.p.startsWith('/');
}

/** The RootDirectory= nginx runs chrooted in, where its absolute includes are (includePath); undefined on the root itself, or not known. */
export function includeRoot(main: NginxMain): string | undefined {
  return 'root' in main ? main.root : undefined;
}

/** Where relative includes are read from: the main file's directory; nginx's build's where the model cannot tell. */
export function includePrefix(main: NginxMain): string {
  return 'confPrefix' in main ? main.confPrefix : NGINX_CONF_PREFIX;
}

/** What each option that takes a value says when it has none (ngx_get_options). */
const VALUE_NAMES: Readonly<Record<string, string>> = { c: 'file name', p: 'directory name', e: 'file name', g: 'parameter', s: 'parameter' };
/** The signals -s sends (to a running master: that command serves nothing). */
const SIGNALS = ['stop', 'quit', 'reopen', 'reload'];

/** Pure: the main configuration `command` makes nginx read; NGINX_CONF (as nginx's build has it) without a command (no unit, a wrapper). */
export function nginxMain(command: DaemonCommand | undefined): NginxMain {
  if (command === undefined) return { path: NGINX_CONF, confPrefix: NGINX_CONF_PREFIX };
  const at = commandAt(command);
  const options = nginxOptions(command.line.argv);
  if ('refused' in options) return { refused: options.refused, at };
  if (options.serves === false) return { unknown: true };
  // The prefix as nginx makes it: -p with a `/` added (an empty one stays empty: the start directory), else the build's.
  const prefix = options.p === undefined ? NGINX_BUILD_PREFIX : options.p === '' || options.p.endsWith('/') ? options.p : `${options.p}/`;
  const conf = options.c ?? NGINX_CONF;
  const full = conf.startsWith('/') ? conf : `${prefix}${conf}`;
  // The directory of the main file, its last `/` past the first character (ngx_process_options' loop stops before it); else the prefix's.
  const slash = full.lastIndexOf('/');
  const confDir = slash > 0 ? full.slice(0, slash + 1) : options.p === undefined ? NGINX_CONF_PREFIX : prefix;
  // Under a RootDirectory=, each of them inside it (commandPath).
  const path = commandPath(command, full);
  // Both as directories (an empty prefix: the start directory itself).
  const asDirectory = (dir: string | undefined) => (dir === undefined || dir.endsWith('/') ? dir : `${dir}/`);
  const confPrefix = asDirectory(commandPath(command, confDir));
  const prefixDir = options.p === undefined ? undefined : asDirectory(commandPath(command, prefix));
  if (path === undefined || confPrefix === undefined || (options.p !== undefined && prefixDir === undefined)) return { unknown: true };
  return {
    path,
    confPrefix,
    ...(options.g !== undefined && { params: options.g }),
    ...(prefixDir !== undefined && { prefix: prefixDir }),
    ...(command.root !== undefined && { root: command.root }),
    ...(options.c !== undefined && { option: true }),
    // Any -c, nginx.conf too: a -c file that is not there is said at that line (nginx exits); nginx.conf without one is no nginx here.
    ...((options.c !== undefined || path !== NGINX_CONF) && { at }),
  };
}

/**
 * Pure: nginx's reading of its arguments (ngx_get_options): each starts with `-`; flags may share one (`-tq`); -c,
 * -p, -e, -g and -s take the rest of theirs (`-cFILE`) or the next argument, the last one given winning; anything
 * else is refused, in nginx's words. `serves` is false for a command that only tests, prints or signals.
 */
function nginxOptions(
  argv: readonly string[],
): { readonly c?: string; readonly p?: string; readonly g?: string; readonly serves: boolean } | { readonly refused: string } {
  const values: Record<string, string> = {};
  let serves = true;
  for (let index = 1; index < argv.length; index++) {
    const argument = argv[index]!;
    if (!argument.startsWith('-')) return { refused: `invalid option: "${argument}"` };
    for (let at = 1; at < argument.length; at++) {
      const option = argument[at]!;
      if ('?hvVtT'.includes(option)) serves = false;
      else if (option === 'q') continue;
      else if (Object.hasOwn(VALUE_NAMES, option)) {
        const value = at + 1 < argument.length ? argument.slice(at + 1) : argv[++index];
        if (value === undefined) return { refused: `option "-${option}" requires ${VALUE_NAMES[option]}` };
        if (option === 's') {
          if (!SIGNALS.includes(value)) return { refused: `invalid option: "-s ${value}"` };
          serves = false;
        }
        values[option] = value;
        break;
      } else return { refused: `invalid option: "${option}"` };
    }
  }
  return {
    ...(values.c !== undefined && { c: values.c }),
    ...(values.p !== undefined && { p: values.p }),
    ...(values.g !== undefined && { g: values.g }),
    serves,
  };
}
