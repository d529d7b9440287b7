// Command-line arguments, parsed by a pure function: argv in, a request or
// one clear error out (the CLI exits 3 on it).

export type Format = 'text' | 'json' | 'prometheus';
const FORMATS: readonly Format[] = ['text', 'json', 'prometheus'];

export interface RunRequest {
  readonly kind: 'run';
  readonly registry?: string;
  readonly root?: string;
  readonly format: Format;
  readonly output?: string;
  readonly services: readonly string[];
  readonly strict: boolean;
  readonly quiet: boolean;
  readonly claimPortPaths: readonly string[];
}

export type Request = RunRequest | { readonly kind: 'help' } | { readonly kind: 'version' } | { readonly kind: 'error'; readonly message: string };

export const USAGE = `Usage: port-health-check [options]

Hold the DSA-110 port registry against this machine: systemd wiring of the
claim, listeners, owners, bind addresses, reserved ranges, kernel ranges.

Options:
  --registry PATH      ports.yaml to check against (default: $DSA110_PORTS_FILE, then the bundled registry)
  --root DIR           read systemd units, claim-port and config files under DIR instead of /
                       (the socket table is always the live one)
  --format FORMAT      text (default), json or prometheus (node_exporter textfile format)
  --output FILE        write the report to FILE atomically; stdout then shows the problems only
  --service ID         check only this service (repeat, or separate ids with commas)
  --claim-port PATH    also count PATH as claim-port in ExecStartPre= (repeatable)
  --strict             unknown listeners are warnings; unknown results count as warnings
  --quiet              print the problems only (nothing when all is well)
  -h, --help           show this help
  --version            show the version

Exit codes (the seed script's, NOT the Nagios order):
  0  all checks passed      1  errors found
  2  warnings only          3  the check could not run (bad arguments, unknown service,
                               missing --root, unwritable --output)
`;

const VALUE_OPTIONS = new Set(['--registry', '--root', '--format', '--output', '--service', '--claim-port']);
const FLAGS = new Set(['--strict', '--quiet', '--help', '-h', '--version']);

export function parseArgs(argv: readonly string[]): Request {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const equals = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = equals > 0 ? arg.slice(0, equals) : arg;
    if (VALUE_OPTIONS.has(name)) {
      const value = equals > 0 ? arg.slice(equals + 1) : argv[++index];
      if (value === undefined || (equals < 0 && value.startsWith('--'))) return error(`${name} needs a value`);
      if (value === '') return error(`${name} needs a non-empty value`);
      values.set(name, [...(values.get(name) ?? []), value]);
    } else if (FLAGS.has(arg)) {
      flags.add(arg);
    } else if (arg.startsWith('-')) {
      return error(`unknown option ${arg}${suggest(name)}`);
    } else {
      return error(`unexpected argument "${arg}" (services are chosen with --service ${arg})`);
    }
  }
  if (flags.has('--help') || flags.has('-h')) return { kind: 'help' };
  if (flags.has('--version')) return { kind: 'version' };
  for (const name of ['--registry', '--root', '--format', '--output']) {
    if ((values.get(name)?.length ?? 0) > 1) return error(`${name} given more than once`);
  }
  const format = values.get('--format')?.[0] ?? 'text';
  if (!FORMATS.includes(format as Format)) return error(`--format must be one of ${FORMATS.join(', ')}, not "${format}"`);
  const services = (values.get('--service') ?? []).flatMap((value) => value.split(',')).map((id) => id.trim()).filter(Boolean);
  const registry = values.get('--registry')?.[0];
  const root = values.get('--root')?.[0];
  const output = values.get('--output')?.[0];
  return {
    kind: 'run',
    ...(registry !== undefined && { registry }),
    ...(root !== undefined && { root }),
    format: format as Format,
    ...(output !== undefined && { output }),
    services,
    strict: flags.has('--strict'),
    quiet: flags.has('--quiet'),
    claimPortPaths: values.get('--claim-port') ?? [],
  };
}

function error(message: string): Request {
  return { kind: 'error', message };
}

function suggest(name: string): string {
  const known = [...VALUE_OPTIONS, ...FLAGS].filter((option) => option.startsWith('--'));
  const close = known.find((option) => option.startsWith(name) || name.startsWith(option));
  return close ? `; did you mean ${close}?` : '; see --help';
}

/** Colour on a terminal unless NO_COLOR is set to anything non-empty (no-color.org). */
export function useColor(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR) return false;
  return isTTY === true && env.TERM !== 'dumb';
}
