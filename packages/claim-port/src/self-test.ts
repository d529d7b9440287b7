// claim-port --test: the seed's self-test (argument parsing, port range and
// timeout validation, error handling) and two live claims: it starts its own
// TCP listener, then its own process holding a UDP socket, each on a loopback
// port outside the ephemeral range, claims each (PORT, then PORT/udp), and
// checks the port is free and the holder gone. Signals nothing but the children it started.
import { MAX_CLAIM_TIMEOUT_SECONDS, parseClaimArgs as parseArgs } from '@dsa110/ports/systemd';
import { claimPort, ClaimUsageError } from './claim.js';
import { exitCode } from './exit-code.js';
import { isRunning } from './watch.js';
import { shownName } from './shown-name.js';
import { loadRegistry } from '@dsa110/ports';
import type { Severity } from '@dsa110/ports/cli';
import {
  hasProcNet,
  readBoundUdpSockets,
  readEphemeralRange,
  readListenSocketsSync,
  readPortSockets,
  readStartTime,
  type Transport,
} from '@dsa110/ports/system';
import { procControl, type ProcessControl } from './processes.js';

interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

const ARG_CASES: [string[], string][] = [
  [['8000'], 'claim'],
  [['65535'], 'claim'],
  [['1'], 'claim'],
  [['api'], 'claim'],
  [['8000', '--timeout=2.5'], 'claim'],
  [['8000', '--timeout', '10'], 'claim'],
  [['8000', '--dry-run', '--force', '--json', '--quiet'], 'claim'],
  [['5353/udp'], 'claim'],
  [['5353/sctp'], 'usage-error'],
  [['0'], 'usage-error'],
  [['65536'], 'usage-error'],
  [['-1'], 'usage-error'],
  [['80x'], 'usage-error'],
  [['1e3'], 'usage-error'],
  [['0x50'], 'usage-error'],
  [['08000'], 'usage-error'],
  [[''], 'usage-error'],
  [[], 'usage-error'],
  [['8000', '8001'], 'usage-error'],
  [['8000', '--timeout=abc'], 'usage-error'],
  [['8000', '--timeout=-1'], 'usage-error'],
  [['8000', '--timeout=0'], 'usage-error'],
  [['8000', `--timeout=${MAX_CLAIM_TIMEOUT_SECONDS}`], 'claim'],
  [['8000', `--timeout=${MAX_CLAIM_TIMEOUT_SECONDS + 1}`], 'usage-error'],
  [['8000', '--timeout'], 'usage-error'],
  [['8000', '--bogus'], 'usage-error'],
  [['--test'], 'self-test'],
  [['--help'], 'help'],
  [['--version'], 'version'],
];

/**
 * A child this test starts: a TCP listener or a bound UDP socket on loopback,
 * on the first of the ports it is given that it can bind (else on an ephemeral
 * port), which it prints. It exits when its stdin, a pipe from claim-port,
 * ends: claim-port ended (Ctrl-C, a unit's stop or start timeout, SIGKILL)
 * before it claimed the child, which would otherwise hold the port for ever.
 */
const EXIT_WITH_PARENT = "process.stdin.on('end',()=>process.exit(0)).resume();";
const HOLDER_SCRIPTS: Readonly<Record<Transport, string>> = {
  tcp: `${EXIT_WITH_PARENT}const n=require('net'),p=[...process.argv.slice(1).map(Number),0];(function t(i){if(i>=p.length)process.exit(1);const s=n.createServer();s.once('error',()=>t(i+1));s.listen(p[i],'127.0.0.1',()=>console.log(s.address().port))})(0)`,
  udp: `${EXIT_WITH_PARENT}const d=require('dgram'),p=[...process.argv.slice(1).map(Number),0];(function t(i){if(i>=p.length)process.exit(1);const s=d.createSocket('udp4');s.once('error',()=>{s.close();t(i+1)});s.bind(p[i],'127.0.0.1',()=>console.log(s.address().port))})(0)`,
};

/** Below this, ports are left to the machine's own services. */
const LOWEST_TEST_PORT = 20_000;

