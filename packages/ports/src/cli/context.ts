// What a command gets: its parsed arguments, where to print, and the registry.
// Paths are used as given (relative to the working directory), so that error
// messages name files the way the operator typed them.
import { existsSync } from 'node:fs';
import type { Io } from '../cli-kit/io.js';
import { loadRegistry, REGISTRY_ENV, type Registry } from '../index.js';

export type { Io };

export interface Context {
  readonly io: Io;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** --registry PATH, if given. */
  readonly registryPath: string | undefined;
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** --registry, then $DSA110_PORTS_FILE, then the registry bundled with the package. */
export function load(context: Context): Promise<Registry> {
  return context.registryPath === undefined ? loadRegistry({ env: context.env }) : loadRegistry({ path: context.registryPath, env: context.env });
}

/** The registry file a checkout command reads when none is named: ./ports.yaml. */
export const CHECKOUT_REGISTRY = 'ports.yaml';

/**
 * For the commands that work on a checkout (docs, validate): --registry, then
 * $DSA110_PORTS_FILE, then ./ports.yaml when it exists, then the bundled registry.
 */
export function loadForCheckout(context: Context): Promise<Registry> {
  if (context.registryPath !== undefined || context.env[REGISTRY_ENV] || !existsSync(CHECKOUT_REGISTRY)) return load(context);
  return loadRegistry({ path: CHECKOUT_REGISTRY, env: context.env });
}
