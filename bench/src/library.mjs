// The library scenario's script: import @dsa110/ports and load a registry, as
// a service would. `node src/library.mjs` loads the bundled registry;
// `node src/library.mjs <ports.yaml>` parses a file (which loads yaml and zod).
import { loadRegistry } from '@dsa110/ports';

const path = process.argv[2];
const registry = await (path ? loadRegistry({ path }) : loadRegistry());
if (registry.ids.length === 0 || registry.resolvePort(registry.ids[0]).port <= 0) process.exit(3);
