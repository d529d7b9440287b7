// The command-line plumbing the three bins share (ports, claim-port,
// port-health-check): the writer, the injected io, the argument parser and the
// conventions. Internal: bundled into each bin, not part of the public API.
export { fdWriter, type FdWriter } from './write.js';
export { exitNow, finishOutput, processIo, type Io, type Env, type ProcessIo } from './io.js';
export { ignoreInspectorSignal, INSPECTOR_CLOSED } from './inspector-signal.js';
export { isJournalStream, journalLines, type Severity, type StreamId } from './journal.js';
export {
  flagSyntax,
  formatFlags,
  parseCommandLine,
  STANDARD_OPTIONS,
  UsageError,
  type Flag,
  type Flags,
  type Options,
  type Parsed,
  type ParseOptions,
} from './parse.js';
export { cacheHelp, EXIT_USAGE, usageHint, wantsJson, errorJson, packageVersion, useColor, workingDirectoryGone } from './conventions.js';
export { CACHE_ENV, cacheDir, rootOnlyAlong } from '../cache.js';
export { argumentShape, bundleMark, cacheName, compiledText, decodeEntry, wrapCommonJs } from './code-cache.js';
export {
  commandLine,
  lostPathMessage,
  notUtf8PathMessage,
  processEnvironment,
  recoverArguments,
  recoverEnvironment,
  undecodedVariables,
  type CommandLine,
  type Environment,
} from './argv.js';
export { fileSystemPath } from '../utf8.js';
export { simplifyPath } from '../systemd/words.js';
