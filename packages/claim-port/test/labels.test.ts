// How claim-port's log names the sockets on a port and the processes that
// hold them, against real listeners these tests start: a `[::]` listener that
// set IPV6_V6ONLY, a SO_REUSEPORT group, a holder whose main thread exited.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupStarted, claimOurs, start } from './started.js';
import { claimPort, type ClaimResult } from '../src/index.js';
import { isSpawned, leasePort, waitUntil } from '../../../test-support/index.js';

afterEach(cleanupStarted);

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const py = (code: string) => start([python, '-c', code]);
const root = process.getuid?.() === 0;

/** The log lines of a dry run on `port`: what a claim would say, with nobody signalled. */
async function dryRunLog(port: number, transport: 'tcp' | 'udp' = 'tcp', guarded = true): Promise<{ lines: string[]; result: ClaimResult }> {
  const lines: string[] = [];
  const options = { dryRun: true, usage: true, transport, log: (line: string) => lines.push(line) };
  // Unguarded only where the test proved the holder its own first: the guard (ss) cannot see a holder whose leader exited.
  const result = guarded ? await claimOurs(port, options) : await claimPort(port, options);
  return { lines, result };
}

describe('a listener on [::]', () => {
  it.each(['tcp', 'udp'] as const)(
    'that set IPV6_V6ONLY (%s) is never called dual-stack: /proc cannot tell, so the label says what it depends on',
    async (transport) => {
      const holder = await py(`import json, os, socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_${transport === 'tcp' ? 'STREAM' : 'DGRAM'})
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind(('::', ${leasePort()}))
${transport === 'tcp' ? 's.listen(16)' : ''}
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`);
      const { port } = holder.first;
      const { lines, result } = await dryRunLog(port, transport);
      const endpoint = `[::]:${port}${transport === 'udp' ? '/udp' : ''}`;
      const text = [...lines, ...result.listeners].join('\n');
      expect(text).not.toContain('dual-stack');
      expect(result.listeners[0]!.startsWith(endpoint)).toBe(true);
      // Only when the system default leaves IPv4 to the program is there anything to say about it.
      if (readFileText('/proc/sys/net/ipv6/bindv6only') === '0') expect(result.listeners).toEqual([`${endpoint} (IPv6; IPv4 too unless it set IPV6_V6ONLY)`]);
    },
  );
});

describe('a listener on [::] beside an IPv4 one on its port', () => {
  // A dual-stack [::] covers 127.0.0.1 too, so the kernel refuses the second bind: the [::] one set IPV6_V6ONLY.
  it('is not said to take IPv4 too, in the log or --json', async () => {
    const holder = await py(`import json, os, socket, time
port = ${leasePort()}
v6 = socket.socket(socket.AF_INET6); v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1); v6.bind(('::', port)); v6.listen(16)
v4 = socket.socket(); v4.bind(('127.0.0.1', port)); v4.listen(16)
print(json.dumps({'pid': os.getpid(), 'port': port}), flush=True)
while True: time.sleep(3600)`);
    const { port } = holder.first;
    const { lines, result } = await dryRunLog(port);
    expect([...result.listeners].sort()).toEqual([`127.0.0.1:${port}`, `[::]:${port}`]);
    expect(lines.join('\n')).not.toContain('IPv4 too');
  });
});

describe('a SO_REUSEPORT group', () => {
  it('names each socket with its own holder in the log; --json names its address once, with the count', async () => {
    const port = leasePort();
    const script = `import json, os, socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1); s.bind(('0.0.0.0', ${port})); s.listen(16)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`;
    const first = await py(script);
    const second = await py(script);
    const { lines, result } = await dryRunLog(port);
    // Each address once, counted as the text counts it (never two equal entries).
    expect(result.listeners).toEqual([`0.0.0.0:${port} (2 sockets)`]);
    const heldBy = lines.find((line) => line.includes(' held by '));
    // Each socket with its own holder: never "(2 sockets) held by PID a, PID b", which leaves who holds which to guess.
    const [a, b] = [first.first.pid, second.first.pid].sort((x, y) => x - y);
    expect([
      `0.0.0.0:${port} held by PID ${a}; 0.0.0.0:${port} held by PID ${b}`,
      `0.0.0.0:${port} held by PID ${b}; 0.0.0.0:${port} held by PID ${a}`,
    ]).toContain(heldBy);
  });

  it('one socket two processes hold (inherited) is held by both; two sockets both hold are each held by both', async () => {
    const port = leasePort();
    const server = await py(`import json, os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${port})); s.listen(16)
t = socket.socket(socket.AF_INET6); t.bind(('::1', ${port})); t.listen(16)
child = os.fork()
# The parent alone says who holds it: two processes printing at once (PYTHONUNBUFFERED writes the line and its
# newline apart) could mix their lines into one that is no JSON.
if child: print(json.dumps({'pid': os.getpid(), 'pids': [child], 'port': ${port}}), flush=True)
while True: time.sleep(3600)`);
    const [parent, child] = [server.first.pid, (server.first.pids as number[])[0]!];
    const { lines } = await dryRunLog(port);
    const heldBy = lines.find((line) => line.includes(' held by '));
    expect(heldBy, lines.join('\n')).toBe(`127.0.0.1:${port}, [::1]:${port}, each held by PID ${Math.min(parent, child)} and PID ${Math.max(parent, child)}`);
  });
});

