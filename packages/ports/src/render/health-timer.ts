// The port health check on a systemd timer: `dsa110-port-health.service` runs
// port-health-check as root and writes the Prometheus textfile that
// node_exporter's textfile collector serves; `dsa110-port-health.timer` runs
// it every five minutes (the cron line in the README does the same on hosts
// without timers). `ports systemd` writes both next to the claim-port drop-ins.
import { quoteExecWord } from '../systemd/words.js';
import { HEALTH_SERVICE, HEALTH_TIMER } from './health-unit-names.js';
import { DEFAULT_CLAIM_PORT, execArgumentProblem, GENERATED_HEADER } from './systemd.js';

export { HEALTH_SERVICE, HEALTH_TIMER };

export const DEFAULT_HEALTH_CHECK = '/usr/local/bin/port-health-check';
/** Debian's prometheus-node-exporter reads `*.prom` from /var/lib/prometheus/node-exporter. */
export const DEFAULT_TEXTFILE = '/var/lib/prometheus/node-exporter/dsa110_ports.prom';
export const HEALTH_INTERVAL = '5min';

export interface HealthUnitOptions {
  /** The port-health-check executable (default /usr/local/bin/port-health-check). */
  readonly healthCheck?: string;
  /** The .prom file it writes (default DEFAULT_TEXTFILE). */
  readonly textfile?: string;
  /** An absolute registry path to check against; the health check's own default (the bundled registry) when undefined. */
  readonly registry?: string;
  /** The claim-port path the drop-ins call; passed on as --claim-port when it is not the default. */
  readonly claimPort?: string;
}

export interface HealthUnit {
  /** The unit's file name, relative to the unit directory. */
  readonly path: string;
  readonly contents: string;
}

/** Why `path` cannot be the textfile, or undefined when it can. */
export function textfileProblem(path: string): string | undefined {
  // Not run, written: a relative path would be taken from the service's working directory, /.
  if (!path.startsWith('/')) return 'it must be an absolute path (the service would write it relative to /, not to here)';
  const problem = execArgumentProblem(path);
  if (problem) return problem;
  if (!path.endsWith('.prom')) return 'node_exporter\'s textfile collector reads only files ending in ".prom"';
  return undefined;
}

/**
 * The command line the service runs, each word quoted and escaped as systemd
 * reads it back (quoteExecWord); the executable checked by
 * claimPortPathProblem, the registry path by execArgumentProblem, the textfile
 * by textfileProblem.
 */
export function healthCheckCommand(options: HealthUnitOptions = {}): string {
  const args: string[] = [];
  if (options.registry !== undefined) args.push('--registry', options.registry);
  if (options.claimPort !== undefined && options.claimPort !== DEFAULT_CLAIM_PORT) args.push('--claim-port', options.claimPort);
  args.push('--format', 'prometheus', '--output', options.textfile ?? DEFAULT_TEXTFILE);
  return [quoteExecWord(options.healthCheck ?? DEFAULT_HEALTH_CHECK, 'executable'), ...args.map((arg) => quoteExecWord(arg))].join(' ');
}

/** The service and the timer, in that order. Pure. */
export function healthUnits(options: HealthUnitOptions = {}): HealthUnit[] {
  const service = [
    GENERATED_HEADER,
    '[Unit]',
    'Description=DSA-110 port health check (Prometheus textfile for node_exporter)',
    'After=network.target',
    '',
    '[Service]',
    'Type=oneshot',
    // As root: to see the owner of every socket. Exit 1 (errors) and 2 (warnings)
    // are findings, reported in the textfile and the journal; only 3 (the check
    // could not run) fails the unit.
    'SuccessExitStatus=1 2',
    `ExecStart=${healthCheckCommand(options)}`,
    'Nice=10',
    '',
  ].join('\n');
  const timer = [
    GENERATED_HEADER,
    '[Unit]',
    `Description=DSA-110 port health check every five minutes`,
    '',
    '[Timer]',
    'OnBootSec=1min',
    `OnUnitActiveSec=${HEALTH_INTERVAL}`,
    'AccuracySec=15s',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return [
    { path: HEALTH_SERVICE, contents: service },
    { path: HEALTH_TIMER, contents: timer },
  ];
}
