import { describe, expect, it } from 'vitest';
import { PortsError, RegistryError } from '@dsa110/ports';
import { MarkerError } from '@dsa110/ports/render';
import { CommandError, exitCode, outcomeOfError, UsageError } from '../../src/cli/exit-code.js';

describe('exit codes', () => {
  it('0 ok, 1 failed, 64 usage (EX_USAGE)', () => {
    expect([exitCode('ok'), exitCode('failed'), exitCode('usage')]).toEqual([0, 1, 64]);
  });

  it('maps expected errors to 1 or 2 without a stack, and bugs to 1 with one', () => {
    expect(outcomeOfError(new UsageError('x'))).toEqual({ outcome: 'usage', expected: true });
    for (const error of [new RegistryError('f', []), new PortsError('NOT_FOUND', 'x'), new MarkerError('f', 1, 1, 'x'), new CommandError('x')]) {
      expect(outcomeOfError(error)).toEqual({ outcome: 'failed', expected: true });
    }
    expect(outcomeOfError(new TypeError('bug'))).toEqual({ outcome: 'failed', expected: false });
  });
});
