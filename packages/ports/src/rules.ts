// Rules that span entries of a registry whose entries are each well formed.
// Pure: data in, problems out, with paths the parser turns into line:column.
import type { RegistryData, ReservedData, ServiceData } from './schema.js';
import { CONFIG_KINDS, configKinds, configPath, GRAFANA_INI_PATH, plainPath, type ConfigKind } from './config-kinds.js';
import { hasUnclosedPortReference, portReferenceIds } from './port-references.js';
import { integerArgument, objectArgument } from './arguments.js';
import { NGINX_SITE_LOCATIONS } from './nginx-site.js';
import { own } from './own.js';

export type PathSegment = string | number;

export interface RuleProblem {
  path: PathSegment[];
  message: string;
}

export interface PortRange {
  start: number;
  end: number;
}

/** A reserved entry's ports, from `port` or `start`/`end`; undefined when malformed. */
export function reservedRange(entry: { port?: number; start?: number; end?: number }): PortRange | undefined {
  // Own keys only: a range written with start and end has no port, whatever another module set on Object.prototype.
  const port = own(entry, 'port');
  const start = own(entry, 'start');
  const end = own(entry, 'end');
  if (port !== undefined) return { start: port, end: port };
  if (start !== undefined && end !== undefined && start <= end) return { start, end };
  return undefined;
}

export function formatRange(range: PortRange): string {
  objectArgument('formatRange', 'range', range, '{ start, end }');
  integerArgument('formatRange', 'range.start', range.start, 0, 65535, 'a port number');
  integerArgument('formatRange', 'range.end', range.end, 0, 65535, 'a port number');
  // `9-1` would read as a range to anyone; it is none.
  if (range.start > range.end) throw new RangeError(`formatRange: range.start must be at most range.end, not ${range.start} > ${range.end}`);
  return range.start === range.end ? String(range.start) : `${range.start}-${range.end}`;
}

/**
 * What is known of one entry. A well-formed entry is its parsed data; a
 * malformed one keeps every key that is valid on its own (a list keeps its
 * valid items, a broken item is `undefined`) and names the broken keys in
 * `broken`, so the cross-entry rules still see its id, port and variable:
 * a duplicate port involving a broken entry is reported in the same run,
 * while a rule that needs a broken key skips the entry (no follow-on errors).
 */
export type EntryFacts<T> = { [K in keyof T]?: T[K] extends readonly (infer E)[] ? readonly (E | undefined)[] : T[K] } & {
  /** Keys present in the file but not valid; a rule that needs one of them skips the entry. */
  readonly broken?: ReadonlySet<string>;
};
export type ServiceFacts = EntryFacts<ServiceData>;
export type ReservedFacts = EntryFacts<ReservedData>;

/**
 * A registry's entries, each well formed or known in part (`EntryFacts`); an
 * entry that is not even a mapping is `undefined`.
 */
export interface CheckableRegistry {
  services: readonly (ServiceFacts | undefined)[];
  reserved: readonly (ReservedFacts | undefined)[];
  /** Ids of every service entry, broken ones included, so that references to them are not flagged. */
  serviceIds?: readonly string[];
  /** Ids of every reserved entry, broken ones included. */
  reservedIds?: readonly string[];
}

/** Whether `key` of `entry` is valid (present or absent), so a rule may read it. */
function known(entry: { readonly broken?: ReadonlySet<string> }, ...keys: string[]): boolean {
  return !keys.some((key) => entry.broken?.has(key));
}

/** The server each config kind is a file of: a service with such a config is that server. */
const SERVER_OF_KIND: Readonly<Record<ConfigKind, string>> = {
  'nginx-site': 'nginx',
  'prometheus-yml': 'Prometheus',
  'prometheus-args': 'Prometheus',
  'grafana-datasource': 'Grafana',
  'redis-conf': 'Redis',
};

