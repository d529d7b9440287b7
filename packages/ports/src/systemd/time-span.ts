// systemd's time spans (systemd.time(7)), as parse_sec() reads them in
// systemd 252: numbers, each with an optional unit (seconds when none),
// summed: `90`, `5min 20s`, `1h30m`, `1.5h`, `500ms`; `infinity`. A unit is
// matched as the first entry of systemd's table that the text starts with
// (so `m` is minutes and `ms` milliseconds, `M` a month). Pure.
import { stringArgument } from '../arguments.js';

/** One second, in microseconds: systemd counts time spans in whole µs (usec_t). */
const SECOND = 1_000_000n;
const MINUTE = 60n * SECOND;
const HOUR = 3600n * SECOND;
const DAY = 86400n * SECOND;
/** A year is 365.25 days, a month a twelfth of it (USEC_PER_YEAR, USEC_PER_MONTH). */
const YEAR = 31_557_600n * SECOND;
const MONTH = YEAR / 12n;
/** systemd's units in its table's order (time-util.c, extract_multiplier): the first that the text starts with wins. */
const UNITS: readonly (readonly [string, bigint])[] = [
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
  ['msec', 1000n],
  ['ms', 1000n],
  ['m', MINUTE],
  ['hours', HOUR],
  ['hour', HOUR],
  ['hr', HOUR],
  ['h', HOUR],
  ['days', DAY],
  ['day', DAY],
  ['d', DAY],
  ['weeks', 7n * DAY],
  ['week', 7n * DAY],
  ['w', 7n * DAY],
  ['years', YEAR],
  ['year', YEAR],
  ['y', YEAR],
  ['usec', 1n],
  ['us', 1n],
  ['µs', 1n],
  ['μs', 1n],
];

/** USEC_INFINITY: a sum that reaches it is out of range (ERANGE), and systemd ignores the line. */
const USEC_INFINITY = (1n << 64n) - 1n;
/** strtoll's largest value. */
const LLONG_MAX = (1n << 63n) - 1n;

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
  let total = 0n;
  let something = false;
  for (;;) {
    rest = rest.replace(WHITESPACE, '');
    if (rest === '') return something ? Number(total) / 1e6 : undefined;
    // strtoll's optional `+` and digits (a `-` is refused, as systemd does), then an optional fraction (`.5`, not `5.`):
    // no exponent. A `+` with no digits is nothing strtoll read.
    const number = /^(\+?)(\d*)(?:\.(\d*))?/.exec(rest)!;
    const [read, sign, digits, fraction] = number as unknown as [string, string, string, string | undefined];
    if ((digits === '' && (sign !== '' || fraction === undefined)) || fraction === '' || rest.startsWith('.', read.length)) return undefined;
    rest = rest.slice(read.length).replace(WHITESPACE, '');
    const unit = UNITS.find(([name]) => rest.startsWith(name));
    if (unit) rest = rest.slice(unit[0].length);
    const multiplier = unit ? unit[1] : SECOND;
    const whole = BigInt(digits || '0');
    if (whole > LLONG_MAX || whole >= USEC_INFINITY / multiplier) return undefined;
    total += whole * multiplier;
    // Each digit of the fraction at a tenth of the one before, in whole µs, as systemd adds them: past the
    // microsecond a digit adds nothing (`0.0000001` is 0, which TimeoutStartSec= takes as no limit).
    let weight = multiplier / 10n;
    for (const digit of fraction ?? '') {
      total += BigInt(digit) * weight;
      weight /= 10n;
    }
    if (total >= USEC_INFINITY) return undefined;
    something = true;
  }
}