describe('a holder whose main thread exited', () => {
  it.skipIf(!root)(
    'is named by its real command line (read from a live thread), never in the brackets of a kernel thread, and no memory figure of its empty leader is printed',
    async () => {
      const holder = await py(`import ctypes, json, os, socket, threading, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
def hold():
    while True: time.sleep(3600)
threading.Thread(target=hold).start()
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
ctypes.CDLL(None).pthread_exit(None)`);
      const { pid, port } = holder.first;
      expect(isSpawned(pid)).toBe(true);
      await waitUntil(() => readdirSync(`/proc/${pid}/fd`).length === 0, 5000);
      const { lines, result } = await dryRunLog(port, 'tcp', false);
      expect(result.holders.map((h) => h.pid)).toEqual([pid]);
      expect(result.holders[0]!.signals).toEqual([]);
      const line = lines.find((l) => l.startsWith(`PID ${pid} (`));
      expect(line, lines.join('\n')).toBeDefined();
      expect(line).not.toMatch(/: \[.*\]$/);
      expect(line).not.toContain('mem ');
      expect(line).toMatch(/: \S*python3\S* -c \$'import ctypes.* \(its main thread exited; another thread holds the socket\)$/);
      expect(result.holders[0]!.command).toMatch(/python3\S* -c import ctypes/);
      expect(result.holders[0]!.memory).toBeUndefined();
    },
  );

  // A supervisor whose main thread exited while a thread of it starts the holder again: it holds no socket, and the
  // re-take's line said of it "(its main thread exited; another thread holds the socket)".
  it.skipIf(!root)('a supervisor whose main thread exited, named in a re-take, is not said to hold the socket', async () => {
    const port = leasePort();
    const holder = `import json, os, socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', ${port})); s.listen(16)
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`;
    const started = await py(`import ctypes, subprocess, sys, threading, time
def loop():
    while True:
        subprocess.run([sys.executable, '-c', ${JSON.stringify(holder)}])
        time.sleep(0.1)
threading.Thread(target=loop).start()
ctypes.CDLL(None).pthread_exit(None)`);
    const supervisor = started.child.pid!;
    await waitUntil(() => readFileSync(`/proc/${supervisor}/stat`, 'latin1').split(') ')[1]!.startsWith('Z'), 5000);
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 1, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('failed');
    expect(result.holders[0]).toMatchObject({ pid: started.first.pid, signals: ['SIGTERM'] });
    expect(result.message).toMatch(
      new RegExp(
        `^port ${port} was taken again by PID \\d+ \\(python3\\): .*, started by its supervisor PID ${supervisor} \\(python3\\): .* \\(its main thread exited; another thread runs on\\): stop its supervisor \\(PID ${supervisor}\\) first$`,
      ),
    );
    expect(result.message).not.toContain('another thread holds the socket');
  });
});

function readFileText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

describe("a holder's command line", () => {
  /** A listener started as `python3 -c CODE ...args`, with `args` as its argv's last words. */
  const listenerWith = (args: string[]) =>
    start([
      python,
      '-c',
      `import json, os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`,
      ...args,
    ]);
  /** The command line each of `lines` shows of `pid`: what follows the description or the dry run's `would send`. */
  const shown = (lines: string[], pid: number) =>
    lines.flatMap((line) => {
      const would = `dry run: would send SIGTERM to PID ${pid}: `;
      if (line.startsWith(would)) return [line.slice(would.length)];
      return line.startsWith(`PID ${pid} (`) ? [line.slice(line.indexOf('): ') + 3)] : [];
    });

  it('shows each argument as a shell reads it back: one argument `a b` never reads as two, nor two as one', async () => {
    const holder = await listenerWith(['a b', '', 'c', 'tab\there', 'back\\slash', "'a", "b'", "$'\\n'"]);
    const { lines } = await dryRunLog(holder.first.port);
    const commands = shown(lines, holder.first.pid);
    expect(commands).toHaveLength(2);
    // A plain word as it is; any other quoted, a control character as a `$'...'` escape.
    for (const command of commands) expect(command.endsWith(` 'a b' '' c $'tab\\there' 'back\\slash' ''\\''a' 'b'\\''' '$'\\''\\n'\\'''`), command).toBe(true);
  });

  it('is cut to 3000 characters, and the cut says how many characters it left out (the JSON keeps it whole)', async () => {
    const long = 'A'.repeat(120_000);
    const holder = await listenerWith(['x y', long]);
    const { lines, result } = await dryRunLog(holder.first.port);
    const commands = shown(lines, holder.first.pid);
    expect(commands).toHaveLength(2);
    const whole = readFileSync(`/proc/${holder.first.pid}/cmdline`, 'latin1').slice(0, -1).split('\0').join(' ');
    for (const command of commands) {
      const match = /^(.*)… \(([\d,]+) characters cut\)$/.exec(command);
      expect(match, command.slice(-80)).not.toBeNull();
      expect(match![1]!.length).toBeLessThanOrEqual(3000);
      expect(match![1]!.endsWith("'x y' AAAA") || /'x y' A+$/.test(match![1]!)).toBe(true);
      // What was shown of the command line and what was cut make it whole: the A's shown, and the number cut.
      const shownAs = match![1]!.length - match![1]!.indexOf("'x y' ") - "'x y' ".length;
      expect(Number(match![2]!.replaceAll(',', ''))).toBe(whole.length - (whole.indexOf(long) + shownAs));
    }
    // --json's `command` stays whole.
    expect(result.holders[0]!.command).toBe(whole);
  });
});
