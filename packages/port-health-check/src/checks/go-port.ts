// A port as a Go server reads it from its settings: Grafana's http_port and
// Prometheus's --web.listen-address. One reading for both checks.

/**
 * Pure: the port a Go server listens on for `value`: decimal digits, leading
 * zeros allowed (Go's net.Listen reads `03030` as 3030, and the URL each
 * server builds from it parses); undefined for anything else. Go's port
 * parser would take `+3030` too, but not the URL built from it (Prometheus's
 * external URL, Grafana's default root_url): the server exits at start
 * (checked with Prometheus 2: `invalid port ":+19090" after host`). A name
 * (looked up in /etc/services) and a port above 65535 are none either.
 */
export function goPort(value: string): number | undefined {
  if (!/^[0-9]+$/.test(value)) return undefined;
  const port = Number(value);
  return port <= 65535 ? port : undefined;
}
