import { loadRegistry } from '../index.js';

const registry = await loadRegistry();
for (const service of registry.services) {
  console.log(`${String(service.port).padStart(5)}  ${service.id.padEnd(14)} ${service.name}`);
}
