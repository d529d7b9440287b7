import { EXIT_USAGE } from '@dsa110/ports/cli';
import { describe, expect, it } from 'vitest';
import { EXIT, exitCode, unwrittenStdoutCode } from '../src/exit-code.js';

const counts = (partial: Partial<Record<'ok' | 'info' | 'unknown' | 'warning' | 'error', number>>) => ({
  ok: 0,
  info: 0,
  unknown: 0,
  warning: 0,
  error: 0,
  ...partial,
});

describe("exitCode (the seed script's order, not Nagios')", () => {
  it('is 0 when only ok and info results', () => expect(exitCode(counts({ ok: 5, info: 2 }), false)).toBe(0));
  it('is 1 on any error, warnings or not', () => expect(exitCode(counts({ error: 1, warning: 3 }), false)).toBe(1));
  it('is 2 on warnings without errors', () => expect(exitCode(counts({ warning: 1 }), false)).toBe(2));
  it('ignores unknowns unless strict', () => {
    expect(exitCode(counts({ unknown: 2 }), false)).toBe(0);
    expect(exitCode(counts({ unknown: 2 }), true)).toBe(2);
  });
});

it("uses the usage-error code of every tool (the CLI kit's EXIT_USAGE)", () => expect(EXIT.usage).toBe(EXIT_USAGE));

it('is 3 when stdout could not be written (the report was not delivered), but a usage error keeps 64', () => {
  for (const code of [EXIT.ok, EXIT.errors, EXIT.warnings, EXIT.failed]) expect(unwrittenStdoutCode(code)).toBe(EXIT.failed);
  expect(unwrittenStdoutCode(EXIT.usage)).toBe(EXIT.usage);
});

it("keeps the check's code when --output wrote the report to its file (stdout held only the problem lines)", () => {
  for (const code of [EXIT.ok, EXIT.errors, EXIT.warnings, EXIT.failed, EXIT.usage]) expect(unwrittenStdoutCode(code, true)).toBe(code);
});
