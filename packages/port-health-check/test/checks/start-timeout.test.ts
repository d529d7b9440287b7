// A claiming unit whose start timeout is not longer than its claim may take:
// systemd stops claim-port midway (ExecStartPre= runs within TimeoutStartSec=)
// and the service never starts. Real unit files and system.conf under a temp
// root, read by the real gather().
import { describe, expect, it } from 'vitest';
import { CLAIM_AFTER_TIMEOUT_MS } from '@dsa110/ports';
import { checkSystemd } from '../../src/checks/systemd.js';
import { gather } from '../../src/gather.js';
import { EXECUTABLE, tempDir, testRegistry, writeTree, type TreeEntry } from '../helpers.js';

const CLAIM = '/usr/local/bin/claim-port';
const registry = testRegistry([{ id: 'api', port: 8000, robust: true, unit: 'dsa110-api.service', claim: 'unit', processes: ['python3'] }]);
const DIR = 'etc/systemd/system';
const API = `${DIR}/dsa110-api.service`;
/** The unit: `lines` in [Service] (line 2 on), then the claim line, then ExecStart=. */
const unit = (lines: string[], claim = `ExecStartPre=+${CLAIM} 8000`) => `[Service]\n${[...lines, claim].join('\n')}\nExecStart=/usr/bin/python3 -m api\n`;
/** claim-port's waits past its timeout, as the warning gives them. */
const after = CLAIM_AFTER_TIMEOUT_MS / 1000;

async function warnings(files: Record<string, TreeEntry>) {
  const root = writeTree(tempDir(), { 'usr/local/bin/claim-port': EXECUTABLE, 'usr/bin/python3': EXECUTABLE, ...files });
  const facts = await gather({ registry, root, firewall: false });
  const results = checkSystemd(facts, registry.service('api'));
  return results.filter((r) => /start timeout/.test(r.reason));
}

describe('the start timeout against the claim', () => {
  it('warns when TimeoutStartSec= is not longer than the claim may take, naming the unit, the setting, both numbers and the fix', async () => {
    const found = await warnings({ [API]: unit(['TimeoutStartSec=8s']) });
    expect(found).toEqual([expect.objectContaining({ check: 'systemd', severity: 'warning', service: 'api', file: `/${API}:2` })]);
    expect(found[0]!.reason).toBe(
      `api (8000): dsa110-api.service gives its start 8 s (TimeoutStartSec=8s at /${API}:2), and claim-port takes up to ${5 + after} s ` +
        `(/${API}:3 (the registry's claim.timeoutSeconds, 5 s), then up to ${after} s of claim-port's own waits each: for killed processes to go, for a supervisor to take the port back, for the bind check): ` +
        'systemd would stop claim-port midway (ExecStartPre= runs within the start timeout) and dsa110-api.service would never start; ' +
        `set TimeoutStartSec= in its [Service] section to more than ${5 + after} s plus the service's own start-up (say TimeoutStartSec=${Math.ceil(5 + after) + 90}s), or give claim-port a shorter --timeout`,
    );
  });

  it('reads TimeoutSec= too, in a drop-in, with the time-span syntax, and the later line wins', async () => {
    const found = await warnings({
      [API]: unit(['TimeoutStartSec=infinity'], `ExecStartPre=+${CLAIM} --timeout 60 8000`),
      [`${DIR}/dsa110-api.service.d/timeout.conf`]: '[Service]\nTimeoutSec=1min 5s\n',
    });
    expect(found.map((r) => r.file)).toEqual([`/${DIR}/dsa110-api.service.d/timeout.conf:2`]);
    expect(found[0]!.reason).toContain(
      `gives its start 65 s (TimeoutSec=1min 5s at /${DIR}/dsa110-api.service.d/timeout.conf:2), and claim-port takes up to ${60 + after} s (/${API}:3 (--timeout 60 s)`,
    );
  });

  it("holds systemd's default, 90 s, or system.conf's DefaultTimeoutStartSec=, when the unit sets none", async () => {
    const long = unit([], `ExecStartPre=+${CLAIM} --timeout 88 8000`);
    const builtIn = await warnings({ [API]: long });
    expect(builtIn.map((r) => r.file)).toEqual([`/${API}`]);
    expect(builtIn[0]!.reason).toContain("gives its start 90 s (no TimeoutStartSec= of its own, so systemd's default DefaultTimeoutStartSec=90s)");
    // A drop-in of system.conf.d overrides system.conf; the last file by name wins.
    const raised = await warnings({
      [API]: long,
      'etc/systemd/system.conf': '[Manager]\nDefaultTimeoutStartSec=10s\n',
      'usr/lib/systemd/system.conf.d/50-slow.conf': '[Manager]\n#DefaultTimeoutStartSec=1s\nDefaultTimeoutStartSec=5min\n',
    });
    expect(raised).toEqual([]);
    const lowered = await warnings({ [API]: unit([]), 'etc/systemd/system.conf': '[Manager]\n# the defaults\nDefaultTimeoutStartSec=10\n' });
    expect(lowered.map((r) => r.file)).toEqual(['/etc/systemd/system.conf:3']);
    expect(lowered[0]!.reason).toContain(
      "gives its start 10 s (no TimeoutStartSec= of its own, so systemd's DefaultTimeoutStartSec=10 at /etc/systemd/system.conf:3)",
    );
  });

  it('adds up the claims of several claim-port lines', async () => {
    const found = await warnings({ [API]: unit(['TimeoutStartSec=19', `ExecStartPre=+${CLAIM} --timeout 5 8000`], `ExecStartPre=+${CLAIM} --force 8000`) });
    expect(found[0]!.reason).toContain(
      `its 2 claim-port lines take up to ${5 + after + after} s (/${API}:3 (--timeout 5 s), /${API}:4 (--force, no wait before SIGKILL), then`,
    );
  });

  it('keeps Type=oneshot past an empty or unknown Type= (systemd logs it and ignores it), and reads TimeoutStartSec=+30s as strtoll does', async () => {
    const long = `ExecStartPre=+${CLAIM} --timeout 100 8000`;
    expect(await warnings({ [API]: unit(['Type=oneshot'], long), [`${DIR}/dsa110-api.service.d/t.conf`]: '[Service]\nType=\nType=bogus\n' })).toEqual([]);
    // A sign systemd reads (it was no value, and the default 90 s held: no warning for a 12.25 s claim against 5 s).
    expect((await warnings({ [API]: unit(['TimeoutStartSec=+5']) })).map((r) => r.file)).toEqual([`/${API}:2`]);
  });

  it.each<[string, string[], string?]>([
    ['a start timeout longer than the claim', ['TimeoutStartSec=2min 30s']],
    ['infinity', ['TimeoutStartSec=infinity'], `ExecStartPre=+${CLAIM} --timeout 300 8000`],
    ['0, which systemd reads as no limit', ['TimeoutSec=0'], `ExecStartPre=+${CLAIM} --timeout 300 8000`],
    ['Type=oneshot, which has no default start timeout', ['Type=oneshot'], `ExecStartPre=+${CLAIM} --timeout 300 8000`],
    ['a value systemd ignores (then its default, 90 s, holds)', ['TimeoutStartSec=soon']],
    ['a --dry-run claim, which takes no time worth a warning', ['TimeoutStartSec=1'], `ExecStartPre=+${CLAIM} --dry-run 8000`],
  ])('says nothing for %s', async (_, lines, claim) => {
    expect(await warnings({ [API]: unit(lines, claim) })).toEqual([]);
  });
});
