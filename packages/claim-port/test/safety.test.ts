// Issue 10: claim-port never signals the wrong process and never calls a port
// free that is not. Every case runs real processes on loopback that this
// suite spawned (recorded with the guard); claims go through claimOurs(),
// which checks the guard first and, after the fact, that everything signalled
// was ours.
import { parseRegistry } from '@dsa110/ports';
import { readListenSocketsSync, readStartTime } from '@dsa110/ports/system';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupStarted, claimOurs, start } from './started.js';
import { claimInProcess } from './helpers.js';
import { claimPort } from '../src/index.js';
import { RESPAWN_GAP_MS, SETTLE_MAX_MS } from '../src/claim.js';
import { procControl, type FamilyReader, type ProcessControl } from '../src/processes.js';
import { lsofReader } from '../src/reader.js';
import { main } from '../src/cli.js';
import { describeBlockers } from '../src/blockers.js';
import { shownName } from '../src/shown-name.js';
import {
  guardPort,
  hasCommand,
  isAlive,
  leasePort,
  isSpawned,
  signal,
  spawnListener,
  waitForExit,
  waitUntil,
  wasSpawned,
} from '../../../test-support/index.js';
import { forgetSpawned, recordSpawned, socketsOn } from '../../../test-support/guard.js';
import { cgroupsWritable, makeUnitCgroup } from '../../../test-support/cgroup.js';

const root = process.getuid?.() === 0;
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const listenerChild = fileURLToPath(new URL('../../../test-support/listener-child.mjs', import.meta.url));

afterEach(cleanupStarted);

/** A Python program that prints {"pid", "port", ...} once set up, then sleeps. */
const py = (code: string) => start([python, '-c', code]);

/**
 * A free port no other process is given meanwhile (leased, outside the ephemeral range): a port
 * that bind(0) found free and let go could go to any other bind(0) or connection before the test uses it.
 */
const freePort = leasePort;

