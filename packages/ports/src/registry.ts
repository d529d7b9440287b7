import { describeArgument, envArgument, envValue, fnArgument, listProblem, optionsArgument } from './arguments.js';
import { configPath, type ConfigKind } from './config-kinds.js';
import { BUNDLED_SOURCE } from './bundled-source.js';
import { PortsError } from './errors.js';
import { escapeText, MAX_QUOTED, pathText, quoteValue } from './escape.js';
import { isPort, parsePort, portProblem } from './port.js';
import { effectiveProtectedProcesses, MIN_PROTECTED_PIDS_UP_TO } from './builtin-protection.js';
import { DEFAULT_SCRAPE_INTERVAL, isClaimTimeout, MAX_CLAIM_TIMEOUT_SECONDS, MAX_PIDS_UP_TO, MIN_CLAIM_TIMEOUT_SECONDS } from './limits.js';
import { formatRange, reservedRange } from './rules.js';
import { HOST_PORT_DAEMONS } from './host-ports.js';
import type { AccessLevel, ConfiguredBy, Group, RegistryData } from './schema.js';
import { idList, serviceIdHint } from './id-hints.js';
import { expandPortReferences } from './port-references.js';
import { deepFreeze } from './frozen.js';
import { own } from './own.js';
import { processEnvironment } from './cli-kit/argv.js';

export type { AccessLevel, ConfiguredBy, Group } from './schema.js';
export type { RegistryData } from './schema.js';
export type Transport = 'tcp' | 'udp';

/** A service of the registry; `Id` is the registry's id type (`ServiceId` for the bundled one). */
export interface Service<Id extends string = string> {
  readonly kind: 'service';
  readonly id: Id;
  readonly name: string;
  /** Heading on the reference page (defaults to name). */
  readonly title: string;
  readonly group: Group;
  readonly port: number;
  readonly protocol: string;
  readonly transport: Transport;
  readonly access: AccessLevel;
  readonly accessNote?: string;
  readonly configuredBy: ConfiguredBy;
  /** The environment variable that overrides the port, if any. */
  readonly env?: string;
  readonly robust: boolean;
  readonly robustNote?: string;
  readonly config?: string;
  /** Path of its Prometheus metrics endpoint (`/metrics`), scraped by the generated Prometheus config. */
  readonly metrics?: string;
  /** How often Prometheus scrapes `metrics` (a Prometheus duration: `15s`, the default, `1m30s`); present with `metrics`. */
  readonly scrapeInterval?: string;
  readonly systemd?: { readonly unit: string; readonly claim?: 'unit' | 'drop-in' };
  /** Configuration files that name ports, each with its path resolved (registry, else the service's config, else Debian's). */
  readonly configs: readonly ConfigRef[];
  readonly processes: readonly string[];
  readonly command?: string;
  readonly details: Readonly<Record<string, string>>;
  readonly purpose: readonly string[];
  readonly notes: readonly string[];
}

export interface ConfigRef {
  readonly kind: ConfigKind;
  readonly path: string;
  /** The service it points at (nginx-site, grafana-datasource). */
  readonly upstream?: string;
}

/** A reserved port or range; `Id` is the registry's id type, as for Service. */
export interface ReservedRange<Id extends string = string> {
  readonly kind: 'reserved';
  readonly id: string;
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly purpose: string;
  /** Services that may use these ports (by env override): ids of the registry's services (validated). */
  readonly for: readonly Id[];
}

export interface ClaimPolicy {
  readonly timeoutSeconds: number;
  /** Glob patterns on process names that claim-port never signals: the built-in list (less `unprotectedBuiltins`) and the registry's additions. */
  readonly protectedProcesses: readonly string[];
  /** Built-in names the registry removed (claim.protect.unprotectBuiltin); `ports validate` warns about each. */
  readonly unprotectedBuiltins: readonly string[];
  /** PIDs at or below this are never signalled. */
  readonly protectedPidsUpTo: number;
}

/**
 * resolvePort's answer: the port from the environment, with the variable that
 * supplied it (`source: 'env'`), or the registry's (`source: 'registry'`, no
 * variable). Test `source` and TypeScript knows whether `variable` is there.
 */
export type ResolvedPort =
  | {
      readonly port: number;
      readonly source: 'env';
      /** The environment variable that supplied the port. */
      readonly variable: string;
    }
  | {
      readonly port: number;
      readonly source: 'registry';
      readonly variable?: undefined;
    };

