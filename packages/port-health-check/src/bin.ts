// The port-health-check bin: the real process's argv, stdout/stderr and environment.
// A stdout that cannot be written is one line on stderr and exit 3 (the check could not deliver its report); a usage error keeps 64.
import { finishOutput, processIo } from '@dsa110/ports/cli';
import { main } from './cli.js';
import { unwrittenStdoutCode } from './exit-code.js';

const io = processIo();
void main(process.argv.slice(2), io, process.env)
  .then((code) => finishOutput(io, 'port-health-check', code, unwrittenStdoutCode))
  .then((code) => {
    process.exitCode = code;
  });
