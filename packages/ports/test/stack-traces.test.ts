import { describe, expect, it } from 'vitest';
import { withoutStackTraces } from '../src/stack-traces.js';

describe('withoutStackTraces', () => {
  it('captures no stack while the work runs, and returns what it returns', () => {
    const before = Error.stackTraceLimit;
    const stack = withoutStackTraces(() => new Error('expected').stack);
    expect(stack).toBe('Error: expected');
    expect(Error.stackTraceLimit).toBe(before);
  });

  it('restores the limit when the work throws', () => {
    const before = Error.stackTraceLimit;
    expect(() =>
      withoutStackTraces(() => {
        throw new Error('unexpected');
      }),
    ).toThrow('unexpected');
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error('after').stack?.split('\n').length).toBeGreaterThan(1);
  });
});
