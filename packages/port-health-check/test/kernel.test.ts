import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePortRange } from '@dsa110/ports/system';
import { inRanges, parseReservedPorts, readKernelFacts } from '../src/kernel.js';
import { tempDir } from './helpers.js';

describe('kernel port ranges', () => {
  it('parses ip_local_port_range and ip_local_reserved_ports', () => {
    expect(parsePortRange('32768\t60999\n')).toEqual({ start: 32768, end: 60999 });
    expect(parsePortRange('garbage')).toBeUndefined();
    expect(parseReservedPorts('8000,9090-9095\n')).toEqual([
      { start: 8000, end: 8000 },
      { start: 9090, end: 9095 },
    ]);
    expect(parseReservedPorts('\n')).toEqual([]);
    expect(inRanges(9093, parseReservedPorts('8000,9090-9095'))).toBe(true);
  });

  it('reads the live values from /proc', async () => {
    const facts = await readKernelFacts();
    expect(facts.problem).toBeUndefined();
    expect(facts.ephemeral!.start).toBeGreaterThan(0);
    expect(facts.ephemeral!.end).toBeGreaterThanOrEqual(facts.ephemeral!.start);
  });

  it('turns an unreadable or malformed file into a problem, not an exception', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'range'), 'nonsense\n');
    writeFileSync(join(dir, 'reserved'), '8000\n');
    expect(await readKernelFacts({ range: join(dir, 'range'), reserved: join(dir, 'reserved') })).toEqual({
      reservedPorts: [{ start: 8000, end: 8000 }],
      problem: `cannot parse ${join(dir, 'range')}: "nonsense"`,
    });
    const missing = await readKernelFacts({ range: join(dir, 'absent'), reserved: join(dir, 'absent') });
    expect(missing.problem).toBe(`cannot read ${join(dir, 'absent')}: no such file (a kernel without it, or a container that hides it)`);
    // A FIFO or directory in their place (a --root laid out by hand) is refused at once, never read until it ends.
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const special = readKernelFacts({ range: join(dir, 'fifo'), reserved: dir });
    expect(special).toEqual({ reservedPorts: [], problem: `cannot read ${join(dir, 'fifo')}: it is a FIFO (named pipe), not a regular file` });
  });
});
