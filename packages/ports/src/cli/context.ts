// What a command gets: its parsed arguments, where to print, and the registry.
// Paths are used as given (relative to the working directory), so that error
// messages name files the way the operator typed them.
import { lstatSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lostPathMessage } from '../cli-kit/argv.js';
import type { Io } from '../cli-kit/io.js';
import { escapeText, oneLine } from '../escape.js';
import { FileReadError, readFileBytes } from '../files/read.js';
import { printedShellWord } from '../shell-word.js';
import { MAX_REGISTRY_BYTES } from '../limits.js';
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

/** This package's name, which a checkout's packages/ports/package.json holds (isRegistryCheckout()). */
const PACKAGE_NAME = '@dsa110/ports';

/** Where a checkout of the registry holds this package, from its root: the build bundles the ports.yaml beside `packages/`. */
export const CHECKOUT_PACKAGE = 'packages/ports/package.json';

/**
 * Whether the directory `root` is a checkout of the dsa110 registry: it holds this package's source at
 * packages/ports (a package.json there named @dsa110/ports), whose build bundles the ports.yaml at `root`
 * (packages/ports/scripts/build.mjs). Not the ports.yaml's text: another project's ports.yaml (a compose file, its own
 * registry) is no checkout's, and a checkout's ports.yaml that is broken (bad YAML, its first line edited) is still
 * the one to read, so that reading it says what is wrong. A package.json that is not there, not a regular file, not
 * JSON or another package's: no checkout. One that cannot be read (EACCES, EIO): cannot tell, taken as a checkout,
 * as checkoutRegistry() takes a ports.yaml it cannot tell is absent (reading that says what is wrong).
 */
export function isRegistryCheckout(root: string): boolean {
  try {
    const bytes = readFileBytes(join(root, CHECKOUT_PACKAGE), { maxBytes: MAX_PACKAGE_JSON_BYTES });
    return (JSON.parse(bytes.toString('utf8')) as { name?: unknown } | null)?.name === PACKAGE_NAME;
  } catch (error) {
    if (error instanceof SyntaxError) return false;
    if (error instanceof FileReadError) return error.kind !== 'missing' && error.kind !== 'not-regular' && error.kind !== 'too-large';
    throw error;
  }
}

/** The most read of a package.json to tell a checkout (this package's is about 3 kB). */
const MAX_PACKAGE_JSON_BYTES = 64 * 1024;

/** What checkoutRegistry() finds: the checkout's ports.yaml, or a ports.yaml where it would be that is no checkout's. */
export interface CheckoutLookup {
  /** The checkout's ports.yaml, as a path from the current directory. */
  readonly file?: string;
  /** A ports.yaml where the checkout's would be, in a directory that is no checkout of the registry (isRegistryCheckout()): never read by default. */
  readonly other?: string;
}

/**
 * The ports.yaml a checkout command reads when no registry is named, as a path from the current directory
 * (`ports.yaml` at the root, `../../ports.yaml` from packages/ports), or undefined when there is none.
 * In a git work tree (a `.git` in the directory or one above it): the one at the work tree's root, from any
 * subdirectory, never the copy a build leaves in packages/ports. Outside one: ./ports.yaml. Either only where that
 * directory is a checkout of the registry (isRegistryCheckout()): another project's ports.yaml is not this registry.
 * `near`: the directories to look from, first first (`ports docs`: the page's, then the current one); the first in
 * a work tree whose root is a checkout with a ports.yaml gives it. A ports.yaml this user cannot tell is absent (a
 * directory it may not search: EACCES; ELOOP; EIO), or a symbolic link to nothing, is given too, and reading it says
 * what is wrong: never the bundled registry in its place.
 */
export function checkoutRegistry(near: readonly string[] = ['.']): string | undefined {
  return findCheckoutRegistry(near).file;
}

/** checkoutRegistry(), with the first ports.yaml passed over as no checkout's (`other`), for the commands to say so. */
export function findCheckoutRegistry(near: readonly string[] = ['.']): CheckoutLookup {
  let inTree = false;
  let other: string | undefined;
  const look = (root: string): string | undefined => {
    const file = join(root, CHECKOUT_REGISTRY);
    if (!mayBeThere(file)) return undefined;
    const shown = relative(process.cwd(), file) || CHECKOUT_REGISTRY;
    if (isRegistryCheckout(root)) return shown;
    other ??= shown;
    return undefined;
  };
  for (const dir of near) {
    const root = workTreeRoot(dir);
    if (root === undefined) continue;
    inTree = true;
    const file = look(root);
    if (file !== undefined) return { file };
  }
  const file = inTree ? undefined : look('.');
  if (file !== undefined) return { file };
  return other === undefined ? {} : { other };
}

