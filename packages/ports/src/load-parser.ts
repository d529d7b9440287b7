// In source (tests, tsx) the parser is imported directly. The build replaces
// this module with one that requires dist/parse.cjs on first use, so that
// importing the library and loading the bundled registry never loads yaml or
// zod (about 50 ms of start-up); see scripts/build.mjs.
import * as parser from './parse.js';

export type Parser = typeof parser;

export function loadParser(): Parser {
  return parser;
}