/** The server a kind's upstream must be, for a kind that needs a certain one (a Grafana datasource is a Prometheus). */
const UPSTREAM_SERVER: Readonly<Partial<Record<ConfigKind, string>>> = { 'grafana-datasource': 'Prometheus' };

/** What pointing a config of `kind` at its own service does: every kind with an upstream means another server. */
const SELF_UPSTREAM: Readonly<Partial<Record<ConfigKind, string>>> = {
  'nginx-site': "nginx would proxy its own port to itself, a loop it ends with 500 for every request ('worker_connections are not enough')",
  'grafana-datasource': 'Grafana would query itself as its Prometheus',
};

/**
 * Which servers a service is, as its configs tell (`redis-conf`: Redis), or
 * undefined when they cannot tell: no configs, or a broken one that might
 * have named another kind.
 */
function serversOf(service: ServiceFacts): Set<string> | undefined {
  if (!known(service, 'configs') || service.configs === undefined || service.configs.length === 0) return undefined;
  if (service.configs.some((ref) => ref === undefined)) return undefined;
  return new Set(service.configs.map((ref) => SERVER_OF_KIND[ref!.kind]));
}

/** Pure: why `upstream` cannot be what a config of `kind` needs, or undefined when it can (or the registry cannot tell). */
function upstreamRoleProblem(kind: ConfigKind, upstream: ServiceFacts): string | undefined {
  const needed = UPSTREAM_SERVER[kind];
  const servers = serversOf(upstream);
  if (needed === undefined || servers === undefined || servers.has(needed)) return undefined;
  const its = (upstream.configs ?? []).map((ref) => ref!.kind).join(', ');
  const wanted = configKinds.filter((other) => SERVER_OF_KIND[other] === needed).join(' or ');
  return `service "${upstream.id}" is ${[...servers].join(' and ')} (its configs: ${its}), not ${needed}, which a ${kind} config points at; name the service with a ${wanted} config`;
}

/** Each service an nginx-site config proxies, by id, with the id of the first service whose site does. */
function nginxSites(services: readonly (ServiceFacts | undefined)[]): Map<string, string> {
  const sites = new Map<string, string>();
  services.forEach((service, index) => {
    for (const ref of service?.configs ?? []) {
      if (ref?.kind !== 'nginx-site' || ref.upstream === undefined || sites.has(ref.upstream)) continue;
      sites.set(ref.upstream, service?.id ?? `services[${index}]`);
    }
  });
  return sites;
}

/**
 * Why `location METRICS` (localhost only) cannot sit in the same nginx site as the locations the snippet
 * always writes, or undefined when it can. A path inside one of them is fine: nginx takes the longest prefix.
 * One that starts one of them (`/api`, `/ap`, `/`) holds it: every request it matches but that one does not
 * (`/api-docs`, `/apple`) would be localhost only.
 */
function metricsLocationClash(metrics: string, site: string): string | undefined {
  const advice = 'give the metrics endpoint a path of its own, such as /metrics';
  for (const location of NGINX_SITE_LOCATIONS) {
    if (metrics === location) {
      return `metrics path "${metrics}" is a location the nginx-site snippet of "${site}" already writes, and nginx -t refuses a duplicate location; ${advice}`;
    }
    // nginx matches a prefix location character by character: `location /a` takes /about and /api too, as /api does.
    const holds = location.startsWith(metrics);
    if (holds) {
      return `metrics path "${metrics}" holds ${location}, a location the nginx-site snippet of "${site}" writes: every request under it but outside ${location} would be localhost only; ${advice}`;
    }
  }
  return undefined;
}

/**
 * Every rule that spans entries, in the order a reader meets them: each
 * service's own rules and its configs', then the reserved ranges, then the
 * ports inside them, then the `{port:ID}` references of the prose.
 *
 * Two entries of one id are one mistake, said once, as the duplicate id: that
 * the second has the first's port, variable or unit, or that a reserved range
 * overlaps its twin, is no news. What either shares with an entry of another
 * id is still said. `entryName` names the entry a duplicate id repeats
 * (`services[4]`; the parser adds its line).
 */
