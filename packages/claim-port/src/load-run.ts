// Loads the claim engine (run.ts) on first need. Unbundled (tsx, tests) this
// is a plain dynamic import; the bin's build replaces this module (see
// scripts/build.mjs) with a synchronous require() of the second bundle.
export const loadRun = (): Promise<typeof import('./run.js')> => import('./run.js');
