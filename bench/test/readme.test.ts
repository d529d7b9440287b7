// bench/README.md's last full run section is generated from bench/last-run.json:
// a stale section fails here, as a stale docs/ports.md fails `ports docs --check`.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module of the benchmark, without types
import { END, LAST_RUN, README, START, section, splice } from '../src/readme.mjs';

describe('bench/README.md', () => {
  it.skipIf(!existsSync(LAST_RUN))(
    'shows the last full run exactly as bench/last-run.json has it (skipped until a full run is committed: `pnpm bench` writes both)',
    () => {
      const readme = readFileSync(README, 'utf8');
      expect(readme).toBe(splice(readme, section(JSON.parse(readFileSync(LAST_RUN, 'utf8')))));
    },
  );

  it('splices between the markers, idempotently, and names a missing marker', () => {
    const page = `a\n${START}\nold\n${END}\nb\n`;
    const once = splice(page, 'new');
    expect(once).toBe(`a\n${START}\nnew\n${END}\nb\n`);
    expect(splice(once, 'new')).toBe(once);
    expect(() => splice('no markers\n', 'x')).toThrow(/needs exactly one <!-- bench:report:start -->/);
  });
});
