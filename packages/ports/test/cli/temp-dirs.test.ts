// The CLI tests' temp dirs (checkout(), tempDir()) are test-support's: each is
// removed after the test that made it, so a test never sees another test's
// files and a long file leaves no pile of checkouts behind until it ends.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkout, tempDir } from './helpers.js';

describe('temp dirs of the CLI tests', () => {
  const made: string[] = [];

  it('are made fresh for a test', () => {
    made.push(checkout(), tempDir());
    for (const dir of made) expect(existsSync(dir)).toBe(true);
  });

  it('are gone after the test that made them', () => {
    expect(made).toHaveLength(2);
    for (const dir of made) expect(existsSync(dir), dir).toBe(false);
  });
});
