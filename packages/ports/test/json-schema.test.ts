// schema.json against `ports validate`: each document of a table is checked by both, the
// registry parser (parseRegistryText, which `ports validate` runs) and a real JSON Schema validator
// (ajv, draft 2020-12, strict; patterns with the `u` flag as the specification says). The
// schema refuses what validate refuses wherever JSON Schema can say it, and never refuses a
// document that validate accepts; what it cannot say, its description names.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { parse } from 'yaml';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { INVISIBLE_BEYOND_BMP, INVISIBLE_PAIRS, NONCHARACTER_PAIRS, NONCHARACTERS_BEYOND_BMP } from '../src/characters.js';
import { parseRegistryText, registryJsonSchema } from '../src/parse.js';
import { hasUnclosedPortReference } from '../src/port-references.js';
import { NO_UNCLOSED_PORT_REFERENCE } from '../src/registry-json-schema.js';
import { globProblem } from '../src/glob.js';
import { RegistrySchema } from '../src/schema.js';

type JsonSchemaNode = { pattern?: string; allOf?: JsonSchemaNode[] };
/** The patterns a schema node holds, its own and its allOf's (zod writes a second pattern there). */
const patternsOf = (node: JsonSchemaNode): string[] => [...(node.pattern === undefined ? [] : [node.pattern]), ...(node.allOf ?? []).flatMap(patternsOf)];

const schema = registryJsonSchema();
// strictSchema (ajv's default): a keyword ajv does not know, or a malformed one, fails here rather than
// being ignored. Not strictTypes or strictRequired, ajv's own style rules (they want `type` and
// `properties` beside `required` in an if/then branch, where the enclosing schema already has them).
const validateSchema = new Ajv2020({ strictSchema: true, strictTypes: false, strictRequired: false, allErrors: true }).compile(schema);

/** Where `doc` fails schema.json (instance path and message); empty when it passes. */
function jsonSchemaErrors(doc: unknown): string[] {
  return validateSchema(doc) ? [] : (validateSchema.errors ?? []).map((error) => `${error.instancePath || '/'}: ${error.message}`);
}
const REAL = readFileSync(new URL('../../../ports.yaml', import.meta.url), 'utf8');
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');

type Document = Record<string, unknown>;
type Service = Record<string, unknown>;

/** A valid registry: two robust services, a single reserved port and a range. */
function base(): Document {
  return {
    version: 1,
    services: [
      {
        id: 'api',
        name: 'FastAPI',
        group: 'production',
        port: 8000,
        protocol: 'HTTP',
        access: 'private',
        configuredBy: { env: 'CONTIMG_API_PORT' },
        robust: true,
        systemd: { unit: 'dsa110-api.service', claim: 'unit' },
        processes: ['uvicorn'],
      },
      {
        id: 'redis',
        name: 'Redis',
        group: 'production',
        port: 6379,
        protocol: 'TCP',
        access: 'localhost',
        configuredBy: { env: 'REDIS_PORT' },
        robust: true,
        systemd: { unit: 'redis-server.service', claim: 'drop-in' },
        processes: ['redis-server'],
      },
    ],
    reserved: [
      { id: 'api-alt', name: 'Alternative API port', port: 8010, purpose: 'Alternative API port', for: ['api'] },
      { id: 'fallback', name: 'Fallback', start: 3210, end: 3220, purpose: 'Dashboard fallback' },
    ],
  };
}

const api = (change: (service: Service) => void) => (doc: Document) => change((doc.services as Service[])[0]!);
const reserved = (index: number, change: (entry: Record<string, unknown>) => void) => (doc: Document) =>
  change((doc.reserved as Record<string, unknown>[])[index]!);