function linkedExecutable(name: string): { exe: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'claim-port-safety-'));
  chmodSync(dir, 0o755);
  const exe = join(dir, name);
  try {
    linkSync(process.execPath, exe);
  } catch {
    copyFileSync(process.execPath, exe);
    chmodSync(exe, 0o755);
  }
  return { exe, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('1. protection is never off by accident', () => {
  const noClaimBlock = parseRegistry('version: 1\nservices: []\n');
  const emptyList = parseRegistry('version: 1\nclaim:\n  protect:\n    processes: []\nservices: []\n');

  it.each([
    ['no claim block', noClaimBlock],
    ['processes: []', emptyList],
  ])('a registry with %s still protects sshd and systemd-*', async (_, registry) => {
    for (const name of ['sshd', 'systemd-fake']) {
      const linked = name === 'sshd' ? linkedExecutable(name) : undefined;
      try {
        const server = await spawnListener(linked ? { executable: linked.exe } : { name });
        const result = await claimOurs(server.port, { registry });
        expect(result.action).toBe('refused');
        expect(result.holders[0]).toMatchObject({ pid: server.pid, outcome: 'protected', signals: [] });
        expect(isAlive(server.pid)).toBe(true);
      } finally {
        linked?.cleanup();
      }
    }
  });

  it.each(['sshd-session', 'sshd-auth'])('%s (OpenSSH 9.8+: a connection holding its forwarded port) is protected like sshd', async (name) => {
    const server = await spawnListener({ name });
    const result = await claimOurs(server.port);
    expect(result.action).toBe('refused');
    expect(result.holders[0]).toMatchObject({ pid: server.pid, outcome: 'protected', signals: [] });
    expect(isAlive(server.pid)).toBe(true);
  });

  it.each([
    ['a typo in a service entry', 'services:\n  - id: api\n    portt: 8000\n'],
    ['a YAML syntax error after it', 'services:\n  - id: api\n  bad: [\n'],
  ])('a registry that does not validate still protects what its claim.protect names (%s)', async (_, rest) => {
    const dir = mkdtempSync(join(tmpdir(), 'claim-salvage-'));
    try {
      const path = join(dir, 'ports.yaml');
      writeFileSync(path, `version: 1\nclaim:\n  protect:\n    processes: [keepme-*]\n    pidsUpTo: 3\n${rest}`);
      const server = await spawnListener({ name: 'keepme-worker' });
      const lines: string[] = [];
      const result = await claimOurs(server.port, { registry: path, log: (line) => lines.push(line) });
      expect(lines[0]).toMatch(
        /^warning: .*ports\.yaml:\d+:\d+: .*; using the built-in protected list and what the file still protects \(claim\.protect: processes "keepme-\*"; pidsUpTo 3\)$/,
      );
      expect(result.action).toBe('refused');
      expect(result.holders[0]).toMatchObject({ pid: server.pid, outcome: 'protected', signals: [] });
      // The pattern is cited where the broken file writes it (claim.protect.processes, line 4), with what to do.
      expect(result.holders[0]!.reason).toBe(
        `its name "keepme-worker" matches the protected pattern "keepme-*" (claim.protect.processes, ${path}:4:17): if PID ${server.pid} may go, stop it by hand (kill ${server.pid}), or remove or narrow that pattern`,
      );
      expect(isAlive(server.pid)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['otherwise valid', '', '    pidsUpTo: 3\n', '; pidsUpTo 3'],
    ['with a typo too', 'services:\n  - id: api\n    portt: 8000\n', '    pidsUpTo: 3\n', '; pidsUpTo 3'],
    ['no pidsUpTo: none said', '', '', ''],
  ])('a registry with a byte that is not UTF-8 (a Latin-1 comment, %s) still protects what its claim.protect names', async (_, rest, bound, boundSaid) => {
    const dir = mkdtempSync(join(tmpdir(), 'claim-salvage-'));
    try {
      const path = join(dir, 'ports.yaml');
      const text = `# R\u00e9gistre\nversion: 1\nclaim:\n  protect:\n    processes: [keepme-*]\n${bound}${rest || 'services: []\n'}`;
      writeFileSync(path, Buffer.from(text, 'latin1'));
      const server = await spawnListener({ name: 'keepme-worker' });
      const lines: string[] = [];
      const result = await claimOurs(server.port, { registry: path, log: (line) => lines.push(line) });
      expect(lines[0]).toMatch(
        /^warning: .*ports\.yaml:1:4: the file is not UTF-8 text \(byte 0xe9\); save it as UTF-8; using the built-in protected list and what the file still protects \(claim\.protect: processes "keepme-\*"/,
      );
      expect(lines[0]!.endsWith(`processes "keepme-*"${boundSaid})`)).toBe(true);
      expect(result.action).toBe('refused');
      expect(result.holders[0]).toMatchObject({ pid: server.pid, outcome: 'protected', signals: [] });
      expect(isAlive(server.pid)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a registry over 1 MiB (a log appended to it) still protects what its claim.protect names: it signalled the process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claim-salvage-'));
    try {
      const path = join(dir, 'ports.yaml');
      const log = '2026-12-05 17:00:00 api: request served in 3 ms from 127.0.0.1\n'.repeat(20_000);
      writeFileSync(path, `version: 1\nclaim:\n  protect:\n    processes: [keepme-*]\nservices: []\n${log}`);
      const server = await spawnListener({ name: 'keepme-worker' });
      const lines: string[] = [];
      const result = await claimOurs(server.port, { registry: path, log: (line) => lines.push(line) });
      expect(lines[0]).toMatch(
        /^warning: .*ports\.yaml: cannot read the registry: the file is larger than 1 MiB; .*; using the built-in protected list and what the file still protects \(claim\.protect: processes "keepme-\*"\)$/,
      );
      expect(result.action).toBe('refused');
      expect(result.holders[0]).toMatchObject({ pid: server.pid, outcome: 'protected', signals: [] });
      expect(isAlive(server.pid)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // (A line feed too, in process-names.test.ts: the test guard's `ss -p` cannot read the owner of a socket whose holder's name has one, and refuses.)
  it.each(['x\rworker', 'x\u2028worker'])(
    'a protected pattern covers a name with a line break in it (%j): its * takes any character (it skipped line breaks)',
    async (name) => {
      const registry = parseRegistry('version: 1\nclaim:\n  protect:\n    processes: ["*worker"]\nservices: []\n');
      const server = await spawnListener({ name });
      const result = await claimOurs(server.port, { registry });
      expect(result.action).toBe('refused');
      expect(result.holders[0]).toMatchObject({ pid: server.pid, outcome: 'protected', signals: [] });
      expect(isAlive(server.pid)).toBe(true);
    },
  );

  it('a broken registry that names a protected pattern twice, or without a list, still protects it (claim-port signalled it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claim-salvage-'));
    try {
      const server = await spawnListener({ name: 'keepme-worker' });
      for (const processes of ['processes: []\n    processes: [keepme-*]', 'processes: keepme-*', 'processes: !!seq [keepme-*]']) {
        const path = join(dir, 'ports.yaml');
        writeFileSync(path, `version: 1\nclaim:\n  protect:\n    ${processes}\nservices: []\n`);
        const result = await claimOurs(server.port, { registry: path, log: () => {}, dryRun: true });
        expect(result.action, processes).toBe('refused');
        expect(result.holders[0], processes).toMatchObject({ pid: server.pid, outcome: 'protected', signals: [] });
      }
      expect(isAlive(server.pid)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unprotectBuiltin is the one way to expose a built-in name', async () => {
    const registry = parseRegistry('version: 1\nclaim:\n  protect:\n    unprotectBuiltin: [systemd-*]\nservices: []\n');
    const server = await spawnListener({ name: 'systemd-fake' });
    const result = await claimOurs(server.port, { registry });
    expect(result.action).toBe('freed');
  });

  it('a holder only a lifted built-in pattern would have spared is named so, with the registry that lifts it, in the dry and real runs (not with -q)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'claim-port-lifted-'));
    const registry = join(dir, 'ports.yaml');
    writeFileSync(registry, 'version: 1\nclaim:\n  protect:\n    unprotectBuiltin: [sshd]\nservices: []\n');
    try {
      const server = await spawnListener({ name: 'sshd' });
      const port = server.port;
      const note = `[claim-port:${port}] PID ${server.pid} (sshd) is not protected: its name "sshd" matches the built-in protected pattern "sshd", which the registry ${registry} lifts (claim.protect.unprotectBuiltin)`;
      const noted = (stderr: string) => stderr.split('\n').filter((line) => line.includes('is not protected'));
      const quiet = await claimInProcess([String(port), '--registry', registry, '--dry-run', '-q'], { port });
      expect({ code: quiet.code, noted: noted(quiet.stderr) }).toEqual({ code: 0, noted: [] });
      const dry = await claimInProcess([String(port), '--registry', registry, '--dry-run'], { port });
      expect({ code: dry.code, noted: noted(dry.stderr) }).toEqual({ code: 0, noted: [note] });
      const real = await claimInProcess([String(port), '--registry', registry, '--timeout', '2'], { port });
      expect({ code: real.code, noted: noted(real.stderr) }).toEqual({ code: 0, noted: [note] });
      expect(isAlive(server.pid)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A python3 supervisor that calls itself systemd (prctl) and forks a listener on a leased port, which
 * calls itself `childName` (else keeps systemd); once that child dies it starts another `respawnAfter`
 * seconds later, on the same port. Prints a JSON line per child, the first with the port.
 */
function namedSupervisor({ childName, respawnAfter }: { childName: string | undefined; respawnAfter: number }): string {
  return `
import ctypes, json, os, socket, time
libc = ctypes.CDLL(None)
libc.prctl(15, b'systemd', 0, 0, 0)
r, w = os.pipe()
def child(port):
    pid = os.fork()
    if pid == 0:
${childName === undefined ? '' : `        libc.prctl(15, b'${childName}', 0, 0, 0)\n`}        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', port))
        s.listen(16)
        os.write(w, str(s.getsockname()[1]).encode().ljust(8))
        while True:
            time.sleep(3600)
    print(json.dumps({'pid': pid}), flush=True)
    return pid
first = child(${leasePort()})
port = int(os.read(r, 8))
print(json.dumps({'pid': first, 'port': port}), flush=True)
os.waitpid(first, 0)
time.sleep(${respawnAfter})
child(port)
time.sleep(3600)
`;
}

// A name is anyone's to choose (comm, argv, a copy of a program): a holder
// another user runs earns no protection from a name its executable disproves.
describe.skipIf(!root)('1b. a protected name that is a disguise protects nothing', () => {
  const nobody = 65534;
  const realPython = realpathSync(python);
  /** A copy (never a link: its owner changes) of python3 named `name` in a fresh directory; `setup` sets owners and modes. */
  function pythonCopy(name: string, prefix = 'claim-port-disguise-'): { dir: string; exe: string; cleanup: () => void } {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    chmodSync(dir, 0o755);
    const exe = join(dir, name);
    copyFileSync(realPython, exe);
    chmodSync(exe, 0o755);
    return { dir, exe, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }
  const asNobody = (over: Parameters<typeof spawnListener>[0] = {}) => spawnListener({ user: 'nobody', python: true, ...over });

  it('a process of another user that renamed itself sshd (prctl) is freed, and the log and result say why', async () => {
    const server = await asNobody({ name: 'sshd' });
    expect(readFileSync(`/proc/${server.pid}/comm`, 'utf8').trim()).toBe('sshd');
    const lines: string[] = [];
    const result = await claimOurs(server.port, { log: (line) => lines.push(line) });
    expect(result.action).toBe('freed'); // the port is leased: nothing else takes it in the settle window
    expect(result.holders[0]).toMatchObject({ pid: server.pid, uid: nobody, outcome: 'exited', signals: ['SIGTERM'] });
    expect(result.holders[0]!.disguise).toMatch(new RegExp(`^named "sshd" \\(protected pattern "sshd"\\) but runs ${realPython}, `));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^PID ${server.pid} \\(sshd\\) is not protected: named "sshd"`)));
  });

  it('a copy named sshd that another user owns, or in a directory another user may write, is freed; root-owned in a root-only directory, it stays protected', async () => {
    // Control chars in the directory name: every line and the result show them escaped.
    const copy = pythonCopy('sshd', 'claim-port-disguise-\n\u001b[31m-');
    try {
      const claim = async () => {
        const server = await asNobody({ executable: copy.exe });
        const lines: string[] = [];
        const result = await claimOurs(server.port, { log: (line) => lines.push(line) });
        expect(lines.every((line) => !line.includes('\n') && !line.includes('\u001b'))).toBe(true);
        return { server, result };
      };
      // As a package installs it: root's file in root's directory. A user running it gets its protection (sshd-session runs as the user).
      const genuine = await claim();
      expect(genuine.result.action).toBe('refused');
      expect(genuine.result.holders[0]).toMatchObject({ pid: genuine.server.pid, outcome: 'protected', signals: [] });
      expect(genuine.result.holders[0]!.disguise).toBeUndefined();
      // The refusal (the one line --quiet keeps) names the user who runs it, not only the PID.
      expect(genuine.result.message).toMatch(new RegExp(`^refused to free port \\d+: PID ${genuine.server.pid} \\(sshd, user nobody\\) is protected: `));
      await genuine.server.kill();

      const shown = copy.exe.replace('\n', '\\n').replace('\u001b', '\\e');
      // [file owner, file mode, directory owner, directory mode]: one way each that a user other than root could have named it.
      const cases: [[number, number, number, number], RegExp][] = [
        [[nobody, 0o755, 0, 0o755], /, owned by uid 65534$/],
        [[0, 0o757, 0, 0o755], /, which anyone may write$/],
        [[0, 0o755, nobody, 0o755], /, in a directory owned by uid 65534$/],
        [[0, 0o755, 0, 0o1777], /, in a directory anyone may write$/],
      ];
      for (const [[fileOwner, fileMode, dirOwner, dirMode], why] of cases) {
        chownSync(copy.exe, fileOwner, 0);
        chmodSync(copy.exe, fileMode);
        chownSync(copy.dir, dirOwner, 0);
        chmodSync(copy.dir, dirMode);
        const { server, result } = await claim();
        expect(result.action).toBe('freed'); // the port is leased: nothing else takes it in the settle window
        expect(result.holders[0]).toMatchObject({ pid: server.pid, outcome: 'exited', signals: ['SIGTERM'] });
        expect(result.holders[0]!.disguise).toMatch(why);
        expect(result.holders[0]!.disguise).toContain(`but runs ${shown}`);
        expect(isAlive(server.pid)).toBe(false);
      }
    } finally {
      copy.cleanup();
    }
  });

  it('a root-owned copy named sshd in a directory another user owns is freed when the directory name holds a byte that is not UTF-8, shown as \\xff', async () => {
    // The directory's owner was looked up by a UTF-8 reading of /proc/PID/exe (U+FFFD for 0xff): no such
    // directory, so its owner was unknown, which keeps the protection: any user could block a claim this way.
    const base = mkdtempSync(join(tmpdir(), 'claim-port-disguise-'));
    try {
      chmodSync(base, 0o755);
      const dir = Buffer.concat([Buffer.from(`${base}/d`), Buffer.from([0xff]), Buffer.from('x')]);
      const exe = Buffer.concat([dir, Buffer.from('/sshd')]);
      mkdirSync(dir, { mode: 0o755 });
      copyFileSync(realPython, exe);
      chmodSync(exe, 0o755);
      chownSync(dir, nobody, 0);
      // spawn() takes a string path: an ASCII link to the copy (/proc/PID/exe names the copy itself).
      const link = join(base, 'sshd');
      symlinkSync(exe, link);
      const server = await asNobody({ executable: link });
      expect(readlinkSync(`/proc/${server.pid}/exe`, { encoding: 'buffer' }).equals(exe)).toBe(true);
      const lines: string[] = [];
      const result = await claimOurs(server.port, { log: (line) => lines.push(line) });
      expect(result.action).toBe('freed');
      expect(result.holders[0]).toMatchObject({ pid: server.pid, outcome: 'exited', signals: ['SIGTERM'] });
      expect(result.holders[0]!.disguise).toMatch(/, in a directory owned by uid 65534$/);
      expect(result.holders[0]!.disguise).toContain(`but runs ${base}/d\\xffx/sshd,`); // escaped, as every path from a process
      expect(lines).toContainEqual(expect.stringContaining(`but runs ${base}/d\\xffx/sshd, in a directory owned by uid 65534`));
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('a program deleted since it started (a package upgrade): root-owned stays protected, a user-owned copy does not', async () => {
    const copy = pythonCopy('sshd');
    try {
      const upgraded = await asNobody({ executable: copy.exe });
      rmSync(copy.exe);
      expect(readlinkSync(`/proc/${upgraded.pid}/exe`)).toBe(`${copy.exe} (deleted)`);
      const kept = await claimOurs(upgraded.port);
      expect(kept.holders[0]).toMatchObject({ pid: upgraded.pid, outcome: 'protected', signals: [] });
      await upgraded.kill();

      copyFileSync(realPython, copy.exe);
      chmodSync(copy.exe, 0o755);
      chownSync(copy.exe, nobody, 0);
      const hidden = await asNobody({ executable: copy.exe });
      rmSync(copy.exe);
      const freed = await claimOurs(hidden.port);
      expect(freed.action).toBe('freed');
      expect(freed.holders[0]!.disguise).toMatch(/ \(deleted\), owned by uid 65534$/);
    } finally {
      copy.cleanup();
    }
  });

  it.skipIf(!existsSync('/usr/bin/perl'))(
    'a holder that blanked its name and command line is still described: comm "", "(an empty command line)", its executable',
    async () => {
      const port = leasePort();
      // perl's $0 = "" empties both /proc/PID/cmdline and /proc/PID/comm: any process can do it to itself.
      const code = `use Socket; socket(my $s, PF_INET, SOCK_STREAM, 0) or die; setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1); bind($s, sockaddr_in(${port}, inet_aton("127.0.0.1"))) or die; listen($s, 5) or die; $0 = ""; $| = 1; print "{\\"pid\\":$$,\\"port\\":${port}}\\n"; sleep 1 while 1;`;
      const blank = await start(['/usr/bin/perl', '-e', code]);
      expect(readFileSync(`/proc/${blank.first.pid}/cmdline`, 'utf8').replaceAll('\0', '')).toBe('');
      const lines: string[] = [];
      const result = await claimOurs(port, { dryRun: true, log: (line) => lines.push(line) });
      expect(result.holders[0]).toMatchObject({ pid: blank.first.pid });
      const described = lines.filter((line) => line.includes(`PID ${blank.first.pid}`));
      expect(described.length).toBeGreaterThan(0);
      for (const line of described) expect(line).not.toMatch(/(\(,|: )$/);
      expect(described.join('\n')).toContain(`PID ${blank.first.pid} (comm "", user `);
      expect(described.join('\n')).toMatch(/\(an empty command line; its executable is perl[^)]*\)/);
    },
  );

  it('a holder whose name could close its field or fake the next (`x) (sshd, user`) is printed quoted; JSON keeps its comm as it is', async () => {
    // prctl(PR_SET_NAME): any process names itself what it likes (15 bytes).
    const holder = await spawnListener({ python: true, name: 'x) (sshd, user' });
    expect(readFileSync(`/proc/${holder.pid}/comm`, 'latin1').trim()).toBe('x) (sshd, user');
    const lines: string[] = [];
    const result = await claimOurs(holder.port, { dryRun: true, log: (line) => lines.push(line) });
    expect(result.holders[0]).toMatchObject({ pid: holder.pid, comm: 'x) (sshd, user' });
    const described = lines.filter((line) => line.includes(`PID ${holder.pid} (`));
    expect(described.length).toBeGreaterThan(0);
    for (const line of described) expect(line).toContain(`PID ${holder.pid} ("x) (sshd, user", `);
    // A plain name stays bare; a quote in a name is escaped inside the quotes.
    expect(shownName({ comm: 'python3' })).toBe('python3');
    expect(shownName({ comm: 'a"b' })).toBe('"a\\"b"');
    expect(shownName({ comm: ' lead' })).toBe('" lead"');
  });

  it('a supervisor of another user that only took the name systemd is watched for a respawn like any other', async () => {
    // Supervisor and child both call themselves systemd; the supervisor starts a new child 0.5 s after the first dies.
    const code = namedSupervisor({ childName: undefined, respawnAfter: 0.5 });
    const supervised = await start(['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', python, '-c', code]);
    const supervisor = supervised.child.pid!;
    expect(readFileSync(`/proc/${supervisor}/comm`, 'utf8').trim()).toBe('systemd');
    const result = await claimOurs(supervised.first.port);
    expect(result.holders[0]).toMatchObject({ pid: supervised.first.pid, outcome: 'exited', disguise: expect.stringMatching(/^named "systemd"/) });
    expect(result.action).toBe('failed');
    expect(result.message).toMatch(new RegExp(`taken again by PID \\d+ .*started by its supervisor PID ${supervisor}`));
    expect(isAlive(supervisor)).toBe(true);
  });

  it.skipIf(!root)('a root supervisor that only took the name systemd is watched for a respawn: a name is no proof of a service manager', async () => {
    // The supervisor runs python3 as root and calls itself systemd; its children call themselves holder (a root child named
    // systemd would be protected). It starts a new child 0.3 s after the first dies: the claim must fail, not say "free".
    const code = namedSupervisor({ childName: 'holder', respawnAfter: 0.3 });
    const supervised = await start([python, '-c', code]);
    const supervisor = supervised.child.pid!;
    expect(readFileSync(`/proc/${supervisor}/comm`, 'utf8').trim()).toBe('systemd');
    expect(readFileSync(`/proc/${supervisor}/status`, 'utf8')).toMatch(/^Uid:\s+0\s/m);
    const result = await claimOurs(supervised.first.port);
    expect(result.holders[0]).toMatchObject({ pid: supervised.first.pid, outcome: 'exited' });
    expect(result.action).toBe('failed');
    expect(result.message).toMatch(new RegExp(`taken again by PID \\d+ .*started by its supervisor PID ${supervisor}`));
    expect(isAlive(supervisor)).toBe(true);
  });

  it.skipIf(!root || !existsSync('/usr/bin/perl'))(
    'a holder that execs a protected program after SIGTERM (keeping the socket) is judged again and not killed',
    async () => {
      // On SIGTERM the holder ignores SIGTERM from then on (a disposition exec keeps), keeps its listening socket across
      // the exec, and becomes perl calling itself sshd: the same PID and start time, a protected name (root's).
      const code = `
import json, os, signal, socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', ${leasePort()}))
s.listen(16)
s.set_inheritable(True)
def on_term(*_):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.execv('/usr/bin/perl', ['perl', '-e', '$0 = "sshd"; sleep 1 while 1'])
signal.signal(signal.SIGTERM, on_term)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True:
    time.sleep(3600)
`;
      const holder = await start([python, '-c', code]);
      const lines: string[] = [];
      const result = await claimOurs(holder.first.port, { timeoutSeconds: 0.5, log: (line) => lines.push(line) });
      expect(readFileSync(`/proc/${holder.first.pid}/comm`, 'utf8').trim()).toBe('sshd');
      expect(isAlive(holder.first.pid)).toBe(true);
      expect(result.action).toBe('failed');
      expect(result.holders[0]).toMatchObject({ pid: holder.first.pid, comm: 'sshd', outcome: 'protected', signals: ['SIGTERM'] });
      expect(result.holders[0]!.reason).toBe(
        `its name "sshd" matches the built-in protected pattern "sshd": if PID ${holder.first.pid} may go, stop it by hand (kill ${holder.first.pid}); only claim.protect.unprotectBuiltin in the registry lifts a built-in pattern`,
      );
      expect(lines.join('\n')).toMatch(
        new RegExp(`not sending SIGKILL to PID ${holder.first.pid}: it changed since it was found \\(now sshd; was .*python3 -c`),
      );
      expect(lines.join('\n')).not.toMatch(/sent SIGKILL/);
      expect(result.message).toMatch(
        new RegExp(`still in use by PID ${holder.first.pid}, which changed since it was found \\(now sshd\\) and is protected now: its name "sshd"`),
      );
    },
  );

  it('a root process keeps the protection of any name it bears', async () => {
    const server = await spawnListener({ python: true, name: 'sshd' });
    const result = await claimOurs(server.port);
    expect(result.holders[0]).toMatchObject({ pid: server.pid, uid: 0, outcome: 'protected', signals: [] });
    expect(result.message).toContain(`PID ${server.pid} (sshd) is protected: `);
    // The same, run by nobody: the control that shows the name alone decided.
    const other = await asNobody({ name: 'sshd' });
    expect((await claimOurs(other.port)).holders[0]).toMatchObject({ pid: other.pid, outcome: 'exited' });
  });

  it("a name the registry added protects a program another user runs from files a user owns (a conda environment in a service user's home)", async () => {
    const registry = parseRegistry('version: 1\nclaim:\n  protect:\n    processes: [dask-*]\nservices: []\n');
    // python3 copied to a directory nobody owns: a built-in name run from here is unmasked (the control below).
    const copy = pythonCopy('python3');
    try {
      chownSync(copy.dir, nobody, nobody);
      chownSync(copy.exe, nobody, nobody);
      const scheduler = await asNobody({ executable: copy.exe, name: 'dask-scheduler' });
      const result = await claimOurs(scheduler.port, { registry });
      expect(result.action).toBe('refused');
      expect(result.holders[0]).toMatchObject({ pid: scheduler.pid, uid: nobody, outcome: 'protected', signals: [] });
      expect(result.holders[0]!.disguise).toBeUndefined();
      expect(result.message).toContain(`PID ${scheduler.pid} (dask-scheduler, user nobody) is protected: `);
      expect(isAlive(scheduler.pid)).toBe(true);
      await scheduler.kill();
      // The control: the same program under a built-in name is a disguise, and is freed.
      const disguised = await asNobody({ executable: copy.exe, name: 'sshd' });
      expect((await claimOurs(disguised.port, { registry })).holders[0]).toMatchObject({ pid: disguised.pid, outcome: 'exited' });
    } finally {
      copy.cleanup();
    }
  });
});

describe.skipIf(!root)('1c. a socket another user made and passed to a protected process', () => {
  it('is refused, nobody signalled, and the refusal names the uid that made the socket (SCM_RIGHTS)', async () => {
    // A root process keeps its name's protection (sshd); a child that became nobody makes the socket and hands it over.
    const holder = await py(`import array, ctypes, json, os, socket, time
a, b = socket.socketpair()
child = os.fork()
if child == 0:
    os.setgid(65534); os.setuid(65534)
    s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
    a.sendmsg([str(s.getsockname()[1]).encode()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [s.fileno()]))])
    os._exit(0)
ctypes.CDLL(None).prctl(15, b'sshd', 0, 0, 0)
port, fds, _, _ = b.recvmsg(16, socket.CMSG_LEN(4))
os.waitpid(child, 0)
print(json.dumps({'pid': os.getpid(), 'port': int(port)}), flush=True)
while True: time.sleep(3600)`);
    const { pid, port } = holder.first;
    const lines: string[] = [];
    const result = await claimOurs(port, { log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('refused');
    expect(result.holders).toEqual([expect.objectContaining({ pid, uid: 0, outcome: 'protected', signals: [] })]);
    expect(result.holders[0]!.reason).toMatch(/; it holds a socket uid 65534 made, not it \(passed to it over a Unix socket, SCM_RIGHTS/);
    expect(isAlive(pid)).toBe(true);
  });
});

describe.skipIf(!root)('1d. a socket another user made and passed to a process that is not protected', () => {
  it('is freed, and the warning names the uid that made the socket (SCM_RIGHTS), so the journal says whose doing it was', async () => {
    // The holder (nobody) receives a socket that a child of another uid (65533) made and hands over.
    const holder = await py(`import array, json, os, socket, time
a, b = socket.socketpair()
child = os.fork()
if child == 0:
    os.setgid(65533); os.setuid(65533)
    s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
    a.sendmsg([str(s.getsockname()[1]).encode()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [s.fileno()]))])
    os._exit(0)
os.setgid(65534); os.setuid(65534)
port, fds, _, _ = b.recvmsg(16, socket.CMSG_LEN(4))
os.waitpid(child, 0)
print(json.dumps({'pid': os.getpid(), 'port': int(port)}), flush=True)
while True: time.sleep(3600)`);
    const { pid, port } = holder.first;
    const lines: string[] = [];
    const result = await claimOurs(port, { log: (line) => lines.push(line) });
    expect(result.holders, lines.join('\n')).toEqual([expect.objectContaining({ pid, uid: 65534, outcome: 'exited', signals: ['SIGTERM'] })]);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^PID ${pid} \\(python3\\): it holds a socket uid 65533 made, not it \\(passed to it over a Unix socket, SCM_RIGHTS`)),
    );
  });
});

describe('2. container runtimes', () => {
  it('refuses docker-proxy and names the container it serves; signals nothing', async () => {
    const linked = linkedExecutable('docker-proxy');
    try {
      const proxy = await start([
        linked.exe,
        listenerChild,
        JSON.stringify({ host: '127.0.0.1', port: leasePort(), role: 'listener' }),
        '-proto',
        'tcp',
        '-container-ip',
        '172.17.0.2',
        '-container-port',
        '80',
      ]);
      const lines: string[] = [];
      const result = await claimOurs(proxy.first.port, { log: (line) => lines.push(line) });
      expect(result.action).toBe('refused');
      expect(result.holders[0]).toMatchObject({ pid: proxy.first.pid, outcome: 'protected', signals: [], container: '172.17.0.2:80' });
      expect(result.message).toMatch(/"docker-proxy".*serves container 172\.17\.0\.2:80: stop that container instead/);
      expect(lines.every((line) => !line.includes('\n'))).toBe(true);
      expect(isAlive(proxy.first.pid)).toBe(true);
    } finally {
      linked.cleanup();
    }
  });

  it.each(['dockerd', 'containerd-shim-runc-v2', 'conmon', 'rootlessport', 'pasta'])('refuses a holder named %s', async (name) => {
    const server = await spawnListener({ name });
    const result = await claimOurs(server.port);
    expect(result.action).toBe('refused');
    expect(result.holders[0]!.reason).toMatch(/stop the container/);
    expect(isAlive(server.pid)).toBe(true);
  });
});

describe.skipIf(!root || !hasCommand('unshare'))('2b. the init of another PID namespace', () => {
  it('a holder that is PID 1 of its own PID namespace is refused, never signalled (its death would kill the whole namespace)', async () => {
    // Inside the namespace getpid() is 1; /proc (the host's, not remounted) names it by its host PID.
    const init = await start([
      'unshare',
      '--pid',
      '--fork',
      '--kill-child',
      python,
      '-c',
      `import json, os, socket, subprocess, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
child = subprocess.Popen(['sleep', '3600'])
print(json.dumps({'pid': int(os.readlink('/proc/self')), 'inner': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`,
    ]);
    expect(init.first.inner).toBe(1);
    const lines: string[] = [];
    const result = await claimOurs(init.first.port, { timeoutSeconds: 0.3, killWaitMs: 500, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('refused');
    expect(result.holders[0]).toMatchObject({ pid: init.first.pid, outcome: 'protected', signals: [] });
    expect(result.holders[0]!.reason).toMatch(/PID 1 of its own PID namespace/);
    expect(isAlive(init.first.pid)).toBe(true);
  });

  // Any user can make a PID namespace inside a user namespace of their own: its init's protection was a refusal any user could cause.
  const initScript = () => `import json, os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
print(json.dumps({'pid': int(os.readlink('/proc/self')), 'inner': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`;
  const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  /** A root process (a python that sleeps) made to enter the namespaces `flags` names of `pid`, as an operator's nsenter does. */
  const joinAsRoot = (pid: number, flags: readonly string[]) =>
    start([
      'nsenter',
      '-t',
      String(pid),
      ...flags,
      python,
      '-c',
      `import json, os, time
print(json.dumps({'pid': int(os.readlink('/proc/self')), 'inner': os.getpid(), 'port': 1}), flush=True)
while True: time.sleep(3600)`,
    ]);

  it.skipIf(!hasCommand('setpriv'))(
    'the init of a PID namespace a user made in a user namespace of their own (unshare --user --pid, no host root mapped) is not protected: SIGKILLed (the kernel drops the SIGTERM), and the log and result say why',
    async () => {
      const init = await start([...asNobody, 'unshare', '--user', '--map-root-user', '--pid', '--fork', '--kill-child', python, '-c', initScript()]);
      expect(init.first.inner).toBe(1);
      expect(readFileSync(`/proc/${init.first.pid}/uid_map`, 'utf8').trim().split(/\s+/)).toEqual(['0', '65534', '1']);
      const lines: string[] = [];
      const result = await claimOurs(init.first.port, { timeoutSeconds: 0.3, killWaitMs: 2000, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('freed');
      expect(result.holders[0]).toMatchObject({ pid: init.first.pid, uid: 65534, signals: ['SIGTERM', 'SIGKILL'], outcome: 'killed' });
      expect(result.holders[0]!.disguise).toMatch(/^PID 1 of its own PID namespace, made in a user namespace that maps no host root/);
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^PID ${init.first.pid} \\(python3\\) is not protected: PID 1 of its own PID namespace`)));
    },
  );

  it.skipIf(!hasCommand('setpriv'))(
    'the init of a user-made PID namespace whose user namespace maps no uid at all (unshare --user without --map-root-user) is not protected either: its processes run as its user',
    async () => {
      const init = await start([...asNobody, 'unshare', '--user', '--pid', '--fork', '--kill-child', python, '-c', initScript()]);
      expect(init.first.inner).toBe(1);
      expect(readFileSync(`/proc/${init.first.pid}/uid_map`, 'utf8')).toBe('');
      const lines: string[] = [];
      const result = await claimOurs(init.first.port, { timeoutSeconds: 0.3, killWaitMs: 2000, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('freed');
      expect(result.holders[0]).toMatchObject({ pid: init.first.pid, uid: 65534, outcome: 'killed' });
      expect(result.holders[0]!.disguise).toMatch(/^PID 1 of its own PID namespace, made in a user namespace that maps no host root/);
    },
  );

  it.skipIf(!hasCommand('setpriv') || !hasCommand('nsenter'))(
    'that unmapped user-made init stays protected once root has entered its user and PID namespaces (nsenter --user --pid, still uid 0 there)',
    async () => {
      const init = await start([...asNobody, 'unshare', '--user', '--pid', '--fork', '--kill-child', python, '-c', initScript()]);
      // Root enters the user namespace too, keeping its credentials (uid 0, which the namespace cannot map).
      const joined = await joinAsRoot(init.first.pid, ['--user', '--preserve-credentials', '--pid']);
      expect(readlinkSync(`/proc/${joined.first.pid}/ns/user`)).toBe(readlinkSync(`/proc/${init.first.pid}/ns/user`));
      const lines: string[] = [];
      const result = await claimOurs(init.first.port, { timeoutSeconds: 0.3, killWaitMs: 500, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('refused');
      expect(result.holders[0]).toMatchObject({ pid: init.first.pid, outcome: 'protected', signals: [] });
      expect(result.holders[0]!.reason).toContain(`PID ${joined.first.pid} (python3, user root) is in its PID namespace as uid 0`);
      expect(isAlive(init.first.pid)).toBe(true);
    },
  );

  it.skipIf(!hasCommand('setpriv') || !hasCommand('nsenter'))(
    'the same user-made init stays protected once a root process has joined its PID namespace (nsenter --pid): its death would kill that root process too',
    async () => {
      const init = await start([...asNobody, 'unshare', '--user', '--map-root-user', '--pid', '--fork', '--kill-child', python, '-c', initScript()]);
      // Root joins the PID namespace only (it stays in the host's user namespace, as root): what an operator's nsenter does.
      const joined = await joinAsRoot(init.first.pid, ['--pid']);
      expect(readlinkSync(`/proc/${joined.first.pid}/ns/pid`)).toBe(readlinkSync(`/proc/${init.first.pid}/ns/pid`));
      const lines: string[] = [];
      const result = await claimOurs(init.first.port, { timeoutSeconds: 0.3, killWaitMs: 500, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('refused');
      expect(result.holders[0]).toMatchObject({ pid: init.first.pid, outcome: 'protected', signals: [] });
      expect(result.holders[0]!.reason).toMatch(/PID 1 of its own PID namespace/);
      expect(result.holders[0]!.reason).toContain(`PID ${joined.first.pid} (python3, user root)`);
      expect(isAlive(init.first.pid)).toBe(true);
      expect(isAlive(joined.first.pid)).toBe(true);
    },
  );

  it.skipIf(!hasCommand('setpriv') || !hasCommand('nsenter'))(
    'the same user-made init is not SIGKILLed once a root process joins its PID namespace after the plan (while claim-port waits out its SIGTERM): protected since it was found, exit 1, both alive',
    async () => {
      // An init that ignores SIGTERM (the kernel would drop it anyway), so that claim-port waits the whole timeout before SIGKILL.
      const init = await start([
        ...asNobody,
        'unshare',
        '--user',
        '--map-root-user',
        '--pid',
        '--fork',
        '--kill-child',
        python,
        '-c',
        `import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)\n${initScript()}`,
      ]);
      expect(init.first.inner).toBe(1);
      guardPort(init.first.port);
      // Root joins the PID namespace once claim-port has sent its SIGTERM: after the plan, before the SIGKILL.
      let joining: ReturnType<typeof start> | undefined;
      let stdout = '';
      let stderr = '';
      const io = {
        out: (text: string) => void (stdout += text),
        err: (text: string) => {
          stderr += text;
          if (joining === undefined && stderr.includes(`sent SIGTERM to PID ${init.first.pid}:`))
            joining = start([
              'nsenter',
              '-t',
              String(init.first.pid),
              '--pid',
              python,
              '-c',
              `import json, os
print(json.dumps({'pid': int(os.readlink('/proc/self')), 'port': 1}), flush=True)
os.execvp('sleep', ['sleep', '600'])`,
            ]);
        },
        stdoutIsTTY: false,
      };
      const code = await main([String(init.first.port), '--timeout', '2', '--json'], io, {});
      expect(joining, stderr).toBeDefined();
      const joined = (await joining!).first.pid;
      const result = JSON.parse(stdout) as {
        action: string;
        message: string;
        holders: { pid: number; startTime: number; signals: string[]; outcome: string }[];
      };
      for (const h of result.holders) if (h.signals.length > 0) expect(wasSpawned(h.pid, h.startTime)).toBe(true);
      expect(code, stderr).toBe(1);
      expect(result.action).toBe('failed');
      expect(result.holders[0]).toMatchObject({ pid: init.first.pid, signals: ['SIGTERM'], outcome: 'protected' });
      expect(result.message).toMatch(
        new RegExp(
          `is still in use by PID ${init.first.pid}, which changed since it was found \\(now .*\\) and is protected now: it is PID 1 of its own PID namespace`,
        ),
      );
      expect(result.message).toContain(`PID ${joined} (sleep, user root) joined its PID namespace from outside its user namespace, and would die with it`);
      expect(result.message).toMatch(/; it was not killed$/);
      expect(stderr).not.toContain('sent SIGKILL');
      expect(isAlive(init.first.pid)).toBe(true);
      expect(isAlive(joined)).toBe(true);
    },
  );

  it.skipIf(!hasCommand('setpriv') || !cgroupsWritable)(
    "the same user-made init in a unit of the system's outside user.slice (a machine, a service: root put it there) stays protected",
    async () => {
      const init = await start([...asNobody, 'unshare', '--user', '--map-root-user', '--pid', '--fork', '--kill-child', python, '-c', initScript()]);
      const cgroup = makeUnitCgroup(`claim-port-sandbox-${process.pid}.scope`)!;
      try {
        cgroup.move(init.first.pid);
        const result = await claimOurs(init.first.port, { timeoutSeconds: 0.3, killWaitMs: 500 });
        expect(result.action).toBe('refused');
        expect(result.holders[0]).toMatchObject({ pid: init.first.pid, unit: `claim-port-sandbox-${process.pid}.scope`, outcome: 'protected', signals: [] });
        expect(isAlive(init.first.pid)).toBe(true);
      } finally {
        signal(init.first.pid, 'SIGKILL');
        await waitForExit(init.first.pid, 5000);
        cgroup.remove();
      }
    },
  );

  it.skipIf(!hasCommand('setpriv'))('the same init run by a user in a PID namespace root made (no user namespace of its own) stays protected', async () => {
    const init = await start(['unshare', '--pid', '--fork', '--kill-child', ...asNobody, python, '-c', initScript()]);
    expect(init.first.inner).toBe(1);
    const result = await claimOurs(init.first.port, { timeoutSeconds: 0.3, killWaitMs: 500 });
    expect(result.action).toBe('refused');
    expect(result.holders[0]).toMatchObject({ pid: init.first.pid, uid: 65534, outcome: 'protected', signals: [] });
    expect(isAlive(init.first.pid)).toBe(true);
  });
});

describe.skipIf(!root || !hasCommand('unshare') || !hasCommand('nsenter'))('2c. claim-port inside a PID namespace (a container)', () => {
  const tsx = fileURLToPath(new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url));
  const source = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
  /** claim-port as a container runs it: in the PID namespace whose init is host PID `init`, with its own /proc (a private mount namespace). */
  const claimInPidNamespace = (init: number, port: number, extra: readonly string[] = []) => {
    guardPort(port);
    return spawnSync(
      'nsenter',
      [
        '-t',
        String(init),
        '--pid',
        'unshare',
        '--mount',
        '--mount-proc',
        process.execPath,
        '--conditions=development',
        '--import',
        tsx,
        source,
        String(port),
        '--timeout',
        '0.3',
        '--json',
        ...extra,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
  };

  /** A Python `script` (with `args`) as PID 1 of a new PID namespace, started as start() does. */
  const startAsInit = (script: string, ...args: string[]) => start(['unshare', '--pid', '--fork', '--kill-child', python, '-c', script, ...args]);

  it.skipIf(!existsSync(tsx))(
    'PID 2 there and its children are ordinary processes, not kernel threads (no PF_KTHREAD): a holder whose parent is PID 2 is freed, and so is PID 2',
    async () => {
      // The namespace's PID 1 starts PID 2, which holds a socket and starts PID 3, which holds another. /proc is the host's: each prints its host PID.
      const holder = (port: number) => `import json, os, socket, subprocess, sys, time
s = socket.socket(); s.bind(('127.0.0.1', ${port})); s.listen(16)
child = subprocess.Popen(sys.argv[1:]) if len(sys.argv) > 1 else None
print(json.dumps({'pid': int(os.readlink('/proc/self')), 'inner': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`;
      const [outer, inner] = [leasePort(), leasePort()];
      const init = await startAsInit(
        `import json, os, subprocess, sys, time
print(json.dumps({'pid': int(os.readlink('/proc/self')), 'inner': os.getpid()}), flush=True)
subprocess.Popen(sys.argv[1:])
while True: time.sleep(3600)`,
        python,
        '-c',
        holder(outer),
        python,
        '-c',
        holder(inner),
      );
      const waitFor = async (port: number) => {
        await waitUntil(() => socketsOn(port).length > 0, 10_000);
        return socketsOn(port)[0]!.holders[0]!.pid;
      };
      const [pid2, pid3] = [await waitFor(outer), await waitFor(inner)];
      expect(readFileSync(`/proc/${pid2}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+\s+2$/m);
      expect(readFileSync(`/proc/${pid3}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+\s+3$/m);
      // Each is recorded with the guard once it has printed its line.
      await waitUntil(() => init.pids.includes(pid2) && init.pids.includes(pid3), 10_000);
      const pid1 = init.pids.find((pid) => /^NSpid:\s+\d+\s+1$/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')))!;
      const claimInside = (port: number) => claimInPidNamespace(pid1, port);
      const third = claimInside(inner);
      expect(third.stderr).not.toMatch(/kernel thread/);
      expect(JSON.parse(third.stdout), third.stderr).toMatchObject({ action: 'freed', holders: [{ pid: 3, ppid: 2 }] });
      expect(isAlive(pid3)).toBe(false);
      const second = claimInside(outer);
      expect(second.stderr).not.toMatch(/kernel thread|init and kthreadd/);
      expect(JSON.parse(second.stdout), second.stderr).toMatchObject({ action: 'freed', holders: [{ pid: 2, ppid: 1 }] });
      expect(isAlive(pid2)).toBe(false);
      expect(isAlive(pid1)).toBe(true);
    },
  );

  it.skipIf(!existsSync(tsx))(
    'a shell loop that is PID 1 of the PID namespace claim-port runs in, restarting the holder it kills, is named as the supervisor, with the container to stop',
    async () => {
      const port = leasePort();
      // Each holder prints its host PID and its parent's (the loop): /proc is the host's here.
      const holder = `import json, os, socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', ${port})); s.listen(16)
ppid = int(open('/proc/self/stat').read().rsplit(')', 1)[1].split()[1])
print(json.dumps({'pid': int(os.readlink('/proc/self')), 'pids': [ppid], 'port': ${port}}), flush=True)
while True: time.sleep(3600)`;
      const loop = await start(['unshare', '--pid', '--fork', '--kill-child', '/bin/sh', '-c', `while :; do ${python} -c "$0"; done`, holder]);
      const shell = (loop.first.pids as number[])[0]!;
      expect(readFileSync(`/proc/${shell}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+\s+1$/m);
      const run = claimInPidNamespace(shell, port);
      const result = JSON.parse(run.stdout);
      expect(result.action, run.stderr).toBe('failed');
      expect(result.retakenBy[0].supervisor.pid, run.stderr).toBe(1);
      expect(result.message).toMatch(
        /was taken again by PID \d+ \(python3\): .*, started by its supervisor PID 1 \(\w+\): \S*sh -c 'while :; do .* \(which started holder PID \d+; or left behind by that holder, born after it was signalled, now a child of PID 1\): stop its supervisor \(PID 1, the init of claim-port's PID namespace: stop that container or sandbox, or the loop it runs\) first$/,
      );
      expect(isAlive(shell)).toBe(true);
    },
  );

  it.skipIf(!existsSync(tsx))(
    'PID 1 that starts the holder again only after a pause with no child (a loop that sleeps in itself) is watched all the same: the re-take fails the claim; a dry run warns of it',
    async () => {
      const port = leasePort();
      const holder = `import json, os, socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', ${port})); s.listen(16)
print(json.dumps({'pid': int(os.readlink('/proc/self')), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`;
      // Until its holder exits, then 0.4 s in which PID 1 has no new child: a claim that looked for one only when the
      // holder was gone saw none, and said "freed" while the loop was about to take the port back.
      const loop = await startAsInit(
        `import json, os, subprocess, sys, time
print(json.dumps({'pid': int(os.readlink('/proc/self'))}), flush=True)
while True:
    subprocess.run([sys.executable, '-c', sys.argv[1]])
    time.sleep(0.4)`,
        holder,
      );
      // The loop's line comes first, the holder's (once it listens) next: start() resolves with that one.
      await waitUntil(() => loop.pids.length === 2, 10_000);
      const init = loop.pids.find((pid) => /^NSpid:\s+\d+\s+1$/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')))!;
      expect(init).toBeDefined();
      const dry = claimInPidNamespace(init, port, ['--dry-run']);
      expect(JSON.parse(dry.stdout).action, dry.stderr).toBe('would-free');
      expect(dry.stderr).toMatch(
        /dry run: PID 1 \(python3\), no service manager, started PID 2 and may start it again: a real run watches port \d+ for 1000 ms after the holders are gone/,
      );
      const run = claimInPidNamespace(init, port);
      const result = JSON.parse(run.stdout);
      expect(result.action, run.stderr).toBe('failed');
      expect(run.stderr).toMatch(/watching port \d+ for 1000 ms: PID 1 \(python3\), no service manager, started a holder and is still running/);
      expect(result.retakenBy[0].supervisor.pid, run.stderr).toBe(1);
      expect(result.message).toMatch(/was taken again by PID \d+ \(python3\): .*, started by its supervisor PID 1 \(python3\): /);
      expect(isAlive(init)).toBe(true);
    },
  );
});

const UDP_HOLDER = (port: number) =>
  `import json, os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', ${port}))
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`;

describe('3. transport end to end', () => {
  it('PORT/udp frees the UDP holder and never touches the TCP listener on the same number', async () => {
    const tcp = await spawnListener();
    const udp = await py(UDP_HOLDER(tcp.port));
    const lines: string[] = [];
    const result = await claimOurs(tcp.port, { transport: 'udp', log: (line) => lines.push(line) });
    expect(result).toMatchObject({ action: 'freed', transport: 'udp' });
    expect(result.holders.map((h) => h.pid)).toEqual([udp.first.pid]);
    expect(result.listeners).toEqual([`127.0.0.1:${tcp.port}/udp`]);
    expect(lines.join('\n')).toContain(`port ${tcp.port}/udp is free`);
    expect(isAlive(udp.first.pid)).toBe(false);
    expect(isAlive(tcp.pid)).toBe(true);
  });

  it('a TCP claim never touches a UDP holder of the same number', async () => {
    const tcp = await spawnListener();
    const udp = await py(UDP_HOLDER(tcp.port));
    const result = await claimOurs(tcp.port);
    expect(result).toMatchObject({ action: 'freed', transport: 'tcp' });
    expect(result.holders.map((h) => h.pid)).toEqual([tcp.pid]);
    expect(isAlive(udp.first.pid)).toBe(true);
  });

  it('PORT/udp never signals a UDP client: a socket bound to the port and connected to a peer blocks bind(), is named with its PID, exit 1', async () => {
    // As a TCP connection using the port as its local port: a client's socket (a resolver's query, a QUIC client) is not the port's server.
    const server = await py(UDP_HOLDER(freePort()));
    const port = freePort();
    const client = await py(`import json, os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', ${port})); s.connect(('127.0.0.1', ${server.first.port}))
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`);
    const result = await claimOurs(port, { transport: 'udp' });
    expect(result.action).toBe('refused');
    expect(result.holders).toEqual([]);
    expect(result.message).toMatch(
      new RegExp(
        `^refused to free port ${port}/udp: no server socket is bound to port ${port}/udp, but a server could not bind it \\(0\\.0\\.0\\.0: EADDRINUSE\\): `,
      ),
    );
    expect(result.message).toContain(`127.0.0.1:${port}/udp bound and connected to 127.0.0.1:${server.first.port}, held by PID ${client.first.pid}`);
    expect(isAlive(client.first.pid)).toBe(true);
    // Its peer's port is the server's: claiming that one frees the server and leaves the client alone.
    const freed = await claimOurs(server.first.port, { transport: 'udp' });
    expect(freed.action).toBe('freed');
    expect(freed.holders.map((h) => h.pid)).toEqual([server.first.pid]);
    expect(isAlive(client.first.pid)).toBe(true);
  });

  it('a UDP port nobody holds is free at once; the CLI grammar carries the transport', async () => {
    const port = freePort();
    const result = await claimOurs(port, { transport: 'udp' });
    expect(result).toMatchObject({ action: 'already-free', transport: 'udp', message: `port ${port}/udp is free; nothing to do` });
  });
});

describe('4. free means bindable', () => {
  it('a connection using the port as its local port blocks bind(): exit 1, named with its PID, nobody signalled', async () => {
    const server = await spawnListener();
    const port = freePort();
    const client = await py(`import json, os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${port})); s.connect(('127.0.0.1', ${server.port}))
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`);
    const result = await claimOurs(port);
    expect(result.action).toBe('refused');
    expect(result.message).toContain(
      `127.0.0.1:${port} -> 127.0.0.1:${server.port} (ESTABLISHED, a connection using the port as its local port), held by PID ${client.first.pid}`,
    );
    expect(result.holders).toEqual([]);
    expect(isAlive(client.first.pid)).toBe(true);
  });

  it('a half-closed connection that keeps the port names the process at its other end, escaped, and signals it not', async () => {
    // A server without SO_REUSEADDR (so its closing connection blocks even a bind with it) and a loopback client that
    // never closes: once the server is gone, its end waits in FIN_WAIT2 (no process holds it), the client's in CLOSE_WAIT.
    const server = await py(`import json, os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${freePort()})); s.listen(4)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
c, _ = s.accept()
c.sendall(b'a')  # accepted: a connection still in the accept queue would be reset, not half-closed
while True: time.sleep(3600)`);
    const port = server.first.port;
    const client = await py(`import ctypes, json, os, socket, time
ctypes.CDLL(None).prctl(15, b'peer\\nx', 0, 0, 0)
c = socket.create_connection(('127.0.0.1', ${port}))
c.recv(1)
print(json.dumps({'pid': os.getpid(), 'port': c.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`);
    const ephemeral = client.first.port;
    // The server gone before the claim (the test stops it): its orphaned FIN_WAIT2, which the kernel ends within
    // net.ipv4.tcp_fin_timeout (60 s by default), does not fit a 2 s timeout, so the claim is refused at once, naming it.
    signal(server.first.pid, 'SIGKILL');
    await waitForExit(server.first.pid, 5000);
    // FIN_WAIT1 until the client's ACK of the server's FIN lands: the claim is made on the FIN_WAIT2 (state 05) it leaves.
    const row = new RegExp(`^\\s*\\d+: 0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} \\S+ 05 `, 'm');
    expect(await waitUntil(() => row.test(readFileSync('/proc/net/tcp', 'latin1')), 5000)).toBe(true);
    const result = await claimOurs(port, { timeoutSeconds: 2 });
    expect(result.action, result.message).toBe('refused');
    expect(result.message).toContain(`127.0.0.1:${port} -> 127.0.0.1:${ephemeral} (FIN_WAIT2, a connection using the port as its local port)`);
    expect(result.message).toContain(`, its other end 127.0.0.1:${ephemeral} (CLOSE_WAIT) held on this machine by PID ${client.first.pid} (peer\\nx): `);
    expect(result.message).toMatch(/wait for the kernel to end it \(for \d+ s more\)/);
    expect(result.message.split('\n')).toHaveLength(1);
    expect(result.blockers?.find((b) => b.peer !== undefined)?.peer?.holders.map((h) => h.pid)).toEqual([client.first.pid]);
    expect(result.holders).toEqual([]);
    expect(isAlive(client.first.pid)).toBe(true);
  });

  it('a TIME_WAIT of a server made without SO_REUSEADDR, which blocks bind() even with it, is named when nothing else blocks the port (as root: foretold, refused up front)', async () => {
    const server = await py(`import json, os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${freePort()})); s.listen(4)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
c, _ = s.accept()
c.sendall(b'a')
while True: time.sleep(3600)`);
    const port = server.first.port;
    // The client closes its end as soon as the server's closes: the server's end then waits in TIME_WAIT.
    const client = await py(`import json, os, socket, time
c = socket.create_connection(('127.0.0.1', ${port}))
c.recv(1)
print(json.dumps({'pid': os.getpid(), 'port': c.getsockname()[1]}), flush=True)
while c.recv(1): pass
c.close()
while True: time.sleep(3600)`);
    const result = await claimOurs(port);
    if (root) {
      // As root the listener's SO_REUSEADDR is read: the TIME_WAIT its connection would leave is foretold, and the
      // claim refused before any signal (timewait.test.ts); the server keeps serving.
      expect(result.action, result.message).toBe('refused');
      expect(result.message).toContain(
        `127.0.0.1:${port} was bound without SO_REUSEADDR: 1 connection it holds (each a TIME_WAIT once it is stopped, or a FIN_WAIT2`,
      );
      expect(isAlive(server.first.pid)).toBe(true);
      return;
    }
    expect(result.action, result.message).toBe('failed');
    expect(result.message).toContain(`127.0.0.1:${port} -> 127.0.0.1:${client.first.port} (TIME_WAIT, a connection using the port as its local port)`);
    // What to do, though nobody holds it: wait for the kernel, then claim again (it ended at "the kernel is still closing it").
    expect(result.message).toMatch(
      new RegExp(
        `, held by no process \\(the kernel is still closing it\\); wait for the kernel to end it \\(for (5\\d|60) s more\\) and claim port ${port} again, or claim it with a --timeout that long; a TIME_WAIT keeps even a server that sets SO_REUSEADDR from binding only when its own socket was made without SO_REUSEADDR, .*$`,
      ),
    );
    expect(isAlive(client.first.pid)).toBe(true);
  });

  it.skipIf(!root)(
    'a socket bound but not listening whose process moved to another network namespace is never blamed on another process that holds a bound socket on another port',
    async () => {
      // bind(), then unshare(CLONE_NEWNET): the socket stays in this namespace (and blocks the port) while its process is elsewhere.
      const moved = await py(`import ctypes, json, os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()}))
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x40000000) != 0: raise OSError(ctypes.get_errno(), 'unshare(CLONE_NEWNET)')
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`);
      // A decoy started after it (newest first), holding a bound socket on another port.
      const decoy = await spawnListener({ bindOnly: true });
      expect(readlinkSync(`/proc/${moved.first.pid}/ns/net`)).not.toBe(readlinkSync('/proc/self/ns/net'));
      const result = await claimOurs(moved.first.port);
      expect(result.action, result.message).toBe('refused');
      expect(result.message).not.toContain(`PID ${decoy.pid}`);
      expect(result.blockers?.flatMap((b) => b.holders.map((h) => h.pid))).not.toContain(decoy.pid);
      // Root can prove whose it is (its fd, duplicated with pidfd_getfd, names the port and this namespace).
      expect(result.message).toContain(`held by PID ${moved.first.pid} (python3)`);
      expect(isAlive(moved.first.pid)).toBe(true);
      expect(isAlive(decoy.pid)).toBe(true);
    },
  );

  it("a socket bound but not listening that no examined socket proves to be anyone's is said to be held by a process claim-port cannot identify", () => {
    const verdict = { ok: false, blockers: [{ socket: 'a socket bound to the port but not listening', holders: [], unidentified: true }] };
    expect(describeBlockers(verdict, 0)).toBe('a socket bound to the port but not listening, held by a process claim-port cannot identify');
    expect(describeBlockers(verdict, 1000)).toBe(
      'a socket bound to the port but not listening, held by a process claim-port cannot identify (run claim-port as root to find it)',
    );
  });

  it('a socket bound but not listening: the CLI-facing result says exit 1, never free', async () => {
    const bound = await spawnListener({ bindOnly: true });
    const result = await claimOurs(bound.port, { dryRun: true });
    expect(result.action).toBe('refused');
    expect(result.blockers?.[0]?.holders.map((h) => h.pid)).toContain(bound.pid);
  });
});

/** A shell loop that restarts a node listener on `port` whenever it dies. */
async function shellLoop(port: number, pause?: number) {
  const json = JSON.stringify({ host: '127.0.0.1', port, role: 'listener' });
  const sleep = pause === undefined ? '' : ` sleep ${pause};`;
  const loop = await start(['/bin/sh', '-c', `while :; do "${process.execPath}" "${listenerChild}" '${json}';${sleep} done`]);
  // The listener's own "ready" line names its PID; the shell is the spawned child.
  return { shell: loop.child.pid!, holder: loop.first.pids ? (loop.first.pids as number[])[0]! : loop.first.pid, entry: loop };
}

describe('5. a respawn is caught, and its cause named', () => {
  it.each([false, true])('a shell loop re-taking the port within 1 s fails the claim and names the shell (force: %s)', async (force) => {
    const port = freePort();
    const loop = await shellLoop(port);
    const lines: string[] = [];
    const result = await claimOurs(port, { force, timeoutSeconds: 2, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('failed');
    expect(result.retakenBy?.length).toBe(1);
    expect(result.retakenBy![0]!.supervisor?.pid).toBe(loop.shell);
    expect(result.message).toMatch(new RegExp(`was taken again by PID \\d+ .*started by its supervisor PID ${loop.shell} \\(sh\\): /bin/sh -c 'while :; do`));
    expect(isAlive(loop.shell)).toBe(true);
  });

  it("a holder gone before this claim's SIGTERM (another claim, run at the same time, signalled it) still opens the window: the shell loop's respawn fails the claim", async () => {
    const port = freePort();
    const loop = await shellLoop(port);
    const base = procControl();
    let struck = false;
    // "Another claim" ends the holder first: this claim's SIGTERM then finds it gone (not signalled).
    const processes: ProcessControl = {
      ...base,
      signal: (who, sig) => {
        if (sig === 'SIGTERM' && !struck && who.pid === loop.holder) {
          struck = true;
          signal(loop.holder, 'SIGTERM');
          // Until the shell has reaped it too: a zombie still has its start time, and this claim's SIGTERM to it is sent.
          const born = readStartTime(loop.holder);
          for (const until = Date.now() + 5000; born !== undefined && readStartTime(loop.holder) === born && Date.now() < until; );
        }
        return base.signal(who, sig);
      },
    };
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 2, processes, log: (line) => lines.push(line) });
    expect(struck).toBe(true);
    expect(lines.join('\n')).toContain(`PID ${loop.holder} is gone (exited or its PID was reused); not signalled`);
    expect(lines.join('\n')).toMatch(new RegExp(`watching port ${port} for \\d+ ms: the parent of a holder is still running \\(PID ${loop.shell} \\(sh\\)\\)`));
    expect(result.action, lines.join('\n')).toBe('failed');
    expect(result.retakenBy![0]!.supervisor?.pid).toBe(loop.shell);
    expect(result.holders).toEqual([expect.objectContaining({ pid: loop.holder, signals: [], outcome: 'gone' })]);
  });

  it("a shell loop with a sleep: the sleep, a child the loop started after the signal, keeps the window open up to SETTLE_MAX_MS, so a restart within it is caught and a later one is not (the README's Beware)", async () => {
    // 1.5 s after the holder's death: past SETTLE_MS, within SETTLE_MAX_MS.
    const caught = await shellLoop(freePort(), 1.5);
    const lines: string[] = [];
    const result = await claimOurs(caught.entry.first.port, { timeoutSeconds: 2, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('failed');
    expect(result.retakenBy![0]!.supervisor?.pid).toBe(caught.shell);
    // 5 s: the window closes at SETTLE_MAX_MS, while the sleep still runs, and the port is called free.
    const missed = await shellLoop(freePort(), 5);
    const late = await claimOurs(missed.entry.first.port, { timeoutSeconds: 2 });
    expect(late.action).toBe('freed');
    expect(late.elapsedMs).toBeGreaterThanOrEqual(SETTLE_MAX_MS);
    expect(isAlive(missed.shell)).toBe(true);
  });

  /**
   * A bash loop whose next server is forked `gap` s after its `sleep` exits (a `read -t` on a fifo nobody writes: bash
   * waits with no child at all), the sleep tuned to end just past the window: the gap that a look past the window
   * could land in (the loop's shell between reaping one child and forking the next), made wide enough to be hit
   * every time. `then`: what the loop runs after the gap (default: the server again).
   */
  async function gapLoop(settleMs: number, gap: number, then?: string) {
    const port = freePort();
    const dir = mkdtempSync(join(tmpdir(), 'claim-port-gap-'));
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const json = JSON.stringify({ host: '127.0.0.1', port, role: 'listener' });
    const server = `"${process.execPath}" "${listenerChild}" '${json}'`;
    const pause = `sleep ${(settleMs + 100) / 1000}; read -t ${gap} -u 9`;
    const script = then === undefined ? `exec 9<>"${fifo}"; while :; do ${server}; ${pause}; done` : `exec 9<>"${fifo}"; ${server}; ${pause}; ${then}`;
    const loop = await start(['bash', '-c', script]);
    rmSync(dir, { recursive: true, force: true });
    return { port, shell: loop.child.pid!, holder: loop.first.pid };
  }

  it('a bash loop whose sleep ends just past the window, its next server forked a moment later: the watch waits RESPAWN_GAP_MS for it, and the re-take fails the claim, every time', async () => {
    expect(RESPAWN_GAP_MS).toBeGreaterThan(150);
    for (let run = 0; run < 3; run++) {
      // SETTLE_MS's 1 s: the respawned server then has 1.75 s to bind before the window's bound (3 s), on a loaded machine.
      const loop = await gapLoop(1000, 0.15);
      const lines: string[] = [];
      const result = await claimOurs(loop.port, { timeoutSeconds: 2, settleMs: 1000, log: (line) => lines.push(line) });
      expect(result.action, `run ${run}:\n${lines.join('\n')}`).toBe('failed');
      expect(result.retakenBy![0]!.supervisor?.pid).toBe(loop.shell);
      expect(isAlive(loop.shell)).toBe(true);
      signal(loop.shell, 'SIGKILL');
      await waitForExit(loop.shell, 5000);
    }
  });

  it('a parent whose child started after the signal exits and that starts no other within RESPAWN_GAP_MS: the port is free, and the log says why the watch ended', async () => {
    const loop = await gapLoop(300, 5, 'true');
    // In a cgroup of their own where one can be made, as a unit's are: what other tests orphan meanwhile (in this
    // suite's cgroup) is then not taken for what the holder left, which would keep the window open for another reason.
    const place = cgroupsWritable ? makeUnitCgroup(`claim-port-gap-${process.pid}`) : undefined;
    for (const pid of [loop.shell, loop.holder]) place?.move(pid);
    try {
      const lines: string[] = [];
      const result = await claimOurs(loop.port, { timeoutSeconds: 2, settleMs: 300, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('freed');
      expect(lines.join('\n'), lines.join('\n')).toMatch(
        new RegExp(
          `the watch of port ${loop.port} ended after \\d+ ms: PID \\d+, which PID ${loop.shell} \\(bash\\) started after the signal, exited, and no other child followed within ${RESPAWN_GAP_MS} ms`,
        ),
      );
      expect(isAlive(loop.shell)).toBe(true);
      signal(loop.shell, 'SIGKILL');
      await waitForExit(loop.shell, 5000);
    } finally {
      place?.remove();
    }
  });

  it("a holder whose live parent is a subreaper (tini -s, PR_SET_CHILD_SUBREAPER) and that forks on SIGTERM: the parent adopts the child, which keeps the window open past 1 s, and its re-take fails the claim (the README's Beware)", async () => {
    const port = freePort();
    const tree = await py(`import ctypes, json, os, socket, time, signal
if ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) != 0: raise OSError('PR_SET_CHILD_SUBREAPER')
if os.fork() == 0:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', ${port})); s.listen(4)
    def on_term(*_):
        if os.fork() == 0:
            s.close(); os.setsid()
            print(json.dumps({'pid': os.getpid()}), flush=True)
            time.sleep(1.8)
            t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(('127.0.0.1', ${port})); t.listen(4)
            while True: time.sleep(3600)
        os._exit(0)
    signal.signal(signal.SIGTERM, on_term)
    print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
    while True: time.sleep(3600)
while True:
    try: os.wait()
    except ChildProcessError: time.sleep(0.2)`);
    const subreaper = tree.child.pid!;
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 1, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('failed');
    expect(result.holders).toEqual([expect.objectContaining({ pid: tree.first.pid, signals: ['SIGTERM'] })]);
    expect(result.retakenBy).toEqual([expect.objectContaining({ supervisor: expect.objectContaining({ pid: subreaper }) })]);
    expect(tree.pids).toContain(result.retakenBy![0]!.pid);
  });

  it('a holder whose parent stays but never restarts it pays the settle window once, and is freed', async () => {
    const json = JSON.stringify({ host: '127.0.0.1', port: leasePort(), role: 'listener' });
    const wrapped = await start(['/bin/sh', '-c', `"${process.execPath}" "${listenerChild}" '${json}'; sleep 30`]);
    const result = await claimOurs(wrapped.first.port, { settleMs: 600 });
    expect(result.action).toBe('freed');
    expect(result.elapsedMs).toBeGreaterThanOrEqual(600);
    expect(isAlive(wrapped.child.pid!)).toBe(true);
  });

  it('a holder whose parent exits with it ends the settle window early', async () => {
    const json = JSON.stringify({ host: '127.0.0.1', port: leasePort(), role: 'listener' });
    // The shell exits 1 s after its holder, not at once: the window opens only if the shell is still there (a zombie
    // not yet reaped counts) when the claim starts it, and a loaded machine can take that long to get there, this
    // suite having reaped a shell that exited with its holder (the test then saw no watch at all).
    const wrapped = await start(['/bin/sh', '-c', `"${process.execPath}" "${listenerChild}" '${json}'; sleep 1`]);
    // The shell and its holder in a cgroup of their own where one can be made, as a unit's are: what other test files
    // orphan meanwhile (in this suite's cgroup) is then not taken for what the holder left, which keeps the window open.
    const place = cgroupsWritable ? makeUnitCgroup(`claim-port-wrapped-${process.pid}`) : undefined;
    for (const pid of [wrapped.child.pid!, wrapped.first.pid]) place?.move(pid);
    try {
      const lines: string[] = [];
      const result = await claimOurs(wrapped.first.port, { settleMs: 10_000, log: (line) => lines.push(line) });
      expect(result.action).toBe('freed');
      // Well short of the 10 s window: it ended when the shell did, about 1 s in.
      expect(result.elapsedMs).toBeLessThan(6000);
      expect(lines).toContainEqual(expect.stringMatching(/^watching port \d+ for 10000 ms: the parent of a holder is still running/));
      // The log says why the watch ended early, before the port is called free.
      expect(lines.at(-2)).toMatch(
        new RegExp(`^the watch of port \\d+ ended after \\d+ ms: PID ${wrapped.child.pid} \\(sh\\) exited, so nothing is left to start a holder again$`),
      );
    } finally {
      place?.remove();
    }
  });

  it('an orphaned holder (parent PID 1) pays no settle window', async () => {
    const json = JSON.stringify({ host: '127.0.0.1', port: leasePort(), role: 'listener' });
    // The shell starts the listener in the background and exits: the listener is reparented.
    const launch = () => start(['/bin/sh', '-c', `"${process.execPath}" "${listenerChild}" '${json}' & exit 0`]);
    // Under heavy load the backgrounded listener has been seen to vanish before its first line: one retry.
    const orphan = await launch().catch(launch);
    const pid = orphan.first.pids ? (orphan.first.pids as number[])[0]! : orphan.first.pid;
    await waitUntil(() => !isAlive(orphan.child.pid!), 5000);
    const parent = Number(spawnSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim());
    const result = await claimOurs(orphan.first.port, { settleMs: 5000 });
    expect(result.action).toBe('freed');
    if (parent === 1) expect(result.elapsedMs).toBeLessThan(2000);
  });

  /**
   * A python3 holder on a leased port. `orphanHolder` makes it a grandchild of
   * this suite, reparented to PID 1 (the shell that started it in the
   * background exits), so that no parent of it is alive: the settle window for
   * a supervisor does not apply; `supervisedHolder` starts it with a parent
   * that stays. `mode`: 'alone' (leads its own session and group, exits on
   * SIGTERM), 'fork-on-term' (the same, but on SIGTERM closes its socket, forks
   * a child and exits; the child binds the port again 300 ms later), 'child'
   * (in the shell's group, with a child forked up front that leaves the group,
   * setsid, and binds the port 300 ms after its parent is gone),
   * 'daemon-alone' and 'daemon-fork-on-term' (a daemon's double fork: it and
   * the session leader it forked exit, so the holder leads no group or
   * session, and its group's leader is gone; then as 'alone' and
   * 'fork-on-term'), 'fork-setsid-on-term' (as 'fork-on-term', but the child
   * calls setsid, forks and exits: the grandchild binds the port 300 ms later),
   * 'supervised-fork-on-term' (forked by a python3 parent that stays, never
   * restarts it nor starts anything else; it stays in that parent's group and
   * forks on SIGTERM as 'fork-on-term'), 'daemon-fork-moved-on-term' (as
   * 'daemon-alone', but on SIGTERM forks a child that moves itself into the
   * cgroup whose cgroup.procs is the next argument and binds the port at once;
   * the holder exits once it has). Every process prints {"pid"}
   * (recorded with the guard); the holder {"pid", "port"}, once its parent is
   * the one it keeps.
   */
  const holderProgram = `
import json, os, signal, socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
def say(message):
    os.write(1, (json.dumps(message) + '\\n').encode())  # one write: a line two processes print at once is never mixed
if mode == 'supervised-fork-on-term' and os.fork() > 0:
    say({'pid': os.getpid()})
    while True:
        time.sleep(3600)
if mode.startswith('daemon-'):
    say({'pid': os.getpid()})
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    leader = os.getpid()
    say({'pid': leader})
    if os.fork() > 0:
        os._exit(0)
    while os.getppid() == leader:
        time.sleep(0.005)
elif mode in ('alone', 'fork-on-term', 'fork-setsid-on-term'):
    os.setsid()  # leads its session and process group, as a service's main process does
def listen():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', port))
    s.listen(16)
    return s
def rebind_later():
    time.sleep(0.3)
    again = listen()
    while True:
        time.sleep(3600)
s = listen()
pids = [os.getpid()]
if mode == 'child':
    parent = os.getpid()
    # The child says when it has closed its copy of the socket: until then it is a holder too (on a loaded host the
    # claim could start first, and signal it as one).
    closed, told = os.pipe()
    child = os.fork()
    if child == 0:
        os.setsid()
        s.close()
        os.write(told, b'x')
        while os.getppid() == parent:
            time.sleep(0.005)
        rebind_later()
    os.read(closed, 1)
    pids.append(child)
def on_term(signum, frame):
    s.close()
    if mode == 'daemon-fork-moved-on-term':
        ready, told = os.pipe()
        if os.fork() == 0:
            with open(sys.argv[3], 'w') as procs:
                procs.write(str(os.getpid()))
            say({'pid': os.getpid()})
            again = listen()
            os.write(told, b'.')
            while True:
                time.sleep(3600)
        os.read(ready, 1)
        os._exit(0)
    if os.fork() == 0:
        if mode == 'fork-setsid-on-term':
            os.setsid()
            say({'pid': os.getpid()})
            if os.fork() > 0:
                os._exit(0)
        say({'pid': os.getpid()})
        rebind_later()
    os._exit(0)
if mode in ('fork-on-term', 'daemon-fork-on-term', 'fork-setsid-on-term', 'supervised-fork-on-term', 'daemon-fork-moved-on-term'):
    signal.signal(signal.SIGTERM, on_term)
say({'pid': os.getpid(), 'pids': pids, 'port': port})
while True:
    time.sleep(3600)
`;
  type HolderMode =
    | 'alone'
    | 'fork-on-term'
    | 'child'
    | 'daemon-alone'
    | 'daemon-fork-on-term'
    | 'fork-setsid-on-term'
    | 'supervised-fork-on-term'
    | 'daemon-fork-moved-on-term';
  /** Fields 4, 5 and 6 of /proc/PID/stat: parent, process group, session. */
  const parentage = (pid: number) => {
    const [parent, pgrp, session] = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ').slice(1, 4).map(Number);
    return { parent: parent!, pgrp: pgrp!, session: session! };
  };
  const orphanHolder = async (mode: HolderMode, ...more: string[]) => {
    const launch = () => start(['/bin/sh', '-c', '"$0" -c "$@" & exit 0', python, holderProgram, String(leasePort()), mode, ...more]);
    const launched = await launch().catch(launch);
    await waitUntil(() => !isAlive(launched.child.pid!), 5000);
    const holder = launched.first.pid;
    return { ...launched, holder, ...parentage(holder) };
  };
  const supervisedHolder = async (mode: 'supervised-fork-on-term') => {
    const launched = await start([python, '-c', holderProgram, String(leasePort()), mode]);
    const holder = launched.first.pid;
    return { ...launched, holder, ...parentage(holder) };
  };

  it('a holder with no live parent that forks on SIGTERM, its child binding the port again, fails the claim naming that child, never signalled', async () => {
    const orphan = await orphanHolder('fork-on-term');
    const lines: string[] = [];
    const result = await claimOurs(orphan.first.port, { settleMs: 3000, log: (line) => lines.push(line) });
    expect(orphan.parent, 'the holder must be reparented to PID 1 for this test').toBe(1);
    expect(result.action, lines.join('\n')).toBe('failed');
    expect(result.retakenBy).toHaveLength(1);
    const child = result.retakenBy![0]!;
    expect(child.pid).not.toBe(orphan.holder);
    expect(wasSpawned(child.pid, -1)).toBe(true);
    expect(child.leftBehindBy).toBe(orphan.holder);
    expect(result.message).toMatch(
      new RegExp(
        `was taken again by PID ${child.pid} \\(python3\\): .*, left behind by holder PID ${orphan.holder} \\(in the process group it led; not signalled: it was no holder\\): stop PID ${child.pid} first$`,
      ),
    );
    expect(result.message.split('\n')).toHaveLength(1);
    expect(
      lines.some((line) =>
        line.startsWith(
          `watching port ${orphan.first.port} for 3000 ms: holder PID ${orphan.holder} left PID ${child.pid} (python3) (in the process group it led) running`,
        ),
      ),
    ).toBe(true);
    // The child was never signalled: only the holder was, once.
    expect(result.holders.map((h) => [h.pid, h.signals])).toEqual([[orphan.holder, ['SIGTERM']]]);
    expect(isAlive(child.pid)).toBe(true);
  });

  it('a holder with no live parent whose child, forked before the claim, left its group and binds the port again fails the claim naming that child', async () => {
    const orphan = await orphanHolder('child');
    const child = (orphan.first.pids as number[])[1]!;
    const result = await claimOurs(orphan.first.port, { settleMs: 3000 });
    expect(orphan.parent).toBe(1);
    expect(result.action, result.message).toBe('failed');
    expect(result.retakenBy?.map((r) => [r.pid, r.leftBehindBy])).toEqual([[child, orphan.holder]]);
    expect(result.message).toContain(`left behind by holder PID ${orphan.holder} (its child; not signalled: it was no holder)`);
    expect(result.holders.map((h) => h.pid)).toEqual([orphan.holder]);
    expect(isAlive(child)).toBe(true);
  });

  it.each([
    ['a holder with no live parent that led its group', 'alone'],
    ['a double-forked holder (it leads no group)', 'daemon-alone'],
  ] as const)('%s and exits alone pays no settle window', async (_, mode) => {
    const orphan = await orphanHolder(mode);
    if (mode === 'daemon-alone') expect(orphan.pgrp).not.toBe(orphan.holder);
    const lines: string[] = [];
    const result = await claimOurs(orphan.first.port, { settleMs: 5000, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('freed');
    expect(lines.some((line) => line.startsWith('watching'))).toBe(false);
    if (orphan.parent === 1) expect(result.elapsedMs).toBeLessThan(2000);
  });

  it('a double-forked holder (it leads no group; its group leader is gone) that forks on SIGTERM, its child binding the port 300 ms later, fails the claim naming that child, never signalled', async () => {
    const orphan = await orphanHolder('daemon-fork-on-term');
    expect(orphan.parent, 'the holder must be reparented to PID 1 for this test').toBe(1);
    expect(orphan.pgrp).not.toBe(orphan.holder);
    expect(orphan.session).not.toBe(orphan.holder);
    const lines: string[] = [];
    const result = await claimOurs(orphan.first.port, { log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('failed');
    expect(result.retakenBy).toHaveLength(1);
    const child = result.retakenBy![0]!;
    expect(child.pid).not.toBe(orphan.holder);
    expect(wasSpawned(child.pid, -1)).toBe(true);
    expect(child.leftBehindBy).toBe(orphan.holder);
    expect(child.supervisor).toBeUndefined();
    expect(result.message).toMatch(
      new RegExp(
        `was taken again by PID ${child.pid} \\(python3\\): .*, left behind by holder PID ${orphan.holder} \\(born after it was signalled, now a child of PID 1; not signalled: it was no holder\\): stop PID ${child.pid} first$`,
      ),
    );
    expect(
      lines.some((line) =>
        line.startsWith(
          `watching port ${orphan.first.port} for 1000 ms: holder PID ${orphan.holder} left PID ${child.pid} (python3) (born after it was signalled, now a child of PID 1) running`,
        ),
      ),
      lines.join('\n'),
    ).toBe(true);
    expect(result.holders.map((h) => [h.pid, h.signals])).toEqual([[orphan.holder, ['SIGTERM']]]);
    expect(isAlive(child.pid)).toBe(true);
  });

  it('a holder whose child, forked on SIGTERM, calls setsid, forks and exits (a double fork), its grandchild binding the port 300 ms later, fails the claim naming the grandchild, as born after the signal: its own session and the shared cgroup tie it to no holder', async () => {
    const orphan = await orphanHolder('fork-setsid-on-term');
    expect(orphan.parent, 'the holder must be reparented to PID 1 for this test').toBe(1);
    const lines: string[] = [];
    const result = await claimOurs(orphan.first.port, { log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('failed');
    expect(result.retakenBy?.map((r) => r.leftBehindBy)).toEqual([undefined]);
    const grandchild = result.retakenBy![0]!.pid;
    // The last two processes that printed their PID: the child (gone after its fork) and the grandchild, in the child's session.
    const [child, last] = orphan.pids.slice(-2);
    expect(last).toBe(grandchild);
    expect(isAlive(child!)).toBe(false);
    expect(parentage(grandchild)).toMatchObject({ parent: 1, session: child });
    expect(result.message).toContain(`was taken again by PID ${grandchild} (python3): `);
    expect(result.message).toContain(`, born after claim-port's first signal, now a child of PID 1 (not signalled: it was no holder)`);
    expect(result.holders.map((h) => [h.pid, h.signals])).toEqual([[orphan.holder, ['SIGTERM']]]);
    expect(isAlive(grandchild)).toBe(true);
  });

  it('a holder whose parent stays (a supervisor that never restarts it) and that forks on SIGTERM: its child, binding the port after the window for the parent, keeps the window open and fails the claim', async () => {
    const held = await supervisedHolder('supervised-fork-on-term');
    expect(held.parent).toBe(held.child.pid);
    expect(held.pgrp).not.toBe(held.holder);
    const lines: string[] = [];
    // 200 ms for the live parent; the child binds 300 ms after the SIGTERM. Watched while it runs, up to 3 x 200 ms.
    const result = await claimOurs(held.first.port, { settleMs: 200, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('failed');
    expect(result.retakenBy).toHaveLength(1);
    const child = result.retakenBy![0]!;
    expect(parentage(child.pid).parent, 'the child must be adopted by PID 1 for this test').toBe(1);
    expect(child.leftBehindBy).toBe(held.holder);
    expect(result.message).toContain(
      `left behind by holder PID ${held.holder} (born after it was signalled, now a child of PID 1; not signalled: it was no holder)`,
    );
    expect(result.holders.map((h) => [h.pid, h.signals])).toEqual([[held.holder, ['SIGTERM']]]);
    expect(isAlive(held.child.pid!)).toBe(true);
    expect(isAlive(child.pid)).toBe(true);
  });

  it('a process started in a session of its own while a holder ignores SIGTERM, taking the port with SO_REUSEPORT, fails the claim as born after the signal, never named as left behind by the holder nor signalled', async () => {
    // The holder: SO_REUSEPORT, SIGTERM ignored, so that the claim waits for its timeout and SIGKILLs it.
    const held = await py(`import json, os, signal, socket, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1); s.bind(('127.0.0.1', ${leasePort()})); s.listen(8)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`);
    const { port } = held.first;
    // The bystander, started the moment the SIGTERM is sent: setsid (a session of its own), backgrounded by a shell
    // that exits (PID 1 adopts it), binding the same port with SO_REUSEPORT. Born after the signal, a new child of
    // PID 1, in the cgroup everything here shares: nothing ties it to the holder.
    const made: { pid?: number } = {};
    const lines: string[] = [];
    const log = (line: string) => {
      lines.push(line);
      if (made.pid !== undefined || !line.startsWith('sent SIGTERM to ')) return;
      const program = `import socket, time\ns = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1); s.bind(('127.0.0.1', ${port})); s.listen(8)\ntime.sleep(60)`;
      const shell = spawnSync('/bin/sh', ['-c', 'setsid "$0" -c "$1" </dev/null >/dev/null 2>&1 & echo $!', python, program], { encoding: 'utf8' });
      made.pid = Number(shell.stdout.trim());
      recordSpawned(made.pid);
    };
    try {
      const result = await claimOurs(port, { timeoutSeconds: 1, settleMs: 300, log });
      const pid = made.pid!;
      expect(pid, lines.join('\n')).toBeGreaterThan(1);
      expect(parentage(pid), 'the bystander must be adopted by PID 1, in a session of its own, for this test').toMatchObject({ parent: 1, session: pid });
      expect(result.action, lines.join('\n')).toBe('failed');
      expect(result.retakenBy).toEqual([{ pid, user: expect.any(String), command: expect.stringContaining('SO_REUSEPORT') }]);
      expect(result.message).toContain(`was taken again by PID ${pid} (python3): `);
      expect(result.message).toContain(`, born after claim-port's first signal, now a child of PID 1 (not signalled: it was no holder): stop PID ${pid} first`);
      expect(result.message).not.toContain('left behind');
      expect(lines.join('\n')).not.toContain(`holder PID ${held.first.pid} left`);
      expect(result.holders.map((h) => h.pid)).toEqual([held.first.pid]);
      expect(isAlive(pid)).toBe(true);
    } finally {
      if (made.pid !== undefined && isAlive(made.pid)) {
        signal(made.pid, 'SIGKILL');
        await waitForExit(made.pid, 5000);
      }
      if (made.pid !== undefined) forgetSpawned(made.pid);
    }
  });

  /**
   * What PID 1 starts while a holder is signalled, as systemd starts other units at boot: a `sleep 60` this suite
   * spawns the moment the SIGTERM is sent (from the claim's log; a shell backgrounds it and exits, so PID 1 adopts
   * it), moved at once into a cgroup named for a unit, as systemd runs a unit's main process in the unit's own. Born
   * after the first signal, a new child of the holder's reaper: before cgroups were compared, it was taken for what
   * the holder forked, and the claim waited up to SETTLE_MAX_MS for it. Removed by the returned cleanup.
   */
  const bystanderOnSigterm = (lines: string[]) => {
    const cgroup = makeUnitCgroup(`claim-port-bystander-${process.pid}.service`)!;
    const made: { pid?: number; cgroup?: string } = {};
    const log = (line: string) => {
      lines.push(line);
      if (made.pid !== undefined || !line.startsWith('sent SIGTERM to ')) return;
      const shell = spawnSync('/bin/sh', ['-c', 'sleep 60 </dev/null >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
      const pid = Number(shell.stdout.trim());
      recordSpawned(pid);
      made.pid = pid;
      cgroup.move(pid);
      made.cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    };
    const cleanup = async () => {
      if (made.pid !== undefined && isAlive(made.pid)) {
        signal(made.pid, 'SIGKILL');
        await waitForExit(made.pid, 5000);
      }
      if (made.pid !== undefined) forgetSpawned(made.pid);
      cgroup.remove();
    };
    return { log, made, cleanup };
  };

  it.skipIf(!cgroupsWritable)(
    'a process PID 1 starts in a cgroup of its own (a unit systemd starts) while an orphaned holder is signalled is not waited for: no settle window',
    async () => {
      const orphan = await orphanHolder('daemon-alone');
      expect(orphan.parent, 'the holder must be reparented to PID 1 for this test').toBe(1);
      // The holder in a cgroup of its own, as a unit's is: what other test files start and orphan meanwhile (in this
      // suite's cgroup) is then not taken for what it forked, and only the bystander is new beside it.
      const place = makeUnitCgroup(`claim-port-alone-${process.pid}`)!;
      const lines: string[] = [];
      const bystander = bystanderOnSigterm(lines);
      try {
        place.move(orphan.holder);
        const result = await claimOurs(orphan.first.port, { log: bystander.log });
        const pid = bystander.made.pid!;
        expect(pid, lines.join('\n')).toBeGreaterThan(1);
        expect(parentage(pid).parent, 'the bystander must be adopted by PID 1 for this test').toBe(1);
        expect(bystander.made.cgroup).toContain(`claim-port-bystander-${process.pid}.service`);
        expect(result.action, lines.join('\n')).toBe('freed');
        expect(lines.filter((line) => line.startsWith('watching') || line.includes(`PID ${pid} `))).toEqual([]);
        expect(result.elapsedMs).toBeLessThan(2000);
        expect(result.holders.map((h) => [h.pid, h.signals])).toEqual([[orphan.holder, ['SIGTERM']]]);
        expect(isAlive(pid)).toBe(true);
      } finally {
        await bystander.cleanup();
        place.remove();
      }
    },
  );

  it.skipIf(!cgroupsWritable)(
    'what a holder forks on SIGTERM stays in its cgroup and is still waited for and named; what PID 1 starts meanwhile in another cgroup is not',
    async () => {
      const orphan = await orphanHolder('daemon-fork-on-term');
      expect(orphan.parent, 'the holder must be reparented to PID 1 for this test').toBe(1);
      // The holder in a cgroup of its own (no unit: nothing to read a Restart= of), which what it forks inherits.
      const place = makeUnitCgroup(`claim-port-holder-${process.pid}`)!;
      const lines: string[] = [];
      const bystander = bystanderOnSigterm(lines);
      try {
        place.move(orphan.holder);
        const result = await claimOurs(orphan.first.port, { log: bystander.log });
        const pid = bystander.made.pid!;
        expect(pid, lines.join('\n')).toBeGreaterThan(1);
        expect(parentage(pid).parent, 'the bystander must be adopted by PID 1 for this test').toBe(1);
        expect(result.action, lines.join('\n')).toBe('failed');
        expect(result.retakenBy?.map((r) => r.leftBehindBy)).toEqual([orphan.holder]);
        const child = result.retakenBy![0]!.pid;
        expect(readFileSync(`/proc/${child}/cgroup`, 'utf8')).toContain(`claim-port-holder-${process.pid}`);
        expect(
          lines.some((line) =>
            line.startsWith(
              `watching port ${orphan.first.port} for 1000 ms: holder PID ${orphan.holder} left PID ${child} (python3) (born after it was signalled, now a child of PID 1) running`,
            ),
          ),
          lines.join('\n'),
        ).toBe(true);
        expect(
          lines.filter((line) => line.includes(`PID ${pid} `)),
          lines.join('\n'),
        ).toEqual([]);
        expect(result.message).not.toContain(`PID ${pid} `);
        expect(result.holders.map((h) => [h.pid, h.signals])).toEqual([[orphan.holder, ['SIGTERM']]]);
        expect(isAlive(child)).toBe(true);
        expect(isAlive(pid)).toBe(true);
      } finally {
        await bystander.cleanup();
        await cleanupStarted();
        place.remove();
      }
    },
  );

  it.skipIf(!cgroupsWritable)(
    'a holder that moves what it forks on SIGTERM into another cgroup is not waited for, but a re-take before the final check fails the claim, and that child is never signalled',
    async () => {
      const away = makeUnitCgroup(`claim-port-moved-${process.pid}.service`)!;
      try {
        const orphan = await orphanHolder('daemon-fork-moved-on-term', away.procs);
        expect(orphan.parent, 'the holder must be reparented to PID 1 for this test').toBe(1);
        const lines: string[] = [];
        const result = await claimOurs(orphan.first.port, { log: (line) => lines.push(line) });
        expect(result.action, lines.join('\n')).toBe('failed');
        expect(result.retakenBy).toHaveLength(1);
        const child = result.retakenBy![0]!.pid;
        expect(child).not.toBe(orphan.holder);
        expect(readFileSync(`/proc/${child}/cgroup`, 'utf8')).toContain(`claim-port-moved-${process.pid}.service`);
        // Not waited for (another cgroup than the holder's): the final check found the port taken.
        expect(
          lines.filter((line) => line.startsWith('watching')),
          lines.join('\n'),
        ).toEqual([]);
        expect(result.holders.map((h) => [h.pid, h.signals])).toEqual([[orphan.holder, ['SIGTERM']]]);
        expect(isAlive(child)).toBe(true);
      } finally {
        await cleanupStarted();
        away.remove();
      }
    },
  );

  it('what a holder leaves behind is read through ProcessControl.family only: without one, none is followed (issue 13)', async () => {
    const real = procControl();
    const asked: string[] = [];
    const family: FamilyReader = {
      ...real.family!,
      leadership: (who) => {
        asked.push(`leadership ${who.pid}`);
        return real.family!.leadership(who);
      },
      groupMembers: (pgrp, session, pids) => {
        asked.push(`groupMembers ${pgrp}`);
        return real.family!.groupMembers(pgrp, session, pids);
      },
      children: (pid) => {
        asked.push(`children ${pid}`);
        return real.family!.children(pid);
      },
      adopted: (pid) => {
        asked.push(`adopted ${pid}`);
        return real.family!.adopted(pid);
      },
      bootTicks: () => {
        asked.push('bootTicks');
        return real.family!.bootTicks();
      },
    };
    const followed = await orphanHolder('fork-on-term');
    const result = await claimOurs(followed.first.port, { settleMs: 3000, processes: { ...real, family } });
    expect(result.action, result.message).toBe('failed');
    expect(result.retakenBy?.map((r) => r.leftBehindBy)).toEqual([followed.holder]);
    expect(asked).toContain(`leadership ${followed.holder}`);
    expect(asked).toContain(`groupMembers ${followed.holder}`);

    // A holder that leads nothing: what it forked on SIGTERM is found among PID 1's children, born after the clock read before the SIGTERM.
    asked.length = 0;
    const daemon = await orphanHolder('daemon-fork-on-term');
    const forked = await claimOurs(daemon.first.port, { processes: { ...real, family } });
    expect(forked.action, forked.message).toBe('failed');
    expect(forked.retakenBy?.map((r) => r.leftBehindBy)).toEqual([daemon.holder]);
    expect(asked).toContain('bootTicks');
    expect(asked).toContain('adopted 1');
    // PID 1's adopting thread only: a container's init may have dozens of threads, each list a read.
    expect(asked).not.toContain('children 1');
    expect(asked).not.toContain(`groupMembers ${daemon.pgrp}`);

    // The same holders with a ProcessControl that has no family: the claim reads none from /proc beside it.
    for (const mode of ['fork-on-term', 'daemon-fork-on-term'] as const) {
      const unfollowed = await orphanHolder(mode);
      const lines: string[] = [];
      const freed = await claimOurs(unfollowed.first.port, { settleMs: 3000, processes: { ...real, family: undefined }, log: (line) => lines.push(line) });
      expect(freed.action, lines.join('\n')).toBe('freed');
      expect(lines.some((line) => line.startsWith('watching'))).toBe(false);
    }
  });
});

describe.skipIf(!cgroupsWritable)('5. units: named in every message; Restart= refused up front', () => {
  it.each([
    ['always', 'refused'],
    ['no', 'freed'],
  ])('Restart=%s -> %s, naming the unit', async (restart, action) => {
    const unit = `claim-port-test-${process.pid}-${restart}.service`;
    const cgroup = makeUnitCgroup(unit)!;
    const unitDir = mkdtempSync(join(tmpdir(), 'claim-port-units-'));
    writeFileSync(join(unitDir, unit), `[Service]\nExecStart=/bin/true\nRestart=on-failure\n`);
    mkdirSync(join(unitDir, `${unit}.d`));
    writeFileSync(join(unitDir, `${unit}.d`, 'override.conf'), `[Service]\nRestart=${restart}\n`);
    try {
      const server = await spawnListener();
      cgroup.move(server.pid);
      const lines: string[] = [];
      const result = await claimOurs(server.port, { env: { SYSTEMD_UNIT_PATH: unitDir }, log: (line) => lines.push(line) });
      expect(result.action).toBe(action);
      expect(result.holders[0]).toMatchObject({ pid: server.pid, unit });
      const aboutHolder = lines.filter((line) => line.includes(`PID ${server.pid}`));
      expect(aboutHolder.length).toBeGreaterThan(0);
      for (const line of aboutHolder) expect(line).toContain(unit);
      if (action === 'refused') {
        expect(result.message).toContain(`stop ${unit} first`);
        expect(result.message).toContain(`Restart=${restart}`);
        expect(result.message.split('\n')).toHaveLength(1);
        expect(isAlive(server.pid)).toBe(true);
      } else expect(isAlive(server.pid)).toBe(false);
      await server.kill();
    } finally {
      cgroup.remove();
      rmSync(unitDir, { recursive: true, force: true });
    }
  });
});

describe('process identity through one interface (issue 13)', () => {
  it('a holder replaced by a new process between SIGTERM and SIGKILL: the new process is never signalled', async () => {
    const server = await spawnListener({ ignoreTerm: true });
    const stranger = await spawnListener();
    const real = procControl();
    let swapped = false;
    // After the SIGTERM, the holder's PID "belongs" to another process: identity checks and signals see that one.
    const swap = (who: { pid: number; startTime: number }) => (swapped && who.pid === server.pid ? { ...who, pid: stranger.pid } : who);
    const control: ProcessControl = {
      isSame: (who) => real.isSame(swap(who)),
      isRunning: (who) => real.isRunning(swap(who)),
      signal: (who, sig) => {
        const outcome = real.signal(swap(who), sig);
        if (sig === 'SIGTERM') swapped = true;
        return outcome;
      },
    };
    const result = await claimOurs(server.port, { processes: control, timeoutSeconds: 0.3, killWaitMs: 200 });
    expect(result.holders[0]!.signals).toEqual(['SIGTERM']);
    expect(isAlive(stranger.pid)).toBe(true);
    expect(result.action).toBe('failed');
  });
});

/**
 * A Python holder whose main thread exits (pthread_exit) while another thread
 * keeps the process, and its listening socket, alive: /proc/PID/fd is empty,
 * the fds show only under /proc/PID/task/TID/fd.
 */
function leaderExitsScript({ ignoreSigterm = false } = {}): string {
  return `import ctypes, json, os, signal, socket, threading, time
${ignoreSigterm ? 'signal.signal(signal.SIGTERM, signal.SIG_IGN)\n' : ''}s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
def hold():
    while True: time.sleep(3600)
threading.Thread(target=hold).start()
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
ctypes.CDLL(None).pthread_exit(None)`;
}

// A thread whose leader exited, as another user sees it: the kernel checks a
// task without memory (the exited leader) as if it were another user's, so
// only root reads the leader's /proc entries (these tests and claim-port alike).
describe('6. threads', () => {
  it.skipIf(!root)('a socket held only by a thread whose leader exited is found through /proc/PID/task and signalled', async () => {
    const holder = await py(leaderExitsScript());
    const { pid, port } = holder.first;
    await waitUntil(() => readdirSync(`/proc/${pid}/fd`).length === 0, 5000);
    // The guard cannot see this holder (ss reads /proc/PID/fd): check it is ours by its threads' fds instead.
    const tids = readdirSync(`/proc/${pid}/task`).filter((tid) => tid !== String(pid));
    expect(tids.length).toBeGreaterThan(0);
    expect(readdirSync(`/proc/${pid}/task/${tids[0]}/fd`).some((fd) => readlinkSync(`/proc/${pid}/task/${tids[0]}/fd/${fd}`).startsWith('socket:'))).toBe(true);
    expect(isSpawned(pid)).toBe(true);
    const result = await claimPort(port, { usage: false });
    expect(result.holders.map((h) => [h.pid, h.startTime])).toEqual([[pid, readStartTime(pid) ?? result.holders[0]!.startTime]]);
    expect(result.action).toBe('freed');
    expect(result.holders[0]!.signals).toEqual(['SIGTERM']);
    await waitForExit(pid, 5000);
  });
});

describe('6a. holders that /proc/PID/fd does not show', () => {
  it.skipIf(!root)(
    'a protected process whose leader exited, sharing the socket of one that /proc/PID/fd shows, is found before any signal: the claim is refused, nobody signalled',
    async () => {
      // A root process keeps the protection of any name: the forked co-holder calls itself sshd, then its leader exits.
      const holder = await py(`import ctypes, json, os, socket, threading, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
child = os.fork()
if child == 0:
    libc = ctypes.CDLL(None)
    libc.prctl(15, b'sshd', 0, 0, 0)
    def hold():
        while True: time.sleep(3600)
    threading.Thread(target=hold).start()
    libc.pthread_exit(None)
print(json.dumps({'pid': os.getpid(), 'pids': [child], 'port': s.getsockname()[1], 'child': child}), flush=True)
while True: time.sleep(3600)`);
      const { pid, port } = holder.first;
      const child = holder.first.child as number;
      await waitUntil(() => readdirSync(`/proc/${child}/fd`).length === 0, 5000);
      const lines: string[] = [];
      const result = await claimOurs(port, { timeoutSeconds: 0.3, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('refused');
      expect(result.holders.map((h) => h.pid)).toEqual([pid, child].sort((a, b) => a - b));
      expect(result.holders.find((h) => h.pid === child)).toMatchObject({ outcome: 'protected', signals: [] });
      expect(result.holders.find((h) => h.pid === pid)).toMatchObject({ outcome: 'spared', signals: [] });
      expect(isAlive(pid)).toBe(true);
    },
  );

  it('a listening socket no process holds (in flight in a Unix-socket message, SCM_RIGHTS) is refused, naming that case, and nobody is signalled', async () => {
    // The socket is sent to the process's own socketpair and closed: only the message queue keeps it.
    const holder = await py(`import array, json, os, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
port = s.getsockname()[1]
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
inode = os.fstat(s.fileno()).st_ino
a.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [s.fileno()]))])
s.close()
print(json.dumps({'pid': os.getpid(), 'port': port, 'inode': inode}), flush=True)
while True: time.sleep(3600)`);
    const { pid, port } = holder.first;
    // The guard refuses a socket whose owner it cannot read: this one is proved ours by its inode, the only socket on the port.
    expect(readListenSocketsSync({ ports: [port] }).map((socket) => socket.inode)).toEqual([holder.first.inode]);
    const result = await claimPort(port, { usage: false, timeoutSeconds: 0.3 });
    expect(result.action).toBe('refused');
    expect(result.holders).toEqual([]);
    expect(result.message).toMatch(
      root
        ? // Among the causes it cannot tell apart, a holder too fast for a scan: none was seen holding it, so the fixed list.
          /cannot be identified even as root \(.*; it passes from process to process faster than a scan, a holder that forks and exits in a loop; it is registered with an io_uring whose own fd was registered too \(IORING_REGISTER_RING_FDS\) and then closed, which \/proc does not show, or with one on an older kernel that does not name a ring's files; or no process holds it: it is in flight in a Unix-socket message \(SCM_RIGHTS\) that no process has received\)/
        : /is not visible to this user/,
    );
    expect(isAlive(pid)).toBe(true);
  });

  it.skipIf(!root).each([
    ['inheritor', 'is signalled (SIGKILL), and the log says its holder no longer holds it, not that it is gone'],
    ['dbus-daemon', 'is protected: the claim says the port is still in use by it, not "taken again"'],
  ])('a holder that passes its socket to a live child on SIGTERM and runs on: the child, named %s, %s', async (name) => {
    // A sends its listening socket to its child B over a socketpair (SCM_RIGHTS) on SIGTERM, closes its own and runs on.
    const holder = await py(`import array, ctypes, json, os, signal, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
child = os.fork()
if child == 0:
    ctypes.CDLL(None).prctl(15, b'${name}', 0, 0, 0)
    s.close()
    msg, anc, flags, addr = b.recvmsg(1, socket.CMSG_LEN(4))
    kept = array.array('i', anc[0][2])[0]
    while True: time.sleep(3600)
def on_term(*_):
    a.sendmsg([b'x'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [s.fileno()]))])
    s.close()
signal.signal(signal.SIGTERM, on_term)
print(json.dumps({'pid': os.getpid(), 'pids': [child], 'port': s.getsockname()[1], 'child': child}), flush=True)
while True: time.sleep(3600)`);
    const { pid, port } = holder.first;
    const child = holder.first.child as number;
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 0.3, settleMs: 0, log: (line) => lines.push(line) });
    const log = lines.join('\n');
    expect(isAlive(pid)).toBe(true);
    expect(log).not.toMatch(/which is gone/);
    if (name === 'inheritor') {
      expect(log).toMatch(
        new RegExp(`PID ${child} \\(inheritor\\) holds the socket of PID ${pid}, which no longer holds it \\(passed on, or left to a child\\)`),
      );
      expect(result.holders.find((h) => h.pid === child)).toMatchObject({ signals: ['SIGKILL'], outcome: 'killed' });
      expect(result.action).toBe('freed');
    } else {
      expect(isAlive(child)).toBe(true);
      expect(result.action).toBe('failed');
      expect(result.message).toMatch(
        new RegExp(
          `^port ${port} is still in use by PID ${child} \\(dbus-daemon\\): .*\\(it holds the socket of PID ${pid}, passed on or left to it, and was not signalled\\)`,
        ),
      );
      expect(result.message).not.toMatch(/taken again/);
    }
  });

  it("a socket that only a thread's own fd table holds (unshare(CLONE_FILES), then closed in the leader's) is found and its process signalled, not refused as unidentifiable; SIGKILL too, once it ignores SIGTERM", async () => {
    const holder = await py(`import ctypes, json, os, signal, socket, threading, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
libc = ctypes.CDLL(None, use_errno=True)
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
port = s.getsockname()[1]
ready = threading.Event()
def hold():
    if libc.unshare(0x400) != 0: raise OSError(ctypes.get_errno(), 'unshare(CLONE_FILES)')
    ready.set()
    while True: time.sleep(3600)
threading.Thread(target=hold, daemon=True).start()
ready.wait(); s.close()
print(json.dumps({'pid': os.getpid(), 'port': port}), flush=True)
while True: time.sleep(3600)`);
    const { pid, port } = holder.first;
    // The guard's ss cannot see this holder (it reads /proc/PID/fd): the socket is in none of them.
    expect(socketsOn(port)).toEqual([expect.objectContaining({ holders: [] })]);
    const [socket] = readListenSocketsSync({ ports: [port] });
    const links = (dir: string) => readdirSync(dir).map((fd) => readlinkSync(`${dir}/${fd}`));
    expect(links(`/proc/${pid}/fd`)).not.toContain(`socket:[${socket!.inode}]`);
    // So the guard cannot vouch for the port: check it is ours by the thread's fd table instead (as in 6).
    const tids = readdirSync(`/proc/${pid}/task`).filter((tid) => tid !== String(pid));
    expect(tids.some((tid) => links(`/proc/${pid}/task/${tid}/fd`).includes(`socket:[${socket!.inode}]`))).toBe(true);
    expect(isSpawned(pid)).toBe(true);
    const lines: string[] = [];
    const result = await claimPort(port, { usage: false, timeoutSeconds: 0.3, log: (line) => lines.push(line) });
    for (const h of result.holders) if (h.signals.length > 0) expect(wasSpawned(h.pid, h.startTime)).toBe(true);
    expect(result.action, lines.join('\n')).toBe('freed');
    expect(result.holders).toEqual([expect.objectContaining({ pid, signals: ['SIGTERM', 'SIGKILL'], outcome: 'killed' })]);
    await waitForExit(pid, 5000);
  });
});

describe("6a2. a thread with an fd table of its own sharing a holder's socket (the README's Beware)", () => {
  it.each([
    ['keeper', 'is not looked for before the signals; once the holder is gone it is found, judged, signalled and the port freed'],
    ['sshd', 'is not looked for before the signals; once the holder is gone it is found, protected, never signalled, and named (exit 1)'],
  ])('a forked child whose thread alone keeps the socket (unshare(CLONE_FILES), closed in its leader), named %s, %s', async (name) => {
    const holder = await py(`import ctypes, json, os, socket, threading, time
libc = ctypes.CDLL(None, use_errno=True)
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
r, w = os.pipe()
done_r, done_w = os.pipe()
child = os.fork()
if child == 0:
    libc.prctl(15, b'${name}', 0, 0, 0)
    def hold():
        if libc.unshare(0x400) != 0: raise OSError(ctypes.get_errno(), 'unshare(CLONE_FILES)')
        os.write(w, b'x')
        while True: time.sleep(3600)
    threading.Thread(target=hold, daemon=True).start()
    os.read(r, 1); s.close(); os.write(done_w, b'x')
    while True: time.sleep(3600)
os.read(done_r, 1)
print(json.dumps({'pid': os.getpid(), 'pids': [child], 'port': s.getsockname()[1], 'child': child}), flush=True)
while True: time.sleep(3600)`);
    const { pid, port } = holder.first;
    const child = holder.first.child as number;
    const links = (dir: string) => readdirSync(dir).map((fd) => readlinkSync(`${dir}/${fd}`));
    const [socket] = readListenSocketsSync({ ports: [port] });
    expect(links(`/proc/${child}/fd`)).not.toContain(`socket:[${socket!.inode}]`);
    const dry = await claimOurs(port, { dryRun: true });
    expect(dry.holders.map((h) => h.pid)).toEqual([pid]);
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 0.5, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.holders[0]).toMatchObject({ pid, signals: ['SIGTERM'], outcome: 'exited' });
    if (name === 'keeper') {
      expect(result.action, lines.join('\n')).toBe('freed');
      expect(result.holders[1]).toMatchObject({ pid: child, inheritedFrom: [pid], signals: ['SIGTERM'], outcome: 'exited' });
    } else {
      expect(result.action, lines.join('\n')).toBe('failed');
      // Listed after the holder, never signalled: protected.
      expect(result.holders.map((h) => h.pid)).toEqual([pid, child]);
      expect(result.holders[1]).toMatchObject({ inheritedFrom: [pid], signals: [], outcome: 'protected' });
      expect(result.message).toMatch(new RegExp(`^port ${port} is still in use by PID ${child} \\(sshd\\): `));
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^not signalling a process that inherited the socket: PID ${child} \\(sshd\\) is protected`)),
      );
      expect(isAlive(child)).toBe(true);
    }
  });
});

describe('6b. holders that exit, or outlive their leader', () => {
  it.skipIf(!root)(
    'a thread that ignores SIGTERM after its leader exited is still running: SIGKILLed and reported killed, never "exited after SIGTERM" (root: see 6)',
    async () => {
      const holder = await py(leaderExitsScript({ ignoreSigterm: true }));
      const { pid, port } = holder.first;
      await waitUntil(() => readdirSync(`/proc/${pid}/fd`).length === 0, 5000);
      expect(isSpawned(pid)).toBe(true);
      const lines: string[] = [];
      const result = await claimPort(port, { usage: false, timeoutSeconds: 0.3, log: (line) => lines.push(line) });
      expect(result.action).toBe('freed');
      expect(result.holders[0]).toMatchObject({ pid, signals: ['SIGTERM', 'SIGKILL'], outcome: 'killed' });
      expect(lines.join('\n')).not.toMatch(/exited after SIGTERM/);
      await waitForExit(pid, 5000);
    },
  );

  it('a holder that exits on SIGTERM, leaving its socket to a child it forked, is not signalled again; the child, judged as holders are, is signalled and the port freed', async () => {
    const holder = await py(`import json, os, signal, socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
def handover(signum, frame):
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print(json.dumps({'pid': os.getpid()}), flush=True)
        while True: time.sleep(3600)
    time.sleep(0.1)
    os._exit(0)
signal.signal(signal.SIGTERM, handover)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`);
    const { pid, port } = holder.first;
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 0.3, killWaitMs: 5000, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('freed');
    expect(result.holders[0]).toMatchObject({ pid, signals: ['SIGTERM'], outcome: 'exited' });
    const child = result.holders[1]!;
    expect(holder.pids).toContain(child.pid);
    // The child ignores SIGTERM: SIGKILL after the timeout, as any holder.
    expect(child).toMatchObject({ inheritedFrom: [pid], signals: ['SIGTERM', 'SIGKILL'], outcome: 'killed' });
    expect(lines).toContainEqual(expect.stringContaining(`PID ${child.pid} (python3) holds the socket of PID ${pid}, which is gone`));
    expect(lines.join('\n')).not.toMatch(new RegExp(`SIGKILL to PID ${pid}\\b`));
    expect(isAlive(child.pid)).toBe(false);
  });

  it('a holder that forks again at every SIGTERM (each child its own session): no line names a process as the parent of a child it did not fork', async () => {
    // Y forks X1 on SIGTERM and exits; X1 (setsid) forks X2 on SIGTERM and exits; X2 the same; X3 ignores SIGTERM.
    // Each says whose child it is as it is born: its real parent, which the claim's lines may name, and none other.
    const holder = await py(`import json, os, signal, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
def say(message):
    os.write(1, (json.dumps(message) + '\\n').encode())
def fork_on_term(depth):
    def handler(signum, frame):
        parent = os.getpid()
        if os.fork() == 0:
            os.setsid()
            say({'pid': os.getpid(), 'parent': parent})
            if depth < 3:
                signal.signal(signal.SIGTERM, fork_on_term(depth + 1))
            else:
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            while True: time.sleep(3600)
        time.sleep(0.1)
        os._exit(0)
    return handler
signal.signal(signal.SIGTERM, fork_on_term(1))
say({'pid': os.getpid(), 'port': s.getsockname()[1]})
while True: time.sleep(3600)`);
    const { pid, port } = holder.first;
    const parents = new Map<number, number>();
    holder.child.stdout!.on('data', (data: Buffer) => {
      for (const line of data.toString().split('\n')) {
        try {
          const message = JSON.parse(line) as { pid?: number; parent?: number };
          if (message.pid && message.parent) parents.set(message.pid, message.parent);
        } catch {
          // not a whole line
        }
      }
    });
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 1, killWaitMs: 5000, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('freed');
    const inheritors = result.holders.filter((h) => h.inheritedFrom !== undefined);
    expect(inheritors.length, lines.join('\n')).toBeGreaterThanOrEqual(2);
    for (const h of inheritors) {
      const line = lines.find((l) => l.startsWith(`PID ${h.pid} (python3) holds the socket of PID ${pid}, which`));
      expect(line, lines.join('\n')).toBeDefined();
      // Not a guess that the first holder forked it: the one that did, when it is still its parent, or no PID at all.
      expect(line).not.toMatch(/a child it forked/);
      const named = /it is a child of PID (\d+)/.exec(line!);
      if (named) expect(Number(named[1])).toBe(parents.get(h.pid));
      else expect(line).toMatch(/which is gone; what left it the socket has exited \(its parent now is PID \d+, which held no socket of the port\)/);
    }
  });

  it('a holder that hands its socket on at every SIGTERM: SIGTERM to each inheritor for a few looks, then SIGKILL, and the port is free', async () => {
    // Each holder hands the socket (SCM_RIGHTS) to the next process and exits, as a holder that forks a replacement
    // does. Every process that will hold it is forked and prints its PID before the socket exists, and the claim
    // starts once the suite has them all: the guard knows every process signalled, even one SIGKILLed the moment
    // it got the socket (a child forked in a SIGTERM handler could be SIGKILLed before it said who it is).
    const successors = 16;
    const holder = await py(`import json, os, signal, socket, time
def say(message):
    # One write a line: ${successors + 1} processes share stdout, and print() writes a line's text and its newline apart.
    os.write(1, (json.dumps(message) + '\\n').encode())
pairs = [socket.socketpair() for _ in range(${successors})]
held = None
def hand_over(to):
    def handler(signum, frame):
        if held is not None and to is not None:
            socket.send_fds(to, [b'x'], [held.fileno()])
            os._exit(0)
    return handler
for i in range(${successors}):
    if os.fork() == 0:
        receive, send = pairs[i][1], (pairs[i + 1][0] if i + 1 < ${successors} else None)
        for end in [end for pair in pairs for end in pair if end is not receive and end is not send]:
            end.close()
        # The last one keeps the socket whatever SIGTERM says: only SIGKILL frees it.
        signal.signal(signal.SIGTERM, hand_over(send))
        say({'pid': os.getpid()})
        # Left without the socket when all that could hand it on are gone (end of file), or after 30 s: exit.
        receive.settimeout(30)
        try:
            _, fds, _, _ = socket.recv_fds(receive, 1, 1)
        except OSError:
            os._exit(0)
        if not fds:
            os._exit(0)
        held = socket.socket(fileno=fds[0])
        while True: time.sleep(0.05)
for pair in pairs:
    pair[1].close()
held = socket.socket(); held.bind(('127.0.0.1', ${leasePort()})); held.listen(16)
signal.signal(signal.SIGTERM, hand_over(pairs[0][0]))
say({'pid': os.getpid(), 'port': held.getsockname()[1]})
while True: time.sleep(0.05)`);
    expect(await waitUntil(() => holder.pids.length === successors + 1, 5000)).toBe(true); // python and its successors
    const lines: string[] = [];
    const result = await claimOurs(holder.first.port, { timeoutSeconds: 0.5, killWaitMs: 2000, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('freed');
    // The last: adopted with SIGKILL after the timeout, or SIGTERMed by the last look and SIGKILLed while it handed over.
    const last = result.holders.at(-1)!;
    expect(last, lines.join('\n')).toMatchObject({ outcome: 'killed', inheritedFrom: [holder.first.pid] });
    expect(last.signals.at(-1)).toBe('SIGKILL');
    expect(result.holders.length).toBeGreaterThan(2);
    for (const h of result.holders) expect(holder.pids).toContain(h.pid);
  });

  it('a holder that forks a child keeping its socket at every SIGTERM: the child found after the looks ran out is SIGKILLed, and no line says first that no process may hold the socket', async () => {
    // Each SIGTERM makes the process that gets it fork a child (with the same handler) and exit: a chain the looks
    // follow, each one SIGTERMed, until they run out; at the timeout the newest is adopted with SIGKILL. The line
    // that says the socket is elsewhere or in flight (a copy in a Unix-socket message) came before that look, and
    // the next line named the child it found.
    const holder = await py(`import json, os, signal, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
def handover(signum, frame):
    if os.fork() == 0:
        os.write(1, (json.dumps({'pid': os.getpid()}) + '\\n').encode())
        return
    os._exit(0)
signal.signal(signal.SIGTERM, handover)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(0.05)`);
    const lines: string[] = [];
    const result = await claimOurs(holder.first.port, { timeoutSeconds: 1, killWaitMs: 2000, settleMs: 0, log: (line) => lines.push(line) });
    const log = lines.join('\n');
    expect(result.action, log).toBe('freed');
    const last = result.holders.at(-1)!;
    expect(last, log).toMatchObject({ outcome: 'killed', signals: ['SIGKILL'] });
    expect(result.holders.length, log).toBeGreaterThan(2);
    expect(log).not.toMatch(/another process has its socket, or none does|in flight/);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^PID ${last.pid} \\(python3\\) holds the socket of `)));
  });

  it('a holder that forks on SIGTERM and drains on without its socket: at the timeout the child that kept it is SIGKILLed, the draining parent is not', async () => {
    // The parent never exits, so the looks during the wait (which wait for every holder to be gone) adopt no one:
    // only the timeout finds the socket in a process no holder is, judges it and SIGKILLs it.
    const holder = await py(`import json, os, signal, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
def handover(signum, frame):
    if os.fork() == 0:
        os.write(1, (json.dumps({'pid': os.getpid()}) + '\\n').encode())
        while True: time.sleep(3600)
    s.close()
signal.signal(signal.SIGTERM, handover)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(0.05)`);
    const { pid, port } = holder.first;
    const lines: string[] = [];
    const result = await claimOurs(port, { timeoutSeconds: 0.3, killWaitMs: 2000, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('freed');
    expect(result.holders[0]).toMatchObject({ pid, signals: ['SIGTERM'], outcome: 'released' });
    const child = result.holders[1]!;
    expect(holder.pids).toContain(child.pid);
    expect(child).toMatchObject({ inheritedFrom: [pid], signals: ['SIGKILL'], outcome: 'killed' });
    expect(isAlive(pid)).toBe(true);
  });

  it('a process that inherited the socket is judged as holders are: a protected one is never signalled, the claim fails naming it', async () => {
    // The child takes a name the registry protects (run by root, from root's own python3: a protection, not a disguise).
    const policy = parseRegistry('version: 1\nclaim:\n  protect:\n    processes: [h6-keeper]\nservices: []\n');
    const holder = await py(`import ctypes, json, os, signal, socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
def handover(signum, frame):
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(15, b'h6-keeper', 0, 0, 0)
        print(json.dumps({'pid': os.getpid()}), flush=True)
        while True: time.sleep(3600)
    time.sleep(0.1)
    os._exit(0)
signal.signal(signal.SIGTERM, handover)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`);
    const { pid, port } = holder.first;
    const lines: string[] = [];
    const result = await claimOurs(port, { registry: policy, timeoutSeconds: 0.3, killWaitMs: 500, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('failed');
    const child = result.retakenBy?.[0]?.pid;
    expect(holder.pids).toContain(child);
    expect(result.holders.map((h) => h.pid)).toEqual([pid, child!]);
    expect(result.holders[1]).toMatchObject({ inheritedFrom: [pid], signals: [], outcome: 'protected', reason: expect.stringContaining('h6-keeper') });
    // Said once, not on every look of the wait.
    expect(lines.filter((line) => line.includes(`not signalling a process that inherited the socket: PID ${child} (h6-keeper) is protected`))).toHaveLength(1);
    expect(isAlive(child!)).toBe(true);
  });
});

describe('6c. SIGKILL only to what still holds the port', () => {
  it('of two holders sharing a socket, the one that closed it on SIGTERM and drains is never SIGKILLed; the stuck one is', async () => {
    const holders = await py(`import json, os, signal, socket, time
s = socket.socket(); s.bind(('127.0.0.1', ${leasePort()})); s.listen(16)
if os.fork() == 0:
    signal.signal(signal.SIGTERM, lambda *a: s.close())
    print(json.dumps({'pid': os.getpid()}), flush=True)
    while True: time.sleep(0.05)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
time.sleep(0.2)
print(json.dumps({'pid': os.getpid(), 'port': s.getsockname()[1]}), flush=True)
while True: time.sleep(3600)`);
    const stuck = holders.first.pid;
    const drainer = holders.pids.find((pid) => pid !== stuck && pid !== holders.child.pid)!;
    expect(drainer).toBeDefined();
    const lines: string[] = [];
    const result = await claimOurs(holders.first.port, { timeoutSeconds: 0.3, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('freed');
    const byPid = new Map(result.holders.map((h) => [h.pid, h]));
    expect(byPid.get(stuck)).toMatchObject({ signals: ['SIGTERM', 'SIGKILL'], outcome: 'killed' });
    expect(byPid.get(drainer)).toMatchObject({ signals: ['SIGTERM'], outcome: 'released' });
    expect(isAlive(drainer)).toBe(true);
    expect(lines.join('\n')).not.toMatch(new RegExp(`SIGKILL to PID ${drainer}\\b`));
  });

  // A holder that closes its socket on SIGTERM and binds the port again made every claim fail (any user's process can).
  it.each([0, 0.05])(
    'a holder that closes its socket on SIGTERM and binds the port again %s s later still holds it: SIGKILLed after the timeout, never "released", and the port is free',
    async (gap) => {
      const holder = await py(`import json, os, signal, socket, threading, time
port = ${leasePort()}
def listen():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', port)); s.listen(16); return s
child = os.fork()
if child == 0:
    s = listen()
    def again(signum, frame):
        global s
        s.close()
        time.sleep(${gap})
        s = listen()
    signal.signal(signal.SIGTERM, again)
    while True: time.sleep(1)
time.sleep(0.2)
print(json.dumps({'pid': os.getpid(), 'pids': [child], 'port': port, 'holder': child}), flush=True)
while True: time.sleep(3600)`);
      const pid = holder.first.holder as number;
      const lines: string[] = [];
      const result = await claimOurs(holder.first.port, { timeoutSeconds: 0.3, settleMs: 200, log: (line) => lines.push(line) });
      expect(result.action, lines.join('\n')).toBe('freed');
      expect(result.holders, lines.join('\n')).toEqual([expect.objectContaining({ pid, signals: ['SIGTERM', 'SIGKILL'], outcome: 'killed' })]);
    },
  );

  it('one that binds it again later, within the settle window, is named as what took the port back, not its parent', async () => {
    const holder = await py(`import json, os, signal, socket, threading, time
port = ${leasePort()}
def listen():
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', port)); s.listen(16); return s
child = os.fork()
if child == 0:
    s = listen()
    def again(signum, frame):
        global s
        s.close()
        time.sleep(0.6)
        s = listen()
    signal.signal(signal.SIGTERM, again)
    while True: time.sleep(1)
time.sleep(0.2)
print(json.dumps({'pid': os.getpid(), 'pids': [child], 'port': port, 'holder': child}), flush=True)
while True: time.sleep(3600)`);
    const pid = holder.first.holder as number;
    const lines: string[] = [];
    const result = await claimOurs(holder.first.port, { timeoutSeconds: 0.3, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('failed');
    expect(result.holders).toEqual([expect.objectContaining({ pid, signals: ['SIGTERM'], outcome: 'released' })]);
    expect(result.retakenBy).toEqual([expect.objectContaining({ pid })]);
    expect(result.retakenBy![0]!.supervisor).toBeUndefined();
    expect(result.message).toMatch(
      new RegExp(`was taken again by PID ${pid} \\(python3\\): .* \\(a holder that bound it again itself\\): stop PID ${pid} first$`),
    );
  });
});

describe('6d. a stopped holder', () => {
  it("a holder ignoring SIGTERM that something else ends (another claim's SIGKILL) is said to be gone, not to have exited", async () => {
    const server = await spawnListener({ ignoreTerm: true });
    const lines: string[] = [];
    const log = (line: string) => {
      lines.push(line);
      if (line.includes(`sent SIGTERM to PID ${server.pid}`)) signal(server.pid, 'SIGKILL'); // the other claim
    };
    const result = await claimOurs(server.port, { timeoutSeconds: 3, settleMs: 0, log });
    expect(result.action, lines.join('\n')).toBe('freed');
    expect(result.holders[0]).toMatchObject({ pid: server.pid, signals: ['SIGTERM'], outcome: 'exited' });
    expect(lines.join('\n')).toContain(`PID ${server.pid} is gone after SIGTERM`);
    expect(lines.join('\n')).not.toMatch(/exited after SIGTERM/);
  });

  it('a dry run says that a holder stopped with SIGSTOP is stopped, and that a real run continues it after SIGTERM', async () => {
    const server = await spawnListener();
    signal(server.pid, 'SIGSTOP');
    await waitUntil(() => readFileSync(`/proc/${server.pid}/stat`, 'latin1').split(') ')[1]!.startsWith('T'), 5000);
    const lines: string[] = [];
    const result = await claimOurs(server.port, { dryRun: true, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('would-free');
    expect(lines).toContain(
      `dry run: PID ${server.pid} is stopped (SIGSTOP, Ctrl-Z): a real run sends it SIGCONT right after SIGTERM, so that it can act on it`,
    );
    // With --force, SIGKILL acts on a stopped process as on any: nothing to say.
    const forced: string[] = [];
    await claimOurs(server.port, { dryRun: true, force: true, settleMs: 0, log: (line) => forced.push(line) });
    expect(forced.join('\n')).not.toMatch(/is stopped/);
    signal(server.pid, 'SIGCONT');
  });

  it('a holder stopped with SIGSTOP (a dev server suspended with Ctrl-Z) is continued after SIGTERM and exits at once, not SIGKILLed after the timeout', async () => {
    const server = await spawnListener();
    signal(server.pid, 'SIGSTOP');
    await waitUntil(() => readFileSync(`/proc/${server.pid}/stat`, 'latin1').split(') ')[1]!.startsWith('T'), 5000);
    const lines: string[] = [];
    const result = await claimOurs(server.port, { timeoutSeconds: 3, settleMs: 0, log: (line) => lines.push(line) });
    expect(result.action, lines.join('\n')).toBe('freed');
    expect(result.holders[0]).toMatchObject({ pid: server.pid, signals: ['SIGTERM', 'SIGCONT'], outcome: 'exited' });
    expect(result.elapsedMs).toBeLessThan(2500);
    expect(lines.join('\n')).toContain(`PID ${server.pid} was stopped: sent SIGCONT`);
  });
});

describe('7. permissions, said truthfully', () => {
  it('root denied a signal (a security module, another user namespace) is told so, never to run as root', async () => {
    const server = await spawnListener();
    const denied: ProcessControl = { ...procControl(), signal: () => 'permission-denied' };
    const lines: string[] = [];
    const result = await claimOurs(server.port, { processes: denied, timeoutSeconds: 0.2, killWaitMs: 100, log: (line) => lines.push(line) });
    expect(result.action).toBe('failed');
    if (root) {
      expect(`${lines.join('\n')}\n${result.message}`).not.toMatch(/run (claim-port )?as root/);
      expect(result.message).toMatch(/even as root/);
    }
    expect(isAlive(server.pid)).toBe(true);
  });

  it.skipIf(!root)('root is never told to run as root when a holder is out of its reach', async () => {
    const bound = await spawnListener({ bindOnly: true });
    const result = await claimOurs(bound.port);
    expect(result.message).not.toMatch(/run (claim-port )?as root/);
  });

  it.skipIf(!root || !hasCommand('lsof') || !hasCommand('setpriv'))('the lsof fallback, blind to another user’s socket, never says free', async () => {
    const server = await spawnListener();
    const dir = mkdtempSync(join(tmpdir(), 'claim-port-lsof-'));
    chmodSync(dir, 0o755);
    const wrapper = join(dir, 'lsof-as-nobody');
    // lsof run as nobody cannot see root's sockets, as on a Mac run without sudo.
    writeFileSync(wrapper, `#!/bin/sh\nexec setpriv --reuid=nobody --regid=nogroup --clear-groups lsof "$@"\n`, { mode: 0o755 });
    try {
      const result = await claimOurs(server.port, { reader: lsofReader(wrapper) });
      expect(result.action).not.toBe('already-free');
      expect(result.action).toBe('refused');
      expect(result.message).toMatch(/a server could not bind it/);
      expect(result.holders).toEqual([]);
      expect(isAlive(server.pid)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
