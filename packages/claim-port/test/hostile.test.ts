// A hostile pass over claim-port: holders that are traced, stopped in vfork, in
// another PID or network namespace, connected to by a protected client; and
// claim-port itself interrupted. Real processes on leased loopback ports, every
// claim behind the guard (claimOurs), every process signalled one this file
// started.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { adopt, cleanupStarted, claimOurs, start, track } from './started.js';
import { fileSystemPath } from '@dsa110/ports/system';
import { claimPort } from '../src/index.js';
import { procControl } from '../src/processes.js';
import { guardPort, hasCommand, isAlive, leasePort, signal, spawnListener, waitForExit, waitUntil } from '../../../test-support/index.js';
import { BIN } from './helpers.js';

const root = process.getuid?.() === 0;
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

afterEach(cleanupStarted);

/** The one-letter state of `pid` (/proc/PID/stat field 3). */
const stateOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ')[0];
/** The children of `pid` (all its threads'). */
const childrenOf = (pid: number) =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1')
    .trim()
    .split(' ')
    .filter((field) => field !== '')
    .map(Number);

describe('claim-port interrupted', () => {
  // claim-port --test starts a listener of its own and claims it a moment later; a claim-port ended in between (Ctrl-C,
  // the stop or start timeout of the unit that runs it, SIGKILL) left that listener holding a loopback port for ever.
  it.each(['SIGINT', 'SIGTERM'] as const)('--test ended by %s before it claimed its own holder leaves no holder running', async (sig) => {
    for (let attempt = 0; ; attempt++) {
      const run = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'packages/claim-port/src/bin.ts', '--test'], {
        cwd: repoRoot,
        stdio: ['ignore', 'ignore', 'ignore'],
        detached: true,
      });
      const entry = track({ child: run, pids: [] });
      // Its TCP holder, the moment it exists: stop claim-port there, so that it cannot claim the holder first.
      let holder: number | undefined;
      await waitUntil(() => {
        holder = childrenOf(run.pid!).find((pid) => {
          try {
            return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes("require('net')");
          } catch {
            return false;
          }
        });
        if (holder !== undefined) signal(run.pid!, 'SIGSTOP');
        return holder !== undefined;
      }, 20_000);
      expect(holder, 'claim-port --test started no holder').toBeDefined();
      adopt(entry, holder!);
      const listening = await waitUntil(() => hasListener(holder!), 5000);
      if (!listening || !isAlive(holder!)) {
        // Caught too late (already claimed, or not yet listening): again, a few times.
        expect(attempt).toBeLessThan(3);
        continue;
      }
      signal(run.pid!, sig);
      signal(run.pid!, 'SIGCONT'); // a handler of its own (tsx's) runs only once it is continued
      expect(await waitForExit(run.pid!, 5000)).toBe(true);
      expect(await waitForExit(holder!, 3000), `the --test holder PID ${holder} outlived claim-port`).toBe(true);
      return;
    }
  });
});

/** Whether `pid` holds a listening TCP socket (ss -p, as the guard reads it). */
function hasListener(pid: number): boolean {
  const run = spawnSync('ss', ['-H', '-n', '-p', '-l', '-t'], { encoding: 'utf8' });
  return run.stdout.includes(`pid=${pid},`);
}

/** A python3 holder of 127.0.0.1:`port` that runs `onTerm` (Python statements, indented by 4) on SIGTERM; prints {pid, port}. */
const termHolder = (port: number, onTerm: string) => `import ctypes, json, os, signal, socket, time
libc = ctypes.CDLL(None)
s = socket.socket(); s.bind(('127.0.0.1', ${port})); s.listen(16)
def on_term(signum, frame):
${onTerm}
signal.signal(signal.SIGTERM, on_term)
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`;