export interface ResolveOptions {
  /** Where to look for overrides; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Every option of resolvePort, one per key of ResolveOptions (the compiler holds the two together). */
const RESOLVE_OPTIONS: Readonly<Record<keyof ResolveOptions, true>> = { env: true };
const RESOLVE_KEYS = Object.keys(RESOLVE_OPTIONS);

/** The methods of a Registry that work taken off it (bound in its constructor). */
const BOUND_METHODS = ['has', 'service', 'lookup', 'resolvePort'] as const;

/**
 * An override's `value` of `variable`, quoted for a refusal. Node decodes the environment as UTF-8, each byte that is
 * not UTF-8 a U+FFFD (`CONTIMG_API_PORT=$'80\xff'` reads "80\ufffd"): from process.env, such a value's bytes are read
 * back from /proc/self/environ and shown as `\xff`, as the bins show them. Only here, on the way to an error: a
 * value that resolves is never read again.
 */
function overrideText(env: Readonly<Record<string, string | undefined>>, variable: string, value: string): string {
  if (env !== process.env || !value.includes('\uFFFD')) return quoteValue(value);
  return quoteValue(processEnvironment([variable]).env[variable] ?? value);
}

/**
 * A validated registry. `Id` is the union of service ids when known at compile time.
 *
 * Made by loadRegistry and parseRegistry, which validate the file first; the constructor
 * takes data that has validated (the bundled registry's, compiled at build time, at every
 * start: no schema runs here). From JavaScript it checks only what its lookups rest on, in
 * one cheap pass: the shape it walks, each service's id, port and transport, each id used
 * once, each reserved entry's range, the claim policy claim-port's safety rests on (its
 * wait, its PID bound, its lists of names); a TypeError names what is wrong and points to
 * parseRegistry. The rules across entries (two services on one port, a reserved range over
 * a service, a `{port:ID}` to nothing) are parseRegistry's to say.
 */
export class Registry<Id extends string = string> {
  /** Where the registry came from: a file path, or `ports.yaml (bundled)`. */
  readonly source: string;
  /** Services sorted by port (then transport). */
  readonly services: readonly Service<Id>[];
  /** Reserved ports and ranges, sorted by first port. */
  readonly reserved: readonly ReservedRange<Id>[];
  readonly claim: ClaimPolicy;

  readonly #byId: ReadonlyMap<string, Service<Id>>;
  /** The ids, made once and frozen as everything else the registry holds (deepFreeze cannot reach a private field). */
  readonly #ids: readonly Id[];
  /**
   * resolvePort's frozen answer of each service without an override, made on first ask: the common answer costs a
   * lookup, not an Object.freeze (about 80 ns, a fifth of the call), and is the same object each time.
   */
  readonly #registryAnswers = new Map<string, ResolvedPort>();

  constructor(data: RegistryData, source: string) {
    const problem = registryDataProblem(data, source);
    if (problem !== undefined) throw notValidatedData(problem);
    this.source = source;
    try {
      const expand = portReferences(data);
      this.services = data.services
        .map((service) => toService(service, expand) as Service<Id>)
        .sort((a, b) => a.port - b.port || a.transport.localeCompare(b.transport));
      this.reserved = data.reserved
        .map((entry): ReservedRange<Id> => {
          const range = reservedRange(entry)!;
          // Own keys only, as toService reads a service's.
          return {
            kind: 'reserved',
            id: own(entry, 'id')!,
            name: own(entry, 'name')!,
            start: range.start,
            end: range.end,
            purpose: expand(own(entry, 'purpose')!),
            // The schema holds each to a service of this registry (rules.ts).
            for: [...own(entry, 'for')!] as Id[],
          } as const;
        })
        .sort((a, b) => a.start - b.start);
      const protect = own(data.claim, 'protect')!;
      const unprotect = own(protect, 'unprotectBuiltin')!;
      this.claim = {
        timeoutSeconds: own(data.claim, 'timeoutSeconds')!,
        protectedProcesses: effectiveProtectedProcesses(own(protect, 'processes')!, unprotect),
        unprotectedBuiltins: [...unprotect],
        protectedPidsUpTo: own(protect, 'pidsUpTo')!,
      };
    } catch (error) {
      // Data of the right shape whose other keys are not (a purpose that is no list, ...): said as such, not "x.map is not a function".
      throw notValidatedData(`data is not a registry's (${String((error as Error | undefined)?.message ?? error).slice(0, 200)})`);
    }
    this.#byId = new Map(this.services.map((service) => [service.id, service]));
    this.#ids = Object.freeze(this.services.map((service) => service.id));
    // An id used twice would find only one of the two: the lookup index, already made, tells at no cost.
    if (this.#byId.size !== this.services.length) {
      const twice = this.services.find((service, index) => this.services.findIndex((other) => other.id === service.id) !== index)!;
      throw notValidatedData(`data.services holds the id ${quoteValue(twice.id)} twice`);
    }
    // Each method works taken off the registry too (`const { resolvePort } = registry`, `ids.map(registry.service)`),
    // as a service author may take it: bound here, where a detached call read `this` as undefined (an internal TypeError).
    // Defined, not assigned: the prototype is frozen (deepFreeze), and its read-only methods refuse an assignment.
    for (const method of BOUND_METHODS) Object.defineProperty(this, method, { value: this[method].bind(this), enumerable: false });
    // One registry is shared by every caller of a process (loadRegistry()'s bundled one): frozen, so that
    // no caller can move a port under the lookup index or empty the claim's protected list for the others.
    // Everything frozen is its own (the lists and objects of `data` are copied above): a caller's data is not.
    deepFreeze(this);
  }

