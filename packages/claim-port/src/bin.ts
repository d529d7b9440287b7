// The claim-port bin: the real process's argv, stdout/stderr and environment.
// A stdout that cannot be written is one line on stderr; the exit code still
// says whether the port is free (finishOutput).
import { finishOutput, processIo } from '@dsa110/ports/cli';
import { labelOf, prefix } from './cli-shared.js';
import { main } from './cli.js';

const io = processIo();
const argv = process.argv.slice(2);
void main(argv, io, process.env)
  .then((code) => finishOutput(io, `${prefix(labelOf(argv))} error`, code, (kept) => kept))
  .then((code) => {
    process.exitCode = code;
  });
