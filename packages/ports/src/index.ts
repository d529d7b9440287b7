// @dsa110/ports: the DSA-110 port registry. Loading and resolving only; the
// socket and process readers live in '@dsa110/ports/system', the renderers in
// '@dsa110/ports/render', so a service that resolves a port loads neither.
export { checkRegistryFile, loadRegistry, parseRegistry, registryPath, REGISTRY_ENV, BUNDLED_SOURCE, type LoadOptions, type ParseOptions } from './load.js';
export { protectPatternPlace, protectPatternPosition } from './registry-positions.js';
export {
  Registry,
  registryArgument,
  type Service,
  type ReservedRange,
  type ClaimPolicy,
  type ResolvedPort,
  type ResolveOptions,
  type Transport,
  type AccessLevel,
  type ConfiguredBy,
  type RegistryData,
  type Group,
  type ConfigRef,
} from './registry.js';
export { CONFIG_KINDS, configKinds, plainPath, type ConfigKind, type ConfigKindInfo } from './config-kinds.js';
export { RegistryError, PortsError, formatIssue, MAX_ISSUES_IN_MESSAGE, type RegistryIssue, type PortsErrorCode, type SalvagedProtection } from './errors.js';
export { parsePort, portProblem, isPort, isOtherDigits } from './port.js';
export {
  escapeText,
  processNameText,
  quoteValue,
  pathText,
  oneLine,
  prometheusLabel,
  prometheusLabels,
  truncate,
  wellFormedJson,
  MAX_QUOTED,
} from './escape.js';
export { formatRange, type PortRange } from './rules.js';
export { urlScheme, type UrlScheme } from './url-scheme.js';
export { parseConfigYaml } from './config-yaml.js';
export { YAML_DOUBLE_QUOTE_ESCAPES } from './yaml-escapes.js';
export { flagWords, printedShellWord } from './shell-word.js';
export {
  BUILTIN_PROTECTED_PROCESSES,
  BUILTIN_PROTECTED_ALIASES,
  CONTAINER_RUNTIME_PROCESSES,
  MIN_PROTECTED_PIDS_UP_TO,
  effectiveProtectedProcesses,
} from './builtin-protection.js';
export {
  MAX_CLAIM_TIMEOUT_SECONDS,
  DEFAULT_CLAIM_TIMEOUT_SECONDS,
  CLAIM_KILL_WAIT_MS,
  CLAIM_SETTLE_MS,
  CLAIM_SETTLE_MAX_MS,
  CLAIM_BIND_GRACE_MS,
  CLAIM_AFTER_TIMEOUT_MS,
  isClaimTimeout,
  MAX_UNIT_BYTES,
  MAX_CONFIG_BYTES,
  MAX_REGISTRY_BYTES,
} from './limits.js';
export { claimWorstCaseSeconds } from './claim-time.js';
export { describeArgument, envArgument, optionsArgument } from './arguments.js';
export type { ServiceId } from './generated/registry.js';
