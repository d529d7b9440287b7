// @dsa110/ports/render: everything the `ports` command prints or writes, as
// pure functions of a Registry. The CLI only parses arguments and does I/O.
export { sanitizeMarkdownTable, sanitizeMarkdownLine, markdownTable, inlineCode, markdownText, markdownProse, codeOrProse, codeSpans } from './markdown.js';
export { expandReferences, referencedPort } from './references.js';
export { accessLabel, configurableLabel, configuredByText, claimLocation } from './labels.js';
export { renderQuickReference, footnoteMark } from './quick-reference.js';
export { renderServiceDetails, renderService } from './service-details.js';
export { renderReserved } from './reserved.js';
export { renderConfiguredServices } from './configured-services.js';
export { renderClaimPortUsage, renderCommonCommands, renderFirewall, exampleService } from './snippets.js';
export { spliceMarkers, MarkerError, GENERATED_NOTE, type SpliceOptions } from './splice.js';
export { DOC_SECTIONS, renderDocSections, docReference, regenerateDocs, type DocSection } from './docs.js';
export { unifiedDiff } from './diff.js';
export {
  DEFAULT_CLAIM_PORT,
  DEFAULT_UNIT_DIR,
  DROP_IN_NAME,
  GENERATED_HEADER,
  execStartPreLine,
  claimPortDropIn,
  claimPortPathProblem,
  claimLinesIn,
  claimWiring,
  systemdDrift,
  serviceSectionLines,
  type ClaimWiring,
  type FoundClaim,
  type SystemdTree,
  type SystemdDrift,
} from './systemd.js';
export {
  DEFAULT_HEALTH_CHECK,
  DEFAULT_TEXTFILE,
  HEALTH_SERVICE,
  HEALTH_TIMER,
  HEALTH_INTERVAL,
  healthUnits,
  healthCheckCommand,
  textfileProblem,
  type HealthUnit,
  type HealthUnitOptions,
} from './health-timer.js';
export { renderEnv, isEnvFormat, ENV_FORMATS, type EnvFormat } from './env.js';
export { renderList, listJson, textTable } from './list.js';
export { toYaml, quote as yamlQuote, type YamlValue } from './yaml.js';
export {
  alertRules,
  renderAlertRules,
  socketsRead,
  CHECK_ERROR_ALERT,
  annotate,
  templateText,
  promString,
  duration,
  durationSeconds,
  NODE_JOB,
  RULES_FILE,
  RULES_TEST_FILE,
  RULE_GROUP,
  type AlertRule,
  type AlertCase,
  type AlertInput,
  type AlertOptions,
} from './alert-rules.js';
export { renderAlertTests } from './alert-tests.js';
export {
  renderPrometheusConfig,
  renderNodeTarget,
  metricsJob,
  NODE_EXPORTER_PORT,
  NODE_TARGETS_DIR,
  SCRAPE_INTERVAL,
  type PrometheusConfigOptions,
} from './prometheus-config.js';
export {
  renderDashboard,
  renderDashboardProvisioning,
  renderDatasourceProvisioning,
  DASHBOARD_UID,
  DASHBOARD_FILE,
  DASHBOARD_DIR,
  DATASOURCE_UID,
} from './grafana.js';
export { monitoringFiles, unmadeMonitoringFiles, DATASOURCE_FILE, DEFAULT_DEPLOY_DIR, type GeneratedFile, type MonitoringOptions } from './monitoring.js';
export {
  firewallPlan,
  renderNft,
  renderUfw,
  renderFirewallRules,
  isFirewallFormat,
  FIREWALL_FORMATS,
  NFT_TABLE,
  PRIVATE_NETWORKS_V4,
  PRIVATE_NETWORKS_V6,
  type FirewallEntry,
  type FirewallFormat,
  type Sources,
} from './firewall.js';
export {
  renderSnippets,
  bindAddresses,
  isSnippetKind,
  SNIPPET_KINDS,
  NGINX_API_LOCATION,
  NGINX_SITE_LOCATIONS,
  type Snippet,
  type SnippetKind,
  type PortOf,
} from './config-snippets.js';
