// Running `ports` on real files in temp dirs: in-process through
// main(argv, io, env) (ports()), or the built bin (portsBin()).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectRun, runMain, waitUntil, worldReadablePackage } from '../../../../test-support/index.js';
import { spawnBinHolding } from '../../../../test-support/strace.js';
import { tempDir } from '../../../../test-support/tree.js';
import { main } from '../../src/cli/main.js';
import { repoRoot } from '../helpers.js';

// One temp-dir helper for every test: test-support's, which removes each dir after its test.
export { tempDir };

export const bin = join(repoRoot, 'packages/ports/bin/ports.js');

/**
 * The built `ports` bin for a test that runs it as another user (`nobody`):
 * in a world-readable copy of the package with yaml and zod, since the
 * checkout may not be readable by that user (a clone in a 0700 `mktemp -d`).
 */
export function binForOtherUsers(): string {
  return join(worldReadablePackage(join(repoRoot, 'packages/ports'), { yaml: ['.'], zod: ['.'] }), 'bin/ports.js');
}
/** The built `ports` bin run as `nobody` (setpriv) in `cwd`, without the cache: a user who may not read what root may. */
export function portsAsNobody(cwd: string, args: readonly string[]): Run {
  const run = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, binForOtherUsers(), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DSA110_PORTS_CACHE: 'off' },
    encoding: 'utf8',
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}
export const cliBundle = join(repoRoot, 'packages/ports/dist/cli/ports.js');
export const rootRegistry = readFileSync(join(repoRoot, 'ports.yaml'), 'utf8');
export const committedDocs = readFileSync(join(repoRoot, 'docs/ports.md'), 'utf8');

export function requireBuilt(): void {
  if (!existsSync(cliBundle)) throw new Error('packages/ports is not built: run `pnpm --filter @dsa110/ports build` first');
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `ports ARGS` in this process: main() with a clean environment (`env` only),
 * in `cwd` (default: a temp dir, so that no ./ports.yaml is found by accident).
 * Test files run their tests one at a time, so changing the directory is safe.
 */
export async function ports(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const previous = process.cwd();
  process.chdir(options.cwd ?? tmpdir());
  try {
    return await runMain(main, args, { ...options.env });
  } finally {
    process.chdir(previous);
  }
}

/** Run the built bin, `ports ARGS`, with a clean environment (PATH plus `env`), in `cwd`. */
export function portsBin(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return runScript(bin, args, options);
}

/** The built bin run as `script` (e.g. the path an npm install gives it), with `args`; PATH and `options.env` its only environment. */
export function runScript(script: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const child = spawn(process.execPath, [script, ...args], {
    cwd: options.cwd ?? tmpdir(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collectRun(child);
}

/**
 * Make `dir` a checkout of the registry as `ports` tells one (isRegistryCheckout): this package's package.json at
 * packages/ports, naming @dsa110/ports. Without it, a ports.yaml there is another project's, never read by default.
 */
export function markCheckout(dir: string): string {
  mkdirSync(join(dir, 'packages/ports'), { recursive: true });
  writeFileSync(join(dir, 'packages/ports/package.json'), '{ "name": "@dsa110/ports" }\n');
  return dir;
}

/** A temp dir holding `ports.yaml` (the root registry, or `text`), a checkout's (markCheckout), removed after the test; returns the dir. */
export function checkout(text = rootRegistry, docs?: string): string {
  const dir = markCheckout(tempDir());
  writeFileSync(join(dir, 'ports.yaml'), text);
  if (docs !== undefined) {
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs/ports.md'), docs);
  }
  return dir;
}

/** Replace `from` by `to` in `text`, failing loudly when `from` is not there. */
export function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`test setup: ${JSON.stringify(from)} not found`);
  return text.replace(from, to);
}

/** A control character other than the line feed that ends each line: none may reach output unescaped. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
export const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** A single-line stack-trace-free error: no "    at " frames. */
export function expectNoStack(text: string): void {
  if (/\n\s+at .+:\d+:\d+/.test(text)) throw new Error(`stderr has a stack trace:\n${text}`);
}

/**
 * Two runs of `ports COMMAND --out out` in `dir` at once: the built bin with registry b.yaml, strace holding each of
 * its renames 1.5 s, and, once the first of `differing` is B's (as in `ref`, B's own tree), one of the default
 * registry's, or, with `a`, of `a.args` run after `a.before()` (the same path as B's, its text changed: one registry
 * edited while it is written). `held`: B's first file came in time (else nothing more was run); `first`: that file;
 * `runA`: A's run; B's exit code and output; `bFiles()`: those of `differing` that are B's now.
 */
export async function twoWritersAtOnce(
  command: 'monitoring' | 'systemd',
  dir: string,
  out: string,
  ref: string,
  differing: readonly string[],
  a: { readonly args: readonly string[]; readonly before: () => void } = { args: [], before: () => {} },
) {
  const runB = spawnBinHolding('rename,renameat,renameat2', 1500, bin, ['--registry', 'b.yaml', command, '--out', out], {
    cwd: dir,
    env: { DSA110_PORTS_CACHE: 'off' },
  });
  const bFiles = () => differing.filter((path) => readFileSync(join(out, path), 'utf8') === readFileSync(join(ref, path), 'utf8'));
  const held = await waitUntil(() => bFiles().length > 0, 20_000);
  const [first] = bFiles();
  if (held) a.before();
  const runA = held ? await ports([...a.args, command, '--out', out], { cwd: dir }) : undefined;
  const code = await runB.exited;
  return { held, first, runA, code, stdout: runB.stdout(), stderr: runB.stderr(), bFiles };
}