describe('a holder that changes between SIGTERM and SIGKILL', () => {
  it.skipIf(!root)(
    'one that only renames itself to a protected name (prctl) is not killed, and the log says what changed: its name, not "now X (was X)"',
    async () => {
      // Root's own choice of name: protected (a root process keeps any name's protection).
      const port = leasePort();
      const holder = await start([python, '-c', termHolder(port, "    libc.prctl(15, b'sshd', 0, 0, 0)")]);
      const lines: string[] = [];
      const result = await claimOurs(port, { timeoutSeconds: 0.3, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('failed');
      expect(result.holders[0]).toMatchObject({ pid: holder.first.pid, comm: 'sshd', signals: ['SIGTERM'], outcome: 'protected' });
      expect(isAlive(holder.first.pid)).toBe(true);
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^not sending SIGKILL to PID ${holder.first.pid}: it changed since it was found \\(now named "sshd", the same command line: .*python3 -c .*; was named "python3"\\), and its name "sshd"`,
          ),
        ),
      );
      expect(result.message).toMatch(
        new RegExp(`still in use by PID ${holder.first.pid}, which changed since it was found \\(now named "sshd", the same command line: `),
      );
    },
  );

  it.skipIf(!root)('one that drops to nobody and takes a protected name is judged again as a user disguise, and SIGKILLed', async () => {
    const port = leasePort();
    const holder = await start([python, '-c', termHolder(port, "    os.setgid(65534); os.setuid(65534)\n    libc.prctl(15, b'sshd', 0, 0, 0)")]);
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 0.3, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('freed');
    expect(result.holders[0]).toMatchObject({ pid: holder.first.pid, uid: 65534, comm: 'sshd', signals: ['SIGTERM', 'SIGKILL'], outcome: 'killed' });
    expect(result.holders[0]!.disguise).toMatch(/^named "sshd" \(protected pattern "sshd"\) but runs .*python3.*, which bears no protected name$/);
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^PID ${holder.first.pid} changed since it was found .*: now named "sshd", the same command line: .* \\(was named "python3"\\)$`),
      ),
    );
  });
});

/** The mount point of the cgroup hierarchy `match` picks from this process's mountinfo (fstype, super options), or undefined. */
function cgroupMount(match: (fstype: string, options: string[]) => boolean): string | undefined {
  for (const line of readFileSync('/proc/self/mountinfo', 'latin1').split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash > 0 && fields[3] === '/' && match(fields[dash + 1]!, fields[dash + 3]!.split(','))) return fields[4];
  }
  return undefined;
}
const freezerV1 = cgroupMount((fstype, options) => fstype === 'cgroup' && options.includes('freezer'));
const cgroupV2 = cgroupMount((fstype) => fstype === 'cgroup2');
/** This process's cgroup in a hierarchy (`freezer`, or '' for v2), from /proc/self/cgroup. */
const ownCgroup = (controller: string) =>
  readFileSync('/proc/self/cgroup', 'latin1')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields.length >= 3 && fields[1]!.split(',').includes(controller))
    ?.slice(2)
    .join(':');
/** Why a freezer test cannot run here (as in the skip reason), or '' when it can: the hierarchy mounted, and root to make cgroups in it. */
const noFreezer = (mount: string | undefined, which: string) =>
  mount === undefined ? `no ${which} hierarchy is mounted (/proc/self/mountinfo)` : !root ? `making a cgroup under ${mount} needs root` : '';

/** What the freezer tests write and read in each hierarchy: v1's freezer.state, v2's cgroup.freeze and cgroup.events. */
const FREEZERS = {
  v1: {
    mount: freezerV1,
    controller: 'freezer',
    freeze: (dir: string) => writeFileSync(fileSystemPath(`${dir}/freezer.state`), 'FROZEN'),
    thaw: (dir: string) => writeFileSync(fileSystemPath(`${dir}/freezer.state`), 'THAWED'),
    isFrozen: (dir: string) => readFileSync(fileSystemPath(`${dir}/freezer.state`), 'latin1').trim() === 'FROZEN',
  },
  v2: {
    mount: cgroupV2,
    controller: '',
    freeze: (dir: string) => writeFileSync(`${dir}/cgroup.freeze`, '1'),
    thaw: (dir: string) => writeFileSync(`${dir}/cgroup.freeze`, '0'),
    isFrozen: (dir: string) => /^frozen 1$/m.test(readFileSync(`${dir}/cgroup.events`, 'latin1')),
  },
} as const;

/** This process's own cgroup directory in the `hierarchy`, under which the freezer tests make theirs. */
function homeCgroup(hierarchy: keyof typeof FREEZERS): string {
  const own = ownCgroup(FREEZERS[hierarchy].controller);
  return `${FREEZERS[hierarchy].mount}${own === '/' ? '' : own}`;
}

/**
 * Make cgroup `name` in the `hierarchy` under this process's own (and, with `inner`, a child of it), move `pids` into
 * the innermost, freeze the outer one (unless `freeze` is false) and wait until the innermost is frozen; run `body`;
 * then thaw, move every process back and remove the cgroups, whatever the body did: a process frozen by the v1 freezer
 * survives the suite's SIGKILL. A name's byte that is not UTF-8 is written as decodeKeepingBadBytes keeps it (U+DC00+byte).
 */
