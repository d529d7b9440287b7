// Where an entry of a registry's text is, for a message that cites it: found by the registry's own parser (yaml,
// loaded on first use), as a problem's place is found, never by a second reading of YAML by hand.
import { stringArgument } from './arguments.js';
import { loadParser } from './load-parser.js';

/**
 * The line and column (1-based) of `pattern`'s entry of `claim.protect.processes` in a registry's `text` (its first
 * character: its quote, when quoted), or undefined when it has none there: what claim-port's refusal by a pattern the
 * registry added cites. Loads the parser, as parseRegistry does.
 */
export function protectPatternPosition(text: string, pattern: string): { line: number; column: number } | undefined {
  stringArgument('protectPatternPosition', 'text', text, "a registry's text");
  stringArgument('protectPatternPosition', 'pattern', pattern, 'a protected name pattern');
  const at = loadParser().protectPatternPosition(text, pattern);
  return at.line > 0 ? at : undefined;
}
