// A module run by node from this repo's sources (tsx, the development
// condition) under strace, which tampers with `syscalls`: holds each for a
// while (straceHolding), the tests' way to land in a race window for certain
// (another account making a directory meanwhile, a signal during a write), or
// makes them fail (straceInjecting), for a failure no real file system gives
// on demand.

/**
 * strace's arguments for that: `strace ...straceInjecting(...)`, `inject` strace's
 * `-e inject=SYSCALLS:` tail (`error=ENOTDIR:when=2`, `delay_enter=300000`).
 * `detached` (-D): strace a grandchild, so the child is node itself.
 */
export function straceInjecting(syscalls: string, inject: string, script: string, { detached = false }: { detached?: boolean } = {}): string[] {
  return [
    ...(detached ? ['-D'] : []),
    '-f',
    '-qq',
    '-o',
    '/dev/null',
    '-e',
    `trace=${syscalls}`,
    '-e',
    `inject=${syscalls}:${inject}`,
    process.execPath,
    '--conditions=development',
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    script,
  ];
}

/** straceInjecting that holds each of `syscalls` for `holdMs` on entry. */
export function straceHolding(syscalls: string, holdMs: number, script: string, options: { detached?: boolean } = {}): string[] {
  return straceInjecting(syscalls, `delay_enter=${holdMs * 1000}`, script, options);
}
