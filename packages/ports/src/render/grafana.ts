// The Grafana side of the fleet view, from the registry: a dashboard with one
// row per TCP service (listening per host, owner and access findings) under a row
// for the health check itself, plus the provisioning files that load it and
// the Prometheus datasource it queries. Every query reads only metrics that
// port-health-check writes (a contract test holds the two packages together).
import { prometheusLabels, urlScheme, type Registry, type Service, type UrlScheme } from '../index.js';
import { accessLabel } from './labels.js';
import { GENERATED_BY, socketsRead } from './alert-rules.js';
import { toYaml, type YamlValue } from './yaml.js';

export const DASHBOARD_UID = 'dsa110-ports';

/** The series the host list is read from: one every run of the health check writes. */
const HOST_SERIES = 'dsa110_port_health_last_run_timestamp_seconds';
export const DASHBOARD_FILE = 'dsa110-ports.json';
export const DATASOURCE_UID = 'dsa110-prometheus';
/** Where the provisioning file tells Grafana to find the dashboard JSON. */
export const DASHBOARD_DIR = '/var/lib/grafana/dashboards/dsa110';
/** The service Grafana's datasource points at when no grafana-datasource config names one. */
export const PROMETHEUS_SERVICE = 'prometheus';

const DATASOURCE = { type: 'prometheus', uid: DATASOURCE_UID } as const;
const HOSTS = 'instance=~"$instance"';

type Panel = Record<string, unknown>;

function target(expr: string, legendFormat: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { datasource: DATASOURCE, expr, legendFormat, refId: 'A', ...extra };
}

function selector(service: Service, more = ''): string {
  return `{service=${JSON.stringify(service.id)},${HOSTS}${more}}`;
}

function serviceRow(service: Service, y: number, nextId: () => number): Panel[] {
  const title = `${service.name}: port ${service.port} (${accessLabel(service.access).toLowerCase()}${service.robust ? ', robust' : ''})`;
  return [
    { type: 'row', id: nextId(), title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] },
    {
      type: 'stat',
      id: nextId(),
      title: `${service.name}: listening per host`,
      datasource: DATASOURCE,
      gridPos: { h: 5, w: 10, x: 0, y: y + 1 },
      targets: [target(`dsa110_port_up${selector(service)}`, '{{instance}}')],
      options: { colorMode: 'background', graphMode: 'none', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, textMode: 'value_and_name' },
      fieldConfig: {
        defaults: {
          mappings: [{ type: 'value', options: { '0': { text: 'DOWN', color: 'red', index: 0 }, '1': { text: 'up', color: 'green', index: 1 } } }],
          thresholds: {
            mode: 'absolute',
            steps: [
              { color: 'red', value: null },
              { color: 'green', value: 1 },
            ],
          },
        },
        overrides: [],
      },
    },
    {
      type: 'table',
      id: nextId(),
      title: `${service.name}: owner, access and firewall findings`,
      description:
        'Intruders on the port (check "owner"), bind addresses wider than the access level (check "access") and a firewall that lets outside connections in (check "firewall"), per host, from port-health-check.',
      datasource: DATASOURCE,
      gridPos: { h: 5, w: 14, x: 10, y: y + 1 },
      targets: [
        target(`dsa110_port_check${selector(service, ',check=~"owner|access|firewall",severity=~"error|warning|unknown"')} == 1`, '', {
          format: 'table',
          instant: true,
        }),
      ],
      transformations: [{ id: 'organize', options: { excludeByName: { Time: true, Value: true, __name__: true, job: true }, renameByName: {} } }],
      fieldConfig: { defaults: {}, overrides: [] },
      options: { showHeader: true },
    },
  ];
}

function healthRow(nextId: () => number): Panel[] {
  return [
    { type: 'row', id: nextId(), title: 'port-health-check', collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: 0 }, panels: [] },
    {
      type: 'stat',
      id: nextId(),
      title: 'Last run, seconds ago',
      datasource: DATASOURCE,
      gridPos: { h: 5, w: 8, x: 0, y: 1 },
      targets: [target(`time() - dsa110_port_health_last_run_timestamp_seconds{${HOSTS}}`, '{{instance}}')],
      fieldConfig: {
        defaults: {
          unit: 's',
          thresholds: {
            mode: 'absolute',
            steps: [
              { color: 'green', value: null },
              { color: 'orange', value: 600 },
              { color: 'red', value: 900 },
            ],
          },
        },
        overrides: [],
      },
      options: { colorMode: 'background', graphMode: 'none', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, textMode: 'value_and_name' },
    },
    {
      type: 'stat',
      id: nextId(),
      title: 'Exit code per host',
      description: '0 all passed, 1 errors, 2 warnings only.',
      datasource: DATASOURCE,
      gridPos: { h: 5, w: 8, x: 8, y: 1 },
      targets: [target(`dsa110_port_health_exit_code{${HOSTS}}`, '{{instance}}')],
      fieldConfig: {
        defaults: {
          mappings: [
            {
              type: 'value',
              options: {
                '0': { text: 'passed', color: 'green', index: 0 },
                '1': { text: 'errors', color: 'red', index: 1 },
                '2': { text: 'warnings', color: 'orange', index: 2 },
              },
            },
          ],
        },
        overrides: [],
      },
      options: { colorMode: 'background', graphMode: 'none', reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, textMode: 'value_and_name' },
    },
    {
      type: 'timeseries',
      id: nextId(),
      title: 'Findings by severity, whole fleet',
      datasource: DATASOURCE,
      gridPos: { h: 5, w: 8, x: 16, y: 1 },
      targets: [target(`sum by (severity) (dsa110_port_health_results{${HOSTS},severity=~"error|warning|unknown"})`, '{{severity}}')],
      fieldConfig: { defaults: {}, overrides: [] },
      options: {},
    },
  ];
}

