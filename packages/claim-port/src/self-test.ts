// claim-port --test: the seed's self-test (argument parsing, port range and
// timeout validation, error handling) and two live claims: it starts its own
// TCP listener, then its own process holding a UDP socket, each on an
// ephemeral loopback port, claims each (PORT, then PORT/udp), and checks the
// port is free and the holder gone. Signals nothing but the children it started.
import { MAX_CLAIM_TIMEOUT_SECONDS, parseClaimArgs as parseArgs } from '@dsa110/ports/systemd';
import { claimPort, ClaimUsageError } from './claim.js';
import { exitCode } from './exit-code.js';
import { isRunning } from './watch.js';
import { hasProcNet, readBoundUdpSockets, readListenSocketsSync, readStartTime, type Transport } from '@dsa110/ports/system';

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

/** A child this test starts: a TCP listener or a bound UDP socket on an ephemeral loopback port, which it prints. */
const HOLDER_SCRIPTS: Readonly<Record<Transport, string>> = {
  tcp: "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port))",
  udp: "const s=require('dgram').createSocket('udp4');s.bind(0,'127.0.0.1',()=>console.log(s.address().port))",
};

/**
 * A live claim of `transport` on loopback: start a holder of our own (a TCP
 * listener, or a process holding a UDP socket), dry-run, claim it (PORT/udp
 * for UDP), and check that the port is free and the holder gone.
 */
async function liveClaim(transport: Transport): Promise<Check[]> {
  const checks: Check[] = [];
  const shown = (port: number) => `127.0.0.1:${port}${transport === 'udp' ? '/udp' : ''}`;
  if (!hasProcNet()) return [{ name: `live ${transport.toUpperCase()} claim (needs /proc; skipped)`, ok: true }];
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', HOLDER_SCRIPTS[transport]], { stdio: ['ignore', 'pipe', 'ignore'] });
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
    const dry = await claimPort(port, { dryRun: true, usage: false, transport });
    checks.push({ name: `dry run names the holder of ${shown(port)}`, ok: dry.action === 'would-free' && dry.holders.some((h) => h.pid === child.pid) });
    checks.push({
      name: `dry run leaves the ${transport.toUpperCase()} holder running`,
      ok: start !== undefined && isRunning({ pid: child.pid!, startTime: start }),
    });
    const result = await claimPort(port, { timeoutSeconds: 5, usage: false, transport });
    checks.push({ name: `claim frees ${shown(port)}`, ok: result.action === 'freed' && exitCode(result.action) === 0, detail: result.message });
    const left = transport === 'udp' ? readBoundUdpSockets(port) : readListenSocketsSync({ ports: [port] });
    checks.push({ name: `no ${transport === 'udp' ? 'bound UDP' : 'LISTEN'} socket left on the port`, ok: left.length === 0 });
    checks.push({
      name: `the ${transport.toUpperCase()} holder exited after SIGTERM`,
      ok: result.holders.length === 1 && result.holders[0]!.outcome === 'exited',
    });
    const again = await claimPort(port, { usage: false, transport });
    checks.push({ name: `a free ${transport.toUpperCase()} port is reported already free`, ok: again.action === 'already-free' });
  } catch (error) {
    checks.push({ name: `live ${transport.toUpperCase()} claim`, ok: false, detail: (error as Error).message });
  } finally {
    // Only the child this test started, by its own handle.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  return checks;
}

/** Runs every check, prints one line each to stderr (and a JSON summary to stdout with json); true when all pass. */
export async function runSelfTest(options: { json?: boolean; io?: { out(text: string): void; err(text: string): void } } = {}): Promise<boolean> {
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
  checks.push(...(await liveClaim('tcp')), ...(await liveClaim('udp')));

  for (const check of checks) {
    io.err(`[claim-port:self-test] ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}${check.detail && !check.ok ? `: ${check.detail}` : ''}\n`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  io.err(`[claim-port:self-test] ${checks.length - failed} passed, ${failed} failed\n`);
  if (options.json) io.out(`${JSON.stringify({ passed: checks.length - failed, failed, checks })}\n`);
  return failed === 0;
}