export function checkRules(data: CheckableRegistry | RegistryData, entryName: (path: readonly PathSegment[]) => string = defaultEntryName): RuleProblem[] {
  const serviceIds = listedIds(data, 'serviceIds', data.services);
  const context: ServiceContext = {
    serviceIds,
    // An entry without a valid id may be the one a reference means (`id: ngіnx`, a Cyrillic і, and
    // `upstream: nginx`): then only the id is reported, not every reference to it as well.
    everyServiceIdValid: data.services.every((entry) => entry?.id !== undefined),
    sites: nginxSites(data.services),
    // Every config kind is a TCP server's file (nginx, Prometheus and Grafana speak HTTP, Redis its protocol over TCP):
    // on a UDP service, or pointing at one, its snippet would listen on or reach the TCP port of that number, another service's perhaps.
    udpServices: new Set(data.services.flatMap((service) => (service?.id !== undefined && service.transport === 'udp' ? [service.id] : []))),
    byId: firstOfEachId(data.services),
  };
  const ids = new FirstHolder();
  const owners = { port: new FirstHolder(), env: new FirstHolder(), claimUnit: new FirstHolder() };
  const settings: SettingHolders = new Map();
  const problems: RuleProblem[] = [];
  data.services.forEach((service, index) => {
    if (!service) return;
    const path = ['services', index];
    problems.push(...duplicateIdProblems(ids, service.id, path, entryName));
    problems.push(...sharedKeyProblems(service, path, owners));
    problems.push(...serviceProblems(service, path, context.sites));
    problems.push(...configProblems(service, path, context));
    problems.push(...sharedSettingProblems(service, path, context, settings));
  });
  const { ranges, problems: rangeProblems } = reservedProblems(data.reserved, ids, context, entryName);
  problems.push(...rangeProblems);
  problems.push(...reservedPortProblems(data, ranges));
  problems.push(...portReferenceProblems(data, serviceIds, context.everyServiceIdValid));
  return problems;
}

/** Facts about the whole registry that the rules of one service's configs need. */
interface ServiceContext {
  serviceIds: ReadonlySet<string>;
  everyServiceIdValid: boolean;
  /** Each service an nginx-site proxies, with the id of the service whose site does. */
  sites: ReadonlyMap<string, string>;
  udpServices: ReadonlySet<string>;
  /** The first entry of each id: what an upstream names. */
  byId: ReadonlyMap<string, ServiceFacts>;
}

/**
 * The first entry to take each value (an id, a port, a variable, a unit); a later one is told whose it is.
 * Entries are told apart by label (a service's id): a value taken again under the same label (a second
 * entry of one id) is no collision, but one that another label holds too still is.
 */
class FirstHolder {
  /** Each value's first label, and the first label after it that differs: all `take` needs. */
  readonly #holders = new Map<string, string[]>();
  /** The first holder before `label` that is not `label` itself, or undefined (then `label` holds `key` too). */
  take(key: string, label: string): string | undefined {
    const holders = this.#holders.get(key);
    if (holders === undefined) {
      this.#holders.set(key, [label]);
      return undefined;
    }
    const [first, second] = holders as [string, string?];
    if (first === label) return second;
    if (second === undefined) holders.push(label);
    return first;
  }
}

function defaultEntryName(path: readonly PathSegment[]): string {
  return `${path[0]}[${path[1]}]`;
}

/** The ids of every entry of a kind: those the parser listed (broken entries included), else the valid ones. */
function listedIds(data: CheckableRegistry | RegistryData, key: 'serviceIds' | 'reservedIds', entries: readonly ({ id?: string } | undefined)[]): Set<string> {
  const listed = key in data ? (data as CheckableRegistry)[key] : undefined;
  return new Set(listed ?? entries.flatMap((entry) => (entry?.id ? [entry.id] : [])));
}

