// Shared test helpers: real listeners on loopback, and THE SAFETY GUARD.
//
// claim-port kills processes as root. A test may only ever signal processes
// this suite spawned: every PID started here (children, forked workers,
// respawned children) is recorded with its start time, `signal()` refuses any
// other PID, and `guardPort()` refuses to let a claim run against a port that
// anything else listens on. Import this module in every test that spawns or
// signals a process; it kills what it spawned after each test (listeners
// spawned with `scope: 'file'` after the file).
export {
  spawnListener,
  spawnClient,
  killSpawned,
  type ListenerOptions,
  type SpawnedListener,
} from './spawn-listener.js';
export { guardPort, signal, isSpawned, wasSpawned, spawnedPids, isAlive, waitForExit, waitUntil } from './guard.js';
export { hasCommand } from './commands.js';
export { leasePort } from './test-port.js';
export { canRunFirewallNetns, runFirewallNetns, type FirewallNetnsOptions, type FirewallNetnsRun } from './firewall-netns.js';
export { runModuleAsNobody, worldReadable, worldReadableBundle, worldReadablePackage } from './world-readable.js';
export { collectRun, runWithStderrFile, runWithStderrSocket, streamIdOf, type JournalCase, type JournalRun } from './journal.js';
export { fakeIo, flagSpellings, flagsInHelp, runMain, runUnbuiltBin, type CapturedRun, type FakeIo } from './cli.js';
export {
  brokenLinks,
  docExamples,
  docPages,
  examplesOf,
  headingAnchors,
  firstCells,
  flagsIn,
  interfaceMembers,
  section,
  splitArgv,
  unionMembers,
  type DocExample,
  type Tool,
} from './docs.js';
export { ringHolderUnavailable, startRingHolder, type RingHolder } from './io-uring.js';
