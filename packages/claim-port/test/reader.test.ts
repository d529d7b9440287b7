// holdsSocket(): whether a holder still holds the port before it is SIGKILLed.
import { readListenSocketsSync } from '@dsa110/ports/system';
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { spawnListener, worldReadableBundle } from '../../../test-support/index.js';
import { holdsSocket } from '../src/reader.js';

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
