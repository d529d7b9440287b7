// The text report for people: a table with one row per service, then the
// problems grouped by severity, then one summary line. `quiet` prints the
// problems alone (nothing at all when every check passed, so cron sends no
// mail). Colour only when asked (the CLI asks on a TTY without NO_COLOR).
import { oneLine, optionsArgument, pathText } from '@dsa110/ports';
import { processName } from '../process-match.js';
import { reportArgument } from './argument.js';
import { EXIT } from '../exit-code.js';
import { plural } from '../label.js';
import type { HealthReport, ServiceRow } from '../report.js';
import { PROBLEM_SEVERITIES, type CheckResult, type ProcessFacts, type Severity } from '../types.js';

export interface TextOptions {
  readonly color?: boolean;
  readonly quiet?: boolean;
}

/** Every option of renderText, one per key of TextOptions (the compiler holds the two together). */
const TEXT_OPTIONS: Readonly<Record<keyof TextOptions, true>> = { color: true, quiet: true };
const TEXT_OPTION_KEYS = Object.keys(TEXT_OPTIONS);

const COLORS: Readonly<Record<Severity, string>> = { ok: '32', info: '36', unknown: '35', warning: '33', error: '31' };
const HEADINGS: Readonly<Record<Severity, string>> = { error: 'Errors', warning: 'Warnings', unknown: 'Unknown', info: 'Info', ok: 'Passed' };

/**
 * A line's priority in the journal (the bin's stdout under a unit is one): syslog's levels, as @dsa110/ports/cli's Severity
 * names them. Written out, not imported from the internal CLI kit, so the published types stand alone; test/report/text.test.ts
 * ties the two.
 */
export type JournalLevel = 'error' | 'warn' | 'notice' | 'info';

/** A line of the text report (without its newline) and the journal priority of what it says. */
export interface TextLine {
  readonly text: string;
  readonly level: JournalLevel;
}

/** A finding's priority: an error `err`, a warning `warning`, what could not be checked `notice`, the rest `info`. */
const LEVELS: Readonly<Record<Severity, JournalLevel>> = { error: 'error', warning: 'warn', unknown: 'notice', info: 'info', ok: 'info' };

export function renderText(report: HealthReport, options?: TextOptions): string {
  reportArgument('renderText', report);
  options = optionsArgument('renderText', options, TEXT_OPTION_KEYS);
  const lines = textLines(report, options);
  return lines.length ? `${lines.map((line) => line.text).join('\n')}\n` : '';
}

/**
 * renderText's lines, each with its journal priority, for the CLI to write
 * (where stdout is the journal each then starts with its level, so
 * `journalctl -p warning` shows the problems a timer's run found): a problem
 * line and its group's heading have the problem's, the summary the exit
 * code's (1 an error, 2 a warning), the table and the rest info.
 */
export function textLines(report: HealthReport, options: TextOptions = {}): TextLine[] {
  const paint = (severity: Severity, text: string) => (options.color ? `\x1b[${COLORS[severity]}m${text}\x1b[0m` : text);
  const bold = (text: string) => (options.color ? `\x1b[1m${text}\x1b[0m` : text);
  const lines: TextLine[] = [];
  const info = (text: string) => lines.push({ text, level: 'info' });

  if (options.quiet) {
    for (const severity of PROBLEM_SEVERITIES) {
      for (const result of once(report.results.filter((r) => r.severity === severity))) {
        lines.push({ text: `${paint(severity, severity)}: ${line(result)}`, level: LEVELS[severity] });
      }
    }
    return lines;
  }

  if (report.services.length > 0) {
    // A reader scans the PORT column for a port, so rows follow the port they show (the effective one: a unit's
    // Environment= that moves a service moves its row), not the registry's; a stable sort keeps the registry's order
    // between rows of one port.
    const sorted = [...report.services].sort((a, b) => a.port - b.port);
    const rows = sorted.map((row) => [String(row.port), row.id, state(row), owners(row), row.verdict]);
    const header = ['PORT', 'SERVICE', 'STATE', 'OWNER', 'VERDICT'];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    const pad = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
    info(bold(pad(header)));
    for (const row of rows) {
      const verdict = row[4] as Severity;
      info(pad([...row.slice(0, 4), paint(verdict, verdict)]));
    }
    info('');
  }

  for (const severity of [...PROBLEM_SEVERITIES, 'info'] as const) {
    const results = report.results.filter((result) => result.severity === severity);
    if (results.length === 0) continue;
    // Counted as the summary counts them (one per service a shared problem concerns), printed once per problem.
    lines.push({ text: paint(severity, `${HEADINGS[severity]} (${results.length})`), level: LEVELS[severity] });
    for (const result of once(results)) lines.push({ text: `  ${line(result)}`, level: LEVELS[severity] });
    info('');
  }
  lines.push({ text: summary(report, paint), level: report.exitCode === EXIT.errors ? 'error' : report.exitCode === EXIT.warnings ? 'warn' : 'info' });
  return lines;
}

/** The results to print: of those that share a `sharedText` (one problem of several services), the first alone. */
function once(results: readonly CheckResult[]): CheckResult[] {
  const said = new Set<string>();
  return results.filter((result) => result.sharedText === undefined || (!said.has(result.sharedText) && said.add(result.sharedText)));
}

function line(result: CheckResult): string {
  // Reasons quote unit lines, paths and command lines: one line each, control characters visible.
  return `[${result.check}] ${oneLine(result.sharedText ?? result.reason)}`;
}

function state(row: ServiceRow): string {
  if (row.listening === undefined) return 'unknown';
  if (!row.listening) return 'not listening';
  return row.addresses.join(', ');
}

function owners(row: ServiceRow): string {
  if (!row.listening) return '-';
  const seen = row.owners.map((process: ProcessFacts) => `${ownerName(process.comm)}[${process.pid}]`);
  if (!row.ownersKnown) seen.push('?');
  return seen.join(', ');
}

/** A holder's name in the OWNER column (processName), `?` when it was not read. */
function ownerName(comm: string | undefined): string {
  return comm === undefined ? '?' : processName(comm, 32, true);
}

/** `port-health-check: 1 error, 2 warnings, 0 unknown; 20 passed (8 services, ports.yaml (bundled), 41 ms): exit 1` */
export function summary(report: HealthReport, paint: (severity: Severity, text: string) => string = (_, text) => text): string {
  const { counts } = report;
  const parts = [
    paint(counts.error ? 'error' : 'ok', plural(counts.error, 'error')),
    paint(counts.warning ? 'warning' : 'ok', plural(counts.warning, 'warning')),
    `${counts.unknown} unknown`,
    `${counts.info} info`,
    `${counts.ok} passed`,
  ];
  // The registry path and the root come from the command line: escaped, so the summary stays one line, and quoted as the
  // error lines quote them when they would not be seen for what they are (`DSA110_PORTS_FILE=' '`: `" "`, not a blank).
  const scope = `${plural(report.services.length, 'service')}, ${pathText(report.registry)}${report.root === '/' ? '' : `, root ${pathText(report.root)}`}, ${Math.round(report.durationMs)} ms`;
  return `port-health-check: ${parts.join(', ')} (${scope}): exit ${report.exitCode}`;
}