  /** The ids of all services, sorted by port: one frozen list (copy it to sort or change it). */
  get ids(): readonly Id[] {
    Registry.#called(this, 'ids');
    return this.#ids;
  }

  /** Whether `id` is a service's id: a type guard, so it takes anything (false for what is not a string). */
  has(id: unknown): id is Id {
    Registry.#called(this, 'has');
    return typeof id === 'string' && this.#byId.has(id);
  }

  /** The service with this id; throws PortsError (code UNKNOWN_SERVICE) naming the known ids. */
  service(id: Id): Service<Id> {
    Registry.#called(this, 'service');
    const service = this.#byId.get(id);
    if (service) return service;
    // From JavaScript anything can arrive: say what it was, not "cannot read properties of undefined".
    if (typeof id !== 'string') throw new TypeError(`service: id must be a service id (a string), not ${describeArgument(id)}`);
    const known = [...this.#byId.keys()].sort();
    // A registry may list no services at all: say so, not "known services: " and nothing. Many: the first few.
    const list = known.length > 0 ? `known services: ${idList(known)}` : `${pathText(this.source)} has no services`;
    // Which registry was searched, when it is a file (a service typed against the bundled ids, run with
    // $DSA110_PORTS_FILE at another file, read "unknown service" with no word of that file); said once.
    const searched = known.length > 0 && this.source !== BUNDLED_SOURCE ? ` in ${pathText(this.source)}` : '';
    // Quoted from its start only: quoteValue cuts to MAX_QUOTED characters, but after splitting all of a
    // 10-million-character id into code points (0.4 s). 4 × MAX_QUOTED code units still hold more than
    // MAX_QUOTED characters, so a long id keeps its ellipsis.
    const shown = id.length > 4 * MAX_QUOTED ? id.slice(0, 4 * MAX_QUOTED) : id;
    throw new PortsError('UNKNOWN_SERVICE', `unknown service ${quoteValue(shown)}${searched}${serviceIdHint(id, this)}; ${list}`);
  }

  /** The service or reserved entry that owns `port` in the registry (overrides not applied). */
  lookup(port: number, transport: Transport = 'tcp'): Service<Id> | ReservedRange<Id> | undefined {
    Registry.#called(this, 'lookup');
    // A port read from process.env is a string: say so rather than find nothing.
    if (typeof port !== 'number')
      throw new TypeError(`lookup: port must be a number, not ${describeArgument(port)}${typeof port === 'string' ? ' (parse it with parsePort)' : ''}`);
    // A number no port can be (0, 1.5, NaN, 70000) is the caller's mistake, not "no service has it".
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`lookup: port must be a whole number 1-65535, not ${describeArgument(port)}`);
    if (transport !== 'tcp' && transport !== 'udp')
      throw new TypeError(`lookup: transport must be "tcp" or "udp" (or left out: "tcp"), not ${describeArgument(transport)}`);
    return (
      this.services.find((service) => service.port === port && service.transport === transport) ??
      this.reserved.find((range) => port >= range.start && port <= range.end)
    );
  }

