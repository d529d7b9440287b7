// IP addresses as numbers: the health check's firewall evaluator tests them
// against nft's prefixes and ranges, claim-port's one-address bind check
// refuses what is none. Written out rather than node:net's isIP or BlockList:
// node:net costs each bin's start-up 2-3 ms, and this is all they need.
import { stringArgument } from '../arguments.js';

export interface AddressBits {
  readonly family: 4 | 6;
  readonly bits: 32 | 128;
  readonly value: bigint;
}

/** `10.1.2.3`, `fd00::1`, `::ffff:10.1.2.3` as a number; undefined when it is not an address. */
export function addressBits(text: string): AddressBits | undefined {
  stringArgument('addressBits', 'text', text, 'an IP address (a string)');
  const v4 = ipv4(text);
  if (v4 !== undefined) return { family: 4, bits: 32, value: v4 };
  const v6 = ipv6(text);
  return v6 === undefined ? undefined : { family: 6, bits: 128, value: v6 };
}

function ipv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.reduce((value, part) => (value << 8n) | BigInt(part), 0n);
}

function ipv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split('::').length > 2) return undefined;
  let groups: string[];
  const [head, tail] = text.split('::') as [string, string | undefined];
  const split = (part: string) => (part === '' ? [] : part.split(':'));
  let words = [...split(head), ...(tail === undefined ? [] : split(tail))];
  // An embedded IPv4 address in the last two groups (::ffff:10.1.2.3).
  const last = words.at(-1);
  let embedded: bigint | undefined;
  if (last?.includes('.')) {
    embedded = ipv4(last);
    if (embedded === undefined) return undefined;
    words = words.slice(0, -1);
  }
  const size = embedded === undefined ? 8 : 6;
  if (tail === undefined) {
    if (words.length !== size) return undefined;
    groups = words;
  } else {
    const missing = size - words.length;
    if (missing < 1) return undefined;
    groups = [...split(head), ...Array<string>(missing).fill('0'), ...split(tail).slice(0, embedded === undefined ? undefined : -1)];
  }
  if (!groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  let value = groups.reduce((sum, group) => (sum << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
  if (embedded !== undefined) value = (value << 32n) | embedded;
  return value;
}
