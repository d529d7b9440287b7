import { describe, expect, it } from 'vitest';
import { RegistryError } from '../src/index.js';

describe('RegistryError', () => {
  const Untyped = RegistryError as unknown as new (...args: unknown[]) => RegistryError;

  it('formats every issue, one a line', () => {
    const error = new RegistryError('ports.yaml', [
      { path: 'services.api.port', message: 'must be between 1 and 65535', line: 6, column: 11 },
      { path: '', message: 'too large', line: 0, column: 0 },
    ]);
    expect(error.message).toBe('ports.yaml:6:11: services.api.port: must be between 1 and 65535\nports.yaml: too large');
    expect(error.code).toBe('INVALID_REGISTRY');
  });

  it('given arguments of the wrong type (from JavaScript), is a TypeError naming RegistryError, never "Cannot read properties of null (reading \'map\')"', () => {
    expect(() => new Untyped('x', null)).toThrow(
      new TypeError('RegistryError: issues must be an array of RegistryIssue ({ path, message, line, column }), not null'),
    );
    expect(() => new Untyped(undefined, [])).toThrow(new TypeError('RegistryError: source must be a file name (a string), not undefined'));
    expect(() => new Untyped('x', [null])).toThrow(/^RegistryError: issues\[0\] must be a RegistryIssue .*not null$/);
    expect(() => new Untyped('x', [{ path: '', message: 5, line: 0, column: 0 }])).toThrow(
      new TypeError('RegistryError: issues[0].message must be a string, not number 5'),
    );
    expect(() => new Untyped('x', [{ path: '', message: 'm', line: '1', column: 0 }])).toThrow(/^RegistryError: issues\[0\].line must be a whole number/);
  });
});
