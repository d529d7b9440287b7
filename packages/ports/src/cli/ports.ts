// The `ports` bin (bundled to dist/cli/ports.js, run by bin/ports.js): the
// real process's argv, stdout/stderr (one writer: `ports list | head -1` is
// not an error) and environment.
import { processIo } from '../cli-kit/io.js';
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), processIo(), process.env);
