// A port holder started by the benchmark: listens on 127.0.0.1:<port>, prints
// "ready", and exits at once on SIGTERM (Node's default) or when the benchmark
// closes its stdin (so it never outlives the benchmark).
import { createServer } from 'node:net';

const port = Number(process.argv[2]);
const server = createServer((socket) => socket.destroy());
server.on('error', (error) => {
  process.stderr.write(`holder: ${error.message}\n`);
  process.exit(2);
});
server.listen({ port, host: '127.0.0.1', exclusive: true }, () => process.stdout.write('ready\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