function firstOfEachId(services: readonly (ServiceFacts | undefined)[]): Map<string, ServiceFacts> {
  const byId = new Map<string, ServiceFacts>();
  for (const service of services) if (service?.id !== undefined && !byId.has(service.id)) byId.set(service.id, service);
  return byId;
}

/** Ids are one namespace across services and reserved entries. */
function duplicateIdProblems(
  ids: FirstHolder,
  id: string | undefined,
  path: PathSegment[],
  entryName: (path: readonly PathSegment[]) => string,
): RuleProblem[] {
  const first = id === undefined ? undefined : ids.take(id, entryName(path));
  if (first === undefined) return [];
  return [{ path: [...path, 'id'], message: `duplicate id "${id}": ${first} already has it; remove one of the two, or give this one an id of its own` }];
}

/** What two services cannot share: a port of one transport, an environment variable, the unit that claims a port. */
function sharedKeyProblems(service: ServiceFacts, path: PathSegment[], owners: { port: FirstHolder; env: FirstHolder; claimUnit: FirstHolder }): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const label = service.id ?? `${path[0]}[${path[1]}]`;
  if (service.port !== undefined && service.transport !== undefined) {
    const owner = owners.port.take(`${service.port}/${service.transport}`, label);
    if (owner)
      problems.push({
        path: [...path, 'port'],
        message: `port ${service.port}/${service.transport} is already used by service "${owner}"; give one of the two another port`,
      });
  }
  if (service.configuredBy !== undefined && typeof service.configuredBy === 'object' && 'env' in service.configuredBy) {
    const variable = service.configuredBy.env;
    const other = owners.env.take(variable, label);
    if (other)
      problems.push({
        path: [...path, 'configuredBy', 'env'],
        message: `environment variable ${variable} is already used by service "${other}"; give one of the two another variable`,
      });
  }
  // One unit claims one port: the drop-in is one file (a second service's would replace the first's), and
  // the claim verdict holds every claim line of the unit to the one service's port.
  if (service.systemd?.claim !== undefined && service.robust === true) {
    const unit = service.systemd.unit;
    const other = owners.claimUnit.take(unit, label);
    if (other) {
      problems.push({
        path: [...path, 'systemd', 'unit'],
        message: `${unit} already claims the port of service "${other}"; a unit frees one port before it starts: give each service its own unit, or make one of them robust: false`,
      });
    }
  }
  return problems;
}

/** The protocols Prometheus scrapes: a scrape job is an HTTP request. */
const SCRAPED_PROTOCOLS: ReadonlySet<string> = new Set(['HTTP', 'HTTPS']);

