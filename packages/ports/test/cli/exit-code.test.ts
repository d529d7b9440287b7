import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PortsError, RegistryError } from '@dsa110/ports';
import { MarkerError } from '@dsa110/ports/render';
import { CommandError, exitCode, outcomeOfError, UsageError } from '../../src/cli/exit-code.js';

describe('exit codes', () => {
  it('0 ok, 1 failed, 64 usage (EX_USAGE)', () => {
    expect([exitCode('ok'), exitCode('failed'), exitCode('usage')]).toEqual([0, 1, 64]);
  });

  it("the README's Exit codes section gives these codes (it said 2 for a usage error)", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = /\n## Exit codes\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    const codes = [...section.matchAll(/\*\*(\d+)\*\*/g)].map((match) => Number(match[1]));
    expect(codes).toEqual([exitCode('ok'), exitCode('failed'), exitCode('usage')]);
  });

  it('maps expected errors to 1 or 64 without a stack, and bugs to 1 with one', () => {
    expect(outcomeOfError(new UsageError('x'))).toEqual({ outcome: 'usage', expected: true });
    for (const error of [new RegistryError('f', []), new PortsError('NOT_FOUND', 'x'), new MarkerError('f', 1, 1, 'x'), new CommandError('x')]) {
      expect(outcomeOfError(error)).toEqual({ outcome: 'failed', expected: true });
    }
    expect(outcomeOfError(new TypeError('bug'))).toEqual({ outcome: 'failed', expected: false });
  });
});
