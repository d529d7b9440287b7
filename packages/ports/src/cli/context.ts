// What a command gets: its parsed arguments, where to print, and the registry.
// Paths are used as given (relative to the working directory), so that error
// messages name files the way the operator typed them.
import { lstatSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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
  /** The command reads a checkout's ports.yaml by default (its spec's `checkout`; checkoutRegistry()). */
  readonly checkout?: boolean;
  /** The parsed flags, typed from the command's declarations (command.ts). */
  readonly values: V;
  readonly positionals: readonly string[];
  /** Variables whose bytes that are not UTF-8 the bin could not read back (processEnvironment): $DSA110_PORTS_FILE's path is then refused. */
  readonly lostVariables?: readonly string[];
}

/** The name of the registry file a checkout command reads when none is named (checkoutRegistry()). */
export const CHECKOUT_REGISTRY = 'ports.yaml';

/**
 * The ports.yaml a checkout command reads when no registry is named, as a path from the current directory
 * (`ports.yaml` at the root, `../../ports.yaml` from packages/ports), or undefined when there is none.
 * In a git work tree (a `.git` in the directory or one above it): the one at the work tree's root, from any
 * subdirectory, never the copy a build leaves in packages/ports. Outside one: ./ports.yaml. `near`: the
 * directories to look from, first first (`ports docs`: the page's, then the current one); the first in a
 * work tree whose root holds a ports.yaml gives it. A ports.yaml this user cannot tell is absent (a directory it
 * may not search: EACCES; ELOOP; EIO), or a symbolic link to nothing, is given too, and reading it says what is
 * wrong: never the bundled registry in its place.
 */
export function checkoutRegistry(near: readonly string[] = ['.']): string | undefined {
  let inTree = false;
  for (const dir of near) {
    const root = workTreeRoot(dir);
    if (root === undefined) continue;
    inTree = true;
    const file = join(root, CHECKOUT_REGISTRY);
    if (mayBeThere(file)) return relative(process.cwd(), file) || CHECKOUT_REGISTRY;
  }
  return !inTree && mayBeThere(CHECKOUT_REGISTRY) ? CHECKOUT_REGISTRY : undefined;
}

/**
 * Whether `file` is there, or may be: only ENOENT and ENOTDIR say it is not. Any other errno error of stat (EACCES
 * on a directory this user may not search, ELOOP, EIO) leaves it unknown, so the file is read and that read fails
 * with the reason, where existsSync would answer false and the bundled registry would be used in silence.
 */
function mayBeThere(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (typeof code !== 'string') throw error;
    // A symbolic link to nothing (`ports.yaml -> missing-mount/ports.yaml`) is there: the read says where it points.
    if (code === 'ENOENT') return lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink() === true;
    return code !== 'ENOTDIR';
  }
}

/**
 * The root of the git work tree that holds `path` (the nearest directory at or above it with a `.git`), or undefined.
 * A directory that cannot be examined (`afile/` is a regular file: ENOTDIR; EACCES; ENAMETOOLONG; ELOOP) is no work
 * tree as far as this user can tell: skipped, never an error, and the read of the file there says what is wrong.
 */
export function workTreeRoot(path: string): string | undefined {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    if (hasGit(dir)) return dir;
    if (dir === dirname(dir)) return undefined;
  }
}

/** Whether `dir` holds a `.git`: false when it has none, or when it cannot be examined (any errno error of stat). */
function hasGit(dir: string): boolean {
  try {
    return statSync(join(dir, '.git'), { throwIfNoEntry: false }) !== undefined;
  } catch (error) {
    if (typeof (error as NodeJS.ErrnoException | undefined)?.code === 'string') return false;
    throw error;
  }
}

/** Where checkoutRegistry()'s `file` came from, as errors about reading it say. */
export function checkoutOrigin(file: string): string {
  return file === CHECKOUT_REGISTRY && workTreeRoot('.') === undefined ? ORIGIN.checkout : ORIGIN.workTree;
}

/**
 * --registry, then $DSA110_PORTS_FILE, then (for a checkout command) the checkout's ports.yaml
 * (checkoutRegistry(), looked for from `near`), then the registry bundled with the package.
 */
export function load(context: Context<unknown>, near?: readonly string[]): Promise<Registry> {
  if (context.registryPath !== undefined) return loadRegistry({ path: context.registryPath, env: context.env, origin: ORIGIN.option });
  refuseLostRegistryVariable(context);
  const file = context.checkout && !context.env[REGISTRY_ENV] ? checkoutRegistry(near) : undefined;
  if (file !== undefined) return loadRegistry({ path: file, env: context.env, origin: checkoutOrigin(file) });
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
  workTree: `the default: the ${CHECKOUT_REGISTRY} at the root of the git work tree`,
} as const;
