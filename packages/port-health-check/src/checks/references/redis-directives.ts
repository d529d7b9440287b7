// The directive names each Redis version reads in a config file (or as a --name option after it), by major.minor:
// any other first word of a line, but a module's setting (a name with a `.`), makes it refuse to start ("Bad
// directive or wrong number of arguments"). Generated from redis's src/config.c at tag 7.0.15
// (github.com/redis/redis): every name and alias of the static_configs table (the tls-* ones too: Debian builds with
// TLS), deprecated_configs (list-max-ziplist-entries, list-max-ziplist-value, lua-replicate-commands), and the names
// loadServerConfigFromString reads itself (include, rename-command, user, loadmodule, sentinel). Checked against
// Debian's redis-server 7.0.15: CONFIG GET * names the table's non-hidden names and their aliases, no others, and
// the hidden and deprecated ones start it. A version with no list here has no name held unknown.
// To add a version: the same names of its config.c (its table's createXXXConfig("name", "alias", ...) lines).

/** By major.minor, the directive names Redis reads, lower case (it lowers a line's first word), space-separated. */
const DIRECTIVE_NAMES: Readonly<Record<string, string>> = {
  '7.0': `
    acl-pubsub-default aclfile acllog-max-len active-defrag-cycle-max active-defrag-cycle-min
    active-defrag-ignore-bytes active-defrag-max-scan-fields active-defrag-threshold-lower
    active-defrag-threshold-upper active-expire-effort activedefrag activerehashing always-show-logo
    aof-disable-auto-gc aof-load-truncated aof-rewrite-incremental-fsync aof-timestamp-enabled
    aof-use-rdb-preamble aof_rewrite_cpulist appenddirname appendfilename appendfsync appendonly
    auto-aof-rewrite-min-size auto-aof-rewrite-percentage bgsave_cpulist bind bind-source-addr bio_cpulist
    busy-reply-threshold client-output-buffer-limit client-query-buffer-limit cluster-allow-pubsubshard-when-down
    cluster-allow-reads-when-down cluster-allow-replica-migration cluster-announce-bus-port
    cluster-announce-hostname cluster-announce-ip cluster-announce-port cluster-announce-tls-port
    cluster-config-file cluster-enabled cluster-link-sendbuf-limit cluster-migration-barrier cluster-node-timeout
    cluster-port cluster-preferred-endpoint-type cluster-replica-no-failover cluster-replica-validity-factor
    cluster-require-full-coverage cluster-slave-no-failover cluster-slave-validity-factor crash-log-enabled
    crash-memcheck-enabled daemonize databases dbfilename dir disable-thp dynamic-hz enable-debug-command
    enable-module-command enable-protected-configs hash-max-listpack-entries hash-max-listpack-value
    hash-max-ziplist-entries hash-max-ziplist-value hll-sparse-max-bytes hz ignore-warnings include io-threads
    io-threads-do-reads jemalloc-bg-thread key-load-delay latency-monitor-threshold latency-tracking
    latency-tracking-info-percentiles lazyfree-lazy-eviction lazyfree-lazy-expire lazyfree-lazy-server-del
    lazyfree-lazy-user-del lazyfree-lazy-user-flush lfu-decay-time lfu-log-factor list-compress-depth
    list-max-listpack-size list-max-ziplist-entries list-max-ziplist-size list-max-ziplist-value
    loading-process-events-interval-bytes loadmodule logfile loglevel lua-replicate-commands lua-time-limit
    masterauth masteruser maxclients maxmemory maxmemory-clients maxmemory-eviction-tenacity maxmemory-policy
    maxmemory-samples min-replicas-max-lag min-replicas-to-write min-slaves-max-lag min-slaves-to-write
    no-appendfsync-on-rewrite notify-keyspace-events oom-score-adj oom-score-adj-values pidfile port
    proc-title-template propagation-error-behavior protected-mode proto-max-bulk-len rdb-del-sync-files
    rdb-key-save-delay rdb-save-incremental-fsync rdbchecksum rdbcompression rename-command repl-backlog-size
    repl-backlog-ttl repl-disable-tcp-nodelay repl-diskless-load repl-diskless-sync repl-diskless-sync-delay
    repl-diskless-sync-max-replicas repl-ping-replica-period repl-ping-slave-period repl-timeout
    replica-announce-ip replica-announce-port replica-announced replica-ignore-disk-write-errors
    replica-ignore-maxmemory replica-lazy-flush replica-priority replica-read-only replica-serve-stale-data
    replicaof requirepass sanitize-dump-payload save sentinel server_cpulist set-max-intset-entries
    set-proc-title shutdown-on-sigint shutdown-on-sigterm shutdown-timeout slave-announce-ip slave-announce-port
    slave-ignore-maxmemory slave-lazy-flush slave-priority slave-read-only slave-serve-stale-data slaveof
    slowlog-log-slower-than slowlog-max-len socket-mark-id stop-writes-on-bgsave-error stream-node-max-bytes
    stream-node-max-entries supervised syslog-enabled syslog-facility syslog-ident tcp-backlog tcp-keepalive
    timeout tls-auth-clients tls-ca-cert-dir tls-ca-cert-file tls-cert-file tls-ciphers tls-ciphersuites
    tls-client-cert-file tls-client-key-file tls-client-key-file-pass tls-cluster tls-dh-params-file tls-key-file
    tls-key-file-pass tls-port tls-prefer-server-ciphers tls-protocols tls-replication tls-session-cache-size
    tls-session-cache-timeout tls-session-caching tracking-table-max-keys unixsocket unixsocketperm
    use-exit-on-panic user watchdog-period zset-max-listpack-entries zset-max-listpack-value
    zset-max-ziplist-entries zset-max-ziplist-value  `,
};

