// Types of big-registry.mjs, for the TypeScript tests that use it (packages/ports/test/registry-cache.test.ts).
/** The YAML text of a registry with `count` services on ports first, first + 1, ... */
export function bigRegistryYaml(count: number, first?: number): string;
/** Writes bigRegistryYaml(count, first) to `file`; returns `file`. */
export function writeBigRegistry(file: string, count: number, first?: number): string;