/**
 * Pure: up to `count` ports for a test holder, at random from 20000-65535,
 * outside the kernel's ephemeral range and none that `known` (the registry)
 * names. bind(0) and every outgoing connection are given ephemeral ports, so
 * one the holder had could be handed to another program as soon as it is
 * freed: read as a re-take in the claim's settle window, or left bound by a
 * resolver's UDP socket, it failed the test. Empty when the range is unknown.
 */
export function holderPorts(
  range: { start: number; end: number } | undefined,
  known: (port: number) => boolean,
  count = 16,
  random: () => number = Math.random,
): number[] {
  if (range === undefined) return [];
  const picked = new Set<number>();
  for (let tries = 0; picked.size < count && tries < count * 20; tries++) {
    const port = LOWEST_TEST_PORT + Math.floor(random() * (65536 - LOWEST_TEST_PORT));
    if ((port < range.start || port > range.end) && !known(port)) picked.add(port);
  }
  return [...picked];
}

/** The registry's ports and reserved ranges (the bundled one, or $DSA110_PORTS_FILE's), for holderPorts; none when it cannot be loaded. */
async function registryPorts(): Promise<(port: number) => boolean> {
  try {
    const registry = await loadRegistry({ env: process.env });
    return (port) => registry.lookup(port, 'tcp') !== undefined || registry.lookup(port, 'udp') !== undefined;
  } catch {
    return () => false;
  }
}

/**
 * Whether no socket of either transport, in any state, on any address, uses
 * `port`: the holder binds 127.0.0.1, which a listener on [::1], [::] (IPv6
 * only) or 127.0.0.2 does not stop, and a claim of the port would find that
 * listener too.
 */
function unused(port: number): boolean {
  try {
    return readPortSockets(port, 'tcp').length === 0 && readPortSockets(port, 'udp').length === 0;
  } catch {
    return false;
  }
}

/**
 * A live claim of `transport` on loopback: start a holder of our own (a TCP
 * listener, or a process holding a UDP socket) on a port nothing else uses,
 * dry-run, claim it (PORT/udp for UDP), and check that the port is free and
 * the holder gone. It signals nothing but that child: a port another process
 * turns out to share is not claimed, and every signal goes through a
 * ProcessControl that refuses any other PID (a process that took the port
 * between the dry run and the claim).
 */