/** A UDP service (robust: false, no systemd) added to the registry, changed by `change`. */
const udp =
  (change: (service: Service) => void = () => {}) =>
  (doc: Document) => {
    const service: Service = {
      id: 'beam',
      name: 'Beam data',
      group: 'production',
      port: 5000,
      protocol: 'UDP',
      transport: 'udp',
      access: 'private',
      configuredBy: 'hardcoded',
      robust: false,
      processes: ['beamd'],
    };
    change(service);
    (doc.services as Service[]).push(service);
  };
/** `details` as JSON.parse makes it: a `__proto__` key is the object's own, as YAML's is. */
const details = (json: string) => api((service) => void (service.details = JSON.parse(json)));

/** Verdicts: valid for both; invalid for both; or refused by `ports validate` alone, where JSON Schema cannot say it. */
type Verdict = 'valid' | 'invalid' | 'validate only';

const table: [string, (doc: Document) => void, Verdict][] = [
  ['the base registry', () => {}, 'valid'],
  ['a UDP service', udp(), 'valid'],
  ['protocol HTTP over transport udp (HTTP/3)', udp((s) => void (s.protocol = 'HTTP')), 'valid'],
  ['a UDP service with an empty configs list', udp((s) => void (s.configs = [])), 'valid'],
  ['robust: false without systemd', api((s) => void Object.assign(s, { robust: false, systemd: undefined })), 'valid'],
  ['robust: false with a unit and no claim', api((s) => void Object.assign(s, { robust: false, systemd: { unit: 'api.service' } })), 'valid'],
  ['an instance unit name with systemd escapes', api((s) => void (s.systemd = { unit: 'api@a\\x2db:c.service', claim: 'unit' })), 'valid'],
  ['a name with an emoji, a ZWJ sequence and a variation selector', api((s) => void (s.name = 'Dev \u{1F469}\u200d\u{1F4BB} \u{1F600}\ufe0f')), 'valid'],
  ['a name with U+1FFFD and U+E0100 (not noncharacters, not invisible)', api((s) => void (s.name = 'a\u{1FFFD}b\u{E0100}')), 'valid'],
  // Lengths are counted in characters (code points) by both, as JSON Schema's maxLength counts them.
  ['a name of 79 characters and one beyond the BMP (81 UTF-16 units)', api((s) => void (s.name = `${'a'.repeat(79)}\u{1F600}`)), 'valid'],
  ['a closed {port:ID} in prose', api((s) => void (s.purpose = ['Moves to {port:api-alt} when busy'])), 'valid'],
  ['details with plain labels', details('{"Owner":"the pipeline team","Docs":"{port:api}"}'), 'valid'],
  ['one nginx-site config with its upstream', api((s) => void (s.configs = [{ kind: 'nginx-site', upstream: 'redis' }])), 'valid'],
  ['a prometheus-yml config without upstream', api((s) => void (s.configs = [{ kind: 'prometheus-yml' }])), 'valid'],
  // (a) the unit name's characters
  ['systemd.unit "my unit.service"', api((s) => void (s.systemd = { unit: 'my unit.service', claim: 'unit' })), 'invalid'],
  ['systemd.unit "a/b.service"', api((s) => void (s.systemd = { unit: 'a/b.service', claim: 'unit' })), 'invalid'],
  ['systemd.unit "w\u00e9b.service"', api((s) => void (s.systemd = { unit: 'w\u00e9b.service', claim: 'unit' })), 'invalid'],
  ['systemd.unit "a%i.service"', api((s) => void (s.systemd = { unit: 'a%i.service', claim: 'unit' })), 'invalid'],
  ['systemd.unit "a\u{1F600}.service" (beyond the BMP)', api((s) => void (s.systemd = { unit: 'a\u{1F600}.service', claim: 'unit' })), 'invalid'],
  // (b) characters beyond the BMP
  ['a name holding U+1FFFE (a noncharacter)', api((s) => void (s.name = 'api\u{1FFFE}')), 'invalid'],
  ['a name holding U+10FFFF (a noncharacter)', api((s) => void (s.name = 'api\u{10FFFF}')), 'invalid'],
  ['a name holding U+E0041 (a tag character)', api((s) => void (s.name = 'api\u{E0041}')), 'invalid'],
  ['a name holding U+E0001 (the language tag)', api((s) => void (s.name = '\u{E0001}api')), 'invalid'],
  ['a name holding U+1D173 (a musical format control)', api((s) => void (s.name = 'a\u{1D173}pi')), 'invalid'],
  ['a details label holding U+E0041', details('{"Owner\\udb40\\udc41":"x"}'), 'invalid'],
  ['a purpose holding U+10FFFF', api((s) => void (s.purpose = ['x\u{10FFFF}'])), 'invalid'],
  ['a process pattern holding U+2FFFF', api((s) => void (s.processes = ['uvicorn\u{2FFFF}'])), 'invalid'],
  ['a name holding a lone surrogate', api((s) => void (s.name = 'api\ud800')), 'invalid'],
  ['a name holding U+FFFE', api((s) => void (s.name = 'api\ufffe')), 'invalid'],
  ['a name holding a zero-width space', api((s) => void (s.name = 'Ng\u200binx')), 'invalid'],
  ['a name holding U+115F (a Hangul filler)', api((s) => void (s.name = 'Ng\u115finx')), 'invalid'],
  ['a name holding U+0600 (a format character)', api((s) => void (s.name = 'a\u0600pi')), 'invalid'],
  ['a name holding U+FFF0 (default-ignorable, unassigned)', api((s) => void (s.name = 'a\ufff0pi')), 'invalid'],
  ['a name holding U+110CD (a format character beyond the BMP)', api((s) => void (s.name = 'a\u{110CD}pi')), 'invalid'],
  ['a name holding U+E0FFF (default-ignorable beyond the BMP)', api((s) => void (s.name = 'a\u{E0FFF}pi')), 'invalid'],
  ['a name of U+2800 alone (blank)', api((s) => void (s.name = '\u2800')), 'invalid'],
  ['a name of combining marks alone (blank)', api((s) => void (s.name = '\u0301\u0302')), 'invalid'],
  ['a purpose of spaces and a ZWJ (blank)', api((s) => void (s.purpose = [' \u200d '])), 'invalid'],
  ['a name of a letter and combining marks', api((s) => void (s.name = 'e\u0301\u0302')), 'valid'],
  ['a config path with an empty segment', api((s) => void (s.config = '/etc/redis//redis.conf')), 'invalid'],
  ['a config path with a . segment', api((s) => void (s.config = '/etc/./redis/redis.conf')), 'invalid'],
  ['a configs[].path starting with //', api((s) => void (s.configs = [{ kind: 'redis-conf', path: '//etc/redis/redis.conf' }])), 'invalid'],
  ['a config path with dots that are no segment', api((s) => void (s.config = '/etc/.redis/a..b/c.')), 'valid'],
  // (c) rules across the keys of one entry
  ['reserved with port, start and end', reserved(1, (r) => void (r.port = 3210)), 'invalid'],
  ['reserved with port and start', reserved(0, (r) => void (r.start = 8010)), 'invalid'],
  ['reserved with port and end', reserved(0, (r) => void (r.end = 8010)), 'invalid'],
  ['reserved with neither port nor start and end', reserved(1, (r) => void Object.assign(r, { start: undefined, end: undefined })), 'invalid'],
  ['reserved with start only', reserved(1, (r) => void (r.end = undefined)), 'invalid'],
  ['reserved with end only', reserved(1, (r) => void (r.start = undefined)), 'invalid'],
  ['protocol UDP with transport tcp', udp((s) => void (s.transport = 'tcp')), 'invalid'],
  ['protocol UDP without transport (tcp by default)', udp((s) => void (s.transport = undefined)), 'invalid'],
  ['protocol TCP with transport udp', udp((s) => void (s.protocol = 'TCP')), 'invalid'],
  ['robust without systemd', api((s) => void (s.systemd = undefined)), 'invalid'],
  ['robust with a unit and no claim', api((s) => void (s.systemd = { unit: 'api.service' })), 'invalid'],
  ['systemd.claim on a service that is not robust', api((s) => void (s.robust = false)), 'invalid'],
  ['details.__proto__', details('{"__proto__":"x"}'), 'invalid'],
  ['metrics on a UDP service', udp((s) => void (s.metrics = '/metrics')), 'invalid'],
  ['metrics on a TCP service (Redis)', api((s) => void Object.assign(s, { protocol: 'TCP', metrics: '/metrics' })), 'invalid'],
  ['metrics on an HTTPS service', api((s) => void Object.assign(s, { protocol: 'HTTPS', metrics: '/metrics' })), 'valid'],
  ['a config on a UDP service', udp((s) => void (s.configs = [{ kind: 'prometheus-args' }])), 'invalid'],
  [
    'two nginx-site configs',
    api(
      (s) =>
        void (s.configs = [
          { kind: 'nginx-site', upstream: 'redis' },
          { kind: 'nginx-site', upstream: 'api' },
        ]),
    ),
    'invalid',
  ],
  ['an nginx-site config without upstream', api((s) => void (s.configs = [{ kind: 'nginx-site' }])), 'invalid'],
  ['a grafana-datasource config without upstream', api((s) => void (s.configs = [{ kind: 'grafana-datasource' }])), 'invalid'],
  ['an unclosed {port: in purpose', api((s) => void (s.purpose = ['see {port:api'])), 'invalid'],
  ['an unclosed {port: after a closed one in notes', api((s) => void (s.notes = ['{port:api} or {port:api-alt'])), 'invalid'],
  ['an unclosed {port: in a details value', details('{"Moves to":"{port:"}'), 'invalid'],
  ['an unclosed {port: in robustNote', api((s) => void (s.robustNote = 'claims {port:api')), 'invalid'],
  ['an unclosed {port: in accessNote', api((s) => void (s.accessNote = 'on {port:api')), 'invalid'],
  ['an unclosed {port: in a reserved purpose', reserved(0, (r) => void (r.purpose = 'for {port:api')), 'invalid'],
  ['an id listed twice in reserved for:', reserved(0, (r) => void (r.for = ['api', 'api'])), 'invalid'],
  ['a process listed twice', api((s) => void (s.processes = ['uvicorn', 'gunicorn', 'uvicorn'])), 'invalid'],
  ['a config written twice', api((s) => void (s.configs = [{ kind: 'prometheus-yml' }, { kind: 'prometheus-yml' }])), 'invalid'],
  ['a protected process listed twice', (doc) => void (doc.claim = { protect: { processes: ['postgres', 'postgres'] } }), 'invalid'],
  // fnmatch's sets: a `]` first (after `[`, `[!` or `[^`) is one of the set, so an empty set is no set but an unclosed `[`.
  ['a process glob with a ] first in a set', api((s) => void (s.processes = ['a[]]', 'b[!]]', 'c[^]x]'])), 'valid'],
  ['a process glob []', api((s) => void (s.processes = ['[]'])), 'invalid'],
  ['a process glob [!]', api((s) => void (s.processes = ['x[!]'])), 'invalid'],
  ['a protected glob [^]', (doc) => void (doc.claim = { protect: { processes: ['[^]'] } }), 'invalid'],
  ['a built-in unprotected twice', (doc) => void (doc.claim = { protect: { unprotectBuiltin: ['dockerd', 'dockerd'] } }), 'invalid'],
  ['a built-in unprotected once', (doc) => void (doc.claim = { protect: { unprotectBuiltin: ['dockerd'] } }), 'valid'],
  ['an unknown key', api((s) => void (s.colour = 'red')), 'invalid'],
  ['a name of 80 characters and one beyond the BMP', api((s) => void (s.name = `${'a'.repeat(80)}\u{1F600}`)), 'invalid'],
  // What only `ports validate` can refuse: rules across entries, and a range's order.
  ['two services with one id', api((s) => void (s.id = 'redis')), 'validate only'],
  ['two services on one port', api((s) => void (s.port = 6379)), 'validate only'],
  ['two services with one variable', api((s) => void (s.configuredBy = { env: 'REDIS_PORT' })), 'validate only'],
  ['two services claiming from one unit', api((s) => void (s.systemd = { unit: 'redis-server.service', claim: 'unit' })), 'validate only'],
  ['a process glob whose range runs backwards', api((s) => void (s.processes = ['[z-a]'])), 'validate only'],
  ['reserved start greater than end', reserved(1, (r) => void Object.assign(r, { start: 3220, end: 3210 })), 'validate only'],
  ['overlapping reserved ranges', reserved(0, (r) => void (r.port = 3215)), 'validate only'],
  ['a service port inside a range not kept for it', api((s) => void (s.port = 3212)), 'validate only'],
  ['a reserved entry for an unknown service', reserved(0, (r) => void (r.for = ['nope'])), 'validate only'],
  ['a {port:ID} naming no entry', api((s) => void (s.purpose = ['see {port:nope}'])), 'validate only'],
  [
    'one config file listed by its default path and written out',
    api((s) => void (s.configs = [{ kind: 'prometheus-yml' }, { kind: 'prometheus-yml', path: '/etc/prometheus/prometheus.yml' }])),
    'validate only',
  ],
  ['an upstream naming no service', api((s) => void (s.configs = [{ kind: 'nginx-site', upstream: 'nope' }])), 'validate only'],
];

