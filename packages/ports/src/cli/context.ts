// What a command gets: its parsed arguments, where to print, and the registry.
// Paths are used as given (relative to the working directory), so that error
// messages name files the way the operator typed them.
import { lstatSync, statSync } from 'node:fs';
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
 * JSON, another package's, or that cannot be read (EACCES, ELOOP, EIO): no checkout (registryCheckout() says why;
 * findCheckoutRegistry() reads a ports.yaml whose own stat failed too, as one it cannot tell is absent).
 */
export function isRegistryCheckout(root: string): boolean {
  return registryCheckout(root).named;
}

/** isRegistryCheckout(), with the reason, escaped, when root's packages/ports/package.json cannot be read (packageJsonNames()). */
export function registryCheckout(root: string): PackageJsonLook {
  return packageJsonNames(join(root, CHECKOUT_PACKAGE));
}

/** What packageJsonNames() finds: whether a package.json names this package, or why it cannot be read. */
export interface PackageJsonLook {
  readonly named: boolean;
  /** Why the file cannot be read (`permission denied`, `too many levels of symbolic links`), escaped; undefined when it could be (or is not there). */
  readonly unreadable?: string;
}

/**
 * Whether the package.json `file` names this package (@dsa110/ports): the one reader of isRegistryCheckout() and
 * bundledCopy(). Read at most 64 KiB, a UTF-8 BOM skipped (as Node's require() reads a package.json). Not there, not a
 * regular file, too large or not JSON: not named. One that cannot be read (EACCES, ELOOP, EIO): not named either, and
 * `unreadable` says why, so that a note can say so rather than call the directory no checkout in silence.
 */
