// `ports`: argument parsing, dispatch and printing. Each command's work is in
// commands/<name>.ts over library functions; this file knows only the command
// line. Exit codes: see exit-code.ts.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '../suggest.js';
import type { Context, Io } from './context.js';
import { exitCode, outcomeOfError, UsageError, type Outcome } from './exit-code.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec {
  readonly usage: string;
  readonly summary: string;
  readonly help: string;
  readonly options: Options;
  /** Positional arguments: [min, max]. */
  readonly positionals: readonly [number, number];
  readonly run: () => Promise<{ run(context: Context): Promise<Outcome> }>;
}

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  list: {
    usage: 'ports list [--json]',
    summary: 'the registry as a table: services, then reserved ranges',
    help: '  --json    the services and reserved entries as JSON',
    options: { json: { type: 'boolean' } },
    positionals: [0, 0],
    run: () => import('./commands/list.js'),
  },
  get: {
    usage: 'ports get <id>',
    summary: "a service's effective port (its env override applied), alone on stdout",
    help: '  For shell use: uvicorn --port "$(ports get api)". Exits 1 for an unknown id or a bad override.',
    options: {},
    positionals: [1, 1],
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
    usage: 'ports free <reserved-id>',
    summary: 'the first port of a reserved range that can be bound now on 0.0.0.0 and [::]',
    help: '  Exits 1 when every port of the range is taken.',
    options: {},
    positionals: [1, 1],
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
    summary: 'write the claim-port drop-ins and the health check\'s timer units; print the unit-file lines',
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
    help: '',
    options: {},
    positionals: [0, 0],
    run: () => import('./commands/schema.js'),
  },
};

const GLOBAL: Options = {
  registry: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'Usage: ports [--registry PATH] <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Every command takes --registry PATH (default: $DSA110_PORTS_FILE, else the bundled ports.yaml).',
    'Exit codes: 0 ok, 1 check failed or not found, 2 usage error.',
    'Run "ports <command> --help" for a command\'s options.',
    '',
  ].join('\n');
}

function commandHelp(name: string, command: CommandSpec): string {
  return [`Usage: ${command.usage} [--registry PATH]`, '', `ports ${name}: ${command.summary}.`, ...(command.help ? ['', command.help] : []), ''].join('\n');
}

/** Run `ports` with `argv` (without node and the script); returns the exit code. */
export async function main(argv: readonly string[], io: Io, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
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
      if (argv.includes('--help') || argv.includes('-h') || commandName === 'help') {
        io.out(usage());
        return exitCode('ok');
      }
      if (argv.includes('--version')) {
        io.out(`${await version()}\n`);
        return exitCode('ok');
      }
      throw new UsageError(argv.length === 0 ? 'no command given' : `no command given (got ${argv.join(' ')})`);
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
    const [min, max] = command.positionals;
    if (positionals.length < min) throw new UsageError(`ports ${commandName}: missing argument; usage: ${command.usage}`);
    if (positionals.length > max) {
      throw new UsageError(`ports ${commandName}: unexpected argument "${positionals[max]}"; usage: ${command.usage}`);
    }
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
    return exitCode(outcome);
  }
}

function parse(name: string, command: CommandSpec, args: string[]) {
  try {
    return parseArgs({ args, options: { ...GLOBAL, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const option = /'([^']+)'/.exec((error as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`ports ${name}: unknown option "${option.split(' ')[0]}"; usage: ${command.usage}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      // "Option '--format <value>' argument missing" or "Option '--json' does not take an argument"
      const flag = option.split(' ')[0]!.split(',').pop()!.trim();
      const missing = / argument missing/.test((error as Error).message);
      throw new UsageError(`ports ${name}: ${missing ? `${flag} needs a value` : `${flag} takes no value`}; usage: ${command.usage}`);
    }
    throw new UsageError(`ports ${name}: ${(error as Error).message}`);
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
