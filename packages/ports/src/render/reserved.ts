// Reserved Ranges: ports no service may take unless the range names it.
import { formatRange, type Registry } from '../index.js';
import { inlineCode, markdownProse, markdownTable, markdownText } from './markdown.js';
import { expandReferences } from './references.js';

export function renderReserved(registry: Registry): string {
  if (registry.reserved.length === 0) return '_No reserved ports in the registry._';
  const rows = registry.reserved.map((entry) => {
    const purpose = markdownProse(expandReferences(registry, entry.purpose, `reserved.${entry.id}.purpose`));
    const users = entry.for.map((id) => {
      const service = registry.has(id) ? registry.service(id) : undefined;
      const name = markdownText(service?.name ?? id);
      return service?.env ? `${name} (via ${inlineCode(service.env)})` : name;
    });
    return [`**${formatRange(entry)}**`, purpose, users.join(', ') || '—', inlineCode(entry.id)];
  });
  return markdownTable(['Ports', 'Purpose', 'Usable by', 'Id'], rows);
}
