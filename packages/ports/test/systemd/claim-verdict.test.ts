// The one verdict on a unit's claim wiring (judgeClaims), on real unit trees
// read by the model: what both `ports systemd --check` and the health check say.
import { describe, expect, it } from 'vitest';
import { tempDir, writeTree } from '../../../../test-support/tree.js';
import { judgeClaims } from '../../src/systemd/claim-verdict.js';
import { loadUnit, mergeUnit } from '../../src/systemd/effective.js';

const CLAIM = '/usr/local/bin/claim-port';
const UNIT = 'etc/systemd/system/api.service';

function verdict(text: string, dropIns: Record<string, string> = {}, claimPortPaths: readonly string[] = []) {
  const root = writeTree(tempDir(), { [UNIT]: text, ...dropIns });
  return judgeClaims(mergeUnit(loadUnit(root, 'api.service')), {
    serviceId: 'api',
    port: 8000,
    transport: 'tcp',
    claimPortPaths,
    resolveId: (id) => (id === 'api' ? { port: 8000, transport: 'tcp' } : { problem: `${id} is not in the registry` }),
  }).map(({ severity, reason }) => ({ severity, reason }));
}
const service = (...lines: string[]) => `[Service]\n${lines.join('\n')}\nExecStart=/usr/bin/api\n`;

describe('judgeClaims', () => {
  it('is ok for +claim-port on the service port, by number or by id', () => {
    expect(verdict(service(`ExecStartPre=+${CLAIM} 8000`))).toEqual([{ severity: 'ok', reason: expect.stringMatching(/claims port 8000$/) }]);
    expect(verdict(service('User=api', `ExecStartPre=+${CLAIM} api`))).toEqual([{ severity: 'ok', reason: expect.any(String) }]);
  });

  it('knows a claim-port of another name (--claim-port PATH) as systemd stores its path: // and /./ simplified on either side', () => {
    const ok = [{ severity: 'ok', reason: expect.stringMatching(/claims port 8000$/) }];
    expect(verdict(service('ExecStartPre=+/opt//bin/./claim 8000'), {}, ['/opt/bin/claim'])).toEqual(ok);
    expect(verdict(service('ExecStartPre=+/opt/bin/claim 8000'), {}, ['/opt//bin/./claim'])).toEqual(ok);
    expect(verdict(service('ExecStartPre=+"/opt/my tools/claim" 8000'), {}, ['/opt/my tools/claim'])).toEqual(ok);
    expect(verdict(service('ExecStartPre=+/opt/bin/claim 8000'), {}, ['/opt/bin/claim2'])[0]!.severity).toBe('error');
  });

  it('without +: a warning when the unit sets no User= (runs as root), an error with User= or DynamicUser=', () => {
    expect(verdict(service(`ExecStartPre=${CLAIM} 8000`))).toEqual([
      { severity: 'warning', reason: expect.stringContaining(`runs as root only because the unit sets no User=`) },
    ]);
    const user = verdict(service('User=api', `ExecStartPre=-${CLAIM} 8000`));
    expect(user).toEqual([{ severity: 'error', reason: expect.stringContaining(`runs as User=api (/${UNIT}:2)`) }]);
    expect(user[0]!.reason).toContain(`write ExecStartPre=+${CLAIM} 8000`);
    expect(verdict(service('DynamicUser=yes', `ExecStartPre=${CLAIM} 8000`))[0]).toMatchObject({ severity: 'error', reason: /DynamicUser=yes/ });
    // A drop-in's User= counts; User=root and ! (User= not applied) run as root.
    expect(verdict(service(`ExecStartPre=${CLAIM} 8000`), { 'etc/systemd/system/api.service.d/user.conf': '[Service]\nUser=api\n' })[0]!.severity).toBe(
      'error',
    );
    expect(verdict(service('User=root', `ExecStartPre=${CLAIM} 8000`))[0]!.severity).toBe('warning');
    expect(verdict(service('User=api', `ExecStartPre=!${CLAIM} 8000`))[0]!.severity).toBe('ok');
    expect(verdict(service('User=api', `ExecStartPre=!!${CLAIM} 8000`))[0]!.severity).toBe('error');
  });

  it('is an error for the wrong port, a line claim-port refuses, no claim line, or a later clear', () => {
    expect(verdict(service(`ExecStartPre=+${CLAIM} 8001`))[0]).toMatchObject({ severity: 'error', reason: /claims port 8001, but api uses port 8000/ });
    for (const args of ['8000 --dry-run', '8000 -t 5', '8000 --bogus', '8000 8001', 'nope'])
      expect(verdict(service(`ExecStartPre=+${CLAIM} ${args}`))[0]!.severity, args).toBe('error');
    expect(verdict(service('ExecStartPre=/bin/true'))[0]).toMatchObject({ severity: 'error', reason: /no ExecStartPre= in api\.service calls claim-port/ });
    expect(verdict(service(`ExecStartPre=+${CLAIM} 8000`), { 'etc/systemd/system/api.service.d/zz.conf': '[Service]\nExecStartPre=\n' })[0]).toMatchObject({
      severity: 'error',
      reason: /the empty ExecStartPre= in .*zz\.conf:2 clears every earlier ExecStartPre=/,
    });
  });
});
