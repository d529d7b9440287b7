// Rules that span entries of a registry whose entries are each well formed.
// Pure: data in, problems out, with paths the parser turns into line:column.
import type { RegistryData, ReservedData, ServiceData } from './schema.js';
import { CONFIG_KINDS } from './config-kinds.js';
import { portReferenceIds } from './port-references.js';

export type PathSegment = string | number;

export interface RuleProblem {
  path: PathSegment[];
  message: string;
}

export interface PortRange {
  start: number;
  end: number;
}

/** A reserved entry's ports, from `port` or `start`/`end`; undefined when malformed. */
export function reservedRange(entry: { port?: number; start?: number; end?: number }): PortRange | undefined {
  if (entry.port !== undefined) return { start: entry.port, end: entry.port };
  if (entry.start !== undefined && entry.end !== undefined && entry.start <= entry.end) {
    return { start: entry.start, end: entry.end };
  }
  return undefined;
}

export function formatRange(range: PortRange): string {
  return range.start === range.end ? String(range.start) : `${range.start}-${range.end}`;
}

/**
 * Entries that are each well formed; an entry that is not is `undefined`, so
 * that cross-entry problems are found alongside the per-entry ones.
 */
export interface CheckableRegistry {
  services: readonly (ServiceData | undefined)[];
  reserved: readonly (ReservedData | undefined)[];
  /** Ids of every service entry, broken ones included, so that references to them are not flagged. */
  serviceIds?: readonly string[];
}

export function checkRules(data: CheckableRegistry | RegistryData): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const ids = new Map<string, string>();
  const serviceIds = new Set('serviceIds' in data && data.serviceIds ? data.serviceIds : data.services.flatMap((service) => (service ? [service.id] : [])));

  const claimId = (id: string, path: PathSegment[]) => {
    const first = ids.get(id);
    if (first) problems.push({ path: [...path, 'id'], message: `duplicate id "${id}": ${first} already has it` });
    else ids.set(id, `${path[0]}[${path[1]}]`);
  };

  const ports = new Map<string, string>();
  const envVars = new Map<string, string>();
  data.services.forEach((service, index) => {
    if (!service) return;
    const path = ['services', index];
    claimId(service.id, path);
    const key = `${service.port}/${service.transport}`;
    const owner = ports.get(key);
    if (owner) {
      problems.push({
        path: [...path, 'port'],
        message: `port ${service.port}/${service.transport} is already used by service "${owner}"`,
      });
    } else {
      ports.set(key, service.id);
    }
    if (typeof service.configuredBy === 'object' && 'env' in service.configuredBy) {
      const variable = service.configuredBy.env;
      const other = envVars.get(variable);
      if (other) {
        problems.push({
          path: [...path, 'configuredBy', 'env'],
          message: `environment variable ${variable} is already used by service "${other}"`,
        });
      } else {
        envVars.set(variable, service.id);
      }
    }
    if (service.robust && !service.systemd?.claim) {
      problems.push({
        path: [...path, 'systemd'],
        message: 'a robust service needs systemd.unit and systemd.claim (unit or drop-in) to say where claim-port is wired',
      });
    }
    if (service.systemd?.claim && !service.robust) {
      problems.push({
        path: [...path, 'systemd', 'claim'],
        message: 'only a robust service claims its port: set robust: true or remove systemd.claim',
      });
    }
    (service.configs ?? []).forEach((ref, refIndex) => {
      const refPath = [...path, 'configs', refIndex];
      if (ref.upstream !== undefined && !serviceIds.has(ref.upstream)) {
        problems.push({ path: [...refPath, 'upstream'], message: `unknown service "${ref.upstream}"` });
      } else if (ref.upstream === undefined && CONFIG_KINDS[ref.kind].needsUpstream) {
        problems.push({ path: refPath, message: `a ${ref.kind} config needs upstream: the id of the service it points at` });
      }
    });
  });

  const ranges: { id: string; range: PortRange; index: number }[] = [];
  data.reserved.forEach((entry, index) => {
    if (!entry) return;
    const path = ['reserved', index];
    claimId(entry.id, path);
    if (entry.port !== undefined && (entry.start !== undefined || entry.end !== undefined)) {
      problems.push({ path: [...path, 'port'], message: 'give either port or start and end, not both' });
      return;
    }
    if (entry.port === undefined && entry.start === undefined && entry.end === undefined) {
      problems.push({ path, message: 'needs port, or start and end' });
      return;
    }
    if (entry.port === undefined && (entry.start === undefined || entry.end === undefined)) {
      const [given, missing] = entry.start === undefined ? ['end', 'start'] : ['start', 'end'];
      problems.push({ path: [...path, given], message: `needs ${missing} as well` });
      return;
    }
    if (entry.start !== undefined && entry.end !== undefined && entry.start > entry.end) {
      problems.push({ path: [...path, 'start'], message: `start ${entry.start} is greater than end ${entry.end}` });
      return;
    }
    for (const allowed of entry.for) {
      if (!serviceIds.has(allowed)) {
        problems.push({ path: [...path, 'for'], message: `unknown service "${allowed}"` });
      }
    }
    const range = reservedRange(entry)!;
    for (const other of ranges) {
      if (range.start <= other.range.end && other.range.start <= range.end) {
        problems.push({
          path: [...path, entry.port !== undefined ? 'port' : 'start'],
          message: `reserved ${formatRange(range)} overlaps reserved "${other.id}" (${formatRange(other.range)})`,
        });
      }
    }
    ranges.push({ id: entry.id, range, index });
  });

  data.services.forEach((service, index) => {
    if (!service) return;
    for (const { id, range, index: reservedIndex } of ranges) {
      if (service.port < range.start || service.port > range.end) continue;
      if (data.reserved[reservedIndex]?.for.includes(service.id)) continue;
      problems.push({
        path: ['services', index, 'port'],
        message: `port ${service.port} is inside reserved "${id}" (${formatRange(range)}), which is not reserved for "${service.id}"`,
      });
    }
  });

  // `{port:ID}` in prose stands for that entry's port on the reference page (syntax: src/port-references.ts).
  if (data.reserved.every((entry) => entry !== undefined)) {
    const known = new Set([...serviceIds, ...data.reserved.flatMap((entry) => (entry ? [entry.id] : []))]);
    const checkText = (text: string | undefined, path: PathSegment[]) => {
      for (const id of portReferenceIds(text ?? '')) {
        if (!known.has(id)) problems.push({ path, message: `{port:${id}} names no service or reserved entry; write the id of one` });
      }
    };
    data.services.forEach((service, index) => {
      if (!service) return;
      const path = ['services', index];
      checkText(service.robustNote, [...path, 'robustNote']);
      checkText(service.accessNote, [...path, 'accessNote']);
      service.purpose.forEach((text, line) => {
        checkText(text, [...path, 'purpose', line]);
      });
      service.notes.forEach((text, line) => {
        checkText(text, [...path, 'notes', line]);
      });
      for (const [label, text] of Object.entries(service.details ?? {})) checkText(text, [...path, 'details', label]);
    });
    data.reserved.forEach((entry, index) => {
      checkText(entry?.purpose, ['reserved', index, 'purpose']);
    });
  }

  return problems;
}
