// The config check: a service whose port is set by a key in its config file
// (`configuredBy: { file: grafana.ini, key: http_port }`, `config:` naming the
// file) has that key set to its port. Read under --root, so an image can be
// checked before it boots. A missing key means the program's own default,
// which is how Grafana ends up on 3000, Vite's port.
import { configsOf } from '../service-configs.js';
import { CONFIG_KINDS, escapeText, type ConfigKind, type Service } from '@dsa110/ports';
import { reloadStep } from '@dsa110/ports/systemd';
import { effectivePort } from '../effective-port.js';
import { asgiCommand } from './asgi-command.js';
import { asgiFindings } from './asgi-listen.js';
import { envOverrideOf, overrideFix, resolveSetting, type ResolvedSetting, type SettingKey } from './config-setting.js';
import { goPort } from './go-port.js';
import { grafanaCommand, grafanaConfigFile, grafanaHome, type GrafanaCommand } from './grafana-command.js';
import { commandUnknown, pathFromCwd, sameFile, unreadUnitDoubt, type CommandUnknown } from './references/daemon-command.js';
import { checkGrafanaServer } from './grafana-server.js';
import { portsCommand } from '../ports-command.js';
import { serviceResult } from './service-result.js';
import { placedResult, portWords } from './references.js';
import { notAPort, orRegistry, portFix, type Finding, type PortReading } from './references/finding.js';
import { readRedisPort, REDIS_PORT } from './references/redis.js';
import { factsLookup } from './references/include-files.js';
import { REDIS_PROGRAMS, redisRunsSentinel } from './references/redis-command.js';
import type { CheckResult, Facts } from '../types.js';
import { restartStep } from './restart-step.js';
import { inTree } from './tree-path.js';

/**
 * The INI section a config file's port key lives in, by file name, and the
 * environment variables that override it: Grafana reads `http_port` under
 * `[server]` (what `ports snippet grafana-ini` writes), and
 * `GF_SERVER_HTTP_PORT` in its environment wins over the file.
 */
const INI_FILES: Readonly<Record<string, { section: string; envPrefix: string; portSyntax: PortSyntax }>> = {
  'grafana.ini': { section: 'server', envPrefix: 'GF_', portSyntax: 'go' },
};

/**
 * Grafana's own values of the [server] keys it is held to, when left empty (pkg/setting/setting.go: valueAsString's
 * default): an empty `cfg:` word leaves them so. root_url is not here: Grafana builds it from the others.
 */
const GRAFANA_BUILT_IN: Readonly<Record<string, string>> = { http_port: '3000', protocol: 'http', http_addr: '0.0.0.0' };

/**
 * Config files a program reads by its own rules, which a references reader (`configs: [{ kind }]`) reads as the
 * program does: the key that is its port, how it reads the port, and how to tell the program reads a file. Redis's
 * `port` is read by the redis-conf reader (Redis's quoting, `#` a comment only at the start of a line, its includes,
 * a line it refuses at start). A file is Redis's when the registry says so in any way it can: the service's
 * `configs:` names it as `redis-conf`; its name is one Redis's files go by (`redis.conf`, Debian's
 * redis-server@.service's `redis-INSTANCE.conf`, `sentinel.conf`), as `configuredBy.file` or the base name of
 * `config:`; or the service's `processes` name a program that reads it (REDIS_PROGRAMS: redis-server, and
 * `redis-sentinel`, redis-server in Sentinel mode, which reads its file the same way).
 */
const PROGRAM_FILES: readonly { kind: ConfigKind; key: string; portSyntax: PortReading; names: RegExp; programs: readonly string[] }[] = [
  {
    kind: 'redis-conf',
    key: 'port',
    portSyntax: REDIS_PORT,
    names: /^(?:redis|sentinel)(?:[-_.@].*)?\.conf$/,
    programs: REDIS_PROGRAMS,
  },
];

