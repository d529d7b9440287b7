// The port-health-check command: parse arguments, run checkPorts, print or
// write the report, exit with the report's code (3 when it could not run).
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

function fail(message: string): number {
  process.stderr.write(`port-health-check: ${message}\n`);
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
    if (error instanceof PortsError) return fail(`--service: ${error.message}`);
    throw error;
  }
  const color = useColor(process.stdout.isTTY, process.env);
  const rendered =
    request.format === 'json' ? renderJson(report) : request.format === 'prometheus' ? renderPrometheus(report) : renderText(report, { color: request.output ? false : color, quiet: request.quiet });
  if (request.output) {
    try {
      await writeAtomic(request.output, rendered);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return fail(`cannot write ${request.output}: ${code ?? (error as Error).message}; check that its directory exists and is writable`);
    }
    process.stdout.write(renderText(report, { color, quiet: true }));
  } else {
    process.stdout.write(rendered);
  }
  return report.exitCode;
}

async function main(): Promise<number> {
  const request = parseArgs(process.argv.slice(2));
  switch (request.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return EXIT.ok;
    case 'version':
      process.stdout.write(`${typeof PACKAGE_VERSION === 'string' ? PACKAGE_VERSION : 'dev'}\n`);
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
