// The registry parser (yaml and zod, dist/parse.cjs) of the @dsa110/ports a
// bin of another package depends on: the bins bundle the registry library
// but not its parser, which they require on first use, from the installed
// @dsa110/ports (scripts/build-support.mjs, portsInBin). npm lets that package
// be uninstalled or upgraded on its own (`npm uninstall -g @dsa110/ports`
// beside a global claim-port), so it may be missing, or another version than
// the one the bin was built with, whose parser's schema and rules the bin's
// own code does not expect. Either is one line saying what is wrong, where it
// looked and what to install: never Node's "Cannot find module ... Require
// stack" and never an old bin run with a new parser. A dist/parse.cjs that is
// there but broken is parser-file.ts's one line.
//
// The package is found as Node finds it in the node_modules of the bundle's
// directory and of each directory above (the first node_modules/@dsa110/ports
// with a package.json), but never in Node's global folders ($NODE_PATH,
// $HOME/.node_modules, $HOME/.node_libraries, PREFIX/lib/node): npm and pnpm
// never install a dependency there, and they come from the environment,
// which for root (claim-port in ExecStartPre=+, a sudo that keeps HOME) may
// be another user's: their files, run as root. And the package found is used
// only when its directory, dist/parse.cjs and every directory above them
// (real paths: links followed, then judged) are owned by root or the running
// user and writable by no one else (a directory others may write only when
// sticky, as /tmp): the rule of the cache's directories (cache.ts,
// distrustedPath), since a bin that runs as root must never run code another
// user could have written. One that is not is one line naming it, the part at
// fault (owner, mode) and what to do, never passed over for one further up.
//
// Its package.json is read here, not by require.resolve: Node's reader
// blocks for ever on a FIFO and reports a broken file (not JSON, a
// directory) as "not found". So an installed package whose package.json is
// broken is said to be installed and broken, naming the file and what is
// wrong; it is read as files/read.ts reads a file a user named (links
// followed, as pnpm's symlinked package directories need, but a FIFO, device
// or directory refused without a blocking open, and at most 1 MiB read).
//
// Called only when a registry is parsed (a --registry file, $DSA110_PORTS_FILE
// or a service id with one): the bundled registry never reads package.json.
// The version is checked, not a hash of parse.cjs: hashing its 250 KB at each
// load (node:crypto loaded, then sha256) cost 7-10 ms against 70-100 ms for
// requiring the parser (Node 20), and the version already tells a published
// @dsa110/ports from another.
import { lstatSync, realpathSync } from 'node:fs';
import { type Distrusted, distrustedPath } from '../cache.js';
import { escapeText } from '../escape.js';
import { FileReadError, readFileBytes } from '../files/read.js';
import type { Parser } from '../load-parser.js';
import { parserNotInstalled, requireParserFile } from '../parser-file.js';

const PORTS = '@dsa110/ports';

/** A real package.json is a few KB; this is far above any, and bounds the read of a wrong one. */
const MANIFEST_MAX_BYTES = 1024 * 1024;

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
  | { readonly kind: 'no-parser'; readonly at: string; readonly why: string }
  | { readonly kind: 'untrusted'; readonly at: string; readonly packageDir: string; readonly fault: Distrusted };

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
    case 'untrusted': {
      const { at, packageDir, fault } = problem;
      const part = fault.at === at ? 'it' : escapeText(fault.at, 300);
      return `cannot load the registry parser: ${escapeText(at, 300)} is not trusted: ${part} ${escapeText(fault.why, 200)}, and the parser is loaded only from files and directories that root or the running user owns and no one else may write; if that ${PORTS} is yours, chown it and chmod go-w (and the directories above it), else remove ${escapeText(packageDir, 300)} and ${reinstall}`;
    }
  }
}

/**
 * The parser of the @dsa110/ports that `require` (the bundle's own) finds
 * from `from` (the bundle's directory), when it is trusted (see above) and
 * its version is the one the bin was built with; else an Error of one line
 * (parserProblemMessage, or parser-file.ts's for a broken dist/parse.cjs).
 */
export function requireInstalledParser(require: NodeJS.Require, from: string, build: ParserBuild): Parser {
  const manifest = findManifest(require);
  if (manifest === undefined) throw parserNotInstalled(parserProblemMessage({ kind: 'missing', from }, build));
  const packageDir = manifest.slice(0, manifest.lastIndexOf('/'));
  const given = `${packageDir}/dist/parse.cjs`;
  // Judged before its package.json is read: another user's package is said to be theirs, whatever version it claims.
  const real = realPath(packageDir, build);
  const untrusted = (fault: Distrusted) => parserNotInstalled(parserProblemMessage({ kind: 'untrusted', at: given, packageDir, fault }, build));
  const directoryFault = distrustedPath(real, 'directory');
  if (directoryFault !== undefined) throw untrusted(directoryFault);
  const found = readVersion(manifest, build);
  if (found !== build.portsVersion) throw parserNotInstalled(parserProblemMessage({ kind: 'mismatch', at: manifest, found }, build));
  let file: string;
  try {
    file = realpathSync(`${real}/dist/parse.cjs`);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT' ? 'no such file' : firstLine(error);
    throw parserNotInstalled(parserProblemMessage({ kind: 'no-parser', at: given, why }, build));
  }
  const fileFault = distrustedPath(file, 'file');
  if (fileFault !== undefined) throw untrusted(fileFault);
  // The real path judged is the one required: a link swapped meanwhile changes nothing.
  return requireParserFile(
    () => require(file),
    given,
    `reinstall ${build.tool} with the ${PORTS} it depends on, or install ${PORTS}@${build.portsVersion} beside it`,
  );
}

/** The real path of the package directory (pnpm links it into .pnpm), or the one line saying it cannot be read. */
function realPath(packageDir: string, build: ParserBuild): string {
  try {
    return realpathSync(packageDir);
  } catch (error) {
    throw parserNotInstalled(parserProblemMessage({ kind: 'unreadable', at: packageDir, why: firstLine(error) }, build));
  }
}

/**
 * node_modules/@dsa110/ports/package.json in the first directory Node would
 * look in, of those in the bundle's directory and each directory above
 * (require.resolve.paths up to /node_modules; never the global folders
 * after it, see above), where there is anything of that name, even a broken
 * one (a FIFO, a directory, a dangling link): that is the installed package.
 * Where there is none, Node goes on to the next directory (an empty package
 * directory left behind), and so does this. Nothing is opened or read here.
 */
function findManifest(require: NodeJS.Require): string | undefined {
  const paths = require.resolve.paths(PORTS) ?? [];
  for (const directory of paths.slice(0, paths.indexOf('/node_modules') + 1)) {
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
    throw parserNotInstalled(parserProblemMessage({ kind: 'unreadable', at: manifest, why }, build));
  }
  const broken = (why: string) => parserNotInstalled(parserProblemMessage({ kind: 'broken', at: manifest, why }, build));
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

/** The first line of an error's message (Node's "Require stack" follows it). */
function firstLine(error: unknown): string {
  const message = String((error as Error | undefined)?.message ?? error);
  const end = message.indexOf('\n');
  return end < 0 ? message : message.slice(0, end);
}
