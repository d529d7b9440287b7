// The one warning line for a registry a numeric claim cannot use, from real RegistryErrors.
import { parseRegistry, RegistryError } from '@dsa110/ports';
import { describe, expect, it } from 'vitest';
import { registryWarning } from '../src/registry-warning.js';

function errorOf(text: string): RegistryError {
  try {
    parseRegistry(text);
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
});
