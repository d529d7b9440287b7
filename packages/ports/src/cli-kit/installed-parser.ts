// The registry parser (yaml and zod, dist/parse.cjs) of the @dsa110/ports a
// bin of another package depends on: the bins bundle the registry library
// but not its parser, which they require on first use, from the installed
// @dsa110/ports (scripts/build-support.mjs, portsInBin). npm lets that package
// be uninstalled or upgraded on its own (`npm uninstall -g @dsa110/ports`
// beside a global claim-port), so it may be missing, or another version than
// the one the bin was built with, whose parser's schema and rules the bin's
// own code does not expect. Either is one line saying what is wrong, where it
// looked and what to install: never Node's "Cannot find module ... Require
// stack" and never an old bin run with a new parser.
//
// Called only when a registry is parsed (a --registry file, $DSA110_PORTS_FILE
// or a service id with one): the bundled registry never reads package.json.
// The version is checked, not a hash of parse.cjs: hashing its 250 KB at each
// load (node:crypto loaded, then sha256) cost 7-10 ms against 70-100 ms for
// requiring the parser (Node 20), and the version already tells a published
// @dsa110/ports from another.
import { readFileSync } from 'node:fs';
import { escapeText } from '../escape.js';
import type { Parser } from '../load-parser.js';

const PORTS = '@dsa110/ports';

/**
 * The `code` of the errors thrown here. load.ts passes an error with it on as
 * it is (the tool could not run: claim-port exits 1, the health check 3),
 * instead of reading it as a problem of the registry file.
 */
export const PARSER_NOT_INSTALLED = 'ERR_DSA110_PORTS_PARSER_NOT_INSTALLED';

/** What the bin was built with: its own package and version, and the exact version of @dsa110/ports. */
export interface ParserBuild {
  readonly tool: string;
  readonly toolVersion: string;
  readonly portsVersion: string;
}

/** Why the installed parser cannot be used. */
export type ParserProblem =
  | { readonly kind: 'missing'; readonly from: string }
  | { readonly kind: 'unreadable'; readonly at: string; readonly why: string }
  | { readonly kind: 'mismatch'; readonly at: string; readonly found: string }
  | { readonly kind: 'no-parser'; readonly at: string; readonly why: string };

/** Pure: the one line that says what is wrong, where, and what to do; paths and found values escaped. */
export function parserProblemMessage(problem: ParserProblem, build: ParserBuild): string {
  const exact = `${PORTS}@${build.portsVersion}`;
  const reinstall = `reinstall ${build.tool} with the ${PORTS} it depends on, or install ${exact} beside it`;
  switch (problem.kind) {
    case 'missing':
      return `cannot load the registry parser: ${PORTS} is not installed where ${build.tool} looks for it (node_modules in ${escapeText(problem.from, 300)} and each directory above); ${reinstall}`;
    case 'unreadable':
      return `cannot load the registry parser: ${escapeText(problem.at, 300)} cannot be read (${escapeText(problem.why, 200)}); ${reinstall}`;
    case 'mismatch':
      return `cannot load the registry parser: ${build.tool} ${build.toolVersion} was built with ${exact} exactly, but ${escapeText(problem.at, 300)} is version ${escapeText(problem.found, 50)}; install ${exact} there, or reinstall ${build.tool} at the version made for ${PORTS} ${escapeText(problem.found, 50)}`;
    case 'no-parser':
      return `cannot load the registry parser: ${escapeText(problem.at, 300)} of ${exact} cannot be loaded (${escapeText(problem.why, 200)}); ${reinstall}`;
  }
}

/**
 * The parser of the @dsa110/ports that `require` (the bundle's own) finds
 * from `from` (the bundle's directory), when its version is the one the bin
 * was built with; else an Error of one line (parserProblemMessage).
 */
export function requireInstalledParser(require: NodeJS.Require, from: string, build: ParserBuild): Parser {
  let manifest: string;
  try {
    manifest = require.resolve(`${PORTS}/package.json`);
  } catch {
    throw notInstalled(parserProblemMessage({ kind: 'missing', from }, build));
  }
  let found: unknown;
  try {
    found = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown } | null)?.version;
  } catch (error) {
    throw notInstalled(parserProblemMessage({ kind: 'unreadable', at: manifest, why: firstLine(error) }, build));
  }
  if (found !== build.portsVersion) {
    throw notInstalled(parserProblemMessage({ kind: 'mismatch', at: manifest, found: typeof found === 'string' ? found : 'none' }, build));
  }
  const file = `${manifest.slice(0, manifest.lastIndexOf('/'))}/dist/parse.cjs`;
  try {
    return require(file) as Parser;
  } catch (error) {
    // A parser that is there but fails (zod under a polluted Object.prototype): load.ts says why.
    if ((error as NodeJS.ErrnoException | null)?.code !== 'MODULE_NOT_FOUND') throw error;
    throw notInstalled(parserProblemMessage({ kind: 'no-parser', at: file, why: firstLine(error) }, build));
  }
}

function notInstalled(message: string): Error {
  return Object.assign(new Error(message), { code: PARSER_NOT_INSTALLED });
}

/** The first line of an error's message (Node's "Require stack" follows it). */
function firstLine(error: unknown): string {
  const message = String((error as Error | undefined)?.message ?? error);
  const end = message.indexOf('\n');
  return end < 0 ? message : message.slice(0, end);
}
