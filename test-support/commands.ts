import { execFileSync } from 'node:child_process';

/** Whether `command` can be run here: any exit code counts, only "not found" does not. */
export function hasCommand(command: string, args: readonly string[] = ['-v']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
