// A listener of this user's own whose process is not dumpable (prctl
// PR_SET_DUMPABLE 0): the kernel makes its /proc/PID/fd root's, so a claim as
// that user cannot see that it holds the port. The refusal says so and names
// the process, not only "not visible to this user". Real processes as nobody.
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, leasePort } from '../../../test-support/index.js';
import { undumpableOwn } from '../src/undumpable.js';
import { python, runClaim } from './helpers.js';
import { cleanupStarted, start } from './started.js';

const root = process.getuid?.() === 0;

afterEach(cleanupStarted);

/** As nobody: a listener on 127.0.0.1:`port` in a process that made itself not dumpable (or not), printing {"pid", "port"}. */
const listenerAsNobody = (port: number, dumpable: boolean) =>
  start([
    'setpriv',
    '--reuid=nobody',
    '--regid=nogroup',
    '--clear-groups',
    python,
    '-c',
    `import ctypes, json, os, socket, time
${dumpable ? '' : 'ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0'}
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', ${port})); s.listen(1)
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`,
  ]);

describe.skipIf(!root)('a listener of this user that is not dumpable', () => {
  it('is found among the unreadable processes of its user; a dumpable one, or one of another user, is not', async () => {
    const hidden = await listenerAsNobody(leasePort(), false);
    const seen = await listenerAsNobody(leasePort(), true);
    const nobody = Number((await import('node:fs')).readFileSync(`/proc/${hidden.first.pid}/status`, 'latin1').match(/^Uid:\s+(\d+)/m)![1]);
    expect(undumpableOwn([hidden.first.pid, seen.first.pid, process.pid], nobody)).toEqual([{ pid: hidden.first.pid, comm: 'python3' }]);
    expect(undumpableOwn([hidden.first.pid], nobody + 1)).toEqual([]);
  });

  it('the refusal as that user says why it cannot see the holder, and names the process; nothing is signalled', async () => {
    const port = leasePort();
    const holder = await listenerAsNobody(port, false);
    for (const args of [['--dry-run'], []]) {
      const run = await runClaim([String(port), ...args], { port, user: 'nobody' });
      expect(run.code, run.stderr).toBe(1);
      const refusal = run.stderr.split('\n').find((line) => line.includes('] refusing: '));
      // Another process of nobody's that is not dumpable (on a shared machine) would be named too: the holder is among them.
      expect(refusal, run.stderr).toMatch(
        new RegExp(
          `^\\[claim-port:${port}\\] refusing: the process holding 127\\.0\\.0\\.1:${port} \\(a socket of uid (\\d+)\\) is not visible to this user \\(uid \\1\\): (PID \\d+ \\(.*\\), )*PID ${holder.first.pid} \\(python3\\)(, PID \\d+ \\(.*\\))* of this user (is|are) not dumpable \\(PR_SET_DUMPABLE 0: set by prctl, or by the exec of a setuid, setgid or file-capability program\\), so only root can read (its|their) descriptors, and (it|one of them) may hold it; run claim-port as root \\(sudo claim-port ${port}${args.length > 0 ? ' --dry-run' : ''}\\)$`,
        ),
      );
      expect(isAlive(holder.first.pid)).toBe(true);
    }
  });
});
