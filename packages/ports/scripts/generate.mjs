// Generated files of @dsa110/ports, made from the root ports.yaml:
//   src/generated/registry.ts  the validated registry and the ServiceId union
//   schema.json                the JSON Schema that ports.yaml's first line names
// test/generated.test.ts fails when a committed copy is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const registryFile = join(root, '../../ports.yaml');
export const generatedFile = join(root, 'src/generated/registry.ts');
export const schemaFile = join(root, 'schema.json');

/** The generated files' contents; undefined (after printing why) when ports.yaml is invalid. */
export function render(parser, text = readFileSync(registryFile, 'utf8')) {
  const result = parser.parseRegistryText(text);
  if (!result.ok) {
    for (const issue of result.issues) {
      const where = issue.line > 0 ? `ports.yaml:${issue.line}:${issue.column}` : 'ports.yaml';
      console.error(`${where}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`);
    }
    return undefined;
  }
  const { $schema: _ignored, ...data } = result.data;
  const ids = [...data.services].sort((a, b) => a.port - b.port).map((service) => JSON.stringify(service.id));
  const registry = `// Generated from ports.yaml by packages/ports/scripts/generate.mjs: do not edit.
// Edit ports.yaml and run \`pnpm build\`; a test fails when this copy is stale.
import type { RegistryData } from '../schema.js';

/** The id of every service in the bundled registry. */
export type ServiceId = ${ids.join(' | ') || 'never'};

export const bundledRegistry: RegistryData = ${JSON.stringify(data, null, 2)};
`;
  const schema = `${JSON.stringify(parser.registryJsonSchema(), null, 2)}\n`;
  return { registry, schema };
}

export function generate({ parser, write }) {
  const files = render(parser);
  if (!files) return false;
  if (write) {
    writeIfChanged(generatedFile, files.registry);
    writeIfChanged(schemaFile, files.schema);
  }
  return true;
}

function writeIfChanged(file, contents) {
  let current;
  try {
    current = readFileSync(file, 'utf8');
  } catch {}
  if (current !== contents) writeFileSync(file, contents);
}
