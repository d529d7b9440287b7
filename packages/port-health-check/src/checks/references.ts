// The references check: every configuration file a service's `configs:` names
// agrees with the registry: nginx's listen, proxy_pass and /metrics
// restriction, Prometheus's scrape targets and listen address, Grafana's
// datasource URL, Redis's port and bind (with the options its unit's
// ExecStart= gives redis-server, which override the file). Ports are the
// effective ones (a unit's Environment= override moves them), so a moved API
// makes every file that still names the old port an error, with its file and
// line. Prometheus's command line is held too: the file its --config.file
// names, and its --web.listen-address wherever it is given.
import { configsOf } from '../service-configs.js';
import { escapeText, isPort, urlScheme, type ConfigRef, type Service } from '@dsa110/ports';
import { globToRegExp } from '@dsa110/ports/system';
import { effectivePort, unitVariable } from '../effective-port.js';
import { portsCommand } from '../ports-command.js';
import { serviceResult } from './service-result.js';
import type { CheckResult, Facts, ListenerFacts } from '../types.js';
import type { Finding, RegistryTakes } from './references/finding.js';
import { readGrafanaDatasource } from './references/grafana.js';
import { factsLookup } from './references/include-files.js';
import { readNginxSite, type NginxConfig, type NginxExpectations } from './references/nginx.js';
import { nginxLoadFinding } from './references/nginx-load.js';
import { includePrefix, includeRoot, serviceNginxMain, type NginxMain } from './references/nginx-main.js';
import { sameFile } from './references/daemon-command.js';
import { readPrometheusArgs, readPrometheusYml, setsArgs } from './references/prometheus.js';
import { versionFindings } from './references/prometheus-version.js';
import {
  argsReachFinding,
  commandLineUnknown,
  configFileFindings,
  exitsOn,
  listenFindings,
  prometheusCommand,
  type CommandExpectation,
  type CommandFlag,
  type PrometheusCommand,
} from './references/prometheus-command.js';
import { scrapeJobName } from './references/prometheus-files.js';
import { readRedisConf, readRedisOptions, type RedisStart } from './references/redis.js';
import { REDIS_PROGRAMS, redisRunsSentinel, redisStart } from './references/redis-command.js';
import { redisDirectiveNames } from './references/redis-directives.js';

/**
 * The registry's port of a service moved by its unit's override, in words, for a reason; and whether the registry
 * would take a file's port for it instead (RegistryTakes), so a port disagreement offers that side too.
 */
export function portWords(facts: Facts, service: Service): { port: number; name: string; registryTakes?: RegistryTakes } {
  const effective = effectivePort(facts, service);
  const moved = effective.override ? ` (${effective.override.variable}=${effective.port} in ${effective.override.file}:${effective.override.line})` : '';
  // A unit that sets the service's variable (or may, in a file not read) decides its port: a registry change would not move it.
  const pinned = effective.unsure !== undefined || (service.env !== undefined && unitVariable(facts, service, service.env).setting !== undefined);
  // Nor a port another service's unit moved it to: the registry would then refuse that override (claim-port exits 64 at each start).
  const registryTakes: RegistryTakes = (port) =>
    port !== service.port &&
    isPort(port) &&
    facts.registry.lookup(port, service.transport) === undefined &&
    !facts.registry.services.some((other) => other.id !== service.id && other.transport === service.transport && effectivePort(facts, other).port === port);
  return { port: effective.port, name: `${service.name}${moved}`, ...(!pinned && { registryTakes }) };
}

/**
 * The sockets listening on `port` on this machine, when the table was read (undefined when not): a connection a
 * file makes to this host on that port (a scrape target, a pass, a datasource url) is held to them (refusedConnection).
 */
function listenersOn(facts: Facts, port: number): readonly ListenerFacts[] | undefined {
  return facts.sockets.problem === undefined ? facts.sockets.listeners.filter((listener) => listener.port === port) : undefined;
}

/** Whether the registry binds a service to loopback only (access localhost or dev), as `ports snippet` writes its listen and bind lines. */
const loopbackOnly = (service: Service): boolean => service.access === 'localhost' || service.access === 'dev';

