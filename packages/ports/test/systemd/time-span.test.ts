// systemd's time spans as parse_sec() reads them (systemd.time(7)); each value
// here was checked against systemd 252's `systemd-analyze timespan`.
import { describe, expect, it } from 'vitest';
import { parseTimeSpan } from '../../src/systemd/time-span.js';

describe('parseTimeSpan', () => {
  it.each<[string, number]>([
    ['90', 90],
    [' 90 ', 90],
    ['5min 20s', 320],
    ['1h30m', 5400],
    ['1.5h', 5400],
    ['2 min', 120],
    ['500ms', 0.5],
    ['1m500ms', 60.5],
    ['.5s', 0.5],
    ['1.5', 1.5],
    ['1 h 2', 3602],
    ['1y', 31557600],
    ['1d', 86400],
    ['2w', 1209600],
    ['1M', 2629800],
    ['3 seconds', 3],
    ['1min5', 65],
    ['1000us', 0.001],
    ['0', 0],
    ['infinity', Infinity],
    // strtoll's sign; whole microseconds (a digit past them adds nothing: 0 is TimeoutStartSec='s "no limit").
    ['+5', 5],
    ['5min +30s', 330],
    ['0.0000001', 0],
    ['1.0000005', 1],
    ['1.9999999us', 0.000001],
  ])('%j is %d s', (text, seconds) => {
    expect(parseTimeSpan(text)).toBeCloseTo(seconds, 9);
  });

  it.each([
    '',
    ' ',
    'soon',
    '-5',
    '5x',
    '5secs',
    '.',
    '5.',
    '5.s',
    '5 .',
    'infinity 5',
    '1e3',
    '+.5',
    '+ 5',
    '600000 years',
    '584542 years',
    '9223372036854775807',
  ])('refuses %j, as systemd does (it then ignores the line; out of range: 2^64 µs or more)', (text) => {
    expect(parseTimeSpan(text)).toBeUndefined();
  });
});
