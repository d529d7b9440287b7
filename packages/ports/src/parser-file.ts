// The registry parser (yaml and zod) as a file required at run time,
// dist/parse.cjs: the library requires its own (the build's lazy parser,
// packages/ports/scripts/build.mjs), the bins of the other packages the
// installed @dsa110/ports's (cli-kit/installed-parser.ts). A file that is
// there but broken (cut short by an interrupted upgrade: a SyntaxError as it
// loads; emptied: it exports nothing) is one line naming it as installed but
// broken and what to reinstall, and the tool could not run (ports 1,
// claim-port 1, the health check 3): never advice on bundling, never a
// registry problem (claim-port then went on with its built-in protected
// list), never "X(...).parseRegistryText is not a function" at the first
// parse.
import { escapeText } from './escape.js';
import type { Parser } from './load-parser.js';
import { pollutedKeys } from './polluted.js';

/**
 * The `code` of an Error saying that the installed parser cannot be used:
 * missing, of another version, not trusted, or broken. Not a problem of the
 * registry file: load.ts passes it on as it is, and each tool reports it as
 * "could not run" (ports 1, claim-port 1, port-health-check 3).
 */
export const PARSER_NOT_INSTALLED = 'ERR_DSA110_PORTS_PARSER_NOT_INSTALLED';

/** An Error of one line with the code PARSER_NOT_INSTALLED. */
export function parserNotInstalled(message: string): Error {
  return Object.assign(new Error(message), { code: PARSER_NOT_INSTALLED });
}

/** Whether `error` says the installed parser cannot be used (PARSER_NOT_INSTALLED). */
export function isParserNotInstalled(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === PARSER_NOT_INSTALLED;
}

/** The names of the functions a module exports. */
type FunctionNames<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T];

/** Every function the parser exports (a compile error when one is left out): each must be one, else the file is not the parser. */
const PARSER_FUNCTIONS: Readonly<Record<FunctionNames<Parser>, true>> = {
  parseRegistryText: true,
  registryJsonSchema: true,
  formatPath: true,
  parseConfigYamlText: true,
  entryKeyPositions: true,
  protectPatternPosition: true,
};

/**
 * The parser that `load()` (a require of `file`) gives, checked to be one;
 * else an Error of one line (PARSER_NOT_INSTALLED): `cannot load the registry
 * parser: @dsa110/ports is installed, but FILE is broken (WHY); REINSTALL`.
 * An error as it loads under a prototype another module polluted is passed
 * on as it is: the file is fine, and load.ts names the keys.
 */
export function requireParserFile(load: () => unknown, file: string, reinstall: string): Parser {
  let exports: unknown;
  try {
    exports = load();
  } catch (error) {
    if (pollutedKeys().length > 0) throw error;
    throw brokenParser(file, describeThrown(error), reinstall);
  }
  for (const name of Object.keys(PARSER_FUNCTIONS)) {
    if (typeof (exports as Record<string, unknown> | null | undefined)?.[name] !== 'function') {
      throw brokenParser(file, `it does not export ${name}`, reinstall);
    }
  }
  return exports as Parser;
}

function brokenParser(file: string, why: string, reinstall: string): Error {
  return parserNotInstalled(
    `cannot load the registry parser: @dsa110/ports is installed, but ${escapeText(file, 300)} is broken (${escapeText(why, 200)}); ${reinstall}`,
  );
}

/** `SyntaxError: Unexpected end of input`: the name and the first line of what a module threw. */
function describeThrown(error: unknown): string {
  if (!(error instanceof Error)) return String(error).split('\n')[0] ?? '';
  const message = error.message.split('\n')[0] ?? '';
  return message === '' ? error.name : `${error.name}: ${message}`;
}
