import { describe, expect, it } from 'vitest';
import { renderJson, renderPrometheus, renderText } from '../../src/index.js';

// From JavaScript: a renderer given something that is not a report says so, naming it.
const untyped = { renderText, renderJson, renderPrometheus } as unknown as Record<string, (report: unknown, options?: unknown) => string>;

describe('the renderers refuse what is not a HealthReport', () => {
  for (const fn of ['renderText', 'renderJson', 'renderPrometheus']) {
    it(`${fn}(null), ${fn}({}) and ${fn}('x') are TypeErrors naming the report`, () => {
      for (const [value, shown] of [
        [null, 'null'],
        [{}, 'an object'],
        ['x', 'the string "x"'],
        [{ services: [], results: [], counts: {} }, 'an object'],
      ] as const) {
        expect(() => untyped[fn]!(value)).toThrow(
          new TypeError(`${fn}: report must be a HealthReport from checkPorts (with services, results, counts and startedAt), not ${shown}`),
        );
      }
    });
  }
});
