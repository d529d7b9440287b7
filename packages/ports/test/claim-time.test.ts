import { describe, expect, it } from 'vitest';
import { claimWorstCaseSeconds } from '../src/index.js';

describe('claimWorstCaseSeconds', () => {
  it("is the claim's timeout, then claim-port's waits past it (two SIGKILL waits of 2 s, a settle window of up to 3 s, 0.25 s of bind checks); no timeout with --force", () => {
    expect(claimWorstCaseSeconds(5)).toBe(12.25);
    expect(claimWorstCaseSeconds(0.5)).toBe(7.75);
    expect(claimWorstCaseSeconds(300, true)).toBe(7.25);
  });

  it('refuses what is not a number of seconds, naming itself (a symbol threw "Cannot convert a Symbol value to a number", a string gave NaN)', () => {
    expect(() => claimWorstCaseSeconds('5' as unknown as number)).toThrow(
      new TypeError('claimWorstCaseSeconds: timeoutSeconds must be a number of seconds, not the string "5"'),
    );
    expect(() => claimWorstCaseSeconds(5, 'yes' as unknown as boolean)).toThrow(/^claimWorstCaseSeconds: force must be true, false or left out/);
  });

  it('refuses a number claim-port refuses as its --timeout as impossible (a RangeError): it answered 307.75 for 300.5 and 1,000,000,007.25 for 1e9', () => {
    for (const [seconds, problem] of [
      [-1, 'must be more than 0 seconds'],
      [Number.NaN, 'must be more than 0 seconds'],
      [300.5, 'must be at most 300 seconds'],
      [1e9, 'must be at most 300 seconds'],
    ] as const) {
      expect(() => claimWorstCaseSeconds(seconds)).toThrow(
        new RangeError(`claimWorstCaseSeconds: timeoutSeconds ${problem} (claim-port's --timeout), not number ${seconds}`),
      );
      expect(() => claimWorstCaseSeconds(seconds, true)).toThrow(RangeError);
    }
  });
});
