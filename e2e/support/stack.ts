// The pipeline's daemons, configured from the test registry: nginx in front
// of the FastAPI port, Redis, uvicorn serving a tiny ASGI app with
// /api/health, Prometheus scraping node_exporter's textfile collector. Each
// runs in the foreground on loopback, from files in one temp directory.
import { createConnection } from 'node:net';
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { ConfigKind, Registry } from '@dsa110/ports';
import { renderSnippets } from '@dsa110/ports/render';
import { accountIds, type Daemon, runsAsDaemonUsers, startDaemon } from './daemons.js';
import { binPath, cleanEnv } from './bins.js';
import { findFreeBase, httpGet } from './net.js';
import { Workspace } from './workspace.js';
import { readPortsYaml, registryPorts, shiftRegistry, writeRegistry } from './registry.js';
import { programs } from './requirements.js';
import { buildSystemdTree, type SystemdTree } from './systemd.js';

/** node_exporter is not in ports.yaml; in the test range it sits at base + 9100, its usual port. */
export const NODE_EXPORTER_OFFSET = 9100;

/**
 * Services of ports.yaml the test registry leaves out, and why:
 * Grafana has no Debian package, and its entry (robust, production-critical
 * monitoring) would make every run fail "not listening".
 */
export const DROPPED = { grafana: 'Grafana is not packaged in Debian, so the suite cannot run it' } as const;

export { Workspace };

/** PING -> +PONG over RESP: Redis is up and answering. */
export function redisPing(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
  });
}

const ASGI_APP = `# The stand-in for the DSA-110 FastAPI backend: plain ASGI, no framework.
import json


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/metrics":
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain; version=0.0.4")]})
        await send({"type": "http.response.body", "body": b"# TYPE dsa110_api_up gauge\\ndsa110_api_up 1\\n"})
        return
    if scope["path"] == "/api/health":
        status, body = 200, {"status": "ok", "service": "dsa110-api"}
    else:
        status, body = 404, {"detail": "Not Found"}
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
`;

// uvicorn's console script, as pip and Debian's \`uvicorn\` package install it:
// run by path, its process name (comm) is "uvicorn".
const UVICORN_LAUNCHER = `#!${programs.python3}
import sys
from uvicorn.main import main
sys.exit(main())
`;

/** An HTTP readiness probe (200 means ready) that remembers what it last saw. */
export function httpProbe(url: string): { ready: () => Promise<boolean>; lastProbe: () => string | undefined } {
  let last: string | undefined;
  return {
    ready: async () => {
      const response = await httpGet(url);
      last = `GET ${url}: ${response.status === 0 ? response.body : `${response.status} ${response.body.slice(0, 120)}`}`;
      return response.status === 200;
    },
    lastProbe: () => last,
  };
}

/** Where the stack keeps each kind of config file the registry names (relative to the workspace). */
export const CONFIG_FILES: Readonly<Record<ConfigKind, string>> = {
  'nginx-site': 'nginx/nginx.conf',
  'prometheus-yml': 'prometheus/prometheus.yml',
  'prometheus-args': 'prometheus/args',
  'grafana-datasource': 'grafana/dsa110-prometheus.yml',
  'redis-conf': 'redis/redis.conf',
};

/** The accounts the Debian units run these daemons as (User=), which the stack runs them as too. */
const DAEMON_USERS = { redis: 'redis', prometheus: 'prometheus' } as const;
/** Their units. */
const DAEMON_UNITS = ['redis-server.service', 'prometheus.service'];

export class Stack {
  readonly ws: Workspace;
  readonly registry: Registry;
  readonly registryFile: string;
  readonly base: number;
  readonly ports: { nginx: number; redis: number; api: number; prometheus: number; nodeExporter: number };
  /** The claim-port command the systemd lines call: a wrapper around the built bin. */
  readonly claimPort: string;
  readonly textfileDir: string;
  readonly daemons = new Map<string, Daemon>();

