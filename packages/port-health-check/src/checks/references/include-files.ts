// What an include (nginx's `include FILE;`, Redis's `include FILE`) splices
// in, looked up in the facts gather() read: the readers' side of includes.ts.
import { escapeText, type ConfigKind } from '@dsa110/ports';
import type { ConfigFileFacts, IncludeFacts } from '../../types.js';
import { underRoot } from './daemon-command.js';
import { NGINX_CONF_PREFIX } from './nginx-main.js';

/** Includes nest at most this deep (deeper is not read; nginx and Redis would fail or recurse forever on a loop). */
export const MAX_INCLUDE_DEPTH = 8;
/** At most this many files are read for one check's includes. */
export const MAX_INCLUDED_FILES = 256;
/**
 * At most this much text (UTF-16 code units, about bytes) is read for one
 * check's includes: 256 files of up to 4 MiB each would be 1 GiB held at
 * once (an include glob over large files ran the check out of memory).
 */
export const MAX_INCLUDED_TEXT = 16 * 1024 * 1024;

/** Whether a path holds glob characters (`*`, `?`, `[`): nginx and Redis expand it (includes.ts), the readers name it so. */
export function isGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/**
 * The included files by pattern, as the include wrote it (after includePath); with `identity`, each file's identity
 * by path (the config file's and the included ones', `DEV:INO`), by which a file reached by another name is the same.
 */
export type IncludeLookup = ((pattern: string) => IncludeFacts | undefined) & { readonly identity?: (path: string) => string | undefined };

/** An IncludeLookup over the facts: their includes, and the identity of each file read (configs and includes). */
export function factsLookup(facts: {
  readonly includes?: ReadonlyMap<string, IncludeFacts>;
  readonly configs: ReadonlyMap<string, ConfigFileFacts>;
}): IncludeLookup {
  let ids: Map<string, string> | undefined;
  const identity = (path: string): string | undefined => {
    if (ids === undefined) {
      ids = new Map();
      for (const config of facts.configs.values()) if (config.id !== undefined) ids.set(config.path, config.id);
      for (const found of facts.includes?.values() ?? [])
        if ('files' in found) for (const file of found.files) if (file.id !== undefined) ids.set(file.path, file.id);
    }
    return ids.get(path);
  };
  return Object.assign((pattern: string) => facts.includes?.get(pattern), { identity });
}

/**
 * An include's argument as a path to look for: nginx's relative ones are under `nginxPrefix` (its conf_prefix, with a
 * trailing `/`); Redis's, relative to its working directory, are left as written. An absolute one of a program
 * chrooted in `root` (its unit's RootDirectory=) is under that directory (`/../x` stops at it, as in the chroot).
 */
export function includePath(kind: ConfigKind, argument: string, nginxPrefix = NGINX_CONF_PREFIX, root?: string): string {
  if (root !== undefined && argument.startsWith('/')) return underRoot(root, argument);
  return kind === 'nginx-site' && !argument.startsWith('/') ? `${nginxPrefix}${argument}` : argument;
}

/**
 * The files an include of `pattern` splices in, from the facts, or why not
 * (a finding: unknown, what it may set is not checked). `chain` holds the
 * files being read, the top one first: a file that includes one of them is a
 * loop (nginx fails on it, Redis recurses until it crashes), read once, and
 * said with `loop`: the file read again, and the chain that reads it (its
 * text was read; the others' was not).
 */
export function includedFiles(
  lookup: IncludeLookup | undefined,
  pattern: string,
  chain: readonly string[],
):
  | { files: readonly { path: string; text: string }[] }
  | { problem: string; loop?: { again: string; chain: readonly string[] }; missing?: true; directory?: true; linkLoop?: true } {
  if (chain.length > MAX_INCLUDE_DEPTH) return { problem: `includes nest deeper than ${MAX_INCLUDE_DEPTH}, so it is not read` };
  const found = lookup?.(pattern);
  if (!found) return { problem: 'not read' };
  if ('problem' in found) return found;
  // The same file by its name, or by its identity (a link to it, a path through `..`): the program opens it again either way.
  const id = lookup?.identity;
  const open = (file: { readonly path: string; readonly id?: string }) =>
    chain.find((reading) => reading === file.path || (file.id !== undefined && id?.(reading) === file.id));
  const looped = found.files.find((file) => open(file) !== undefined);
  if (looped) {
    const again = open(looped)!;
    const loop = { again, chain: [...chain, looped.path] };
    return { problem: `a loop: ${again} is already being read (${loop.chain.join(' -> ')}), so it is not read again`, loop };
  }
  return found;
}

/**
 * The other lines (`file:line`, in reading order) an include that cannot be read is given on, for its one finding:
 * `(the same include at A, B, C, D, E and 7 more)`. Only the first five are walked, however many there are.
 */
export function sameIncludeAt(others: ReadonlySet<string>): string {
  const first: string[] = [];
  for (const place of others) {
    if (first.length === 5) break;
    first.push(place);
  }
  const shown = others.size > 5 ? `${first.join(', ')} and ${others.size - 5} more` : first.join(', ');
  return `(the same include at ${escapeText(shown, 500)})`;
}