async function inFrozenCgroup(
  hierarchy: keyof typeof FREEZERS,
  options: { name: string; pids?: readonly number[]; inner?: boolean; freeze?: boolean },
  body: (cgroup: { home: string; outer: string; dir: string }) => Promise<void>,
): Promise<void> {
  const { freeze, thaw, isFrozen } = FREEZERS[hierarchy];
  const home = homeCgroup(hierarchy);
  const outer = `${home}/${options.name}`;
  const dir = options.inner ? `${outer}/inner` : outer;
  const dirs = options.inner ? [outer, dir] : [outer];
  const at = fileSystemPath;
  try {
    mkdirSync(at(dir), { recursive: true });
    for (const pid of options.pids ?? []) writeFileSync(at(`${dir}/cgroup.procs`), String(pid));
    if (options.freeze !== false) {
      freeze(outer);
      expect(await waitUntil(() => isFrozen(dir), 5000)).toBe(true);
    }
    await body({ home, outer, dir });
  } finally {
    for (const d of dirs) if (existsSync(at(d))) thaw(d);
    for (const d of [...dirs].reverse()) {
      if (!existsSync(at(d))) continue;
      for (const pid of readFileSync(at(`${d}/cgroup.procs`), 'latin1')
        .split('\n')
        .filter(Boolean)) {
        try {
          writeFileSync(`${home}/cgroup.procs`, pid);
        } catch {
          // Gone in the meantime.
        }
      }
      rmdirSync(at(d));
    }
  }
}

