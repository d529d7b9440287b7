// What the perl scan's output means: only records it can account for are
// taken; a process perl could not read completely, or any output that does not
// parse, is left to the Node scan (recheck), never guessed.
import { describe, expect, it } from 'vitest';
import { readChildOutput } from '../../src/system/holders-perl.js';

const wanted = new Map([
  ['socket:[100]', 100],
  ['socket:[200]', 200],
]);
const records = (...fields: (string | number)[][]) => fields.map((record) => `${record.join('\0')}\0`).join('');

describe('readChildOutput', () => {
  it('takes the holders of wanted sockets and the empty fd directories, for PIDs with a d record', () => {
    const out = records(['d', 10, 3], ['s', 10, 'socket:[100]'], ['s', 10, 'socket:[999]'], ['d', 11, 0], ['d', 12, 1], ['s', 12, 'socket:[200]']);
    expect(readChildOutput([10, 11, 12], out, wanted)).toEqual({ scan: { found: [10, 100, 12, 200], unreadable: [], empty: [11] }, recheck: [] });
  });

  it('leaves a PID with an error record to the Node scan, and drops what was read of it', () => {
    const out = records(['d', 10, 2], ['s', 10, 'socket:[100]'], ['e', 10, 13], ['e', 11, 2], ['d', 12, 0]);
    expect(readChildOutput([10, 11, 12], out, wanted)).toEqual({ scan: { found: [], unreadable: [], empty: [12] }, recheck: [10, 11] });
  });

  it('leaves a PID with no record at all to the Node scan', () => {
    expect(readChildOutput([10, 11], records(['d', 10, 1], ['s', 10, 'socket:[100]']), wanted)).toEqual({
      scan: { found: [10, 100], unreadable: [], empty: [] },
      recheck: [11],
    });
  });

  it.each([
    ['output cut short (no final NUL)', `${records(['d', 10, 1])}s\u000010\u0000socket:[1`],
    ['a PID it was not given', records(['d', 10, 1], ['s', 99, 'socket:[100]'])],
    ['a PID written oddly', records(['d', '010', 1])],
    ['an unknown record', records(['d', 10, 1], ['x', 10, 1])],
    ['a count that is not a number', records(['d', 10, 'lots'])],
    ['a record cut in two', 'd\u000010\u0000'],
  ])('leaves every PID to the Node scan on %s', (_, out) => {
    expect(readChildOutput([10, 11], out, wanted)).toEqual({ scan: { found: [], unreadable: [], empty: [] }, recheck: [10, 11] });
  });

  it('reads nothing from an empty output: every PID is rechecked', () => {
    expect(readChildOutput([10], '', wanted).recheck).toEqual([10]);
  });
});
