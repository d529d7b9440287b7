// Where an entry of a registry's text is, for a message that cites it: found by the registry's own parser (yaml,
// loaded on first use), as a problem's place is found, never by a second reading of YAML by hand.
import { stringArgument } from './arguments.js';
import { pathText } from './escape.js';
import { readFileBytes } from './files/read.js';
import { MAX_REGISTRY_BYTES } from './limits.js';
import { BUNDLED_SOURCE } from './bundled-source.js';
import { loadParser } from './load-parser.js';

/**
 * The line and column (1-based) of `pattern`'s entry of `claim.protect.processes` in a registry's `text` (its first
 * character: its quote, when quoted), or undefined when it has none there. Loads the parser, as parseRegistry does.
 */
export function protectPatternPosition(text: string, pattern: string): { line: number; column: number } | undefined {
  stringArgument('protectPatternPosition', 'text', text, "a registry's text");
  stringArgument('protectPatternPosition', 'pattern', pattern, 'a protected name pattern');
  const at = loadParser().protectPatternPosition(text, pattern);
  return at.line > 0 ? at : undefined;
}

/**
 * Where the registry file `source` (a Registry's `source`) writes `pattern` in `claim.protect.processes`, for the
 * operator to remove or narrow it: `FILE:LINE:COL`; the file alone where its entry cannot be found (the file changed
 * since it was read, or no longer parses, or the entry is written through an alias); undefined for the bundled
 * registry. What claim-port's refusal by a pattern the registry added cites, and the health check's owner check.
 * The registry that validated holds no positions (nor does the parsed-registry cache), so the file is read again,
 * only when a message needs it, through the bounded reader: a FIFO swapped in is refused, never waited on.
 */
export function protectPatternPlace(source: string, pattern: string): string | undefined {
  stringArgument('protectPatternPlace', 'source', source, "a registry's source (Registry.source)");
  stringArgument('protectPatternPlace', 'pattern', pattern, 'a protected name pattern');
  if (source === BUNDLED_SOURCE) return undefined;
  let at: { line: number; column: number } | undefined;
  try {
    at = protectPatternPosition(readFileBytes(source, { maxBytes: MAX_REGISTRY_BYTES }).toString('utf8'), pattern);
  } catch {
    at = undefined;
  }
  return at === undefined ? pathText(source) : `${pathText(source)}:${at.line}:${at.column}`;
}
