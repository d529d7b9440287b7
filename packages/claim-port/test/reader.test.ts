// holdsSocket(): whether a holder still holds the port before it is SIGKILLed; withoutExited(): no zombie is a holder.
import { readListenSocketsSync, readProcessInfo, snapshot } from '@dsa110/ports/system';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnListener, worldReadableBundle } from '../../../test-support/index.js';
import { holdsSocket, withoutExited } from '../src/reader.js';
import { procControl } from '../src/processes.js';
import { cleanupStarted, start } from './started.js';

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

afterEach(cleanupStarted);

describe('holdsSocket', () => {
  it('is true while this process holds the listening socket, false once it closed it', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const keys = new Set(readListenSocketsSync({ ports: [port] }).map((s) => String(s.inode)));
    expect(keys.size).toBe(1);
    expect(holdsSocket(process.pid, keys)).toBe(true);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(holdsSocket(process.pid, keys)).toBe(false);
  });

  // Running as another user (setpriv) needs root; CI runs as root.
  it.skipIf(process.getuid?.() !== 0)('is true when the fds cannot be read (not knowing is not "released"), false for a PID that is gone', async () => {
    const server = await spawnListener();
    const keys = [...new Set(readListenSocketsSync({ ports: [server.port] }).map((s) => String(s.inode)))];
    // nobody may not be able to read the checkout (a clone in a 0700 dir): a world-readable bundle of the reader.
    const bundle = await worldReadableBundle(new URL('../src/reader.ts', import.meta.url).pathname);
    const gone = spawnSync('true').pid!;
    const script = `import('${bundle}').then((m) => console.log(JSON.stringify([m.holdsSocket(${server.pid}, new Set(${JSON.stringify(keys)})), m.holdsSocket(${gone}, new Set(${JSON.stringify(keys)}))])));`;
    const out = execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: '/',
    });
    expect(JSON.parse(out)).toEqual([true, false]);
    expect(holdsSocket(server.pid, new Set(keys))).toBe(true); // as root, the fds are read: it holds it
  });
});

describe('withoutExited', () => {
  it('drops a holder that is a zombie with no thread left (the scan read its fds just before it exited), and says the socket has no known owner when it was the only one', async () => {
    const server = await spawnListener();
    // A child that exits at once and that its parent never reaps: a zombie for as long as the parent sleeps.
    const parent = await start([
      python,
      '-c',
      `import json, os, time\nchild = os.fork()\nif child == 0: os._exit(0)\nprint(json.dumps({'pid': os.getpid(), 'port': 1, 'zombie': child}), flush=True)\nwhile True: time.sleep(3600)`,
    ]);
    const zombie = readProcessInfo(parent.first.zombie as number)!;
    expect(zombie.state).toBe('Z');
    const found = await snapshot({ ports: [server.port] });
    const [listener] = found.listeners;
    expect(listener!.holders.map((h) => h.pid)).toEqual([server.pid]);
    const processes = procControl();
    // Alone, as a wanderer that forks and exits is found: no holder, the owner unknown.
    const alone = withoutExited({ ...found, listeners: [{ ...listener!, holders: [zombie] }] }, processes);
    expect(alone.listeners.map((l) => [l.holders, l.ownerKnown])).toEqual([[[], false]]);
    // Beside a live holder: that one stays.
    const beside = withoutExited({ ...found, listeners: [{ ...listener!, holders: [listener!.holders[0]!, zombie] }] }, processes);
    expect(beside.listeners.map((l) => [l.holders.map((h) => h.pid), l.ownerKnown])).toEqual([[[server.pid], true]]);
    // Nothing exited: the same object back.
    expect(withoutExited(found, processes)).toBe(found);
  });
});
