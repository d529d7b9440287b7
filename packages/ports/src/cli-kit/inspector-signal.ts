// SIGUSR1 and the inspector. Node opens its debugger (a WebSocket on
// 127.0.0.1:9229) in any process sent SIGUSR1 that has no listener for it, and
// whoever connects to that socket runs code in the process: in claim-port, the
// health check or `ports` run as root (an ExecStartPre=, a timer), any local
// user would then run code as root until the process ends. A listener
// installed as the bin starts closes that door (libuv's handler replaces the
// inspector's): one signal handle, no module loaded. It is never removed, for
// with no listener left SIGUSR1 would open the inspector again.

let installed = false;

/**
 * Called first by each bin: SIGUSR1 is ignored for the rest of the process's
 * life, and `onSignal` (when given, on the first call) is told of each one
 * (claim-port says it in one line). Later calls change nothing.
 */
export function ignoreInspectorSignal(onSignal?: () => void): void {
  if (installed) return;
  installed = true;
  process.on('SIGUSR1', () => onSignal?.());
}
