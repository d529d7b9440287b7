// The Quick Reference table: one row per service, sorted by port, with a
// footnote mark on "Robust?" for every service that explains itself.
import type { Registry } from '../index.js';
import { accessLabel, configurableLabel } from './labels.js';
import { markdownProse, markdownTable, markdownText, sanitizeMarkdownLine } from './markdown.js';
import { expandReferences } from './references.js';

const MARKS = ['†', '‡', '§', '¶', '#'];

/** The footnote mark for the nth note: †, ‡, §, ¶, #, then ††, ‡‡, ... */
export function footnoteMark(index: number): string {
  return MARKS[index % MARKS.length]!.repeat(Math.floor(index / MARKS.length) + 1);
}

export function renderQuickReference(registry: Registry): string {
  const footnotes: string[] = [];
  const rows = registry.services.map((service) => {
    let robust = service.robust ? '**Yes**' : 'No';
    if (service.robustNote) {
      const mark = footnoteMark(footnotes.length);
      footnotes.push(`${mark}${markdownProse(sanitizeMarkdownLine(expandReferences(registry, service.robustNote, `services.${service.id}.robustNote`)))}`);
      robust += mark;
    }
    const protocol = service.transport === 'udp' && service.protocol !== 'UDP' ? `${service.protocol} (udp)` : service.protocol;
    return [
      String(service.port),
      markdownText(service.name),
      protocol,
      accessLabel(service.access),
      markdownText(configurableLabel(service.configuredBy)),
      robust,
    ];
  });
  const table = markdownTable(['Port', 'Service', 'Protocol', 'Access', 'Configurable', 'Robust?'], rows);
  return footnotes.length > 0 ? `${table}\n\n${footnotes.join('\n\n')}` : table;
}
