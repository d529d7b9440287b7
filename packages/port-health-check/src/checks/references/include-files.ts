// What an include (nginx's `include FILE;`, Redis's `include FILE`) splices
// in, looked up in the facts gather() read: the readers' side of includes.ts.
import { escapeText, type ConfigKind } from '@dsa110/ports';
import type { IncludeFacts } from '../../types.js';
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

/** The included files by pattern, as the include wrote it (after includePath). */
export type IncludeLookup = (pattern: string) => IncludeFacts | undefined;

/**
 * An include's argument as a path to look for: nginx's relative ones are under `nginxPrefix` (its conf_prefix, with a
 * trailing `/`); Redis's, relative to its working directory, are left as written.
 */
export function includePath(kind: ConfigKind, argument: string, nginxPrefix = NGINX_CONF_PREFIX): string {
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
): { files: readonly { path: string; text: string }[] } | { problem: string; loop?: { again: string; chain: readonly string[] }; missing?: true } {
  if (chain.length > MAX_INCLUDE_DEPTH) return { problem: `includes nest deeper than ${MAX_INCLUDE_DEPTH}, so it is not read` };
  const found = lookup?.(pattern);
  if (!found) return { problem: 'not read' };
  if ('problem' in found) return found;
  const looped = found.files.find((file) => chain.includes(file.path));
  if (looped) {
    const loop = { again: looped.path, chain: [...chain, looped.path] };
    return { problem: `a loop: ${looped.path} is already being read (${loop.chain.join(' -> ')}), so it is not read again`, loop };
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
