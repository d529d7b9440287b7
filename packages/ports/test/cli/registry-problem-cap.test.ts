// A registry with thousands of problems, read by a command other than `validate`: the first MAX_ISSUES_IN_MESSAGE
// lines, then how many more and the command that lists every one (as the library's message says), in-process.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_ISSUES_IN_MESSAGE } from '../../src/errors.js';
import { expectNoStack, ports, tempDir } from './helpers.js';

/** A registry of `count` services, each missing most of its keys: on one port 8000 (two problems each but the first), else on ports of their own (one each). */
function brokenServices(count: number, { samePort }: { readonly samePort: boolean }): string {
  const services = Array.from({ length: count }, (_, index) => `  - id: s${index}\n    name: S${index}\n    port: ${samePort ? 8000 : 8000 + index}\n`).join(
    '',
  );
  return `version: 1\nservices:\n${services}`;
}

describe('a registry with more problems than an error lists', () => {
  it('ports get (and list) print the first 200 problems, then "… and N more" naming the validate command that lists them all', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'dup.yaml'), brokenServices(1400, { samePort: true }));
    const every = await ports(['validate', 'dup.yaml'], { cwd: dir });
    const total = every.stdout.trimEnd().split('\n').length;
    expect(total).toBeGreaterThan(MAX_ISSUES_IN_MESSAGE);
    for (const args of [
      ['get', 's1', '--registry', 'dup.yaml'],
      ['--registry', 'dup.yaml', 'list'],
    ]) {
      const run = await ports(args, { cwd: dir });
      expectNoStack(run.stderr);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(MAX_ISSUES_IN_MESSAGE + 1);
      expect(lines.slice(0, -1)).toEqual(every.stdout.trimEnd().split('\n').slice(0, MAX_ISSUES_IN_MESSAGE));
      expect(lines.at(-1)).toBe(`dup.yaml: … and ${total - MAX_ISSUES_IN_MESSAGE} more problems (fix these first; "ports validate dup.yaml" lists every one)`);
    }
  });

  it('names the file from $DSA110_PORTS_FILE as the shell reads it back', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'my dup.yaml'), brokenServices(1400, { samePort: true }));
    const run = await ports(['get', 's1'], { cwd: dir, env: { DSA110_PORTS_FILE: 'my dup.yaml' } });
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(MAX_ISSUES_IN_MESSAGE + 1);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(
      `my dup.yaml: … and ${2 * 1400 - 1 - MAX_ISSUES_IN_MESSAGE} more problems (fix these first; "ports validate 'my dup.yaml'" lists every one)`,
    );
  });

  it('200 problems exactly are every one, printed without a tail; 201 are 200 and "… and 1 more problem"', async () => {
    const dir = tempDir();
    for (const count of [MAX_ISSUES_IN_MESSAGE, MAX_ISSUES_IN_MESSAGE + 1]) {
      writeFileSync(join(dir, 'r.yaml'), brokenServices(count, { samePort: false }));
      const every = (await ports(['validate', 'r.yaml'], { cwd: dir })).stdout.trimEnd().split('\n');
      expect(every).toHaveLength(count);
      const run = await ports(['get', 's1', '--registry', 'r.yaml'], { cwd: dir });
      expect(run.code).toBe(1);
      expect(run.stderr.trimEnd().split('\n')).toEqual(
        count > MAX_ISSUES_IN_MESSAGE
          ? [...every.slice(0, MAX_ISSUES_IN_MESSAGE), 'r.yaml: … and 1 more problem (fix these first; "ports validate r.yaml" lists every one)']
          : every,
      );
    }
  });
});
