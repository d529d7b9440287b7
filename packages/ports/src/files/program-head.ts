// What a file's first bytes say it is to the kernel: an ELF executable
// (`\x7fELF`) or a script (`#!`). One reading for the health check (is a
// claim-port or Grafana a program or a wrapper), the claim line's interpreter
// chain and the writer that never replaces a program.
import { describeArgument } from '../arguments.js';

/** The first bytes of an ELF file: `\x7fELF`. */
const ELF_MAGIC: readonly number[] = [0x7f, 0x45, 0x4c, 0x46];

/** Whether `head` (a file's first bytes, at least 4 to tell) starts as an ELF executable does. */
export function isElfHead(head: Uint8Array): boolean {
  if (!(head instanceof Uint8Array)) throw new TypeError(`isElfHead: head must be a Uint8Array (a file's first bytes), not ${describeArgument(head)}`);
  return head.length >= ELF_MAGIC.length && ELF_MAGIC.every((byte, at) => head[at] === byte);
}

/** Whether `head` (a file's first bytes) starts with `#!`, a script's interpreter line. */
export function isScriptHead(head: Uint8Array): boolean {
  if (!(head instanceof Uint8Array)) throw new TypeError(`isScriptHead: head must be a Uint8Array (a file's first bytes), not ${describeArgument(head)}`);
  return head.length >= 2 && head[0] === 0x23 && head[1] === 0x21;
}
