// prometheus.yml's scrape jobs, read line by line as the file is written (no
// YAML parser at start-up): a top-level key at the start of a line opens its
// section, and only `scrape_configs:` holds jobs (a `targets:` under
// `alerting:` is an Alertmanager's, not a job's); `- job_name:` starts a job,
// and host:port strings on `targets` lines and the list items after them are
// its targets; `files:` under `file_sd_configs:` are its file_sd files, any
// other `*_sd_configs:` a discovery this check cannot read; the
// `scrape_config_files:` section lists more files of jobs. A flow collection
// that spans lines is read as one line, and a job written as a flow mapping
// (`- {job_name: x, ...}`) is read too. A scrape config file (Prometheus
// 2.43+) is read the same way.
import { contentLines } from './finding.js';

/** A string and the line it is on. */
export interface AtLine {
  readonly line: number;
  readonly value: string;
}

export interface ScrapeJob {
  readonly name: string;
  /** The line of its `job_name:`. */
  readonly line: number;
  readonly targets: AtLine[];
  /** Each `files:` entry of its file_sd_configs, as written. */
  readonly fileSd: AtLine[];
  /** Other service discovery it uses (`consul_sd_configs`, ...), with the line of each. */
  readonly otherSd: AtLine[];
}

export interface ScrapeConfigs {
  readonly jobs: ScrapeJob[];
  /** The `scrape_config_files:` entries, as written. */
  readonly scrapeConfigFiles: AtLine[];
  /** Every top-level key with its line (a scrape config file may hold only `scrape_configs`). */
  readonly sections: AtLine[];
}

export const unquote = (text: string) => text.replace(/^['"]|['"]$/g, '');

/** How deep `[` and `{` nest on a line, outside quotes (a flow collection open at its end continues on the next line). */
function flowDepth(text: string, depth: number): number {
  let quote: string | undefined;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '[' || char === '{') depth++;
    else if (char === ']' || char === '}') depth = Math.max(0, depth - 1);
  }
  return depth;
}

/** A line of logicalLines: whether it starts at column 0 (a top-level key) and how far its key is indented (after any `- `), besides its number and text. */
export interface LogicalLine {
  readonly line: number;
  text: string;
  readonly topLevel: boolean;
  readonly indent: number;
}

/** Content lines with a flow collection that spans lines (`targets: ['a',\n 'b']`) joined into one, at the line it starts on. */
export function logicalLines(text: string): LogicalLine[] {
  const raw = text.split('\n');
  const joined: LogicalLine[] = [];
  let depth = 0;
  for (const content of contentLines(text)) {
    if (depth > 0) joined[joined.length - 1]!.text += ` ${content.text}`;
    else {
      const start = raw[content.line - 1]!;
      joined.push({ line: content.line, text: content.text, topLevel: !isSpaceAt(start, 0), indent: keyIndent(start) });
    }
    depth = flowDepth(content.text, depth);
  }
  return joined;
}

/** Whether `text[index]` is a character `\s` matches (a plain test: a regular expression per line is not free in a fresh process). */
export function isSpaceAt(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (code === 32 || (code >= 9 && code <= 13)) return true;
  if (code < 160 || Number.isNaN(code)) return false;
  return (
    code === 160 ||
    code === 5760 ||
    (code >= 8192 && code <= 8202) ||
    code === 8232 ||
    code === 8233 ||
    code === 8239 ||
    code === 8287 ||
    code === 12288 ||
    code === 65279
  );
}

/** The length of `^\s*(?:-\s+)?` in a raw line: how far its key is indented, after any `- `. */
export function keyIndent(raw: string): number {
  let index = 0;
  while (isSpaceAt(raw, index)) index++;
  if (raw[index] === '-' && isSpaceAt(raw, index + 1)) {
    index += 2;
    while (isSpaceAt(raw, index)) index++;
  }
  return index;
}

/**
 * The lines without target groups' `labels:` (a flow mapping on the line, or
 * the block under the key): a label may be named `targets` or `files`, and is
 * still no target.
 */
