// What a command gets: its parsed arguments, where to print, and the registry.
// Paths are used as given (relative to the working directory), so that error
// messages name files the way the operator typed them.
import { existsSync } from 'node:fs';
import { lostPathMessage } from '../cli-kit/argv.js';
import type { Io } from '../cli-kit/io.js';
import { UsageError } from './exit-code.js';
import { loadRegistry, REGISTRY_ENV, type Registry } from '../index.js';

export type { Io };

export interface Context<V = Readonly<Record<string, string | boolean | undefined>>> {
  readonly io: Io;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** --registry PATH, if given. */
  readonly registryPath: string | undefined;
  /** The command reads a checkout's ./ports.yaml by default (its spec's `checkout`). */
  readonly checkout?: boolean;
  /** The parsed flags, typed from the command's declarations (command.ts). */
  readonly values: V;
  readonly positionals: readonly string[];
  /** Variables whose bytes that are not UTF-8 the bin could not read back (processEnvironment): $DSA110_PORTS_FILE's path is then refused. */
  readonly lostVariables?: readonly string[];
}

/** The registry file a checkout command reads when none is named: ./ports.yaml. */
export const CHECKOUT_REGISTRY = 'ports.yaml';

/**
 * --registry, then $DSA110_PORTS_FILE, then (for a checkout command) ./ports.yaml
 * when it exists, then the registry bundled with the package.
 */
export function load(context: Context<unknown>): Promise<Registry> {
  if (context.registryPath !== undefined) return loadRegistry({ path: context.registryPath, env: context.env, origin: ORIGIN.option });
  refuseLostRegistryVariable(context);
  if (context.checkout && !context.env[REGISTRY_ENV] && existsSync(CHECKOUT_REGISTRY)) {
    return loadRegistry({ path: CHECKOUT_REGISTRY, env: context.env, origin: ORIGIN.checkout });
  }
  return loadRegistry({ env: context.env });
}

/**
 * A usage error when $DSA110_PORTS_FILE is the registry to read and holds
 * U+FFFD for bytes the bin could not read back: it would open no file, or
 * another one, never the operator's.
 */
export function refuseLostRegistryVariable(context: Pick<Context<unknown>, 'env' | 'lostVariables'>): void {
  const value = context.env[REGISTRY_ENV];
  if (value === undefined || !context.lostVariables?.includes(REGISTRY_ENV)) return;
  const lost = lostPathMessage(`$${REGISTRY_ENV}`, value);
  if (lost) throw new UsageError(lost);
}

/** Where a registry path came from, as errors about reading it say (loadRegistry's `origin`). */
export const ORIGIN = {
  option: 'from --registry',
  env: `from $${REGISTRY_ENV}`,
  checkout: `the default: ./${CHECKOUT_REGISTRY} in the current directory`,
} as const;
