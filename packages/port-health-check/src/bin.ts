// The port-health-check bin: the real process's argv, stdout/stderr and environment.
import { processIo } from '@dsa110/ports/cli';
import { main } from './cli.js';

void main(process.argv.slice(2), processIo(), process.env).then((code) => {
  process.exitCode = code;
});
