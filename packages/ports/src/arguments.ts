// Checking what a JavaScript caller passed to the library's entry points, so a
// wrong type is a TypeError naming the function, the argument and what it was,
// never "cannot read properties of null" from deep inside, and never silently
// ignored (loadRegistry('/etc/ports.yaml') must not load the bundled registry).
import { types } from 'node:util';
import { quotedText } from './escape-core.js';
import { closest, didYouMeanText } from './suggest.js';

/** A bad argument, named for a TypeError: its type, and its value when short. */
export function describeArgument(value: unknown): string {
  if (value === null) return 'null';
  // String(-0) is "0": `lookup(-0)` said it refused "number 0", a valid-looking value.
  if (Object.is(value, -0)) return 'number -0';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  // Escaped as every printed string is: JSON.stringify left U+202E and U+2028 raw.
  if (typeof value === 'string') return value.length <= 60 ? `the string ${quotedText(value, 60)}` : 'a string';
  return typeof value === 'object' ? objectKind(value) : typeof value;
}

/**
 * An object by its class (`a Map`, `a URL`, `a Promise`): "not an object" would be
 * untrue of what optionsArgument refuses. Never throws (a revoked Proxy, a hostile
 * getter); a class name is printed only when it is a plain identifier.
 */
function objectKind(value: object): string {
  try {
    if (Buffer.isBuffer(value)) return 'a Buffer';
    if (Array.isArray(value)) return 'an array';
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype === null || prototype === Object.prototype) return 'an object';
    const name: unknown = (Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value as { name?: unknown } | undefined)?.name;
    if (typeof name === 'string' && name !== 'Object' && /^[A-Za-z_$][\w$]{0,39}$/.test(name)) return `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}`;
    return 'an object with a prototype of its own';
  } catch {
    // A revoked Proxy throws on every question asked of it (a hostile getter may too): said as such, where
    // "an object" sent the caller looking for a missing field. Told by Array.isArray, which throws for a revoked
    // Proxy alone, not by node:util's types.isProxy: this runs in the parser's bundle (dist/parse.cjs), which a
    // service bundling the library as an ES module runs where no require() of a builtin works.
    return isRevokedProxy(value) ? 'a revoked Proxy' : 'an object';
  }
}

function isRevokedProxy(value: object): boolean {
  try {
    Array.isArray(value);
    return false;
  } catch {
    return true;
  }
}

/**
 * Array.isArray that answers false for a revoked Proxy, where Array.isArray throws its own TypeError
 * ("Cannot perform 'IsArray' on a proxy that has been revoked"), naming neither the function nor the argument.
 */
export function isArraySafely(value: unknown): value is readonly unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * A plain object: its prototype is Object.prototype or null (a Proxy of one is one too). A Map,
 * a URL or a class instance is not options (`new Map([['path', '/x']])` has no property
 * `path`), and an object made with Object.create(proto) would offer the proto's properties
 * as its own.
 */
export function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  try {
    if (Array.isArray(value)) return false;
    const prototype: unknown = Object.getPrototypeOf(value);
    return prototype === Object.prototype || prototype === null;
  } catch {
    return false; // a revoked Proxy: refused, and described, by the caller
  }
}

/**
 * `options` as a plain object (prototype Object.prototype or null, or a Proxy of one), or one made from plain
 * objects with Object.create (`Object.create(defaults)`): undefined is {}; anything else is a TypeError. Returns
 * a copy with no prototype holding each option as a property get reads it (`options.path`), once: a
 * non-enumerable property, one inherited from `defaults`, or a Proxy's `get` (one with only a `get` trap has no
 * own keys) gives an option as it gives any code that reads it, never silently dropped. Never one that
 * Object.prototype holds: with `Object.prototype.path` set by a polluted dependency, `options.path` of `{}`
 * would be that path (a Proxy's `get` answering Object.prototype's own value for a key it does not own is
 * taken as that, as envValue does). A getter or trap that throws is a TypeError naming the option.
 *
 * `shape` is how messages show the options (`{ path?, env? }`). With `keys`, a key not among them (an
 * enumerable one, of the object or of `defaults`) is a TypeError too. Given the keys in place of the shape, every key is optional and the
 * shape is made from them (`{ path?, env?, origin? }`): the one list an entry point keeps of its options.
 * Without keys (a shape alone), the own enumerable properties are copied.
 */
