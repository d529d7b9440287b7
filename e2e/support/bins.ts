// The project's own commands, run as built JavaScript exactly as an operator
// runs them (`node packages/<pkg>/bin/<name>.js`), never imported.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from './registry.js';

export const bins = {
  'port-health-check': 'packages/port-health-check/bin/port-health-check.js',
  'claim-port': 'packages/claim-port/bin/claim-port.js',
  ports: 'packages/ports/bin/ports.js',
} as const;

export type BinName = keyof typeof bins;

export function binPath(name: BinName): string {
  return `${repoRoot}${bins[name]}`;
}

/** Why a bin cannot run (not built), or undefined. The bin names its built entry (`import '../dist/cli.js'`). */
export function binProblem(name: BinName): string | undefined {
  const bin = binPath(name);
  if (!existsSync(bin)) return `${bins[name]} does not exist`;
  const target = /(?:import|require\()\s*['"](\.{1,2}\/[^'"]+)['"]/.exec(readFileSync(bin, 'utf8'))?.[1];
  if (target && !existsSync(join(dirname(bin), target))) {
    return `${join(dirname(bins[name]), target)} (which ${bins[name]} loads) is missing: run \`npx -y pnpm@10.34.9 build\` first`;
  }
  return undefined;
}

export interface BinResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The command line, for failure messages. */
  command: string;
}

/** Variables that would move a port away from the test registry's. */
const OVERRIDES = ['DSA110_PORTS_FILE', 'REDIS_PORT', 'CONTIMG_API_PORT', 'CONTIMG_DOCS_PORT', 'NO_COLOR', 'FORCE_COLOR'];

export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of OVERRIDES) delete env[name];
  return { ...env, NO_COLOR: '1', ...extra };
}

export function runBin(name: BinName, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<BinResult> {
  const problem = binProblem(name);
  if (problem) throw new Error(`e2e: cannot run ${name}: ${problem}`);
  const command = `node ${bins[name]} ${args.join(' ')}`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [binPath(name), ...args],
      { cwd: repoRoot, env: options.env ?? cleanEnv(), timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr, command });
      },
    );
  });
}

/** For expect(...) messages: the whole exchange. */
export function show(result: BinResult): string {
  return `$ ${result.command}\nexit ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}