/** Whether the registry says a service speaks HTTP or HTTPS (a TCP or UDP one says nothing of TLS): then its scheme is held. */
const servesHttp = (service: Service): boolean => service.protocol === 'HTTP' || service.protocol === 'HTTPS';

/** What Prometheus's command line is held to: its port and access (moved by its unit's override), TLS, and the address `ports snippet prometheus-args` writes. */
function commandExpectation(facts: Facts, service: Service): CommandExpectation {
  const self = portWords(facts, service);
  return { ...self, access: service.access, https: urlScheme(service) === 'https', listen: `${loopbackOnly(service) ? '127.0.0.1' : '0.0.0.0'}:${self.port}` };
}

/** Of Prometheus's command line, beside the prometheus-yml file `ref`: the file its --config.file names, and its listen address when no prometheus-args entry holds it. */
function prometheusYmlCommand(facts: Facts, service: Service, ref: ConfigRef): Finding[] {
  const command = prometheusCommand(facts, service);
  if (command === undefined) return commandLineUnknown(facts, service, 'whether Prometheus reads this file (its --config.file)');
  // The file the registry names may be given another way: as the service's config:, or its entry's path:.
  const registryFix = (path: string) =>
    service.config === ref.path
      ? `give ${service.name} config: ${escapeText(path, 500)} in the registry`
      : `give ${service.name}'s prometheus-yml entry path: ${escapeText(path, 500)} in the registry`;
  const config = configFileFindings(command, ref.path, (one, other) => sameFile(facts, one, other), registryFix);
  // Its listen address is the prometheus-args entry's, when the service has one; else it is held here.
  const listen = service.configs.some((each) => each.kind === 'prometheus-args') ? [] : listenFindings(command, commandExpectation(facts, service));
  return [...config, ...listen];
}

/**
 * Of Prometheus's command line, beside the prometheus-args file `ref` (its `text`; undefined when it cannot be read):
 * whether the file's ARGS reach Prometheus, and the listen address the command line gives. They reach it: its reader
 * holds them, told by `elsewhere` what the command line gives itself (so their lack is not said twice); the command
 * line holds the rest. They do not: one warning says so, and the command line holds it all, whatever the file holds.
 * A file not read holds nothing known: the command line's own flags are held, their lack is not.
 */
function prometheusArgsCommand(
  facts: Facts,
  service: Service,
  ref: ConfigRef,
  command: PrometheusCommand,
  text: string | undefined,
): { findings: Finding[]; elsewhere?: { listenAddress: boolean; webConfigFile: boolean } } {
  const same = (one: string, other: string) => sameFile(facts, one, other);
  const notReaching = argsReachFinding(command, ref.path, text !== undefined && setsArgs(text), same);
  // Prometheus exits at start on the `$ARGS` a `:` prefix left as written: that alone is said.
  if (notReaching !== undefined && exitsOn(command)) return { findings: [notReaching] };
  // Passed as `${ARGS}` (one word, the value's: it has no space, see argsReachFinding), the file's ARGS are no flags the
  // file's reader splits out: the command line, as Prometheus gets it, holds them.
  if (notReaching !== undefined || !command.splits.has('ARGS'))
    return { findings: [...(notReaching ? [notReaching] : []), ...listenFindings(command, commandExpectation(facts, service))] };
  // A flag of the file's ARGS, as its reader sees them: not one whose name the ExecStart= line gives (`--web.listen-address $ARGS`).
  const fromFile = (flag: CommandFlag) => flag.from?.variable === 'ARGS' && flag.apart !== true && same(flag.from.file, ref.path);
  // Given without a value, the flag is the command line's to say (Prometheus exits): not the file's lack of it.
  const valueless = command.valueless?.name;
  const elsewhere = {
    listenAddress: valueless === 'web.listen-address' || command.flags['web.listen-address'].some((flag) => !fromFile(flag)),
    webConfigFile: valueless === 'web.config.file' || command.flags['web.config.file'].some((flag) => !fromFile(flag)),
  };
  return { findings: listenFindings(command, commandExpectation(facts, service), fromFile), elsewhere };
}

