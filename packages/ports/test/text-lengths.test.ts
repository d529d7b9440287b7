// Every free text of the registry that the reference page prints has a length cap, said in one
// line at the value: a valid configuredBy.file of 200 KB made `ports docs` write an 8 MB page.
// Names and labels are capped as a name is (80), prose at a paragraph (MAX_PROSE_LENGTH).
import { describe, expect, it } from 'vitest';
import { MAX_NAME_LENGTH, MAX_PROSE_LENGTH } from '../src/limits.js';
import { parseRegistry } from '../src/index.js';
import { minimalRegistry, withLine, writeRegistry } from './helpers.js';
import { ports } from './cli/helpers.js';

const PROSE = `must be at most ${MAX_PROSE_LENGTH} characters: it is printed on the reference page; split it into purpose or notes lines, or say more in the page's own prose`;
const FILE = `must be at most ${MAX_NAME_LENGTH} characters: it is the file's name (e.g. grafana.ini), shown in the Quick Reference table and by \`ports list\`; its path is config:`;
const LABEL = `must be at most ${MAX_NAME_LENGTH} characters: it heads a line of the reference page (say more in its value)`;

/** The minimal registry's api entry (lines 3-12) with `lines` added after its processes line. */
function withApiLines(...lines: string[]): string {
  return withLine(12, ['    processes: [uvicorn]', ...lines].join('\n'));
}

describe('text too long for the reference page', () => {
  it('refuses a configuredBy file of 200 KB in one line at the value, and `ports docs` writes no page', async () => {
    const text = withLine(9, `    configuredBy: { file: ${'f'.repeat(200_000)}, key: port }`);
    const path = writeRegistry(text);
    const run = await ports(['validate', '--registry', path]);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toBe(`${path}:9:27: services.api.configuredBy.file: ${FILE}\n`);
    const docs = await ports(['docs', '--registry', path, '--file', `${path}.md`]);
    expect(docs.code).toBe(1);
    expect(docs.stdout).toBe('');
  });

  it.each([
    ['configuredBy.file', withLine(9, `    configuredBy: { file: ${'f'.repeat(MAX_NAME_LENGTH + 1)} }`), 'services.api.configuredBy.file', FILE],
    ['a details label', withApiLines(`    details: { ${'L'.repeat(MAX_NAME_LENGTH + 1)}: x }`), `services.api.details.${'L'.repeat(63)}…`, LABEL], // a long key is cut in the path,
    ['a details value', withApiLines(`    details: { Docs: ${'d'.repeat(MAX_PROSE_LENGTH + 1)} }`), 'services.api.details.Docs', PROSE],
    ['a purpose line', withApiLines(`    purpose: [${'p'.repeat(MAX_PROSE_LENGTH + 1)}]`), 'services.api.purpose[0]', PROSE],
    ['a notes line', withApiLines(`    notes: [ok, ${'n'.repeat(MAX_PROSE_LENGTH + 1)}]`), 'services.api.notes[1]', PROSE],
    ['an accessNote', withApiLines(`    accessNote: ${'a'.repeat(MAX_PROSE_LENGTH + 1)}`), 'services.api.accessNote', PROSE],
    ['a robustNote', withApiLines(`    robustNote: ${'r'.repeat(MAX_PROSE_LENGTH + 1)}`), 'services.api.robustNote', PROSE],
    ['a command', withApiLines(`    command: ${'c'.repeat(MAX_PROSE_LENGTH + 1)}`), 'services.api.command', PROSE],
    ['a reserved purpose', withLine(27, `    purpose: ${'p'.repeat(MAX_PROSE_LENGTH + 1)}`), 'reserved.api-alt.purpose', PROSE],
  ])('refuses %s one character too long, in one line', (_name, text, path, message) => {
    let issues: string[] = [];
    try {
      parseRegistry(text);
    } catch (error) {
      issues = (error as { issues: { path: string; message: string }[] }).issues.map((issue) => `${issue.path}: ${issue.message}`);
    }
    expect(issues).toEqual([`${path}: ${message}`]);
  });

  it('takes each at its cap', () => {
    const prose = 'p'.repeat(MAX_PROSE_LENGTH);
    // From the end up, so that each line number is the minimal registry's.
    let text = withLine(27, `    purpose: ${prose}`);
    text = withLine(9, `    configuredBy: { file: ${'f'.repeat(MAX_NAME_LENGTH)} }`, text);
    text = withLine(
      12,
      [
        '    processes: [uvicorn]',
        `    details: { ${'L'.repeat(MAX_NAME_LENGTH)}: ${prose} }`,
        `    purpose: [${prose}]`,
        `    notes: [${prose}]`,
        `    accessNote: ${prose}`,
        `    robustNote: ${prose}`,
        `    command: ${prose}`,
      ].join('\n'),
      text,
    );
    const api = parseRegistry(text).service('api');
    expect([api.purpose[0], api.notes[0], api.accessNote, api.robustNote, api.command].map((value) => value?.length)).toEqual(Array(5).fill(MAX_PROSE_LENGTH));
  });

  it('the minimal registry is untouched by the caps', () => {
    expect(parseRegistry(minimalRegistry).ids).toEqual(['redis', 'api']);
  });
});
