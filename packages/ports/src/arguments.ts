// Checking what a JavaScript caller passed to the library's entry points, so a
// wrong type is a TypeError naming the function, the argument and what it was,
// never "cannot read properties of null" from deep inside, and never silently
// ignored (loadRegistry('/etc/ports.yaml') must not load the bundled registry).

/** A bad argument, named for a TypeError: its type, and its value when short. */
export function describeArgument(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (typeof value === 'string') return value.length <= 60 ? `the string ${JSON.stringify(value)}` : 'a string';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  return typeof value === 'object' ? (Array.isArray(value) ? 'an array' : 'an object') : typeof value;
}

/** `options` as an object: undefined is {}; anything but a plain object is a TypeError. */
export function optionsArgument<T extends object>(fn: string, value: T | undefined, shape: string): T {
  if (value === undefined) return {} as T;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  throw new TypeError(`${fn}: options must be an object (${shape}) or left out, not ${describeArgument(value)}`);
}

type Env = Readonly<Record<string, string | undefined>>;

/** `options.env`, or process.env when it is left out; anything but an object is a TypeError. */
export function envArgument(fn: string, env: Env | undefined): Env {
  if (env === undefined) return process.env;
  if (typeof env === 'object' && env !== null && !Array.isArray(env)) return env;
  throw new TypeError(`${fn}: options.env must be an object of environment variables (like process.env) or left out, not ${describeArgument(env)}`);
}

/** One variable of an env object: a string or undefined (process.env only ever holds strings). */
export function envValue(fn: string, env: Env, name: string): string | undefined {
  const value: unknown = env[name];
  if (value === undefined || typeof value === 'string') return value;
  throw new TypeError(`${fn}: options.env.${name} must be a string (environment variables are text) or undefined, not ${describeArgument(value)}`);
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
