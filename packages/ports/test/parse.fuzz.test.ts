// Property-based: whatever the text, the registry parser answers with data or
// with issues that have a line and a column; parseRegistry() throws nothing but
// RegistryError, and prints no process warning. Fixed seed and bounded runs, so CI is repeatable and fast;
// FUZZ_SEED / FUZZ_RUNS explore further by hand.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRegistry, RegistryError } from '../src/index.js';
import { parseRegistryText } from '../src/parse.js';

const seed = Number(process.env.FUZZ_SEED ?? 20261130);
const numRuns = Number(process.env.FUZZ_RUNS ?? 100);
const REAL = readFileSync(new URL('../../../ports.yaml', import.meta.url), 'utf8');

// Nothing the parser reads may reach stderr as a process warning either (yaml's
// toJS() warns on a list used as a key, for one).
const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(warning.message);
beforeAll(() => void process.on('warning', onWarning));
afterAll(() => void process.off('warning', onWarning));
afterEach(async () => {
  await new Promise((resolve) => setImmediate(resolve));
  expect(warnings).toEqual([]);
});

function holds(text: string): void {
  try {
    parseRegistry(text);
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    const { issues } = error as RegistryError;
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(Number.isInteger(issue.line) && issue.line >= 0, JSON.stringify(issue)).toBe(true);
      expect(Number.isInteger(issue.column) && issue.column >= 0, JSON.stringify(issue)).toBe(true);
      expect(issue.message).not.toMatch(/^internal error/);
    }
  }
}

// Pieces of YAML that have broken parsers: aliases, anchors, tags, flow
// collections, odd numbers, directives, document markers, control characters.
const TOKENS = [
  '*x',
  '&x ',
  '*a',
  '&a ',
  '!!int ',
  '!!float ',
  '!!binary ',
  '!!set ',
  '!!timestamp ',
  '!foo ',
  '! ',
  '[',
  ']',
  '{',
  '}',
  ', ',
  ': ',
  '- ',
  '? ',
  '|',
  '>',
  '<<: ',
  '#',
  '"',
  "'",
  '\\',
  '\n',
  '\r',
  '\r\n',
  '\t',
  '  ',
  '\u0000',
  '\u001b[31m',
  '\uFEFF',
  '\u2028',
  '0xF168',
  '6.18e4',
  '061800',
  '61800.',
  '.inf',
  '.nan',
  '-1',
  '1e-300',
  '99999999999999999999',
  '~',
  'null',
  'true',
  'yes',
  '%YAML 1.1\n',
  '%TAG ! tag:x,2000:\n',
  '---\n',
  '...\n',
  '__proto__',
  'constructor',
  'toString',
  'services',
  'reserved',
  'claim',
  'port: ',
  'id: ',
  'for: ',
  'start: ',
  'end: ',
  'protect: ',
  'pidsUpTo: ',
  'timeoutSeconds: ',
];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('text' as const), at: fc.nat(), text: fc.string({ maxLength: 8, unit: 'binary' }) }),
);

type Step = { kind: string; at: number; token?: string; length?: number; text?: string };

function mutate(text: string, steps: readonly Step[]): string {
  let out = text;
  for (const step of steps) {
    const at = out.length === 0 ? 0 : step.at % out.length;
    if (step.kind === 'insert') out = out.slice(0, at) + step.token + out.slice(at);
    else if (step.kind === 'text') out = out.slice(0, at) + step.text + out.slice(at);
    else if (step.kind === 'delete') out = out.slice(0, at) + out.slice(at + step.length!);
    else {
      const lines = out.split('\n');
      const index = step.at % lines.length;
      lines.splice(index, 0, lines[index]!);
      out = lines.join('\n');
    }
  }
  return out;
}

// Registries built from the schema's keys with values of any type.
const anyValue = fc.oneof(
  { maxDepth: 3 },
  fc.integer({ min: -70000, max: 70000 }),
  fc.double(),
  fc.string({ maxLength: 10 }),
  fc.constantFrom(null, true, false, 'tcp', 'HTTP', 'public', 'production', 'none', 'x.service', 'a'),
  fc.array(fc.constantFrom('a', 'b', 'python3', 1, null), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('env', 'file', 'key', 'unit', 'claim', 'x'), fc.constantFrom('A_B', 'x', 'unit', 1), { maxKeys: 3 }),
);
const entry = fc.dictionary(
  fc.constantFrom(
    'id',
    'name',
    'group',
    'port',
    'protocol',
    'transport',
    'access',
    'configuredBy',
    'robust',
    'processes',
    'systemd',
    'start',
    'end',
    'for',
    'purpose',
    'details',
    'notes',
    'bogus',
  ),
  anyValue,
  { maxKeys: 12 },
);
const registry = fc.record(
  {
    version: fc.oneof(fc.constant(1), anyValue),
    services: fc.oneof(fc.array(entry, { maxLength: 4 }), anyValue),
    reserved: fc.oneof(fc.array(entry, { maxLength: 3 }), anyValue),
    claim: fc.oneof(fc.record({ timeoutSeconds: anyValue, protect: fc.record({ processes: anyValue, pidsUpTo: anyValue }) }), anyValue),
  },
  { requiredKeys: [] },
);

describe('parseRegistryText on hostile input', () => {
  it('never throws, and every issue has a line and a column (mutations of the real ports.yaml)', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (steps) => holds(mutate(REAL, steps))),
      { seed, numRuns },
    );
  });

  it("never throws on registries generated from the schema's keys with values of any type", () => {
    fc.assert(
      fc.property(registry, (data) => holds(stringify(data))),
      { seed, numRuns },
    );
  });

  it('never throws on short random text made of YAML tokens', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }), (tokens) => holds(`version: 1\nservices: ${tokens.join('')}`)),
      { seed, numRuns: numRuns * 2 },
    );
  });

  it.each([
    ['an alias with no anchor', 'version: 1\nservices: *x\n', /alias \*x has no anchor/],
    [
      '8 nested aliases',
      `version: 1\n${Array.from({ length: 8 }, (_, i) => `a${i}: &a${i} [${i === 0 ? '1' : `*a${i - 1}`}]`).join('\n')}\nservices: []\n`,
      /unknown key "a0"/,
    ],
    [
      'aliases that double 8 times',
      `x: &a0 [1]\n${Array.from({ length: 7 }, (_, i) => `x${i + 1}: &a${i + 1} [*a${i}, *a${i}]`).join('\n')}\nversion: 1\nservices: []\n`,
      /more than 16 YAML aliases|unknown key/,
    ],
    ['an alias inside its own anchor', 'version: 1\nservices: &a [*a]\n', /inside the value it refers to/],
    ['an explicit tag', 'version: 1\nservices: !!set {a}\n', /tag !!set is not allowed/],
    ['17 aliases', `a: &a [1]\nb: [${Array(17).fill('*a').join(', ')}]\nversion: 1\nservices: []\n`, /more than 16 YAML aliases/],
    [
      'aliases that expand past 100,000 values',
      `a: &a [${Array(7000).fill('x').join(',')}]\nb: [${Array(16).fill('*a').join(', ')}]\nversion: 1\nservices: []\n`,
      /expand the registry to \d+ values, more than 100000/,
    ],
  ])('reports %s as an issue with a position', (_, text, message) => {
    const result = parseRegistryText(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((issue) => issue.message).join('\n')).toMatch(message);
    expect(result.issues.every((issue) => issue.line >= 1)).toBe(true);
  });
});
