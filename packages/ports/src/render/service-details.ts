// The per-service sections of Production Services, Monitoring Stack and
// Development Services: one `### Port N - Title` heading per service.
import type { Group, Registry, Service } from '../index.js';
import { accessLabel } from './labels.js';
import { codeOrProse, inlineCode, markdownProse, markdownText, sanitizeMarkdownLine } from './markdown.js';
import { metricsJob, SCRAPE_INTERVAL } from './prometheus-config.js';
import { expandReferences } from './references.js';

export function renderServiceDetails(registry: Registry, group: Group): string {
  const services = registry.services.filter((service) => service.group === group);
  if (services.length === 0) return `_No ${group} services in the registry._`;
  return services.map((service) => renderService(registry, service)).join('\n\n');
}

export function renderService(registry: Registry, service: Service): string {
  const text = (value: string, field: string) => markdownProse(sanitizeMarkdownLine(expandReferences(registry, value, `services.${service.id}.${field}`)));
  // A title ending in " #" would lose it: Markdown reads trailing #s after a space as the heading's closing sequence.
  const title = markdownText(sanitizeMarkdownLine(service.title)).replace(/(\s)(#+)$/, '$1\\$2');
  const lines: string[] = [`### Port ${service.port} - ${title}`, ''];
  const item = (label: string, value: string) => lines.push(`- **${label}:** ${value}`);
  const list = (label: string, plural: string, values: readonly string[]) => {
    if (values.length === 1) item(label, values[0]!);
    else if (values.length > 1) {
      lines.push(`- **${plural}:**`);
      for (const value of values) lines.push(`  - ${value}`);
    }
  };

  if (service.config) {
    const configuredBy = service.configuredBy;
    const key = typeof configuredBy === 'object' && 'key' in configuredBy && configuredBy.key ? ` (${markdownText(configuredBy.key)} = ${service.port})` : '';
    item('Config', `${inlineCode(service.config)}${key}`);
  }
  if (service.systemd) item('Service', inlineCode(service.systemd.unit));
  if (service.env) item('Environment Variable', inlineCode(service.env));
  if (service.command) item('Command', codeOrProse(service.command));
  list(
    'Purpose',
    'Purpose',
    service.purpose.map((line, index) => text(line, `purpose[${index}]`)),
  );
  // Prometheus's section says what the generated prometheus.yml scrapes (`ports monitoring`): each job, its path, port and interval.
  if (service.configs.some((ref) => ref.kind === 'prometheus-yml')) {
    list(
      'Scrapes',
      'Scrapes',
      registry.services.flatMap((scraped) =>
        scraped.metrics === undefined
          ? []
          : [
              `${metricsJob(scraped.id)} (${inlineCode(scraped.metrics)} on port ${scraped.port}) every ${inlineCode(scraped.scrapeInterval ?? SCRAPE_INTERVAL)}`,
            ],
      ),
    );
  }
  item('Access', service.accessNote ? text(service.accessNote, 'accessNote') : accessLabel(service.access));
  for (const [label, value] of Object.entries(service.details)) item(markdownText(sanitizeMarkdownLine(label)), text(value, `details.${label}`));
  list(
    'Note',
    'Notes',
    service.notes.map((line, index) => text(line, `notes[${index}]`)),
  );
  return lines.join('\n');
}