  /**
   * The port a service should use: its env override when set and valid, else the registry's.
   * Throws PortsError (code BAD_OVERRIDE) naming the variable, its value and why it is refused: not a port,
   * another service's port or in a range not reserved for this one, a port the host's own daemons listen on
   * (HOST_PORTS: sshd's 22, node_exporter's 9100; for a TCP service), or another override's port too.
   */
  resolvePort(id: Id, options?: ResolveOptions): ResolvedPort {
    Registry.#called(this, 'resolvePort');
    if (typeof id !== 'string') throw new TypeError(`resolvePort: id must be a service id (a string), not ${describeArgument(id)}`);
    const service = this.service(id);
    const env = envArgument('resolvePort', optionsArgument('resolvePort', options, RESOLVE_KEYS).env);
    // Own keys only, here and below: a service with no override variable has none, whatever
    // another module set on Object.prototype (the services handed out are plain objects).
    const variable = own(service, 'env');
    // Frozen, as everything the registry hands out: an answer a caller passes on cannot be changed under the next.
    if (!variable) return this.#registryAnswer(service);
    const value = envValue('resolvePort', env, variable);
    if (value === undefined) return this.#registryAnswer(service);

    const refuse = (why: string) =>
      new PortsError(
        'BAD_OVERRIDE',
        `${escapeText(variable, MAX_QUOTED)}=${overrideText(env, variable, value)} cannot be used for service ${quoteValue(service.id)}: ${why}`,
      );
    const alone = this.#overrideAlone(service, variable, value);
    if ('refused' in alone) throw refuse(alone.refused);
    const { port } = alone;
    if (port !== service.port) {
      // Two overrides in one environment that move two services onto the same free port: each alone
      // looks fine against the registry, together they would fight over it.
      for (const other of this.services) {
        const otherVariable = own(other, 'env');
        if (other.id === service.id || otherVariable === undefined || otherVariable === variable) continue;
        // Read as this service's own variable is: an own property, a string or undefined, else a TypeError.
        const theirs = envValue('resolvePort', env, otherVariable);
        if (other.transport !== service.transport || theirs === undefined) continue;
        // An override moves its service only when that service would take it on its own: one it refuses
        // (not a port, another service's, in a range not kept for it) leaves it on its registry port, which
        // #overrideAlone already kept this one off. `ports free` counts moved services the same way.
        const moved = this.#overrideAlone(other, otherVariable, theirs);
        if ('port' in moved && moved.port === port) {
          throw refuse(
            `${escapeText(otherVariable, MAX_QUOTED)}=${overrideText(env, otherVariable, theirs)} moves service ${quoteValue(other.id)} (${escapeText(other.name, MAX_QUOTED)}) to port ${port} too; give each service its own port`,
          );
        }
      }
    }
    return Object.freeze({ port, source: 'env', variable });
  }

  /**
   * A method of the prototype called on what is not a Registry (`Registry.prototype.service.call(other, id)`,
   * or taken off the prototype and called alone) read "this.service is not a function" or "Cannot read private
   * member": said here, naming the method. A registry's own methods are bound to it, and pass at the cost of one
   * brand check.
   */
  static #called(self: unknown, method: string): void {
    if (typeof self === 'object' && self !== null && #byId in self) return;
    const given = describeArgument(self);
    // A registry of another copy of the package (its ESM and CJS builds are two classes) has this method of its own.
    // By its class's own name, as describeArgument reads it: a bundler may rename the class (esbuild's `_Registry`).
    const what = self === undefined ? 'alone (this is undefined)' : given === `a ${Registry.name}` ? 'a Registry of another copy of @dsa110/ports' : given;
    throw new TypeError(
      `${method}: must be called on a Registry (from loadRegistry or parseRegistry), not ${what}; call registry.${method}, which works taken off the registry too`,
    );
  }

  /**
   * `value` of `service`'s override `variable` judged against the registry alone, not against other
   * overrides: the port it moves the service to, or why it is refused (a BAD_OVERRIDE message's reason).
   */
  /** resolvePort's answer for `service`'s registry port, frozen, one object per service. */
  #registryAnswer(service: Service<Id>): ResolvedPort {
    let answer = this.#registryAnswers.get(service.id);
    if (answer === undefined) this.#registryAnswers.set(service.id, (answer = Object.freeze({ port: service.port, source: 'registry' })));
    return answer;
  }

