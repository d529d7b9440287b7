// The JSON Schema of ports.yaml (schema.json, `ports schema`): zod's, made from schema.ts, plus
// each rule of rules.ts that JSON Schema can say about one entry on its own, so that an editor
// refuses what `ports validate` would. What it cannot say (rules across entries, the YAML text
// itself) its description names. Loaded with the parser only (parse.ts re-exports it).
import * as z from 'zod';
import { CONFIG_KINDS, configKinds } from './config-kinds.js';
import { ConfigRefSchema, RegistrySchema, ReservedSchema, ServiceSchema } from './schema.js';

type JsonSchema = Record<string, unknown>;

/**
 * No `{port:` that no `}` closes (port-references.ts, hasUnclosedPortReference): every `{port:` is
 * followed by a `}`. Each position has one way to match, so a validator's backtracking stays linear
 * however many `{port:` a text holds; no construct the `u` flag reads otherwise.
 */
export const NO_UNCLOSED_PORT_REFERENCE = '^(?:[^{]|\\{(?!port:)|\\{port:[^}]*\\})*$';
const closedReferences = { pattern: NO_UNCLOSED_PORT_REFERENCE };

/** JSON Schema's if/then: where `condition` holds, `consequence` must too. */
function ifThen(condition: JsonSchema, consequence: JsonSchema): JsonSchema {
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword, not a promise's method
  return { if: condition, then: consequence };
}

/** `key: value` required: an `if` that is false, not vacuously true, when the key is absent. */
const has = (key: string, value: unknown): JsonSchema => ({ properties: { [key]: { const: value } }, required: [key] });

/** A service's rules across its own keys (rules.ts, checkRules), and its prose's port references. */
const SERVICE_RULES: JsonSchema[] = [
  // The tools check and claim a port by its transport (tcp by default), not by the protocol's label.
  ifThen(has('protocol', 'UDP'), has('transport', 'udp')),
  ifThen(has('protocol', 'TCP'), { properties: { transport: { const: 'tcp' } } }),
  // A robust service says where claim-port is wired; only a robust one claims.
  ifThen(has('robust', true), { properties: { systemd: { required: ['claim'] } }, required: ['systemd'] }),
  ifThen(has('robust', false), { properties: { systemd: { not: { required: ['claim'] } } } }),
  // Metrics are scraped, and every config kind is served, over TCP.
  ifThen(has('transport', 'udp'), { not: { required: ['metrics'] }, properties: { configs: { maxItems: 0 } } }),
  // A scrape is an HTTP request: metrics belong to a service that answers HTTP.
  ifThen({ required: ['metrics'] }, { properties: { protocol: { enum: ['HTTP', 'HTTPS'] } } }),
  // A scrape interval is the interval of the metrics scrape: no metrics, nothing to scrape.
  { dependentRequired: { scrapeInterval: ['metrics'] } },
  // nginx ignores a second server block on the same port.
  { properties: { configs: { contains: has('kind', 'nginx-site'), minContains: 0, maxContains: 1 } } },
  {
    properties: {
      accessNote: closedReferences,
      robustNote: closedReferences,
      purpose: { items: closedReferences },
      notes: { items: closedReferences },
      // zod's record drops a `__proto__` label without a word; parse.ts refuses it.
      details: { propertyNames: { not: { const: '__proto__' } }, additionalProperties: closedReferences },
    },
  },
];

/** A reserved entry is a port, or a range from start to end: never both, never neither, never half a range. */
const RESERVED_RULES: JsonSchema[] = [
  { oneOf: [{ required: ['port'] }, { required: ['start', 'end'] }], dependentRequired: { start: ['end'], end: ['start'] } },
  { properties: { purpose: closedReferences } },
];

/** A kind whose snippet points at another service names it. */
const CONFIG_REF_RULES: JsonSchema[] = [
  ifThen({ properties: { kind: { enum: configKinds.filter((kind) => CONFIG_KINDS[kind].needsUpstream) } }, required: ['kind'] }, { required: ['upstream'] }),
];

const RULES = new Map<unknown, JsonSchema[]>([
  [ServiceSchema, SERVICE_RULES],
  [ReservedSchema, RESERVED_RULES],
  [ConfigRefSchema, CONFIG_REF_RULES],
]);

/** What only `ports validate` checks: said in the schema's description (and the README's `ports schema`). */
const DESCRIPTION =
  'The shape of ports.yaml, and each rule within one entry. `ports validate` is the authority: it also checks what JSON Schema cannot say, ' +
  'across entries: that ids, ports (per transport), port variables and claim units are unique; that reserved ranges do not overlap; ' +
  "that a service's port lies in no reserved range not kept (for:) for it; that no two services set a config file's one-port setting " +
  "(redis.conf's port, /etc/default/prometheus's --web.listen-address, a Grafana datasource's url, a configuredBy key) to two ports; " +
  'that for:, upstream: and {port:ID} name an entry that exists ' +
  '(upstream: a TCP service); that a metrics path does not clash with the locations of the nginx-site snippet that proxies it; ' +
  "within an entry, that a reserved range's start is at most its end, and that no range in a process glob runs backwards ([z-a]); " +
  'and in the YAML text: whole numbers written without a decimal point ' +
  '(61800, not 61800.0), no duplicate keys, no tags or merge keys, and its limits on aliases, nesting, values and size.';

/** The JSON Schema of ports.yaml, for editors (yaml-language-server) and `ports schema`. */
export function registryJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RegistrySchema, {
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      const rules = RULES.get(zodSchema);
      if (rules) jsonSchema.allOf = [...(jsonSchema.allOf ?? []), ...rules];
    },
  }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: 'https://dsa110.github.io/ports/schema.json',
    title: 'DSA-110 port registry (ports.yaml)',
    description: DESCRIPTION,
    ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== '$schema')),
  };
}
