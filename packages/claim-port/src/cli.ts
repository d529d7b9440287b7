// The claim-port command, part 1: parse the arguments and answer what needs
// no more than that: --help, --version, usage errors (exit 2), and the most
// common case of all, a port nobody listens on (exit 0). Everything else is
// in run.ts, built as a second bundle that this one loads only then: a service
// start on a free port never even parses the claim engine.
import { parseClaimArgs as parseArgs, CLAIM_USAGE as USAGE } from '@dsa110/ports/systemd';
import type { ClaimOptions } from './claim.js';
import { earlyLook, type SeenListening } from './early.js';
import { EXIT_USAGE } from './exit-code.js';
import { err, out } from './output.js';
import { cliOptions, fail, printResult } from './cli-shared.js';

declare const PACKAGE_VERSION: string;

const argv = process.argv.slice(2);
const args = parseArgs(argv);

let listening: SeenListening | undefined;

function main(): void | Promise<void> {
  switch (args.command) {
    case 'help':
      out(`${USAGE}\n`);
      return;
    case 'version':
      out(`${PACKAGE_VERSION}\n`);
      return;
    case 'usage-error':
      fail(argv, args.message);
      process.exitCode = EXIT_USAGE;
      return;
    case 'claim': {
      const target = 'port' in args.target ? args.target.port : args.target.id;
      const options: ClaimOptions = cliOptions(args, target);
      const look = earlyLook(target, options);
      if (look && 'free' in look) {
        options.log!(look.free.message, 'info', look.free.port);
        printResult(args, look.free);
        return;
      }
      listening = look?.listening;
      break;
    }
  }
  // The port is in use, or a service id, or --test: load the rest (dist/run.cjs).
  const { run } = require('./run.cjs') as typeof import('./run.js');
  return run(args, argv, listening);
}

void (async () => {
  try {
    await main();
  } catch (error) {
    // Unexpected: one line, no stack trace, exit 1 (the port is not known to be free).
    err(`[claim-port:${argv[0] ?? '?'}] error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
})();
