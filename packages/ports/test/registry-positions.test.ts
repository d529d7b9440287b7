// Places in a registry's text and file, found by the registry's own parser: what claim-port's refusal by a pattern the
// registry added cites, and the health check's owner check.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_SOURCE, protectPatternPlace, protectPatternPosition } from '../src/index.js';
import { tempDir, writeTree } from '../../../test-support/tree.js';

describe('protectPatternPosition', () => {
  it('finds a pattern in a flow list (over lines too) or a block list, past comments and quotes, and nothing elsewhere', () => {
    const flow = 'version: 1\nclaim:\n  timeoutSeconds: 5\n  protect:\n    # processes: ["x"]\n    processes: [a, "py*", \'it\'\'s\']  # added\n';
    expect(protectPatternPosition(flow, 'py*')).toEqual({ line: 6, column: 20 });
    expect(protectPatternPosition(flow, "it's")).toEqual({ line: 6, column: 27 });
    expect(protectPatternPosition(flow, 'a')).toEqual({ line: 6, column: 17 });
    const multiline = 'claim:\n  protect:\n    processes: [\n      first,\n      "second"\n    ]\n';
    expect(protectPatternPosition(multiline, 'second')).toEqual({ line: 5, column: 7 });
    const block = 'services: []\nclaim:\n  protect:\n    pidsUpTo: 3\n    processes:\n    - celery\n    - "keepme-*" # comment\n  timeoutSeconds: 5\n';
    expect(protectPatternPosition(block, 'keepme-*')).toEqual({ line: 7, column: 7 });
    expect(protectPatternPosition(block, 'celery')).toEqual({ line: 6, column: 7 });
    // Not claim.protect.processes: a service's processes, another key's list, a pattern not there.
    const elsewhere = 'services:\n  - id: api\n    processes: [celery]\nclaim:\n  protect:\n    unprotectBuiltin: [celery]\n    processes: []\n';
    expect(protectPatternPosition(elsewhere, 'celery')).toBeUndefined();
    expect(protectPatternPosition(block, 'nothere')).toBeUndefined();
  });
});

describe('protectPatternPlace', () => {
  const registry = 'version: 1\nservices: []\nclaim:\n  protect:\n    processes: ["keepme-*"]\n';

  it('cites FILE:LINE:COL of the entry in the registry file, the file alone where the entry is not there, and nothing for the bundled registry', () => {
    const root = writeTree(tempDir(), { 'ports.yaml': registry, 'my\nports.yaml': registry, 'changed.yaml': 'version: 1\nservices: []\n' });
    expect(protectPatternPlace(join(root, 'ports.yaml'), 'keepme-*')).toBe(`${root}/ports.yaml:5:17`);
    // The file changed since it was read: the file alone, never a wrong line.
    expect(protectPatternPlace(join(root, 'changed.yaml'), 'keepme-*')).toBe(`${root}/changed.yaml`);
    // A path as every other message shows it (pathText: its control characters escaped).
    expect(protectPatternPlace(join(root, 'my\nports.yaml'), 'keepme-*')).toBe(`${root}/my\\nports.yaml:5:17`);
    expect(protectPatternPlace(BUNDLED_SOURCE, 'keepme-*')).toBeUndefined();
  });

  it('gives the file alone for a file that cannot be read or parsed, at once for a FIFO swapped in (never waits on it)', () => {
    const root = writeTree(tempDir(), { fifo: { fifo: true }, 'broken.yaml': 'claim: [\n', dir: { dir: true } });
    expect(protectPatternPlace(join(root, 'fifo'), 'x')).toBe(`${root}/fifo`);
    expect(protectPatternPlace(join(root, 'broken.yaml'), 'x')).toBe(`${root}/broken.yaml`);
    expect(protectPatternPlace(join(root, 'dir'), 'x')).toBe(`${root}/dir`);
    expect(protectPatternPlace(join(root, 'gone.yaml'), 'x')).toBe(`${root}/gone.yaml`);
  });

  it('refuses what is not a source and a pattern', () => {
    expect(() => protectPatternPlace(undefined as unknown as string, 'x')).toThrow(/^protectPatternPlace: source must be/);
    expect(() => protectPatternPlace('/etc/ports.yaml', 3 as unknown as string)).toThrow(/^protectPatternPlace: pattern must be/);
  });
});
