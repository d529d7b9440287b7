// Errors that are expected by the thousand: a /proc scan meets EACCES on each
// process it may not read and ENOENT on each that exited; a unit search meets
// ENOENT on each of systemd's directories that does not exist. Each is a new
// Error, caught at once, whose stack trace nobody reads: capturing it was
// most of the error's cost (about 1 ms for the health check's 20-odd at
// start-up). Only around synchronous code, so no other code runs meanwhile.

/** `work()` with Error.stackTraceLimit at 0, restored after, even on a throw. */
export function withoutStackTraces<T>(work: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return work();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