/** The program file reader that reads `key` of the service's `config:` file (PROGRAM_FILES), when its program reads the file. */
function programFile(service: Service, file: string, key: string, config: string): (typeof PROGRAM_FILES)[number] | undefined {
  const base = config.slice(config.lastIndexOf('/') + 1);
  return PROGRAM_FILES.find(
    (program) =>
      program.key === key &&
      (program.names.test(file) ||
        program.names.test(base) ||
        service.processes.some((name) => program.programs.includes(name)) ||
        service.configs.some((ref) => ref.kind === program.kind && ref.path === config)),
  );
}

/**
 * How the program reads its port key: `exact`, the registry's digits only (the
 * default: an unknown program may refuse `06379`); `go`, as Go's net package
 * reads a port (Grafana hands http_port to net.Listen); a PortReading, as that
 * program reads it (Redis: PROGRAM_FILES).
 */
type PortSyntax = 'exact' | 'go' | PortReading;

/** Pure: how a value the program reads as `port` but written otherwise (`03030`) is read, for the report; '' for the port's own digits. */
function readAs(value: string, port: number, service: Service): string {
  return value === String(port) ? '' : `, which ${service.name} reads as port ${port}`;
}

/** Pure: whether the program reads `value` as `port`. */
function setsPort(value: string, port: number, syntax: PortSyntax): boolean {
  return value === String(port) || (syntax === 'go' ? goPort(value) === port : syntax !== 'exact' && syntax.port(value) === port);
}

/** What checkConfig reads: the file, its port key (and section), and the environment variable that overrides the key. */
export interface ConfigKey extends SettingKey {
  readonly portSyntax: PortSyntax;
  /** The INI file's name (`grafana.ini`), whose other keys the program reads likewise. */
  readonly ini?: string;
  /** The reader of the program that reads this file (PROGRAM_FILES): the config check reads the key with it. */
  readonly readBy?: ConfigKind;
  /** The references reader of the service's `configs:` that judges this key in this file instead (PROGRAM_FILES): nothing for the config check to say. */
  readonly judgedBy?: ConfigKind;
}

export function configKey(service: Service): ConfigKey | undefined {
  const by = service.configuredBy;
  if (typeof by !== 'object' || !('file' in by) || !by.key || !service.config) return undefined;
  const ini = Object.hasOwn(INI_FILES, by.file) ? INI_FILES[by.file] : undefined;
  const program = programFile(service, by.file, by.key, service.config);
  if (program) {
    const judged = service.configs.some((ref) => ref.kind === program.kind && ref.path === service.config);
    return { file: service.config, key: by.key, portSyntax: program.portSyntax, readBy: program.kind, ...(judged && { judgedBy: program.kind }) };
  }
  if (!ini) return { file: service.config, key: by.key, portSyntax: 'exact' };
  const envOverride = envOverrideOf(ini.envPrefix, ini.section, by.key);
  return { file: service.config, key: by.key, section: ini.section, envOverride, envPrefix: ini.envPrefix, portSyntax: ini.portSyntax, ini: by.file };
}

export function checkConfig(facts: Facts, service: Service): CheckResult[] {
  const wanted = configKey(service);
  if (!wanted) return checkServerCommand(facts, service);
  // The references check reads this file as its program does and says what is wrong with the key, once.
  if (wanted.judgedBy !== undefined) return [];
  const results = checkConfigKey(facts, service, wanted);
  if (wanted.ini !== 'grafana.ini') return results;
  // Grafana's command line may name another file or override the file's keys (`cfg:server.http_port=`): where it is
  // not known (a wrapper, a part of the unit not read), no key passes on the file alone.
  const programs = CONFIG_KINDS['grafana-datasource'].programs;
  return unlessCommandKnown(results, commandUnknown(facts, service, programs), programs[programs.length - 1]!);
}

/**
 * `results` of a verdict that stands on `program`'s command line, held to why that is not known (commandUnknown): each
 * ok is unknown then, naming why and where (a problem of the file itself stands: the file disagrees either way).
 */