/** Why a checkout command passes over `other` (CheckoutLookup's), escaped: the start of its one line. */
export function otherRegistryReason(other: string): string {
  return `${escapeText(other)} is not read by default: its directory is no checkout of the dsa110 registry (no ${CHECKOUT_PACKAGE} there naming ${PACKAGE_NAME})`;
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
 * The one rule of every command: --registry, then $DSA110_PORTS_FILE, then the default. The default is the
 * checkout's ports.yaml (checkoutRegistry(), looked for from `near`) for a checkout command (one that makes or
 * checks a checkout's files: docs, monitoring, firewall, snippet, validate), else the registry bundled with the
 * package. A command that reads the bundled registry while a checkout's ports.yaml differs from the copy bundled
 * (the build's copy, or the installed package's) says so on stderr, in one line naming both files and the fix
 * (staleBundledWarning): never the old copy's ports in silence. A ports.yaml where the checkout's would be, in a
 * directory that is no checkout of the registry (isRegistryCheckout(): another project's), is neither read nor
 * compared; a checkout command, which would have read it, says in one line that it reads the bundled registry instead.
 */
export function load(context: Context<unknown>, near?: readonly string[]): Promise<Registry> {
  if (context.registryPath !== undefined) return loadRegistry({ path: context.registryPath, env: context.env, origin: ORIGIN.option });
  refuseLostRegistryVariable(context);
  const { file, other } = context.env[REGISTRY_ENV] ? {} : findCheckoutRegistry(near);
  if (file !== undefined && context.checkout) return loadRegistry({ path: file, env: context.env, origin: checkoutOrigin(file) });
  // Another project's ports.yaml: never read, and never compared with the bundled copy; a checkout command says so.
  if (other !== undefined && context.checkout)
    context.io.err(
      `${oneLine(`note: ${otherRegistryReason(other)}; this command reads the bundled registry; give --registry ${printedShellWord(other)} to read that file`)}\n`,
      'notice',
    );
  const warning = file === undefined ? undefined : staleBundledWarning(file, bundledCopy());
  if (warning !== undefined) context.io.err(`${warning}\n`, 'warn');
  return loadRegistry({ env: context.env });
}

/**
 * The ports.yaml the build copied beside this package's package.json (packages/ports/ports.yaml; an installed
 * package's own), from which its bundled registry was made; undefined when no such package.json is found above
 * this module (a bundle of it elsewhere).
 */
export function bundledCopy(from: string = import.meta.url): string | undefined {
  for (let dir = dirname(fileURLToPath(from)), up = 0; up < 4; dir = dirname(dir), up++) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) return join(dir, CHECKOUT_REGISTRY);
    } catch (error) {
      // No package.json there (errno), or not JSON: look higher.
      if (!(error instanceof SyntaxError) && typeof (error as NodeJS.ErrnoException | undefined)?.code !== 'string') throw error;
    }
  }
  return undefined;
}

/**
 * The warning line for a command that reads the bundled registry in a checkout whose ports.yaml (`file`) is not
 * the copy it was made from (`bundled`): their bytes differ, or the copy cannot be read (never a wait: a FIFO or a
 * file over 1 MiB is not read). Undefined when they are the same bytes, or `file` cannot be read (nothing to tell:
 * a checkout command reading it says why).
 */
export function staleBundledWarning(file: string, bundled: string | undefined): string | undefined {
  const read = (path: string) => {
    try {
      return readFileBytes(path, { maxBytes: MAX_REGISTRY_BYTES });
    } catch (error) {
      if (error instanceof FileReadError) return undefined;
      throw error;
    }
  };
  const checkout = read(file);
  if (checkout === undefined) return undefined;
  const copy = bundled === undefined ? undefined : read(bundled);
  if (copy !== undefined && pastSchemaLine(copy).equals(pastSchemaLine(checkout))) return undefined;
  const near = bundled === undefined ? undefined : relative(process.cwd(), bundled);
  const copyName = bundled === undefined ? 'the copy bundled with this ports' : escapeText(near !== undefined && !near.startsWith('..') ? near : bundled);
  const differs = copy === undefined ? `may differ from ${copyName} (it cannot be read to compare)` : `differs from ${copyName}`;
  return oneLine(
    `warning: ${escapeText(file)} ${differs}, the copy the bundled registry this command read was built from; rebuild (npx -y pnpm@10.34.9 build, then reinstall an installed ports), or give --registry ${printedShellWord(file)}`,
  );
}

/**
 * A registry's bytes past its first line when that line is the editors' schema comment (`# yaml-language-server:
 * $schema=...`), else all of them: the build writes the package's copy with that line changed (to name the schema
 * beside it: packages/ports/scripts/build.mjs), so only the rest tells whether the copy is the checkout's.
 */
function pastSchemaLine(bytes: Buffer): Buffer {
  const end = bytes.indexOf(0x0a);
  if (end < 0) return bytes;
  return /^\uFEFF?# yaml-language-server: \$schema=/.test(bytes.subarray(0, end).toString('utf8')) ? bytes.subarray(end + 1) : bytes;
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
