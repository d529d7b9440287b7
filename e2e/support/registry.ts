// The test registry: ports.yaml itself, shifted onto a free high port range,
// so the real daemons run from the same entries the pipeline uses (ids, env
// names, process names, systemd units and claim settings all kept).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseRegistry, type Registry } from '@dsa110/ports';
import { parseRegistryText } from '../../packages/ports/src/parse.js';
import type { RegistryData } from '../../packages/ports/src/schema.js';

export type RegistryFileData = RegistryData;
type ServiceData = RegistryData['services'][number];

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const portsYaml = `${repoRoot}ports.yaml`;

/** ports.yaml as validated data (the shape the file holds, defaults filled in). */
export function readPortsYaml(): RegistryData {
  const result = parseRegistryText(readFileSync(portsYaml, 'utf8'));
  if (!result.ok) throw new Error(`e2e: ports.yaml does not validate: ${JSON.stringify(result.issues)}`);
  return result.data;
}

/** Every port ports.yaml names (services and reserved), as offsets for findFreeBase. */
export function registryPorts(data: RegistryData): number[] {
  const ports = data.services.map((service) => service.port);
  for (const entry of data.reserved) {
    if (entry.port !== undefined) ports.push(entry.port);
    if (entry.start !== undefined && entry.end !== undefined) for (let p = entry.start; p <= entry.end; p++) ports.push(p);
  }
  return ports;
}

export interface ShiftOptions {
  /** Added to every port, services and reserved alike. */
  base: number;
  /** Service ids to drop (e.g. Grafana: no Debian package). */
  drop?: readonly string[];
  /** Services to add (ports as given, not shifted). */
  add?: readonly ServiceData[];
}

/** ports.yaml with every port moved up by `base`. */
export function shiftRegistry(data: RegistryData, options: ShiftOptions): RegistryData {
  const drop = new Set(options.drop ?? []);
  const services = data.services.filter((service) => !drop.has(service.id)).map((service) => ({ ...service, port: service.port + options.base }));
  const reserved = data.reserved.map((entry) => ({
    ...entry,
    ...(entry.port !== undefined && { port: entry.port + options.base }),
    ...(entry.start !== undefined && { start: entry.start + options.base }),
    ...(entry.end !== undefined && { end: entry.end + options.base }),
    for: entry.for.filter((id) => !drop.has(id)),
  }));
  return { ...data, services: [...services, ...(options.add ?? [])], reserved };
}

/**
 * Write registry data to `path` (JSON, which is YAML) and load it back through
 * the library, so a test registry the registry rules reject fails here, loudly.
 */
export function writeRegistry(path: string, data: RegistryData, comment: string): Registry {
  const { $schema: _schema, ...rest } = data;
  const text = `${comment.replace(/^/gm, '# ')}\n${JSON.stringify(rest, null, 2)}\n`;
  writeFileSync(path, text);
  return parseRegistry(text, { source: path });
}