function unlessCommandKnown(results: readonly CheckResult[], unknown: CommandUnknown | undefined, program: string): CheckResult[] {
  if (unknown === undefined) return [...results];
  const at = unknown.line > 0 ? ` (${escapeText(`${unknown.file}:${unknown.line}`, 500)})` : '';
  const why = `the command line ${program} is started with is not known, as ${unknown.reason}${at}${unknown.fix === undefined ? '' : `; ${unknown.fix}`}`;
  return results.map((result) => (result.severity === 'ok' ? { ...result, severity: 'unknown', reason: `${result.reason}, but ${why}` } : result));
}

/** The config check of a service's port key in its config file (configKey), with Grafana's command line where it reads it. */
function checkConfigKey(facts: Facts, service: Service, wanted: ConfigKey): CheckResult[] {
  const { port } = effectivePort(facts, service);
  const result = serviceResult('config', service, port);
  // Grafana's command line may make it read another file, or override the file's keys (`cfg:server.http_port=`).
  const command = wanted.ini === 'grafana.ini' ? grafanaCommand(facts, service) : undefined;
  const commandFinding = command && commandLineFinding(facts, service, wanted.file, command);
  if (commandFinding?.severity === 'error') return [placedResult(facts, result, commandFinding, wanted.file)];
  // Grafana reads another file: its keys are that file's, but a cfg:SECTION.KEY= word wins over any file (applied
  // last), so each one the command line gives is still held, with the warning.
  if (commandFinding) {
    const reads = commandFinding.severity === 'warning' ? otherFile(facts, command!) : undefined;
    return [placedResult(facts, result, commandFinding, wanted.file), ...checkGrafana(facts, service, wanted, port, result, command!, reads)];
  }
  const config = configsOf(facts, service).get(wanted.file);
  if (!config || config.text === undefined) {
    const shownRoot = facts.root === '/' ? '' : ` under ${facts.root}`;
    return [result('unknown', `cannot check ${wanted.key} in ${wanted.file}${shownRoot}: ${config?.problem ?? 'not read'}`, wanted.file)];
  }
  const text = config.text;
  if (wanted.readBy === 'redis-conf') return checkRedisPort(facts, service, { file: wanted.file, text, port }, result);
  if (wanted.ini !== 'grafana.ini')
    return checkPortKey(facts, resolveSetting(facts, service, text, wanted, 'the port'), { wanted, service, port, snippet: undefined }, result);
  return checkGrafana(facts, service, wanted, port, result, command, { file: wanted.file, text });
}

/**
 * A service whose port no config file sets (`configuredBy: { env }`, or none) run by uvicorn or gunicorn: where its
 * unit's command line makes the server listen (asgiCommand), held to the service's port and access level, at the
 * ExecStart= line. Nothing for another program (the pipeline's own module reads CONTIMG_API_PORT itself).
 */
function checkServerCommand(facts: Facts, service: Service): CheckResult[] {
  const command = asgiCommand(facts, service);
  if (command === undefined) return [];
  const result = serviceResult('config', service, effectivePort(facts, service).port);
  const found = asgiFindings(facts, service, command).map((finding) => placedResult(facts, result, finding, command.line.file));
  // A part of the unit not read may reset the ExecStart= read, or set the variables it expands. (A wrapper says
  // nothing here: a program that is not the server may be the pipeline's own, which reads its port itself.)
  const unit = facts.units.get(command.unit);
  return unlessCommandKnown(found, unit && unreadUnitDoubt(unit), command.line.path.slice(command.line.path.lastIndexOf('/') + 1));
}

/**
 * The other config file Grafana reads (commandLineFinding's warning): its path, and its text when read (a
 * conf/custom.ini that is not there is an empty layer: Grafana reads none), whose keys then count.
 */