  #overrideAlone(service: Service<Id>, variable: string, value: string): { port: number } | { refused: string } {
    // What the reason quotes is the registry's (its source, ids, names, a purpose of many lines) and comes
    // from a file or from JavaScript's `new Registry(data)`: each escaped and cut, as every message's value.
    const unset = `unset ${escapeText(variable, MAX_QUOTED)}`;
    const port = parsePort(value);
    if (port === undefined) return { refused: `${portProblem(value)}; give a plain decimal port 1-65535 or ${unset}` };
    // The registry's own port, even one of the host's daemons' (`ports validate` warns about that entry): the
    // registry is what was reviewed, and a host whose sshd or node_exporter is elsewhere may give the port away there.
    if (port === service.port) return { port };
    const owner = this.lookup(port, service.transport);
    // What to give instead: a range kept for this service, when the registry has one.
    const kept = this.reserved.filter((range) => range.for.includes(service.id)).map((range) => `${formatRange(range)} (${quoteValue(range.id)})`);
    const id = quoteValue(service.id);
    // `another` where the refused port is itself one the registry does not assign (a host daemon's).
    const give = (a: 'a' | 'another') =>
      `; give ${kept.length > 0 ? `a port reserved for ${id}, ${kept.join(' or ')}, or another` : a} port the registry does not assign, or ${unset}`;
    const instead = give('a');
    if (owner === undefined || (owner.kind === 'reserved' && owner.for.includes(service.id))) {
      // A port of the host's own daemons, free in the registry (or in a range kept for this service, which `ports
      // validate` warns about): one mistyped Environment= line, and claim-port, run as root before the service,
      // stopped the daemon at every start. They listen on TCP: a UDP service there collides with nothing.
      const daemon = service.transport === 'tcp' && Object.hasOwn(HOST_PORT_DAEMONS, port) ? HOST_PORT_DAEMONS[port] : undefined;
      if (daemon === undefined) return { port };
      return { refused: `port ${port} is where the host's own ${daemon} listens, not a DSA-110 service's port: ${id} would collide with it${give('another')}` };
    }
    if (owner.kind === 'service') {
      return {
        refused: `port ${port} belongs to service ${quoteValue(owner.id)} (${escapeText(owner.name, MAX_QUOTED)}) in ${pathText(this.source)}${instead}`,
      };
    }
    return {
      refused: `port ${port} is inside reserved ${quoteValue(owner.id)} (${formatRange(owner)}: ${escapeText(owner.purpose, MAX_QUOTED)}), which is not reserved for ${id}${instead}`,
    };
  }
}

// A registry is never a thenable: `await` takes any object with a callable `then` for a promise, and one
// set on Object.prototype (a polluted process) made `await loadRegistry()` whatever that `then` passed on.
// Its own `then`, undefined, comes first; not in the type, where no caller should see it.
Object.defineProperty(Registry.prototype, 'then', { value: undefined });
// The methods every registry answers with are shared too: one caller's `Registry.prototype.resolvePort = ...`
// would move every port another caller of the process (claim-port's library, a service) resolves.
Object.freeze(Registry.prototype);

/** The TypeError of `new Registry(data)` given data that is not a validated registry's. */
function notValidatedData(problem: string): TypeError {
  return new TypeError(`Registry: ${problem}; a Registry is made from validated data: use parseRegistry(text) or loadRegistry({ path })`);
}

/**
 * What is wrong with `data` for the Registry constructor, or undefined: what its lookups rest on,
 * checked with typeof in one pass (it runs at every start, on the bundled registry: a few
 * microseconds), never a schema. Messages are made only for what is wrong.
 */
