// systemd's time spans (systemd.time(7)), as parse_sec() reads them in
// systemd 252: numbers, each with an optional unit (seconds when none),
// summed: `90`, `5min 20s`, `1h30m`, `1.5h`, `500ms`; `infinity`. A unit is
// matched as the first entry of systemd's table that the text starts with
// (so `m` is minutes and `ms` milliseconds, `M` a month). Pure.
import { stringArgument } from '../arguments.js';

const SECOND = 1;
const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;
/** A year is 365.25 days, a month a twelfth of it (USEC_PER_YEAR, USEC_PER_MONTH). */
const YEAR = 365.25 * DAY;
const MONTH = YEAR / 12;
/** systemd's units in its table's order (time-util.c, extract_multiplier): the first that the text starts with wins. */
const UNITS: readonly (readonly [string, number])[] = [
  ['seconds', SECOND],
  ['second', SECOND],
  ['sec', SECOND],
  ['s', SECOND],
  ['minutes', MINUTE],
  ['minute', MINUTE],
  ['min', MINUTE],
  ['months', MONTH],
  ['month', MONTH],
  ['M', MONTH],
  ['msec', 0.001],
  ['ms', 0.001],
  ['m', MINUTE],
  ['hours', HOUR],
  ['hour', HOUR],
  ['hr', HOUR],
  ['h', HOUR],
  ['days', DAY],
  ['day', DAY],
  ['d', DAY],
  ['weeks', 7 * DAY],
  ['week', 7 * DAY],
  ['w', 7 * DAY],
  ['years', YEAR],
  ['year', YEAR],
  ['y', YEAR],
  ['usec', 1e-6],
  ['us', 1e-6],
  ['µs', 1e-6],
  ['μs', 1e-6],
];

const WHITESPACE = /^[ \t\n\r]*/;

/**
 * Pure: a time span in seconds (`Infinity` for `infinity`), or undefined when
 * systemd would refuse it (empty, a sign, a word it does not know): it then
 * logs the line and ignores it.
 */
export function parseTimeSpan(text: string): number | undefined {
  stringArgument('parseTimeSpan', 'text', text, 'a time span (a string)');
  const trimmed = text.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
  if (trimmed === 'infinity') return Infinity;
  let rest = trimmed;
  let seconds = 0;
  let something = false;
  for (;;) {
    rest = rest.replace(WHITESPACE, '');
    if (rest === '') return something ? seconds : undefined;
    // strtoll's digits, then an optional fraction (`.5`, not `5.`): no sign, no exponent.
    const number = /^(\d*)(?:\.(\d+))?/.exec(rest)!;
    if (number[0] === '' || rest.startsWith('.', number[0].length)) return undefined;
    rest = rest.slice(number[0].length).replace(WHITESPACE, '');
    const unit = UNITS.find(([name]) => rest.startsWith(name));
    if (unit) rest = rest.slice(unit[0].length);
    seconds += Number(`${number[1] || '0'}.${number[2] ?? ''}0`) * (unit ? unit[1] : SECOND);
    something = true;
  }
}