function validateAccepts(doc: Document): boolean {
  // JSON is YAML: the text `ports validate` would read.
  return parseRegistryText(JSON.stringify(doc)).ok;
}

function schemaAccepts(doc: Document): boolean {
  return jsonSchemaErrors(doc).length === 0;
}

describe('schema.json against ports validate', () => {
  it.each(table)('%s', (_, change, verdict) => {
    const doc = base();
    change(doc);
    // A key set to undefined is a key left out (JSON.stringify drops it).
    const json = JSON.parse(JSON.stringify(doc)) as Document;
    expect(validateAccepts(json), 'ports validate').toBe(verdict === 'valid');
    expect(schemaAccepts(json), `schema: ${jsonSchemaErrors(json).join('; ')}`).toBe(verdict === 'valid' || verdict === 'validate only');
  });

  it('accepts the repository registry, as ports validate does', () => {
    const doc = parse(REAL) as Document;
    expect(validateAccepts(doc)).toBe(true);
    expect(jsonSchemaErrors(doc)).toEqual([]);
  });

  it('says which rules only ports validate checks', () => {
    const description = String(schema.description);
    expect(description).toMatch(/`ports validate` is the authority/);
    for (const rule of ['unique', 'overlap', 'start', 'runs backwards', 'decimal point', '{port:ID}', 'upstream', 'duplicate keys'])
      expect(description).toContain(rule);
  });

  // Random text in the places each kind of text goes: the two agree on every string. Texts that would
  // name an entry ({port:ID}) are left out, since which ids exist is a rule across entries.
  const special = [
    '\ud800',
    '\udfff',
    '\udc00\ud800',
    '\u{1FFFE}',
    '\u{10FFFF}',
    '\u{E0001}',
    '\u{E0041}',
    '\u{E007F}',
    '\u{E0080}',
    '\u{E0100}',
    '\u{1D173}',
    '\u{1BCA3}',
    '\u{1F600}',
    '\ufffe',
    '\ufdd0',
    '\u200b',
    '\u200d',
    '\u115f',
    '\u0600',
    '\u2065',
    '\u2800',
    '\u0301',
    '\u3000',
    '\u{110CD}',
    '\u{E00FF}',
    '\u{E01F0}',
    '\u2028',
    '\ufeff',
    '\u0085',
    '\u00e9',
    '\n',
    '\t',
  ];
  const text = fc
    .string({
      unit: fc.oneof(fc.constantFrom(...special), fc.constantFrom(...'aZ09 -_.@:\\/$%{}[]'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
      maxLength: 12,
    })
    .filter((value) => !value.includes('{port:'));
  const places: [string, (doc: Document, value: string) => void][] = [
    ['name', (doc, value) => api((s) => void (s.name = value))(doc)],
    ['purpose', (doc, value) => api((s) => void (s.purpose = [value]))(doc)],
    ['details label', (doc, value) => api((s) => void (s.details = Object.defineProperty({}, value, { value: 'x', enumerable: true })))(doc)],
    ['processes', (doc, value) => api((s) => void (s.processes = [value]))(doc)],
    ['config', (doc, value) => api((s) => void (s.config = `/etc/${value}`))(doc)],
    ['systemd.unit', (doc, value) => api((s) => void (s.systemd = { unit: `a${value}.service`, claim: 'unit' }))(doc)],
    ['metrics', (doc, value) => api((s) => void (s.metrics = `/${value}`))(doc)],
  ];
  it.each(places)('agrees with ports validate on random text as %s', (_, place) => {
    fc.assert(
      fc.property(text, (value) => {
        const doc = base();
        place(doc, value);
        expect(schemaAccepts(doc), JSON.stringify(value)).toBe(validateAccepts(doc));
      }),
      { seed: 20261202, numRuns: 300 },
    );
  });
});

describe('schema.json patterns', () => {
  /** The regular expressions zod runs, by source: what each of schema.json's patterns was made from. */
  const zodRegexes = new Map<string, RegExp>();
  z.toJSONSchema(RegistrySchema, {
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema }) => {
      for (const check of zodSchema._zod.def.checks ?? []) {
        const { pattern } = check._zod.def as { pattern?: unknown };
        if (pattern instanceof RegExp) zodRegexes.set(pattern.source, pattern);
      }
    },
  });
  const patterns = new Set<string>();
  JSON.stringify(schema, (key, value) => {
    if (key === 'pattern') patterns.add(value as string);
    return value;
  });

  // Where zod (its regex, with its own flags) and a JSON Schema validator (the `u` flag) could part: characters
  // beyond the BMP, lone and reversed surrogates, and the edges of every set of characters.characters.ts.
  const strings = [
    '',
    'a',
    'api.service',
    'Nginx',
    ...['\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800', '\ud83f\udffe'].flatMap((s) => [s, `a${s}`, `${s}b`]),
    ...[0x10000, 0x110bd, 0x110cd, 0x13430, 0x1343f, 0x13440, 0x1bc9f, 0x1bca0, 0x1bca3, 0x1bca4, 0x1d172, 0x1d173, 0x1d17a, 0x1d17b, 0x1f600, 0x1fffd]
      .concat([0x1fffe, 0x1ffff, 0x2fffe, 0xdfffe, 0xe00ff, 0xe01f0, 0xe0fff, 0xe1000])
      .concat([0xdffff, 0xe0000, 0xe0001, 0xe0041, 0xe007f, 0xe0080, 0xe0100, 0xe01ef, 0xffffe, 0xfffff, 0x10fffd, 0x10fffe, 0x10ffff])
      .flatMap((code) => [String.fromCodePoint(code), `a${String.fromCodePoint(code)}.service`, `/x/${String.fromCodePoint(code)}`]),
  ];

  it('each means, read with the `u` flag, what the regex zod runs means', () => {
    expect(patterns.size).toBeGreaterThan(10);
    for (const pattern of patterns) {
      // The one pattern the generator adds (no zod regex) must mean the same with the flag and without.
      if (!zodRegexes.has(pattern)) expect(pattern).toBe(NO_UNCLOSED_PORT_REFERENCE);
      const zod = zodRegexes.get(pattern) ?? new RegExp(pattern);
      const json = new RegExp(pattern, 'u');
      for (const value of strings) expect(json.test(value), `${pattern} on ${JSON.stringify(value)}`).toBe(zod.test(value));
    }
  });

  it('the port-reference pattern refuses what hasUnclosedPortReference finds, and only that', () => {
    const pattern = new RegExp(NO_UNCLOSED_PORT_REFERENCE, 'u');
    const pieces = fc.constantFrom('{port:', '{port:api}', '{', '}', 'port:', 'p', ' ', 'x\u{1F600}');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 10 }), (parts) => {
        const value = parts.join('');
        expect(pattern.test(value), JSON.stringify(value)).toBe(!hasUnclosedPortReference(value));
      }),
      { seed: 20261202, numRuns: 2000 },
    );
    // Linear, however many `{port:` a text holds: `^(?![\s\S]*\{port:[^}]*$)` takes 5 s on 20,000 before one `}`.
    const started = performance.now();
    expect(pattern.test(`${'{port:'.repeat(100_000)}}`)).toBe(true);
    expect(pattern.test('{port:'.repeat(100_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('the processes patterns accept every glob glob.ts reads, and refuse every other but one with a backwards range', () => {
    const items = (schema as { properties: { services: { items: { properties: { processes: { items: JsonSchemaNode } } } } } }).properties.services.items
      .properties.processes.items;
    const patterns = patternsOf(items).map((source) => new RegExp(source, 'u'));
    const alphabet = ['[', ']', '!', '^', '-', 'a', 'z'];
    let globs = [''];
    const differ: string[] = [];
    for (let length = 1; length <= 6; length++) {
      globs = globs.flatMap((glob) => alphabet.map((c) => glob + c));
      for (const glob of globs) {
        // A backwards range, which glob.ts may say before an unclosed set after it, is validate's alone either way.
        const problem = globProblem(glob);
        if (problem?.includes('runs backwards')) continue;
        if (patterns.every((pattern) => pattern.test(glob)) !== (problem === undefined)) differ.push(glob);
      }
    }
    expect(differ).toEqual([]);
  });

  it('the code-point sets beyond the BMP are the surrogate-pair sets, code point by code point', () => {
    for (const [pairs, codePoints] of [
      [INVISIBLE_PAIRS, INVISIBLE_BEYOND_BMP],
      [NONCHARACTER_PAIRS, NONCHARACTERS_BEYOND_BMP],
    ] as const) {
      const asPairs = new RegExp(`^(?:${pairs})$`);
      const asCodePoints = new RegExp(`^[${codePoints}]$`, 'u');
      const differ: string[] = [];
      for (let code = 0x10000; code <= 0x10ffff; code++) {
        const char = String.fromCodePoint(code);
        if (asPairs.test(char) !== asCodePoints.test(char)) differ.push(code.toString(16));
      }
      expect(differ).toEqual([]);
    }
  });
});

describe("the README's list of a service's keys", () => {
  it('names as required what the schema requires, and the rest as optional', () => {
    const sentence = README.match(/A service must have (.*?) are optional\./)?.[1] ?? '';
    const [required, optional] = sentence.split(/\); /);
    const keys = (text = '') => [...text.replace(/\([^)]*\)?/g, '').matchAll(/`([a-zA-Z]+)`/g)].map(([, key]) => key!).sort();
    const service = RegistrySchema.shape.services.element;
    const all = Object.keys(service.shape);
    const needed = all.filter((key) => !(service.shape as Record<string, z.ZodType>)[key]!.safeParse(undefined).success);
    expect(keys(required)).toEqual([...needed].sort());
    expect(keys(optional)).toEqual(all.filter((key) => !needed.includes(key)).sort());
  });
});