/** What the command line says alone of `ref` when the file cannot be read: the options a daemon is given override any file, so they are judged anyway. */
function commandLineFindings(facts: Facts, service: Service, ref: ConfigRef, start: RedisStart | undefined): Finding[] {
  switch (ref.kind) {
    case 'redis-conf':
      return start === undefined ? [] : readRedisOptions(redisExpectation(facts, service, ref), factsLookup(facts), ref.path, start);
    case 'prometheus-yml':
      return prometheusYmlCommand(facts, service, ref);
    case 'prometheus-args': {
      const command = prometheusCommand(facts, service);
      return command === undefined ? [] : prometheusArgsCommand(facts, service, ref, command, undefined).findings;
    }
    default:
      return [];
  }
}

/**
 * What a redis.conf (and redis-server's command line) is held to: the port, loopback for a localhost-only service, the
 * snippet; and whether Redis runs as Sentinel (its default port 26379).
 */
function redisExpectation(facts: Facts, service: Service, ref: ConfigRef) {
  // The names of the directives the Redis its unit runs knows, where its version is read and this check holds them.
  const unit = service.systemd?.unit;
  const version = unit === undefined ? undefined : facts.redisVersions?.get(unit);
  const read = version !== undefined && 'version' in version ? version : undefined;
  const names = read && redisDirectiveNames(read.version);
  return {
    ...(read && names && { directives: { names, version: read.version, from: read.from } }),
    ...portWords(facts, service),
    localOnly: loopbackOnly(service),
    snippet: portsCommand(facts, ['snippet', ref.kind], [service]),
    sentinel: redisRunsSentinel(facts, service),
  };
}

/** The registry's services besides `service` whose ports nginx must leave them (not those nginx serves: their `processes` name nginx), at their effective ports. */
function otherServices(facts: Facts, service: Service): NginxExpectations['others'] {
  return facts.registry.services
    .filter((other) => other.id !== service.id && !other.processes.some((glob) => globToRegExp(glob).test('nginx')))
    .map((other) => ({ name: other.name, port: effectivePort(facts, other).port, transport: other.transport, claimed: other.robust }));
}

/**
 * The registry's TCP services besides the site's upstream, at their effective ports, as a pass to one of them is held
 * to it: its scheme and the sockets listening on its port.
 */
function passedServices(facts: Facts, upstream: Service): NginxExpectations['services'] {
  return facts.registry.services
    .filter((other) => other.id !== upstream.id && other.transport === 'tcp')
    .map((other) => {
      const reached = portWords(facts, other);
      const listeners = listenersOn(facts, reached.port);
      return { ...reached, metrics: other.metrics ?? '/metrics', scheme: urlScheme(other), speaksHttp: servesHttp(other), ...(listeners && { listeners }) };
    });
}

/**
 * `service`'s nginx's main configuration as gather read it, when it is known and there, with the path by which it loads the site
 * `path` (a copy of it in sites-enabled with the same text is the site; one that differs is served in its place).
 */
function nginxConfig(facts: Facts, service: Service, main: NginxMain, path: string): NginxConfig | undefined {
  if (!('path' in main)) return undefined;
  const read = facts.nginxConfigs?.get(service.id);
  if (read === undefined) return undefined;
  const load = facts.nginxLoads?.get(service.id)?.get(path);
  const site = load === undefined ? undefined : 'loaded' in load ? load.as : 'copy' in load && !load.differs ? load.copy : undefined;
  const copy = load !== undefined && 'copy' in load && load.differs;
  return {
    path: main.path,
    text: read.text,
    lookup: (pattern) => read.includes.get(pattern),
    ...(read.hosts !== undefined && { hosts: read.hosts }),
    ...(site !== undefined && { site }),
    ...(copy && { copy }),
  };
}

