// Markdown from a results object (as written to bench/results/*.json).
// `node src/report.mjs <results.json>` re-renders a saved run.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** A table cell: no pipes or newlines may break the row. */
const cell = (s) =>
  String(s ?? '')
    .replaceAll('|', '\\|')
    .replaceAll('\n', '<br/>');
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : 'n/a');
const range = (s) => (Number.isFinite(s.min) ? `${s.min.toFixed(1)}–${s.max.toFixed(1)}` : 'n/a');
const ratio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : 'n/a');
const plus = (x) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)} ms` : 'n/a');

function table(header, rows, align) {
  const lines = [`| ${header.map(cell).join(' | ')} |`, `| ${align.map((a) => (a === 'r' ? '---:' : '---')).join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

function commandTable(scenario) {
  const ref = scenario.referenceLabel;
  const header = ['command', 'median', 'min–max ms', `vs ${ref}`];
  const align = ['l', 'r', 'r', 'r'];
  if (scenario.showDiff) {
    header.push('minus `node -e 0`');
    align.push('r');
  }
  header.push('note');
  align.push('l');
  const rows = scenario.rows.map((r) => {
    const row = [r.label, ms(r.stats.median), range(r.stats), ratio(r.ratio)];
    if (scenario.showDiff) row.push(plus(r.diff));
    const notes = [r.note, r.problemCount ? `${r.problemCount} failed runs: ${r.problems[0]}` : ''].filter(Boolean);
    row.push(notes.join('; '));
    return row;
  });
  return table(header, rows, align);
}

function growthTable(scenario) {
  const ids = scenario.commandIds;
  const header = ['extra processes', 'their fds', ...scenario.commandLabels, 'claim-port / ss'];
  const rows = scenario.levels.map((level) => {
    const by = Object.fromEntries(level.rows.map((r) => [r.id, r]));
    const cp = by['claim-port']?.stats.median;
    const ss = by.ss?.stats.median;
    return [
      level.census.fillers.toLocaleString('en-US'),
      level.census.fillerFds.toLocaleString('en-US'),
      ...ids.map((id) => (by[id] ? ms(by[id].stats.median) : 'n/a')),
      ratio(cp / ss),
    ];
  });
  return table(header, rows, ['r', 'r', ...ids.map(() => 'r'), 'r']);
}

export function renderMarkdown(results) {
  const out = [];
  const m = results.machine;
  out.push(
    `Run started ${results.date} (${results.seconds} s) on ${m.description}. ${results.options.quick ? '**Quick run** (a few rounds: proves the benchmark works; the figures mean little). ' : ''}` +
      `Commands interleaved round by round, one warm-up round dropped; median wall time from spawn to exit (to port free for "free latency"). ` +
      `Load average ${m.loadBefore} before, ${m.loadAfter} after.`,
  );
  for (const s of results.scenarios) {
    out.push('', `#### ${s.title}`, '');
    if (s.description) out.push(s.description, '');
    if (s.kind === 'growth') out.push(growthTable(s));
    else out.push(commandTable(s));
  }
  if (results.targets.length) {
    out.push('', '#### Targets', '');
    out.push(
      table(
        ['target', 'limit', 'measured', 'status'],
        results.targets.map((t) => [t.text, t.limit, t.measured, t.met === undefined ? 'not measured' : t.met ? 'met' : `**missed** (${t.by})`]),
        ['l', 'l', 'r', 'l'],
      ),
    );
  }
  if (results.missing.length) out.push('', `Not measured (not built yet): ${results.missing.join(', ')}.`);
  return `${out.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(renderMarkdown(JSON.parse(readFileSync(process.argv[2], 'utf8'))));
}
