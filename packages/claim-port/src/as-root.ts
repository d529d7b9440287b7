// The command a refusal for want of root's rights advises (`run claim-port as
// root (sudo claim-port ...)`): this claim again, as root. `sudo claim-port
// PORT` alone claimed with the bundled registry, for real, when the claim was
// a dry run with --registry: the advice repeats what decides the claim.
import { flagWords, printedShellWord, REGISTRY_ENV } from '@dsa110/ports';
import type { Transport } from '@dsa110/ports/system';
import { claimPortArgument } from '@dsa110/ports/systemd';
import type { ClaimOptions } from './options.js';

/**
 * `sudo claim-port PORT [--dry-run] [--timeout SECONDS] [--force] [--registry PATH]`, in --help's order, each word as
 * the shell reads it back (printedShellWord): the port, not a service id (sudo resets the environment, so a port
 * override such as $CONTIMG_API_PORT would not move it there), and the registry by path whether --registry or
 * $DSA110_PORTS_FILE named it (sudo does not pass that on either). A registry given as an object (claimPort() from
 * JavaScript) has no path to name: the command then reads the default one, as that caller's own would.
 */
export function asRootCommand(port: number, transport: Transport, options: ClaimOptions): string {
  const fromEnv = options.registry === undefined ? (options.env ?? process.env)[REGISTRY_ENV] || undefined : undefined;
  const registry = typeof options.registry === 'string' ? options.registry : fromEnv;
  const words = [
    'sudo',
    'claim-port',
    claimPortArgument(port, transport),
    ...(options.dryRun ? ['--dry-run'] : []),
    ...(options.timeoutSeconds !== undefined ? flagWords('timeout', String(options.timeoutSeconds)) : []),
    ...(options.force ? ['--force'] : []),
    ...(registry !== undefined ? flagWords('registry', registry) : []),
  ];
  return words.map(printedShellWord).join(' ');
}