function otherFile(facts: Pick<Facts, 'daemonFiles' | 'grafanaFiles'>, command: GrafanaCommand): { file: string; text?: string } | undefined {
  const files = facts.daemonFiles ?? new Map();
  const reads = grafanaConfigFile(command, files);
  if (reads === undefined) return undefined;
  if (reads.by === 'homepath' && files.get(reads.path)?.missing === true) return { file: reads.path, text: '' };
  const text = facts.grafanaFiles?.get(reads.path)?.text;
  return { file: reads.path, ...(text !== undefined && { text }) };
}

/**
 * Grafana's homepath's conf/defaults.ini as a layer under the file (its text, or why it could not be read); undefined
 * when the homepath is not known (no command line read, a wrapper script) or the file is not there.
 */
function defaultsLayer(facts: Pick<Facts, 'daemonFiles' | 'grafanaFiles' | 'configs'>, command: GrafanaCommand | undefined): SettingKey['defaults'] {
  const files = facts.daemonFiles ?? new Map();
  const home = command && grafanaHome(command, files);
  const file = home === undefined ? undefined : pathFromCwd('conf/defaults.ini', home);
  if (file === undefined || !files.has(file) || files.get(file)?.missing === true) return undefined;
  // A file not looked at (a directory on its way this check may not search) cannot be read either.
  const read = facts.grafanaFiles?.get(file) ?? facts.configs.get(file);
  if (read?.text !== undefined) return { file, text: read.text };
  return { file, problem: read?.problem ?? 'a directory on its way cannot be searched (run as root)' };
}

/**
 * grafana.ini's http_port and Grafana's other [server] keys, as Grafana gets them: its homepath's conf/defaults.ini,
 * cfg:default.server.KEY=, the file it reads (`reads`: the registry's, or another its command line names), its
 * GF_SERVER_ variable, cfg:server.KEY=. Without the text of the file it reads (not read, or not known to be another),
 * only the keys a cfg:server.KEY= word sets; in another file, a key no layer sets is not held (the warning says it).
 */
function checkGrafana(
  facts: Facts,
  service: Service,
  wanted: ConfigKey,
  port: number,
  result: ReturnType<typeof serviceResult>,
  command: GrafanaCommand | undefined,
  reads?: { readonly file: string; readonly text?: string },
): CheckResult[] {
  const text = reads?.text;
  const another = reads !== undefined && reads.file !== wanted.file;
  // The file Grafana reads: the one each finding names, and the one to change.
  const file = reads?.file ?? wanted.file;
  const defaults = text === undefined ? undefined : defaultsLayer(facts, command);
  // The command that prints the file as the registry wants it (`ports snippet grafana-ini`).
  const snippet = portsCommand(facts, ['snippet', 'grafana-ini'], [service]);
  const commandLine = command && { commandLine: command };
  const { envPrefix } = INI_FILES['grafana.ini']!;
  const section = wanted.section!;
  // The keys no layer over an unreadable defaults.ini sets: held as unset, as before defaults.ini was read, and a
  // finding that gives is unknown instead (its value is that file's); one that passes says nothing more.
  const unread = new Map<string, Extract<ResolvedSetting, { kind: 'unknown' }>>();
  const resolve = (key: string, subject: string): ResolvedSetting | undefined => {
    if (text === undefined && !command?.properties.has(`${section}.${key}`)) return undefined;
    const found = resolveSetting(
      facts,
      service,
      text ?? '',
      {
        file,
        key,
        section,
        envOverride: envOverrideOf(envPrefix, section, key),
        envPrefix,
        ...commandLine,
        ...(Object.hasOwn(GRAFANA_BUILT_IN, key) && { builtIn: GRAFANA_BUILT_IN[key] }),
        ...(defaults !== undefined && { defaults }),
      },
      subject,
    );
    if (found.kind === 'unknown' && found.defaultsUnread) unread.set(key, found);
    const unset = found.kind === 'unset' || unread.has(key);
    return another && unset ? undefined : unset ? { kind: 'unset' } : found;
  };
  const orUnknown = (key: string | undefined, found: CheckResult): CheckResult => {
    const why = key === undefined || found.severity === 'ok' ? undefined : unread.get(key);
    return why === undefined ? found : result('unknown', why.reason, why.at);
  };
  const held = { ...wanted, file };
  // A command line that cannot be told leaves every key unknown for the one reason: said once, not once a key.
  if (command?.doubt !== undefined) {
    const doubt = resolve(wanted.key, `${service.name}'s port, protocol, http_addr and root_url`);
    return doubt === undefined ? [] : checkPortKey(facts, doubt, { wanted: held, service, port, snippet }, result);
  }
  const portSetting = resolve(wanted.key, 'the port');
  const results = [
    ...(portSetting === undefined
      ? []
      : checkPortKey(facts, portSetting, { wanted: held, service, port, snippet }, result).map((found) => orUnknown(wanted.key, found))),
    ...checkGrafanaServer({ service, port, file, snippet, root: facts.root, under: facts.root === '/' ? '' : ` under ${escapeText(facts.root)}` }, resolve).map(
      (found) => orUnknown(found.key, result(found.severity, found.reason, found.at)),
    ),
  ];
  // A line Grafana cannot parse (or a file it cannot expand) is the same finding for each key read: said once.
  return results.filter((each, index) => results.findIndex((other) => other.severity === each.severity && other.reason === each.reason) === index);
}

