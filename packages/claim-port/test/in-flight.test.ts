// A listening socket whose only copy, once its holder is gone, sits in a
// Unix-socket message nobody has received (SCM_RIGHTS): no process holds it,
// and it listens until the message is received or its queue is closed. Real
// processes this test started: a holder that sends its listener over a
// socketpair to its child, which never reads it.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, leasePort } from '../../../test-support/index.js';
import { cleanupStarted, claimOurs, start } from './started.js';

afterEach(cleanupStarted);

const root = process.getuid?.() === 0;
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Listens on 127.0.0.1:`port`, sends the listener's descriptor to its child, which never receives it; prints both PIDs. */
const inFlightHolder = (port: number) => `import array, json, os, socket, time
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
child = os.fork()
if child == 0:
    a.close()
    time.sleep(600)
    os._exit(0)
b.close()
l = socket.socket(); l.bind(('127.0.0.1', ${port})); l.listen(16)
a.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [l.fileno()]))])
print(json.dumps({'pid': os.getpid(), 'pids': [child], 'port': ${port}}), flush=True)
time.sleep(600)`;

describe('a listener in flight in an unreceived SCM_RIGHTS message', () => {
  it.skipIf(!root)('the holder gone, the port still listens: the claim says no process holds it, a message does, and where to look (ss -xp)', async () => {
    const port = leasePort();
    const holder = await start([python, '-c', inFlightHolder(port)]);
    const queueOwner = holder.pids.find((pid) => pid !== holder.first.pid)!;
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 0.5, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.holders[0]).toMatchObject({ pid: holder.first.pid, signals: ['SIGTERM'], outcome: 'exited' });
    expect(result.action, lines.join('\n')).not.toBe('freed');
    expect(lines).toContainEqual(
      `port ${port} still in use after 0.5 s, though no holder holds it any more: another process has its socket, or none does (a copy in flight in a Unix-socket message (SCM_RIGHTS) that no process has received)`,
    );
    expect(result.message).toBe(
      `port ${port} is still in use (127.0.0.1:${port}), though no process holds it: a copy of its socket is in flight in a Unix-socket message (SCM_RIGHTS) that no process has received; \`ss -xp\` names the process whose socket queues it (a Recv-Q that is not 0): stop that process or have it read its messages (else a process in another PID namespace holds it)`,
    );
    expect(result.message).not.toMatch(/owner cannot be read/);
    // The child holding the queue was no holder: never signalled.
    expect(isAlive(queueOwner)).toBe(true);
  });
});
