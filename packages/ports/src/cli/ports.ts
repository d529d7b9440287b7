// The `ports` bin (bundled to dist/cli/ports.js, run by bin/ports.js).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
});
