// Node's own bindings, which the tools read where the public module would cost
// start-up time: libuv's TCP and UDP handles for a bind check without `net`
// (system/bindable.ts), libuv's error names, zlib's CRC-32 without zlib.js
// (cli-kit/checksum.ts). process.binding is deprecated in documentation only
// (DEP0111); where Node was asked to warn of pending deprecations it prints a
// DeprecationWarning, once, on stderr: there the callers take the public way
// instead, a few ms slower, so that no bin prints a warning it did not cause
// by anything the user can change.

/**
 * Node's binding `name`, or undefined where Node would warn of it (pending
 * deprecations asked for by `--pending-deprecation`, in node's command line or
 * `NODE_OPTIONS`, or by `NODE_PENDING_DEPRECATION=1`, and not silenced by
 * `--no-deprecation`) or does not have it. `evenIfItWarns`: read it there too,
 * where an answer matters more than the warning.
 */
export function nodeBinding(
  name: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  evenIfItWarns = false,
): Record<string, unknown> | undefined {
  if (!evenIfItWarns && warnsOfPendingDeprecations(env)) return undefined;
  try {
    return (process as unknown as { binding(name: string): Record<string, unknown> }).binding(name);
  } catch {
    return undefined;
  }
}

/** Whether Node warns of pending deprecations in this process (`env`: where NODE_OPTIONS and NODE_PENDING_DEPRECATION are read). */
export function warnsOfPendingDeprecations(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  if (process.noDeprecation === true) return false;
  const options = `${process.execArgv.join(' ')} ${env.NODE_OPTIONS ?? ''}`;
  return options.includes('--pending-deprecation') || options.includes('--pending_deprecation') || env.NODE_PENDING_DEPRECATION === '1';
}
