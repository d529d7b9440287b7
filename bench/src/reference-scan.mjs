// A minimal Node lookup, for comparison at scale: which PIDs hold the LISTEN
// socket on a port? `node reference-scan.mjs <port> [threads]`. Reads
// /proc/net/tcp{,6}, then readlinks every /proc/PID/fd/N. With threads > 1 the
// main thread and worker threads share the PID list through an atomic cursor
// (the workers start first, so their start-up overlaps the table read).
// Prints {"port":P,"pids":[...]}.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const CHUNK = 16;

function scan(pids, cursor, wanted) {
  const found = [];
  for (;;) {
    const start = Atomics.add(cursor, 0, CHUNK);
    if (start >= pids.length) return found;
    const end = Math.min(start + CHUNK, pids.length);
    for (let k = start; k < end; k++) {
      const dir = `/proc/${pids[k]}/fd/`;
      let fds;
      try {
        fds = readdirSync(dir);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let link;
        try {
          link = readlinkSync(dir + fd);
        } catch {
          continue;
        }
        if (link.charCodeAt(0) === 115 && wanted.includes(link)) {
          found.push(Number(pids[k]));
          break;
        }
      }
    }
  }
}

function listenInodes(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const wanted = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    for (let i = 1; i < lines.length; i++) {
      const fields = lines[i].split(' ').filter(Boolean); // sl local rem st ... uid timeout inode
      if (fields.length < 10 || fields[3] !== '0A') continue;
      if (fields[1].slice(fields[1].indexOf(':') + 1) === hex) wanted.push(`socket:[${fields[9]}]`);
    }
  }
  return wanted;
}

if (isMainThread) {
  const port = Number(process.argv[2]);
  const threads = Number(process.argv[3] ?? 1);
  const cursor = new Int32Array(new SharedArrayBuffer(4));
  const workers = [];
  for (let i = 1; i < threads; i++) workers.push(new Worker(new URL(import.meta.url), { workerData: cursor.buffer }));
  const wanted = listenInodes(port);
  const pids = wanted.length ? readdirSync('/proc').filter((n) => n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57) : [];
  const results = workers.map((w) => new Promise((resolve) => w.once('message', resolve)));
  for (const w of workers) w.postMessage({ pids, wanted });
  const all = [...scan(pids, cursor, wanted), ...(await Promise.all(results)).flat()].sort((a, b) => a - b);
  process.stdout.write(`${JSON.stringify({ port, pids: all })}\n`);
  process.exit(0);
} else {
  const cursor = new Int32Array(workerData);
  parentPort.once('message', ({ pids, wanted }) => parentPort.postMessage(scan(pids, cursor, wanted)));
}
