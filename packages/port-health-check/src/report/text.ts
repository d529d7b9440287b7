// The text report for people: a table with one row per service, then the
// problems grouped by severity, then one summary line. `quiet` prints the
// problems alone (nothing at all when every check passed, so cron sends no
// mail). Colour only when asked (the CLI asks on a TTY without NO_COLOR).
import { escapeText, oneLine, optionsArgument, quoteValue } from '@dsa110/ports';
import { reportArgument } from './argument.js';
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

export function renderText(report: HealthReport, options?: TextOptions): string {
  reportArgument('renderText', report);
  options = optionsArgument('renderText', options, TEXT_OPTION_KEYS);
  const paint = (severity: Severity, text: string) => (options.color ? `\x1b[${COLORS[severity]}m${text}\x1b[0m` : text);
  const bold = (text: string) => (options.color ? `\x1b[1m${text}\x1b[0m` : text);
  const lines: string[] = [];

  if (options.quiet) {
    for (const severity of PROBLEM_SEVERITIES) {
      for (const result of report.results.filter((r) => r.severity === severity)) lines.push(`${paint(severity, severity)}: ${line(result)}`);
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }

  if (report.services.length > 0) {
    const rows = report.services.map((row) => [String(row.port), row.id, state(row), owners(row), row.verdict]);
    const header = ['PORT', 'SERVICE', 'STATE', 'OWNER', 'VERDICT'];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    const pad = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
    lines.push(bold(pad(header)));
    for (const row of rows) {
      const verdict = row[4] as Severity;
      lines.push(pad([...row.slice(0, 4), paint(verdict, verdict)]));
    }
    lines.push('');
  }

  for (const severity of [...PROBLEM_SEVERITIES, 'info'] as const) {
    const results = report.results.filter((result) => result.severity === severity);
    if (results.length === 0) continue;
    lines.push(paint(severity, `${HEADINGS[severity]} (${results.length})`));
    for (const result of results) lines.push(`  ${line(result)}`);
    lines.push('');
  }
  lines.push(summary(report, paint));
  return `${lines.join('\n')}\n`;
}

function line(result: CheckResult): string {
  // Reasons quote unit lines, paths and command lines: one line each, control characters visible.
  return `[${result.check}] ${oneLine(result.reason)}`;
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

// A process names itself (any 15 bytes): one holding this column's separators or a space could pass for two
// owners (`x[9], grafana` at PID 812 read as `x[9], grafana[812]`), and `?` for the holder that was not seen.
const PLAIN_NAME = /^[A-Za-z0-9._\-/:+@~#%=]+$/;

/** A holder's name in the OWNER column: as it is when plain, else quoted (`"x[9], grafana"`), escaped either way. */
function ownerName(comm: string | undefined): string {
  if (comm === undefined) return '?';
  return PLAIN_NAME.test(comm) ? escapeText(comm, 32) : quoteValue(comm, 32);
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
  // The registry path and the root come from the command line: escaped, so the summary stays one line.
  const scope = `${plural(report.services.length, 'service')}, ${escapeText(report.registry)}${report.root === '/' ? '' : `, root ${escapeText(report.root)}`}, ${Math.round(report.durationMs)} ms`;
  return `port-health-check: ${parts.join(', ')} (${scope}): exit ${report.exitCode}`;
}
