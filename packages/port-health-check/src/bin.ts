// The port-health-check bin: the real process's argv, stdout/stderr and environment.
// A stdout that cannot be written is one line on stderr and exit 3 (the check could not deliver its report), unless
// --output wrote the report to its file (stdout held only the problem lines): then the check's own code; a usage error keeps 64.
import { REGISTRY_ENV } from '@dsa110/ports';
import { commandLine, exitNow, finishOutput, ignoreInspectorSignal, INSPECTOR_CLOSED, processEnvironment, processIo } from '@dsa110/ports/cli';
import { main } from './cli.js';
import { unwrittenStdoutCode } from './exit-code.js';

const io = processIo();
// SIGUSR1 would open Node's inspector in a process run as root (@dsa110/ports/cli's inspector-signal.ts; the bin
// file's first line ignores it already); an inspector one opened before that line is closed, and said.
ignoreInspectorSignal(undefined, () => io.err(`port-health-check: ${INSPECTOR_CLOSED}\n`, 'warn'));
// The bytes of a path Node could not decode (--registry, --output, $DSA110_PORTS_FILE not UTF-8), read back
// from /proc/self/cmdline and environ (@dsa110/ports/cli's argv.ts); main() refuses one it could not.
const { argv, bytesLost } = commandLine();
const { env, bytesLost: lostVariables } = processEnvironment([REGISTRY_ENV]);
let reportWritten = false;
void main(argv, io, env, { bytesLost, lostVariables, onReportWritten: () => (reportWritten = true) })
  .then((code) => finishOutput(io, 'port-health-check', code, (checked) => unwrittenStdoutCode(checked, reportWritten)))
  .then(exitNow);
