// The config check: a service whose port is set by a key in its config file
// (`configuredBy: { file: grafana.ini, key: http_port }`, `config:` naming the
// file) has that key set to its port. Read under --root, so an image can be
// checked before it boots. A missing key means the program's own default,
// which is how Grafana ends up on 3000, Vite's port.
import type { Service } from '@dsa110/ports';
import { effectivePort } from '../effective-port.js';
import { serviceResult } from './service-result.js';
import type { CheckResult, Facts } from '../types.js';

/** The first uncommented `key = value`, `key: value` or `key value` line: value and 1-based line. */
export function findSetting(text: string, key: string): { value: string; line: number } | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^\\s*${escaped}\\s*(?:=|:|\\s)\\s*(.*?)\\s*$`);
  const lines = text.split('\n'); // a CRLF line's \r is trailing space to the pattern
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    // The key must appear for the pattern to match: skip the regular expressions
    // on every other line (a fresh process interprets them: milliseconds on a long file).
    if (!line.includes(key) || /^\s*[#;]/.test(line)) continue;
    const match = pattern.exec(line);
    if (match) return { value: match[1]!.replace(/\s+[#;].*$/, '').replace(/^(["'])(.*)\1$/, '$2'), line: index + 1 };
  }
  return undefined;
}

export function configKey(service: Service): { file: string; key: string } | undefined {
  const by = service.configuredBy;
  if (typeof by !== 'object' || !('file' in by) || !by.key || !service.config) return undefined;
  return { file: service.config, key: by.key };
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
  const setting = findSetting(config.text, wanted.key);
  if (!setting) {
    return [
      result(
        'warning',
        `${wanted.file} does not set ${wanted.key}, so ${service.name} uses its built-in default port, not ${port}; add ${wanted.key} = ${port}`,
        wanted.file,
      ),
    ];
  }
  const at = `${wanted.file}:${setting.line}`;
  if (setting.value !== String(port)) {
    return [result('error', `${at} sets ${wanted.key} = ${setting.value}, but the registry says ${service.name} uses port ${port}`, at)];
  }
  return [result('ok', `${at} sets ${wanted.key} = ${port}`, at)];
}
