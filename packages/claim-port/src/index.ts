// @dsa110/claim-port: free a registered port safely, completely and fast.
// The public API, as the README documents it: claimPort() and what it takes,
// returns and throws, and the command's exit code for a result. The command's
// internals (argument grammar, plan, readers) are not part of it.
export { claimPort } from './claim.js';
export { ClaimUsageError, type ClaimOptions, type LogLevel } from './options.js';
export type { ClaimResult, ClaimAction, HolderReport, HolderOutcome, OtherPort, SocketHolder } from './result.js';
export { exitCode, EXIT_FREE, EXIT_NOT_FREE } from './exit-code.js';
