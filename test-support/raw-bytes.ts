// Running a bin with arguments and environment values that are not UTF-8,
// as the kernel would give them: spawn() encodes each string as UTF-8, so a
// Buffer value is made by the shell's printf instead, as its own bytes.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CapturedRun } from './cli.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/** The bytes of a path whose last part is given in Latin-1: `bytePath('/tmp/x', 'p\xf6rts.yaml')` ends in the byte 0xf6, not UTF-8. */
export function bytePath(dir: string, name: string): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(name, 'latin1')]);
}

/** A shell word that expands to exactly `bytes`. */
function printfWord(bytes: Buffer): string {
  return `"$(printf '%b' '${[...bytes].map((byte) => `\\0${byte.toString(8).padStart(3, '0')}`).join('')}')"`;
}

export interface RawRunOptions {
  /** The environment (default: this process's, with the registry cache off); a Buffer value is set as its bytes. */
  readonly env?: Readonly<Record<string, string | Buffer>>;
  readonly cwd?: string;
}

/**
 * Run `node ...nodeArgs ...args` (a Buffer argument as its own bytes) and wait
 * for it. String words are passed as the shell's positional parameters, never
 * parsed by it.
 */
export function runWithBytes(nodeArgs: readonly string[], args: readonly (string | Buffer)[], options: RawRunOptions = {}): CapturedRun {
  const plain: string[] = [process.execPath, ...nodeArgs];
  const words = plain.map((_, index) => `"\${${index + 1}}"`);
  for (const arg of args) {
    if (typeof arg === 'string') {
      plain.push(arg);
      words.push(`"\${${plain.length}}"`);
    } else {
      words.push(printfWord(arg));
    }
  }
  const env: Record<string, string> = {};
  const exports: string[] = [];
  for (const [name, value] of Object.entries(options.env ?? { ...process.env, DSA110_PORTS_CACHE: 'off' })) {
    if (value === undefined) continue;
    if (typeof value === 'string') env[name] = value;
    else exports.push(`${name}=${printfWord(value)}; export ${name}; `);
  }
  const run = spawnSync('/bin/sh', ['-c', `${exports.join('')}exec ${words.join(' ')}`, 'sh', ...plain], {
    cwd: options.cwd ?? repoRoot,
    encoding: 'utf8',
    env,
  });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

/** Node options that run a bin from its TypeScript source (`development` condition, tsx), with a `--` before the script. */
export function fromSource(script: string): string[] {
  return ['--conditions=development', '--import', 'tsx', '--', fileURLToPath(new URL(script, new URL('../', import.meta.url)))];
}
