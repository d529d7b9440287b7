// Where a protected pattern the registry added is written: `FILE:LINE:COL` of
// its entry in `claim.protect.processes`, for the refusal that cites it (so the
// operator can remove or narrow it). Only when a claim is refused by such a
// pattern: a claim that signals, or a free port, never reads the file again.
// The registry that validated holds no positions (nor does the parsed-registry
// cache): the file is read again (through the bounded reader: a FIFO swapped in
// is refused, never waited on) and the entry placed by the registry's own
// parser, as a problem's place is found. A file changed since, or an entry
// written through an alias, gives the file alone.
import { BUNDLED_SOURCE, MAX_REGISTRY_BYTES, pathText, protectPatternPosition as placedByParser } from '@dsa110/ports';
import { readFileBytes } from '@dsa110/ports/files';

/** `/etc/dsa110/ports.yaml:12:18`, or the file alone where the pattern's entry cannot be found; undefined for the bundled registry. */
export function protectPatternPlace(source: string, glob: string): string | undefined {
  if (source === BUNDLED_SOURCE) return undefined;
  let text: string;
  try {
    text = readFileBytes(source, { maxBytes: MAX_REGISTRY_BYTES }).toString('utf8');
  } catch {
    return pathText(source);
  }
  const at = protectPatternPosition(text, glob);
  return at === undefined ? pathText(source) : `${pathText(source)}:${at.line}:${at.column}`;
}

/**
 * The line and column (1-based) of `glob`'s entry in `claim:` → `protect:` → `processes:` of a registry's text (its
 * first character: its quote, when quoted); undefined when it is not there, or the text does not parse.
 */
export function protectPatternPosition(text: string, glob: string): { line: number; column: number } | undefined {
  try {
    return placedByParser(text, glob);
  } catch {
    return undefined;
  }
}
