// What the bins' parseArgs answers without node:util's (lazyBuiltins in
// build-support.mjs puts it in front of the real one). Node 20 compiles its
// parse_args module on first use: about 3.7M instructions (~1.3 ms) for a
// two-flag config, more for the bins' own, even for an empty command line
// (callgrind, side by side with an empty script). The bins' usual command
// lines have no option at all: the health check from its timer (none) and
// claim-port in ExecStartPre= (`claim-port api`). Those are answered here, as
// parseArgs answers them; anything else returns undefined, for parseArgs.

/**
 * parseArgs' result for a command line of operands only (no argument starts
 * with `-`), or undefined when this cannot be sure of giving exactly that:
 * options, `--`, a lone `-`, a default to apply, positionals not allowed.
 */
export function parseOperandsOnly(config) {
  if (typeof config !== 'object' || config === null) return undefined;
  const { args, options = {}, strict = true, allowPositionals = !strict, tokens = false } = config;
  if (!Array.isArray(args) || args.some((arg) => typeof arg !== 'string' || arg.startsWith('-'))) return undefined;
  if (args.length > 0 && allowPositionals !== true) return undefined;
  if (typeof options !== 'object' || options === null || Object.values(options).some((option) => option?.default !== undefined)) return undefined;
  const result = { values: { __proto__: null }, positionals: [...args] };
  if (tokens === true) result.tokens = args.map((value, index) => ({ kind: 'positional', index, value }));
  return result;
}
