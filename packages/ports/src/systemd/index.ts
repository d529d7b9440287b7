// @dsa110/ports/systemd: how systemd and claim-port read a unit's claim line.
// For now claim-port's own argument grammar, shared by claim-port and the
// health check so both judge an `ExecStartPre=` claim line the same way.
export {
  parseClaimArgs,
  parseClaimTarget,
  parseClaimTimeout,
  CLAIM_USAGE,
  type ClaimArgs,
  type ParsedClaimArgs,
} from './claim-args.js';
export { DEFAULT_CLAIM_TIMEOUT_SECONDS, MAX_CLAIM_TIMEOUT_SECONDS, isClaimTimeout } from '../limits.js';