export function optionsArgument<T extends object>(fn: string, value: T | undefined, shape: string | readonly string[], keys?: readonly string[]): T {
  // Its own arguments too: it is exported, and `fn` and `shape` end up in the message.
  fnArgument('optionsArgument', fn);
  const shapeProblem = typeof shape === 'string' ? undefined : listProblem('shape', shape, 'a string or an array of option names', 'an option name (a string)');
  if (shapeProblem !== undefined) throw new TypeError(`optionsArgument: ${shapeProblem}`);
  const keysProblem = keys === undefined ? undefined : listProblem('keys', keys, 'an array of option names or left out', 'an option name (a string)');
  if (keysProblem !== undefined) throw new TypeError(`optionsArgument: ${keysProblem}`);
  const known = typeof shape === 'string' ? keys : shape;
  const copy = Object.create(null) as Record<string, unknown>;
  if (value === undefined) return copy as T;
  if (!isOptionsObject(value)) throw new TypeError(`${fn}: options must be an object (${shapeText(shape)}) or left out, not ${describeArgument(value)}`);
  const given = value as Record<string, unknown>;
  const listed = optionRead(fn, 'options', () => enumerableKeys(given));
  // A misspelt option (`{ pth }`, `{ dryrun }`) would be ignored, and the default used in its place: said instead.
  for (const key of listed) if (known !== undefined && !known.includes(key)) throw unknownOption(fn, key, known, shapeText(shape));
  for (const key of known ?? listed) {
    const option = optionRead(fn, `options.${key}`, () => ownOrProxied(given, key));
    if (option !== undefined) copy[key] = option;
  }
  return copy as T;
}

/** How many objects made with Object.create an options object may stand on (a Proxy's getPrototypeOf may never end). */
const MAX_OPTIONS_PROTOTYPES = 32;

/**
 * A plain object (isPlainObject), or one made from plain objects with Object.create (`Object.create(defaults)`):
 * every prototype up to Object.prototype (or null) has no `constructor` of its own, as a class's prototype, a
 * Map's or a URL's has (their options, `new Map([['path', '/x']])`, are no properties: refused, never ignored).
 */