/** The rules of one service's own keys: claim wiring, transport against protocol, metrics. */
function serviceProblems(service: ServiceFacts, path: PathSegment[], sites: ReadonlyMap<string, string>): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (service.robust && known(service, 'systemd') && !service.systemd?.claim) {
    problems.push({
      path: [...path, 'systemd'],
      message: 'a robust service needs systemd.unit and systemd.claim (unit or drop-in) to say where claim-port is wired',
    });
  }
  // The tools check and claim a port by its transport (tcp by default), not by the protocol's label.
  if (service.protocol === 'UDP' && service.transport === 'tcp') {
    problems.push({
      path: [...path, 'protocol'],
      message: 'protocol UDP needs transport: udp (without it the port is checked and claimed as TCP); add transport: udp',
    });
  }
  if (service.protocol === 'TCP' && service.transport === 'udp') {
    problems.push({ path: [...path, 'transport'], message: 'transport udp contradicts protocol TCP; write protocol: UDP, or transport: tcp' });
  }
  // `ports monitoring` writes a scrape job for localhost:PORT, which Prometheus reads over TCP (HTTP):
  // on a UDP service that is whatever listens on the TCP port of that number, another service's perhaps.
  if (service.metrics !== undefined && service.transport === 'udp') {
    problems.push({
      path: [...path, 'metrics'],
      message:
        "metrics are scraped over TCP (HTTP), but this service's port is UDP; give the metrics endpoint an entry of its own (transport tcp), or remove metrics",
    });
  } else if (service.metrics !== undefined && service.protocol !== undefined && !SCRAPED_PROTOCOLS.has(service.protocol)) {
    // Prometheus sends an HTTP GET to the port: Redis, say, logs "Possible SECURITY ATTACK" and drops it.
    problems.push({
      path: [...path, 'metrics'],
      message: `metrics are scraped over HTTP, but this service's protocol is ${service.protocol}; put metrics on the service entry of the exporter that serves them over HTTP (e.g. redis_exporter), or, if this port does answer HTTP, write protocol: HTTP or HTTPS`,
    });
  }
  if (service.scrapeInterval !== undefined && known(service, 'metrics') && service.metrics === undefined) {
    problems.push({
      path: [...path, 'scrapeInterval'],
      message:
        'scrapeInterval is how often Prometheus scrapes the metrics endpoint, but this service has no metrics; add metrics: PATH (e.g. /metrics), or remove scrapeInterval',
    });
  }
  const site = service.id === undefined ? undefined : sites.get(service.id);
  const clash = site === undefined || service.metrics === undefined ? undefined : metricsLocationClash(service.metrics, site);
  if (clash) problems.push({ path: [...path, 'metrics'], message: clash });
  if (service.systemd?.claim && service.robust === false) {
    problems.push({
      path: [...path, 'systemd', 'claim'],
      message: 'only a robust service claims its port: set robust: true or remove systemd.claim',
    });
  }
  return problems;
}

/** The rules of each config a service names: one nginx site per port, TCP only, an upstream that exists and is the right server. */
function configProblems(service: ServiceFacts, path: PathSegment[], context: ServiceContext): RuleProblem[] {
  const problems: RuleProblem[] = [];
  // An nginx-site snippet is a server block listening on the service's port: nginx ignores a second one there
  // ('conflicting server name "" on 0.0.0.0:80, ignored'), so a second site would never serve a request.
  const firstSite = (service.configs ?? []).findIndex((ref) => ref?.kind === 'nginx-site');
  // Each file of a kind once: listed again (its path written out or left to its default), it would be
  // checked and printed twice; two datasources in one file would be held to two upstreams' ports.
  const files = new Map<string, number>();
  const configKnown = known(service, 'config');
  (service.configs ?? []).forEach((ref, refIndex) => {
    if (!ref) return;
    const refPath = [...path, 'configs', refIndex];
    if (ref.kind === 'nginx-site' && refIndex > firstSite) {
      problems.push({
        path: refPath,
        message: `a second nginx-site config on port ${service.port ?? "the service's port"}: nginx ignores a second server block on the same port, so this site would never serve a request; keep one, or give its upstream a site on a service of its own`,
      });
    } else if (configKnown || ref.path !== undefined || !CONFIG_KINDS[ref.kind].isServiceConfig) {
      const file = plainPath(configPath(ref.kind, ref.path, service.config));
      const earlier = files.get(`${ref.kind}\0${file}`);
      if (earlier === undefined) files.set(`${ref.kind}\0${file}`, refIndex);
      else {
        problems.push({
          path: refPath,
          message: `duplicate ${ref.kind} config: configs[${earlier}] already names ${file}; remove one of the two, or give this one a path of its own`,
        });
      }
    }
    if (service.transport === 'udp') {
      problems.push({
        path: refPath,
        message: `a ${ref.kind} config is a TCP server's file, but this service's port is UDP; give the TCP server an entry of its own (transport tcp), or remove the config`,
      });
    }
    if (ref.upstream !== undefined && context.udpServices.has(ref.upstream)) {
      problems.push({
        path: [...refPath, 'upstream'],
        message: `service "${ref.upstream}" is UDP, but a ${ref.kind} config reaches its upstream over TCP; name a TCP service`,
      });
    }
    const upstream = ref.upstream === undefined ? undefined : context.byId.get(ref.upstream);
    if (upstream !== undefined && upstream === service && SELF_UPSTREAM[ref.kind] !== undefined) {
      problems.push({
        path: [...refPath, 'upstream'],
        message: `a ${ref.kind} config on "${ref.upstream}" points at "${ref.upstream}" itself: ${SELF_UPSTREAM[ref.kind]}; name the service it stands for`,
      });
    } else if (upstream !== undefined) {
      const role = upstreamRoleProblem(ref.kind, upstream);
      if (role) problems.push({ path: [...refPath, 'upstream'], message: role });
    }
    if (ref.upstream !== undefined && !context.serviceIds.has(ref.upstream)) {
      if (context.everyServiceIdValid) problems.push({ path: [...refPath, 'upstream'], message: `unknown service "${ref.upstream}"` });
    } else if (ref.upstream === undefined && CONFIG_KINDS[ref.kind].needsUpstream) {
      problems.push({ path: refPath, message: `a ${ref.kind} config needs upstream: the id of the service it points at` });
    }
  });
  return problems;
}

