// The committed generated files must match what ports.yaml and the schema make
// now, so that a stale copy fails the ordinary test run.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as parser from '../src/parse.js';
// @ts-expect-error plain JavaScript build script, no types
import { generatedFile, registryFile, render, schemaFile } from '../scripts/generate.mjs';

describe('generated files', () => {
  const files = render(parser) as { registry: string; schema: string };

  it('src/generated/registry.ts matches ports.yaml (run `pnpm build` to refresh it)', () => {
    expect(readFileSync(generatedFile, 'utf8')).toBe(files.registry);
  });

  it('schema.json matches the zod schema (run `pnpm build` to refresh it)', () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(files.schema);
  });

  it('ports.yaml names the schema for editors', () => {
    expect(readFileSync(registryFile, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./packages/ports/schema.json');
  });

  it('the schema describes the registry', () => {
    const schema = JSON.parse(files.schema);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['version', 'claim', 'services', 'reserved']));
    expect(schema.properties.services.items.required).toEqual(expect.arrayContaining(['id', 'port', 'access', 'processes']));
  });
});
