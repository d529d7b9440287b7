// What a polluted prototype is made of, for the message that blames it:
// the parser's libraries (yaml, zod 4) read their own objects through
// Object.prototype, so a key another module set there (a deep merge of
// untrusted JSON: `Object.prototype.port = 1`) can break them.
import { quoteValue } from './escape.js';

/**
 * The enumerable properties every object or list inherits (`Object.prototype.port = 1`, set by
 * another module's bug: a deep merge of untrusted JSON), quoted, at most five: what a failure of
 * the libraries in this process is down to. An object has none of its own making.
 */
export function pollutedKeys(): string[] {
  const keys = new Set<string>();
  for (const key in {}) keys.add(`Object.prototype.${key}`);
  for (const key in []) if (!keys.has(`Object.prototype.${key}`)) keys.add(`Array.prototype.${key}`);
  return [...keys].slice(0, 5).map((key) => quoteValue(key));
}
