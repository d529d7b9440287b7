// What a registry's YAML stream may hold around its one document: a `%YAML 1.2` directive, nothing after `...`.
import { describe, expect, it } from 'vitest';
import { parseRegistryText } from '../src/parse.js';
import { minimalRegistry } from './helpers.js';

const issuesOf = (text: string) => {
  const result = parseRegistryText(text);
  if (result.ok) throw new Error('parsed');
  return result;
};
const lineOf = (text: string, wanted: string) => text.split('\n').indexOf(wanted) + 1;

describe('directives', () => {
  it('allows %YAML 1.2, the version the registry is read as (a comment after it too)', () => {
    expect(parseRegistryText(`%YAML 1.2\n---\n${minimalRegistry}`).ok).toBe(true);
    expect(parseRegistryText(`# the registry\n%YAML 1.2   # as read\n---\n${minimalRegistry}`).ok).toBe(true);
  });

  it.each([
    ['%YAML 1.1', /^the directive "%YAML 1\.1": ports\.yaml is read as YAML 1\.2 whatever it says \(under YAML 1\.1 .*\); remove the directive$/],
    ['%YAML 1.3', /^the directive "%YAML 1\.3": ports\.yaml is read as YAML 1\.2 /],
    [
      '%TAG !e! tag:example.com,2000:',
      /^the directive "%TAG !e! tag:example\.com,2000:" names YAML tags, which ports\.yaml does not allow; remove the directive/,
    ],
    ['%FOO "bar\\', /^the directive "%FOO \\"bar\\\\" is not one YAML 1\.2 knows \(only %YAML and %TAG\); remove it/],
  ])('refuses %s where it is written, one line, the rest still checked', (directive, message) => {
    const text = `# ports\n${directive}\n---\n${minimalRegistry.replace('port: 8000', 'port: no')}`;
    const { issues } = issuesOf(text);
    expect(issues[0]).toEqual({ path: '', message: expect.stringMatching(message), line: 2, column: 1 });
    expect(issues[0]!.message).not.toContain('\n');
    expect(issues.slice(1).map((issue) => issue.path)).toEqual(['services.api.port']);
  });

  it('refuses %YAML 1.1 in a file that validates otherwise, and the salvaged protection is still given', () => {
    const text = `%YAML 1.1\n---\n${minimalRegistry}claim:\n  protect:\n    processes: [keepme]\n    pidsUpTo: 400\n`;
    expect(parseRegistryText(text.replace('%YAML 1.1', '%YAML 1.2')).ok).toBe(true);
    const result = issuesOf(text);
    expect(result.issues).toHaveLength(1);
    expect(result.protect).toEqual({ processes: ['keepme'], pidsUpTo: 400 });
    // With a syntax error as well: both said, protection still salvaged.
    const broken = issuesOf(`${text}  [\n`);
    expect(broken.issues.map((issue) => issue.line)).toEqual([1, lineOf(`${text}  [\n`, '  [')]);
    expect(broken.protect).toEqual({ processes: ['keepme'], pidsUpTo: 400 });
  });
});

describe('a second document', () => {
  it('after a "..." line is said as what it is, with the "..." line, not as a "---" line that is not there', () => {
    const text = `${minimalRegistry}...\n\n# more\nreserved: []\n`;
    const { issues } = issuesOf(text);
    expect(issues).toEqual([
      {
        path: '',
        message: `more than one YAML document (line ${lineOf(text, '...')} is "...", which ends the document, and this comes after it); a registry is one document: remove the "..." line or what follows it`,
        line: lineOf(text, 'reserved: []'),
        column: 1,
      },
    ]);
  });

  it('started by a "---" line says so, and "..." with only comments after it is one document', () => {
    const text = `${minimalRegistry}---\nreserved: []\n`;
    expect(issuesOf(text).issues).toEqual([
      { path: '', message: 'more than one YAML document (a "---" line starts another); a registry is one document', line: lineOf(text, '---'), column: 1 },
    ]);
    expect(parseRegistryText(`${minimalRegistry}...\n# the end\n`).ok).toBe(true);
  });
});
