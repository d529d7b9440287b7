// Under a real systemd: what claim-port and the health check say, and what
// really happens, in two cases only PID 1 itself can show.
//
// 1. systemd (PID 1) holds the API's port for a socket unit (ListenStream=8000):
//    claim-port refuses (in the unit's ExecStartPre=+ and by hand), naming the
//    socket unit's listen line FILE:LINE and `systemctl stop`/`disable` (init-socket.ts),
//    signals nothing (PID 1 and its socket live on), and the health check's
//    owner check says the same; once the advice is followed the API starts.
// 2. A start timeout shorter than the claim's worst case (checks/start-timeout.ts):
//    the health check warns of dsa110-api.service, and with a holder that
//    ignores SIGTERM systemd does stop claim-port midway and the unit fails;
//    with a long enough TimeoutStartSec= no warning, and the start succeeds.
//
// One boot of the throwaway container (container.ts, boot.sh) for both. The
// bins are this checkout's, linked into the container's /usr/local/bin (its
// / is an overlay of the host's, so the build is there); the registry is the
// bundled one, on its real port 8000 (only the container's network namespace
// listens there). The API is a stand-in: python3 copied to
// /usr/local/bin/uvicorn (a name the registry's api accepts) serving
// http.server, so Debian's python3-uvicorn is not needed. Every holder runs
// inside the container's PID namespace, so claim-port can only ever see and
// signal those.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeOf } from '../support/pid-records.js';
import { repoRoot } from '../support/registry.js';
import { titled } from '../support/requirements.js';
import { Container, containerSkipReason, endContainerSuite, HostCanary, type HealthReport, ok, type RunResult, showRun, waitFor } from './container.js';

const skip = containerSkipReason();

const PORT = 8000;
const API = 'dsa110-api.service';
/** A socket unit on the API's port that starts another service: what an operator meets on a host. */
const SOCKET = 'dsa110-e2e-other.socket';
const SOCKET_FILE = `/etc/systemd/system/${SOCKET}`;
/** The drop-in each start-timeout phase writes its TimeoutStartSec= into. */
const TIMEOUT_DROP_IN = `/etc/systemd/system/${API}.d/timeout.conf`;

