// The health check's socket facts through the shared reader, with the fd
// scan's second thread started ahead (as gather() does on a machine with many
// processes): every holder of a shared socket is still named.
import { startScanHelper } from '@dsa110/ports/system';
import { describe, expect, it } from 'vitest';
import { readSockets } from '../src/gather.js';
import { spawnListener } from '../../../test-support/index.js';

describe('readSockets', () => {
  it('with a scan thread started ahead, names every forked holder of a shared socket', async () => {
    const server = await spawnListener({ host: '127.0.0.1', workers: 2 });
    const helper = startScanHelper({ minProcesses: 1, requireIdleCore: false });
    expect(await helper!.ready).toBe(true);
    const facts = await readSockets(helper);
    expect(facts.problem).toBeUndefined();
    const listener = facts.listeners.find((l) => l.port === server.port);
    expect(listener?.holders?.map((h) => h.pid).sort((a, b) => a - b)).toEqual([...server.pids].sort((a, b) => a - b));
  });
});
