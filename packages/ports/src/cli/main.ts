// `ports`: main(argv, io, env) -> exit code: argument parsing, dispatch and
// printing. Each command's work is in commands/<name>.ts over library
// functions; this file knows only the command line: to add a flag to a
// command, add it to the command's `options` and `help` below and read it
// from context.values in its file. Exit codes: see exit-code.ts.
import { type Env, errorJson, type Options, parseCommandLine, STANDARD_OPTIONS, UsageError as ParseError, wantsJson } from '../cli-kit/index.js';
import { didYouMean } from '../suggest.js';
import type { Context, Io } from './context.js';
import { exitCode, outcomeOfError, UsageError, type Outcome } from './exit-code.js';

export interface CommandSpec {
  readonly usage: string;
  readonly summary: string;
  readonly help: string;
  readonly options: Options;
  /** Positional arguments: [min, max]. */
  readonly positionals: readonly [number, number];
  /** The command prints JSON with --json (context.values.json); without this, --json is a usage error. */
  readonly json?: true;
  readonly run: () => Promise<{ run(context: Context): Promise<Outcome> }>;
}

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  list: {
    usage: 'ports list [--json]',
    summary: 'the registry as a table: services, then reserved ranges',
    help: '  --json    the services and reserved entries as JSON',
    options: {},
    positionals: [0, 0],
    json: true,
    run: () => import('./commands/list.js'),
  },
  get: {
    usage: 'ports get <id> [--json]',
    summary: "a service's effective port (its env override applied), alone on stdout",
    help: '  For shell use: uvicorn --port "$(ports get api)". Exits 1 for an unknown id or a bad override.\n  --json    {"id":"api","port":8000,"source":"registry"} (source "env": its variable named)',
    options: {},
    positionals: [1, 1],
    json: true,
    run: () => import('./commands/get.js'),
  },
  env: {
    usage: 'ports env [--format sh|dotenv|systemd]',
    summary: 'the env variables of the configurable services, with their registry ports',
    help: '  --format sh       export CONTIMG_API_PORT=8000 (default)\n  --format dotenv   CONTIMG_API_PORT=8000\n  --format systemd  Environment=CONTIMG_API_PORT=8000',
    options: { format: { type: 'string' } },
    positionals: [0, 0],
    run: () => import('./commands/env.js'),
  },
  validate: {
    usage: 'ports validate [FILE...]',
    summary: 'validate registries; one FILE:LINE:COL: path: message line per problem',
    help: '  Without FILE: --registry, $DSA110_PORTS_FILE, else ./ports.yaml. Exits 1 if any file has a problem.',
    options: {},
    positionals: [0, Infinity],
    run: () => import('./commands/validate.js'),
  },
  free: {
    usage: 'ports free <reserved-id> [--json]',
    summary: 'the first port of a reserved range that can be bound now on 0.0.0.0 and [::]',
    help: '  Exits 1 when every port of the range is taken.\n  --json    {"id":"dashboard-fallback","port":3210}',
    options: {},
    positionals: [1, 1],
    json: true,
    run: () => import('./commands/free.js'),
  },
  docs: {
    usage: 'ports docs [--check] [--file PATH]',
    summary: 'regenerate the generated sections of the port reference page',
    help: '  --file PATH  the page (default: docs/ports.md in the current directory)\n  --check      write nothing; print a diff and exit 1 when the page is stale\n  Without --registry: $DSA110_PORTS_FILE, else ./ports.yaml when it exists, else the bundled registry.',
    options: { check: { type: 'boolean' }, file: { type: 'string' } },
    positionals: [0, 0],
    run: () => import('./commands/docs.js'),
  },
  systemd: {
    usage: 'ports systemd [--out DIR | --root DIR] [--claim-port PATH] [--port-health-check PATH] [--textfile FILE] [--check]',
    summary: "write the claim-port drop-ins and the health check's timer units; print the unit-file lines",
    help: [
      '  --out DIR                 the unit directory to write to (default: /etc/systemd/system)',
      '  --root DIR                use DIR/etc/systemd/system (a staged or mounted root) as the unit directory',
      '  --claim-port PATH         the claim-port executable (default: /usr/local/bin/claim-port)',
      '  --port-health-check PATH  the port-health-check executable dsa110-port-health.service runs',
      '                            (default: /usr/local/bin/port-health-check)',
      '  --textfile FILE           the .prom file it writes for node_exporter',
      '                            (default: /var/lib/prometheus/node-exporter/dsa110_ports.prom)',
      '  --check                   write nothing; exit 1 when the files differ from the registry',
    ].join('\n'),
    options: {
      out: { type: 'string' },
      root: { type: 'string' },
      'claim-port': { type: 'string' },
      'port-health-check': { type: 'string' },
      textfile: { type: 'string' },
      check: { type: 'boolean' },
    },
    positionals: [0, 0],
    run: () => import('./commands/systemd.js'),
  },
  firewall: {
    usage: 'ports firewall [--format nft|ufw]',
    summary: "firewall rules from the services' access levels, for the registry's ports only",
    help: [
      '  --format nft  an nft script replacing table inet dsa110_ports (default); load with nft -f, check with nft -c -f',
      '  --format ufw  ufw commands, allows before denies',
      '  public: from anywhere; private: from 10/8, 172.16/12, 192.168/16, fc00::/7, fe80::/10; localhost and dev: loopback only.',
      '  Other ports (SSH, node_exporter) are left to the host: the rules never lock anyone out.',
    ].join('\n'),
    options: { format: { type: 'string' } },
    positionals: [0, 0],
    run: () => import('./commands/firewall.js'),
  },
  snippet: {
    usage: 'ports snippet <kind>',
    summary: 'what a config file that names a port should say (nginx-site, prometheus-yml, prometheus-args, grafana-datasource, grafana-ini, redis-conf)',
    help: [
      "  Printed from the registry, with the services' env overrides applied (CONTIMG_API_PORT=8010 ports snippet nginx-site).",
      "  port-health-check holds the files named in each service's configs: against the same registry.",
    ].join('\n'),
    options: {},
    positionals: [1, 1],
    run: () => import('./commands/snippet.js'),
  },
  monitoring: {
    usage: 'ports monitoring [--out DIR] [--check]',
    summary: 'write the Prometheus config, alert rules and their tests, and the Grafana dashboard',
    help: [
      '  --out DIR  the directory to write (default: deploy in the current directory)',
      '  --check    write nothing; print a diff and exit 1 when a file is missing or stale',
      '  Validate what it writes: promtool check config DIR/prometheus/prometheus.yml;',
      '  promtool test rules DIR/prometheus/rules/dsa110-ports.rules.test.yml.',
    ].join('\n'),
    options: { out: { type: 'string' }, check: { type: 'boolean' } },
    positionals: [0, 0],
    run: () => import('./commands/monitoring.js'),
  },
  schema: {
    usage: 'ports schema',
    summary: 'the JSON Schema of ports.yaml',
    help: '  The output is JSON, with or without --json.',
    options: {},
    positionals: [0, 0],
    json: true,
    run: () => import('./commands/schema.js'),
  },
};

