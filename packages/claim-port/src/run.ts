// The claim-port command, part 2 (dist/run.cjs in the bin, loaded by cli.ts
// when a port is in use, for a service id, and for --test): claimPort() ->
// print -> exit code; while the claim runs, SIGTERM, SIGINT, SIGHUP and the
// other signals of interruptSignals() interrupt it, and once it has decided
// they are ignored until the process exits (interrupt.ts).
import type { Env, Io } from '@dsa110/ports/cli';
import type { ClaimArgs, ParsedClaimArgs } from '@dsa110/ports/systemd';
import { claimPort, ClaimUsageError } from './claim.js';
import { cliOptions, fail, labelOf, printResult } from './cli-shared.js';
import type { SeenListening } from './early.js';
import { interruptOnSignals, printInterrupted } from './interrupt.js';
import { runSelfTest } from './self-test.js';
import { unknownService } from './target.js';

export async function run(args: ParsedClaimArgs, argv: readonly string[], io: Io, env: Env, listening?: SeenListening): Promise<number> {
  if (args.command === 'self-test') return (await runSelfTest({ json: args.json, io })) ? 0 : 1;
  if (args.command !== 'claim') return fail(io, false, labelOf(argv), `nothing to run for ${args.command}`, 'error');
  const target = 'port' in args.target ? args.target.port : args.target.id;
  // SIGTERM (a TimeoutStartSec= that ran out), SIGINT, SIGHUP and the other signals of interruptSignals(): the claim stops where it is and says so (interrupt.ts).
  const interruption = interruptOnSignals();
  // From now on no write to a full pipe nobody reads holds the thread (its own description of the pipe, non-blocking):
  // a signal is heard whatever the output meets. Not for a free port (cli.ts), which installs no listener.
  io.neverBlock?.();
  let code: number | undefined;
  try {
    const result = await claimPort(target, { ...cliOptions(args, target, io, env), ...(listening && { listening }), signal: interruption.signal });
    if (result.interrupted !== undefined) return printInterrupted(io, args, { ...result, interrupted: result.interrupted });
    // Decided: a signal from now on changes neither the result nor the exit code (the listeners stay until the process
    // exits; once the result is printed, one ends it with that code, its output written or not).
    interruption.settle();
    code = printResult(io, args, result);
    return code;
  } catch (error) {
    if (error instanceof ClaimUsageError) return (code = fail(io, args.json, error.port ?? target, error.message, 'usage'));
    // Unexpected: still one line, and exit 1 (the port is not known to be free).
    return (code = fail(io, args.json, target, (error as Error).message, 'error'));
  } finally {
    // An error ends the claim too: its exit code stands (a no-op once a signal was taken).
    interruption.settle(code);
  }
}

/**
 * A usage error the registry judges better than the grammar: `claim-port
 * ID/udp` (cli-shared.ts, idGivenTransport) and `claim-port 'FastAPI Backend'`
 * (nameGiven). An ID that is no service is said to be unknown, with the
 * registry's hint (a name or title: the id to give) and the known ids, as
 * `claim-port ID` says it; for a service (or a registry that cannot be read)
 * the parser's `hint` stands: give the id alone. `alone` is the command line
 * with the operand as the id; it is read for the registry, never claimed.
 */
export async function operandByRegistry(
  alone: ClaimArgs & { readonly target: { readonly id: string } },
  hint: string,
  argv: readonly string[],
  io: Io,
  env: Env,
): Promise<number> {
  try {
    const unknown = await unknownService(alone.target.id, cliOptions(alone, alone.target.id, io, env));
    return fail(io, alone.json, labelOf(argv), unknown ?? hint, 'usage');
  } catch (error) {
    // Unexpected: still one line, and exit 1 (the port is not known to be free).
    return fail(io, alone.json, labelOf(argv), (error as Error).message, 'error');
  }
}