  private constructor(ws: Workspace, base: number) {
    this.ws = ws;
    this.base = base;
    const shifted = shiftRegistry(readPortsYaml(), { base, drop: Object.keys(DROPPED) });
    // Each config file the references check reads is the stack's own, in the workspace (written below).
    const data = {
      ...shifted,
      services: shifted.services.map((service) => {
        const placed = service.configs ? { ...service, configs: service.configs.map((ref) => ({ ...ref, path: ws.path(CONFIG_FILES[ref.kind]) })) } : service;
        // nginx listens on loopback only here (a shared host: nothing of the stack listens beyond it), so the test
        // registry says so: the references check holds a public site's `listen` to every address.
        return service.id === 'nginx' ? { ...placed, access: 'localhost' as const } : placed;
      }),
    };
    this.registryFile = ws.path('ports.yaml');
    this.registry = writeRegistry(
      this.registryFile,
      data,
      `Test registry for the end-to-end suite: ports.yaml shifted by ${base}.\nDropped: ${Object.entries(DROPPED)
        .map(([id, why]) => `${id} (${why})`)
        .join('; ')}.\nPatched: api processes [uvicorn] only; nginx access localhost (it listens on loopback only); configs: paths in the run's directory.`,
    );
    const port = (id: string) => this.registry.resolvePort(id, { env: {} }).port;
    this.ports = {
      nginx: port('nginx'),
      redis: port('redis'),
      api: port('api'),
      prometheus: port('prometheus'),
      nodeExporter: base + NODE_EXPORTER_OFFSET,
    };
    this.textfileDir = ws.mkdir('textfile');
    this.claimPort = ws.write(
      'bin/claim-port',
      `#!/bin/sh\n# claim-port as installed: the built bin of this checkout.\nexec ${process.execPath} ${binPath('claim-port')} "$@"\n`,
      0o755,
    );
    ws.write('bin/uvicorn', UVICORN_LAUNCHER, 0o755);
    ws.write('app/app.py', ASGI_APP);
    ws.mkdir('logs');
    this.nginxConfig();
    this.prometheusConfig();
    for (const kind of ['prometheus-args', 'redis-conf'] as const) {
      for (const snippet of renderSnippets(this.registry, kind)) ws.write(CONFIG_FILES[kind], snippet.text);
    }
  }

  /** A stack on a free port range (ports.yaml's ports and node_exporter's, all shifted by one base). */
  static async create(): Promise<Stack> {
    const offsets = [...registryPorts(readPortsYaml()), NODE_EXPORTER_OFFSET];
    const base = await findFreeBase(offsets);
    return new Stack(new Workspace(), base);
  }

  /** Environment for the project's bins: no overrides, the test registry where a bin reads $DSA110_PORTS_FILE. */
  /** A `python3 -m http.server` on loopback `port`, the squatter of the conflict scenarios. */
  startSquatter(port: number, name = 'python3 -m http.server (squatter)'): Promise<Daemon> {
    return startDaemon({
      name,
      command: programs.python3,
      args: ['-m', 'http.server', String(port), '--bind', '127.0.0.1'],
      cwd: this.ws.mkdir('squatter'),
      logFile: this.log('squatter'),
      ready: async () => (await httpGet(`http://127.0.0.1:${port}/`)).status === 200,
    });
  }

