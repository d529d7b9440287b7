// The config check: a service whose port is set by a key in its config file
// (`configuredBy: { file: grafana.ini, key: http_port }`, `config:` naming the
// file) has that key set to its port. Read under --root, so an image can be
// checked before it boots. A missing key means the program's own default,
// which is how Grafana ends up on 3000, Vite's port.
import type { Service } from '@dsa110/ports';
import { effectivePort, unitVariable } from '../effective-port.js';
import { goPort } from './go-port.js';
import { serviceResult } from './service-result.js';
import type { CheckResult, Facts } from '../types.js';

/**
 * The uncommented `key = value`, `key: value` or `key value` line that takes
 * effect: the LAST one, as go-ini (Grafana), Redis and systemd read a key
 * given twice. With `section`, only lines under an INI `[section]` header of
 * that name count (Grafana reads http_port from [server] only; a [server]
 * given twice is one section). Value and 1-based line.
 */
export function findSetting(text: string, key: string, section?: string): { value: string; line: number } | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^\\s*${escaped}\\s*(?:=|:|\\s)\\s*(.*?)\\s*$`);
  const lines = text.split('\n'); // a CRLF line's \r is trailing space to the pattern
  let current: string | undefined; // the INI section a line is in (none before the first header)
  let found: { value: string; line: number } | undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (section !== undefined && line.trimStart().startsWith('[')) {
      const header = /^\s*\[([^\]]*)\]/.exec(line);
      if (header) current = header[1]!.trim();
      continue;
    }
    // The key must appear for the pattern to match: skip the regular expressions
    // on every other line (a fresh process interprets them: milliseconds on a long file).
    if (!line.includes(key) || /^\s*[#;]/.test(line) || current !== section) continue;
    const match = pattern.exec(line);
    if (match) found = { value: match[1]!.replace(/\s+[#;].*$/, '').replace(/^(["'])(.*)\1$/, '$2'), line: index + 1 };
  }
  return found;
}

/**
 * The INI section a config file's port key lives in, by file name, and the
 * environment variables that override it: Grafana reads `http_port` under
 * `[server]` (what `ports snippet grafana-ini` writes), and
 * `GF_SERVER_HTTP_PORT` in its environment wins over the file.
 */
const INI_FILES: Readonly<Record<string, { section: string; envPrefix: string; portSyntax: PortSyntax }>> = {
  'grafana.ini': { section: 'server', envPrefix: 'GF_', portSyntax: 'go' },
};

/**
 * How the program reads its port key: `exact`, the registry's digits only (the
 * default: Redis refuses `port 06379`, and an unknown program may too); `go`,
 * as Go's net package reads a port (Grafana hands http_port to net.Listen).
 */
type PortSyntax = 'exact' | 'go';

/** Pure: how a value the program reads as `port` but written otherwise (`03030`) is read, for the report; '' for the port's own digits. */
function readAs(value: string, port: number, service: Service): string {
  return value === String(port) ? '' : `, which ${service.name} reads as port ${port}`;
}

/** Pure: whether the program reads `value` as `port`. */
function setsPort(value: string, port: number, syntax: PortSyntax): boolean {
  return value === String(port) || (syntax === 'go' && goPort(value) === port);
}

export function configKey(service: Service): { file: string; key: string; section?: string; envOverride?: string; portSyntax: PortSyntax } | undefined {
  const by = service.configuredBy;
  if (typeof by !== 'object' || !('file' in by) || !by.key || !service.config) return undefined;
  const ini = Object.hasOwn(INI_FILES, by.file) ? INI_FILES[by.file] : undefined;
  if (!ini) return { file: service.config, key: by.key, portSyntax: 'exact' };
  const envOverride = `${ini.envPrefix}${ini.section}_${by.key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return { file: service.config, key: by.key, section: ini.section, envOverride, portSyntax: ini.portSyntax };
}

export function checkConfig(facts: Facts, service: Service): CheckResult[] {
  const wanted = configKey(service);
  if (!wanted) return [];
  const { port } = effectivePort(facts, service);
  const config = facts.configs.get(wanted.file);
  const result = serviceResult('config', service, port);
  if (!config || config.text === undefined) {
    const shownRoot = facts.root === '/' ? '' : ` under ${facts.root}`;
    return [result('unknown', `cannot check ${wanted.key} in ${wanted.file}${shownRoot}: ${config?.problem ?? 'not read'}`)];
  }
  // The unit's Environment= and EnvironmentFile= (what systemd hands the program): an override of the key wins over the file.
  const overridden = wanted.envOverride !== undefined ? unitVariable(facts, service, wanted.envOverride) : {};
  const override = overridden.setting;
  if (override) {
    const at = `${override.file}:${override.line}`;
    const what = `${at} sets ${wanted.envOverride}=${override.value}, which overrides ${wanted.key} in ${wanted.file}`;
    if (overridden.doubt !== undefined) return [result('unknown', `${what}, but ${overridden.doubt}, so the port cannot be told`, at)];
    if (!setsPort(override.value.trim(), port, wanted.portSyntax))
      return [result('error', `${what}, but the registry says ${service.name} uses port ${port}`, at)];
    return [result('ok', `${what}${readAs(override.value.trim(), port, service)}`, at)];
  }
  // Not set where it could be read, but perhaps in a file that could not be: then the file's key may not count.
  if (overridden.doubt !== undefined) {
    return [result('unknown', `${wanted.envOverride} would override ${wanted.key} in ${wanted.file}, and ${overridden.doubt}, so the port cannot be told`)];
  }
  const setting = findSetting(config.text, wanted.key, wanted.section);
  if (!setting) {
    return [
      result(
        'warning',
        `${wanted.file} does not set ${wanted.key}${wanted.section !== undefined ? ` in [${wanted.section}]` : ''}, so ${service.name} uses its built-in default port, not ${port}; add ${wanted.key} = ${port}${wanted.section !== undefined ? ` under [${wanted.section}]` : ''}`,
        wanted.file,
      ),
    ];
  }
  const at = `${wanted.file}:${setting.line}`;
  // `${VAR}` or `$__env{VAR}` (Grafana expands them from its environment): the unit's Environment=, else unknown.
  const variable = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|__env\{([A-Za-z_][A-Za-z0-9_]*)\})$/.exec(setting.value);
  let value = setting.value;
  let from = '';
  if (variable) {
    const name = (variable[1] ?? variable[2])!;
    const { setting: set, doubt } = unitVariable(facts, service, name);
    if (doubt !== undefined) {
      return [
        result('unknown', `${at} sets ${wanted.key} = ${setting.value}, from ${service.name}'s environment, but ${doubt}, so the port cannot be told`, at),
      ];
    }
    if (!set) {
      return [
        result(
          'unknown',
          `${at} sets ${wanted.key} = ${setting.value}, from ${service.name}'s environment, and the unit sets no ${name} (in Environment= or an EnvironmentFile=), so the port cannot be told`,
          at,
        ),
      ];
    }
    value = set.value.trim();
    from = ` (${name}=${set.value} from ${set.file}:${set.line})`;
  }
  if (!setsPort(value, port, wanted.portSyntax)) {
    return [result('error', `${at} sets ${wanted.key} = ${setting.value}${from}, but the registry says ${service.name} uses port ${port}`, at)];
  }
  return [result('ok', `${at} sets ${wanted.key} = ${setting.value}${from}${readAs(value, port, service)}`, at)];
}