/**
 * What Grafana's command line says of the file the registry names, at the unit's line, when it is not to be read as
 * the file's keys: a `cfg:` word Grafana exits on, or another config file read (--config naming another, or none given
 * to the program itself, which then reads its homepath's conf/custom.ini): then the file is not Grafana's.
 */
function commandLineFinding(facts: Pick<Facts, 'daemonFiles' | 'root'>, service: Service, file: string, command: GrafanaCommand): Finding | undefined {
  const at = { file: command.file, line: command.line };
  if (command.refused !== undefined && command.doubt === undefined) {
    return {
      ...at,
      severity: 'error',
      message: `${escapeText(command.refused, 200)} is no cfg:SECTION.KEY=VALUE with one = (Grafana splits it at each =), so ${service.name} exits at start ("Invalid command line argument"); set it in ${file} instead`,
    };
  }
  const files = facts.daemonFiles ?? new Map();
  // Grafana reads its homepath's conf/defaults.ini first, with or without --config; a homepath not known says nothing.
  const home = grafanaHome(command, files);
  if (home !== undefined && files.get(pathFromCwd('conf/defaults.ini', home)!)?.missing) return noDefaults(facts.root, service, file, command, home);
  const reads = grafanaConfigFile(command, files);
  if (reads === undefined || sameFile(facts, reads.path, file)) return undefined;
  const path = escapeText(reads.path);
  // Not known to be one file is not known to be two: a path this check cannot look at may be a link to the other.
  const unseen = [reads.path, file].filter((one) => !files.has(one) || files.get(one) === undefined);
  if (unseen.length > 0) {
    return {
      ...at,
      severity: 'unknown',
      message: `runs ${service.name} with ${reads.by === 'config' ? `--config=${escapeText(command.config!, 200)}` : "no --config (so its homepath's conf/custom.ini)"}, and whether ${path} is ${file}, the registry's config:, cannot be told: ${unseen.map((one) => escapeText(one)).join(' and ')} cannot be looked at (a directory on the way this check may not search; run it as root)`,
    };
  }
  if (reads.by === 'config' && files.get(reads.path)?.missing) return missingConfig(facts.root, service, file, command, path);
  // A custom.ini that is not there is no file to name in the registry: Grafana runs on its defaults alone.
  const absent = reads.by === 'homepath' && files.get(reads.path)?.missing === true;
  const how =
    reads.by === 'config'
      ? `runs ${service.name} with --config=${escapeText(command.config!, 200)}, so it reads ${path}`
      : `runs ${service.name} with no --config, so it reads its homepath's conf/custom.ini, ${path}${absent ? ' (not there: its defaults alone)' : ''}`;
  return {
    ...at,
    severity: 'warning',
    message: `${how}, not ${file}, which this check read; give it --config=${file}${absent ? '' : `, or give ${service.name} config: ${path} in the registry`}`,
  };
}

