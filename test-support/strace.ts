// A module run by node from this repo's sources (tsx, the development
// condition) under strace, which holds each of `syscalls` for `holdMs`: the
// tests' way to land in a race window for certain (another account making a
// directory meanwhile, a signal during a write).

/** strace's arguments for that: `strace ...straceHolding(...)`. `detached` (-D): strace a grandchild, so the child is node itself. */
export function straceHolding(syscalls: string, holdMs: number, script: string, { detached = false }: { detached?: boolean } = {}): string[] {
  return [
    ...(detached ? ['-D'] : []),
    '-f',
    '-qq',
    '-o',
    '/dev/null',
    '-e',
    `trace=${syscalls}`,
    '-e',
    `inject=${syscalls}:delay_enter=${holdMs * 1000}`,
    process.execPath,
    '--conditions=development',
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    script,
  ];
}
