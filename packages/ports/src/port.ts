import { stringArgument } from './arguments.js';
/** A strict decimal port: digits only, no sign, no leading zero, 1-65535. */
export function parsePort(text: string): number | undefined {
  stringArgument('parsePort', 'text', text, 'a string (a port as text; a number is already parsed: check it with isPort)');
  if (!/^[1-9][0-9]{0,4}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
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
  return 'it is not a plain decimal integer';
}

export function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}
