// port-health-check's command line, in one file: each flag is declared once
// in FLAGS (its parseArgs type and its help line), the help text is made from
// those declarations (usage()), and parseArgs() below reads the values into a
// RunRequest, the one thing cli.ts and checkPorts() see. To add a flag: an
// entry in FLAGS, a field in RunRequest read in parseArgs(), and its use where
// the request is run (cli.ts). A test holds the help against FLAGS
// (test/args.test.ts). Pure but for one look at links (is --output stdout?):
// argv in, a request or one clear usage error out (the CLI exits 64, EX_USAGE, on it).
import { quoteValue } from '@dsa110/ports';
import {
  cacheHelp,
  EXIT_USAGE,
  fileSystemPath,
  formatFlags,
  parseCommandLine,
  simplifyPath,
  STANDARD_OPTIONS,
  UsageError,
  useColor,
  type Flags,
  type Parsed,
} from '@dsa110/ports/cli';
import { writesToStdout } from '@dsa110/ports/files';

export { useColor };

export type Format = 'text' | 'json' | 'prometheus';
const FORMATS: readonly Format[] = ['text', 'json', 'prometheus'];

export interface RunRequest {
  readonly kind: 'run';
  readonly registry?: string;
  readonly root?: string;
  readonly format: Format;
  readonly output?: string;
  /** The ids given with --service; left out when none was given (every service). */
  readonly services?: readonly string[];
  readonly strict: boolean;
  readonly quiet: boolean;
  readonly claimPortPaths: readonly string[];
  readonly firewall: boolean;
}

export type Request = RunRequest | { readonly kind: 'help' } | { readonly kind: 'version' } | { readonly kind: 'error'; readonly message: string };

/** Every flag, in the order --help lists them. A string flag that is not `multiple` may be given once, and not empty. */
export const FLAGS = {
  registry: { type: 'string', value: 'PATH', help: 'ports.yaml to check against (default: $DSA110_PORTS_FILE, then the bundled registry)' },
  root: {
    type: 'string',
    value: 'DIR',
    help: ['read systemd units, claim-port and config files under DIR instead of /', '(the socket table is always the live one)'],
  },
  json: { type: 'boolean', selectsJson: true, help: 'the report as one JSON object (same as --format json)' },
  format: { type: 'string', value: 'FORMAT', selectsJson: 'json', help: `${FORMATS.join(', ')} (default: text; prometheus: node_exporter's textfile format)` },
  output: { type: 'string', value: 'FILE', help: 'write the report to FILE atomically; stdout then shows the problems only' },
  service: { type: 'string', multiple: true, value: 'ID', help: 'check only this service (repeat, or separate ids with commas)' },
  'claim-port': {
    type: 'string',
    multiple: true,
    value: 'PATH',
    help: 'also count PATH (absolute, or a name systemd looks up) as claim-port in ExecStartPre= (repeatable)',
  },
  'no-firewall': {
    type: 'boolean',
    help: [
      'do not read the nftables ruleset (by default, as root, a robust service that is',
      'not public and that the firewall lets in from outside is an error)',
    ],
  },
  strict: { type: 'boolean', help: 'unknown listeners are warnings; unknown results count as warnings' },
  quiet: { type: 'boolean', short: 'q', help: 'print the problems only (nothing when all is well)' },
  ...STANDARD_OPTIONS,
} as const satisfies Flags;

/** The --help text: FLAGS' own lines between the summary and the examples. */
export function usage(): string {
  return `Usage: port-health-check [options]

Hold the DSA-110 port registry against this machine: systemd wiring of the
claim, listeners, owners, bind addresses, reserved ranges, kernel ranges.

Options:
${formatFlags(FLAGS)}

Examples:
  port-health-check                                   check every service; a table, then the problems
  port-health-check --service api,redis --quiet       only these two; print only what is wrong
  port-health-check --json | jq .exitCode             for scripts (.status: the worst severity)
  port-health-check --format prometheus --output /var/lib/prometheus/node-exporter/dsa110_ports.prom

Colour only on a terminal, never with NO_COLOR set or TERM=dumb.

Exit codes (the seed script's, NOT the Nagios order):
  0  all checks passed      1  errors found
  2  warnings only          3  the check could not run (unknown service, missing --root,
                               unwritable --output)
  ${EXIT_USAGE} usage error (unknown option, bad or missing value), as in claim-port and ports

${cacheHelp()}
`;
}

const HINT = 'see port-health-check --help';

