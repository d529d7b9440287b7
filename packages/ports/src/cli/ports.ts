// The `ports` bin (bundled to dist/cli/ports.js, run by bin/ports.js): the
// real process's argv, stdout/stderr (one writer: `ports list | head -1` is
// not an error; `ports list > /dev/full` is one line and exit 1) and environment.
import { finishOutput, processIo } from '../cli-kit/io.js';
import { main } from './main.js';

const io = processIo();
process.exitCode = await finishOutput(io, 'ports', await main(process.argv.slice(2), io, process.env), (code) => (code === 0 ? 1 : code));
