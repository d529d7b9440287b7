// A real TCP listener for tests, started by spawn-listener.ts. Options come as
// one JSON argument. Prints one JSON line {"ready":true,...} once listening
// (and every worker holds the socket), and {"spawned":PID} for every process
// it starts later (respawns), so that the suite knows every PID it made.
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
  const socket = net.connect({ host: options.host, port: options.port }, () => {
    say({ ready: true, pid: process.pid, pids: [process.pid], port: options.port, localPort: socket.localPort });
  });
  socket.on('error', (error) => say({ error: error.message }));
  socket.on('close', () => setTimeout(() => {}, 1 << 30)); // stay alive: the test asserts it survived
} else if (options.role === 'worker') {
  // A forked worker: receives the listening handle from its parent and keeps it.
  process.on('message', (message, handle) => {
    if (message !== 'server') return;
    const server = net.createServer((socket) => socket.end('ok\n')).listen(handle, () => process.send('holding'));
    onTerm(() => server.close(() => process.exit(0)));
  });
} else if (options.role === 'supervisor') {
  // Respawns its listener child whenever it dies (what systemd Restart=always or a
  // supervisor does), so that a claim sees a different process re-take the port.
  const start = () => {
    const child = fork(new URL(import.meta.url), [JSON.stringify({ ...options, role: 'listener' })], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    say({ spawned: child.pid });
    let first = true;
    child.stdout.on('data', (data) => {
      if (first && data.toString().includes('"ready"')) {
        first = false;
        const info = JSON.parse(data.toString().split('\n')[0]);
        if (!started) {
          started = true;
          say({ ...info, ready: true, pid: process.pid, pids: [process.pid, child.pid], holders: [child.pid] });
        }
      }
    });
    child.on('exit', () => setTimeout(start, options.respawnDelayMs ?? 50));
  };
  let started = false;
  process.on('SIGTERM', () => process.exit(0));
  start();
} else {
  const server = net.createServer((socket) => socket.end('ok\n'));
  server.on('error', (error) => {
    say({ error: error.message });
    process.exit(3);
  });
  server.listen({ host: options.host, port: options.port ?? 0, ipv6Only: options.ipv6Only ?? false }, async () => {
    const port = server.address().port;
    const pids = [process.pid];
    for (let i = 0; i < (options.workers ?? 0); i++) {
      const worker = fork(new URL(import.meta.url), [JSON.stringify({ ...options, role: 'worker', workers: 0 })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      await new Promise((resolve) => {
        worker.on('message', (message) => message === 'holding' && resolve());
        worker.send('server', server);
      });
      pids.push(worker.pid);
    }
    onTerm(() => server.close(() => process.exit(0)));
    say({ ready: true, pid: process.pid, pids, port });
  });
}