const API_UNIT = `[Unit]
Description=DSA-110 API stand-in (socket and start-timeout end-to-end)

[Service]
ExecStartPre=+/usr/local/bin/claim-port ${PORT}
ExecStart=/usr/local/bin/uvicorn -m http.server ${PORT} --bind 127.0.0.1 --directory /opt/dsa110-e2e
`;
// The listen line is line 5: the refusal and the owner check must name it as SOCKET_FILE:5.
const SOCKET_UNIT = `[Unit]
Description=A socket unit on the API's port (end-to-end)

[Socket]
ListenStream=${PORT}

[Install]
WantedBy=sockets.target
`;
// systemd refuses to start a socket unit whose service does not exist; nothing connects, so this never runs.
const SOCKET_SERVICE_UNIT = `[Unit]
Description=What ${SOCKET} would start (end-to-end; never started)

[Service]
ExecStart=/usr/bin/sleep infinity
`;
/** Holds 127.0.0.1:8000 and ignores SIGTERM: claim-port must wait its timeout, then SIGKILL it. */
const STUBBORN_HOLDER = `import signal, socket
signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", ${PORT}))
s.listen()
while True:
    signal.pause()
`;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.skipIf(skip !== undefined)(titled('under a real systemd: a socket unit on a claimed port, and a start timeout shorter than the claim', skip), () => {
  let c: Container;
  let dir: string | undefined;
  const canary = new HostCanary('e2e-socket');
  let systemdStart: number | undefined;

  const unitState = (unit: string) => c.unitState(unit);
  const cursor = () => c.journalCursor();
  /** The unit's journal since `after`, message text only; waits until `until` matches. */
  const journal = async (unit: string, after: string, until: RegExp) => {
    const read = async () => (await c.exec(['journalctl', '-u', unit, '-o', 'cat', '--no-pager', `--after-cursor=${after}`])).stdout;
    return (await waitFor(async () => ((await read()).match(until) ? read() : undefined), 5_000)) ?? (await read());
  };
  const claimLines = (text: string) => text.split('\n').filter((line) => line.startsWith(`[claim-port:${PORT}]`));
  const health = async (): Promise<HealthReport & { run: RunResult }> => {
    const run = await c.exec(['port-health-check', '--format', 'json', '--service', 'api']);
    return { ...(JSON.parse(run.stdout) as HealthReport), run };
  };
  /** `ss` of the listeners on PORT, with their processes. */
  const listeners = async () => (await c.exec(['ss', '-Hltnp', `sport = :${PORT}`])).stdout;
  const alive = async (pid: number) => (await c.exec(['kill', '-0', String(pid)])).code === 0;
  /** PID 1 of the container is the systemd that booted, never signalled: same start time, never re-executed (its SIGTERM). */
  const expectSystemdUntouched = async () => {
    expect(startTimeOf(c.pid), 'the container PID 1 is the systemd that booted').toBe(systemdStart);
    expect((await c.exec(['journalctl', '_PID=1', '-o', 'cat', '--no-pager'])).stdout).not.toMatch(/Reexecuting|Received SIGTERM/i);
  };

  /** The stubborn holder, as `nobody`, detached inside the container; its PID there, once it listens. */
  const holdPort = async () => {
    ok(await c.sh(`cat > /run/stubborn-holder.py <<'PY'\n${STUBBORN_HOLDER}PY`));
    const run = ok(
      await c.sh('setpriv --reuid=nobody --regid=nogroup --clear-groups -- /usr/bin/python3 /run/stubborn-holder.py >/dev/null 2>&1 </dev/null & echo $!'),
    );
    const pid = Number(run.stdout.trim());
    expect(await waitFor(async () => ((await listeners()).includes(`pid=${pid},`) ? true : undefined)), `holder ${pid} listening`).toBe(true);
    return pid;
  };

  beforeAll(async () => {
    canary.plant();
    dir = Container.prepare();
    const stage = join(dir, 'stage');
    // boot.sh copies the stage's units/ into /etc/systemd/system before systemd starts.
    writeFileSync(join(stage, 'units', API), API_UNIT);
    writeFileSync(join(stage, 'units', SOCKET), SOCKET_UNIT);
    writeFileSync(join(stage, 'units', SOCKET.replace(/\.socket$/, '.service')), SOCKET_SERVICE_UNIT);
    // This checkout's built bins (self-contained bundles), copied into the stage: the container's /tmp is its own
    // tmpfs, so a checkout under the host's /tmp (CI's clone) is not there to link to.
    for (const name of ['claim-port', 'port-health-check'])
      for (const part of ['bin', 'dist', 'package.json']) cpSync(join(repoRoot, 'packages', name, part), join(stage, 'bins', name, part), { recursive: true });
    c = await Container.boot(dir);
    systemdStart = startTimeOf(c.pid);
    // This checkout's bins, linked as npm install -g links them; the stand-in API's program.
    ok(
      await c.sh(
        [
          'ln -s /opt/dsa110-e2e/bins/claim-port/bin/claim-port.js /usr/local/bin/claim-port',
          'ln -s /opt/dsa110-e2e/bins/port-health-check/bin/port-health-check.js /usr/local/bin/port-health-check',
          'cp /usr/bin/python3 /usr/local/bin/uvicorn',
        ].join('\n'),
      ),
    );
  }, 120_000);

  afterAll(() => endContainerSuite(c, dir, canary), 60_000);

  it('boots on the overlay; the host /tmp canary survives the boot', async () => {
    expect((await c.exec(['findmnt', '-n', '-o', 'SOURCE,FSTYPE', '/'])).stdout.trim()).toBe('dsa110-e2e-root overlay');
    expect(readFileSync(canary.path, 'utf8')).toBe(canary.text);
  });

  it('systemd (PID 1) holds 8000 for an enabled socket unit: the owner check and claim-port, in the unit and by hand, name it and say to stop and disable it; nothing is signalled', async () => {
    ok(await c.exec(['systemctl', 'enable', '--now', SOCKET]));
    expect(await listeners()).toMatch(/users:\(\("systemd",pid=1,/);
    const named = new RegExp(
      escapeRegExp(
        `systemd (PID 1) holds port ${PORT} for socket unit ${SOCKET} (ListenStream=${PORT} at ${SOCKET_FILE}:5, enabled in /etc/systemd/system/sockets.target.wants; ` +
          `it starts dsa110-e2e-other.service): \`systemctl stop ${SOCKET}\` and \`systemctl disable ${SOCKET}\``,
      ),
    );
    const offer = `, or make ${API} its Service= (socket activation, with no claim)`;

    const report = await health();
    expect(report.run.code, showRun(report.run)).toBe(1);
    const owner = report.checks.filter((check) => check.check === 'owner');
    expect(owner.map((check) => check.severity)).toEqual(['error']);
    expect(owner[0]!.reason).toMatch(/port 8000 is held by systemd \(pid 1, user root\)/);
    expect(owner[0]!.reason).toMatch(named);
    expect(owner[0]!.reason).toContain(`${offer}, then start ${API}`);

    // By hand, inside the container's namespaces (no unit of its own there) and with systemd-run (a transient
    // unit): the same socket unit and advice, and no unit offered as its Service=.
    const byHand = await c.exec(['claim-port', String(PORT)]);
    const transient = await c.exec(['systemd-run', '--wait', '--pipe', '--quiet', '/usr/local/bin/claim-port', String(PORT)]);
    for (const run of [byHand, transient]) {
      expect(run.code, showRun(run)).toBe(1);
      const refusal = claimLines(run.stderr).find((line) => line.includes('refusing: PID 1'));
      expect(refusal, showRun(run)).toMatch(named);
      expect(refusal, showRun(run)).toMatch(/`systemctl disable dsa110-e2e-other\.socket`$/);
      expect(run.stderr, showRun(run)).toContain(`[claim-port:${PORT}] nothing was signalled`);
    }

    // As the unit's ExecStartPre=+: the start fails, and the journal's refusal offers the unit as the socket's Service=.
    const since = await cursor();
    const start = await c.exec(['systemctl', 'start', API]);
    expect(start.code, showRun(start)).not.toBe(0);
    expect(await unitState(API)).toMatchObject({ ActiveState: 'failed', Result: 'exit-code' });
    const text = await journal(API, since, /nothing was signalled/);
    const refusal = claimLines(text).find((line) => line.includes('refusing: PID 1'));
    expect(refusal, text).toMatch(named);
    expect(refusal, text).toContain(offer);
    expect(claimLines(text), text).toContain(`[claim-port:${PORT}] nothing was signalled; port ${PORT} (api) is still in use`);

    // Nothing signalled: the same PID 1, its socket unit still listening on the port.
    await expectSystemdUntouched();
    expect(await unitState(SOCKET)).toMatchObject({ ActiveState: 'active', SubState: 'listening' });
    expect(await listeners()).toMatch(/users:\(\("systemd",pid=1,/);
  });

  it('following the advice (systemctl stop and disable the socket unit), dsa110-api starts with its claim and the owner check passes', async () => {
    ok(await c.exec(['systemctl', 'stop', SOCKET]));
    ok(await c.exec(['systemctl', 'disable', SOCKET]));
    ok(await c.exec(['systemctl', 'reset-failed', API]));
    ok(await c.exec(['systemctl', 'start', API]));
    expect(await unitState(API)).toMatchObject({ ActiveState: 'active', SubState: 'running' });
    expect(await waitFor(async () => ((await listeners()).includes('"uvicorn"') ? true : undefined))).toBe(true);
    const owner = (await health()).checks.filter((check) => check.check === 'owner');
    expect(owner.map((check) => [check.severity, check.reason])).toEqual([['ok', expect.stringMatching(/^api \(8000\): held by uvicorn/)]]);
    expect((await c.exec(['systemctl', 'is-enabled', SOCKET])).stdout.trim()).toBe('disabled');
    ok(await c.exec(['systemctl', 'stop', API]));
    await expectSystemdUntouched();
  });

  describe('a start timeout shorter than the claim may take', () => {
    let holder: number;
    /** TimeoutStartSec= for dsa110-api.service, in a drop-in, loaded. */
    const setStartTimeout = async (value: string) =>
      ok(
        await c.sh(`mkdir -p /etc/systemd/system/${API}.d && printf '[Service]\\nTimeoutStartSec=${value}\\n' > ${TIMEOUT_DROP_IN} && systemctl daemon-reload`),
      );
    const startTimeoutWarnings = (report: HealthReport) =>
      report.checks.filter((check) => check.check === 'systemd' && check.severity !== 'ok').map((check) => `${check.reason} [${check.file}]`);

    it('TimeoutStartSec=3s: the health check warns of dsa110-api.service; with a holder ignoring SIGTERM, systemd stops claim-port midway and the unit fails', async () => {
      await setStartTimeout('3s');
      expect(startTimeoutWarnings(await health())).toEqual([
        `api (${PORT}): ${API} gives its start 3 s (TimeoutStartSec=3s at ${TIMEOUT_DROP_IN}:2), and claim-port takes up to 12.25 s ` +
          `(/etc/systemd/system/${API}:5 (the registry's claim.timeoutSeconds, 5 s), then up to 7.25 s of claim-port's own waits each: ` +
          'for killed processes to go, for a supervisor to take the port back, for the bind check): systemd would stop claim-port midway ' +
          `(ExecStartPre= runs within the start timeout) and ${API} would never start; set TimeoutStartSec= in its [Service] section to more than ` +
          `12.25 s plus the service's own start-up (say TimeoutStartSec=103s), or give claim-port a shorter --timeout [${TIMEOUT_DROP_IN}:2]`,
      ]);

      holder = await holdPort();
      const since = await cursor();
      const began = Date.now();
      const start = await c.exec(['systemctl', 'start', API]);
      const took = Date.now() - began;
      expect(start.code, showRun(start)).not.toBe(0);
      expect(await unitState(API)).toMatchObject({ ActiveState: 'failed', Result: 'timeout' });
      // Stopped at the start timeout, before claim-port's own 5 s were up: its SIGKILL never came.
      expect(took).toBeGreaterThanOrEqual(3_000);
      expect(took).toBeLessThan(5_000);
      const text = await journal(API, since, /Failed with result 'timeout'/);
      expect(claimLines(text), text).toContain(`[claim-port:${PORT}] sent SIGTERM to PID ${holder}: /usr/bin/python3 /run/stubborn-holder.py`);
      expect(text).toContain(`${API}: start-pre operation timed out. Terminating.`);
      expect(claimLines(text), text).toContain(
        `[claim-port:${PORT}] error: interrupted by SIGTERM after sending SIGTERM to PID ${holder} (still running); nothing more was sent; port ${PORT} (api) is still in use`,
      );
      expect(text).not.toMatch(/SIGKILL/);
      expect(await alive(holder)).toBe(true);
      expect(await listeners()).toContain(`pid=${holder},`);
    });

    it('TimeoutStartSec=30s: no warning; claim-port waits its 5 s, SIGKILLs the holder, and dsa110-api starts', async () => {
      await setStartTimeout('30s');
      ok(await c.exec(['systemctl', 'reset-failed', API]));
      expect(startTimeoutWarnings(await health())).toEqual([]);

      const since = await cursor();
      ok(await c.exec(['systemctl', 'start', API]));
      expect(await unitState(API)).toMatchObject({ ActiveState: 'active', SubState: 'running', Result: 'success' });
      expect(await alive(holder)).toBe(false);
      const text = await journal(API, since, /Started /);
      expect(claimLines(text), text).toContain(`[claim-port:${PORT}] port ${PORT} (api) still in use after 5 s; sending SIGKILL to PID ${holder}`);
      expect(await waitFor(async () => ((await listeners()).includes('"uvicorn"') ? true : undefined))).toBe(true);
      await expectSystemdUntouched();
    });
  });
});