/**
 * A setting of a config file that holds one port: Redis's `port`, Prometheus's `--web.listen-address`
 * (the one ARGS= line of /etc/default/prometheus), a Grafana datasource's `url` (the file's Prometheus
 * datasources, all held to one upstream's port), a `configuredBy: { file, key }` key (grafana.ini's
 * `http_port`). Two services that set one of these, in the same file (its path after defaults), to
 * two ports cannot both be right: `ports snippet` printed both, and port-health-check always reported
 * one. An nginx site (a server block per service) and prometheus.yml (a scrape job per target) name
 * several ports by design, so they are not settings of this kind.
 */
interface PortSetting {
  /** The effective path of the file. */
  file: string;
  /** The setting, as an operator reads it in the file. */
  setting: string;
  port: number;
  /** Where the registry says so, under the service's path. */
  at: PathSegment[];
  /** How the file was chosen when the entry names none, for the message. */
  defaulted: string;
}

/** The first service to set each (file, setting), and the port it set there. */
type SettingHolders = Map<string, { service: string; port: number; what: string }>;

/** The one-port settings a service's configs and configuredBy write, where they are known. */
function portSettings(service: ServiceFacts, context: ServiceContext): PortSetting[] {
  const found: PortSetting[] = [];
  const configKnown = known(service, 'config');
  const config = configKnown ? service.config : undefined;
  const servicePort = service.port;
  if (servicePort !== undefined && known(service, 'configs')) {
    (service.configs ?? []).forEach((ref, refIndex) => {
      if (!ref) return;
      const at = ['configs', refIndex];
      // Without a path the file is the service's config: (for its own kind), which must then be readable.
      if (ref.path === undefined && CONFIG_KINDS[ref.kind].isServiceConfig && !configKnown) return;
      const file = configPath(ref.kind, ref.path, config);
      const defaulted =
        ref.path !== undefined ? '' : file === config ? ' (its config:, as configs[].path is not given)' : " (Debian's path, as configs[].path is not given)";
      if (ref.kind === 'redis-conf') found.push({ file, setting: '`port`', port: servicePort, at, defaulted });
      if (ref.kind === 'prometheus-args') found.push({ file, setting: 'ARGS= `--web.listen-address`', port: servicePort, at, defaulted });
      if (ref.kind === 'grafana-datasource' && ref.upstream !== undefined) {
        const port = context.byId.get(ref.upstream)?.port;
        if (port !== undefined) found.push({ file, setting: "the Prometheus datasource's `url`", port, at, defaulted });
      }
    });
  }
  const by = service.configuredBy;
  if (service.port !== undefined && configKnown && typeof by === 'object' && 'file' in by && by.key !== undefined) {
    // The file `ports snippet grafana-ini` writes (grafana.ini has a default), or the config: the health check reads the key in.
    const file = config ?? (by.file === 'grafana.ini' ? GRAFANA_INI_PATH : undefined);
    const defaulted = config === undefined ? " (Debian's path, as config: is not given)" : '';
    // grafana.ini's [server] is one Grafana's, whatever key names its port: two services there (http_port and another
    // key) got two [server] sections from `ports snippet grafana-ini`, and the second's http_addr, 0.0.0.0 for a public
    // one, opened a localhost Grafana to every address.
    const setting = by.file === 'grafana.ini' ? "`[server]` (one Grafana's: its http_addr and port)" : `\`${by.key}\``;
    if (file !== undefined) found.push({ file, setting, port: service.port, at: ['configuredBy', 'key'], defaulted });
  }
  return found;
}

