// `ports list`: the registry as a plain-text table, then the reserved ranges;
// or as JSON for scripts.
import { formatRange, type Registry } from '../index.js';
import { configuredByText } from './labels.js';
import { expandReferences } from './references.js';

/** Columns padded with spaces; the last column is not padded. */
export function textTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows].map((row) => row.map((cell) => cell.replace(/\s+/g, ' ')));
  const widths = headers.map((_, index) => Math.max(...all.map((row) => [...(row[index] ?? '')].length)));
  return all
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell + ' '.repeat(widths[index]! - [...cell].length)))
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
