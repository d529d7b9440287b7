// A bin's stderr as systemd hands it to a unit: connected to a stream whose
// "DEVICE:INODE" is in $JOURNAL_STREAM (systemd.exec(5)). No journald here:
// stderr is a real file, or a real socket (Node's stdio pipe is a socketpair,
// as the journal's stream is a socket), and the variable names it, names
// another file, or is unset. The bin decides from the variable and its own
// fstat of fd 2 (@dsa110/ports/cli, journal.ts).
import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import type { Readable } from 'node:stream';
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tree.js';

/** How $JOURNAL_STREAM relates to the bin's stderr: names it, names another file, or is unset. */
export type JournalCase = 'stderr' | 'other' | 'unset';

export interface JournalRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The `dev:ino` of a file, as systemd formats $JOURNAL_STREAM (decimal st_dev and st_ino). */
export function streamIdOf(path: string): string {
  const { dev, ino } = statSync(path, { bigint: true });
  return `${dev}:${ino}`;
}

/**
 * `node script ...args` with stderr to a real file; $JOURNAL_STREAM per
 * `journal`; `sameFile`: stdout to that file too (a unit's default, both to the
 * journal), else to a pipe. `env` adds to PATH (the only variable otherwise).
 */
export function runWithStderrFile(
  script: string,
  args: readonly string[],
  journal: JournalCase,
  options: { env?: NodeJS.ProcessEnv; sameFile?: boolean } = {},
): JournalRun {
  const dir = tempDir('dsa110-journal-');
  const file = join(dir, 'stderr');
  const other = join(dir, 'other');
  writeFileSync(file, '');
  writeFileSync(other, '');
  const variable = journal === 'unset' ? {} : { JOURNAL_STREAM: streamIdOf(journal === 'stderr' ? file : other) };
  const fd = openSync(file, 'a');
  try {
    const run = spawnSync(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env, ...variable },
      stdio: ['ignore', options.sameFile ? fd : 'pipe', fd],
      encoding: 'utf8',
    });
    return { code: run.status, stdout: run.stdout ?? '', stderr: readFileSync(file, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

/**
 * `node script ...args` with stderr a socket (a pipe of the test, which reads
 * it) and $JOURNAL_STREAM set to that socket's own `dev:ino`, read by a shell
 * with stat(1) on its fd 2 before it execs node: as systemd hands a unit the
 * journal's stream socket.
 */
export function runWithStderrSocket(script: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<JournalRun> {
  const child = spawn(
    '/bin/sh',
    ['-c', 'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/2) || exit 99; export JOURNAL_STREAM; exec "$@"', 'sh', process.execPath, script, ...args],
    { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return collectRun(child);
}

/** A spawned child's exit code and its whole stdout and stderr (both piped), once it has closed them. */
export function collectRun(child: ChildProcessByStdio<null, Readable, Readable>): Promise<JournalRun> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