/** What every command takes. */
const GLOBAL = {
  ...STANDARD_OPTIONS,
  registry: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Options;

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'Usage: ports [--registry PATH] <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Every command takes --registry PATH (default: $DSA110_PORTS_FILE, else the bundled ports.yaml),',
    '--json (one JSON object on stdout, errors included), -h/--help and -V/--version.',
    '',
    'Examples:',
    '  ports list                          every service and reserved range',
    '  uvicorn --port "$(ports get api)"   a service\'s port, its env override applied',
    '  ports systemd --check               exit 1 when the installed drop-ins drifted from ports.yaml',
    '  ports docs --check                  exit 1 when docs/ports.md is stale',
    '',
    `Exit codes: 0 ok, 1 check failed or not found, ${EXIT_USAGE_TEXT} usage error.`,
    'Run "ports <command> --help" for a command\'s options.',
    '',
  ].join('\n');
}

const EXIT_USAGE_TEXT = exitCode('usage');

function commandHelp(name: string, command: CommandSpec): string {
  return [`Usage: ${command.usage} [--registry PATH]`, '', `ports ${name}: ${command.summary}.`, ...(command.help ? ['', command.help] : []), ''].join('\n');
}

/** Run `ports` with `argv` (without node and the script); returns the exit code. */
export async function main(argv: readonly string[], io: Io, env: Env = process.env): Promise<number> {
  const json = wantsJson(argv);
  // `--registry PATH` may come before the command: skip its value when looking for the command.
  const commandIndex = argv.findIndex((arg, index) => !arg.startsWith('-') && argv[index - 1] !== '--registry');
  const commandName = commandIndex >= 0 ? argv[commandIndex] : undefined;
  try {
    if (commandName === undefined || commandName === 'help') {
      const topic = commandName === 'help' ? argv[commandIndex + 1] : undefined;
      if (topic !== undefined && COMMANDS[topic]) {
        io.out(commandHelp(topic, COMMANDS[topic]));
        return exitCode('ok');
      }
      if (topic !== undefined) throw new UsageError(`unknown command "${topic}"`);
      // Bare `ports` is a question, not a mistake: the help, exit 0.
      if (argv.length === 0 || argv.includes('--help') || argv.includes('-h') || commandName === 'help') {
        io.out(usage());
        return exitCode('ok');
      }
      if (argv.includes('--version') || argv.includes('-V')) {
        io.out(`${await version()}\n`);
        return exitCode('ok');
      }
      throw new UsageError(`no command given (got ${argv.join(' ')})`);
    }
    const command = COMMANDS[commandName];
    if (!command) {
      throw new UsageError(`unknown command "${commandName}"${didYouMean(commandName, Object.keys(COMMANDS))}; commands: ${Object.keys(COMMANDS).join(', ')}`);
    }
    const args = [...argv.slice(0, commandIndex), ...argv.slice(commandIndex + 1)];
    const { values, positionals } = parse(commandName, command, args);
    if (values.help) {
      io.out(commandHelp(commandName, command));
      return exitCode('ok');
    }
    if (values.version) {
      io.out(`${await version()}\n`);
      return exitCode('ok');
    }
    const [min, max] = command.positionals;
    if (positionals.length < min) throw new UsageError(`ports ${commandName}: missing argument; usage: ${command.usage}`);
    if (positionals.length > max) {
      throw new UsageError(`ports ${commandName}: unexpected argument "${positionals[max]}"; usage: ${command.usage}`);
    }
    if (values.json && !command.json) throw new UsageError(`ports ${commandName}: has no JSON output; drop --json`);
    const registryPath = values.registry as string | undefined;
    if (registryPath === '') throw new UsageError(`ports ${commandName}: --registry needs a path`);
    const module = await command.run();
    return exitCode(await module.run({ io, env, registryPath, values: values as Context['values'], positionals }));
  } catch (error) {
    const { outcome, expected } = outcomeOfError(error);
    const message = error instanceof Error ? error.message : String(error);
    if (outcome === 'usage') io.err(`${message.startsWith('ports') ? '' : 'ports: '}${message}\nRun "ports --help" for usage.\n`);
    else if (expected) io.err(`${message}\n`);
    else io.err(`ports: internal error (please report it): ${error instanceof Error ? error.stack : message}\n`);
    const code = exitCode(outcome);
    if (json) io.out(errorJson('ports', outcome === 'usage' ? 'usage' : 'error', message, code));
    return code;
  }
}

function parse(name: string, command: CommandSpec, args: string[]) {
  try {
    return parseCommandLine(args, { ...GLOBAL, ...command.options }, { maxPositionals: Infinity, hint: `usage: ${command.usage}` });
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    // "unknown option --jsn; usage: ..." -> "ports list: unknown option "--jsn"; usage: ..."
    throw new UsageError(`ports ${name}: ${error.message.replace(/^unknown option (\S+);/, 'unknown option "$1";')}`);
  }
}

async function version(): Promise<string> {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  for (const candidate of ['../../package.json', '../package.json']) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === '@dsa110/ports') return pkg.version ?? 'unknown';
    } catch {}
  }
  return 'unknown';
}
