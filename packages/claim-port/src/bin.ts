// The claim-port bin: the real process's argv, stdout/stderr and environment.
// A stdout that cannot be written is one line on stderr; after a claim the
// exit code still says whether the port is free (finishOutput); --help,
// --version and --test, whose output is all they do, exit 1 instead of 0
// (--test's lines go to stderr: without --json, a stderr that cannot be
// written is what makes it exit 1).
import { REGISTRY_ENV } from '@dsa110/ports';
import {
  commandLine,
  exitNow,
  finishOutput,
  ignoreInspectorSignal,
  INSPECTOR_CLOSED,
  processEnvironment,
  processIo,
  undecodedVariables,
} from '@dsa110/ports/cli';
import { parseClaimArgs, type ParsedClaimArgs } from '@dsa110/ports/systemd';
import { labelOf, prefix } from './cli-shared.js';
import { main } from './cli.js';
import { EXIT_FREE, EXIT_NOT_FREE } from './exit-code.js';
import { ownFilesWarning } from './own-files.js';

/** `--test` without `--json`: its answer, a line per check, is on stderr, so a stderr it could not write lost all of it. */
const answersOnStderr = (args: ParsedClaimArgs): boolean => args.command === 'self-test' && !args.json;

const io = processIo();
// The arguments' own bytes where Node could not decode them (a --registry path that is not UTF-8): @dsa110/ports/cli's argv.ts.
const { argv, bytesLost } = commandLine();
// SIGUSR1 would open Node's inspector in a root process (@dsa110/ports/cli's inspector-signal.ts; the bin file's first
// line ignores it already). It interrupts no claim either (interrupt.ts): logrotate's scripts send it to every
// process; it is said, and ignored. An inspector one opened before the bin's first line is closed, and said.
ignoreInspectorSignal(
  () => io.err(`${prefix(labelOf(argv))} SIGUSR1 ignored: it stops no claim\n`, 'notice'),
  () => io.err(`${prefix(labelOf(argv))} ${INSPECTOR_CLOSED}\n`, 'warn'),
);
// And $DSA110_PORTS_FILE's, read back from /proc/self/environ (only when it holds U+FFFD); any other variable's too, so
// that a port override the registry names (CONTIMG_API_PORT) is shown with its bytes, `\xff`.
const { env, bytesLost: lostVariables } = processEnvironment([REGISTRY_ENV, ...undecodedVariables()]);
// As root, files of its own that others may change are said (own-files.ts, its paths escaped); the bundle's directory is its dist/.
const writable = ownFilesWarning(typeof __dirname === 'string' ? __dirname : undefined);
if (writable !== undefined) io.err(`${prefix(labelOf(argv))} warning: ${writable}\n`, 'warn');
void main(argv, io, env, { bytesLost, lostVariables })
  .then((code) =>
    finishOutput(io, `${prefix(labelOf(argv))} error`, code, (kept) => (kept === EXIT_FREE && parseClaimArgs(argv).command !== 'claim' ? EXIT_NOT_FREE : kept)),
  )
  .then((code) => (code === EXIT_FREE && io.errError !== undefined && answersOnStderr(parseClaimArgs(argv)) ? EXIT_NOT_FREE : code))
  .then(exitNow);