function findingsFor(facts: Facts, service: Service, ref: ConfigRef, text: string, start?: RedisStart): Finding[] | string {
  const lookup = factsLookup(facts);
  const upstream = ref.upstream !== undefined && facts.registry.has(ref.upstream) ? facts.registry.service(ref.upstream) : undefined;
  const self = portWords(facts, service);
  // The command that prints what the file should hold, for the services whose ports it names (their overrides applied).
  const snippet = (...named: Service[]) => portsCommand(facts, ['snippet', ref.kind], named);
  switch (ref.kind) {
    case 'nginx-site': {
      if (!upstream) return 'the registry names no upstream for it';
      const reached = portWords(facts, upstream);
      const listeners = listenersOn(facts, reached.port);
      const main = serviceNginxMain(facts, service);
      const loaded = facts.nginxLoads?.get(service.id)?.get(ref.path);
      const site = readNginxSite(
        text,
        {
          ...self,
          access: service.access,
          ...(servesHttp(service) && { scheme: urlScheme(service) }),
          upstream: {
            ...reached,
            metrics: upstream.metrics ?? '/metrics',
            scheme: urlScheme(upstream),
            speaksHttp: servesHttp(upstream),
            ...(listeners && { listeners }),
          },
          snippet: snippet(service, upstream),
          others: otherServices(facts, service),
          reserved: facts.registry.reserved.filter((range) => !range.for.includes(service.id)),
          services: passedServices(facts, upstream),
        },
        lookup,
        ref.path,
        includePrefix(main),
        nginxConfig(facts, service, main, ref.path),
        includeRoot(main),
        // An include loop nginx meets loading its main configuration is said once, as nginx fails on it (nginxLoadFinding),
        // not again as a loop the site's own reading stops at.
        loaded === undefined || !('includeLoop' in loaded),
      );
      const load = nginxLoadFinding(loaded, ref.path, facts.root);
      return load === undefined || typeof site === 'string' ? site : [load, ...site];
    }
    case 'prometheus-yml': {
      // The Prometheus its unit runs, whose version decides which keys it reads (scrape_config_files, a job's fields).
      const unit = service.systemd?.unit;
      const version = unit === undefined ? undefined : facts.prometheusVersions?.get(unit);
      const yml = readPrometheusYml(
        text,
        facts.registry.services
          .filter((scraped) => scraped.metrics !== undefined)
          .map((scraped) => {
            const words = portWords(facts, scraped);
            const listeners = listenersOn(facts, words.port);
            return { job: scrapeJobName(scraped.id), ...words, scheme: urlScheme(scraped), snippet: snippet(scraped), ...(listeners && { listeners }) };
          }),
        (pattern) => facts.prometheusFiles?.get(pattern),
        ref.path,
        { ...(version !== undefined && { version }), ...(unit !== undefined && { unit }) },
      );
      if (typeof yml === 'string') return yml;
      return [...prometheusYmlCommand(facts, service, ref), ...yml, ...versionFindings(text, version, unit)];
    }
    case 'prometheus-args': {
      const expect = { ...self, access: service.access, snippet: snippet(service), https: urlScheme(service) === 'https' };
      const command = prometheusCommand(facts, service);
      if (command === undefined)
        return [...readPrometheusArgs(text, expect), ...commandLineUnknown(facts, service, "whether this file's ARGS reach Prometheus")];
      const args = prometheusArgsCommand(facts, service, ref, command, text);
      if (args.elsewhere === undefined) return args.findings;
      return [...readPrometheusArgs(text, expect, args.elsewhere), ...args.findings];
    }
    case 'grafana-datasource': {
      if (!upstream) return 'the registry names no upstream for it';
      const reached = portWords(facts, upstream);
      const listeners = listenersOn(facts, reached.port);
      return readGrafanaDatasource(text, {
        upstream: { ...reached, ...(servesHttp(upstream) && { scheme: urlScheme(upstream) }), ...(listeners && { listeners }) },
        snippet: snippet(upstream),
      });
    }
    case 'redis-conf':
      return readRedisConf(text, redisExpectation(facts, service, ref), lookup, ref.path, start);
  }
}

/** How many of the other files of a provisioning directory a message names. */
const SIBLINGS_SHOWN = 3;

