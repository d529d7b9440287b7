// A real TCP listener (or client) for tests, started by spawn-listener.ts.
// Options come as one JSON argument. Prints one JSON line
// {"ready":true,"pids":[...],"port":N} once listening and every worker holds
// the socket, so that the suite knows every PID it made.
import { fork } from 'node:child_process';
import net from 'node:net';

const options = JSON.parse(process.argv[2] ?? '{}');
const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
if (options.name) process.title = options.name;

function onTerm(close) {
  process.on('SIGTERM', () => {
    if (options.ignoreTerm) return; // only SIGKILL ends it
    if (options.graceMs) setTimeout(close, options.graceMs);
    else close();
  });
}

if (options.role === 'client') {
  // A client connected to the port: it holds a connection, never a listener.
  // Stays alive whatever happens to the connection: the test asserts it survived.
  setInterval(() => {}, 1 << 30);
  const socket = net.connect({ host: options.host, port: options.port }, () => {
    say({ ready: true, pid: process.pid, pids: [process.pid], port: options.port, localPort: socket.localPort });
  });
  socket.on('error', () => {}); // ECONNRESET when the server is killed: expected
} else if (options.role === 'worker') {
  // A forked worker: receives the listening handle from its parent and keeps it.
  process.on('message', (message, handle) => {
    if (message !== 'server') return;
    net.createServer(() => {}).listen(handle, () => process.send('holding'));
    onTerm(() => process.exit(0)); // at once, open connections or not
  });
} else {
  const server = net.createServer(() => {}); // connections stay open
  server.on('error', (error) => {
    say({ error: error.message });
    process.exit(3);
  });
  server.listen({ host: options.host, port: options.port ?? 0, ipv6Only: options.ipv6Only ?? false }, async () => {
    const port = server.address().port;
    const pids = [process.pid];
    for (let i = 0; i < (options.workers ?? 0); i++) {
      const worker = fork(new URL(import.meta.url), [JSON.stringify({ ...options, role: 'worker', workers: 0 })], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      await new Promise((resolve) => {
        worker.on('message', (message) => message === 'holding' && resolve());
        worker.send('server', server);
      });
      pids.push(worker.pid);
    }
    onTerm(() => process.exit(0)); // at once, open connections or not
    say({ ready: true, pid: process.pid, pids, port });
  });
}
