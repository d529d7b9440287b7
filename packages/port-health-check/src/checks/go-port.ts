// A port as Go's net package reads it (parsePort, under net.Listen and
// net.Dial): what Grafana's http_port and Prometheus's --web.listen-address
// become. One reading for both checks.

/**
 * Pure: the port Go's net package reads from `value` (its parsePort): decimal
 * digits, with leading zeros and a `+` allowed, so Grafana given
 * `http_port = 03030` listens on 3030; undefined for anything else (Go looks a
 * name up in /etc/services, and refuses a port above 65535).
 */
export function goPort(value: string): number | undefined {
  if (!/^\+?[0-9]+$/.test(value)) return undefined;
  const port = Number(value);
  return port <= 65535 ? port : undefined;
}
