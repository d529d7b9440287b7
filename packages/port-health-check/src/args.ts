// Command-line arguments, parsed by a pure function: argv in, a request or
// one clear usage error out (the CLI exits 64, EX_USAGE, on it). To add a
// flag: a line in OPTIONS, a line in USAGE, and read it in parseArgs() below.
import { EXIT_USAGE, parseCommandLine, STANDARD_OPTIONS, UsageError, useColor, type Options, type Parsed } from '@dsa110/ports/cli';

export { useColor };

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

const OPTIONS = {
  ...STANDARD_OPTIONS,
  registry: { type: 'string' },
  root: { type: 'string' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  output: { type: 'string' },
  service: { type: 'string', multiple: true },
  'claim-port': { type: 'string', multiple: true },
  strict: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const satisfies Options;

export const USAGE = `Usage: port-health-check [options]

Hold the DSA-110 port registry against this machine: systemd wiring of the
claim, listeners, owners, bind addresses, reserved ranges, kernel ranges.

Options:
  --registry PATH      ports.yaml to check against (default: $DSA110_PORTS_FILE, then the bundled registry)
  --root DIR           read systemd units, claim-port and config files under DIR instead of /
                       (the socket table is always the live one)
  --json               the report as one JSON object (same as --format json)
  --format FORMAT      text (default), json or prometheus (node_exporter textfile format)
  --output FILE        write the report to FILE atomically; stdout then shows the problems only
  --service ID         check only this service (repeat, or separate ids with commas)
  --claim-port PATH    also count PATH as claim-port in ExecStartPre= (repeatable)
  --strict             unknown listeners are warnings; unknown results count as warnings
  --quiet              print the problems only (nothing when all is well)
  -h, --help           show this help
  -V, --version        show the version

Examples:
  port-health-check                                   check every service; a table, then the problems
  port-health-check --service api,redis --quiet       only these two; print only what is wrong
  port-health-check --json | jq .status               for scripts
  port-health-check --format prometheus --output /var/lib/prometheus/node-exporter/dsa110_ports.prom

Colour only on a terminal, never with NO_COLOR set or TERM=dumb.

Exit codes (the seed script's, NOT the Nagios order):
  0  all checks passed      1  errors found
  2  warnings only          3  the check could not run (unknown service, missing --root,
                               unwritable --output)
  ${EXIT_USAGE} usage error (unknown option, bad or missing value), as in claim-port and ports
`;

const HINT = 'see port-health-check --help';

export function parseArgs(argv: readonly string[]): Request {
  let values: Parsed<typeof OPTIONS>['values'];
  try {
    ({ values } = parseCommandLine(argv, OPTIONS, { hint: HINT }));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const unexpected = /^unexpected argument "([^"]*)"/.exec(error.message);
    if (unexpected) return fail(`unexpected argument "${unexpected[1]}" (services are chosen with --service ${unexpected[1]})`);
    const unknown = /^unknown option (\S+);/.exec(error.message);
    if (unknown) return fail(`unknown option ${unknown[1]}${suggest(unknown[1]!)}`);
    return fail(error.message);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  for (const name of ['registry', 'root', 'format', 'output'] as const) {
    if (values[name] === '') return fail(`--${name} needs a non-empty value`);
    if (argv.filter((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`)).length > 1) return fail(`--${name} given more than once`);
  }
  if (values.json && values.format !== undefined && values.format !== 'json') return fail(`--json and --format ${values.format} disagree; give one`);
  const format = values.json ? 'json' : (values.format ?? 'text');
  if (!FORMATS.includes(format as Format)) return fail(`--format must be one of ${FORMATS.join(', ')}, not "${format}"`);
  const services = (values.service ?? [])
    .flatMap((value) => value.split(','))
    .map((id) => id.trim())
    .filter(Boolean);
  return {
    kind: 'run',
    ...(values.registry !== undefined && { registry: values.registry }),
    ...(values.root !== undefined && { root: values.root }),
    format: format as Format,
    ...(values.output !== undefined && { output: values.output }),
    services,
    strict: values.strict ?? false,
    quiet: values.quiet ?? false,
    claimPortPaths: values['claim-port'] ?? [],
  };
}

function fail(message: string): Request {
  return { kind: 'error', message };
}

function suggest(name: string): string {
  const known = Object.keys(OPTIONS).map((option) => `--${option}`);
  const bare = name.split('=')[0]!;
  const close = known.find((option) => option.startsWith(bare) || bare.startsWith(option));
  return close ? `; did you mean ${close}?` : `; ${HINT}`;
}
