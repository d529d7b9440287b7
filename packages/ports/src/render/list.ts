// `ports list`: the registry as a plain-text table, then the reserved ranges;
// or as JSON for scripts.
import { formatRange, type Registry } from '../index.js';
import { configuredByText } from './labels.js';
import { expandReferences } from './references.js';

// What a terminal gives a character, as the C library's wcwidth(3) says (glibc,
// Unicode's East Asian Width), which xterm, VTE, tmux and screen follow: none
// for a nonspacing or enclosing mark, a format character, or a Hangul vowel or
// final consonant (they join the syllable before them); two for an East Asian
// wide or fullwidth character or an emoji shown as one; else one. A spacing
// mark (Devanagari's ा) takes its column, and a regional indicator one: a flag
// is two of them.
// (The format characters save the soft hyphen and the prepended concatenation marks, which show: U+0600 ARABIC NUMBER SIGN.)
const ZERO_WIDTH = /(?![\u00ad\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u{110bd}\u{110cd}])[\p{Mn}\p{Me}\p{Cf}\u1160-\u11ff\ud7b0-\ud7ff]/u; // \p{Mn} holds the variation selectors
const REGIONAL_INDICATOR = /\p{Regional_Indicator}/u;
const DOUBLE_WIDTH =
  /[\p{Emoji_Presentation}\u1100-\u115f\u2329\u232a\u2e80-\u303e\u3041-\ua4cf\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6\u{16fe0}-\u{1b2ff}\u{1f200}-\u{1f265}\u{20000}-\u{3fffd}]/u;

/** Terminal columns `text` takes (`日本` 4, `🚀` 2, `é` as e + combining accent 1). */
export function columns(text: string): number {
  let width = 0;
  for (const char of text) width += ZERO_WIDTH.test(char) ? 0 : DOUBLE_WIDTH.test(char) && !REGIONAL_INDICATOR.test(char) ? 2 : 1;
  return width;
}

/** Columns padded with spaces to line up on a terminal (wide characters count twice); the last column is not padded. */
export function textTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows].map((row) => row.map((cell) => cell.replace(/\s+/g, ' ')));
  const widths = headers.map((_, index) => Math.max(...all.map((row) => columns(row[index] ?? ''))));
  return all
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell + ' '.repeat(widths[index]! - columns(cell))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderList(registry: Registry): string {
  const services = textTable(
    ['PORT', 'ID', 'SERVICE', 'PROTOCOL', 'ACCESS', 'CONFIGURED BY', 'ROBUST'],
    registry.services.map((service) => [
      service.transport === 'tcp' ? String(service.port) : `${service.port}/${service.transport}`,
      service.id,
      service.name,
      service.protocol,
      service.access,
      configuredByText(service.configuredBy),
      service.robust ? `yes (${service.systemd?.claim ?? 'unit'})` : 'no',
    ]),
  );
  if (registry.reserved.length === 0) return `${services}\n`;
  const reserved = textTable(
    ['RESERVED', 'ID', 'PURPOSE'],
    registry.reserved.map((entry) => {
      const purpose = expandReferences(registry, entry.purpose, `reserved.${entry.id}.purpose`);
      return [formatRange(entry), entry.id, entry.for.length > 0 ? `${purpose} (for ${entry.for.join(', ')})` : purpose];
    }),
  );
  return `${services}\n\n${reserved}\n`;
}

/** The registry as plain data: services and reserved entries, sorted by port. */
export function listJson(registry: Registry): { source: string; services: unknown[]; reserved: unknown[] } {
  const strip = <T extends { kind: string }>({ kind: _kind, ...rest }: T) => rest;
  return { source: registry.source, services: registry.services.map(strip), reserved: registry.reserved.map(strip) };
}