  /** A --root tree with what `ports systemd` writes for this stack's registry (see support/systemd.ts). */
  async systemdTree(
    name?: string,
    apiExecStart = `${this.ws.path('bin', 'uvicorn')} --app-dir ${this.ws.path('app')} app:app --host 127.0.0.1 --port \${CONTIMG_API_PORT}`,
  ): Promise<SystemdTree> {
    const tree = await buildSystemdTree({
      ws: this.ws,
      registryFile: this.registryFile,
      registry: this.registry,
      claimPort: this.claimPort,
      apiExecStart,
      ...(name !== undefined && { name }),
    });
    // The config files the registry names, under the root where the machine has them: hard links to the stack's
    // own (the same files, kept in step). Not symbolic links: --root follows a link inside the root, as chroot does,
    // so a link to the host path would be a loop there.
    for (const ref of this.registry.services.flatMap((service) => service.configs)) {
      const link = join(tree.root, ref.path);
      mkdirSync(dirname(link), { recursive: true });
      if (!existsSync(link)) linkSync(ref.path, link);
    }
    // Prometheus as the stack starts it (startPrometheus): its unit reads the stack's ARGS file (after Debian's
    // /etc/default/prometheus, so its ARGS win) and names the stack's prometheus.yml, as an operator's drop-in would;
    // the references check holds the unit's command line to the files the registry names.
    const prometheusDropIn = join(tree.root, 'etc/systemd/system/prometheus.service.d/e2e-files.conf');
    mkdirSync(dirname(prometheusDropIn), { recursive: true });
    writeFileSync(
      prometheusDropIn,
      `[Service]\nEnvironmentFile=${this.ws.path(CONFIG_FILES['prometheus-args'])}\nExecStart=\nExecStart=${programs.prometheus} --config.file=${this.ws.path(CONFIG_FILES['prometheus-yml'])} $ARGS\n`,
    );
    // Redis likewise (startRedis): its unit starts redis-server with the stack's redis.conf, not Debian's, and the
    // references check holds that command line (the file it names, the options after it) to the registry's file.
    const redisDropIn = join(tree.root, 'etc/systemd/system/redis-server.service.d/e2e-files.conf');
    mkdirSync(dirname(redisDropIn), { recursive: true });
    writeFileSync(
      redisDropIn,
      `[Service]\nExecStart=\nExecStart=${programs.redis} ${this.ws.path(CONFIG_FILES['redis-conf'])} --supervised systemd --daemonize no\n`,
    );
    // Run as a user, the suite cannot start the daemons as the accounts their units name (User=redis):
    // the tree's units say whom they run as here, as an operator's drop-in would.
    if (!runsAsDaemonUsers) {
      for (const unit of DAEMON_UNITS) {
        const dropIn = join(tree.root, 'etc/systemd/system', `${unit}.d`, 'e2e-user.conf');
        mkdirSync(dirname(dropIn), { recursive: true });
        writeFileSync(dropIn, `[Service]\nUser=${userInfo().username}\n`);
      }
    }
    return tree;
  }

  /**
   * A directory in the workspace that `user` may write, for a daemon run as
   * that account (the workspace made traversable, as /var/lib is): the
   * suite's own when it cannot switch users.
   */
  private daemonDir(user: string, ...parts: string[]): string {
    const dir = this.ws.mkdir(...parts);
    if (runsAsDaemonUsers) {
      chmodSync(this.ws.dir, 0o755);
      const { uid, gid } = accountIds(user);
      chownSync(dir, uid, gid);
    }
    return dir;
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return cleanEnv({ DSA110_PORTS_FILE: this.registryFile, ...extra });
  }

  log(name: string): string {
    return this.ws.path('logs', `${name}.log`);
  }

  private async start(key: string, daemon: Promise<Daemon>): Promise<Daemon> {
    const started = await daemon;
    this.daemons.set(key, started);
    return started;
  }

