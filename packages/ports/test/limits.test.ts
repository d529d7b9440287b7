// The limits' predicates from JavaScript: isClaimTimeout is a predicate as isPort is,
// so a value that is no number is false, never read as one.
import { describe, expect, it } from 'vitest';
import { isClaimTimeout, isPort, MAX_CLAIM_TIMEOUT_SECONDS } from '../src/index.js';

describe('isClaimTimeout', () => {
  it('is true for a number of seconds claim-port accepts, false for one it refuses', () => {
    for (const seconds of [0.001, 1, 5, MAX_CLAIM_TIMEOUT_SECONDS]) expect(isClaimTimeout(seconds), String(seconds)).toBe(true);
    for (const seconds of [0, -1, 0.0001, MAX_CLAIM_TIMEOUT_SECONDS + 1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(isClaimTimeout(seconds), String(seconds)).toBe(false);
  });

  it("is false for what is no number, as isPort is: '5', true, [5] and { valueOf() { return 5 } } were compared as 5", () => {
    for (const value of ['5', true, [5], { valueOf: () => 5 }, 5n, null, undefined, new Number(5)]) {
      expect(isClaimTimeout(value), String(value)).toBe(false);
      expect(isPort(value), String(value)).toBe(false);
    }
  });
});
