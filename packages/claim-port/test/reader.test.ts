// holdsSocket(): whether a holder still holds the port before it is SIGKILLed.
import { readListenSocketsSync } from '@dsa110/ports/system';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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

  it('is true when the fds cannot be read (not knowing is not "released"), false for a PID that is gone', () => {
    const proc = mkdtempSync(join(tmpdir(), 'claim-port-holds-'));
    try {
      mkdirSync(join(proc, '4242'));
      writeFileSync(join(proc, '4242', 'fd'), ''); // readdir fails (ENOTDIR), as an unreadable fd directory does
      expect(holdsSocket(4242, new Set(['123']), proc)).toBe(true);
      expect(holdsSocket(4243, new Set(['123']), proc)).toBe(false);
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }
  });
});
