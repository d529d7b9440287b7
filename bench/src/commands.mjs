// The commands compared: this project's bins and the tools operators use
// today. npm peers run their own bin file with `node` (not pnpm's shell shim),
// so each pays only its own start-up.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = join(benchDir, '..');
const node = process.execPath;

export const bins = {
  claimPort: join(repoDir, 'packages/claim-port/bin/claim-port.js'),
  healthCheck: join(repoDir, 'packages/port-health-check/bin/port-health-check.js'),
};

/** Which of this project's bins exist (a package that has not landed yet is left out, not failed). */
export function available() {
  return {
    claimPort: existsSync(bins.claimPort),
    healthCheck: existsSync(bins.healthCheck),
  };
}

function peerBin(pkg, name) {
  const dir = join(benchDir, 'node_modules', pkg);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[name ?? pkg];
  if (!bin) throw new Error(`${pkg} has no bin ${name ?? pkg}`);
  return { path: join(dir, bin), version: manifest.version };
}

export function peerVersions() {
  const v = (pkg) => JSON.parse(readFileSync(join(benchDir, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  return { 'kill-port': v('kill-port'), 'fkill-cli': v('fkill-cli'), 'pid-port': v('pid-port'), 'find-process': v('find-process') };
}

const hasPid = (pid) => (r) =>
  new RegExp(`\\b${pid}\\b`).test(r.stdout) ? undefined : `output does not name pid ${pid}: ${JSON.stringify(r.stdout.slice(0, 200))}`;

/** The tools operators use today for a lookup: claim-port must beat each at scale. */
export const LOOKUP_PEERS = ['lsof', 'fuser', 'pid-port', 'find-process'];

export const nodeFloor = { id: 'node', short: '`node -e 0`', label: '`node -e 0`', argv: [node, '-e', '0'], note: 'the floor: Node start-up' };

/** Start-up: claim-port on a free port (dry run) and the health check over the bundled registry. */
export function startupCommands(freePort) {
  const have = available();
  const list = [nodeFloor];
  if (have.claimPort)
    list.push({
      id: 'claim-port',
      label: `\`claim-port ${freePort} --dry-run\``,
      argv: [node, bins.claimPort, String(freePort), '--dry-run'],
      okCodes: [0],
      note: 'free port',
    });
  if (have.healthCheck)
    list.push({
      id: 'health-check',
      label: '`port-health-check`',
      argv: [node, bins.healthCheck],
      okCodes: [0, 1],
      note: 'bundled registry; exit 1 expected here (the services are not running)',
    });
  return list;
}

/** The health check over a large registry file, against `ss` listing every listener with its processes. */
export function bigHealthCommands(registryFile, services) {
  return [
    {
      id: 'health-check',
      short: 'port-health-check',
      label: `\`port-health-check --registry <${services} services>\``,
      argv: [node, bins.healthCheck, '--registry', registryFile],
      display: `port-health-check --registry ${registryFile}`,
      okCodes: [0, 1],
      note: 'exit 1 expected here (the services are not running)',
    },
    { id: 'ss', short: '`ss`', label: '`ss -Htlnp`', argv: ['ss', '-Htlnp'], reference: true },
    nodeFloor,
  ];
}

/** Find the listener on `port`, held by `pid`. */
export function lookupCommands(port, pid, { peers = true, referenceScans = false } = {}) {
  const have = available();
  const p = String(port);
  const list = [];
  if (have.claimPort)
    list.push({
      id: 'claim-port',
      short: 'claim-port',
      label: `\`claim-port ${p} --dry-run --json\``,
      argv: [node, bins.claimPort, p, '--dry-run', '--json'],
      okCodes: [0, 1],
      check: hasPid(pid),
    });
  list.push({
    id: 'ss',
    short: '`ss`',
    label: `\`ss -Htlnp sport = :${p}\``,
    argv: ['ss', '-Htlnp', 'sport', '=', `:${p}`],
    check: hasPid(pid),
    reference: true,
  });
  if (!peers) return list;
  list.push({ id: 'lsof', label: `\`lsof -t -nP -iTCP:${p} -sTCP:LISTEN\``, argv: ['lsof', '-t', '-nP', `-iTCP:${p}`, '-sTCP:LISTEN'], check: hasPid(pid) });
  list.push({ id: 'fuser', label: `\`fuser -n tcp ${p}\``, argv: ['fuser', '-n', 'tcp', p], check: hasPid(pid) });
  list.push({
    id: 'pid-port',
    label: '`pid-port` (library; one-line script)',
    argv: [node, '--input-type=module', '-e', `import { portToPid } from 'pid-port'; console.log(await portToPid(${p}));`],
    display: `node --input-type=module -e "import { portToPid } from 'pid-port'; console.log(await portToPid(${p}))"`,
    cwd: benchDir,
    check: hasPid(pid),
    note: 'pid-port has no CLI: a one-line script calls it',
  });
  const fp = peerBin('find-process');
  list.push({ id: 'find-process', label: `\`find-process -p ${p}\``, argv: [node, fp.path, '-p', p], check: hasPid(pid) });
  if (referenceScans) {
    const script = join(benchDir, 'src/reference-scan.mjs');
    for (const threads of [1, 2])
      list.push({
        id: `reference-scan-${threads}`,
        label: `minimal Node /proc scan, ${threads} thread${threads > 1 ? 's' : ''}`,
        argv: [node, script, p, String(threads)],
        display: `node bench/src/reference-scan.mjs ${p} ${threads}`,
        check: hasPid(pid),
        note: `for comparison, not a peer: bench/src/reference-scan.mjs${threads > 1 ? ' (main thread + 1 worker share the PID list)' : ''}`,
      });
  }
  list.push(nodeFloor);
  return list;
}

/** Free `port`: each run gets a fresh holder; the time runs until the port is free. */
export function freeCommands(ports) {
  const have = available();
  const list = [nodeFloor];
  const take = () => String(ports.shift());
  if (have.claimPort) {
    const p = take();
    list.push({ id: 'claim-port', label: `\`claim-port ${p}\``, argv: [node, bins.claimPort, p], port: Number(p), okCodes: [0] });
  }
  if (have.claimPort) {
    const p = take();
    list.push({
      id: 'claim-port-parented',
      label: `\`claim-port ${p}\`, holder with a live parent`,
      argv: [node, bins.claimPort, p],
      port: Number(p),
      okCodes: [0],
      holder: 'child',
      note: "the holder is the benchmark's own child: claim-port watches 1 s for a re-take (its settle window)",
    });
  }
  {
    const p = take();
    const kp = peerBin('kill-port');
    list.push({
      id: 'kill-port',
      label: `\`kill-port ${p}\``,
      argv: [node, kp.path, p],
      port: Number(p),
      note: 'runs `lsof -i -P`, then `lsof … | grep LISTEN | xargs kill -9`',
      check: (r) => (r.stdout.includes('killed') ? undefined : `kill-port did not kill: ${r.stdout.trim()}`),
    });
  }
  {
    const p = take();
    const fk = peerBin('fkill-cli', 'fkill');
    list.push({ id: 'fkill', label: `\`fkill :${p}\``, argv: [node, fk.path, `:${p}`], port: Number(p), note: 'fkill-cli; SIGTERM' });
  }
  {
    const p = take();
    list.push({
      id: 'fuser-k',
      label: `\`fuser -k -TERM -n tcp ${p}\` + wait`,
      argv: ['fuser', '-k', '-TERM', '-n', 'tcp', p],
      port: Number(p),
      note: 'then poll /proc until the port is free',
    });
  }
  return list;
}