function isOptionsObject(value: unknown): value is object {
  if (isPlainObject(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  try {
    if (Array.isArray(value)) return false;
    let prototype: unknown = Object.getPrototypeOf(value);
    for (let depth = 0; depth < MAX_OPTIONS_PROTOTYPES; depth++) {
      if (prototype === null || prototype === Object.prototype) return true;
      if (typeof prototype !== 'object' || Array.isArray(prototype) || Object.hasOwn(prototype, 'constructor')) return false;
      prototype = Object.getPrototypeOf(prototype);
    }
    return false;
  } catch {
    return false; // a revoked Proxy, or a trap that throws: refused, and described, by the caller
  }
}

/**
 * `object[key]` (one property get: a getter runs once) when the object owns `key`, inherits it from a prototype
 * of its own (`Object.create(defaults)`), or is a Proxy (read through its `get`); else undefined: never a value
 * Object.prototype holds (a polluted one), nor a Proxy's answer that is Object.prototype's own value for a key it lacks.
 */
function ownOrProxied(object: Record<string, unknown>, key: string): unknown {
  const own = Object.hasOwn(object, key);
  if (!own && !types.isProxy(object) && !inheritedBelowObjectPrototype(object, key)) return undefined;
  const value = object[key];
  if (!own && value !== undefined && Object.hasOwn(Object.prototype, key) && value === (Object.prototype as Record<string, unknown>)[key]) return undefined;
  return value;
}

/** The own enumerable keys of `object` and of its prototypes before Object.prototype (`Object.create(defaults)`'s). */
function enumerableKeys(object: object): string[] {
  const keys = Object.keys(object);
  let prototype: unknown = Object.getPrototypeOf(object);
  for (let depth = 0; depth < MAX_OPTIONS_PROTOTYPES && typeof prototype === 'object' && prototype !== null && prototype !== Object.prototype; depth++) {
    for (const key of Object.keys(prototype)) if (!keys.includes(key)) keys.push(key);
    prototype = Object.getPrototypeOf(prototype);
  }
  return keys;
}

/** Whether `key` is the own property of a prototype of `object` that comes before Object.prototype. */
function inheritedBelowObjectPrototype(object: object, key: string): boolean {
  let prototype: unknown = Object.getPrototypeOf(object);
  for (let depth = 0; depth < MAX_OPTIONS_PROTOTYPES && typeof prototype === 'object' && prototype !== null && prototype !== Object.prototype; depth++) {
    if (Object.hasOwn(prototype, key)) return true;
    prototype = Object.getPrototypeOf(prototype);
  }
  return false;
}

/**
 * What a getter threw, as a message shows it: `Error "boom"` (its message cut, escaped and quoted as quoteValue does:
 * U+202E, U+2028 and terminal escapes shown as escapes), or what describeArgument says of a non-error. A hostile error's own getters are not trusted.
 */
function thrownText(error: unknown): string {
  try {
    if (error instanceof Error) {
      const name = /^[A-Za-z_$][\w$]{0,39}$/.test(String(error.name)) ? String(error.name) : 'an error';
      return `${name} ${quotedText(String(error.message), 200)}`;
    }
  } catch {}
  return describeArgument(error);
}

/** `read()`, where a getter or Proxy trap that throws is a TypeError naming `fn` and what was read (the error as its cause). */
function optionRead<T>(fn: string, name: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new TypeError(`${fn}: ${name} cannot be read (reading it threw ${thrownText(error)}); give options whose properties read as values`, {
      cause: error,
    });
  }
}

/** The `fn` an exported checker was given: it ends up in its messages. */
export function fnArgument(checker: string, fn: unknown): void {
  if (typeof fn !== 'string')
    throw new TypeError(`${checker}: fn must be a string (the name of the function whose argument it checks), not ${describeArgument(fn)}`);
}

/** The options an exported function takes, as its messages say them: written out for a message only, not at every call. */
function shapeText(shape: string | readonly string[]): string {
  return typeof shape === 'string' ? shape : optionsShape(shape);
}

/** `{ path?, env?, origin? }`: options that may each be left out, as messages show them. */
function optionsShape(keys: readonly string[]): string {
  return `{ ${keys.map((key) => `${key}?`).join(', ')} }`;
}

/**
 * Why `value`, named `name`, is not an array whose every entry passes `isEntry`, or undefined when it is
 * one. An entry at fault is named by its place and shown (`names[1] must be a string, not number 1`):
 * "must be an array of strings, not an array", said of `['sshd', 1]`, contradicted itself. `list` and
 * `entry` say what the whole and each entry must be.
 */
export function listProblem(
  name: string,
  value: unknown,
  list = 'an array of strings',
  entry = 'a string',
  isEntry: (entry: unknown) => boolean = (item) => typeof item === 'string',
): string | undefined {
  if (!isArraySafely(value)) return `${name} must be ${list}, not ${describeArgument(value)}`;
  // A hole of a sparse array is undefined, as findIndex visits it: no entry.
  const index = value.findIndex((item) => !isEntry(item));
  return index === -1 ? undefined : `${name}[${index}] must be ${entry}, not ${describeArgument(value[index])}`;
}

/** `fn: unknown option "dryrun" (did you mean "dryRun"?); it takes { ... }`: the key as given, cut and quoted. */
function unknownOption(fn: string, key: string, keys: readonly string[], shape: string): TypeError {
  return new TypeError(`${fn}: unknown option ${JSON.stringify(key.slice(0, 60))}${didYouMeanText(closest(key, keys))}; it takes ${shape}`);
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `options.env`, or process.env when it is left out; anything but process.env or a plain
 * object is a TypeError (a Map's entries are no properties: `new Map([['REDIS_PORT', '7000']])`
 * would be read as an empty environment). process.env is no plain object (its prototype is
 * Node's own), so it is taken by name. Every variable of a given object must be a string or
 * undefined, whether or not this call reads it (`{ CONTIMG_API_PORT: 8001 }` given to
 * loadRegistry, which reads no port override): environment variables are text, and a number
 * among them is the caller's mistake wherever it is given. process.env holds only strings.
 */
export function envArgument(fn: string, env: Env | undefined): Env {
  fnArgument('envArgument', fn);
  if (env === undefined || env === process.env) return process.env;
  if (!isPlainObject(env) && !isLiveProxy(env)) {
    throw new TypeError(`${fn}: options.env must be an object of environment variables (like process.env) or left out, not ${describeArgument(env)}`);
  }
  for (const name of Object.keys(env)) envValue(fn, env, name);
  return env;
}

/**
 * An `env` the command-line plumbing takes (cacheDir, processIo, useColor): process.env, a plain object or a live
 * Proxy, as envArgument takes; anything else a TypeError naming `fn` and `name` (a revoked Proxy read "Cannot perform
 * 'get' on a proxy that has been revoked"). Its variables are not each checked: this runs at every start of a bin,
 * on process.env or a copy of it, and a variable is read as a string or not at all where it is used.
 */
export function envObjectArgument(fn: string, name: string, env: unknown): void {
  if (env === process.env || isPlainObject(env) || isLiveProxy(env)) return;
  throw new TypeError(`${fn}: ${name} must be an object of environment variables (like process.env), not ${describeArgument(env)}`);
}

/**
 * A Proxy, not revoked, as env: a wrapper of process.env or of an object (`new Proxy(process.env,
 * { get })`, one with only a `get` trap) is read through, whatever its prototype says, as the
 * code it stands in for reads `env.NAME`; its `get` answers for each variable (envValue).
 */
function isLiveProxy(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || !types.isProxy(value)) return false;
  try {
    Object.getPrototypeOf(value);
    return true;
  } catch {
    return false; // revoked: refused, and described, by the caller
  }
}

/**
 * One variable of an env object: a string or undefined (process.env only ever holds strings).
 * Only the object's own properties count: process.env has no inherited variables, so one
 * reached through a prototype (Object.create({...})) is not set. A Proxy is read through its
 * `get` (`env[name]`), own property or not (a `get` trap alone has none), except a value that
 * is Object.prototype's own for that name: inherited through a polluted prototype, not set.
 */
export function envValue(fn: string, env: Env, name: string): string | undefined {
  const own = Object.hasOwn(env, name);
  if (!own && !types.isProxy(env)) return undefined;
  const value: unknown = env[name];
  if (!own && value !== undefined && Object.hasOwn(Object.prototype, name) && value === (Object.prototype as Record<string, unknown>)[name]) {
    return undefined;
  }
  if (value === undefined || typeof value === 'string') return value;
  throw new TypeError(`${fn}: ${envVariableName(name)} must be a string (environment variables are text) or undefined, not ${describeArgument(value)}`);
}

/** `options.env.NAME`, or `options.env["..."]` for a key no shell would take as a name (cut, quoted). */
function envVariableName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]{0,59}$/.test(name) ? `options.env.${name}` : `options.env[${JSON.stringify(name.slice(0, 60))}]`;
}

