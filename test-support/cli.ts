// Calling a tool's main(argv, io, env) in-process, as clack's tests do: a fake
// io that records what was printed. The real code runs; only the process edges
// (fds 1 and 2, process.env) are replaced.
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tree.js';

export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface FakeIo {
  out(text: string): void;
  err(text: string): void;
  readonly stdoutIsTTY: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export function fakeIo(options: { tty?: boolean } = {}): FakeIo {
  let stdout = '';
  let stderr = '';
  return {
    out: (text) => void (stdout += text),
    err: (text) => void (stderr += text),
    stdoutIsTTY: options.tty ?? false,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

type Main = (argv: readonly string[], io: FakeIo, env: Readonly<Record<string, string | undefined>>) => Promise<number>;

/** Run `main` with `argv` and `env` (default: no variables at all, so the machine's own cannot leak in). */
export async function runMain(
  main: Main,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  options: { tty?: boolean } = {},
): Promise<CapturedRun> {
  const io = fakeIo(options);
  const code = await main(argv, io, env);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** Each declared flag as a help text prints it: `-x` for a short name, then `--name`. */
export function flagSpellings(flags: Readonly<Record<string, object>>): string[] {
  return Object.entries(flags).flatMap(([name, flag]) => [...('short' in flag && flag.short ? [`-${String(flag.short)}`] : []), `--${name}`]);
}

/**
 * The flags a help text lists in its "Options:" section, as printed: each
 * `--name` and `-x` at the start of an option line. Read from the text, not
 * from the declarations, so a test can hold one against the other.
 */
export function flagsInHelp(help: string): string[] {
  const section = help.split('\nOptions:\n')[1];
  if (section === undefined) throw new Error(`no "Options:" section in the help:\n${help}`);
  const flags: string[] = [];
  for (const line of section.split('\n')) {
    if (line.trim() === '') break; // the section ends at the first blank line
    const match = /^ {2}(-[A-Za-z], )?(--[a-z][a-z0-9-]*)/.exec(line);
    if (!match) continue; // a continuation line
    if (match[1]) flags.push(match[1].slice(0, 2));
    flags.push(match[2]!);
  }
  return flags;
}

/**
 * A package's bin as it stands in a checkout that was never built: `bin/`
 * and `package.json` copied into a temp dir without `dist/`, run with node.
 * What a user who skipped `pnpm build` sees.
 */
export function runUnbuiltBin(packageDir: string, bin: string, args: readonly string[] = []): CapturedRun {
  const dir = tempDir('dsa110-unbuilt-');
  cpSync(join(packageDir, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(packageDir, 'package.json'), join(dir, 'package.json'));
  const run = spawnSync(process.execPath, [join(dir, 'bin', bin), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}
