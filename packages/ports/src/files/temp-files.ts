// The temporary files of the atomic writers (write.ts's replace of a report or
// a generated file; cache.ts's cache entries), written beside their target and
// renamed over it. A writer killed between the two left its temporary file for
// ever: in node_exporter's textfile directory, one `.NAME.PID.STAMP.tmp` per
// killed health check (systemd's SIGTERM on stop or timeout); in the cache
// directory, up to 1 MB each. Two remedies, both paid for only by a write:
//
// - holdTemp: from before the file is made until it is renamed or removed,
//   SIGTERM, SIGINT and SIGHUP have a listener here. A listener defers the
//   signal (Node runs it from its event loop, never inside the synchronous
//   write), so the write finishes and the temporary file is renamed; then the
//   listener runs and, when no one else listens, ends the process by that same
//   signal, as it would have ended. One that runs while a file is still held
//   removes it first. Installed at the first write, not at start: about 0.1 ms.
// - removeStaleTemps: each run that would write a target first removes what
//   killed writers of it left (SIGKILL cannot be caught), even when the target
//   is up to date and nothing is written; a --check finds them with
//   findStaleTemps and says so: see there.
import { lstatSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';

/** The signals whose listener holdTemp installs (and keeps two turns of the loop after the last release). */
export const TEMP_FILE_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** Temporary files being written, by name, each with the path (bytes, for a name that is not UTF-8) to remove it by. */
const held = new Map<string, string | Buffer>();
let listening = false;
let releases = 0;

/** `temp` is about to be made: removed, should one of TEMP_FILE_SIGNALS end the process before releaseTemp. */
export function holdTemp(temp: string, fsPath: string | Buffer = temp): void {
  held.set(temp, fsPath);
  if (listening) return;
  listening = true;
  // First, so that every other listener is still there to be counted when this one runs.
  for (const signal of TEMP_FILE_SIGNALS) process.prependListener(signal, onSignal);
}

/**
 * `temp` was renamed into place, or removed. The listeners stay two turns of
 * the event loop longer: a signal that came during the write is waiting in
 * the loop's signal pipe, and removing them now would drop it (the process
 * would carry on, never stopping for systemd's SIGTERM).
 */
export function releaseTemp(temp: string): void {
  held.delete(temp);
  if (!listening || held.size > 0) return;
  const release = ++releases;
  setImmediate(() =>
    setImmediate(() => {
      if (release === releases && held.size === 0) stopListening();
    }),
  );
}

/**
 * Whether holdTemp's listeners are still there (a file held, or released
 * less than two turns of the loop ago): a signal may then be waiting to end
 * the process (io.ts, exitNow). Other listeners for the same signals
 * (claim-port's, which ignore a signal once its claim has decided) are not
 * counted.
 */
export function holdingTempSignals(): boolean {
  return listening;
}

function stopListening(): void {
  listening = false;
  for (const signal of TEMP_FILE_SIGNALS) process.removeListener(signal, onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  for (const fsPath of held.values()) {
    try {
      unlinkSync(fsPath);
    } catch {
      // renamed or removed already
    }
  }
  held.clear();
  // Only this listener: the signal's own action (the end of the process) is what it held back.
  if (process.listenerCount(signal) > 1) return;
  stopListening();
  process.kill(process.pid, signal);
}

/**
 * Whose temporary file a directory entry is: the PID (from its name) of the
 * writer that made it, or undefined when the name is not such a file's. The
 * name is raw bytes, as readdir gives it.
 */
export type TempWriter = (name: Buffer) => number | undefined;

/**
 * A TempWriter for names that start with one of `prefixes` (the writer's own
 * pattern for a target, as bytes) followed by what `rest` matches (ASCII; its
 * group 1 the writer's PID).
 */
export function tempsOf(prefixes: readonly Buffer[], rest: RegExp): TempWriter {
  return (name) => {
    for (const prefix of prefixes) {
      if (name.length <= prefix.length || !name.subarray(0, prefix.length).equals(prefix)) continue;
      const pid = rest.exec(name.subarray(prefix.length).toString('latin1'))?.[1];
      if (pid !== undefined) return Number(pid);
    }
    return undefined;
  };
}

/**
 * Remove the temporary files in `dir` that writers of the same targets, since
 * killed, left: names `writer` knows (the writers' own patterns), regular
 * files (never a link, never followed), owned by one of `owners`, last
 * written over a minute ago (LIVE_WRITE_MS), whose writer is gone: no process
 * has that PID, or the one that has it started after the file was last
 * written (the PID was reused). A live writer's file (two timers overlapping)
 * is never touched, nor anything else in the directory (a textfile directory
 * is shared with other exporters). One readdir; never throws (a file it
 * cannot judge stays). Returns the paths removed.
 */
export function removeStaleTemps(dir: Buffer, writer: TempWriter, owners: readonly number[]): Buffer[] {
  return staleTemps(dir, writer, owners, true);
}

/** The files removeStaleTemps would remove, left where they are (a --check writes nothing): their paths. */
export function findStaleTemps(dir: Buffer, writer: TempWriter, owners: readonly number[]): Buffer[] {
  return staleTemps(dir, writer, owners, false);
}

function staleTemps(dir: Buffer, writer: TempWriter, owners: readonly number[], remove: boolean): Buffer[] {
  let names: Buffer[];
  try {
    names = readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return [];
  }
  const stale: Buffer[] = [];
  for (const name of names) {
    const pid = writer(name);
    if (pid === undefined) continue;
    const path = Buffer.concat([dir, Buffer.from('/'), name]);
    try {
      const info = lstatSync(path);
      if (!info.isFile() || !owners.includes(info.uid) || !writerGone(pid, info.mtimeMs)) continue;
      if (remove) unlinkSync(path);
      stale.push(path);
    } catch {
      // gone meanwhile, or not this user's to remove
    }
  }
  return stale;
}

/**
 * How long after its last write a temporary file may still be a live writer's, whatever its PID says. A PID
 * names a process in the writer's PID namespace only: a run in a container sharing the directory (node_exporter's
 * textfile directory, /etc/systemd/system) sees a live writer of the host as no such PID, or as another process
 * started later. A write takes milliseconds, seconds on a loaded disk; a minute is far beyond it.
 */
export const LIVE_WRITE_MS = 60_000;

/** Whether the process that wrote a file last modified at `written` (ms) is gone. Unknown is not gone. */
function writerGone(pid: number, written: number): boolean {
  // Within the minute either way: a file stamped in the future was written before the clock was set back, so a
  // future stamp alone does not keep it for ever (only one within the minute, which a live writer may have made).
  if (Math.abs(Date.now() - written) < LIVE_WRITE_MS) return false;
  try {
    process.kill(pid, 0); // no signal: only whether the PID is in use (EPERM: another user's, alive)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const started = startedAt(pid);
  // A second of slack for a clock set forward meanwhile; a start computed from /proc is never later than the real one.
  return started !== undefined && started > written + 1000;
}

/** When process `pid` started (ms since the epoch), from /proc; undefined when it cannot be read (another user's under hidepid, no /proc). */
function startedAt(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Field 22, in clock ticks since boot (USER_HZ, 100 on Linux); the name (field 2) may hold spaces and ')'.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'))?.[1]);
    return Number.isFinite(ticks) && boot > 0 ? boot * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}