const parsed = new Map<string, ReadonlySet<string>>();

/**
 * The major.minor of a Redis version as dpkg gives it (`5:7.0.15-1~deb12u10`: epoch, upstream, Debian revision), or
 * as Redis prints it (`7.0.15`); undefined for any other text.
 */
export const redisMajorMinor = (version: string): string | undefined => /^(?:\d+:)?(\d+\.\d+)(?:[.~+-]|$)/.exec(version)?.[1];

/** The directive names Redis `version` reads (DIRECTIVE_NAMES), or undefined when this check holds no list for its major.minor. */
export function redisDirectiveNames(version: string): ReadonlySet<string> | undefined {
  const majorMinor = redisMajorMinor(version);
  return majorMinor === undefined ? undefined : namesOf(majorMinor);
}

/** DIRECTIVE_NAMES[majorMinor] as a set, split once. */
function namesOf(majorMinor: string): ReadonlySet<string> | undefined {
  const names = DIRECTIVE_NAMES[majorMinor];
  if (names === undefined) return undefined;
  let set = parsed.get(majorMinor);
  if (set === undefined) {
    set = new Set(names.split(/\s+/).filter((name) => name !== ''));
    parsed.set(majorMinor, set);
  }
  return set;
}

/** The names every version of DIRECTIVE_NAMES reads: a line so named is no unknown name, whichever of them reads it. */
let everyVersionReads: ReadonlySet<string> | undefined;

/** A first word as the check reads one without splitting the line (references/redis.ts's DIRECTIVE_START): letters, digits, `-` and `_`, a letter first, then a space, a tab or the end. */
const PLAIN_NAME = /^[A-Za-z][A-Za-z0-9_-]*(?=[ \t]|$)/;

/**
 * Cheap and conservative: whether a Redis configuration line (a content line of redisLines, or a command-line
 * option's line) may name a directive that a Redis whose names this check holds does not know, so that the version
 * of the Redis reading it must be read to judge it. False only for a plain first word every version here reads;
 * true for any other (a quoted word, a module's setting, an odd character), as the check may have to look it up.
 */
export function mayNameUnknownDirective(line: string): boolean {
  if (everyVersionReads === undefined) {
    const [first, ...others] = Object.keys(DIRECTIVE_NAMES).map((majorMinor) => namesOf(majorMinor)!);
    everyVersionReads = new Set([...(first ?? [])].filter((name) => others.every((names) => names.has(name))));
  }
  const word = PLAIN_NAME.exec(line)?.[0];
  return word === undefined || !everyVersionReads.has(word.toLowerCase());
}
