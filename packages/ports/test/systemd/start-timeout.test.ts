// startTimeoutFinding: the one verdict on a claiming unit's start timeout,
// on real unit trees read by the model, as `ports systemd` and the health
// check both give it (their own tests hold each to these words).
import { describe, expect, it } from 'vitest';
import { tempDir, writeTree } from '../../../../test-support/tree.js';
import { claimLines } from '../../src/systemd/claim-line.js';
import { loadUnit, mergeUnit } from '../../src/systemd/effective.js';
import { readDefaultStartTimeout } from '../../src/systemd/manager-defaults.js';
import { startTimeoutFinding } from '../../src/systemd/start-timeout.js';

const CLAIM = '/usr/local/bin/claim-port';
const UNIT = 'etc/systemd/system/api.service';
const service = (...lines: string[]) => `[Service]\n${lines.join('\n')}\nExecStart=/usr/bin/api\n`;

/** The finding for api.service written as `text` (with `files` beside it), its lines read with claim.timeoutSeconds `registryTimeout`. */
function finding(text: string, registryTimeout = 5, files: Record<string, string> = {}) {
  const root = writeTree(tempDir(), { [UNIT]: text, ...files });
  const unit = mergeUnit(loadUnit(root, 'api.service'));
  return startTimeoutFinding(unit, claimLines(unit.execStartPre, []), registryTimeout, readDefaultStartTimeout(root));
}

describe('startTimeoutFinding', () => {
  it("takes the registry's claim.timeoutSeconds for a line without --timeout, and finds nothing while the start timeout is longer", () => {
    expect(finding(service(`ExecStartPre=+${CLAIM} 8000`))).toBeUndefined();
    const long = finding(service(`ExecStartPre=+${CLAIM} 8000`), 83);
    expect(long).toEqual({
      reason: expect.stringContaining("claim-port takes up to 90.25 s (/etc/systemd/system/api.service:2 (the registry's claim.timeoutSeconds, 83 s)"),
      where: `/${UNIT}`,
    });
    expect(long!.reason).toMatch(/^api\.service gives its start 90 s \(no TimeoutStartSec= of its own, so systemd's default DefaultTimeoutStartSec=90s\)/);
    // Exactly as long as the claim may take is too short too: systemd's SIGTERM and claim-port's last step meet.
    expect(finding(service('TimeoutStartSec=90.25', `ExecStartPre=+${CLAIM} 8000`), 83)?.where).toBe(`/${UNIT}:2`);
    expect(finding(service('TimeoutStartSec=90.251', `ExecStartPre=+${CLAIM} 8000`), 83)).toBeUndefined();
  });

  it('adds up every claim line, takes --timeout and --force from each, and skips lines that claim nothing', () => {
    const found = finding(
      service(
        `ExecStartPre=+${CLAIM} --timeout 40 8000`,
        `ExecStartPre=+${CLAIM} --force 8001`,
        `ExecStartPre=+${CLAIM} --dry-run --timeout 300 8002`,
        'TimeoutStartSec=50',
      ),
    );
    expect(found?.reason).toContain(
      `its 2 claim-port lines take up to 54.5 s (/${UNIT}:2 (--timeout 40 s), /${UNIT}:3 (--force, no wait before SIGKILL), then up to 7.25 s of claim-port's own waits each`,
    );
    expect(found?.reason).toMatch(/say TimeoutStartSec=145s\), or give claim-port a shorter --timeout$/);
    expect(finding(service(`ExecStartPre=+${CLAIM} --help`), 300)).toBeUndefined();
  });

  it("holds Type=oneshot (no start timeout) and infinity as enough, and system.conf's default where the unit sets none", () => {
    expect(finding(service('Type=oneshot', `ExecStartPre=+${CLAIM} 8000`), 300)).toBeUndefined();
    expect(finding(service('TimeoutStartSec=infinity', `ExecStartPre=+${CLAIM} 8000`), 300)).toBeUndefined();
    const conf = { 'etc/systemd/system.conf': '[Manager]\nDefaultTimeoutStartSec=10s\n' };
    expect(finding(service(`ExecStartPre=+${CLAIM} 8000`), 5, conf)).toEqual({
      reason: expect.stringContaining(
        "gives its start 10 s (no TimeoutStartSec= of its own, so systemd's DefaultTimeoutStartSec=10s at /etc/systemd/system.conf:2)",
      ),
      where: '/etc/systemd/system.conf:2',
    });
  });

  it('refuses what is not a unit or a list of lines, naming itself', () => {
    expect(() => startTimeoutFinding(undefined as never, [], 5)).toThrow(
      /^startTimeoutFinding: unit must be an object \(a unit's facts, from mergeUnit\), not undefined$/,
    );
    expect(() => startTimeoutFinding({ unit: 'api.service' } as never, 'ExecStartPre=' as never, 5)).toThrow(
      'startTimeoutFinding: claims must be an array of ExecLine (claimLines), not the string "ExecStartPre="',
    );
    const unit = mergeUnit(loadUnit(writeTree(tempDir(), { [UNIT]: service() }), 'api.service'));
    expect(() => startTimeoutFinding(unit, [], 301)).toThrow(
      new RangeError("startTimeoutFinding: registryTimeoutSeconds must be a registry's claim.timeoutSeconds, 0.001 to 300 seconds, not number 301"),
    );
    expect(() => startTimeoutFinding(unit, [], '5' as never)).toThrow(TypeError);
  });
});
