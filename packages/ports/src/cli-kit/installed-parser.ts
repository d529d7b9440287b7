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
// The package is found as Node finds it (the first node_modules/@dsa110/ports
// with a package.json, in require.resolve.paths), but its package.json is
// read here, not by require.resolve: Node's reader blocks for ever on a FIFO
// and reports a broken file (not JSON, a directory) as "not found". So an
// installed package whose package.json is broken is said to be installed and
// broken, naming the file and what is wrong; it is read as files/read.ts reads
// a file a user named (links followed, as pnpm's symlinked package
// directories need, but a FIFO, device or directory refused without a
// blocking open, and at most 1 MiB read).
//
// Called only when a registry is parsed (a --registry file, $DSA110_PORTS_FILE
// or a service id with one): the bundled registry never reads package.json.
// The version is checked, not a hash of parse.cjs: hashing its 250 KB at each
// load (node:crypto loaded, then sha256) cost 7-10 ms against 70-100 ms for
// requiring the parser (Node 20), and the version already tells a published
// @dsa110/ports from another.
import { lstatSync } from 'node:fs';
import { escapeText } from '../escape.js';
import { FileReadError, readFileBytes } from '../files/read.js';
import type { Parser } from '../load-parser.js';

const PORTS = '@dsa110/ports';

/** A real package.json is a few KB; this is far above any, and bounds the read of a wrong one. */
const MANIFEST_MAX_BYTES = 1024 * 1024;

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
  | { readonly kind: 'broken'; readonly at: string; readonly why: string }
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
      return `cannot load the registry parser: ${PORTS} is installed, but ${escapeText(problem.at, 300)} cannot be read (${escapeText(problem.why, 200)}); ${reinstall}`;
    case 'broken':
      return `cannot load the registry parser: ${PORTS} is installed, but ${escapeText(problem.at, 300)} is broken (${escapeText(problem.why, 200)}); ${reinstall}`;
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
  const manifest = findManifest(require);
  if (manifest === undefined) throw notInstalled(parserProblemMessage({ kind: 'missing', from }, build));
  const found = readVersion(manifest, build);
  if (found !== build.portsVersion) throw notInstalled(parserProblemMessage({ kind: 'mismatch', at: manifest, found }, build));
  const file = `${manifest.slice(0, manifest.lastIndexOf('/'))}/dist/parse.cjs`;
  try {
    return require(file) as Parser;
  } catch (error) {
    // A parser that is there but fails (zod under a polluted Object.prototype): load.ts says why.
    if ((error as NodeJS.ErrnoException | null)?.code !== 'MODULE_NOT_FOUND') throw error;
    throw notInstalled(parserProblemMessage({ kind: 'no-parser', at: file, why: firstLine(error) }, build));
  }
}

/**
 * node_modules/@dsa110/ports/package.json in the first directory Node would
 * look in (require.resolve.paths: each node_modules from the bundle's
 * directory up, then NODE_PATH and the global folders) where there is
 * anything of that name, even a broken one (a FIFO, a directory, a dangling
 * link): that is the installed package. Where there is none, Node goes on to
 * the next directory (an empty package directory left behind), and so does
 * this. Nothing is opened or read here.
 */
function findManifest(require: NodeJS.Require): string | undefined {
  for (const directory of require.resolve.paths(PORTS) ?? []) {
    const manifest = `${directory}/${PORTS}/package.json`;
    try {
      lstatSync(manifest);
      return manifest;
    } catch {
      // Nothing there (ENOENT, ENOTDIR), or a directory this user may not search (EACCES): Node goes on too.
    }
  }
  return undefined;
}

/** The `version` of the installed package.json, when it is a string; else an Error saying what is wrong with the file. */
function readVersion(manifest: string, build: ParserBuild): string {
  let text: string;
  try {
    text = readFileBytes(manifest, { maxBytes: MANIFEST_MAX_BYTES }).toString('utf8');
  } catch (error) {
    const why = error instanceof FileReadError ? error.reason : firstLine(error);
    throw notInstalled(parserProblemMessage({ kind: 'unreadable', at: manifest, why }, build));
  }
  const broken = (why: string) => notInstalled(parserProblemMessage({ kind: 'broken', at: manifest, why }, build));
  let json: unknown;
  try {
    // A byte order mark is tolerated, as npm does.
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw broken(`not JSON: ${firstLine(error)}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw broken(`not a JSON object but ${shortJson(json)}`);
  if (!Object.hasOwn(json, 'version')) throw broken('it has no "version"');
  const { version } = json as { version: unknown };
  if (typeof version !== 'string') throw broken(`its "version" is not a string but ${shortJson(version)}`);
  return version;
}

/** A value from JSON, written as JSON, at most about 60 characters (escaped by the message). */
function shortJson(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
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
