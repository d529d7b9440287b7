// One pid-record directory for the whole run. Teardown stops any daemon that
// is still running (it checks PID and start time, so a reused PID is never
// signalled), in case a worker died before its afterAll.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { killRecorded } from './support/pid-records.js';

export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'dsa110-e2e-pids-'));
  project.provide('e2ePidDir', dir);
  return () => {
    const killed = killRecorded(dir);
    if (killed.length > 0) console.warn(`e2e: stopped daemons left running: ${killed.join(', ')}`);
    rmSync(dir, { recursive: true, force: true });
  };
}
