// `ports systemd --check` and the health check on a claim line behind a
// wrapper (`env claim-port 8000`, `nice -n 5 claim-port 8000`, `sh -c
// '...'`): both read it through the core's claimLines, so they agree. A
// wrapper read exactly is judged as the line inside (port, `+`); one that
// cannot be read is the health check's unknown and --check's "cannot tell",
// never "nothing frees the port".
import { describe, expect, it } from 'vitest';
import { bothTools, CLAIM, CLAIM_REGISTRY, checkVerdict, healthVerdict, type Verdict, wiredRoot } from './agreement.js';

/** A root with svc.service (`claim: unit`) whose unit file holds `ExecStartPre=LINE`. */
async function bothToolsOn(line: string) {
  const { root, registry } = await wiredRoot('dsa110-wrapper-agree-', [`ExecStartPre=${line}`], { robust: true, unit: 'svc.service', claim: 'unit' });
  return bothTools(root, registry);
}

const untold = (line: string) => line.startsWith('svc.service: cannot tell') || line.includes('which this check does not read');

describe('`ports systemd --check` and the health check agree on a claim line behind a wrapper', () => {
  it.each<[string, Verdict, string]>([
    [`+/usr/bin/env ${CLAIM} 8000 ${CLAIM_REGISTRY}`, 'ok', 'claims port 8000'],
    [`+/usr/bin/env PATH=/usr/local/bin:/usr/bin ${CLAIM} 8000 ${CLAIM_REGISTRY}`, 'ok', 'claims port 8000'],
    [`+/usr/bin/nice -n 5 ${CLAIM} 8000 ${CLAIM_REGISTRY}`, 'ok', 'claims port 8000'],
    [`+/usr/bin/ionice -c 3 /usr/bin/nice -n5 ${CLAIM} 8000 ${CLAIM_REGISTRY}`, 'ok', 'claims port 8000'],
    [`+/bin/sh -c 'exec ${CLAIM} 8000 ${CLAIM_REGISTRY}'`, 'ok', 'claims port 8000'],
    [`+/usr/bin/env ${CLAIM} 8001 ${CLAIM_REGISTRY}`, 'error', 'claims port 8001, but svc uses port 8000'],
    [`+/usr/bin/sudo ${CLAIM} 8000 ${CLAIM_REGISTRY}`, 'unknown', 'runs claim-port through sudo, which this check does not read'],
    [`+/bin/sh -c '${CLAIM} 8000 ${CLAIM_REGISTRY} || true'`, 'unknown', 'runs claim-port through sh -c with "|", which this check does not read'],
    [`+/usr/bin/env DSA110_PORTS_FILE=/x ${CLAIM} 8000`, 'unknown', 'runs claim-port through env setting DSA110_PORTS_FILE'],
    // Each a wrapper the real program does not run as a loose reading would (claim-wrapper.test.ts runs them): never a pass.
    [`+/bin/sh -c '${CLAIM}\\n8000 ${CLAIM_REGISTRY}'`, 'unknown', 'runs claim-port through sh -c with "\\n"'],
    [`+/usr/bin/ionice -c idel ${CLAIM} 8000 ${CLAIM_REGISTRY}`, 'unknown', 'runs claim-port through ionice with -c idel'],
    // claim-port by name after env sets PATH: the line claims the port; the file env finds there is the dependencies check's (claim-env-path.test.ts).
    [`+/usr/bin/env PATH=/nonexistent:/usr/local/bin claim-port 8000 ${CLAIM_REGISTRY}`, 'ok', 'claims port 8000'],
    [`+/usr/bin/env PATH=/usr/local/bin nice claim-port 8000 ${CLAIM_REGISTRY}`, 'unknown', 'runs claim-port through env setting PATH, then nice by name'],
    // Run as a loose reading would, but not read: unknown, never "nothing frees the port".
    [`+/bin/sh -c -e '${CLAIM} 8000 ${CLAIM_REGISTRY}'`, 'unknown', 'runs claim-port through sh -c with the option -e'],
  ])('%s', async (line, verdict, reason) => {
    const { check, health } = await bothToolsOn(line);
    expect({ ports: checkVerdict(check, untold), health: healthVerdict(health) }).toEqual({ ports: verdict, health: verdict });
    expect(health.map((result) => result.reason)).toContainEqual(expect.stringContaining(reason));
    expect(health.map((result) => result.reason)).not.toContainEqual(expect.stringContaining('nothing frees'));
  });
});
