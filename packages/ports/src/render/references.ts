// `{port:ID}` in ports.yaml's prose (purpose, notes, details, robustNote,
// reserved purpose) stands for that service's port, or a reserved entry's first
// port, so that moving a port moves every sentence that mentions it.
import { escapeText, MAX_QUOTED } from '../escape.js';
import { PortsError, type Registry } from '../index.js';
import { idList } from '../id-hints.js';
import { expandPortReferences } from '../port-references.js';

/** The port a `{port:ID}` reference names, or undefined for an unknown id. */
export function referencedPort(registry: Registry, id: string): number | undefined {
  if (registry.has(id)) return registry.service(id).port;
  return registry.reserved.find((entry) => entry.id === id)?.start;
}

/** `text` with every `{port:ID}` replaced by the port; throws PortsError naming an unknown id. */
export function expandReferences(registry: Registry, text: string, where = 'ports.yaml'): string {
  return expandPortReferences(
    text,
    (id) => referencedPort(registry, id),
    (id) => {
      const known = [...registry.ids, ...registry.reserved.map((entry) => entry.id)].sort();
      // The id is the prose's (any text up to a `}`: a line break, a terminal escape), `where` the caller's: both escaped and cut.
      throw new PortsError(
        'NOT_FOUND',
        `${escapeText(where, MAX_QUOTED)}: {port:${escapeText(id, MAX_QUOTED)}} names no service or reserved entry; known ids: ${idList(known)}`,
      );
    },
  );
}
