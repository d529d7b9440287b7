#!/usr/bin/env node
// `pnpm bench [--quick] [...]`: runs src/run.mjs in a process group of its own
// and passes its output through. On Ctrl-C, SIGTERM or SIGHUP it ends that
// group: the runner and the processes it started (holders, fillers, measured
// commands), and nothing else. The runner kills its own children by PID too;
// see src/lib/owned.mjs.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runner = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'run.mjs'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  detached: true, // setsid(): the runner leads a new process group whose id is its PID
});
let reaped = false;

/** PIDs still in the runner's process group (read from /proc). */
function groupMembers(pgid) {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is the state, fields[2] the process group; zombies are already dead.
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

/**
 * Signal the runner's group. While the runner is unreaped its PID, which is
 * the group's id, cannot be reused; after that, only while /proc shows members
 * (a group id is not reused while the group has members).
 */
function signalGroup(signal) {
  if (runner.pid === undefined) return;
  if (reaped && groupMembers(runner.pid).length === 0) return;
  try {
    process.kill(-runner.pid, signal);
  } catch {
    // the group is gone
  }
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\nbench: ${signal}: stopping the benchmark and every process it started\n`);
    signalGroup('SIGTERM');
    setTimeout(() => {
      signalGroup('SIGKILL');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }, 3000).unref();
  });
}

runner.on('exit', async (code, signal) => {
  reaped = true;
  // Anything of ours left behind (the runner was killed before its own cleanup)?
  // Give processes that were just killed a moment to go, then end the rest.
  let left = groupMembers(runner.pid);
  for (let i = 0; i < 20 && left.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = groupMembers(runner.pid);
  }
  if (left.length) {
    process.stderr.write(`bench: ending ${left.length} leftover processes of the benchmark's group\n`);
    signalGroup('SIGKILL');
  }
  process.exit(stopping ? (signal === 'SIGINT' ? 130 : 143) : (code ?? 1));
});
