// The `ports` bin (bundled to dist/cli/ports.js, run by bin/ports.js): the
// real process's argv, stdout/stderr (one writer: `ports list | head -1` is
// not an error; `ports list > /dev/full` is one line and exit 1) and environment.
import { ignoreInspectorSignal, INSPECTOR_CLOSED } from '../cli-kit/inspector-signal.js';
import { commandLine, processEnvironment, undecodedVariables } from '../cli-kit/argv.js';
import { exitNow, finishOutput, processIo } from '../cli-kit/io.js';
import { REGISTRY_ENV } from '../load.js';
import { main } from './main.js';

const io = processIo();
// SIGUSR1 would open Node's inspector in a process run as root (cli-kit/inspector-signal.ts; the bin file's first
// line ignores it already); an inspector one opened before that line is closed, and said.
ignoreInspectorSignal(undefined, () => io.err(`ports: ${INSPECTOR_CLOSED}\n`, 'warn'));
// The bytes of a path Node could not decode (--registry, FILE, --out, $DSA110_PORTS_FILE not UTF-8), read back from
// /proc/self/cmdline and environ (cli-kit/argv.ts); main() refuses one it could not. Any other variable's too: a
// port override the registry names (`ports get api` with CONTIMG_API_PORT) is then shown with its bytes, `\xff`.
const { argv, bytesLost } = commandLine();
const { env, bytesLost: lostVariables } = processEnvironment([REGISTRY_ENV, ...undecodedVariables()]);
exitNow(await finishOutput(io, 'ports', await main(argv, io, env, { bytesLost, lostVariables }), (code) => (code === 0 ? 1 : code)));
