// The bind check, on real listening sockets on loopback (IPv4 and IPv6).
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { canBind, canBindSync } from '../../src/system/bindable.js';

describe('the bind check', () => {
  const listen = (host: string) =>
    new Promise<Server>((resolve) => {
      const server = createServer();
      server.listen(0, host, () => resolve(server));
    });

  it('fails while anything listens on the port, on any address or family; passes once it is gone', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const server = await listen(host);
      const port = (server.address() as { port: number }).port;
      expect(canBindSync(port)).toMatchObject({ ok: false, code: 'EADDRINUSE' });
      expect(await canBind(port)).toMatchObject({ ok: false });
      await new Promise((resolve) => server.close(resolve));
      expect(canBindSync(port)).toEqual({ ok: true });
    }
  });
});
