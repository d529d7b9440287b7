// The configuration files, other than systemd units, that name a port: what
// each kind holds, and where Debian keeps it when the registry does not say.
// port-health-check reads each one and holds it against the registry;
// `ports snippet` prints what each should contain.

import { stringArgument } from './arguments.js';
import { deepFreeze } from './frozen.js';

export const configKinds = Object.freeze(['nginx-site', 'prometheus-yml', 'prometheus-args', 'grafana-datasource', 'redis-conf'] as const);
export type ConfigKind = (typeof configKinds)[number];

export interface ConfigKindInfo {
  /** Where Debian's package keeps it. */
  readonly debianPath: string;
  /** The service's own `config:` file, when it has one, is this kind's file. */
  readonly isServiceConfig: boolean;
  /** Whether the entry must name the service it points at (`upstream:`). */
  readonly needsUpstream: boolean;
  readonly holds: string;
  /**
   * The process names of the program that reads it (its `comm`): a service listing none of them among its
   * `processes` is likely not this file's (`ports validate` warns; a renamed binary may be right).
   */
  readonly programs: readonly string[];
}

export const CONFIG_KINDS: Readonly<Record<ConfigKind, ConfigKindInfo>> = deepFreeze({
  'nginx-site': {
    debianPath: '/etc/nginx/sites-enabled/default',
    isServiceConfig: true,
    needsUpstream: true,
    holds: "`listen` on the service's port, `proxy_pass` to the upstream's port, `location /metrics` restricted to localhost",
    programs: ['nginx'],
  },
  'prometheus-yml': {
    debianPath: '/etc/prometheus/prometheus.yml',
    isServiceConfig: true,
    needsUpstream: false,
    holds: 'a scrape job dsa110-ID for each service with `metrics:`, targeting its port',
    programs: ['prometheus'],
  },
  'prometheus-args': {
    debianPath: '/etc/default/prometheus',
    isServiceConfig: false,
    needsUpstream: false,
    holds: "`--web.listen-address` on the service's port (Debian's unit passes $ARGS from this file)",
    programs: ['prometheus'],
  },
  'grafana-datasource': {
    debianPath: '/etc/grafana/provisioning/datasources/dsa110-prometheus.yml',
    isServiceConfig: false,
    needsUpstream: true,
    holds: "the Prometheus datasource `url:` on the upstream's port",
    programs: ['grafana', 'grafana-server'],
  },
  'redis-conf': {
    debianPath: '/etc/redis/redis.conf',
    isServiceConfig: true,
    needsUpstream: false,
    holds: "`port` the service's port, `bind` within its access level",
    programs: ['redis-server'],
  },
});

/** Where a config of `kind` is when its entry names no `path:`: the service's own `config:` for its own kind, else Debian's. */
export function configPath(kind: ConfigKind, path: string | undefined, serviceConfig: string | undefined): string {
  return path ?? (CONFIG_KINDS[kind].isServiceConfig ? serviceConfig : undefined) ?? CONFIG_KINDS[kind].debianPath;
}

/**
 * `path` in plain form: its empty (`//`) and `.` segments dropped, so that one file has one spelling
 * (`/etc/redis//redis.conf` and `/etc/redis/./redis.conf` are `/etc/redis/redis.conf`). A `..` segment
 * is left as it is: through a symbolic link, `a/b/..` need not be `a`.
 */
export function plainPath(path: string): string {
  stringArgument('plainPath', 'path', path, 'a path (a string)');
  return path.replace(/\/(?:\.?\/)+/g, '/');
}

/** Where Debian's grafana package keeps grafana.ini: `ports snippet grafana-ini`'s file for a service configured by grafana.ini with no `config:`. */
export const GRAFANA_INI_PATH = '/etc/grafana/grafana.ini';
