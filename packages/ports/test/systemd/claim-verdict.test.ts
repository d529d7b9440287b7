// The one verdict on a unit's claim wiring (judgeClaims), on real unit trees
// read by the model: what both `ports systemd --check` and the health check say.
import { describe, expect, it } from 'vitest';
import { tempDir, writeTree } from '../../../../test-support/tree.js';
import { judgeClaims, privilegeFinding, unitFileMissing } from '../../src/systemd/claim-verdict.js';
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
  describe('a claim line in a file other units read too (a template, a dash-prefix or the type-wide drop-in directory)', () => {
    const ETC = 'etc/systemd/system';
    function shared(unit: string, files: Record<string, string>) {
      const root = writeTree(tempDir(), files);
      return judgeClaims(mergeUnit(loadUnit(root, unit)), {
        serviceId: 'api',
        port: 8000,
        transport: 'tcp',
        claimPortPaths: [],
        resolveId: (id) => (id === 'main' ? { port: 8000, transport: 'tcp' } : { problem: `${id} is not in the registry` }),
      }).map(({ severity, reason }) => ({ severity, reason }));
    }
    const FIX = 'put the claim in api@main.service.d/ (`systemd.claim: drop-in` writes api@main.service.d/claim-port.conf), or make the port follow the unit';

    it("warns for the template's unit file and its drop-ins: every instance (api@other too) would free the port", () => {
      expect(shared('api@main.service', { [`${ETC}/api@.service`]: service(`ExecStartPre=+${CLAIM} 8000`) })).toEqual([
        {
          severity: 'warning',
          reason: `ExecStartPre=+${CLAIM} 8000 in /${ETC}/api@.service:2 claims port 8000 for api@main.service, but /${ETC}/api@.service is the unit file of the template api@.service, which every instance of it reads, so starting any of them runs this claim-port too and frees port 8000 from api; ${FIX} (%i, or a $VARIABLE each unit sets)`,
        },
      ]);
      const dropIn = shared('api@main.service', {
        [`${ETC}/api@.service`]: service(),
        [`${ETC}/api@.service.d/claim.conf`]: `[Service]\nExecStartPre=+${CLAIM} 8000\n`,
      });
      expect(dropIn).toEqual([
        {
          severity: 'warning',
          reason: expect.stringContaining(`but /${ETC}/api@.service.d/ holds drop-ins of the template api@.service, which every instance of it reads`),
        },
      ]);
    });

    it('warns for the type-wide service.d/ and a dash-prefix directory', () => {
      const typeWide = shared('api.service', {
        [`${ETC}/api.service`]: service(),
        [`${ETC}/service.d/claim.conf`]: `[Service]\nExecStartPre=+${CLAIM} 8000\n`,
      });
      expect(typeWide).toEqual([{ severity: 'warning', reason: expect.stringContaining(`but /${ETC}/service.d/ holds drop-ins every service unit reads`) }]);
      const prefix = shared('dsa110-api@blue-x.service', {
        [`${ETC}/dsa110-api@.service`]: service(),
        [`${ETC}/dsa110-@blue-x.service.d/claim.conf`]: `[Service]\nExecStartPre=+${CLAIM} 8000\n`,
      });
      expect(prefix).toEqual([
        {
          severity: 'warning',
          reason: expect.stringContaining(`but /${ETC}/dsa110-@blue-x.service.d/ holds drop-ins every unit whose name starts with dsa110- reads`),
        },
      ]);
    });

    it("is ok in the instance's own drop-in, or when the line's port follows the unit (%i, a $VARIABLE)", () => {
      const ok = [{ severity: 'ok', reason: expect.stringMatching(/claims port 8000$/) }];
      expect(
        shared('api@main.service', {
          [`${ETC}/api@.service`]: service(),
          [`${ETC}/api@main.service.d/claim-port.conf`]: `[Service]\nExecStartPre=+${CLAIM} 8000\n`,
        }),
      ).toEqual(ok);
      expect(shared('api@main.service', { [`${ETC}/api@.service`]: service(`ExecStartPre=+${CLAIM} %i`) })).toEqual(ok);
      expect(
        shared('api@main.service', {
          [`${ETC}/api@.service`]: service(`ExecStartPre=+${CLAIM} \${PORT}`),
          [`${ETC}/api@main.service.d/port.conf`]: '[Service]\nEnvironment=PORT=8000\n',
        }),
      ).toEqual(ok);
      // A literal %%, the machine's %H, and %p (the template's prefix, the same for every instance) do not follow the instance.
      expect(shared('api@main.service', { [`${ETC}/api@.service`]: service('ExecStartPre=+/opt/100%%/claim-port 8000') })[0]!.severity).toBe('warning');
      expect(shared('api@main.service', { [`${ETC}/api@.service`]: service('ExecStartPre=+/opt/%H/claim-port 8000') })[0]!.severity).toBe('warning');
      expect(shared('api@main.service', { [`${ETC}/api@.service`]: service('ExecStartPre=+/opt/%p/claim-port 8000') })[0]!.severity).toBe('warning');
    });
  });

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
    // The + goes beside the prefixes written (`-`: a failed claim does not fail the unit), which it keeps.
    expect(user[0]!.reason).toContain(`write ExecStartPre=+-${CLAIM} 8000`);
    expect(verdict(service('DynamicUser=yes', `ExecStartPre=${CLAIM} 8000`))[0]).toMatchObject({ severity: 'error', reason: /DynamicUser=yes/ });
    // A drop-in's User= counts; User=root and ! (User= not applied) run as root.
    expect(verdict(service(`ExecStartPre=${CLAIM} 8000`), { 'etc/systemd/system/api.service.d/user.conf': '[Service]\nUser=api\n' })[0]!.severity).toBe(
      'error',
    );
    expect(verdict(service('User=root', `ExecStartPre=${CLAIM} 8000`))[0]!.severity).toBe('warning');
    expect(verdict(service('User=api', `ExecStartPre=!${CLAIM} 8000`))[0]!.severity).toBe('ok');
    expect(verdict(service('User=api', `ExecStartPre=!!${CLAIM} 8000`))[0]!.severity).toBe('error');
  });

  describe('the line the + advice says to write', () => {
    // The advice's line, written in place of the one judged: what the operator does with it.
    const advice = (findings: ReturnType<typeof verdict>) => {
      const reason = findings.find((finding) => finding.reason.includes('lacks the + prefix'))?.reason;
      return reason?.match(/; write ExecStartPre=(.*)$/)?.[1];
    };
    const follow = (lines: readonly string[], written: string) =>
      verdict(service(...lines.map((line) => (line.startsWith('ExecStartPre=') ? `ExecStartPre=${written}` : line))));

    it('puts the + on the claim-port command of a `;` chain, not the first command: systemd takes prefixes per command', () => {
      const lines = ['User=nobody', `ExecStartPre=/bin/true ; ${CLAIM} 8000`];
      const findings = verdict(service(...lines));
      expect(findings).toEqual([{ severity: 'error', reason: expect.stringContaining('lacks the + prefix, so claim-port runs as User=nobody') }]);
      expect(advice(findings)).toBe(`/bin/true ; +${CLAIM} 8000`);
      expect(follow(lines, advice(findings)!)).toEqual([{ severity: 'ok', reason: expect.stringMatching(/claims port 8000$/) }]);
      // The old advice (+ on the first command) leaves claim-port as it was: still the same error.
      expect(follow(lines, `+/bin/true ; ${CLAIM} 8000`)).toEqual(
        findings.map((finding) => ({ ...finding, reason: expect.stringContaining('lacks the + prefix, so') })),
      );
    });

    it('names the command the finding is about when the chain holds another claim-port with + already', () => {
      const lines = [`ExecStartPre=+${CLAIM} 9000 ; ${CLAIM} 8000`];
      const findings = verdict(service(...lines));
      expect(findings.map(({ severity }) => severity)).toEqual(['error', 'warning']);
      expect(advice(findings)).toBe(`+${CLAIM} 9000 ; +${CLAIM} 8000`);
      // The warning goes; the other command's wrong port is an error of its own.
      expect(follow(lines, advice(findings)!)).toEqual([
        { severity: 'error', reason: expect.stringContaining('claims port 9000, but api uses port 8000') },
        { severity: 'ok', reason: expect.any(String) },
      ]);
    });

    it('keeps the other commands and every prefix as written (- @ :), drops !! (refused beside +), and a quoted first word', () => {
      for (const [written, expected] of [
        [`-/bin/true ; -@${CLAIM} claim-port 8000 ; :/bin/echo $HOME`, `-/bin/true ; +-@${CLAIM} claim-port 8000 ; :/bin/echo $HOME`],
        [`!!${CLAIM} 8000 ; /bin/echo \\; done`, `+${CLAIM} 8000 ; /bin/echo \\; done`],
        [`/bin/echo ";" ; "${CLAIM}" 8000`, `/bin/echo ";" ; +"${CLAIM}" 8000`],
        [`/bin/true ; ":${CLAIM}" 8000`, `/bin/true ; "+:${CLAIM}" 8000`],
      ]) {
        const lines = ['User=api', `ExecStartPre=${written}`];
        const findings = verdict(service(...lines));
        expect(findings, written).toEqual([{ severity: 'error', reason: expect.stringContaining('lacks the + prefix') }]);
        expect(advice(findings), written).toBe(expected);
        expect(follow(lines, advice(findings)!), written).toEqual([{ severity: 'ok', reason: expect.stringMatching(/claims port 8000$/) }]);
      }
    });
    it("privilegeFinding alone finds the command in the chain: the claim-port one, or the one with the ExecLine's words", () => {
      const user = { user: { value: 'nobody', file: `/${UNIT}`, line: 2 } };
      expect(privilegeFinding({ prefixes: '', value: `/bin/true ; ${CLAIM} 8000` }, user)?.reason).toMatch(
        new RegExp(`; write ExecStartPre=/bin/true ; \\+${CLAIM} 8000$`),
      );
      const root = writeTree(tempDir(), { [UNIT]: service('User=nobody', `ExecStartPre=${CLAIM} 9000 ; ${CLAIM} 8000`) });
      const [first, second] = mergeUnit(loadUnit(root, 'api.service')).execStartPre;
      expect(privilegeFinding(first!, user)?.reason).toMatch(new RegExp(`; write ExecStartPre=\\+${CLAIM} 9000 ; ${CLAIM} 8000$`));
      expect(privilegeFinding(second!, user)?.reason).toMatch(new RegExp(`; write ExecStartPre=${CLAIM} 9000 ; \\+${CLAIM} 8000$`));
    });
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

  it("ends the fix of a wrong port as `ports systemd` would: the host's daemon-reload, or under --root the system's next boot", () => {
    const root = writeTree(tempDir(), { [UNIT]: service(`ExecStartPre=+${CLAIM} 8001`) });
    const fix = (options: { root?: string; regenerate?: string }) =>
      judgeClaims(mergeUnit(loadUnit(root, 'api.service')), {
        serviceId: 'api',
        port: 8000,
        transport: 'tcp',
        claimPortPaths: [],
        resolveId: () => ({ problem: 'unused' }),
        ...options,
      })[0]!.reason.split('; it would free the wrong port; ')[1];
    expect(fix({})).toBe('make the line claim port 8000 (`ports systemd` prints it), then `systemctl daemon-reload`');
    expect(fix({ root: '/', regenerate: 'ports systemd' })).toBe('make the line claim port 8000 (`ports systemd` prints it), then `systemctl daemon-reload`');
    expect(fix({ root, regenerate: `ports systemd --root ${root}` })).toBe(
      `make the line claim port 8000 (\`ports systemd --root ${root}\` prints it); systemd reads it when the system under ${root} boots`,
    );
  });

  it('says a masked claim-port.conf is masked, and to remove it first (running `ports systemd` alone changes nothing: the link stays)', () => {
    const masked = 'etc/systemd/system/api.service.d/claim-port.conf';
    const root = writeTree(tempDir(), { [UNIT]: service(), [masked]: { symlink: '/dev/null' } });
    const [finding] = judgeClaims(mergeUnit(loadUnit(root, 'api.service')), {
      serviceId: 'api',
      port: 8000,
      transport: 'tcp',
      claimPortPaths: [],
      resolveId: () => ({ problem: 'unused' }),
    });
    expect(finding).toEqual({
      severity: 'error',
      where: `/${masked}`,
      reason: `no ExecStartPre= in api.service calls claim-port, so nothing frees port 8000 before it starts: its claim drop-in /${masked} is masked (a link to /dev/null, or empty), so systemd reads nothing from it; remove /${masked}, then run \`ports systemd\``,
    });
  });
});

describe('unitFileMissing', () => {
  const DROP_IN = 'etc/systemd/system/api.service.d/claim-port.conf';
  const missing = (files: Parameters<typeof writeTree>[1]) => unitFileMissing(mergeUnit(loadUnit(writeTree(tempDir(), files), 'api.service')));

  it('is true with drop-ins and no unit file (systemd loads no unit from drop-ins alone), or a drop-in it cannot read', () => {
    expect(missing({ [DROP_IN]: `[Service]\nExecStartPre=+${CLAIM} 8000\n` })).toBe(true);
    expect(missing({ [DROP_IN]: { fifo: true } })).toBe(true);
    expect(missing({})).toBe(true);
  });

  it('is false with a unit file, or one it cannot read (root may), masked or not', () => {
    expect(missing({ [UNIT]: service(), [DROP_IN]: '[Service]\n' })).toBe(false);
    expect(missing({ 'usr/lib/systemd/system/api.service': { fifo: true }, [DROP_IN]: '[Service]\n' })).toBe(false);
    expect(missing({ [UNIT]: { symlink: '/dev/null' } })).toBe(false);
  });
});