/** The dashboard JSON (stable uid; ids and positions follow the registry's order). */
/**
 * The services the dashboard has a row of panels for (about 3 kB each, whatever their names): every one outside the
 * development group whose sockets the health check reads (renderDashboard says why).
 */
export function dashboardServices(registry: Registry): Service[] {
  return registry.services.filter((service) => service.group !== 'development' && socketsRead(service));
}

export function renderDashboard(registry: Registry): string {
  prometheusLabels(registry.services.map((service) => service.id)); // two services written as one series would share a row's panels
  let id = 0;
  const nextId = () => ++id;
  const panels = healthRow(nextId);
  // Development servers are not expected to run on a host: no row for them. Nor for a UDP service: a row's panels
  // read dsa110_port_up and the owner, access and firewall results, which the health check never writes for one
  // (socketsRead(), as the alert rules leave those alerts out for it).
  const services = dashboardServices(registry);
  for (const [index, service] of services.entries()) panels.push(...serviceRow(service, 6 + index * 6, nextId));
  const dashboard = {
    uid: DASHBOARD_UID,
    title: 'DSA-110 ports',
    description: `${GENERATED_BY('ports monitoring')[0]} Port health of every host, from port-health-check's textfile metrics.`,
    tags: ['dsa110', 'ports'],
    editable: false,
    schemaVersion: 39,
    version: 1,
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    timezone: 'utc',
    templating: {
      list: [
        {
          type: 'query',
          name: 'instance',
          label: 'Host',
          datasource: DATASOURCE,
          // Every run writes its start time, whatever it could read: dsa110_port_up is a TCP service's and a readable
          // socket table's only, and a host whose services are all UDP (or whose /proc it could not read) was not listed.
          query: { query: `label_values(${HOST_SERIES}, instance)`, refId: 'instance' },
          definition: `label_values(${HOST_SERIES}, instance)`,
          includeAll: true,
          multi: true,
          allValue: '.+',
          current: { selected: true, text: ['All'], value: ['$__all'] },
          refresh: 2,
          sort: 1,
        },
      ],
    },
    annotations: { list: [] },
    links: [],
    panels,
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

/** Grafana's dashboard provisioning file (provisioning/dashboards/). */
export function renderDashboardProvisioning(dashboardDir = DASHBOARD_DIR): string {
  return toYaml(
    {
      apiVersion: 1,
      providers: [{ name: 'dsa110-ports', folder: 'DSA-110', type: 'file', disableDeletion: true, allowUiUpdates: false, options: { path: dashboardDir } }],
    },
    [...GENERATED_BY('ports monitoring'), `Install in /etc/grafana/provisioning/dashboards/; put ${DASHBOARD_FILE} in ${dashboardDir}.`],
  );
}

/**
 * The service Grafana's datasource points at, for `ports monitoring` and
 * `ports snippet grafana-datasource` alike: the upstream of the registry's
 * grafana-datasource config (the first, in registry order, when there are
 * several), else the service \`prometheus\`; undefined when there is neither.
 */
export function datasourceUpstream(registry: Registry): Service | undefined {
  for (const service of registry.services) {
    const ref = service.configs.find((config) => config.kind === 'grafana-datasource');
    // Validation requires upstream: on this kind; without it, the service itself is meant (as every snippet reads a missing upstream).
    if (ref) return registry.service(ref.upstream ?? service.id);
  }
  return registry.has(PROMETHEUS_SERVICE) ? registry.service(PROMETHEUS_SERVICE) : undefined;
}

/** The datasource provisioning document for the Prometheus at `port` (`scheme`: https for an HTTPS Prometheus), with the uid the dashboard names. */
export function datasourceDocument(port: number, scheme: UrlScheme = 'http'): YamlValue {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'DSA-110 Prometheus',
        uid: DATASOURCE_UID,
        type: 'prometheus',
        access: 'proxy',
        url: `${scheme}://localhost:${port}`,
        isDefault: false,
        editable: false,
      },
    ],
  };
}

/** Grafana's datasource provisioning file, pointing at datasourceUpstream(); undefined without one. */
export function renderDatasourceProvisioning(registry: Registry): string | undefined {
  const upstream = datasourceUpstream(registry);
  if (upstream === undefined) return undefined;
  return toYaml(datasourceDocument(upstream.port, urlScheme(upstream)), [
    ...GENERATED_BY('ports monitoring'),
    'Install in /etc/grafana/provisioning/datasources/.',
    ...httpsDatasourceNote(upstream),
  ]);
}

/** The comment lines for a datasource at an HTTPS Prometheus: Grafana verifies its certificate, as Prometheus verifies a target's. */
export function httpsDatasourceNote(upstream: Service): string[] {
  if (urlScheme(upstream) !== 'https') return [];
  return [
    "Grafana verifies Prometheus's certificate against this host's CAs for the name localhost: a self-signed one fails",
    '(x509); add its CA to /usr/local/share/ca-certificates and run update-ca-certificates.',
  ];
}