describe('holders frozen by a cgroup freezer', () => {
  // `docker pause` on a cgroup v1 host: the freezer holds the task in the kernel (state D), where no signal acts, SIGKILL
  // included. Signalling it only spent the timeout, and the claim ended "still running after SIGKILL (stuck in the kernel?)".
  it.skipIf(noFreezer(freezerV1, 'cgroup v1 freezer') !== '')(
    'a holder frozen by the v1 freezer (in a child of the frozen cgroup): refused before any signal, a dry run and --force too, naming the cgroup that froze and how to thaw it',
    async () => {
      const holder = await spawnListener({ ignoreTerm: true });
      await inFrozenCgroup('v1', { name: `claim-port-test-${process.pid}-frozen`, pids: [holder.pid], inner: true }, async ({ outer, dir: inner }) => {
        const reason = `PID ${holder.pid} is frozen by the cgroup freezer at ${inner} (freezer.state FROZEN; \`docker pause\` on a cgroup v1 host does this): no signal acts on it until it is thawed, SIGKILL included; thaw it (echo THAWED > ${outer}/freezer.state; \`docker unpause\` for a paused container) and claim port ${holder.port} again`;
        for (const options of [{ dryRun: true }, {}, { force: true }]) {
          const levels: [string, string][] = [];
          const started = performance.now();
          const result = await claimOurs(holder.port, { timeoutSeconds: 5, settleMs: 0, ...options, log: (line, level) => levels.push([line, level]) });
          expect(result.action, JSON.stringify(levels)).toBe('refused');
          expect(result.message).toBe(`refused to free port ${holder.port}: ${reason}; nothing was signalled`);
          expect(result.holders).toEqual([expect.objectContaining({ pid: holder.pid, signals: [], outcome: 'spared', reason })]);
          expect(levels).toContainEqual([`refusing: ${reason}`, 'error']);
          // No timeout spent: refused at once.
          expect(performance.now() - started).toBeLessThan(3000);
        }
        // Nothing pending for it: no signal was sent.
        expect(readFileSync(`/proc/${holder.pid}/status`, 'latin1')).toMatch(/^ShdPnd:\s*0+$/m);
      });
      // Thawed, the same holder is claimed as any other.
      const result = await claimOurs(holder.port, { timeoutSeconds: 0.3, settleMs: 0 });
      expect(result.action).toBe('freed');
      expect(result.holders).toEqual([expect.objectContaining({ pid: holder.pid, signals: ['SIGTERM', 'SIGKILL'], outcome: 'killed' })]);
    },
  );

  // Anyone with cgroupfs access names a cgroup: read as latin1, a name with é (or a byte that is not UTF-8) named a
  // directory that does not exist, the holder was taken for not frozen, and signalled in vain for the whole timeout.
  it.skipIf(noFreezer(freezerV1, 'cgroup v1 freezer') !== '')(
    'a holder frozen by the v1 freezer in a cgroup whose name is not ASCII (é, and a byte that is not UTF-8): refused before any signal, named as escaped',
    async () => {
      const holder = await spawnListener({ ignoreTerm: true });
      await inFrozenCgroup('v1', { name: `claim-port-test-${process.pid}-é it's\udcff`, pids: [holder.pid] }, async ({ home, dir }) => {
        for (const options of [{ dryRun: true }, {}]) {
          const started = performance.now();
          const result = await claimOurs(holder.port, { timeoutSeconds: 5, settleMs: 0, ...options });
          expect(result.action, result.message).toBe('refused');
          expect(result.message).toContain(`is frozen by the cgroup freezer at ${home}/claim-port-test-${process.pid}-é it's\\xff (freezer.state FROZEN;`);
          expect(result.holders).toEqual([expect.objectContaining({ pid: holder.pid, signals: [], outcome: 'spared' })]);
          expect(performance.now() - started).toBeLessThan(3000);
        }
        expect(readFileSync(`/proc/${holder.pid}/status`, 'latin1')).toMatch(/^ShdPnd:\s*0+$/m);
        // The thaw command it prints is one the shell runs as it reads: the directory quoted, its byte as $'\xff'.
        const { message } = await claimOurs(holder.port, { timeoutSeconds: 5, settleMs: 0, dryRun: true });
        const thaw = /thaw it \((echo THAWED > .*?); `docker unpause`/.exec(message)?.[1];
        expect(thaw).toBe(`echo THAWED > $'${home}/claim-port-test-${process.pid}-é it\\'s\\xff/freezer.state'`);
        expect(spawnSync('bash', ['-c', thaw!]).status).toBe(0);
        expect(readFileSync(fileSystemPath(`${dir}/freezer.state`), 'latin1').trim()).toBe('THAWED');
      });
      signal(holder.pid, 'SIGKILL');
      await waitForExit(holder.pid, 5000);
    },
  );

  // Every process that holds the socket is looked at before any signal, not only the first: a worker that shares it (a
  // pre-fork server's) frozen alone, its parent not, had the claim spend its timeout on a SIGKILL the worker never got.
  it.skipIf(noFreezer(freezerV1, 'cgroup v1 freezer') !== '')(
    "a holder's forked child that shares its socket, frozen by the v1 freezer while the holder is not: refused before any signal, naming the child's cgroup",
    async () => {
      const holder = await start([
        python,
        '-c',
        `import json, os, signal, socket, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
child = os.fork()
if child == 0:
    while True: time.sleep(3600)
print(json.dumps({'pid': os.getpid(), 'pids': [child], 'child': child, 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`,
      ]);
      const { pid, port } = holder.first;
      const child = holder.first.child as number;
      await inFrozenCgroup('v1', { name: `claim-port-test-${process.pid}-frozen-child`, pids: [child] }, async ({ dir }) => {
        const reason = `PID ${child} is frozen by the cgroup freezer at ${dir} (freezer.state FROZEN; \`docker pause\` on a cgroup v1 host does this): no signal acts on it until it is thawed, SIGKILL included; thaw it (echo THAWED > ${dir}/freezer.state; \`docker unpause\` for a paused container) and claim port ${port} again`;
        const started = performance.now();
        const result = await claimOurs(port, { timeoutSeconds: 5, settleMs: 0 });
        expect(result.action, result.message).toBe('refused');
        expect(result.message).toBe(`refused to free port ${port}: ${reason}; nothing was signalled`);
        expect(result.holders).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ pid, signals: [], outcome: 'spared' }),
            expect.objectContaining({ pid: child, signals: [], outcome: 'spared', reason }),
          ]),
        );
        expect(performance.now() - started).toBeLessThan(3000);
        for (const p of [pid, child]) expect(readFileSync(`/proc/${p}/status`, 'latin1')).toMatch(/^ShdPnd:\s*0+$/m);
      });
    },
  );

  // A child a holder forks on SIGTERM is found once the holder is gone (adoptInheritors): one in a v1-frozen cgroup was
  // signalled in vain, SIGTERM then SIGKILL after the whole timeout, and named frozen only when it survived the SIGKILL.
  it.skipIf(noFreezer(freezerV1, 'cgroup v1 freezer') !== '')(
    'a child a holder forks on SIGTERM into a cgroup frozen by the v1 freezer: never signalled, the claim fails at once naming its cgroup and how to thaw it',
    async () => {
      const name = `claim-port-test-${process.pid}-frozen-heir`;
      const dir = `${homeCgroup('v1')}/${name}`;
      const port = leasePort();
      // On SIGTERM: fork a child that keeps the socket (SIGTERM ignored), put it in the frozen cgroup, exit.
      const holder = await start([
        python,
        '-c',
        termHolder(
          port,
          `    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = os.fork()
    if child == 0:
        while True: time.sleep(3600)
    print(json.dumps({'pid': child}), flush=True)
    open(${JSON.stringify(`${dir}/cgroup.procs`)}, 'w').write(str(child))
    os._exit(0)`,
        ),
      ]);
      const { pid } = holder.first;
      await inFrozenCgroup('v1', { name }, async () => {
        const levels: [string, string][] = [];
        const started = performance.now();
        const result = await claimOurs(port, { timeoutSeconds: 5, settleMs: 0, log: (line, level) => levels.push([line, level]) });
        const log = JSON.stringify(levels);
        expect(result.action, log).toBe('failed');
        const child = result.holders.find((h) => h.pid !== pid)!.pid;
        expect(readFileSync(`${dir}/cgroup.procs`, 'latin1').trim()).toBe(String(child));
        const reason = `it is frozen by the cgroup freezer at ${dir} (freezer.state FROZEN; \`docker pause\` on a cgroup v1 host does this): no signal acts on it until it is thawed, SIGKILL included; thaw it (echo THAWED > ${dir}/freezer.state; \`docker unpause\` for a paused container) and claim port ${port} again`;
        expect(result.holders).toEqual([
          expect.objectContaining({ pid, signals: ['SIGTERM'], outcome: 'exited' }),
          expect.objectContaining({ pid: child, inheritedFrom: [pid], signals: [], outcome: 'refused', reason }),
        ]);
        const line = levels.find(([text]) => text.startsWith(`not signalling PID ${child} (python3, `));
        expect(line, log).toEqual([expect.stringMatching(/^not signalling PID \d+ \(python3, user [^,]+, uid \d+\): it is frozen /), 'error']);
        expect(line![0].endsWith(`): ${reason}`)).toBe(true);
        expect(result.message).toContain(`(not signalled: ${reason})`);
        expect(result.message).not.toContain('stop ');
        // No timeout spent: failed at once, nothing sent to the child.
        expect(performance.now() - started).toBeLessThan(3000);
        expect(readFileSync(`/proc/${child}/status`, 'latin1')).toMatch(/^ShdPnd:\s*0+$/m);
      });
    },
  );

  // Frozen after the look before any signal (between SIGTERM and SIGKILL), it survives SIGKILL: the claim has failed
  // then, and watched the port for the settle window all the same (its parent runs), though the holder never went.
  it.skipIf(noFreezer(freezerV1, 'cgroup v1 freezer') !== '')(
    'a holder frozen by the v1 freezer after its SIGTERM survives SIGKILL: the claim fails with no settle window for its live parent',
    async () => {
      const name = `claim-port-test-${process.pid}-frozen-late`;
      const port = leasePort();
      // A parent that stays (the settle window's reason) and a child holder that ignores SIGTERM.
      const started = await start([
        python,
        '-c',
        `import json, os, signal, socket, time
child = os.fork()
if child == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    s = socket.socket(); s.bind(('127.0.0.1', ${port})); s.listen(16)
    print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
    while True: time.sleep(3600)
os.waitpid(child, 0)
while True: time.sleep(3600)`,
      ]);
      const { pid } = started.first;
      await inFrozenCgroup('v1', { name, pids: [pid], freeze: false }, async ({ dir }) => {
        const lines: string[] = [];
        const log = (line: string) => {
          lines.push(line);
          if (line.startsWith(`sent SIGTERM to PID ${pid}`)) FREEZERS.v1.freeze(dir);
        };
        const result = await claimOurs(port, { timeoutSeconds: 0.5, log });
        const text = lines.join('\n');
        expect(result.action, text).toBe('failed');
        expect(result.holders).toEqual([expect.objectContaining({ pid, signals: ['SIGTERM', 'SIGKILL'], outcome: 'survived' })]);
        expect(text).toContain(`PID ${pid} is still running after SIGKILL: it is frozen by the cgroup freezer at ${dir} `);
        expect(
          lines.filter((line) => line.startsWith('watching ')),
          text,
        ).toEqual([]);
        // Thawed here, it dies of the SIGKILL it has pending: its cgroup is then empty for the cleanup.
        FREEZERS.v1.thaw(dir);
        expect(await waitForExit(pid, 5000)).toBe(true);
      });
      expect(isAlive(started.child.pid!)).toBe(true);
    },
  );

  // The freezer's files are read as every file here is (readFileSync before): one that is not a regular file is refused
  // at once, never waited on. A FIFO where a holder's freezer.state is (bound over it in a mount namespace: anyone who
  // may mount in the claim's) hung the claim for good, a dry run too, before it said a word.
  it.skipIf(noFreezer(freezerV1, 'cgroup v1 freezer') !== '' || !hasCommand('unshare'))(
    "a FIFO where the holder's freezer.state is (bound over it in a mount namespace): not waited on, the holder taken for not frozen (the built bin, a dry run)",
    async () => {
      const scratch = mkdtempSync(join(tmpdir(), 'claim-port-freezer-'));
      const fifo = join(scratch, 'freezer.state');
      const holder = await spawnListener({ ignoreTerm: true });
      try {
        await inFrozenCgroup('v1', { name: `claim-port-test-${process.pid}-fifo`, pids: [holder.pid], freeze: false }, async ({ dir }) => {
          expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
          guardPort(holder.port);
          const run = spawnSync(
            'unshare',
            [
              '--mount',
              '--propagation',
              'private',
              'sh',
              '-c',
              'mount --bind "$1" "$2" && exec "$3" "$4" "$5" --dry-run --json',
              'sh',
              fifo,
              `${dir}/freezer.state`,
              process.execPath,
              BIN,
              String(holder.port),
            ],
            { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' },
          );
          expect(run.signal, `${run.stderr} (waited on the FIFO?)`).toBeNull();
          expect(run.status, run.stderr).toBe(0);
          expect(JSON.parse(run.stdout)).toMatchObject({ action: 'would-free', holders: [{ pid: holder.pid, signals: [], outcome: 'would-signal' }] });
        });
      } finally {
        rmSync(scratch, { recursive: true, force: true });
        signal(holder.pid, 'SIGKILL');
        await waitForExit(holder.pid, 5000);
      }
    },
  );

  // cgroup v2's cgroup.freeze lets SIGKILL through (and a SIGTERM with no handler), but a handler runs only once thawed:
  // as for a holder stopped by a tracer, a warning says SIGKILL comes only after the timeout, and the claim goes on.
  it.skipIf(noFreezer(cgroupV2, 'cgroup v2') !== '')(
    'a holder frozen by cgroup v2 (cgroup.freeze) with a SIGTERM handler: warned of in a dry run (exit 0) and in the real run, and SIGKILL after the timeout ends it',
    async () => {
      // Exits on SIGTERM, but its handler cannot run while the cgroup is frozen.
      const holder = await spawnListener({ graceMs: 10 });
      await inFrozenCgroup('v2', { name: `claim-port-test-${process.pid}-frozen2`, pids: [holder.pid] }, async ({ dir }) => {
        const warning = (gets: string) =>
          `PID ${holder.pid} is frozen by the cgroup freezer at ${dir} (cgroup v2, cgroup.events frozen 1): a SIGTERM handler it has runs only once it is thawed, so it ${gets} SIGKILL, which ends a frozen process, after the timeout (0.3 s); thaw it first (echo 0 > ${dir}/cgroup.freeze), or claim with --force`;
        const dry: [string, string][] = [];
        const planned = await claimOurs(holder.port, { dryRun: true, timeoutSeconds: 0.3, settleMs: 0, log: (line, level) => dry.push([line, level]) });
        expect(planned.action).toBe('would-free');
        expect(dry).toContainEqual([`dry run: ${warning('would get')}`, 'warn']);
        const levels: [string, string][] = [];
        const result = await claimOurs(holder.port, { timeoutSeconds: 0.3, settleMs: 0, log: (line, level) => levels.push([line, level]) });
        expect(result.action, JSON.stringify(levels)).toBe('freed');
        expect(levels).toContainEqual([warning('gets'), 'warn']);
        expect(result.holders).toEqual([expect.objectContaining({ pid: holder.pid, signals: ['SIGTERM', 'SIGKILL'], outcome: 'killed' })]);
      });
    },
  );
});

