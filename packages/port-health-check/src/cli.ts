// The port-health-check command: parse arguments, run checkPorts, print or
// write the report, exit with the report's code (3 when it could not run).
import { fstatSync, writeSync } from 'node:fs';
import { PortsError } from '@dsa110/ports';
import { parseArgs, USAGE, useColor, type RunRequest } from './args.js';
import { EXIT } from './exit-code.js';
import { checkPorts } from './index.js';
import { renderJson } from './report/json.js';
import { renderPrometheus } from './report/prometheus.js';
import { renderText } from './report/text.js';
import type { HealthReport } from './report.js';
import { writeAtomic } from './write-atomic.js';

declare const PACKAGE_VERSION: string;

/**
 * Write straight to the file descriptor: touching process.stdout builds a
 * stream (net, tty, stream internals: several ms of start-up) for one write.
 */
function write(fd: 1 | 2, text: string): void {
  let buffer = Buffer.from(text);
  while (buffer.length > 0) {
    try {
      buffer = buffer.subarray(writeSync(fd, buffer));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return; // the reader went away (| head): nothing more to say
      if (code !== 'EAGAIN') throw error;
      (fd === 1 ? process.stdout : process.stderr).write(buffer); // a non-blocking pipe: let the stream queue it
      return;
    }
  }
}

/** A terminal, without loading node:tty (and with it net and stream): a TTY is a character device. */
function stdoutIsTerminal(): boolean {
  try {
    return fstatSync(1).isCharacterDevice();
  } catch {
    return false;
  }
}

function fail(message: string): number {
  write(2, `port-health-check: ${message}\n`);
  return EXIT.usage;
}

async function run(request: RunRequest): Promise<number> {
  let report: HealthReport;
  try {
    report = await checkPorts({
      ...(request.registry !== undefined && { registry: request.registry }),
      ...(request.root !== undefined && { root: request.root }),
      services: request.services,
      strict: request.strict,
      claimPortPaths: request.claimPortPaths,
    });
  } catch (error) {
    if (error instanceof PortsError) return fail(`${error.code === 'NOT_FOUND' ? '--root' : '--service'}: ${error.message}`);
    throw error;
  }
  const color = useColor(stdoutIsTerminal(), process.env);
  const rendered =
    request.format === 'json' ? renderJson(report) : request.format === 'prometheus' ? renderPrometheus(report) : renderText(report, { color: request.output ? false : color, quiet: request.quiet });
  if (request.output) {
    try {
      await writeAtomic(request.output, rendered);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return fail(`cannot write ${request.output}: ${code ?? (error as Error).message}; check that its directory exists and is writable`);
    }
    write(1, renderText(report, { color, quiet: true }));
  } else {
    write(1, rendered);
  }
  return report.exitCode;
}

async function main(): Promise<number> {
  const request = parseArgs(process.argv.slice(2));
  switch (request.kind) {
    case 'help':
      write(1, USAGE);
      return EXIT.ok;
    case 'version':
      write(1, `${typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : 'dev'}\n`);
      return EXIT.ok;
    case 'error':
      return fail(`${request.message}\nRun port-health-check --help for usage.`);
    case 'run':
      return run(request);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = fail(`could not run: ${(error as Error).message ?? String(error)}`);
  },
);
