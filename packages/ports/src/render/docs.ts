// The port reference page (docs/ports.md): which generated sections it has,
// what each inline reference stands for, and the page regenerated from a registry.
import type { Registry } from '../index.js';
import { renderConfiguredServices } from './configured-services.js';
import { markdownText } from './markdown.js';
import { renderQuickReference } from './quick-reference.js';
import { referencedPort } from './references.js';
import { renderReserved } from './reserved.js';
import { renderServiceDetails } from './service-details.js';
import { renderClaimPortUsage, renderCommonCommands, renderFirewall } from './snippets.js';
import { spliceMarkers } from './splice.js';

/** The generated sections of the reference page, in page order, by marker name. */
export const DOC_SECTIONS = Object.freeze({
  'quick-reference': renderQuickReference,
  'production-services': (registry: Registry) => renderServiceDetails(registry, 'production'),
  'monitoring-services': (registry: Registry) => renderServiceDetails(registry, 'monitoring'),
  'development-services': (registry: Registry) => renderServiceDetails(registry, 'development'),
  reserved: renderReserved,
  'claim-port-usage': (registry: Registry) => renderClaimPortUsage(registry),
  'configured-services': (registry: Registry) => renderConfiguredServices(registry),
  'common-commands': renderCommonCommands,
  firewall: renderFirewall,
} satisfies Record<string, (registry: Registry) => string>);

export type DocSection = keyof typeof DOC_SECTIONS;

/** Every generated section's Markdown. */
export function renderDocSections(registry: Registry): Record<DocSection, string> {
  return Object.fromEntries(Object.entries(DOC_SECTIONS).map(([name, render]) => [name, render(registry)])) as Record<DocSection, string>;
}

/** The value of an inline `<!-- ports:ref KEY -->` reference, or undefined for an unknown key. */
export function docReference(registry: Registry, key: string): string | undefined {
  if (key.startsWith('port:')) {
    const port = referencedPort(registry, key.slice('port:'.length));
    return port === undefined ? undefined : String(port);
  }
  switch (key) {
    case 'claim:timeout':
      return String(registry.claim.timeoutSeconds);
    case 'claim:protected':
      // As text (a pattern may hold < & [ * or a backtick), with | escaped too: the value may sit in a table cell.
      return registry.claim.protectedProcesses.map((name) => markdownText(name).replace(/\|/g, '\\|')).join(', ');
    case 'claim:pids':
      return String(registry.claim.protectedPidsUpTo);
    default:
      return undefined;
  }
}

/** `text` (the page) with every generated section and reference rebuilt from `registry`. Throws MarkerError. */
export function regenerateDocs(text: string, registry: Registry, file = 'docs/ports.md'): string {
  return spliceMarkers(text, { file, blocks: renderDocSections(registry), reference: (key) => docReference(registry, key) });
}