function registryDataProblem(data: unknown, source: unknown): string | undefined {
  if (typeof source !== 'string' || source === '') return `source must be where the registry came from (a non-empty string), not ${describeArgument(source)}`;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return `data must be a registry's data (an object), not ${describeArgument(data)}`;
  // Own keys only, here and below: the data's, never what another module set on Object.prototype
  // (a reserved range written with start and end has no port, whatever `Object.prototype.port` is).
  const given = data as Partial<Record<keyof RegistryData, unknown>>;
  const services = own(given, 'services');
  const reserved = own(given, 'reserved');
  const claim = own(given, 'claim');
  if (!Array.isArray(services)) return `data.services must be an array, not ${describeArgument(services)}`;
  if (!Array.isArray(reserved)) return `data.reserved must be an array, not ${describeArgument(reserved)}`;
  const protect = typeof claim === 'object' && claim !== null ? own(claim as { protect?: unknown }, 'protect') : undefined;
  if (typeof claim !== 'object' || claim === null || typeof protect !== 'object' || protect === null)
    return `data.claim must be a claim policy ({ timeoutSeconds, protect: { ... } }), not ${describeArgument(claim)}`;
  // What claim-port's safety rests on: a wait it can keep, a PID bound that is one, lists of names.
  const timeout = own(claim as { timeoutSeconds?: unknown }, 'timeoutSeconds');
  if (!isClaimTimeout(timeout))
    return `data.claim.timeoutSeconds must be a number of seconds, ${MIN_CLAIM_TIMEOUT_SECONDS} to ${MAX_CLAIM_TIMEOUT_SECONDS}, not ${describeArgument(timeout)}`;
  const pidsUpTo = own(protect as { pidsUpTo?: unknown }, 'pidsUpTo');
  if (!Number.isInteger(pidsUpTo) || (pidsUpTo as number) < MIN_PROTECTED_PIDS_UP_TO || (pidsUpTo as number) > MAX_PIDS_UP_TO)
    return `data.claim.protect.pidsUpTo must be a whole number ${MIN_PROTECTED_PIDS_UP_TO} to ${MAX_PIDS_UP_TO}, not ${describeArgument(pidsUpTo)}`;
  for (const key of ['processes', 'unprotectBuiltin'] as const) {
    const problem = listProblem(`data.claim.protect.${key}`, own(protect as Record<string, unknown>, key));
    if (problem !== undefined) return problem;
  }
  for (let index = 0; index < services.length; index++) {
    const service: unknown = services[index];
    if (typeof service !== 'object' || service === null) return `data.services[${index}] must be a service (an object), not ${describeArgument(service)}`;
    const id = own(service as Record<string, unknown>, 'id');
    const port = own(service as Record<string, unknown>, 'port');
    const transport = own(service as Record<string, unknown>, 'transport');
    if (typeof id !== 'string' || id === '') return `data.services[${index}].id must be a non-empty string, not ${describeArgument(id)}`;
    if (!isPort(port)) return `data.services[${index}].port must be a port 1-65535, not ${describeArgument(port)}`;
    if (transport !== 'tcp' && transport !== 'udp') return `data.services[${index}].transport must be "tcp" or "udp", not ${describeArgument(transport)}`;
  }
  for (let index = 0; index < reserved.length; index++) {
    const entry: unknown = reserved[index];
    if (typeof entry !== 'object' || entry === null) return `data.reserved[${index}] must be a reserved entry (an object), not ${describeArgument(entry)}`;
    const fields = entry as Record<string, unknown>;
    const id = own(fields, 'id');
    const port = own(fields, 'port');
    const start = own(fields, 'start');
    const end = own(fields, 'end');
    if (typeof id !== 'string' || id === '') return `data.reserved[${index}].id must be a non-empty string, not ${describeArgument(id)}`;
    if (port !== undefined ? !isPort(port) : !(isPort(start) && isPort(end) && start <= end))
      return `data.reserved[${index}] must hold a port, or a start and an end (ports 1-65535, start <= end)`;
  }
  return undefined;
}

/**
 * Whether `value` is a Registry (from loadRegistry or parseRegistry), by what one has, not by
 * instanceof: the ESM and the CommonJS build of this package are two classes, and a registry made
 * by one is as good given to the other (a require()d loadRegistry's, to an imported claimPort).
 * A plain object (`{ path }`, a parsed ports.yaml) is none: it used to fail deep inside
 * ("registry.resolvePort is not a function"), or be ignored where the port was free.
 */
function isRegistry(value: unknown): value is Registry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  try {
    const registry = value as Partial<Record<keyof Registry, unknown>>;
    return (
      typeof registry.source === 'string' &&
      Array.isArray(registry.services) &&
      Array.isArray(registry.reserved) &&
      typeof registry.claim === 'object' &&
      registry.claim !== null &&
      typeof registry.has === 'function' &&
      typeof registry.service === 'function' &&
      typeof registry.lookup === 'function' &&
      typeof registry.resolvePort === 'function'
    );
  } catch {
    return false; // a revoked Proxy, a throwing getter
  }
}