async function liveClaim(transport: Transport, random: () => number): Promise<Check[]> {
  const checks: Check[] = [];
  const shown = (port: number) => `127.0.0.1:${port}${transport === 'udp' ? '/udp' : ''}`;
  if (!hasProcNet()) return [{ name: `live ${transport.toUpperCase()} claim (needs /proc; skipped)`, ok: true }];
  const { spawn } = await import('node:child_process');
  const ports = holderPorts(readEphemeralRange(), await registryPorts(), 16, random).filter(unused);
  // stdin: a pipe this process keeps open, whose end tells the child that claim-port is gone (HOLDER_SCRIPTS).
  const child = spawn(process.execPath, ['-e', HOLDER_SCRIPTS[transport], ...ports.map(String)], { stdio: ['pipe', 'pipe', 'ignore'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the test ${transport.toUpperCase()} holder did not start within 10 s`)), 10_000);
      child.stdout!.once('data', (data: Buffer) => {
        clearTimeout(timer);
        resolve(Number(String(data).trim()));
      });
      child.once('exit', () => reject(new Error(`the test ${transport.toUpperCase()} holder exited before binding`)));
    });
    const start = readStartTime(child.pid!);
    const base = procControl();
    const onlyOurs: ProcessControl = { ...base, signal: (who, sig) => (who.pid === child.pid ? base.signal(who, sig) : 'permission-denied') };
    const dry = await claimPort(port, { dryRun: true, usage: false, transport, processes: onlyOurs });
    const strangers = dry.holders.filter((h) => h.pid !== child.pid);
    if (strangers.length > 0 || dry.listeners.length !== 1) {
      const who = strangers.map((h) => `PID ${h.pid} (${shownName(h)})`).join(', ') || 'a process that cannot be seen';
      checks.push({
        name: `live ${transport.toUpperCase()} claim of ${shown(port)}`,
        ok: false,
        detail: `the port is also held by ${who}, which the self-test did not start: not claimed; run --test again`,
      });
      return checks;
    }
    checks.push({ name: `dry run names the holder of ${shown(port)}`, ok: dry.action === 'would-free' && dry.holders.some((h) => h.pid === child.pid) });
    checks.push({
      name: `dry run leaves the ${transport.toUpperCase()} holder running`,
      ok: start !== undefined && isRunning({ pid: child.pid!, startTime: start }),
    });
    const result = await claimPort(port, { timeoutSeconds: 5, usage: false, transport, processes: onlyOurs });
    checks.push({ name: `claim frees ${shown(port)}`, ok: result.action === 'freed' && exitCode(result.action) === 0, detail: result.message });
    const left = transport === 'udp' ? readBoundUdpSockets(port) : readListenSocketsSync({ ports: [port] });
    checks.push({ name: `no ${transport === 'udp' ? 'bound UDP' : 'LISTEN'} socket left on the port`, ok: left.length === 0 });
    checks.push({
      name: `the ${transport.toUpperCase()} holder is gone after SIGTERM`,
      ok: result.holders.length === 1 && result.holders[0]!.outcome === 'exited',
    });
    const again = await claimPort(port, { usage: false, transport, processes: onlyOurs });
    checks.push({ name: `a free ${transport.toUpperCase()} port is reported already free`, ok: again.action === 'already-free' });
  } catch (error) {
    checks.push({ name: `live ${transport.toUpperCase()} claim`, ok: false, detail: (error as Error).message });
  } finally {
    // Only the child this test started, by its own handle.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child.stdin!.destroy();
  }
  return checks;
}

/** Runs every check, prints one line each to stderr (and a JSON summary to stdout with json); true when all pass. */
export async function runSelfTest(
  options: {
    json?: boolean;
    io?: { out(text: string): void; err(text: string, severity: Severity): void };
    /** Where the holders' ports are drawn from (holderPorts): a hook for this package's tests. */
    random?: () => number;
  } = {},
): Promise<boolean> {
  const io = options.io ?? { out: (text: string) => void process.stdout.write(text), err: (text: string) => void process.stderr.write(text) };
  const checks: Check[] = [];
  for (const [argv, expected] of ARG_CASES) {
    const parsed = parseArgs(argv);
    checks.push({
      name: `arguments ${JSON.stringify(argv)} -> ${expected}`,
      ok: parsed.command === expected,
      ...(parsed.command === 'usage-error' && { detail: parsed.message }),
    });
  }
  for (const bad of [0, 65536, 1.5, -1]) {
    let ok = false;
    try {
      await claimPort(bad, { dryRun: true });
    } catch (error) {
      ok = error instanceof ClaimUsageError;
    }
    checks.push({ name: `claimPort(${bad}) is a usage error`, ok });
  }
  let unknown = false;
  try {
    await claimPort('no-such-service', { dryRun: true });
  } catch (error) {
    unknown = error instanceof ClaimUsageError && /unknown service/.test(error.message);
  }
  checks.push({ name: 'an unknown service id is a usage error', ok: unknown });
  checks.push({
    name: 'exit codes: freed 0, would-free 0, refused 1, failed 1',
    ok: exitCode('freed') === 0 && exitCode('would-free') === 0 && exitCode('refused') === 1 && exitCode('failed') === 1,
  });
  const random = options.random ?? Math.random;
  checks.push(...(await liveClaim('tcp', random)), ...(await liveClaim('udp', random)));

  for (const check of checks) {
    io.err(
      `[claim-port:self-test] ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}${check.detail && !check.ok ? `: ${check.detail}` : ''}\n`,
      check.ok ? 'info' : 'error',
    );
  }
  const failed = checks.filter((c) => !c.ok).length;
  io.err(`[claim-port:self-test] ${checks.length - failed} passed, ${failed} failed\n`, failed === 0 ? 'info' : 'error');
  if (options.json) io.out(`${JSON.stringify({ passed: checks.length - failed, failed, checks })}\n`);
  return failed === 0;
}
