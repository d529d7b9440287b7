// Pid records: one small file per process the suite started (PID, start time,
// name), in a directory the global setup creates. The global teardown reads
// them and stops whatever is still the very process recorded. Node built-ins
// only, so the teardown can load it anywhere.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PidRecord {
  pid: number;
  startTime: number;
  name: string;
}

/** /proc/PID/stat field 22 (start time in clock ticks), or undefined when the process is gone. */
export function startTimeOf(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); field 22 is fields[19].
    const value = Number(fields[19]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function writeRecord(dir: string, entry: PidRecord): void {
  writeFileSync(join(dir, String(entry.pid)), JSON.stringify(entry));
}

export function removeRecord(dir: string, pid: number): void {
  rmSync(join(dir, String(pid)), { force: true });
}

/** SIGKILL every recorded process that is still the one recorded (PID and start time). */
export function killRecorded(dir: string): string[] {
  const killed: string[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dir);
  } catch {
    return killed;
  }
  for (const file of files) {
    let entry: PidRecord | undefined;
    try {
      entry = JSON.parse(readFileSync(join(dir, file), 'utf8')) as PidRecord;
    } catch {
      entry = undefined;
    }
    if (entry && Number.isInteger(entry.pid) && entry.pid > 2 && startTimeOf(entry.pid) === entry.startTime) {
      try {
        process.kill(entry.pid, 'SIGKILL');
        killed.push(`${entry.name} (PID ${entry.pid})`);
      } catch {
        // gone meanwhile
      }
    }
    rmSync(join(dir, file), { force: true });
  }
  return killed;
}
