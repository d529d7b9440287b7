// The claim-port command, part 1: main(argv, io, env) -> exit code. It parses
// the arguments and answers what needs no more than that: --help, --version,
// usage errors, and the most common case of all, a port nobody listens on
// (exit 0). Everything else is in run.ts, which this part loads only then
// (load-run.ts): a service start on a free port never loads the claim engine.
// Every flag, its help and its reading are declared in one file,
// packages/ports/src/systemd/claim-args.ts (@dsa110/ports/systemd), because
// the health check judges claim lines with the same grammar; cli-shared.ts
// hands what it read to claimPort().
import { type Env, type Io, packageVersion, wantsJson } from '@dsa110/ports/cli';
import { CLAIM_FLAGS, claimUsage, parseClaimArgs } from '@dsa110/ports/systemd';
import { fail, idGivenTransport, labelOf, cliOptions, lostRegistryPath, nameGiven, printResult, type LostBytes } from './cli-shared.js';
import { earlyLook, type SeenListening } from './early.js';
import { loadRun } from './load-run.js';

const version = () => packageVersion(import.meta.url, '@dsa110/claim-port');

/**
 * `lost`: what the bin could not read back of the arguments or of
 * $DSA110_PORTS_FILE where Node did not decode them (commandLine,
 * processEnvironment: @dsa110/ports/cli); a registry path holding U+FFFD is
 * then refused, never opened.
 */
export async function main(argv: readonly string[], io: Io, env: Env, lost: LostBytes = {}): Promise<number> {
  const json = wantsJson(argv, CLAIM_FLAGS);
  try {
    const args = parseClaimArgs(argv);
    let listening: SeenListening | undefined;
    switch (args.command) {
      case 'help':
        io.out(`${claimUsage()}\n`);
        return 0;
      case 'version':
        io.out(`${await version()}\n`);
        return 0;
      case 'usage-error': {
        // `claim-port nosuch/udp`: "give the id alone" only for a service; `claim-port 'FastAPI Backend'`: a service's
        // name or title, maybe. The registry tells (run.ts).
        const alone = idGivenTransport(argv) ?? nameGiven(argv);
        // (A registry that cannot be opened cannot tell whether the id is a service: the grammar's hint stands.)
        if (alone && !lostRegistryPath(alone, lost, env)) return await (await loadRun()).operandByRegistry(alone, args.message, argv, io, env);
        return fail(io, json, labelOf(argv), args.message, 'usage');
      }
      case 'claim': {
        const refused = lostRegistryPath(args, lost, env);
        if (refused) return fail(io, json, labelOf(argv), refused, 'usage');
        const target = 'port' in args.target ? args.target.port : args.target.id;
        const options = cliOptions(args, target, io, env);
        const look = await earlyLook(target, options);
        if (look && 'free' in look) {
          options.log!(look.free.message, 'info', look.free.port);
          return printResult(io, args, look.free);
        }
        listening = look?.listening;
        break;
      }
      case 'self-test':
        break;
    }
    // The port is in use, or a service id, or --test: load the rest.
    const { run } = await loadRun();
    return await run(args, argv, io, env, listening);
  } catch (error) {
    // Unexpected: one line, no stack trace, exit 1 (the port is not known to be free).
    return fail(io, json, labelOf(argv), (error as Error).message, 'error');
  }
}
