// The ports of the host's own daemons that the registry knows of: SSH's and
// node_exporter's (which Prometheus scrapes from another host). Not DSA-110
// services, so not in the registry: `ports firewall` leaves them to the host,
// `ports validate` warns about an entry that takes one, and resolvePort refuses
// an env override onto one. Its own module, so that neither loads the
// renderers for them.

/** node_exporter's port: not a DSA-110 service, so not in the registry (its upstream default). */
export const NODE_EXPORTER_PORT = 9100;

/**
 * Ports left to the host's own daemons, whatever the registry says: SSH, so
 * that loading firewall rules cannot lock anyone out, and node_exporter. Only
 * these ports are known: an sshd elsewhere is named with `ports firewall --keep-open`.
 */
export const HOST_PORTS: readonly number[] = Object.freeze([22, NODE_EXPORTER_PORT]);

/** Whose each of HOST_PORTS is, before the word "port": `SSH port`, `node_exporter's port`. */
export const HOST_PORT_NAMES: Readonly<Record<number, string>> = Object.freeze({ 22: 'SSH', [NODE_EXPORTER_PORT]: "node_exporter's" });

/**
 * The daemon that listens on each of HOST_PORTS, by the name its process goes by: what an override onto the port
 * would collide with (resolvePort's refusal names it). Each is among claim-port's built-in protected names.
 */
export const HOST_PORT_DAEMONS: Readonly<Record<number, string>> = Object.freeze({ 22: 'sshd', [NODE_EXPORTER_PORT]: 'node_exporter' });