export function withoutLabels(lines: readonly LogicalLine[]): LogicalLine[] {
  const kept: LogicalLine[] = [];
  let labels: number | undefined; // the indent of an open block `labels:`
  for (const line of lines) {
    if (labels !== undefined && line.indent > labels && !line.text.startsWith('-')) continue;
    labels = undefined;
    if (!line.text.includes('labels')) {
      kept.push(line);
      continue;
    }
    const text = line.text.replace(/(^|[\s{,-])(['"]?)labels\2:\s*\{[^}]*\}/g, '$1');
    if (/(?:^|[\s{,-])(['"]?)labels\1:$/.test(text)) labels = line.indent;
    kept.push(text === line.text ? line : { ...line, text });
  }
  return kept;
}

/** The items of a flow sequence's text (`'a', "b", c`), unquoted. */
export const flowItems = (text: string) =>
  text
    .split(',')
    .map((part) => unquote(part.trim()))
    .filter(Boolean);

/** A key's value: a flow list's items, [] and `block` for a block list that follows, or one scalar. */
export function keyValue(rest: string): { items: string[]; block: boolean } {
  const flow = /^\[([^\]]*)\]/.exec(rest);
  if (flow) return { items: flowItems(flow[1]!), block: false };
  if (rest.trim() === '') return { items: [], block: true };
  return { items: [unquote(/^(?:'[^']*'|"[^"]*"|[^,}\]]*)/.exec(rest)![0].trim())], block: false };
}

/** A block list item (`- 'a'`), unquoted; undefined for any other line (`- key:` included). */
export function listItem(content: string): string | undefined {
  const item = /^-\s+(['"]?[^\s'"]+['"]?)$/.exec(content);
  // `- labels:` starts a mapping (the next group), not a string: a plain item cannot end in `:`.
  return item && !/^[^'"].*:$/.test(item[1]!) ? unquote(item[1]!) : undefined;
}

const KEYS = /(?:^|[\s{,-])(['"]?)(job_name|targets|files|scrape_config_files|[a-z0-9]+(?:_[a-z0-9]+)*_sd_configs)\1:\s*/g;

/** The scrape jobs of a prometheus.yml or a scrape config file, in file order (a name written twice: both). */
export function readScrapeConfigs(text: string): ScrapeConfigs {
  const jobs: ScrapeJob[] = [];
  const scrapeConfigFiles: AtLine[] = [];
  const sections: AtLine[] = [];
  let section: string | undefined;
  let current: (ScrapeJob & { sd?: string }) | undefined;
  let list: AtLine[] | undefined; // the block list the next `- item` lines belong to
  for (const { line, text: content, topLevel } of withoutLabels(logicalLines(text))) {
    const top = topLevel ? /^(['"]?)([^'"\s:]+)\1:(?:\s|$)/.exec(content) : null;
    if (top) {
      section = top[2]!;
      sections.push({ line, value: section });
      current = undefined;
      list = undefined;
    }
    // A document of other top-level keys, or none seen yet (a file of one flow mapping): jobs only under scrape_configs.
    if (section !== undefined && section !== 'scrape_configs' && section !== 'scrape_config_files') continue;
    // Every key KEYS matches holds one of these words: most lines hold none.
    const mayHoldKey = content.includes('job_name') || content.includes('targets') || content.includes('files') || content.includes('_sd_configs');
    const keys = mayHoldKey ? [...content.matchAll(KEYS)] : [];
    if (keys.length === 0) {
      const item = list && listItem(content);
      if (item !== undefined) list!.push({ line, value: item });
      else list = undefined;
      continue;
    }
    list = undefined;
    for (const key of keys) {
      const name = key[2]!;
      const value = keyValue(content.slice(key.index + key[0].length));
      const add = (into: AtLine[]) => {
        into.push(...value.items.map((item) => ({ line, value: item })));
        if (value.block) list = into;
      };
      if (name === 'scrape_config_files') add(scrapeConfigFiles);
      else if (name === 'job_name') {
        current = { name: value.items[0] ?? '', line, targets: [], fileSd: [], otherSd: [] };
        jobs.push(current);
      } else if (!current) continue;
      else if (name === 'targets') add(current.targets);
      else if (name === 'files') {
        if (current.sd === 'file_sd_configs') add(current.fileSd);
      } else {
        current.sd = name;
        if (name !== 'file_sd_configs' && !/^\[\s*\]/.test(content.slice(key.index + key[0].length))) current.otherSd.push({ line, value: name });
      }
    }
  }
  return { jobs: jobs.map(({ name, line, targets, fileSd, otherSd }) => ({ name, line, targets, fileSd, otherSd })), scrapeConfigFiles, sections };
}