/**
 * What to do about a Grafana datasource file that is not there (`siblings`, the other files Grafana reads in its
 * directory, gather's ConfigFileFacts): the operator's datasource may be one of them, which `path:` in the registry's
 * entry then names; or the file is written from `ports snippet grafana-datasource`. Nothing when the directory could
 * not be listed.
 */
function elsewhere(facts: Facts, service: Service, ref: ConfigRef, siblings: readonly string[] | undefined): string {
  if (siblings === undefined) return '';
  const upstream = ref.upstream !== undefined && facts.registry.has(ref.upstream) ? facts.registry.service(ref.upstream) : undefined;
  const write = `write the output of \`${portsCommand(facts, ['snippet', ref.kind], upstream === undefined ? [] : [upstream])}\` to ${escapeText(ref.path, 500)}`;
  const entry = `path: in ${service.name}'s configs: entry (kind: ${ref.kind}) in the registry`;
  if (siblings.length === 0) return `; ${write}, or name the file that holds its datasource with ${entry}`;
  const shown = siblings.slice(0, SIBLINGS_SHOWN).map((name) => escapeText(name, 200));
  const more = siblings.length > SIBLINGS_SHOWN ? ` and ${siblings.length - SIBLINGS_SHOWN} more` : '';
  const files = `${siblings.length === 1 ? 'another file' : `${siblings.length} other files`} there (${shown.join(', ')}${more})`;
  return `; Grafana reads ${files}: name the one that holds its datasource for ${upstream?.name ?? 'the upstream'} with ${entry}, or ${write}`;
}

export function checkReferences(facts: Facts, service: Service): CheckResult[] {
  const { port } = effectivePort(facts, service);
  return service.configs.flatMap((ref): CheckResult[] => {
    const result = serviceResult('references', service, port);
    const config = configsOf(facts, service).get(ref.path);
    // Every line names its file as the machine booted from --root sees it, and the root it was read under.
    const shownRoot = facts.root === '/' ? '' : ` under ${facts.root}`;
    // How the unit starts redis-server: its command line overrides the file, or names another (or none).
    const start = ref.kind === 'redis-conf' ? redisStart(facts, service, ref, REDIS_PROGRAMS) : undefined;
    // Started with no config file, Redis reads none: its command line alone decides, whether the file is there or not.
    const text = start?.reads === 'none' ? '' : config?.text;
    if (text === undefined) {
      const unread = result(
        'unknown',
        `cannot check ${ref.kind} ${ref.path}${shownRoot}: ${config?.problem ?? 'not read'}${elsewhere(facts, service, ref, config?.siblings)}`,
        ref.path,
      );
      // The command line is read all the same: what it gives the daemon overrides any file.
      const given = commandLineFindings(facts, service, ref, start).filter((finding) => finding.severity !== 'ok');
      return [unread, ...given.map((finding) => placedResult(facts, result, finding, ref.path))];
    }
    const findings = findingsFor(facts, service, ref, text, start);
    if (typeof findings === 'string') return [result('unknown', `cannot check ${ref.kind} ${ref.path}${shownRoot}: ${findings}`, ref.path)];
    const problems = findings.filter((finding) => finding.severity !== 'ok');
    if (problems.length === 0) return [result('ok', `${ref.path}${shownRoot} agrees with the registry (${ref.kind})`, ref.path)];
    return problems.map((finding) => placedResult(facts, result, finding, ref.path));
  });
}

/**
 * A config reader's finding as a result: `FILE:LINE:COL under ROOT: MESSAGE` (the column where the reader knows it,
 * the root when it is not /), `file` the finding's own (an included file) or `file`. How every config-file finding
 * of the references and config checks is placed.
 */
export function placedResult(facts: Pick<Facts, 'root'>, result: ReturnType<typeof serviceResult>, finding: Finding, file: string): CheckResult {
  const shownRoot = facts.root === '/' ? '' : ` under ${facts.root}`;
  const named = finding.file ?? file;
  const at = finding.line > 0 ? `${named}:${finding.line}${finding.column !== undefined ? `:${finding.column}` : ''}` : named;
  return result(finding.severity, `${at}${shownRoot}: ${finding.message}`, at);
}
