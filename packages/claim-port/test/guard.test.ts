// THE SAFETY GUARD itself: it must refuse whatever the suite did not spawn.
import { readListenSocketsSync } from '@dsa110/ports/system';
import { describe, expect, it } from 'vitest';
import { guardPort, isSpawned, signal, spawnListener } from '../../../test-support/index.js';

describe('test-support guard', () => {
  it('refuses to signal PIDs the suite did not spawn', () => {
    expect(() => signal(1)).toThrow(/did not spawn/);
    expect(() => signal(process.pid)).toThrow(/did not spawn/);
    expect(() => signal(process.ppid)).toThrow(/did not spawn/);
    expect(() => signal(-1)).toThrow(/did not spawn/);
  });

  it('signals a listener it spawned, then refuses it once gone', async () => {
    const server = await spawnListener();
    expect(isSpawned(server.pid)).toBe(true);
    signal(server.pid, 'SIGKILL');
    await new Promise((resolve) => server.child.once('exit', resolve));
    expect(() => signal(server.pid)).toThrow(/did not spawn/);
  });

  it('refuses low ports and ports held by anything else', async () => {
    expect(() => guardPort(80)).toThrow(/high ports/);
    // A listener the suite did not spawn: the first one on this machine above 1023, if any.
    const foreign = readListenSocketsSync().find((s) => s.port >= 1024);
    if (foreign) expect(() => guardPort(foreign.port)).toThrow(/did not spawn|cannot be read/);
    const server = await spawnListener();
    expect(() => guardPort(server.port)).not.toThrow();
  });
});