/**
 * A port a bind check can test: an integer 1-65535. Port 0 would bind any free
 * port and say "free" whatever the caller meant (NaN, a string, undefined all
 * end up there), so it is refused like the rest.
 */
export function portArgument(fn: string, port: unknown, name = 'port', min: 0 | 1 = 1): number {
  if (typeof port !== 'number') {
    throw new TypeError(
      `${fn}: ${name} must be a number ${min}-65535, not ${describeArgument(port)}${typeof port === 'string' ? ' (parse it with parsePort)' : ''}`,
    );
  }
  if (!(Number.isInteger(port) && port >= min && port <= 65535)) throw new RangeError(`${fn}: ${name} must be an integer ${min}-65535, not ${port}`);
  return port;
}

/** "tcp" or "udp". */
export function transportArgument(fn: string, transport: unknown): 'tcp' | 'udp' {
  if (transport === 'tcp' || transport === 'udp') return transport;
  throw new TypeError(`${fn}: transport must be "tcp" or "udp" (or left out: "tcp"), not ${describeArgument(transport)}`);
}

// The checks below guard the exported helpers of '@dsa110/ports/system',
// '/files' and the escapers, so a wrong type or an impossible number is a
// TypeError or RangeError naming the function and the argument, never
// "x.split is not a function" from deep inside nor a silent `undefined`
// (readProcessInfo('1') used to say "no such process").

