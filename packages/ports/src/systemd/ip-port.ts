// A port number as systemd reads one (parse_ip_port(): safe_atou16_full()
// with SAFE_ATO_REFUSE_LEADING_WHITESPACE, then not 0), the grammar of the
// port in ListenStream= and ListenDatagram=. Not decimal only: strtoul() with
// base 0 under systemd's own `0b`/`0o` prefixes, so `0x4650`, `043120`,
// `0o43120`, `0b100011001010000` and `+18000` are all 18000 to systemd 252
// (checked with systemd-analyze; test/systemd/ip-port.test.ts holds the table
// against it). Pure.
import { stringArgument } from '../arguments.js';

/** strtoul()'s digits of each base: the whole rest must be digits, at least one. */
const DIGITS: Readonly<Record<2 | 8 | 10 | 16, RegExp>> = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ };

/**
 * The port `text` names as systemd 252 reads it, or undefined where systemd
 * refuses it (it then ignores the Listen line): `18000`, `0x4650`, `0X4650`,
 * `043120` (a leading 0 is octal, so `08` is refused), `0o43120`, `0b…`, a
 * sign (`+18000`; `-…` is out of range), never white space first (systemd
 * trims the whole value, not the port after `:`), nothing after the digits,
 * ASCII digits only; 1-65535 (0 is refused).
 */
export function parseIpPort(text: string): number | undefined {
  stringArgument('parseIpPort', 'text', text, 'a port as systemd writes it (a string)');
  // SAFE_ATO_REFUSE_LEADING_WHITESPACE: systemd's WHITESPACE, and the empty string (strchr finds its NUL).
  if (text === '' || ' \t\n\r'.includes(text[0]!)) return undefined;
  let rest = text;
  let base: 0 | 2 | 8 | 10 | 16 = 0;
  // mangle_base(): systemd's own prefixes, before strtoul() (which then takes white space and a sign after them).
  const prefix = /^0([bBoO])/.exec(rest);
  if (prefix) {
    base = /[bB]/.test(prefix[1]!) ? 2 : 8;
    rest = rest.slice(2);
  }
  // strtoul(): isspace() in the C locale, a sign, then with base 0 `0x` (hex, with a hex digit after it), `0` (octal) or decimal.
  rest = rest.replace(/^[ \t\n\v\f\r]*/, '');
  const negative = rest.startsWith('-');
  if (rest.startsWith('+') || negative) rest = rest.slice(1);
  if (base === 0) {
    if (/^0[xX][0-9a-fA-F]/.test(rest)) {
      base = 16;
      rest = rest.slice(2);
    } else base = rest.startsWith('0') ? 8 : 10;
  }
  if (!DIGITS[base].test(rest)) return undefined;
  const value = Number.parseInt(rest, base);
  // A minus sign on anything but 0 is ERANGE; 0 is EINVAL; above 65535 (or 2^32, or 2^64) ERANGE.
  if (negative && value !== 0) return undefined;
  return value >= 1 && value <= 65535 ? value : undefined;
}
