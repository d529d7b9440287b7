// The port-health-check command: main(argv, io, env) -> exit code. Parse the
// arguments (args.ts: every flag, its help and its reading), run checkPorts, print or write the report, and return
// the report's code; 3 when the check could not run, 64 for a usage error.
import { escapeText, oneLine, PortsError, printedShellWord, quoteValue, REGISTRY_ENV, registryPath } from '@dsa110/ports';
import {
  type Env,
  errorJson,
  fileSystemPath,
  type Io,
  lostPathMessage,
  notUtf8PathMessage,
  packageVersion,
  usageHint,
  wantsJson,
  workingDirectoryGone,
} from '@dsa110/ports/cli';
import { FLAGS, parseArgs, usage, useColor, type RunRequest } from './args.js';
import { EXIT } from './exit-code.js';
import { checkPorts } from './index.js';
import { renderJson, renderJsonProblems } from './report/json.js';
import { renderPrometheus } from './report/prometheus.js';
import { type JournalLevel, renderText, textLines } from './report/text.js';
import type { HealthReport } from './report.js';
import { SpacedIdsError } from './spaced-ids.js';
import { FileWriteError, writeOutputFile } from '@dsa110/ports/files';
import { statSync } from 'node:fs';

const version = () => packageVersion(import.meta.url, '@dsa110/port-health-check');

/**
 * One line on stderr (then `hint`, a line for people only); when JSON was
 * asked for (FLAGS' `selectsJson`) also one JSON object on stdout, whose
 * message is the one line. Returns the code.
 */
function fail(io: Io, json: boolean, message: string, code: number, hint = ''): number {
  // One line whatever a value in it held (values are escaped where they are quoted; this is the net).
  io.err(`port-health-check: ${oneLine(message)}\n${hint}`, 'error');
  if (json) io.out(errorJson('port-health-check', code === EXIT.usage ? 'usage' : 'error', message, code));
  return code;
}

/**
 * The registry file this run reads when `output` is that same file (through
 * any link): `--registry ports.yaml --output ports.yaml` would replace the
 * registry with the report. Undefined when they differ or cannot be compared.
 */
function outputIsRegistry(output: string | undefined, registry: string | undefined): string | undefined {
  if (output === undefined || output === '-' || !registry) return undefined;
  try {
    const [a, b] = [statSync(fileSystemPath(output)), statSync(fileSystemPath(registry))];
    return a.isFile() && a.dev === b.dev && a.ino === b.ino ? registry : undefined;
  } catch {
    return undefined; // a new file, or one it cannot see: not the registry it reads
  }
}

async function run(request: RunRequest, io: Io, env: Env, onReportWritten: () => void): Promise<number> {
  const json = request.format === 'json';
  const registryFile = outputIsRegistry(request.output, registryPath({ ...(request.registry !== undefined && { path: request.registry }), env }));
  if (registryFile !== undefined) {
    return fail(
      io,
      json,
      `cannot write ${escapeText(request.output!)}: it is the registry this check reads (${escapeText(registryFile)}); give another path (nothing was written)`,
      EXIT.failed,
    );
  }
  let report: HealthReport;
  try {
    report = await checkPorts({
      ...(request.registry !== undefined && { registry: request.registry, registryOrigin: 'from --registry' }),
      ...(request.root !== undefined && { root: request.root }),
      ...(request.services !== undefined && { services: request.services }),
      strict: request.strict,
      claimPortPaths: request.claimPortPaths,
      firewall: request.firewall,
      env,
    });
  } catch (error) {
    // Ids separated by spaces: the same ids with commas, as one word the shell reads back whole (a usage error).
    if (error instanceof SpacedIdsError) {
      const fixed = request.services!.flatMap((id) => (id === error.value ? error.ids : [id])).join(',');
      return fail(
        io,
        json,
        `--service ${quoteValue(error.value)}: separate ids with commas, not spaces (--service ${printedShellWord(fixed)})`,
        EXIT.usage,
        `${usageHint('port-health-check --help')}\n`,
      );
    }
    if (error instanceof PortsError) return fail(io, json, `${error.code === 'NOT_FOUND' ? '--root' : '--service'}: ${error.message}`, EXIT.failed);
    throw error;
  }
  const color = useColor(io.stdoutIsTTY, env);
  // Text on stdout: each line with its journal priority (a timer's run: `journalctl -p warning`). Lines of one priority
  // in a row go in one write: one write a line was 1,212 writes for a registry of 500 services (6 runs of a priority).
  const printText = (options: { color: boolean; quiet: boolean }) => {
    let run = '';
    let level: JournalLevel | undefined;
    for (const line of textLines(report, options)) {
      if (line.level !== level && run !== '') {
        io.out(run, level);
        run = '';
      }
      level = line.level;
      run += `${line.text}\n`;
    }
    if (run !== '') io.out(run, level);
  };
  if (request.format === 'text' && !request.output) {
    printText({ color, quiet: request.quiet });
    return report.exitCode;
  }
  const rendered =
    request.format === 'json'
      ? renderJson(report)
      : request.format === 'prometheus'
        ? renderPrometheus(report)
        : renderText(report, { color: false, quiet: request.quiet });
  if (request.output) {
    try {
      // `-` is stdout; a regular file is replaced atomically, a device (/dev/null) or FIFO written in place.
      // A replaced file others could write is narrowed, said on stderr as this tool's line (`port-health-check: warning: made ...`).
      const warn = (line: string) => io.err(`port-health-check: ${line}`, 'warn');
      if (writeOutputFile(request.output, rendered, { stdout: (text) => io.out(text), warn }) === 'stdout') return report.exitCode;
      onReportWritten();
    } catch (error) {
      if (!(error instanceof FileWriteError)) throw error;
      return fail(io, json, `cannot write ${escapeText(request.output)}: ${error.reason}`, EXIT.failed);
    }
    // stdout then shows the problems only: as lines, or with --json as one JSON object (never text a script's JSON parser chokes on).
    if (json) io.out(renderJsonProblems(report, request.output));
    else printText({ color, quiet: true });
  } else {
    io.out(rendered);
  }
  return report.exitCode;
}

