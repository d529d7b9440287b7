// The Configured Services table: where each robust service's claim-port line lives, and the port it claims (PORT/udp
// for a UDP service, as its claim line says).
import type { Registry } from '../index.js';
import { claimLocation } from './labels.js';
import { inlineCode, markdownTable, markdownText } from './markdown.js';

export function renderConfiguredServices(registry: Registry, unitDir = '/etc/systemd/system'): string {
  const rows = registry.services.flatMap((service) => {
    const location = claimLocation(service, unitDir);
    if (!location || !service.systemd) return [];
    return [
      [
        markdownText(service.systemd.unit.replace(/\.service$/, '')),
        service.transport === 'udp' ? `${service.port}/udp` : String(service.port),
        inlineCode(location),
      ],
    ];
  });
  if (rows.length === 0) return '_No robust services in the registry._';
  return markdownTable(['Service', 'Port', 'Configuration Location'], rows);
}
