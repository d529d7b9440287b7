// Is this process one the registry expects on the port? The names a process
// goes by (comm, executable, argv[0], an interpreter's module or script) are
// those of @dsa110/ports/system, the same claim-port protects by.
import { matchProcessName } from '@dsa110/ports/system';
import type { ProcessFacts } from './types.js';

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function processMatches(process: ProcessFacts, globs: readonly string[]): boolean {
  return matchProcessName(process, globs) !== undefined;
}

/** `node (pid 4242, user alice): node /srv/vite.js --port 3030` */
export function describeProcess(process: ProcessFacts): string {
  const name = process.comm ?? (process.exe ? basename(process.exe) : '?');
  const user = process.user ?? (process.uid !== undefined ? `uid ${process.uid}` : 'user unknown');
  const who = `${name} (pid ${process.pid}, ${process.user ? `user ${user}` : user})`;
  // process.title pads argv with spaces: trim them.
  const command = process.argv?.length ? process.argv.join(' ').trim() : undefined;
  if (!command) return who;
  return `${who}: ${command.length > 160 ? `${command.slice(0, 157)}...` : command}`;
}