/** A string argument (text to parse, a path, an address). */
export function stringArgument(fn: string, name: string, value: unknown, what = 'a string'): string {
  if (typeof value === 'string') return value;
  throw new TypeError(`${fn}: ${name} must be ${what}, not ${describeArgument(value)}`);
}

/** A non-empty string argument (a path, a unit name). */
export function nonEmptyStringArgument(fn: string, name: string, value: unknown, what: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw new TypeError(`${fn}: ${name} must be ${what}, not ${value === '' ? 'an empty string' : describeArgument(value)}`);
}

/** An integer in [min, max]: TypeError for a non-number, RangeError for the rest (NaN, 1.5, -1). */
export function integerArgument(fn: string, name: string, value: unknown, min: number, max: number, what = 'a number'): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${fn}: ${name} must be ${what}, not ${describeArgument(value)}${typeof value === 'string' ? ' (convert it with Number first)' : ''}`);
  }
  if (!(Number.isInteger(value) && value >= min && value <= max)) throw new RangeError(`${fn}: ${name} must be an integer ${min}-${max}, not ${value}`);
  return value;
}

/**
 * A process id: an integer 1-2147483647 (a pid_t; PID 0 is no process). One
 * above Linux's pid_max (4194304) is a process that does not exist, not an error.
 */
export function pidArgument(fn: string, pid: unknown, name = 'pid'): number {
  return integerArgument(fn, name, pid, 1, 2147483647, 'a process id (a number)');
}

/** A uid: an integer 0-4294967294. */
export function uidArgument(fn: string, uid: unknown): number {
  return integerArgument(fn, 'uid', uid, 0, 4294967294, 'a user id (a number)');
}

/** `procRoot`, where /proc is mounted: a non-empty string, or /proc when left out. */
export function procRootArgument(fn: string, procRoot: unknown, name = 'procRoot'): string {
  if (procRoot === undefined) return '/proc';
  return nonEmptyStringArgument(fn, name, procRoot, 'a non-empty string (where /proc is mounted) or left out');
}

/** A list (array) argument whose entries are strings. */
export function stringListArgument(fn: string, name: string, value: unknown): readonly string[] {
  const problem = listProblem(name, value);
  if (problem !== undefined) throw new TypeError(`${fn}: ${problem}`);
  return value as readonly string[];
}

/** An object argument (not null, not an array). */
export function objectArgument<T extends object>(fn: string, name: string, value: T | undefined | null, shape: string): T {
  if (typeof value === 'object' && value !== null) {
    try {
      // Array.isArray throws for a revoked Proxy alone: refused with the rest, and described as what it is.
      if (!Array.isArray(value)) return value;
    } catch {}
  }
  throw new TypeError(`${fn}: ${name} must be an object (${shape}), not ${describeArgument(value)}`);
}

/** An optional `max` length for the escapers: a positive integer. */
export function maxArgument(fn: string, max: unknown): number {
  return integerArgument(fn, 'max', max, 1, Number.MAX_SAFE_INTEGER, 'a number of characters');
}

/** An iterable argument (an array, a Set): a string, though iterable, is refused. */
export function iterableArgument(fn: string, name: string, value: unknown, what: string): void {
  if (typeof value === 'object' && value !== null) {
    try {
      if (typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') return;
    } catch {} // a revoked Proxy: refused below, and described as what it is
  }
  throw new TypeError(`${fn}: ${name} must be an array (or other iterable) of ${what}, not ${describeArgument(value)}`);
}

/** A path argument: a non-empty string (a Buffer or URL is not taken: paths are printed in messages). */
export function pathArgument(fn: string, name: string, path: unknown): string {
  return nonEmptyStringArgument(fn, name, path, 'a path (a non-empty string)');
}

/** The one option of the file readers' ReadOptions and TreeOptions (a test holds the list to both types). */
const MAX_BYTES_KEYS: readonly string[] = ['maxBytes'];

/**
 * `{ maxBytes }` of the file readers: an object whose maxBytes is an integer >= 0, and no key but
 * `keys` (default maxBytes alone: a misspelt `{ maxbytes }` is said, not "maxBytes ... not undefined").
 */
export function maxBytesOption(fn: string, options: unknown, keys: readonly string[] = MAX_BYTES_KEYS): number {
  const shape = `{ ${keys.map((key) => (key === 'maxBytes' ? key : `${key}?`)).join(', ')} }`;
  const checked = objectArgument(fn, 'options', options as { maxBytes?: unknown } | undefined, shape);
  for (const key of optionRead(fn, 'options', () => Object.keys(checked))) if (!keys.includes(key)) throw unknownOption(fn, key, keys, shape);
  // Its own property only: a limit inherited through a prototype (a polluted Object.prototype) is not the caller's.
  // A Proxy is read through its `get`, and a getter that throws is a TypeError (optionsArgument's rules).
  const maxBytes = optionRead(fn, 'options.maxBytes', () => ownOrProxied(checked as Record<string, unknown>, 'maxBytes'));
  return integerArgument(fn, 'options.maxBytes', maxBytes, 0, Number.MAX_SAFE_INTEGER, 'a number of bytes');
}

/**
 * The mode of a file the writers make (writeOutputFile, replaceFileAtomically,
 * writeGeneratedFiles): permission bits only, 0-0o777 (a setuid, setgid or
 * sticky report is nobody's intent, and 0o7777 made one anyone could write),
 * and none for its group or others to write. Those the writers never leave
 * so: writeOutputFile narrows such a file to 0644 on its next write (with a
 * warning), and writeGeneratedFiles replaces it, and its --check reports it,
 * on every run. Either way a TypeError.
 */
export function modeArgument(fn: string, name: string, mode: unknown): number {
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    const shown = typeof mode === 'number' && Number.isInteger(mode) && mode > 0 ? `0o${mode.toString(8)}` : describeArgument(mode);
    throw new TypeError(
      `${fn}: ${name} must be a file mode, an integer 0-0o777 (permission bits only: no setuid, setgid or sticky bit), such as 0o644, not ${shown}`,
    );
  }
  if ((mode & 0o022) !== 0) {
    throw new TypeError(
      `${fn}: ${name} 0o${mode.toString(8)} lets ${mode & 0o020 ? (mode & 0o002 ? 'its group and others' : 'its group') : 'others'} change the file, which these writers never leave so (the next write narrows or replaces it); give a mode without group or other write, such as 0o644`,
    );
  }
  return mode;
}