describe('holders the kernel holds still', () => {
  it('a holder stopped under a tracer (ptrace) that never lets it go: SIGTERM cannot act, SIGKILL after the timeout ends it, and it is said to be killed', async () => {
    // The parent makes the socket, forks the holder, closes its own copy, and attaches to the holder (PTRACE_ATTACH), leaving it stopped.
    const port = leasePort();
    const tracer = await start([
      python,
      '-c',
      `import ctypes, json, os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${port})); s.listen(16)
pid = os.fork()
if pid == 0:
    while True: time.sleep(3600)
s.close()
libc = ctypes.CDLL(None, use_errno=True)
if libc.ptrace(16, pid, 0, 0) != 0: os._exit(1)
os.waitpid(pid, 0x40000000)
print(json.dumps({'pids': [pid], 'holder': pid, 'port': ${port}}), flush=True)
while True: time.sleep(3600)`,
    ]);
    const holder = tracer.first.holder as number;
    expect(stateOf(holder)).toBe('t');
    // Said before the timeout passes, in a dry run and in the real run's log: SIGTERM cannot act, SIGKILL comes after the timeout.
    const warning = (gets: string) =>
      `PID ${holder} is stopped by a tracer (a debugger: state t in /proc/PID/stat): it cannot act on SIGTERM until the tracer lets it go, and SIGCONT does not continue it, so it ${gets} SIGKILL only after the timeout (0.3 s); detach the debugger first, or claim with --force`;
    const dry: [string, string][] = [];
    const planned = await claimOurs(port, { dryRun: true, timeoutSeconds: 0.3, settleMs: 0, log: (line, level) => dry.push([line, level]) });
    expect(planned.action).toBe('would-free');
    expect(dry).toContainEqual([`dry run: ${warning('would get')}`, 'warn']);
    const lines: string[] = [];
    const levels: [string, string][] = [];
    const result = await claimOurs(port, {
      timeoutSeconds: 0.3,
      settleMs: 0,
      log: (line, level) => {
        lines.push(line);
        levels.push([line, level]);
      },
    });
    expect(result.action, lines.join('\n')).toBe('freed');
    expect(levels).toContainEqual([warning('gets'), 'warn']);
    // No SIGCONT: that continues a job-control stop, not a tracer's.
    expect(result.holders).toEqual([expect.objectContaining({ pid: holder, signals: ['SIGTERM', 'SIGKILL'], outcome: 'killed' })]);
    expect(isAlive(tracer.child.pid!)).toBe(true);
  });

  it.skipIf(!hasCommand('gcc') || !hasCommand('mkfifo'))(
    'a process waiting in vfork (state D) and its child, which holds the socket too until it execs: both are signalled, and the port freed',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'claim-port-vfork-'));
      try {
        const port = leasePort();
        // The child blocks opening a FIFO nobody writes, before its exec: its parent waits in vfork meanwhile.
        writeFileSync(
          join(dir, 'vfork.c'),
          `#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET; a.sin_port = htons(${port}); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16)) return 1;
  printf("{\\"pid\\": %d, \\"port\\": ${port}}\\n", getpid());
  fflush(stdout);
  if (vfork() == 0) { open("${dir}/fifo", O_RDONLY); execl("/bin/sleep", "sleep", "3600", (char *)0); _exit(1); }
  for (;;) pause();
}
`,
        );
        const cc = spawnSync('gcc', ['-o', join(dir, 'vfork'), join(dir, 'vfork.c')], { encoding: 'utf8' });
        expect(cc.status, cc.stderr).toBe(0);
        expect(spawnSync('mkfifo', [join(dir, 'fifo')]).status).toBe(0);
        const holder = await start([join(dir, 'vfork')]);
        const parent = holder.first.pid;
        expect(await waitUntil(() => childrenOf(parent).length === 1 && stateOf(parent) === 'D', 5000)).toBe(true);
        const child = childrenOf(parent)[0]!;
        adopt(holder, child);
        const lines: string[] = [];
        const result = await claimOurs(port, { timeoutSeconds: 2, settleMs: 0, log: (line) => lines.push(line) });
        expect(result.action, lines.join('\n')).toBe('freed');
        expect(result.holders.map((h) => h.pid).sort()).toEqual([parent, child].sort());
        for (const h of result.holders) expect(h.signals[0]).toBe('SIGTERM');
        expect(isAlive(parent) || isAlive(child)).toBe(false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe.skipIf(!root || !hasCommand('gcc'))('a holder that passes its socket from process to process faster than a scan', () => {
  /**
   * Builds a wanderer: it listens on `port`, ignores SIGTERM, then every 500 µs forks and exits, the child keeping the
   * socket (and the group). With `stranger`, it first forks a child that waits in its group without the socket: as
   * uid 65534, or as the wanderer's own user (as a script that started it, or claim-port itself, would be there).
   */
  function buildWanderer(dir: string, port: number, stranger: 'none' | 'same-user' | 'nobody'): string {
    writeFileSync(
      join(dir, 'wander.c'),
      `#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET; a.sin_port = htons(${port}); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16)) return 1;
  signal(SIGTERM, SIG_IGN);
  ${stranger === 'none' ? '' : `if (fork() == 0) { close(s); ${stranger === 'nobody' ? 'if (setgid(65534) || setuid(65534)) _exit(1);' : ''} for (;;) pause(); }`}
  printf("{\\"pid\\": %d, \\"port\\": ${port}}\\n", getpid());
  fflush(stdout);
  for (;;) { usleep(500); pid_t child = fork(); if (child > 0) _exit(0); if (child < 0) usleep(1000); }
}
`,
    );
    const cc = spawnSync('gcc', ['-o', join(dir, 'wander'), join(dir, 'wander.c')], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    return join(dir, 'wander');
  }

  /** A dry-run claim of `port` whose signals throw (none of the wanderer's processes is one the guard knows), retried while a scan happens to catch one alive. */
  async function claimWanderer(port: number) {
    const processes = {
      ...procControl(),
      signal: (who: { pid: number }) => {
        throw new Error(`the claim signalled PID ${who.pid}`);
      },
    };
    // A scan may still catch one of its processes alive, at times: that one is a holder the claim would follow (a dry
    // run says it would signal it). Claim again then, in a dry run, which signals nothing but refuses as a real run does.
    const lines: string[] = [];
    let result = await claimPort(port, { usage: false, processes, dryRun: true, log: (line) => lines.push(line) });
    // Under load, the 100 ms look may see too few of its processes to say it wanders (the refusal then gives the
    // causes it cannot tell apart): that is claimed again too.
    const named = () => result.action === 'refused' && result.message.includes('it passes from process to process faster than a scan reads them (');
    for (let attempt = 0; attempt < 5 && !named(); attempt++)
      result = await claimPort(port, { usage: false, processes, dryRun: true, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('refused');
    expect(result.holders).toEqual([]);
    return result;
  }

  it('is refused, named as such with the PIDs seen holding it in turn and the process group they share, and nothing is signalled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claim-port-wander-'));
    try {
      const port = leasePort();
      // Started detached: its group is its first PID, which cleanupStarted SIGKILLs as a group (no one PID of it lasts).
      const wanderer = await start([buildWanderer(dir, port, 'none')]);
      const group = wanderer.child.pid!;
      const result = await claimWanderer(port);
      // In the order they held it: each forked the next, so by rising PID (the look lasts 100 ms: no wrap of PID numbers).
      const pids = /PIDs ([\d, ]+ and \d+) held it in turn/
        .exec(result.message)?.[1]
        ?.split(/, | and /)
        .map(Number);
      expect(pids, result.message).toEqual([...(pids ?? [])].sort((a, b) => a - b));
      expect(result.message).toMatch(
        new RegExp(
          `^refused to free port ${port}: the process holding 127\\.0\\.0\\.1:${port} cannot be identified: it passes from process to process faster than a scan reads them \\(a holder that forks and exits in a loop: PIDs (\\d+, )*\\d+ and \\d+ held it in turn within [\\d.]+ ms, all in process group ${group}, session \\d+\\), and claim-port signals only a process it has identified; if that group may go, stop it by hand \\(kill -- -${group}\\); nothing was signalled$`,
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [stranger, uid] of [
    ['nobody', 65534],
    ['same-user', 0],
  ] as const)
    it(`whose process group also holds a process without the socket (${stranger}) gets no advice to kill the group, and that process is named`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'claim-port-wander-'));
      try {
        const port = leasePort();
        const wanderer = await start([buildWanderer(dir, port, stranger)]);
        const group = wanderer.child.pid!;
        const result = await claimWanderer(port);
        expect(result.message).toContain(`all in process group ${group}, which also holds PID `);
        expect(result.message).toMatch(new RegExp(`which also holds PID \\d+ \\(uid ${uid}\\)`));
        expect(result.message).toContain('a kill of that group would reach that process too, so stop the holder by its own means');
        expect(result.message).not.toContain('kill --');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
});

describe.skipIf(!root || !hasCommand('unshare'))('namespaces', () => {
  it('a listener in another network namespace on the same port is not this machine’s port: never seen, never signalled', async () => {
    const port = leasePort();
    const other = await start([
      'unshare',
      '--net',
      python,
      '-c',
      `import json, os, socket, subprocess, time
subprocess.run(['ip', 'link', 'set', 'lo', 'up'])
s = socket.socket(); s.bind(('127.0.0.1', ${port})); s.listen(16)
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`,
    ]);
    expect(await claimOurs(port)).toMatchObject({ action: 'already-free', holders: [] });
    // With this namespace's own listener on the number too: only that one is signalled.
    const here = await spawnListener({ port });
    const result = await claimOurs(port, { settleMs: 0 });
    expect(result.action).toBe('freed');
    expect(result.holders.map((h) => h.pid)).toEqual([here.pid]);
    expect(isAlive(other.first.pid)).toBe(true);
  });

  it('a holder in a PID namespace (not its init) is seen by its host PID, freed, and the namespace’s init is left alone', async () => {
    const port = leasePort();
    const ns = await start([
      'unshare',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount-proc',
      python,
      '-c',
      `import json, os, subprocess, time
child = subprocess.Popen(['${python}', '-c', "import socket, time\\ns = socket.socket(); s.bind(('127.0.0.1', ${port})); s.listen(16)\\nprint('ready', flush=True)\\nwhile True: time.sleep(3600)"], stdout=subprocess.PIPE)
child.stdout.readline()
print(json.dumps({'inner': os.getpid(), 'innerChild': child.pid, 'port': ${port}}), flush=True)
while True: time.sleep(3600)`,
    ]);
    expect(ns.first).toMatchObject({ inner: 1 });
    const init = childrenOf(ns.child.pid!)[0]!;
    const holder = childrenOf(init)[0]!;
    adopt(ns, init);
    adopt(ns, holder);
    const lines: string[] = [];
    const result = await claimOurs(port, { settleMs: 0, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('freed');
    expect(result.holders).toEqual([expect.objectContaining({ pid: holder, ppid: init, signals: ['SIGTERM'], outcome: 'exited' })]);
    expect(isAlive(init)).toBe(true);
  });
});