/** A one-port setting of a file (PortSetting) that an earlier service already set to another port. */
function sharedSettingProblems(service: ServiceFacts, path: PathSegment[], context: ServiceContext, holders: SettingHolders): RuleProblem[] {
  const label = service.id ?? `${path[0]}[${path[1]}]`;
  return portSettings(service, context).flatMap(({ file, setting, port, at, defaulted }): RuleProblem[] => {
    // In plain form: the schema refuses a path in any other, but this rule does not rest on that.
    const key = `${plainPath(file)}\0${setting}`;
    const first = holders.get(key);
    if (first === undefined) {
      holders.set(key, { service: label, port, what: at.join('.').replace(/\.(\d+)/g, '[$1]') });
      return [];
    }
    // The same port twice (a service and its UDP twin, one upstream named by two datasources) is one value.
    if (first.port === port || first.service === label) return [];
    return [
      {
        path: [...path, ...at],
        message: `${file}${defaulted} is already service "${first.service}"'s (its ${first.what}), and ${setting} there holds one port: "${first.service}" sets it to ${first.port}, this service to ${port}, so port-health-check would always find one of them wrong; give each service a file of its own (configs[].path, or config:)`,
      },
    ];
  });
}

interface ReservedSpan {
  id: string;
  range: PortRange;
  index: number;
}

/** The reserved entries' ids, `for` lists and shapes, and where their ranges overlap; with the ranges that are well formed. */
function reservedProblems(
  reserved: readonly (ReservedFacts | undefined)[],
  ids: FirstHolder,
  context: Pick<ServiceContext, 'serviceIds' | 'everyServiceIdValid'>,
  entryName: (path: readonly PathSegment[]) => string,
): { ranges: ReservedSpan[]; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const ranges: ReservedSpan[] = [];
  reserved.forEach((entry, index) => {
    if (!entry) return;
    const path = ['reserved', index];
    problems.push(...duplicateIdProblems(ids, entry.id, path, entryName));
    for (const allowed of entry.for ?? []) {
      if (allowed !== undefined && !context.serviceIds.has(allowed) && context.everyServiceIdValid) {
        problems.push({ path: [...path, 'for'], message: `unknown service "${allowed}"` });
      }
    }
    const shape = reservedShapeProblem(entry, path);
    if (shape !== null) {
      if (shape) problems.push(shape);
      return;
    }
    const range = reservedRange(entry)!;
    // One line per entry, naming the first range it overlaps and counting the rest: a line per
    // pair was millions of lines (and gigabytes) for a few thousand ranges that all overlap.
    // A second entry of one id overlapping the first is that duplicate id, said already.
    const overlapped = ranges.filter((other) => range.start <= other.range.end && other.range.start <= range.end && other.id !== entry.id);
    if (overlapped.length > 0) {
      const [first] = overlapped as [ReservedSpan];
      problems.push({
        path: [...path, entry.port !== undefined ? 'port' : 'start'],
        message: `reserved ${formatRange(range)} overlaps reserved "${first.id}" (${formatRange(first.range)})${more(overlapped.length - 1)}`,
      });
    }
    ranges.push({ id: entry.id ?? `reserved[${index}]`, range, index });
  });
  return { ranges, problems };
}

/**
 * Why a reserved entry's ports are not one range: a problem; undefined when one of
 * port/start/end is broken (already reported, so the entry is skipped in silence);
 * null when the entry is a well-formed range.
 */
