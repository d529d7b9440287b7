// Grafana's expansion of its settings' values (pkg/setting/expanders.go),
// applied after every layer and override (setting.go: defaults.ini,
// cfg:default., the config file, GF_ variables, cfg:, then expandConfig):
// each `$NAME{ARG}` in a value (`\$(|__\w+){([^}]+)}`), expander by expander
// in priority order: env (`${X}`, `$__env{X}`: the variable, empty when
// unset, the host's name for an empty HOSTNAME), then file (`$__file{PATH}`:
// the file's contents, spaces trimmed; a file it cannot stat or read is an
// error, and Grafana exits at start). `$__vault{...}` is Grafana Enterprise's
// (OSS leaves it as written); any other name is left as written.
import { escapeText } from '@dsa110/ports';

/** What a variable of Grafana's environment is, as the unit gives it: its value and how it is said, or why it cannot be told (a clause after a comma). */
export type EnvLookup = { readonly value: string; readonly said: string } | { readonly unknown: string };

/** A file `$__file{}` names, as read under the root: its text, or why not (`unknown`, a clause after a comma: `and ...`; `missing`: nothing there, which Grafana exits on). */
export type FileLookup = { readonly text: string } | { readonly unknown: string } | { readonly missing: true };

/** A value expanded: the value Grafana gets and how (`said`, each expansion); or why it cannot be told; or Grafana's error at start. */
export type Expansion =
  | { readonly value: string; readonly said: readonly string[]; readonly variable?: string; readonly file?: string }
  | { readonly unknown: string }
  | { readonly fails: string; readonly path: string };

const PATTERN = /\$(|__\w+)\{([^}]+)\}/g;

/** Go's strings.TrimSpace (unicode.IsSpace): JavaScript's trim also takes U+FEFF. */
const goTrim = (text: string): string =>
  text.replace(
    /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g,
    '',
  );

/** The absolute paths a value's `$__file{}` names, once the env expander has run (`env`: each variable's value, '' when unset), for gather to read. */
export function filePaths(value: string, env: (name: string) => string): string[] {
  const paths: string[] = [];
  grafanaExpand(
    value,
    '',
    (name) => ({ value: env(name), said: '' }),
    (path) => {
      paths.push(path);
      return { text: '' };
    },
  );
  return paths;
}

/**
 * Pure: `value` of setting `key` (`server.http_port`, for Grafana's error) as Grafana expands it, with `env` and
 * `file` for what its expanders read; a whole `${X}` or `$__file{P}` is noted (`variable`, `file`) for the fix.
 */
export function grafanaExpand(value: string, key: string, env: (name: string) => EnvLookup, file: (path: string) => FileLookup): Expansion {
  let current = value;
  const said: string[] = [];
  const whole = /^\$(|__\w+)\{([^}]+)\}$/.exec(value);
  for (const expander of ['env', 'file'] as const) {
    // Go's applyExpander: the matches of the value as it stands, each replaced where it first occurs.
    for (const [match, name, argument] of [...current.matchAll(PATTERN)]) {
      if (name === '__vault') return { unknown: `and ${escapeText(match, 200)} is read from Vault by Grafana Enterprise (Grafana OSS leaves it as written)` };
      if (expander === 'env' && (name === '' || name === '__env')) {
        const got = env(argument!);
        if ('unknown' in got) return got;
        if (argument === 'HOSTNAME' && got.value === '') return { unknown: "and HOSTNAME is empty, for which Grafana takes the host's name" };
        said.push(got.said);
        current = current.replace(match, () => got.value);
      } else if (expander === 'file' && name === '__file') {
        const path = argument!;
        if (!path.startsWith('/')) return { unknown: `and $__file{${escapeText(path, 500)}} names a path relative to the directory Grafana starts in` };
        const got = file(path);
        if ('unknown' in got) return got;
        if ('missing' in got) return { fails: `got error while expanding ${key} with expander 'file': stat ${path}: no such file or directory`, path };
        const text = goTrim(got.text);
        said.push(`${escapeText(path, 500)} holds ${escapeText(text, 200)}`);
        current = current.replace(match, () => text);
      }
    }
  }
  return {
    value: current,
    said,
    ...(whole !== null && (whole[1] === '' || whole[1] === '__env') && { variable: whole[2]! }),
    ...(whole !== null && whole[1] === '__file' && { file: whole[2]! }),
  };
}