/**
 * The error for a homepath without conf/defaults.ini: Grafana reads it first, whatever --config says, and exits
 * without it (pkg/setting/setting.go: "Could not find config defaults"). The homepath is --homepath (then the file
 * may be restored there: the package installs it), else the working directory (or the one above, when
 * conf/defaults.ini is there), so the fix is a --homepath that holds it (and a --config, when none is given).
 */
function noDefaults(root: string, service: Service, file: string, command: GrafanaCommand, home: string): Finding {
  const unit = service.systemd?.unit ?? service.name;
  const path = pathFromCwd('conf/defaults.ini', home)!;
  const defaults = escapeText(path);
  // Under --root, the tree's file, from the tree's package: the host's reinstall restores the host's.
  const restore =
    root === '/' ? `restore ${defaults} (reinstall Grafana's package)` : `restore ${escapeText(inTree(root, path))} (reinstall Grafana's package in that tree)`;
  const given = command.homepath !== undefined;
  const whence = given ? `--homepath=${escapeText(command.homepath!, 200)}` : 'its working directory, as neither it nor the one above holds conf/defaults.ini';
  const homepath = `give it --homepath= the directory that holds conf/defaults.ini (/usr/share/grafana, as Grafana's packages install it)${command.config === undefined ? ` and --config=${file}` : ''}`;
  return {
    file: command.file,
    line: command.line,
    severity: 'error',
    message: `runs ${service.name} with its homepath ${escapeText(home)} (${whence}), where ${defaults} is not there, so ${service.name} exits at start ("Could not find config defaults"), whatever --config names; ${
      given ? `${restore}, or ${homepath}` : homepath
    }${restartStep(root, unit)}`,
  };
}

/**
 * The error for a --config naming a file that is not there: Grafana exits at start (loadSpecifiedConfigFile cannot
 * load it, and loadConfiguration exits). The fix is where the name is set: the unit's line, or for `--config=${VAR}`
 * the line of the unit's environment that sets VAR (Debian's CONF_FILE in /etc/default/grafana-server).
 */
function missingConfig(root: string, service: Service, file: string, command: GrafanaCommand, path: string): Finding {
  const from = command.configFrom;
  const unit = service.systemd?.unit ?? service.name;
  const set = from && `${from.variable}=${escapeText(from.value, 200)} at ${escapeText(from.file)}:${from.line}`;
  return {
    file: command.file,
    line: command.line,
    severity: 'error',
    message: `runs ${service.name} with --config=${escapeText(command.config!, 200)}${set === undefined ? '' : ` (${set})`}, and ${path} is not there, so ${service.name} exits at start ("failed to parse"); ${
      from === undefined
        ? `give it --config=${file}${restartStep(root, unit)}`
        : `set ${from.variable}=${file} there${root === '/' ? `, then restart ${unit}` : reloadStep(root)}`
    }`,
  };
}

