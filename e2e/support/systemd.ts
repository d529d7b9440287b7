// A systemd tree for the test registry, as an operator would install it:
// `ports systemd` writes the claim-port drop-ins into <root>/etc/systemd/system,
// the units Debian ships are copied to <root>/lib/systemd/system, and the API's
// own unit file gets the ExecStartPre= line `ports systemd` prints for it.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Registry } from '@dsa110/ports';
import { runBin, show, type BinResult } from './bins.js';
import { programs } from './requirements.js';
import type { Workspace } from './workspace.js';

export interface SystemdTree {
  /** The --root directory. */
  root: string;
  /** <root>/etc/systemd/system */
  unitDir: string;
  /** What `ports systemd` printed. */
  generated: BinResult;
  /** The ExecStartPre= lines it printed for units that claim in the unit file, by unit. */
  unitLines: Map<string, string>;
}

/** Parse `ports systemd`'s advice for units that claim in their own file: unit -> ExecStartPre= line. */
export function printedUnitLines(stdout: string): Map<string, string> {
  const lines = stdout.split('\n');
  const out = new Map<string, string>();
  for (let index = 0; index < lines.length; index++) {
    const match = /^(\S+\.service): .*unit file/.exec(lines[index]!);
    const next = lines[index + 1];
    if (match && next?.startsWith('ExecStartPre=')) out.set(match[1]!, next);
  }
  return out;
}

export interface TreeOptions {
  ws: Workspace;
  registryFile: string;
  registry: Registry;
  /** The claim-port path the lines call (must exist on this machine: systemd-analyze checks it). */
  claimPort: string;
  /** Directory name inside the workspace. */
  name?: string;
  /** How uvicorn is started in the API unit. */
  apiExecStart: string;
}

export async function buildSystemdTree(options: TreeOptions): Promise<SystemdTree> {
  const root = options.ws.mkdir(options.name ?? 'root');
  const unitDir = join(root, 'etc/systemd/system');
  mkdirSync(unitDir, { recursive: true });
  const generated = await runBin('ports', ['--registry', options.registryFile, 'systemd', '--out', unitDir, '--claim-port', options.claimPort]);
  if (generated.code !== 0) throw new Error(`e2e: ports systemd failed\n${show(generated)}`);
  const unitLines = printedUnitLines(generated.stdout);

  const packaged = join(root, 'lib/systemd/system');
  mkdirSync(packaged, { recursive: true });
  for (const service of options.registry.services) {
    const unit = service.systemd?.unit;
    if (!unit) continue;
    const shipped = [`/lib/systemd/system/${unit}`, `/usr/lib/systemd/system/${unit}`].find((path) => existsSync(path));
    if (shipped) {
      copyFileSync(shipped, join(packaged, unit));
      // The test's config files live in its workspace, under /tmp, where Debian's PrivateTmp=true would hide them from
      // the daemon (the health check says so: unknown). An operator's setting, as `systemctl set-property` writes it.
      options.ws.write(join(options.name ?? 'root', 'etc/systemd/system.control', `${unit}.d`, '50-e2e-private-tmp.conf'), '[Service]\nPrivateTmp=no\n');
      // The files of its EnvironmentFile= lines too (Debian's prometheus.service reads /etc/default/prometheus, without
      // `-`): a tree without them is a unit systemd would not start, and both tools say so.
      for (const [, path] of readFileSync(shipped, 'utf8').matchAll(/^EnvironmentFile=-?(\/\S+)\s*$/gm)) {
        if (!existsSync(path!)) continue;
        mkdirSync(join(root, dirname(path!)), { recursive: true });
        copyFileSync(path!, join(root, path!));
      }
    } else if (unitLines.has(unit)) {
      // The pipeline's own unit (dsa110-api.service): written here, with the line `ports systemd` printed.
      options.ws.write(
        join(options.name ?? 'root', 'etc/systemd/system', unit),
        [
          '[Unit]',
          `Description=${service.title} (end-to-end test unit)`,
          'After=network.target',
          '',
          '[Service]',
          ...(service.env ? [`Environment=${service.env}=${service.port}`] : []),
          unitLines.get(unit)!,
          `ExecStart=${options.apiExecStart}`,
          '',
          '[Install]',
          'WantedBy=multi-user.target',
          '',
        ].join('\n'),
      );
    }
  }
  // claim-port where the units call it, inside the root as on the machine: a copy (--root follows a symbolic
  // link inside the root, as chroot does, so a link to the host path would be a loop there).
  const mirrored = join(root, options.claimPort);
  mkdirSync(dirname(mirrored), { recursive: true });
  if (!existsSync(mirrored)) {
    copyFileSync(options.claimPort, mirrored);
    chmodSync(mirrored, 0o755);
  }
  // And what its #! line runs: the health check looks the interpreter up inside the root, as systemd would run it there.
  const shell = join(root, 'bin/sh');
  if (!existsSync(shell)) {
    mkdirSync(dirname(shell), { recursive: true });
    copyFileSync('/bin/sh', shell);
    chmodSync(shell, 0o755);
  }
  return { root, unitDir, generated, unitLines };
}

/** `systemd-analyze verify` with the tree's directories first on the unit search path. */
export function systemdVerify(tree: Pick<SystemdTree, 'root'>, units: readonly string[]): BinResult {
  const unitPath = [join(tree.root, 'etc/systemd/system'), join(tree.root, 'lib/systemd/system'), ''].join(':');
  const result = spawnSync(programs.systemdAnalyze, ['verify', ...units], {
    encoding: 'utf8',
    // The trailing ":" keeps the default search path after the tree's directories.
    env: { ...process.env, SYSTEMD_UNIT_PATH: unitPath, SYSTEMD_LOG_COLOR: '0' },
    timeout: 60_000,
  });
  return {
    code: result.status ?? -1,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    command: `SYSTEMD_UNIT_PATH=${unitPath} systemd-analyze verify ${units.join(' ')}`,
  };
}
