// A module run by node from this repo's sources (tsx, the development
// condition) under strace, which tampers with `syscalls`: holds each for a
// while (straceHolding), the tests' way to land in a race window for certain
// (another account making a directory meanwhile, a signal during a write), or
// makes them fail (straceInjecting), for a failure no real file system gives
// on demand; or a built bin so held (spawnBinHolding).
import { spawn } from 'node:child_process';

/**
 * strace's arguments for that: `strace ...straceInjecting(...)`, `inject` strace's
 * `-e inject=SYSCALLS:` tail (`error=ENOTDIR:when=2`, `delay_enter=300000`).
 * `detached` (-D): strace a grandchild, so the child is node itself.
 */
export function straceInjecting(syscalls: string, inject: string, script: string, { detached = false }: { detached?: boolean } = {}): string[] {
  return [...straceTampering(syscalls, inject, detached), process.execPath, '--conditions=development', '--import', 'tsx', '--input-type=module', '-e', script];
}

/** strace's own arguments, before the command: follow its children, print nothing, tamper with `syscalls` as `inject` says. */
function straceTampering(syscalls: string, inject: string, detached: boolean): string[] {
  return [...(detached ? ['-D'] : []), '-f', '-qq', '-o', '/dev/null', '-e', `trace=${syscalls}`, '-e', `inject=${syscalls}:${inject}`];
}

/** A run of a built bin under strace (spawnBinHolding): its exit code once it closes, and what it printed so far. */
export interface HeldRun {
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/**
 * `node bin ...args` in `cwd` under strace, each of `syscalls` held `holdMs` on
 * entry: a built bin caught part-way (a writer between its renames while another
 * run writes the same tree). The environment is PATH and `env` only.
 */
export function spawnBinHolding(
  syscalls: string,
  holdMs: number,
  bin: string,
  args: readonly string[],
  { cwd, env = {} }: { cwd: string; env?: Record<string, string> },
): HeldRun {
  const child = spawn('strace', [...straceTampering(syscalls, `delay_enter=${holdMs * 1000}`, false), process.execPath, bin, ...args], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { exited, stdout: () => stdout, stderr: () => stderr };
}

/** straceInjecting that holds each of `syscalls` for `holdMs` on entry. */
export function straceHolding(syscalls: string, holdMs: number, script: string, options: { detached?: boolean } = {}): string[] {
  return straceInjecting(syscalls, `delay_enter=${holdMs * 1000}`, script, options);
}
