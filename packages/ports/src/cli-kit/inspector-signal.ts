// SIGUSR1 and the inspector. Node opens its debugger (a WebSocket on
// 127.0.0.1:9229) in any process sent SIGUSR1 that has no listener for it, and
// whoever connects to that socket runs code in the process: in claim-port, the
// health check or `ports` run as root (an ExecStartPre=, a timer), any local
// user would then run code as root until the process ends. A listener
// installed as the bin starts closes that door (libuv's handler replaces the
// inspector's): one signal handle, no module loaded. It is never removed, for
// with no listener left SIGUSR1 would open the inspector again.
//
// A SIGUSR1 that comes before the listener (while Node itself starts, about
// 20 ms no JavaScript can shorten; the bin files install a listener of their
// own as their first line, ahead of the bundle) has opened the inspector
// already: it is then looked for, at once and every INSPECTOR_LOOK_MS while the
// process runs (a call into Node's inspector binding, well under a
// microsecond), and closed, unless the inspector was asked for (`--inspect`).

import { nodeBinding } from '../node-binding.js';

/** How often (ms) an inspector opened by an early SIGUSR1 is looked for: it opens on the main thread's next interrupt check, after the signal. */
export const INSPECTOR_LOOK_MS = 20;

/** What a bin says (after its own prefix) when it closed an inspector an early SIGUSR1 opened. */
export const INSPECTOR_CLOSED =
  "warning: a SIGUSR1 sent as it started opened Node's inspector, a debugger any local user could connect to; it is closed now: have whatever sends SIGUSR1 to every process (a log rotation script?) spare this one";

let installed = false;

/**
 * Called first by each bin: SIGUSR1 is ignored for the rest of the process's
 * life, and `onSignal` (when given, on the first call) is told of each one
 * (claim-port says it in one line). An inspector a SIGUSR1 opened before that
 * is closed, and `onInspectorClosed` told. Later calls change nothing.
 */
export function ignoreInspectorSignal(onSignal?: () => void, onInspectorClosed?: () => void): void {
  if (installed) return;
  installed = true;
  process.on('SIGUSR1', () => onSignal?.());
  closeInspectorOpenedEarly(onInspectorClosed);
}

/** Whether the inspector was asked for in Node's command line or NODE_OPTIONS (`--inspect`, `--inspect-brk`, `--inspect-wait`): the operator's own, left open. */
export function inspectorAskedFor(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((word) => /^--inspect(?:-brk|-wait)?(?:=|$)/.test(word));
}

function closeInspectorOpenedEarly(onClosed: (() => void) | undefined): void {
  if (inspectorAskedFor()) return;
  // Where Node would warn of process.binding (node-binding.ts) nothing is looked for: the public `inspector` module costs 5-15 ms to load.
  const inspector = nodeBinding('inspector');
  const isEnabled = inspector?.isEnabled;
  const debugEnd = (process as unknown as { _debugEnd?: () => void })._debugEnd;
  if (typeof isEnabled !== 'function' || typeof debugEnd !== 'function') return;
  const look = (): void => {
    if (isEnabled.call(inspector) !== true) return;
    debugEnd.call(process);
    onClosed?.();
  };
  look();
  setInterval(look, INSPECTOR_LOOK_MS).unref();
}
