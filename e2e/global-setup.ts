// One pid-record directory for the whole run. Teardown kills any daemon that
// is still running (it checks PID and start time, so a reused PID is never
// signalled), in case a worker died before its afterAll, and fails the run.
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
    rmSync(dir, { recursive: true, force: true });
    // Every file stops what it started; anything still running here is a defect, so the run fails.
    if (killed.length > 0) {
      process.exitCode = 1;
      throw new Error(`e2e: daemons were still running after the tests (now killed): ${killed.join(', ')}`);
    }
  };
}
