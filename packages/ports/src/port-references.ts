// `{port:ID}` in ports.yaml's prose (purpose, notes, details, accessNote,
// robustNote, a reserved entry's purpose) stands for the port of service ID, or
// a reserved entry's first port: moving a port moves every sentence that
// mentions it. The syntax lives here; the registry expands, the rules check,
// the renderers report.

const REFERENCE = /\{port:([^}]*)\}/g;

/** The ids `text` refers to, in order (unknown ones included). */
export function portReferenceIds(text: string): string[] {
  return [...text.matchAll(REFERENCE)].map((match) => match[1]!);
}

/** `text` with each `{port:ID}` replaced by `portOf(ID)`; `unknown(ID)` decides for an id with no port (default: leave it). */
export function expandPortReferences(
  text: string,
  portOf: (id: string) => number | undefined,
  unknown: (id: string) => string = (id) => `{port:${id}}`,
): string {
  // Most prose refers to no port: a registry's load expands every sentence.
  if (!text.includes('{port:')) return text;
  return text.replace(REFERENCE, (_, id: string) => {
    const port = portOf(id);
    return port === undefined ? unknown(id) : String(port);
  });
}