export function packageJsonNames(file: string): PackageJsonLook {
  try {
    const text = readFileBytes(file, { maxBytes: MAX_PACKAGE_JSON_BYTES }).toString('utf8');
    return { named: (JSON.parse(text.replace(/^\uFEFF/, '')) as { name?: unknown } | null)?.name === PACKAGE_NAME };
  } catch (error) {
    if (error instanceof SyntaxError) return { named: false };
    if (!(error instanceof FileReadError)) throw error;
    return error.kind === 'missing' || error.kind === 'not-regular' || error.kind === 'too-large'
      ? { named: false }
      : { named: false, unreadable: error.reason };
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
  /** For `other`: its directory's packages/ports/package.json, as a path from the current directory, and why it cannot be read (escaped). */
  readonly unreadable?: { readonly path: string; readonly reason: string };
  /**
   * ./ports.yaml in this package's own directory (./package.json names @dsa110/ports, outside a git work tree), that
   * is no checkout's root: an installed package's copy, from which its bundled registry was made. Reading the bundled
   * registry is reading it: nothing to say.
   */
  readonly own?: string;
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
 * what is wrong: never the bundled registry in its place. Outside a work tree, in this package's own directory
 * (./package.json names @dsa110/ports), ./ports.yaml is the copy its build made, never a checkout's: in a checkout's
 * packages/ports (a tarball's, no .git) the checkout's is ../../ports.yaml, as from packages/ports in a work tree; in
 * an installed package it is the package's own copy (`own`), which the bundled registry was made from.
 */
export function checkoutRegistry(near: readonly string[] = ['.']): string | undefined {
  return findCheckoutRegistry(near).file;
}

/** checkoutRegistry(), with the first ports.yaml passed over as no checkout's (`other`), for the commands to say so. */
export function findCheckoutRegistry(near: readonly string[] = ['.']): CheckoutLookup {
  let inTree = false;
  let passed: Pick<CheckoutLookup, 'other' | 'unreadable'> | undefined;
  const look = (root: string): string | undefined => {
    const file = join(root, CHECKOUT_REGISTRY);
    const there = mayBeThere(file);
    if (!there) return undefined;
    const shown = relative(process.cwd(), file) || CHECKOUT_REGISTRY;
    const { named, unreadable } = registryCheckout(root);
    // Neither file can be looked at (a directory this user may not search): cannot tell, and reading it says why.
    if (named || (unreadable !== undefined && there === 'unknown')) return shown;
    passed ??= {
      other: shown,
      ...(unreadable !== undefined && { unreadable: { path: relative(process.cwd(), join(root, CHECKOUT_PACKAGE)), reason: unreadable } }),
    };
    return undefined;
  };
  for (const dir of near) {
    const root = workTreeRoot(dir);
    if (root === undefined) continue;
    inTree = true;
    const file = look(root);
    if (file !== undefined) return { file };
  }
  if (!inTree && packageJsonNames('package.json').named) {
    // This package's own directory: a checkout's packages/ports reads the checkout's ports.yaml, two directories up.
    const cwd = process.cwd();
    const file = join(dirname(dirname(cwd)), 'packages', 'ports') === cwd ? look(join('..', '..')) : undefined;
    if (file !== undefined) return { file };
    return mayBeThere(CHECKOUT_REGISTRY) !== false ? { own: CHECKOUT_REGISTRY } : {};
  }
  const file = inTree ? undefined : look('.');
  if (file !== undefined) return { file };
  return passed ?? {};
}

/** Why a checkout command passes over `lookup.other` (findCheckoutRegistry()'s), escaped: the start of its one line. */
export function otherRegistryReason(lookup: Pick<CheckoutLookup, 'other' | 'unreadable'> & { readonly other: string }): string {
  const { other, unreadable } = lookup;
  return unreadable === undefined
    ? `${escapeText(other)} is not read by default: its directory is no checkout of the dsa110 registry (no ${CHECKOUT_PACKAGE} there naming ${PACKAGE_NAME})`
    : `${escapeText(other)} is not read by default: its directory is not taken as a checkout of the dsa110 registry, as ${escapeText(unreadable.path)} cannot be read (${unreadable.reason}): in a checkout, make it readable`;
}

/**
 * Whether `file` is there ('there'), or may be ('unknown'): only ENOENT and ENOTDIR say it is not (false). Any other
 * errno error of stat (EACCES on a directory this user may not search, ELOOP, EIO) leaves it unknown, so the file is
 * read and that read fails with the reason, where existsSync would answer false and the bundled registry would be
 * used in silence.
 */
function mayBeThere(file: string): 'there' | 'unknown' | false {
  try {
    statSync(file);
    return 'there';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (typeof code !== 'string') throw error;
    // A symbolic link to nothing (`ports.yaml -> missing-mount/ports.yaml`) is there: the read says where it points.
    if (code === 'ENOENT') return lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink() === true && 'there';
    return code !== 'ENOTDIR' && 'unknown';
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
  if (workTreeRoot('.') !== undefined) return ORIGIN.workTree;
  return file === CHECKOUT_REGISTRY ? ORIGIN.checkout : ORIGIN.packageDir;
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
  const lookup: CheckoutLookup = context.env[REGISTRY_ENV] ? {} : findCheckoutRegistry(near);
  const { file, other } = lookup;
  if (file !== undefined && context.checkout) return loadRegistry({ path: file, env: context.env, origin: checkoutOrigin(file) });
  // Another project's ports.yaml: never read, and never compared with the bundled copy; a checkout command says so.
  // This package's own copy (lookup.own) is the bundled registry's: nothing to say.
  if (other !== undefined && context.checkout)
    context.io.err(
      `${oneLine(`note: ${otherRegistryReason({ ...lookup, other })}; this command reads the bundled registry; give --registry ${printedShellWord(other)} to read that file`)}\n`,
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
    // No package.json there, another's, or one that cannot be read: look higher.
    if (packageJsonNames(join(dir, 'package.json')).named) return join(dir, CHECKOUT_REGISTRY);
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
  packageDir: `the default: the checkout's ${CHECKOUT_REGISTRY}, two directories above its packages/ports`,
  own: `the default: ./${CHECKOUT_REGISTRY}, this package's own copy, from which its bundled registry was made`,
} as const;
