// What the documentation says about port-health-check, held against its
// flags (FLAGS, parseArgs) and exit codes (EXIT): every `port-health-check ...`
// example on every page (READMEs, docs/, cron lines included) uses only flags
// it has and, when it is a command as written, parses; the README's Options
// table names every flag; every list of its exit codes (the README's table,
// docs/ports.md's list, which gave 3 for bad arguments and left out 64) gives
// exactly EXIT's codes.
import { describe, expect, it } from 'vitest';
import { examplesOf, firstCells, flagSpellings, flagsIn, interfaceMembers, section, splitArgv } from '../../../test-support/index.js';
import { FLAGS, parseArgs, usage } from '../src/args.js';
import { EXIT } from '../src/exit-code.js';
import { CHECK_IDS, checkPorts, renderJson, renderPrometheus } from '../src/index.js';

/** The name the docs give an unknown option when they show a usage error. */
const SHOWN_AS_A_MISTAKE = '--bogus';
const takesValue = (flag: string) => (FLAGS as Record<string, { type: string }>)[flag.slice(2)]?.type === 'string';
const codes = Object.values(EXIT).sort((a, b) => a - b);

describe('the `port-health-check` examples in the documentation', () => {
  const examples = examplesOf('port-health-check');

  it('are found', () => expect(examples.length).toBeGreaterThan(10));

  it('use only flags port-health-check has', () => {
    const known = new Set(flagSpellings(FLAGS));
    const problems = examples.flatMap((example) =>
      splitArgv(example.argv, takesValue)
        .flags.filter((flag) => flag !== SHOWN_AS_A_MISTAKE && !known.has(flag))
        .map((flag) => `${example.where}: \`port-health-check ${example.argv.join(' ')}\`: no such flag ${flag}`),
    );
    expect(problems).toEqual([]);
  });

  it('parse as written, where they are commands and not synopses', () => {
    const runnable = examples.filter(
      (example) =>
        !example.synopsis && !example.argv.includes(SHOWN_AS_A_MISTAKE) && !(takesValue(example.argv.at(-1) ?? '') && !example.argv.at(-1)!.includes('=')),
    );
    expect(runnable.some((example) => example.argv.includes('prometheus'))).toBe(true);
    const problems = runnable.flatMap((example) => {
      const parsed = parseArgs(example.argv);
      return parsed.kind === 'error' ? [`${example.where}: \`port-health-check ${example.argv.join(' ')}\`: ${parsed.message}`] : [];
    });
    expect(problems).toEqual([]);
  });
});

describe("the README's Options table", () => {
  it('names every flag but --help and --version, and no other', () => {
    const named = firstCells(section('packages/port-health-check/README.md', '## Options')).flatMap(flagsIn);
    const { help: _help, version: _version, ...flags } = FLAGS;
    expect(new Set(named)).toEqual(new Set(flagSpellings(flags)));
  });
});

describe('the exit codes', () => {
  it("the README's table gives every code of EXIT, and only those", () => {
    const cells = firstCells(section('packages/port-health-check/README.md', '## Exit codes')).map(Number);
    expect(cells).toEqual(codes);
  });

  it('--help gives every code of EXIT', () => {
    const help = usage().split('Exit codes')[1]!;
    expect([...help.matchAll(/(?<=^|\s{2})(\d+) +[a-z]/gm)].map((match) => Number(match[1])).sort((a, b) => a - b)).toEqual(codes);
  });

  it("docs/ports.md's list gives every code of EXIT, with 64 for a usage error (it said 3 for bad arguments)", () => {
    const list = section('docs/ports.md', '#### Health Check').split('Exit codes:')[1]!;
    const items = [...list.matchAll(/^- `(\d+)`: (.*)$/gm)];
    expect(items.map((item) => Number(item[1]))).toEqual(codes);
    const usageItem = items.find((item) => Number(item[1]) === EXIT.usage)!;
    expect(usageItem[2]).toMatch(/usage/i);
    for (const item of items.filter((item) => Number(item[1]) !== EXIT.usage)) expect(item[2]).not.toMatch(/argument|option/i);
  });
});

describe("the README's API", () => {
  it('names every option of CheckPortsOptions where it says what checkPorts(options) takes', () => {
    const api = section('packages/port-health-check/README.md', '## API');
    const paragraph = api.split('\n\n').find((text) => text.startsWith('`checkPorts(options)` takes'))!;
    const named = new Set([...paragraph.matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1]));
    const missing = interfaceMembers('packages/port-health-check/api/index.api.md', 'CheckPortsOptions').filter((option) => !named.has(option));
    expect(missing).toEqual([]);
  });
});

describe("the README's checks and formats", () => {
  // One real run (no firewall: nothing is started), rendered in each format.
  const report = checkPorts({ firewall: false, services: ['api'] });

  it('the checks table has a row for every check id, and no other', () => {
    const ids = firstCells(section('packages/port-health-check/README.md', '## The checks')).map((cell) => cell.replace(/`/g, ''));
    expect(new Set(ids)).toEqual(new Set(CHECK_IDS));
    expect(ids).toHaveLength(CHECK_IDS.length);
  });

  it('the Prometheus table names every metric the report writes, and no other', async () => {
    const written = [...renderPrometheus(await report).matchAll(/^# TYPE (\S+) gauge$/gm)].map((match) => match[1]);
    const formats = section('packages/port-health-check/README.md', '## Formats');
    const documented = firstCells(formats)
      .map((cell) => cell.replace(/`/g, ''))
      .filter((cell) => cell.startsWith('dsa110_'));
    expect(new Set(documented)).toEqual(new Set(written));
  });

  it('the JSON description names every key of the report, of a service and of a check, in order', async () => {
    const json = JSON.parse(renderJson(await report)) as { services: Record<string, unknown>[]; checks: Record<string, unknown>[] };
    const formats = section('packages/port-health-check/README.md', '## Formats');
    const described = /- `json`: `\{([\s\S]*?)\}`\. Each service is\s+`\{([^}]*)\}`[\s\S]*?Each check is\s+`\{([^}]*)\}`/.exec(formats)!;
    const top = [...described[1]!.matchAll(/"(\w+)"/g)].map((match) => match[1]).filter((key) => !key!.startsWith('dsa110'));
    expect(top).toEqual(Object.keys(json));
    expect(described[2]!.split(/,\s*/)).toEqual(Object.keys(json.services[0]!));
    expect(described[3]!.split(/,\s*/)).toEqual(Object.keys(json.checks[0]!));
  });
});
