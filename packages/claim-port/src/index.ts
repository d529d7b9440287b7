// @dsa110/claim-port: free a registered port safely, completely and fast.
export { claimPort, SETTLE_MS, SETTLE_MAX_MS } from './claim.js';
export { ClaimUsageError, type ClaimOptions, type LogLevel } from './options.js';
export { resolveTarget, targetName, type Target } from './target.js';
export { gatherContext, wouldRestart, type ClaimContext, type HolderContext } from './context.js';
export { verifyBindable, readBlockers, describeBlockers, describeSocket, type BindVerdict, type Blocker } from './blockers.js';
export { procControl, type ProcessControl } from './processes.js';
export type { ClaimResult, ClaimAction, HolderReport, HolderOutcome } from './result.js';
export { exitCode, EXIT_FREE, EXIT_NOT_FREE, EXIT_USAGE } from './exit-code.js';
export {
  parseClaimArgs as parseArgs,
  parseClaimTarget as parseTarget,
  parseClaimTimeout as parseTimeout,
  CLAIM_USAGE as USAGE,
  MAX_CLAIM_TIMEOUT_SECONDS as MAX_TIMEOUT_SECONDS,
  type ParsedClaimArgs as ParsedArgs,
  type ClaimArgs,
} from '@dsa110/ports/systemd';
export { planClaim, distinctHolders, describeListener, describeHolder, describeUnit, type Plan, type PlanInput, type Refusal } from './plan.js';
export { protectionReason, isContainerRuntime, BUILTIN_POLICY, type ProtectionPolicy, type Self } from './policy.js';
export { procReader, lsofReader, defaultReader, type Reader, type Gathered } from './reader.js';
export { isSameProcess, isRunning, signalIfSame, pollUntil, type Identity, type SignalOutcome } from './watch.js';
export { runSelfTest } from './self-test.js';