function reservedShapeProblem(entry: ReservedFacts, path: PathSegment[]): RuleProblem | undefined | null {
  if (!known(entry, 'port', 'start', 'end')) return undefined;
  if (entry.port !== undefined && (entry.start !== undefined || entry.end !== undefined)) {
    return { path: [...path, 'port'], message: 'give either port or start and end, not both' };
  }
  if (entry.port === undefined && entry.start === undefined && entry.end === undefined) return { path, message: 'needs port, or start and end' };
  if (entry.port === undefined && (entry.start === undefined || entry.end === undefined)) {
    const [given, missing] = entry.start === undefined ? ['end', 'start'] : ['start', 'end'];
    return { path: [...path, given], message: `needs ${missing} as well` };
  }
  if (entry.start !== undefined && entry.end !== undefined && entry.start > entry.end) {
    return { path: [...path, 'start'], message: `start ${entry.start} is greater than end ${entry.end}` };
  }
  return null;
}

/** A service's port inside a reserved range that is not reserved for it. */
function reservedPortProblems(data: CheckableRegistry | RegistryData, ranges: readonly ReservedSpan[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  data.services.forEach((service: ServiceFacts | undefined, index) => {
    if (service?.port === undefined || service.id === undefined) return;
    const { port, id: serviceId } = service;
    const inside = ranges.filter(({ range, index: reservedIndex }) => {
      if (port < range.start || port > range.end) return false;
      const allowed = data.reserved[reservedIndex]?.for;
      // A broken item of `for` might have named this service: say nothing rather than guess.
      return !(allowed === undefined || allowed.includes(serviceId) || allowed.includes(undefined as never));
    });
    if (inside.length > 0) {
      const [{ id, range }] = inside as [ReservedSpan];
      problems.push({
        path: ['services', index, 'port'],
        message: `port ${port} is inside reserved "${id}" (${formatRange(range)}), which is not reserved for "${serviceId}"${more(inside.length - 1)}`,
      });
    }
  });
  return problems;
}

/** `{port:ID}` in prose stands for that entry's port on the reference page (syntax: src/port-references.ts): each must name an entry and be closed. */
function portReferenceProblems(data: CheckableRegistry | RegistryData, serviceIds: ReadonlySet<string>, everyServiceIdValid: boolean): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const knownIds = new Set([...serviceIds, ...listedIds(data, 'reservedIds', data.reserved)]);
  const everyIdValid = everyServiceIdValid && data.reserved.every((entry) => entry?.id !== undefined);
  const checkText = (text: string | undefined, path: PathSegment[]) => {
    for (const id of portReferenceIds(text ?? '')) {
      if (!knownIds.has(id) && everyIdValid) problems.push({ path, message: `{port:${id}} names no service or reserved entry; write the id of one` });
    }
    if (hasUnclosedPortReference(text ?? ''))
      problems.push({ path, message: 'has a {port: that no } closes, so the page would print it as written; write {port:ID}' });
  };
  data.services.forEach((service: ServiceFacts | undefined, index) => {
    if (!service) return;
    const path = ['services', index];
    checkText(service.robustNote, [...path, 'robustNote']);
    checkText(service.accessNote, [...path, 'accessNote']);
    (service.purpose ?? []).forEach((text, line) => {
      checkText(text, [...path, 'purpose', line]);
    });
    (service.notes ?? []).forEach((text, line) => {
      checkText(text, [...path, 'notes', line]);
    });
    for (const [label, text] of Object.entries(service.details ?? {})) checkText(text, [...path, 'details', label]);
  });
  data.reserved.forEach((entry: ReservedFacts | undefined, index) => {
    checkText(entry?.purpose, ['reserved', index, 'purpose']);
  });
  return problems;
}

/** `, and N more` after the first of several of the same problem, or nothing. */
function more(count: number): string {
  return count === 0 ? '' : ` and ${count} more`;
}