/** What could be a --service value: ids (lower-case words) separated by commas. */
const SERVICE_IDS = /^[a-z][a-z0-9-]*(,[a-z][a-z0-9-]*)*$/;

export function parseArgs(argv: readonly string[]): Request {
  let values: Parsed<typeof FLAGS>['values'];
  try {
    ({ values } = parseCommandLine(argv, FLAGS, { hint: HINT }));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const unexpected = /^unexpected argument "([^"]*)"/.exec(error.message);
    // A word that could be service ids gets the hint; anything else (`-- --json`) is just unexpected.
    if (unexpected) {
      const word = unexpected[1]!;
      // `help` and `version` are what a user of git or systemctl types for --help and --version: point there, not at --service.
      const meant =
        word === 'help' ? ' (for usage, run port-health-check --help)' : word === 'version' ? ' (for the version, run port-health-check --version)' : '';
      return fail(`unexpected argument "${word}"${meant || (SERVICE_IDS.test(word) ? ` (services are chosen with --service ${word})` : '')}`);
    }
    return fail(error.message);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  for (const [name, flag] of Object.entries(FLAGS)) {
    if (flag.type !== 'string') continue;
    // `--service "$IDS"` with IDS unset must not quietly check every service.
    const value = values[name as keyof typeof values];
    if (value === '' || (Array.isArray(value) && value.includes(''))) return fail(`--${name} needs a non-empty value`);
    // (Given twice is refused by parseCommandLine, for all three tools.)
  }
  if (values.json && values.format !== undefined && values.format !== 'json') return fail(`--json and --format ${values.format} disagree; give one`);
  const format = values.json ? 'json' : (values.format ?? 'text');
  if (!FORMATS.includes(format as Format)) return fail(`--format must be one of ${FORMATS.join(', ')}, not "${format}"`);
  // --quiet trims the text report; a JSON or Prometheus report on stdout is a whole document (a script's, a
  // textfile's): refused together, not ignored (a cron line `--json --quiet` mailed the whole report every run).
  // Stdout as the output code decides it (`-`, /dev/stdout, /proc/self/fd/1: writesToStdout, which reads those links).
  if (values.quiet && format !== 'text' && (values.output === undefined || writesToStdout(values.output)))
    return fail(
      `--quiet is for the text report; with --format ${format} write the report with --output FILE (stdout then shows only the problems) or leave --quiet out`,
    );
  // A unit line names claim-port by an absolute path or a bare name (systemd looks it up); a relative path with a slash no unit that loads can name.
  const relative = (values['claim-port'] ?? []).find((path) => !path.startsWith('/') && path.includes('/'));
  if (relative !== undefined)
    return fail(
      `--claim-port ${quoteValue(relative)} is a relative path, which systemd refuses in ExecStartPre=; give an absolute path, or a command name without a slash (looked up as systemd looks it up)`,
    );
  const empty = (values.service ?? []).find((value) => !value.split(',').some((id) => id.trim() !== ''));
  if (empty !== undefined) return fail(`--service ${quoteValue(empty)} names no service; give ids separated by commas`);
  const services = (values.service ?? [])
    .flatMap((value) => value.split(','))
    .map((id) => id.trim())
    .filter(Boolean);
  // A value with spaces is kept whole: a service's name or title (`FastAPI Backend`) gets the registry's hint, and
  // ids separated by spaces (`--service "$IDS"`, IDS="api redis") the commas, once the registry knows them (cli.ts).
  return {
    kind: 'run',
    ...(values.registry !== undefined && { registry: values.registry }),
    // Named in messages as it names the same directory: `//` is `/`, `/srv/img/` is `/srv/img`; `..` is left to the kernel.
    ...(values.root !== undefined && { root: simplifyPath(values.root) }),
    format: format as Format,
    ...(values.output !== undefined && { output: values.output }),
    ...(services.length > 0 && { services }),
    strict: values.strict ?? false,
    quiet: values.quiet ?? false,
    claimPortPaths: (values['claim-port'] ?? []).map(asUnitText),
    firewall: !values['no-firewall'],
  };
}

/**
 * A --claim-port PATH as unit files hold it: it is compared with ExecStartPre=,
 * which is read as UTF-8 text (each byte that is not UTF-8 a U+FFFD), so a
 * path the bin read back with such bytes (kept as U+DC80+byte) is compared in
 * that form too.
 */
function asUnitText(path: string): string {
  const bytes = fileSystemPath(path);
  return typeof bytes === 'string' ? bytes : bytes.toString('utf8');
}

function fail(message: string): Request {
  return { kind: 'error', message };
}