/**
 * What the bin could not read back (commandLine, processEnvironment): an
 * argument's bytes that are not UTF-8 (`bytesLost`), or those of the
 * variables named in `lostVariables`; a path holding U+FFFD there is refused.
 */
export interface LostBytes {
  readonly bytesLost?: boolean;
  readonly lostVariables?: readonly string[];
}

/** What the bin passes main() besides argv, io and env. */
export interface MainOptions extends LostBytes {
  /** Called when --output has written the report to its file (not to stdout, as `-` and /dev/stdout do): stdout then holds only the problem lines. */
  readonly onReportWritten?: () => void;
}

/**
 * Why a path of the request cannot be used, or undefined. --registry, --output
 * and $DSA110_PORTS_FILE (when it is the registry read) are opened by their
 * bytes, read back by the bin; lost, each U+FFFD may stand for any bytes, so
 * they are refused, never opened as another file. --root is refused even read
 * back: the unit files, configs and executables under it are opened by UTF-8
 * names. (--claim-port is no path opened: it is compared with ExecStartPre=,
 * as args.ts reads it.)
 */
function pathRefusal(request: RunRequest, env: Env, { bytesLost = false, lostVariables = [] }: LostBytes): string | undefined {
  const given = (['registry', 'output', 'root'] as const).flatMap((name) => (request[name] === undefined ? [] : [[`--${name}`, request[name]] as const]));
  for (const [what, path] of given) {
    const lost = bytesLost ? lostPathMessage(what, path) : undefined;
    if (lost) return lost;
  }
  const fromEnv = env[REGISTRY_ENV];
  if (request.registry === undefined && fromEnv && lostVariables.includes(REGISTRY_ENV)) {
    const lost = lostPathMessage(`$${REGISTRY_ENV}`, fromEnv);
    if (lost) return lost;
  }
  return request.root === undefined
    ? undefined
    : notUtf8PathMessage('--root', request.root, 'the unit files, config files and executables under it are read by UTF-8 names');
}

export async function main(argv: readonly string[], io: Io, env: Env, options: MainOptions = {}): Promise<number> {
  const json = wantsJson(argv, FLAGS);
  try {
    const request = parseArgs(argv);
    switch (request.kind) {
      case 'help':
        io.out(usage());
        return EXIT.ok;
      case 'version':
        io.out(`${await version()}\n`);
        return EXIT.ok;
      case 'error':
        // The pointer to --help, unless the message gives it already (`unknown option --bogus; see port-health-check --help`).
        return fail(io, json, request.message, EXIT.usage, request.message.includes('--help') ? '' : `${usageHint('port-health-check --help')}\n`);
      case 'run': {
        const refused = pathRefusal(request, env, options);
        if (refused) return fail(io, json, refused, EXIT.usage);
        return await run(request, io, env, options.onReportWritten ?? (() => {}));
      }
    }
  } catch (error) {
    return fail(io, json, `could not run: ${workingDirectoryGone(error) ?? (error as Error).message ?? String(error)}`, EXIT.failed);
  }
}