  /** Stop one daemon this stack started (by the PID it recorded). */
  async stop(key: string): Promise<void> {
    const daemon = this.daemons.get(key);
    if (!daemon) return;
    await daemon.stop();
    this.daemons.delete(key);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.daemons.keys()].map((key) => this.stop(key)));
  }

  get(key: string): Daemon {
    const daemon = this.daemons.get(key);
    if (!daemon) throw new Error(`e2e: ${key} is not running`);
    return daemon;
  }

  nginxConfig(): string {
    const dir = this.ws.mkdir('nginx');
    this.ws.mkdir('nginx', 'tmp');
    const t = (name: string) => join(dir, 'tmp', name);
    return this.ws.write(
      'nginx/nginx.conf',
      `# From the test registry: nginx on port ${this.ports.nginx}, /api/ to the FastAPI port ${this.ports.api}.
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log stderr notice;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${t('body')};
  proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')};
  uwsgi_temp_path ${t('uwsgi')};
  scgi_temp_path ${t('scgi')};
  server {
    listen 127.0.0.1:${this.ports.nginx};
    location /api/ { proxy_pass http://127.0.0.1:${this.ports.api}; }
    location /metrics { allow 127.0.0.1; deny all; proxy_pass http://127.0.0.1:${this.ports.api}; }
    location / { default_type text/plain; return 200 "dsa110 frontend\\n"; }
  }
}
`,
    );
  }

  startNginx(): Promise<Daemon> {
    const conf = this.nginxConfig();
    const prefix = this.ws.path('nginx');
    return this.start(
      'nginx',
      startDaemon({
        name: 'nginx',
        command: programs.nginx,
        // -e: the error log before the config is read (not /var/log/nginx).
        args: ['-e', 'stderr', '-p', `${prefix}/`, '-c', conf, '-g', 'daemon off;'],
        logFile: this.log('nginx'),
        port: this.ports.nginx,
        ...httpProbe(`http://127.0.0.1:${this.ports.nginx}/`),
      }),
    );
  }

  /** Redis on its registry port; `bind` 0.0.0.0 only for the access scenario (protected mode stays on). */
  startRedis(bind = '127.0.0.1'): Promise<Daemon> {
    const dir = this.daemonDir(DAEMON_USERS.redis, 'redis');
    const port = this.registry.resolvePort('redis', { env: {} }).port;
    return this.start(
      'redis',
      startDaemon({
        name: 'redis-server',
        command: programs.redis,
        args: [
          this.ws.path(CONFIG_FILES['redis-conf']),
          '--port',
          String(port),
          '--bind',
          bind,
          '--protected-mode',
          'yes',
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
          '--dir',
          dir,
        ],
        logFile: this.log('redis'),
        user: DAEMON_USERS.redis,
        env: { ...process.env, REDIS_PORT: String(port) },
        port,
        ready: () => redisPing(port),
      }),
    );
  }

  /** uvicorn on the API port, read the way the service reads it: $CONTIMG_API_PORT, resolved by the registry. */
  startApi(): Promise<Daemon> {
    const env = { ...cleanEnv(), CONTIMG_API_PORT: String(this.ports.api) };
    const { port } = this.registry.resolvePort('api', { env });
    return this.start(
      'api',
      startDaemon({
        name: 'uvicorn',
        command: this.ws.path('bin', 'uvicorn'),
        args: ['--app-dir', this.ws.path('app'), 'app:app', '--host', '127.0.0.1', '--port', String(port), '--lifespan', 'off', '--no-access-log'],
        logFile: this.log('uvicorn'),
        env,
        port,
        ...httpProbe(`http://127.0.0.1:${port}/api/health`),
      }),
    );
  }

  startNodeExporter(): Promise<Daemon> {
    return this.start(
      'node-exporter',
      startDaemon({
        name: 'prometheus-node-exporter',
        command: programs.nodeExporter,
        args: [
          `--web.listen-address=127.0.0.1:${this.ports.nodeExporter}`,
          '--collector.disable-defaults',
          '--collector.textfile',
          `--collector.textfile.directory=${this.textfileDir}`,
        ],
        logFile: this.log('node-exporter'),
        port: this.ports.nodeExporter,
        ...httpProbe(`http://127.0.0.1:${this.ports.nodeExporter}/metrics`),
      }),
    );
  }

  prometheusConfig(): string {
    return this.ws.write(
      'prometheus/prometheus.yml',
      `# From the test registry: scrape node_exporter (textfile collector) every second.
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: dsa110-api
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:${this.ports.api}']
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:${this.ports.nodeExporter}']
`,
    );
  }

  /** Prometheus on the registry's port, with the stack's config or the one at `config` (the fleet scenario's). */
  startPrometheus(config = this.prometheusConfig()): Promise<Daemon> {
    return this.start(
      'prometheus',
      startDaemon({
        name: 'prometheus',
        command: programs.prometheus,
        args: [
          `--config.file=${config}`,
          `--web.listen-address=127.0.0.1:${this.ports.prometheus}`,
          `--storage.tsdb.path=${this.daemonDir(DAEMON_USERS.prometheus, 'prometheus', 'data')}`,
        ],
        logFile: this.log('prometheus'),
        user: DAEMON_USERS.prometheus,
        port: this.ports.prometheus,
        ...httpProbe(`http://127.0.0.1:${this.ports.prometheus}/-/ready`),
        readyTimeoutMs: 30_000,
      }),
    );
  }
}
