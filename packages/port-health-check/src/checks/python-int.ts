// Python 3's int(text), base 10: how click's INT reads uvicorn's --port (and
// UVICORN_PORT), and gunicorn's util.parse_address a bind's port. CPython
// (checked with 3.10 to 3.13) first turns each character past ASCII that is
// whitespace (str.isspace()) into a space and each decimal digit (Unicode Nd,
// any script, scripts mixed freely: `1٢𝟘` is 120) into its ASCII digit, any
// other into an error; then it takes ASCII spaces around (\t\n\v\f\r and ` `,
// not the \x1c-\x1f that str.isspace() has), one sign, and digits with single
// underscores between them, at most 4300 digits (the default
// sys.get_int_max_str_digits(), leading zeros counted; PYTHONINTMAXSTRDIGITS
// is not read here). Nd here is Node's Unicode, newer than an older Python's
// (3.11: Unicode 14), so a digit of a script added since is read as a digit.
//
// The expressions with Unicode classes are made at the first text past ASCII:
// V8 builds a \p{...} class from ICU's tables when the expression is made, and
// at module scope that ran at every start of the health check (its bundle runs
// every module's top level), for a port that is nearly always ASCII. Over ASCII
// the two expressions match alike: ASCII's only spaces in SPACE are \t\n\v\f\r
// and ` `, its only Nd the digits 0 to 9.

const SPACE = '[\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const ASCII_INT = /^[\t\n\v\f\r ]*([+-]?)([0-9]+(?:_[0-9]+)*)[\t\n\v\f\r ]*$/;
let unicodeInt: RegExp | undefined;
let unicodeDigit: RegExp | undefined;
const MAX_DIGITS = 4300;

/** Pure: whether every character of `text` is ASCII. */
function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** The expression that reads `text`: ASCII's, or Unicode's (made at the first text past ASCII, see above). */
function intPattern(text: string): RegExp {
  if (isAscii(text)) return ASCII_INT;
  unicodeInt ??= new RegExp(`^${SPACE}*([+-]?)(\\p{Nd}+(?:_\\p{Nd}+)*)${SPACE}*$`, 'u');
  return unicodeInt;
}

/** Pure: the value of a decimal digit (Unicode Nd): its place in its run of Nd code points, each script's 0 to 9 being ten in a row. */
function digitValue(point: number): number {
  if (point >= 0x30 && point <= 0x39) return point - 0x30;
  unicodeDigit ??= /^\p{Nd}$/u;
  let zero = point;
  while (unicodeDigit.test(String.fromCodePoint(zero - 1))) zero -= 1;
  return (point - zero) % 10;
}

/** Pure: what Python 3's int(text) gives (base 10), or undefined where it raises ValueError. */
export function pythonInt(text: string): bigint | undefined {
  const found = intPattern(text).exec(text);
  if (!found) return undefined;
  const digits = [...found[2]!].filter((char) => char !== '_').map((char) => digitValue(char.codePointAt(0)!));
  if (digits.length > MAX_DIGITS) return undefined;
  const value = BigInt(digits.join(''));
  return found[1] === '-' ? -value : value;
}
