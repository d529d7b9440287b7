// Where systemd is running, what it has actually loaded: `systemctl show` for
// every unit at once (one child process). This confirms the file-based check
// and catches unit files edited without a `systemctl daemon-reload`. Only
// consulted when checking `/` on a machine booted with systemd.
import { createRequire } from 'node:module';
import { splitWords } from '@dsa110/ports/systemd';

export interface LoadedExec {
  readonly argv: readonly string[];
  /** Runs with full privileges (the `+` prefix). */
  readonly privileged: boolean;
}

export interface SystemctlUnit {
  readonly id: string;
  readonly loadState: string;
  readonly needDaemonReload: boolean;
  readonly execStartPre: readonly LoadedExec[];
}

export const SHOW_PROPERTIES = 'Id,LoadState,NeedDaemonReload,ExecStartPreEx';

// Like sd_booted(3): systemd is PID 1 when /run/systemd/system/ exists (the core's test, which claim-port uses too).
export { systemdRunning } from '@dsa110/ports/system';

/**
 * Parse `systemctl show -p Id,LoadState,NeedDaemonReload,ExecStartPreEx U1 U2 ...`:
 * one block of `Key=value` lines per unit, blocks separated by a blank line,
 * one `ExecStartPreEx={ path=... ; argv[]=... ; flags=... ; ... }` line per command.
 */
export function parseSystemctlShow(text: string): Map<string, SystemctlUnit> {
  const units = new Map<string, SystemctlUnit>();
  for (const block of text.split(/\n\s*\n/)) {
    let id = '';
    let loadState = '';
    let needDaemonReload = false;
    const execStartPre: LoadedExec[] = [];
    for (const line of block.split('\n')) {
      const equals = line.indexOf('=');
      if (equals < 0) continue;
      const key = line.slice(0, equals);
      const value = line.slice(equals + 1);
      if (key === 'Id') id = value;
      else if (key === 'LoadState') loadState = value;
      else if (key === 'NeedDaemonReload') needDaemonReload = value === 'yes';
      else if ((key === 'ExecStartPreEx' || key === 'ExecStartPre') && value.startsWith('{')) {
        const argv = /(?:^|;)\s*argv\[\]=(.*?)\s*;/.exec(value)?.[1];
        const flags = /(?:^|;)\s*flags=(.*?)\s*;/.exec(value)?.[1] ?? '';
        if (argv !== undefined) execStartPre.push({ argv: splitWords(argv), privileged: /\bprivileged\b/.test(flags) });
      }
    }
    if (id) units.set(id, { id, loadState, needDaemonReload, execStartPre });
  }
  return units;
}

/** What systemd has loaded for these units; undefined when systemctl cannot tell. */
export function readSystemctl(units: readonly string[]): Map<string, SystemctlUnit> | undefined {
  if (units.length === 0) return undefined;
  // Required here, not imported at the top: only a machine running systemd pays for child_process.
  const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const result = spawnSync('systemctl', ['show', `--property=${SHOW_PROPERTIES}`, '--no-pager', '--', ...units], {
    encoding: 'utf8',
    timeout: 5000,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  if (result.status !== 0 || typeof result.stdout !== 'string') return undefined;
  return parseSystemctlShow(result.stdout);
}
