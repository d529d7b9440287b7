// A --service value that is service ids separated by white space
// (`--service "$IDS"`, IDS="api redis"), told apart from a service's name or
// title (`FastAPI Backend`), which the registry's own hint answers: only when
// the registry knows the whole value as nothing, and every word as an id.
import { PortsError, quoteValue, type Registry, type Service } from '@dsa110/ports';

/** The ids of several services, given as one separated by white space: an unknown service, with the ids it holds. */
export class SpacedIdsError extends PortsError {
  /** The value as given, and the ids in it. */
  readonly value: string;
  readonly ids: readonly string[];

  constructor(value: string, ids: readonly string[]) {
    super(
      'UNKNOWN_SERVICE',
      `unknown service ${quoteValue(value)}: it holds the ids of ${ids.length} services (${ids.map((id) => `"${id}"`).join(', ')}) separated by white space; give each as an id of its own`,
    );
    this.value = value;
    this.ids = ids;
  }
}

/**
 * The service `value` names. The whole value is asked first (Registry.service(), whose
 * hint knows a name, a title, a unit and a port); when that fails and each of its words
 * is an id of the registry, a SpacedIdsError; else the registry's error.
 */
export function chosenService(registry: Registry, value: string): Service {
  try {
    return registry.service(value);
  } catch (error) {
    const words = value.trim().split(/\s+/);
    if (error instanceof PortsError && words.length > 1 && words.every((word) => registry.has(word))) throw new SpacedIdsError(value, words);
    throw error;
  }
}
