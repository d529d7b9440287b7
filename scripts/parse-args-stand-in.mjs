// What the bins' parseArgs answers without node:util's (lazyBuiltins in
// build-support.mjs puts it in front of the real one). Node 20 compiles its
// parse_args module on first use: about 3.7M instructions (~1.3 ms) for a
// two-flag config, more for the bins' own, even for an empty command line
// (callgrind, side by side with an empty script; `claim-port 20483 --dry-run`
// 96.5M against 93.2M without the flag, before this answered long options).
// The bins' usual command lines are answered here, as parseArgs answers them:
// operands (`claim-port api` in ExecStartPre=) and long options
// (`port-health-check --format prometheus --output FILE` from its timer).
// Anything else returns undefined, for parseArgs: short options, `--`, a lone
// `-`, an unknown option, a value that is missing or starts with `-`, a
// `multiple` option given, defaults to apply, and every mistake (parseArgs'
// error is the one to show).

const own = (object, key) => (Object.hasOwn(object, key) ? object[key] : undefined);
const isBooleanOrAbsent = (value) => value === undefined || typeof value === 'boolean';

/** The option declarations, when each is one this answers for (parseArgs would accept the declarations); else undefined. */
function simpleOptions(options) {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return undefined;
  for (const declaration of Object.values(options)) {
    if (typeof declaration !== 'object' || declaration === null) return undefined;
    const type = own(declaration, 'type');
    if (type !== 'string' && type !== 'boolean') return undefined;
    if (Object.hasOwn(declaration, 'short') && (typeof declaration.short !== 'string' || declaration.short.length !== 1)) return undefined;
    if (!isBooleanOrAbsent(own(declaration, 'multiple'))) return undefined;
    if (own(declaration, 'default') !== undefined) return undefined;
  }
  return options;
}

/**
 * parseArgs' result (values with a null prototype, positionals, tokens when
 * asked) for a command line of operands and long options, or undefined when
 * this cannot be sure of giving exactly that (see the top of this file).
 */
export function parseArgsStandIn(config) {
  if (typeof config !== 'object' || config === null) return undefined;
  const args = own(config, 'args');
  const strict = own(config, 'strict') ?? true;
  const allowPositionals = own(config, 'allowPositionals') ?? !strict;
  const tokens = own(config, 'tokens') ?? false;
  const allowNegative = own(config, 'allowNegative') ?? false;
  const options = simpleOptions(own(config, 'options') ?? {});
  if (!Array.isArray(args) || options === undefined) return undefined;
  if (![strict, allowPositionals, tokens, allowNegative].every((flag) => typeof flag === 'boolean')) return undefined;

  const values = { __proto__: null };
  const positionals = [];
  const seen = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (typeof arg !== 'string') return undefined;
    if (!arg.startsWith('-')) {
      if (!allowPositionals) return undefined;
      positionals.push(arg);
      seen.push({ kind: 'positional', index, value: arg });
      continue;
    }
    // A long option, strictly checked as parseArgs checks it; short options, `--` and `-` go to parseArgs.
    if (!arg.startsWith('--') || arg.length <= 2 || !strict || allowNegative) return undefined;
    // As parseArgs splits: an `=` after the option's first character gives it a value, split at the first `=`.
    const equals = arg.includes('=', 3) ? arg.indexOf('=') : -1;
    const name = equals < 0 ? arg.slice(2) : arg.slice(2, equals);
    if (name === '__proto__' || !Object.hasOwn(options, name) || own(options[name], 'multiple') === true) return undefined;
    const type = own(options[name], 'type');
    if (equals >= 0) {
      if (type !== 'string') return undefined; // a boolean given a value
      values[name] = arg.slice(equals + 1);
      seen.push({ kind: 'option', name, rawName: `--${name}`, index, value: values[name], inlineValue: true });
    } else if (type === 'boolean') {
      values[name] = true;
      seen.push({ kind: 'option', name, rawName: arg, index, value: undefined, inlineValue: undefined });
    } else {
      const value = args[index + 1];
      // Missing, or one that looks like an option: parseArgs' "argument missing" or "ambiguous".
      if (typeof value !== 'string' || (value.length > 1 && value.startsWith('-'))) return undefined;
      values[name] = value;
      seen.push({ kind: 'option', name, rawName: arg, index, value, inlineValue: false });
      index++;
    }
  }
  const result = { values, positionals };
  if (tokens) result.tokens = seen;
  return result;
}
