// The one warning line for a registry a numeric claim cannot use, from real RegistryErrors.
import { spawnSync } from 'node:child_process';
import { parseRegistry, RegistryError } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { registryFix, registryProblems, registryWarning } from '../src/registry-warning.js';

function errorOf(text: string, source?: string): RegistryError {
  try {
    parseRegistry(text, source === undefined ? undefined : { source });
  } catch (error) {
    if (error instanceof RegistryError) return error;
    throw error;
  }
  throw new Error('parsed');
}

describe('registryWarning', () => {
  it('names the first problem and counts the others, "1 more problem" in the singular', () => {
    const one = errorOf('version: 1\nservices: {}\n');
    expect(one.issues).toHaveLength(1);
    expect(registryWarning(one)).toMatch(/^warning: ports\.yaml:2:11: services: .*; using the built-in protected list$/);
    expect(registryWarning(one)).not.toContain('more problem');
    const two = errorOf('version: 1\nservices: {}\nclaim:\n  timeoutSeconds: 0\n');
    expect(two.issues).toHaveLength(2);
    expect(registryWarning(two)).toMatch(/ \(and 1 more problem\); using the built-in protected list$/);
    const three = errorOf('version: 2\nservices: {}\nclaim:\n  timeoutSeconds: 0\n');
    expect(three.issues).toHaveLength(3);
    expect(registryWarning(three)).toMatch(/ \(and 2 more problems\); using the built-in protected list$/);
  });

  it('says what the broken file still protects, added to the built-in list (patterns valid on their own), at most 8 named', () => {
    const named = errorOf('version: 2\nclaim:\n  protect:\n    processes: ["a\\e[31m", "py*", b]\n    pidsUpTo: 40\nservices: []\n');
    expect(registryWarning(named)).toMatch(
      /; using the built-in protected list and what the file still protects \(claim\.protect: processes "py\*", "b"; pidsUpTo 40\)$/,
    );
    const many = errorOf(`version: 2\nclaim:\n  protect:\n    processes: [${Array.from({ length: 10 }, (_, i) => `p${i}`).join(', ')}]\nservices: []\n`);
    expect(registryWarning(many)).toMatch(/processes "p0", .*"p7" and 2 more\)$/);
    // A protection of nothing (an empty list, given from JavaScript): no empty "(claim.protect: )".
    const none = new RegistryError('ports.yaml', [{ path: '', message: 'too large', line: 0, column: 0 }], { processes: [] });
    expect(registryWarning(none)).toBe('warning: ports.yaml: too large; using the built-in protected list');
  });

  it('names a %YAML 1.1 directive in a file otherwise valid, and keeps what the file protects', () => {
    const error = errorOf('%YAML 1.1\n---\nversion: 1\nclaim:\n  protect:\n    processes: [keepme]\nservices: []\n');
    expect(registryWarning(error)).toMatch(
      /^warning: ports\.yaml:1:1: the directive "%YAML 1\.1": ports\.yaml is read as YAML 1\.2 .*; remove the directive; using the built-in protected list and what the file still protects \(claim\.protect: processes "keepme"\)$/,
    );
  });
});

describe('registryProblems and registryFix (a service id with a registry it cannot use)', () => {
  const many = `version: 1\nservices:\n${Array.from({ length: 500 }, (_, i) => `  - id: s${i}\n    port: ${30000 + i}\n`).join('')}`;

  it('give one line for 500 problems: the first with file:line:col, the count, and the command that lists them all', () => {
    const error = errorOf(many, 'many.yaml');
    expect(error.issues).toHaveLength(500);
    expect(registryProblems(error)).toBe(
      'many.yaml:3:5: services.s0: missing keys name, group, protocol, access, configuredBy, robust, processes (and 499 more problems)',
    );
    expect(registryFix(error)).toBe('; fix the registry (ports validate many.yaml lists every problem)');
  });

  it('say nothing more for a file that could not be read: its problem says what to do', () => {
    const unread = new RegistryError('/x/ports.yaml', [
      { path: '', message: 'cannot read the registry (from --registry): no such file; check the path', line: 0, column: 0 },
    ]);
    expect(registryProblems(unread)).toBe('/x/ports.yaml: cannot read the registry (from --registry): no such file; check the path');
    expect(registryFix(unread)).toBe('');
  });

  it('keep a hostile file name on the line, escaped (and quoted so that the shell reads the very name back)', () => {
    const error = errorOf(many, "/tmp/it's\n[claim-port:22] forged\u001b[2J.yaml");
    for (const text of [registryProblems(error), registryFix(error)]) expect([...text].filter((char) => char === '\n' || char === '\u001b')).toEqual([]);
    expect(registryProblems(error)).toMatch(/^\/tmp\/it's\\n\[claim-port:22\] forged\\e\[2J\.yaml:3:5: services\.s0: .* \(and 499 more problems\)$/);
    // $'...': the shell turns \n and \e back into the bytes of the name, where '...' kept them as text (no such file).
    expect(registryFix(error)).toBe("; fix the registry (ports validate $'/tmp/it\\'s\\n[claim-port:22] forged\\e[2J.yaml' lists every problem)");
    // Pasted into bash, the word is the file's name.
    const word = /ports validate (.*) lists every problem/.exec(registryFix(error))![1]!;
    expect(spawnSync('bash', ['-c', `printf %s ${word}`], { encoding: 'utf8' }).stdout).toBe(error.source);
  });
});