function checkPortKey(
  facts: Pick<Facts, 'root'>,
  resolved: ResolvedSetting,
  expect: { wanted: ConfigKey; service: Service; port: number; snippet: string | undefined },
  result: ReturnType<typeof serviceResult>,
): CheckResult[] {
  const { wanted, service, port, snippet } = expect;
  if (resolved.kind === 'unknown') return [result(resolved.exits ? 'error' : 'unknown', resolved.reason, resolved.at)];
  const section = wanted.section !== undefined ? ` under [${wanted.section}]` : '';
  if (resolved.kind === 'unset') {
    return [
      result(
        'warning',
        `${wanted.file}${facts.root === '/' ? '' : ` under ${facts.root}`} does not set ${wanted.key}${wanted.section !== undefined ? ` in [${wanted.section}]` : ''}, so ${service.name} uses its built-in default port, not ${port}; add ${wanted.key} = ${port}${section}`,
        wanted.file,
      ),
    ];
  }
  if (setsPort(resolved.value, port, wanted.portSyntax))
    return [result('ok', `${resolved.at} ${resolved.said}${readAs(resolved.value, port, service)}`, resolved.at)];
  // Wrong: placed as every config-file finding is (file:line:col under ROOT), with the line to write, the snippet
  // command, and (for a port) the registry change that would make the file right instead.
  // The key's own line of the config file: the line to write; an override or a ${VAR} (in a unit): set it.
  const fix =
    resolved.valueFile !== undefined
      ? { write: `${port} in ${escapeText(resolved.valueFile, 500)}` }
      : resolved.setIn !== undefined
        ? { write: `${wanted.key} = ${port}${section} in ${resolved.setIn}` }
        : resolved.file === wanted.file && resolved.variable === undefined
          ? { write: `${wanted.key} = ${port}${section}` }
          : 'it';
  const place = { file: resolved.file, line: resolved.line, ...(resolved.column !== undefined && { column: resolved.column }) };
  const reading = typeof wanted.portSyntax === 'object' ? wanted.portSyntax : undefined;
  const none = notAPort(resolved.value, reading);
  const read = reading !== undefined ? reading.port(resolved.value) : goPort(resolved.value);
  const instead = read !== undefined && read !== port ? { name: service.name, port: read } : undefined;
  const refused = reading !== undefined ? reading.refused : `${service.name} does not listen on port ${port}`;
  // A cfg: word or GF_ variable decides the port over the file: the fix is there.
  const overridden = overrideFix(resolved, String(port), service, facts.root);
  // The snippet prints the config file, not the file a $__file{} value is read from.
  const shownSnippet = resolved.valueFile === undefined ? snippet : undefined;
  const fixed = overridden === undefined ? portFix(fix, port, shownSnippet, instead) : `${overridden}${orRegistry(instead)}`;
  const message =
    none !== undefined
      ? `${resolved.said}: ${none}, so ${refused}; ${overridden ?? portFix(fix, port, shownSnippet)}`
      : `${resolved.said}, but the registry says ${service.name} uses port ${port}; ${fixed}`;
  return [placedResult(facts, result, { ...place, severity: 'error', message }, wanted.file)];
}

/**
 * A port key in a file Redis reads (and the files it includes), read by the one reader that reads it as Redis does
 * (readRedisPort): `port 6379 # ours` is three words to Redis, which refuses to start on it, not port 6379.
 */
function checkRedisPort(
  facts: Facts,
  service: Service,
  read: { file: string; text: string; port: number },
  result: ReturnType<typeof serviceResult>,
): CheckResult[] {
  const { file, text, port } = read;
  const sentinel = redisRunsSentinel(facts, service);
  // The registry change that would make the file right instead, where the registry takes it (as the references check offers it).
  const { registryTakes } = portWords(facts, service);
  const expect = { name: service.name, port, sentinel, ...(registryTakes && { registryTakes }) };
  const found = readRedisPort(text, expect, factsLookup(facts), file);
  const problems = found.findings.filter((finding) => finding.severity !== 'ok');
  if (problems.length > 0) return problems.map((finding) => placedResult(facts, result, finding, file));
  if (found.port === undefined) return [result('ok', `${file} sets no port: ${sentinel ? 'Sentinel' : 'Redis'} listens on its default, ${port}`, file)];
  const at = `${found.port.file}:${found.port.line}`;
  return [result('ok', `${at} sets ${found.port.directive} ${escapeText(found.port.value, 200)}`, at)];
}