/** A Registry argument (`name` of `fn`), as isRegistry knows one; anything else a TypeError naming it. */
export function registryObjectArgument(fn: string, name: string, registry: unknown): asserts registry is Registry {
  if (!isRegistry(registry)) throw new TypeError(`${fn}: ${name} must be a Registry (from loadRegistry or parseRegistry), not ${describeArgument(registry)}`);
}

/**
 * `options.registry` of claimPort and checkPorts: a ports.yaml path (a non-empty string), a
 * Registry, or left out (undefined); anything else is a TypeError naming it, before anything is
 * read or signalled. One test for both, so the two entry points cannot disagree.
 */
export function registryArgument(fn: string, registry: unknown): Registry | string | undefined {
  fnArgument('registryArgument', fn);
  if (registry === undefined || (typeof registry === 'string' && registry !== '') || isRegistry(registry)) return registry;
  throw new TypeError(
    `${fn}: options.registry must be a ports.yaml path or a Registry (from loadRegistry or parseRegistry) or left out, not ${describeArgument(registry)}`,
  );
}

/**
 * `{port:ID}` in prose (purpose, notes, details, accessNote, robustNote) stands for
 * the port of service or reserved entry ID; the Registry hands out the expanded text.
 */
function portReferences(data: RegistryData): (text: string) => string {
  const ports = new Map<string, number>(data.services.map((service) => [service.id, service.port]));
  for (const entry of data.reserved) {
    const range = reservedRange(entry);
    if (range) ports.set(entry.id, range.start);
  }
  return (text) => expandPortReferences(text, (id) => ports.get(id));
}

/**
 * A service as the Registry hands it out, from its data read by own keys only (`own`): the bundled
 * registry's and a cache entry's data are plain objects, and a key a service leaves out
 * (`accessNote`, `systemd`, `configuredBy.env`, ...) must not be read through a polluted
 * Object.prototype. The objects made are ordinary ones (Object.prototype), as any caller's code
 * expects (`${service}`, `hasOwnProperty`, deep equality with a literal); the Registry's own
 * reads of them are by own keys too (resolvePort's `env`).
 */
function toService(data: RegistryData['services'][number], expand: (text: string) => string = (text) => text): Service {
  const field = <K extends keyof typeof data>(key: K) => own(data, key);
  const configuredBy = field('configuredBy')!;
  const env = typeof configuredBy === 'object' && configuredBy !== null ? own(configuredBy as { env?: string }, 'env') : undefined;
  const name = field('name')!;
  const title = field('title');
  const accessNote = field('accessNote');
  const robustNote = field('robustNote');
  const config = field('config');
  const metrics = field('metrics');
  const systemd = field('systemd');
  const command = field('command');
  const details = field('details');
  return {
    kind: 'service',
    id: field('id')!,
    name,
    title: title ?? name,
    group: field('group')!,
    port: field('port')!,
    protocol: field('protocol')!,
    transport: field('transport')!,
    access: field('access')!,
    ...(accessNote !== undefined && { accessNote: expand(accessNote) }),
    configuredBy: typeof configuredBy === 'object' ? { ...configuredBy } : configuredBy,
    ...(env !== undefined && { env }),
    robust: field('robust')!,
    ...(robustNote !== undefined && { robustNote: expand(robustNote) }),
    ...(config !== undefined && { config }),
    ...(metrics !== undefined && { metrics, scrapeInterval: field('scrapeInterval') ?? DEFAULT_SCRAPE_INTERVAL }),
    ...(systemd !== undefined && { systemd: { ...systemd } }),
    configs: (field('configs') ?? []).map((ref) => {
      const kind = own(ref, 'kind')!;
      const upstream = own(ref, 'upstream');
      return {
        kind,
        path: configPath(kind, own(ref, 'path'), config),
        ...(upstream !== undefined && { upstream }),
      };
    }),
    processes: [...field('processes')!],
    ...(command !== undefined && { command }),
    details: Object.fromEntries(Object.entries(details ?? {}).map(([label, text]) => [label, expand(text)])),
    purpose: field('purpose')!.map(expand),
    notes: field('notes')!.map(expand),
  } as const;
}
