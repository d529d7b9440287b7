import { stringArgument } from './arguments.js';
/** A strict decimal port: digits only, no sign, no leading zero, 1-65535. */
export function parsePort(text: string): number | undefined {
  stringArgument('parsePort', 'text', text, 'a string (a port as text; a number is already parsed: check it with isPort)');
  if (!/^[1-9][0-9]{0,4}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/** The longest text portProblem reads further than ASCII: a port in any decimal digits is at most 10 UTF-16 units (5 digits). */
const MAX_PORT_TEXT = 100;

/**
 * Whether non-empty `text` is all decimal digits (\p{Nd}), of any script: tested as "no character that is not one", a
 * test that holds no stack for a long run as /^\p{Nd}+$/u did (a RangeError past a few million characters).
 */
export function isOtherDigits(text: string): boolean {
  stringArgument('isOtherDigits', 'text', text, 'a string (a port as text)');
  return text !== '' && !/\P{Nd}/u.test(text);
}

/** Why `text` is not a port, for error messages; undefined when it is one. */
export function portProblem(text: string): string | undefined {
  stringArgument('portProblem', 'text', text, 'a string (a port as text)');
  if (parsePort(text) !== undefined) return undefined;
  if (text === '') return 'it is empty';
  if (text.trim() !== text) return 'it has surrounding white space';
  if (/^0[0-9]+$/.test(text)) return 'it has a leading zero';
  if (/^[0-9]+$/.test(text)) return 'it is outside 1-65535';
  // `-0` is no negative number, nor `+80` a number written plainly, but a sign all the same.
  if (/^(?:-0+|\+[0-9]+)$/.test(text)) return 'it has a sign';
  if (/^-[0-9]+$/.test(text)) return 'it is negative';
  // Told before the test below, whose /^\p{Nd}+$/u overflowed the stack (a RangeError) on millions of digits, and
  // before the message that shows every one of them: no port is written with more, in any digits.
  if (text.length > MAX_PORT_TEXT) return `it is ${text.length} characters long, far too long for a port`;
  // `٨٠`, `１２` (Arabic-Indic, fullwidth): a number to the eye, written with other digits than the ones a port is written with.
  if (isOtherDigits(text)) return notAsciiProblem(text)!;
  return 'it is not a plain decimal integer';
}

/**
 * What in `text` is not ASCII, by code point, for a message about a value or key that looks like one written in ASCII
 * (a port `８０００` in fullwidth digits, a key `рort` with a Cyrillic р): `it is written with digits other than ASCII
 * 0-9 (U+FF18, U+FF10: 8000 in ASCII digits)`, or `it holds U+0440, not ASCII`; undefined when it is all ASCII.
 * The one wording for an environment override, a port on the command line and a value or key of the registry file.
 */
export function notAsciiProblem(text: string): string | undefined {
  stringArgument('notAsciiProblem', 'text', text, 'a string');
  if (!/[\u0080-\uffff]/.test(text)) return undefined; // all ASCII (a character beyond the BMP is two units here)
  if (text.length <= MAX_PORT_TEXT && isOtherDigits(text))
    return `it is written with digits other than ASCII 0-9 (${codePoints(text)}: ${asciiDigits(text)} in ASCII digits)`;
  return `it holds ${codePoints(text)}, not ASCII`;
}

/** `U+0668, U+0660`: the distinct characters of `text` that are not ASCII, by code point (the first six, then how many more). */
function codePoints(text: string): string {
  const points = [...new Set([...text].filter((c) => c > '\x7f'))].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
  return points.length > 6 ? `${points.slice(0, 6).join(', ')} and ${points.length - 6} more` : points.join(', ');
}

/**
 * `80` for `٨٠`: each decimal digit (\p{Nd}) as its ASCII digit. Unicode encodes every set of decimal digits as a
 * contiguous run 0-9 (sets may follow one another: the mathematical digits), so a digit's value is its distance from
 * the start of the run of decimal digits it is in, modulo 10.
 */
function asciiDigits(text: string): string {
  return [...text]
    .map((c) => {
      let start = c.codePointAt(0)!;
      while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
      return String((c.codePointAt(0)! - start) % 10);
    })
    .join('');
}

export function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}
