// A port holder started by the benchmark: listens on 127.0.0.1:<port>, prints
// "ready", and exits at once on SIGTERM (Node's default) or when the benchmark
// closes its stdin, or, for an orphaned holder, when the benchmark's PID
// (argv[3]) is gone (so it never outlives the benchmark).
import { createServer } from 'node:net';

const port = Number(process.argv[2]);
const server = createServer((socket) => socket.destroy());
server.on('error', (error) => {
  process.stderr.write(`holder: ${error.message}\n`);
  process.exit(2);
});
server.listen({ port, host: '127.0.0.1', exclusive: true }, () => process.stdout.write('ready\n'));
const watched = Number(process.argv[3]);
if (watched > 0) {
  // An orphaned holder (see startOrphanHolder): it exits once the benchmark (this PID) is gone.
  setInterval(() => {
    try {
      process.kill(watched, 0);
    } catch {
      process.exit(0);
    }
  }, 200);
} else {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
