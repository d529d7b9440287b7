// Which Debian packages the suite needs, and whether this machine has them.
// A test whose package is missing is skipped (never passed), and its name and
// a warning say which package to install.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

export type DebianPackage = 'nginx-light' | 'redis-server' | 'python3-uvicorn' | 'prometheus' | 'prometheus-node-exporter' | 'openssh-server' | 'systemd';

/** The programs the suite runs from each package (absolute paths, as on Debian 12). */
export const programs = {
  nginx: '/usr/sbin/nginx',
  redis: '/usr/bin/redis-server',
  python3: '/usr/bin/python3',
  prometheus: '/usr/bin/prometheus',
  promtool: '/usr/bin/promtool',
  nodeExporter: '/usr/bin/prometheus-node-exporter',
  sshd: '/usr/sbin/sshd',
  sshKeygen: '/usr/bin/ssh-keygen',
  systemdAnalyze: '/usr/bin/systemd-analyze',
} as const;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const probes: Record<DebianPackage, () => boolean> = {
  'nginx-light': () => executable(programs.nginx),
  'redis-server': () => executable(programs.redis),
  // python3-uvicorn pulls in python3; the module must import with the system python.
  'python3-uvicorn': () => executable(programs.python3) && spawnSync(programs.python3, ['-c', 'import uvicorn'], { stdio: 'ignore' }).status === 0,
  prometheus: () => executable(programs.prometheus) && executable(programs.promtool),
  'prometheus-node-exporter': () => executable(programs.nodeExporter),
  'openssh-server': () => executable(programs.sshd) && executable(programs.sshKeygen),
  systemd: () => executable(programs.systemdAnalyze),
};

const cache = new Map<DebianPackage, boolean>();

/** E2E_ASSUME_MISSING=pkg,pkg: treat these as not installed (to see the skip path on a full machine). */
const assumedMissing = new Set(
  (process.env.E2E_ASSUME_MISSING ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean),
);

/** The packages in `wanted` that this machine lacks. */
export function missingPackages(...wanted: DebianPackage[]): DebianPackage[] {
  return wanted.filter((pkg) => {
    if (!cache.has(pkg)) cache.set(pkg, !assumedMissing.has(pkg) && probes[pkg]());
    return !cache.get(pkg);
  });
}

export const isRoot = process.getuid?.() === 0;

/**
 * Why a group of tests cannot run here, or undefined when it can. Warns once
 * with the install command, so a skipped run says what it skipped and why.
 */
export function skipReason(packages: DebianPackage[], options: { root?: boolean } = {}): string | undefined {
  const missing = missingPackages(...packages);
  const reasons: string[] = [];
  if (missing.length > 0) {
    reasons.push(`missing Debian package${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: install with \`sudo bash scripts/install-system-packages.sh\``);
  }
  if (options.root && !isRoot) reasons.push('needs root: run the suite as root');
  if (reasons.length === 0) return undefined;
  const reason = reasons.join('; ');
  console.warn(`e2e: SKIPPED, ${reason}`);
  return reason;
}

/** A describe/it title that carries the skip reason when there is one. */
export function titled(title: string, reason: string | undefined): string {
  return reason === undefined ? title : `${title} [skipped: ${reason}]`;
}
