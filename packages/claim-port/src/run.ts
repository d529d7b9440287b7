// The claim-port command, part 2 (dist/run.cjs, loaded by cli.ts when a port
// is in use, for a service id, and for --test): claimPort() -> print -> exit code.
import type { ParsedClaimArgs as ParsedArgs } from '@dsa110/ports/systemd';
import { claimPort, ClaimUsageError } from './claim.js';
import { cliOptions, fail, printResult, prefix } from './cli-shared.js';
import { EXIT_USAGE } from './exit-code.js';
import { err } from './output.js';
import type { SeenListening } from './early.js';
import { runSelfTest } from './self-test.js';

export async function run(args: ParsedArgs, argv: readonly string[], listening?: SeenListening): Promise<void> {
  if (args.command === 'self-test') {
    process.exitCode = (await runSelfTest({ json: args.json })) ? 0 : 1;
    return;
  }
  if (args.command !== 'claim') return;
  const target = 'port' in args.target ? args.target.port : args.target.id;
  let label: number | string = target;
  try {
    const result = await claimPort(target, { ...cliOptions(args, label), ...(listening && { listening }) });
    label = result.port;
    printResult(args, result);
  } catch (error) {
    if (error instanceof ClaimUsageError) {
      fail(argv, error.message, error.port ?? label);
      process.exitCode = EXIT_USAGE;
      return;
    }
    // Unexpected: still one line, and exit 1 (the port is not known to be free).
    err(`${prefix(label)} error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
