// @dsa110/ports/systemd: the one systemd model, used by `ports systemd --check`
// and the health check. It reads unit files and drop-ins as systemd does
// (systemd.syntax, systemd.service Exec lines, drop-in search and precedence)
// and judges a claim line with claim-port's own argument grammar.
export {
  CLAIM_FLAGS,
  parseClaimArgs,
  parseClaimTarget,
  parseClaimTimeout,
  mayNameService,
  claimLabel,
  claimPortArgument,
  claimUsage,
  type ClaimArgs,
  type ParsedClaimArgs,
} from './claim-args.js';
export { DEFAULT_CLAIM_TIMEOUT_SECONDS, MAX_CLAIM_TIMEOUT_SECONDS, isClaimTimeout } from '../limits.js';
export { claimLines, claimLookupPath, claimTarget, DROP_IN_NAME, isClaimDropIn, isClaimPort, lineAsWritten, unreadClaimWrappers, where } from './claim-line.js';
export {
  BUNDLED_CLAIM_FIX,
  brokenUnitFileProblem,
  danglingAliasProblem,
  ignoredLinkProblem,
  claimDropInFix,
  claimRegistryProblem,
  judgeClaims,
  privilegeFinding,
  skippedDropInProblem,
  unitFileMissing,
  unreadMayHoldClaim,
  unreadMaySetExecStart,
  type ClaimExpectation,
  type ClaimFinding,
  type ClaimSeverity,
} from './claim-verdict.js';
export { claimLineDifferences, claimRegistryDifferences } from './registry-difference.js';
export { claimLineRegistry, claimRegistryLoader, claimRegistryUnresolved, readsOtherRegistry } from './line-registry.js';
export {
  claimExecKey,
  claimRoot,
  claimRootProcFinding,
  claimRootProcReason,
  procMountedIn,
  claimRootText,
  pathOutsideRoot,
  type ClaimRoot,
} from './root-directory.js';
export { maskedUnitText } from './masked-unit.js';
export { reloadStep } from './reload.js';
export { parseUnitFile, splitUnitLines, LONG_LINE_MAX, type Assignment, type UnitFileError } from './unit-file.js';
export {
  splitWords,
  extractWord,
  parseExec,
  commandArgv,
  parseEnvironment,
  execArgv,
  splitExecPrefixes,
  expandSpecifiers,
  HOST_SPECIFIERS,
  SYSTEM_MANAGER_SPECIFIERS,
  unknownSpecifier,
  SYSTEMD_WHITESPACE,
  isTrueSetting,
  type ExecCommand,
  type ParsedExec,
  type SpecifierUnit,
} from './words.js';
export { UNIT_DIRS, templateOf, dropInDirNames, dropInDirs, chooseDropIns } from './search-path.js';
export {
  mergeUnit,
  loadUnit,
  listUnitDirs,
  isValidUnitName,
  type EnvironmentFileRead,
  type EnvironmentFilesGiven,
  type LoadedFile,
  type LoadedUnit,
  type UnitDirListing,
} from './effective.js';
export { MAX_ENVIRONMENT_FILE_BYTES } from './environment-file.js';
export { readEnvironmentFiles, mergeUnitWithEnvironmentFiles, environmentDoubt, environmentFileFindings, claimVariables } from './environment-files.js';
export {
  listenPort,
  parseSocketUnit,
  readSocketUnits,
  socketUnitsOn,
  type ListeningSocket,
  type RelatedSocket,
  type SocketListen,
  type SocketUnit,
} from './socket-units.js';
export { initSocketAdvice, isSystemdInit } from './init-socket.js';
export { parseIpPort } from './ip-port.js';
export { parseTimeSpan } from './time-span.js';
export {
  readDefaultEnvironment,
  readDefaultStartTimeout,
  readManagerDefaults,
  SYSTEMD_DEFAULT_START_TIMEOUT_SECONDS,
  type DefaultStartTimeout,
  type ManagerDefaults,
} from './manager-defaults.js';
export { startTimeoutFinding, type StartTimeoutFinding } from './start-timeout.js';
export { claimPortInstall } from './claim-port-install.js';
export {
  CLAIM_PORT_BIN_FILES,
  registryWritablePart,
  registryWritableProblem,
  rootWritablePart,
  rootWritableProblem,
  type RootOnlyFault,
  type RootOnlyStep,
} from './root-writable.js';
export { SYSTEMD_DEFAULT_PATH, interpreterProblem, readInterpreter, unitSearchPath, type InterpreterLookup, type SearchPath } from './interpreter.js';
export {
  SYSTEMD_EXEC_SEARCH_PATH,
  describeExecSearch,
  execKey,
  execSearch,
  isBareCommand,
  parseExecSearchPathLine,
  unresolvedExecSearch,
  type ExecSearch,
  type ExecSearchPathLine,
} from './exec-search.js';
export { socketConflicts, type SocketConflict, type SocketConflictExpectation } from './socket-conflict.js';
export type {
  ClearedAt,
  EnvironmentFileFacts,
  EnvironmentSetting,
  HiddenPath,
  ExecLine,
  ExecSearchPathSetting,
  SettingLine,
  SkippedDropIn,
  IgnoredLink,
  DanglingAlias,
  StartTimeoutSetting,
  UnitFacts,
  UnreadPart,
  WorkingDirectorySetting,
  RootSetting,
  BooleanSetting,
} from './types.js';
