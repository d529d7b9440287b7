// Recognising the ExecStartPre= that calls claim-port, and what it claims:
// the core's systemd model (@dsa110/ports/systemd), so that this check and
// `ports systemd --check` give one verdict.
export { claimLines, claimTarget, isClaimPort, where } from '@dsa110/ports/systemd';
