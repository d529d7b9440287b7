// bench/README.md's "last full run" section, between its markers, generated
// from the committed report of the last full run (bench/last-run.json, which
// a full `pnpm bench` writes). `node bench/src/readme.mjs` rewrites the
// section; `--check` writes nothing and exits 1 with the expected section when
// the README differs. A test runs the check, like `ports docs --check`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderMarkdown } from './report.mjs';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const README = join(benchDir, 'README.md');
export const LAST_RUN = join(benchDir, 'last-run.json');
export const START = '<!-- bench:report:start -->';
export const END = '<!-- bench:report:end -->';

/** The section's text for a results object: the report, its headings one level down to fit under "The last full run". */
export function section(results) {
  return renderMarkdown(results)
    .replace(/^#### /gm, '### ')
    .trimEnd();
}

/** The README with the section between the markers replaced; a clear error when a marker is missing or doubled. */
export function splice(readme, body) {
  const starts = readme.split(START).length - 1;
  const ends = readme.split(END).length - 1;
  if (starts !== 1 || ends !== 1) throw new Error(`bench/README.md: needs exactly one ${START} and one ${END} line (found ${starts} and ${ends})`);
  const before = readme.slice(0, readme.indexOf(START) + START.length);
  const after = readme.slice(readme.indexOf(END));
  if (before.length > readme.indexOf(END)) throw new Error(`bench/README.md: ${END} comes before ${START}`);
  return `${before}\n${body}\n${after}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!existsSync(LAST_RUN)) {
    console.error('bench/last-run.json: no full run committed yet; run `pnpm bench` (not --quick), then this');
    process.exit(process.argv.includes('--check') ? 0 : 1);
  }
  const readme = readFileSync(README, 'utf8');
  const expected = splice(readme, section(JSON.parse(readFileSync(LAST_RUN, 'utf8'))));
  if (process.argv.includes('--check')) {
    if (expected !== readme) {
      console.error('bench/README.md: the last full run section differs from bench/last-run.json; run `node bench/src/readme.mjs`');
      process.exit(1);
    }
  } else if (expected !== readme) writeFileSync(README, expected);
}
