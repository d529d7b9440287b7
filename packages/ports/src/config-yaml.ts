// Another program's YAML configuration (prometheus.yml, a Grafana
// provisioning file) read by the real YAML parser, loaded on first use: the
// health check reads those files line by line (no parser at start-up), and
// asks this only for what that reading cannot follow (a tag, a value on the
// next line).
import { stringArgument } from './arguments.js';
import { loadParser } from './load-parser.js';

/**
 * `text` as JavaScript values, as YAML 1.1 reads it (Go's yaml.v2, Prometheus's); `ok: false` with a one-line
 * problem for a file that is not YAML or is past the parser's limits (aliases, values, depth). Never throws for
 * a string; loads yaml on first use (about 50 ms).
 */
export function parseConfigYaml(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  stringArgument('parseConfigYaml', 'text', text, 'the text of a YAML file (a string)');
  return loadParser().parseConfigYamlText(text);
}
