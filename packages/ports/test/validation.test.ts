import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRegistryFile, loadRegistry, parseRegistry, RegistryError, type RegistryIssue } from '../src/index.js';
import { parseRegistryText } from '../src/parse.js';
import { MAX_ISSUES_IN_MESSAGE } from '../src/errors.js';
import { MAX_PROSE_LENGTH } from '../src/limits.js';
import { expandPortReferences } from '../src/port-references.js';
import { HEALTH_SERVICE, HEALTH_TIMER } from '../src/render/health-timer.js';
import { minimalRegistry, withLine, writeRegistry } from './helpers.js';
import { tempDir } from '../../../test-support/tree.js';

const CONTROLS = 'must not contain control characters (a terminal escape, a carriage return, a bidirectional override)';

/** Load `text` from a real file and return the RegistryError it must raise. */
async function rejection(text: string): Promise<{ error: RegistryError; path: string }> {
  const path = writeRegistry(text);
  const error = await loadRegistry({ path }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RegistryError);
  return { error: error as RegistryError, path };
}

function find(issues: readonly RegistryIssue[], pattern: RegExp): RegistryIssue {
  const issue = issues.find((candidate) => pattern.test(candidate.message));
  if (!issue) throw new Error(`no issue matches ${pattern}; got:\n${issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`).join('\n')}`);
  return issue;
}

describe('a valid registry', () => {
  it('loads from a file', async () => {
    const registry = await loadRegistry({ path: writeRegistry(minimalRegistry) });
    expect(registry.ids).toEqual(['redis', 'api']);
  });

  it('accepts a service on a port reserved for it', () => {
    const registry = parseRegistry(withLine(6, '    port: 8010'));
    expect(registry.service('api').port).toBe(8010);
  });
});

// Each case: the minimal registry with one line changed, and where the problem must be reported.
const cases: { name: string; line: number; text: string; message: RegExp; path: string; at: [number, number] }[] = [
  {
    name: 'an unknown key, with a suggestion',
    line: 7,
    text: '    protocl: HTTP',
    message: /^unknown key "protocl" \(did you mean "protocol"\?\)$/,
    path: 'services.api.protocl',
    at: [7, 5],
  },
  {
    name: 'a duplicate YAML key',
    line: 7,
    text: '    port: 8001',
    message: /^duplicate key "port"; each key may appear once in a mapping: keep one$/,
    path: 'services.api',
    at: [7, 5],
  },
  {
    name: 'a duplicate id',
    line: 13,
    text: '  - id: api',
    message: /^duplicate id "api": services\[0\] \(line 3\) already has it; remove one of the two, or give this one an id of its own$/,
    path: 'services.api.id',
    at: [13, 9],
  },
  {
    name: 'two services on one port and transport',
    line: 16,
    text: '    port: 8000',
    message: /^port 8000\/tcp is already used by service "api"; give one of the two another port$/,
    path: 'services.redis.port',
    at: [16, 11],
  },
  {
    name: 'a service inside a range not reserved for it',
    line: 16,
    text: '    port: 3215',
    message: /inside reserved "fallback" \(3210-3220\), which is not reserved for "redis"/,
    path: 'services.redis.port',
    at: [16, 11],
  },
  {
    name: 'overlapping reserved ranges',
    line: 26,
    text: '    port: 3215',
    message: /^reserved 3210-3220 overlaps reserved "api-alt" \(3215\)$/,
    path: 'reserved.fallback.start',
    at: [31, 12],
  },
  {
    name: 'a glob whose [ no ] closes (it would have matched nothing, or its text)',
    line: 12,
    text: "    processes: [uvicorn, 'python[0-9']",
    message: /^is not a well-formed glob: a \[ is not closed by a \]: to match a \[ itself, write \[\[\]$/,
    path: 'services.api.processes[1]',
    at: [12, 26],
  },
  {
    name: 'a glob with a backwards range',
    line: 12,
    text: "    processes: ['uvicorn[9-0]']",
    message: /^is not a well-formed glob: the range \[9-0\] runs backwards: write \[0-9\]$/,
    path: 'services.api.processes[0]',
    at: [12, 17],
  },
  {
    name: 'a port above 65535',
    line: 6,
    text: '    port: 70000',
    message: /^must be between 1 and 65535 \(got 70000\)$/,
    path: 'services.api.port',
    at: [6, 11],
  },
  { name: 'port 0', line: 6, text: '    port: 0', message: /^must be between 1 and 65535 \(got 0\)$/, path: 'services.api.port', at: [6, 11] },
  { name: 'a negative port', line: 16, text: '    port: -1', message: /^must be between 1 and 65535 \(got -1\)$/, path: 'services.redis.port', at: [16, 11] },
  { name: 'a fractional port', line: 6, text: '    port: 80.5', message: /^must be a whole number \(got 80.5\)$/, path: 'services.api.port', at: [6, 11] },
  {
    name: 'a whole port with a point',
    line: 6,
    text: '    port: 8000.0',
    message: /^must be a whole number written without a decimal point \(got 8000.0\)$/,
    path: 'services.api.port',
    at: [6, 11],
  },
  {
    name: 'a hexadecimal port',
    line: 6,
    text: '    port: 0x1F40',
    message: /^must be a port number written in plain decimal, 1-65535 \(got "0x1F40"\)$/,
    path: 'services.api.port',
    at: [6, 11],
  },
  {
    name: 'an exponent port',
    line: 6,
    text: '    port: 8.0e3',
    message: /^must be a port number written in plain decimal, 1-65535 \(got "8.0e3"\)$/,
    path: 'services.api.port',
    at: [6, 11],
  },
  {
    name: 'a leading-zero port',
    line: 6,
    text: '    port: 08000',
    message: /^must be a port number written in plain decimal, 1-65535 \(got "08000"\)$/,
    path: 'services.api.port',
    at: [6, 11],
  },
  {
    name: 'a port with a trailing point',
    line: 6,
    text: '    port: 8000.',
    message: /^must be a port number written in plain decimal, 1-65535 \(got "8000."\)$/,
    path: 'services.api.port',
    at: [6, 11],
  },
  {
    name: 'a quoted port',
    line: 6,
    text: '    port: "8000"',
    message: /^must be a port number written in plain decimal, 1-65535 \(got "8000", in quotes: a string to YAML\); remove the quotes$/,
    path: 'services.api.port',
    at: [6, 11],
  },
  {
    name: 'a quoted port that would be no port without its quotes either: no advice to remove them',
    line: 6,
    text: '    port: "70000"',
    message: /^must be a port number written in plain decimal, 1-65535 \(got "70000"\)$/,
    path: 'services.api.port',
    at: [6, 11],
  },
  {
    name: 'a reserved range whose start is past its end',
    line: 31,
    text: '    start: 3230',
    message: /^start 3230 is greater than end 3220$/,
    path: 'reserved.fallback.start',
    at: [31, 12],
  },
  {
    name: 'a malformed env var name',
    line: 9,
    text: '    configuredBy: { env: contimg-port }',
    message: /must be an environment variable name/,
    path: 'services.api.configuredBy.env',
    at: [9, 26],
  },
  {
    name: 'one env var on two services',
    line: 19,
    text: '    configuredBy: { env: CONTIMG_API_PORT }',
    message: /^environment variable CONTIMG_API_PORT is already used by service "api"; give one of the two another variable$/,
    path: 'services.redis.configuredBy.env',
    at: [19, 26],
  },
  {
    name: 'an access level with a typo',
    line: 8,
    text: '    access: privat',
    message: /^must be one of public, private, localhost, dev \(got "privat"\) \(did you mean "private"\?\)$/,
    path: 'services.api.access',
    at: [8, 13],
  },
  { name: 'a missing required key', line: 4, text: '', message: /^is required$/, path: 'services.api.name', at: [3, 5] },
  { name: 'a YAML syntax error', line: 6, text: '    port: [8000', message: /./, path: '', at: [6, 11] },
  {
    name: 'a reservation for an unknown service',
    line: 28,
    text: '    for: [aip]',
    message: /^unknown service "aip"$/,
    path: 'reserved.api-alt.for',
    at: [28, 10],
  },
  {
    name: 'two robust services claiming in one unit',
    line: 21,
    text: '    systemd: { unit: dsa110-api.service, claim: drop-in }',
    message: /^dsa110-api\.service already claims the port of service "api"; a unit frees one port before it starts/,
    path: 'services.redis.systemd.unit',
    at: [21, 22],
  },
  {
    name: 'a robust service without claim wiring',
    line: 11,
    text: '    systemd: { unit: dsa110-api.service }',
    message: /robust service needs systemd.unit and systemd.claim/,
    path: 'services.api.systemd',
    at: [11, 14],
  },
];

describe('a broken registry is rejected with line and column', () => {
  it.each(cases)('$name', async ({ line, text, message, path, at }) => {
    const { error, path: file } = await rejection(withLine(line, text));
    const issue = find(error.issues, message);
    expect(issue.path).toBe(path);
    expect([issue.line, issue.column]).toEqual(at);
    const printed = path ? `${file}:${at[0]}:${at[1]}: ${path}: ${issue.message}` : `${file}:${at[0]}:${at[1]}: ${issue.message}`;
    expect(error.message.split('\n')).toContain(printed);
  });

  it('reports every problem at once, in file order', async () => {
    const text = withLine(26, '    port: 3215', withLine(17, '    protocl: TCP', withLine(6, '    port: 70000')));
    const { error } = await rejection(text);
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}`)).toEqual([
      '6:11 services.api.port',
      '17:5 services.redis.protocl',
      '31:12 reserved.fallback.start',
    ]);
  });

  // A broken entry still takes part in the rules across entries, by the keys that are valid on their own:
  // the problem it shares with another entry is reported in the same run, not after the first fix.
  it.each([
    ['a typo in another key', 17, '    protocl: TCP'],
    ['a bad name', 14, '    name: "Re\\e[31mdis"'],
    ['a bad access level', 18, '    access: everywhere'],
    ['a missing key', 22, '    # processes removed'],
  ])('reports a port shared with an entry broken by %s in the same run', async (_name, line, text) => {
    const { error } = await rejection(withLine(16, '    port: 8000', withLine(line, text)));
    find(error.issues, /^port 8000\/tcp is already used by service "api"; give one of the two another port$/);
    const shared = error.issues.find((issue) => /already used/.test(issue.message))!;
    expect(`${shared.line}:${shared.column} ${shared.path}`).toBe('16:11 services.redis.port');
  });

  it('reports a duplicate id, variable or reserved port involving a broken entry in the same run, at the right line', async () => {
    // api is broken (its protocol is misspelt); redis takes its id and a reserved port.
    let text = withLine(7, '    protocl: HTTP');
    text = withLine(13, '  - id: api', text);
    text = withLine(16, '    port: 3215', text);
    const { error } = await rejection(text);
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      '7:5 services.api.protocl: unknown key "protocl" (did you mean "protocol"?)',
      '13:9 services.api.id: duplicate id "api": services[0] (line 3) already has it; remove one of the two, or give this one an id of its own',
      '16:11 services.api.port: port 3215 is inside reserved "fallback" (3210-3220), which is not reserved for "api"',
    ]);
    // redis, itself, takes the broken api's variable.
    const { error: variable } = await rejection(withLine(19, '    configuredBy: { env: CONTIMG_API_PORT }', withLine(7, '    protocl: HTTP')));
    expect(variable.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      '7:5 services.api.protocl: unknown key "protocl" (did you mean "protocol"?)',
      '19:26 services.redis.configuredBy.env: environment variable CONTIMG_API_PORT is already used by service "api"; give one of the two another variable',
    ]);
  });

  // The minimal registry's api entry (lines 3-12), written again after redis's (at line 23).
  const apiEntry = minimalRegistry.split('\n').slice(2, 12).join('\n');
  const withApiTwice = (entry = apiEntry) => minimalRegistry.replace('reserved:\n', `${entry}\nreserved:\n`);
  const duplicateApi =
    '23:9 services.api.id: duplicate id "api": services[0] (line 3) already has it; remove one of the two, or give this one an id of its own';
  const issueLines = (issues: readonly RegistryIssue[]) => issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`);

  it("says an entry written twice once, as its duplicate id at the second, naming the first's line: not again as its port, variable and unit", async () => {
    expect(apiEntry.split('\n')).toHaveLength(10);
    const { error } = await rejection(withApiTwice());
    // Was also: port 8000/tcp is already used by service "api", environment variable CONTIMG_API_PORT is already used
    // by service "api", dsa110-api.service already claims the port of service "api".
    expect(issueLines(error.issues)).toEqual([duplicateApi]);
  });

  it('still says what a duplicate shares with an entry of another id, wherever that entry is', async () => {
    // The second api on redis's port (redis comes between the two apis).
    const { error } = await rejection(withApiTwice(apiEntry.replace('port: 8000', 'port: 6379')));
    expect(issueLines(error.issues)).toEqual([
      duplicateApi,
      '26:11 services.api.port: port 6379/tcp is already used by service "redis"; give one of the two another port',
    ]);
    // redis on api's port too: redis collides with the first api, the second api with redis.
    const { error: three } = await rejection(
      withLine(16, '    port: 6379', withApiTwice(apiEntry.replace('port: 8000', 'port: 6379'))).replace('port: 8000', 'port: 6379'),
    );
    expect(issueLines(three.issues)).toEqual([
      '16:11 services.redis.port: port 6379/tcp is already used by service "api"; give one of the two another port',
      duplicateApi,
      '26:11 services.api.port: port 6379/tcp is already used by service "redis"; give one of the two another port',
    ]);
  });

  it('says a reserved entry written twice once, as its duplicate id: not as a range that overlaps itself, but one that overlaps another', async () => {
    const fallback = minimalRegistry.split('\n').slice(28, 33).join('\n');
    const { error } = await rejection(`${minimalRegistry.trimEnd()}\n${fallback}\n`);
    const duplicate =
      '34:9 reserved.fallback.id: duplicate id "fallback": reserved[1] (line 29) already has it; remove one of the two, or give this one an id of its own';
    expect(issueLines(error.issues)).toEqual([duplicate]);
    // 3210-8010 overlaps its twin, 3210-3220, and api-alt, 8010 (and is reserved for the services inside it).
    const { error: other } = await rejection(`${minimalRegistry.trimEnd()}\n${fallback.replace('end: 3220', 'end: 8010')}\n    for: [api, redis]\n`);
    expect(issueLines(other.issues)).toEqual([duplicate, '36:12 reserved.fallback.start: reserved 3210-8010 overlaps reserved "api-alt" (8010)']);
  });

  it('reports a broken entry that comes second against the first, once', async () => {
    // redis is broken twice over (a bad group, an unknown key) and repeats api's port.
    const text = withLine(16, '    port: 8000', withLine(15, '    group: prod', withLine(22, '    processes: [redis-server]\n    colour: red')));
    const { error } = await rejection(text);
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      '15:12 services.redis.group: must be one of production, monitoring, development (got "prod") (did you mean "production"?)',
      '16:11 services.redis.port: port 8000/tcp is already used by service "api"; give one of the two another port',
      '23:5 services.redis.colour: unknown key "colour"; remove it',
    ]);
  });

  it.each([
    ['my unit.service', 'a space is not allowed'],
    ['w\u00e9b.service', '"\u00e9" is not allowed'],
    ['a%i.service', '"%" is not allowed'],
    ['a/b.service', '"/" is not allowed'],
  ])('names the character a unit name may not hold: %s', async (unit, why) => {
    const { error } = await rejection(withLine(21, `    systemd: { unit: "${unit}", claim: drop-in }`));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      `services.redis.systemd.unit: must be a systemd unit name: ${why} (letters, digits and : _ . @ \\ - only; systemd-escape turns any text into one)`,
    ]);
  });

  it('refuses a unit name that starts with a dot: systemd skips hidden files in its unit directories', async () => {
    for (const unit of ['.api.service', '..service']) {
      const { error } = await rejection(withLine(21, `    systemd: { unit: "${unit}", claim: drop-in }`));
      expect(error.issues.map((issue) => issue.message)).toEqual([
        'must not start with a dot: systemd skips hidden files in its unit directories, so the unit would never be loaded',
      ]);
    }
  });

  it.each([
    // systemd reads NAME-.service.d/ for every unit whose name starts with NAME- (an instance's NAME-@INSTANCE too).
    ['dsa110-.service', 'PREFIX'],
    ['a-b-.service', 'PREFIX'],
    ['dsa110-@main.service', 'PREFIX'],
    // systemctl reads it as an option.
    ['-lead.service', 'DASH'],
    ['-.service', 'DASH'],
    ['--x-.service', 'DASH'],
    // The health check's own unit, which `ports systemd` writes.
    [HEALTH_SERVICE, 'OWN'],
  ])('refuses systemd.unit %j with one message saying why', async (unit, kind) => {
    const messages = {
      PREFIX:
        'must not end in "-" before its @ or .service: systemd reads the drop-ins of NAME-.service for every unit whose name starts with NAME- (dsa110-.service.d/ for dsa110-api.service and every other dsa110-*.service), so its claim-port would free this port before each of them started; name the service\'s own unit',
      DASH: 'must not start with "-": systemctl (and `sudo systemctl status` on the reference page) would read it as an option',
      OWN: `must not be ${HEALTH_SERVICE}: \`ports systemd\` writes that unit itself, to run the port health check; name the service's own unit`,
    } as const;
    const { error } = await rejection(withLine(21, `    systemd: { unit: "${unit}", claim: drop-in }`));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      `21:22 services.redis.systemd.unit: ${messages[kind as keyof typeof messages]}`,
    ]);
  });

  it("refuses the health check's timer as a unit (it is no .service), and takes names whose dashes are not at the end of the prefix", async () => {
    const { error } = await rejection(withLine(21, `    systemd: { unit: "${HEALTH_TIMER}", claim: drop-in }`));
    expect(error.issues.map((issue) => issue.message)).toEqual(['must be a service unit name ending in .service (claim-port runs in its ExecStartPre=)']);
    // A dash inside the name or the instance is no prefix: systemd cuts only the name before the @ at its dashes.
    const taken = ['dsa110-redis.service', 'a--b.service', 'api@x-.service', 'api@-.service', 'dsa110-port-health-x.service', 'x-dsa110-port-health.service'];
    for (const unit of taken) {
      expect(parseRegistry(withLine(21, `    systemd: { unit: "${unit}", claim: drop-in }`)).service('redis').systemd?.unit).toBe(unit);
    }
  });

  it('refuses a {port: that no } closes (a reference cut short, printed as written), and keeps a closed one', async () => {
    const { error } = await rejection(withLine(10, '    robust: true\n    purpose: ["on {port:api and more"]'));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'services.api.purpose[0]: has a {port: that no } closes, so the page would print it as written; write {port:ID}',
    ]);
    const text = withLine(10, '    robust: true\n    purpose: ["on {port:api}, not {port:api"]');
    expect((await rejection(text)).error.issues).toHaveLength(1);
    expect(parseRegistry(withLine(10, '    robust: true\n    purpose: ["on {port:api} and {braces}"]')).service('api').purpose).toEqual([
      'on 8000 and {braces}',
    ]);
  });

  it('reports a YAML syntax error once, where it is, with what to do: not the errors yaml finds in what follows it', async () => {
    // One line indented with a tab: yaml goes on to call every later line misplaced.
    const tab = withLine(6, '\tport: 8000');
    const { error } = await rejection(tab);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ line: 6, column: 1 });
    expect(error.issues[0]!.message).toBe('a tab indents this line, and YAML indents with spaces only; indent it with spaces');
    // An unclosed flow sequence: one error, at its bracket, not one per line after it.
    const { error: unclosed } = await rejection(withLine(6, '    port: [8000'));
    expect(unclosed.issues).toHaveLength(1);
    expect(unclosed.issues[0]).toMatchObject({
      line: 6,
      column: 11,
      message: 'this list is never closed (its closing ] is missing); add it where the list ends',
    });
  });

  it('reports a quote never closed at its opening quote, not at the end of the file', async () => {
    // Many valid services after it, and a quote in a plain value and in a comment that must not count as the closing one (or as another opening).
    const services = Array.from(
      { length: 40 },
      (_, index) => `  - id: s${index}\n    name: It's S${index} # "S${index}'s"\n    group: g\n    port: ${9000 + index}`,
    );
    const tail = ['reserved:', '  - id: r', "    name: Dave's port", '    port: 8010', '    purpose: x'];
    for (const quote of ['"', "'"]) {
      const text = `${withLine(4, `    name: ${quote}FastAPI`).replace(/^reserved:[\s\S]*/m, '')}${services.join('\n')}\n${tail.join('\n')}\n`;
      const { error, path } = await rejection(text);
      expect(error.issues).toHaveLength(1);
      expect(error.message).toBe(`${path}:4:11: this quoted text is never closed (its closing ${quote} is missing); add it where the text ends`);
    }
    // A flow mapping: at its brace, not at the next line.
    const { error: mapping } = await rejection(withLine(9, '    configuredBy: { env: CONTIMG_API_PORT'));
    expect(mapping.issues.map(({ line, column, message }) => `${line}:${column} ${message}`)).toEqual([
      '9:19 this mapping is never closed (its closing } is missing); add it where the mapping ends',
    ]);
    // Closed quotes that only look open are no such problem: an escaped quote at the end, a quote doubled in single quotes.
    expect(parseRegistry(withLine(4, String.raw`    name: "Fast\"API\\"`)).service('api').name).toBe('Fast"API\\');
    expect(parseRegistry(withLine(4, "    name: 'It''s'")).service('api').name).toBe("It's");
  });

  it('a broken key is not judged again by the rules across entries (no follow-on errors)', async () => {
    // A port that is not a port, a transport that is not one, a broken systemd: only what is wrong with each.
    for (const [line, text, only] of [
      [
        16,
        '    port: "8000"',
        'services.redis.port: must be a port number written in plain decimal, 1-65535 (got "8000", in quotes: a string to YAML); remove the quotes',
      ],
      [
        16,
        "    port: '8000'",
        'services.redis.port: must be a port number written in plain decimal, 1-65535 (got "8000", in quotes: a string to YAML); remove the quotes',
      ],
      // Without the quotes still no port: only what they are said of.
      [16, '    port: "0080"', 'services.redis.port: must be a port number written in plain decimal, 1-65535 (got "0080")'],
      [16, '    port: 0x1F40', 'services.redis.port: must be a port number written in plain decimal, 1-65535 (got "0x1F40")'],
      [1, 'version: "1"', 'version: must be 1 (got "1", in quotes: a string to YAML); remove the quotes'],
      [
        21,
        '    systemd: { unit: redis-server, claim: drop-in }',
        'services.redis.systemd.unit: must be a service unit name ending in .service (claim-port runs in its ExecStartPre=)',
      ],
      [28, '    for: [api, 7]', 'reserved.api-alt.for[1]: must be a string (got 7, a number to YAML); put it in quotes to make it text: "7"'],
    ] as const) {
      const { error } = await rejection(withLine(line, text));
      expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([only]);
    }
    // An id that is broken (a Cyrillic і) is reported once, not again at every {port:ID} that means it.
    const confusable = withLine(3, '  - id: apі', withLine(10, '    robust: true\n    purpose: ["on {port:api}"]'));
    const { error: idError } = await rejection(confusable);
    expect(idError.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'services["apі"].id: must be lower-case letters, digits and dashes, starting with a letter',
    ]);
    // With every id valid, a reference to nothing is still reported.
    const { error: refError } = await rejection(withLine(10, '    robust: true\n    purpose: ["on {port:apx}"]'));
    expect(refError.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'services.api.purpose[0]: {port:apx} names no service or reserved entry; write the id of one',
    ]);
    // A broken reserved entry's valid range still keeps other entries out of it.
    const { error } = await rejection(withLine(27, '    purpose: ""', withLine(6, '    port: 8010', withLine(28, '    for: []'))));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'services.api.port: port 8010 is inside reserved "api-alt" (8010), which is not reserved for "api"',
      'reserved.api-alt.purpose: must not be empty',
    ]);
  });

  it('a value of the wrong type says what YAML read it as and what to write instead, by the type wanted and the value as written', async () => {
    for (const [line, text, only] of [
      [10, '    robust: "false"', 'services.api.robust: must be a boolean (got "false", in quotes: a string to YAML); write true or false without quotes'],
      [10, "    robust: 'true'", 'services.api.robust: must be a boolean (got "true", in quotes: a string to YAML); write true or false without quotes'],
      [
        10,
        '    robust: yes',
        'services.api.robust: must be a boolean (got "yes", a string to YAML 1.2, where only true and false are booleans); write true or false',
      ],
      [
        10,
        '    robust: Off',
        'services.api.robust: must be a boolean (got "Off", a string to YAML 1.2, where only true and false are booleans); write true or false',
      ],
      [10, '    robust: 1', 'services.api.robust: must be a boolean (got 1); write true or false'],
      [4, '    name: 123', 'services.api.name: must be a string (got 123, a number to YAML); put it in quotes to make it text: "123"'],
      [4, '    name: 1.50', 'services.api.name: must be a string (got 1.5, a number to YAML); put it in quotes to make it text: "1.50"'],
      [4, '    name: true', 'services.api.name: must be a string (got true, a boolean to YAML); put it in quotes to make it text: "true"'],
      [4, '    name: ~', 'services.api.name: must be a string (got null, null to YAML); put it in quotes to make it text: "~"'],
      [
        12,
        '    processes: [uvicorn]\n    notes:\n      - see {port: api} first',
        'services.api.notes[0]: must be a string (got a mapping, YAML reads a colon followed by a space as "key: value"); put the whole text in quotes',
      ],
      [
        12,
        '    processes: [uvicorn]\n    notes: [{port: api}]',
        'services.api.notes[0]: must be a string (got a mapping, YAML reads {...} as a mapping); put the whole text in quotes',
      ],
      [
        12,
        '    processes: [uvicorn]\n    notes: [[api]]',
        'services.api.notes[0]: must be a string (got a list, YAML reads [...] as a list); put the whole text in quotes',
      ],
      [
        27,
        '    purpose:\n      - on {port:api}',
        'reserved.api-alt.purpose: must be a string (got a list, YAML reads "- " lines as a list); put the whole text in quotes',
      ],
      [
        12,
        '    processes: uvicorn',
        'services.api.processes: must be a list (got "uvicorn"); write a list: each item on a line of its own, after "- " (or [a, b])',
      ],
    ] as const) {
      const { error } = await rejection(withLine(line, text));
      expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([only]);
    }
  });

  it("reports a duplicate key and the file's other problems in the same run, judging the first of the pair", async () => {
    const text = withLine(6, '    port: 8000\n    port: 6379', withLine(17, '    protocol: TPC'));
    const { error } = await rejection(text);
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      '7:5 services.api: duplicate key "port"; each key may appear once in a mapping: keep one',
      '18:15 services.redis.protocol: must be one of HTTP, HTTPS, TCP, UDP (got "TPC") (did you mean "TCP"?)',
    ]);
    // Alone, it still fails the file.
    const { error: alone } = await rejection(`${minimalRegistry}\nversion: 1\n`);
    expect(alone.issues.map((issue) => issue.message)).toEqual(['duplicate key "version"; each key may appear once in a mapping: keep one']);
  });

  it("says a glob's unclosed [ once, and a backwards range in another glob of the list", async () => {
    const { error } = await rejection(withLine(12, "    processes: ['python[0-9', 'py[9-0]']"));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([
      '12:17 is not a well-formed glob: a [ is not closed by a ]: to match a [ itself, write [[]',
      '12:31 is not a well-formed glob: the range [9-0] runs backwards: write [0-9]',
    ]);
  });

  it('rejects YAML aliases past a small limit', async () => {
    const aliases = Array.from({ length: 17 }, () => '*a').join(', ');
    const { error } = await rejection(`a: &a [1]\nb: [${aliases}]\n`);
    const issue = find(error.issues, /more than 16 YAML aliases/);
    expect([issue.line, issue.column]).toEqual([2, 5 + 16 * 4]);
  });

  // Where: the value that passes the limit (the 33rd bracket, or the key before it), however deep the file goes on:
  // where yaml ran out of stack (column 840 of 1,000 brackets) was no place to act on.
  const last = minimalRegistry.split('\n').length;
  it.each([
    ['40 flow lists', `x: ${'['.repeat(40)}${']'.repeat(40)}`, `${last}:${3 + 33}`],
    ['5,000 flow lists', `x: ${'['.repeat(5000)}${']'.repeat(5000)}`, `${last}:${3 + 33}`],
    ['40 compact block lists', `x:\n  ${'- '.repeat(40)}a`, `${last + 1}:${1 + 2 * 33}`],
    ['20,000 compact block lists', `x:\n  ${'- '.repeat(20_000)}a`, `${last + 1}:${1 + 2 * 33}`],
    ['40 flow mappings', `x: ${'{a: '.repeat(40)}1${'}'.repeat(40)}`, `${last}:${4 + 4 * 31 + 1}`],
    ['20,000 flow mappings', `x: ${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}`, `${last}:${4 + 4 * 31 + 1}`],
  ])('rejects %s as nesting deeper than 32 levels, however deep (not "Maximum call stack size exceeded"), where it passes them', async (_name, extra, at) => {
    const { error } = await rejection(`${minimalRegistry}${extra}\n`);
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([
      `${at} the YAML nests deeper than 32 levels; a registry needs only a few: look here for a [, { or "- " repeated or left open by mistake`,
    ]);
    expect(error.issues[0]!.line).toBeGreaterThan(minimalRegistry.split('\n').length - 1);
  });

  it('rejects a YAML merge key (<<) in plain words, not as an unknown key "<<" with every merged key missing', async () => {
    const text = minimalRegistry
      .replace('  - id: api', '  - &api\n    id: api')
      .replace(/^reserved:/m, `  - <<: *api\n    id: api2\n    port: 8002\nreserved:`);
    const { error } = await rejection(text);
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([
      `${text.split('\n').indexOf('  - <<: *api') + 1}:5 YAML merge keys (<<) are not supported in ports.yaml; write the keys out`,
    ]);
    // A quoted "<<" is an ordinary key (here an unknown one).
    const { error: quoted } = await rejection(`${minimalRegistry}"<<": 1\n`);
    expect(quoted.issues.map((issue) => issue.message)).toEqual(['unknown key "<<"; remove it']);
  });

  it('says a list or mapping written as a key (`[a]: v`, `{a: 1}: v`) is one wherever it is, at its line and column (yaml fails inside on one not first in a nested mapping)', async () => {
    const message = 'a mapping key must be a plain word, not a list or a mapping';
    // After a service's first key (its line 5, column 5), after a nested mapping's first key, and first there.
    for (const [line, key, column] of [
      [5, '    [transport]: udp', 5],
      [5, '    {transport: tcp}: udp', 5],
      [5, '    [a, b]:   v # a comment', 5],
    ] as const) {
      const { error } = await rejection(withLine(line, `${key}\n    group: production`));
      expect(
        error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message.split('; ')[0]}`),
        key,
      ).toEqual([`${line}:${column} ${message}`]);
    }
    const nested = minimalRegistry.replace('    processes: [uvicorn]\n', '    processes: [uvicorn]\n    details:\n      Docs: at /docs\n      [a]: v\n');
    const { error } = await rejection(nested);
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message.split('; ')[0]}`)).toEqual([`15:7 ${message}`]);
    const first = minimalRegistry.replace('    processes: [uvicorn]\n', '    processes: [uvicorn]\n    details:\n      [a]: v\n');
    expect((await rejection(first)).error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([`14:7 ${message}`]);
  });

  it('rejects a list or mapping as a key, with no warning on stderr, and a second YAML document, in plain words', async () => {
    const warnings: string[] = [];
    const listen = (warning: Error) => warnings.push(warning.message);
    process.on('warning', listen);
    try {
      const { error } = await rejection(`${minimalRegistry}\n? [a, b]\n: c\n`);
      expect(error.issues.map((issue) => issue.message)).toEqual(['a mapping key must be a plain word, not a list or a mapping']);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', listen);
    }
    const { error: twoDocs } = await rejection(`${minimalRegistry}\n---\nversion: 1\n`);
    expect(twoDocs.issues.map((issue) => issue.message)).toEqual(['more than one YAML document (a "---" line starts another); a registry is one document']);
  });

  it.each([
    ['timeoutSeconds: 1e-300', /^claim\.timeoutSeconds: must be a number of seconds written in plain decimal, e\.g\. 5 or 0\.5 \(got "1e-300"\)$/],
    ['timeoutSeconds: 0.0001', /^claim\.timeoutSeconds: must be at least 0\.001 seconds \(got 0\.0001\)$/],
    ['timeoutSeconds: 301', /^claim\.timeoutSeconds: must be at most 300 seconds \(got 301\)$/],
    // Judged as written: Number() rounds each of these to a limit, and the file validated.
    ['timeoutSeconds: 300.0000000000000001', /^claim\.timeoutSeconds: must be at most 300 seconds \(got 300\.0000000000000001\)$/],
    ['timeoutSeconds: 0.00099999999999999999999', /^claim\.timeoutSeconds: must be at least 0\.001 seconds \(got 0\.00099999999999999999999\)$/],
    ['protect: { pidsUpTo: 5000000 }', /^claim\.protect\.pidsUpTo: must be between 2 and 4194304 \(got 5000000\)$/],
    ['protect: { pidsUpTo: 2.0 }', /^claim\.protect\.pidsUpTo: must be a whole number written without a decimal point \(got 2\.0\)$/],
    // 309 digits and more (yaml's Infinity): too large, with the limit, as 300 digits are; the digits cut to 40 characters.
    [`timeoutSeconds: ${'9'.repeat(309)}`, /^claim\.timeoutSeconds: must be at most 300 seconds \(got 9{39}…\)$/],
    [`protect: { pidsUpTo: ${'9'.repeat(309)} }`, /^claim\.protect\.pidsUpTo: must be between 2 and 4194304 \(got 9{39}…\)$/],
  ])('rejects claim.%s', async (line, message) => {
    const { error } = await rejection(`${minimalRegistry}\nclaim:\n  ${line}\n`);
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([expect.stringMatching(message)]);
  });

  it('never says "Infinity" for a number of 309 digits or more where no number may be', async () => {
    const big = '9'.repeat(309);
    const { error: name } = await rejection(withLine(4, `    name: ${big}`));
    expect(name.issues.map((issue) => issue.message)).toEqual([
      expect.stringMatching(/^must be a string \(got a number of over 300 digits, a number to YAML\); put it in quotes/),
    ]);
    const { error: version } = await rejection(minimalRegistry.replace('version: 1', `version: -${big}`));
    expect(version.issues.map((issue) => issue.message)).toEqual(['must be 1 (got a negative number of over 300 digits)']);
  });

  it('accepts a claim.timeoutSeconds at a limit however it is written (300.000, 0.0010)', () => {
    for (const seconds of ['300.000', '0.0010', '299.99999999999999999'])
      expect(parseRegistry(`${minimalRegistry}\nclaim:\n  timeoutSeconds: ${seconds}\n`).claim.timeoutSeconds, seconds).toBe(Number(seconds));
  });

  it('quotes at most 200 characters of a bad value, escaped', async () => {
    const { error } = await rejection(`${minimalRegistry}\nclaim:\n  timeoutSeconds: "${'9'.repeat(500_000)}\\e[31m"\n`);
    for (const line of error.message.split('\n')) expect(line.length).toBeLessThan(400);
    const { error: keyError } = await rejection(`${minimalRegistry}\n${'k'.repeat(500_000)}: 1\n`);
    expect(keyError.message.length).toBeLessThan(400);
  });

  // Each of these files is well under 1 MiB; the parser once compared every key with every key
  // before it (yaml's uniqueKeys) and looked each problem's key up by a scan of its mapping (16,000
  // keys: 6.5 s; 100,000: minutes), and walked the whole document for every alias (20,000 aliases in
  // 60 KB: 35 s). Each must now be answered at once, and in one pass.
  it.each([
    [
      '30,000 unknown top-level keys',
      `${minimalRegistry}\n${Array.from({ length: 30_000 }, (_, i) => `k${i}: 1`).join('\n')}\n`,
      /^unknown key "k0"; remove it$/,
    ],
    [
      '30,000 unknown keys in one entry',
      `${minimalRegistry}\nclaim:\n${Array.from({ length: 30_000 }, (_, i) => `  k${i}: 1`).join('\n')}\n`,
      /^unknown key "k0"; remove it$/,
    ],
    ['20,000 aliases', `${minimalRegistry}\na: &a x\nb: [${Array(20_000).fill('*a').join(',')}]\n`, /^more than 16 YAML aliases/],
    ['20,000 alias keys', `${minimalRegistry}\na: &a x\nb:\n${Array(20_000).fill('  ? *a\n  : 1').join('\n')}\n`, /^more than 16 YAML aliases/],
  ])(
    'answers a file of %s within seconds',
    (_name, text, message) => {
      expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024);
      const started = performance.now();
      const error = (() => {
        try {
          parseRegistry(text);
        } catch (caught) {
          return caught;
        }
      })();
      expect(performance.now() - started).toBeLessThan(8000);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).issues.map((issue) => issue.message)).toContainEqual(expect.stringMatching(message));
    },
    30_000,
  );

  /** The file was read: it is the problem, not its path (`check the path` was said of 200,000 nested `[`). */
  const TOO_MANY =
    /^ports\.yaml:1:1: the file holds more than 100000 values \(a registry holds about 1,500\), too many to be one as it stands; cut it down to its services and reserved ranges, or, if it is not the registry, give the registry's path$/;

  it('says a file of too many values is too big, not that aliases expand it, when it has no alias', () => {
    // Refused before yaml builds the document ("more than": tooManyValues counted up to the limit), where a 1 MiB
    // flow list of 400,000 values took 5 s and 460 MB; the tree walk, which counts them all, never runs.
    for (const count of [120_000, 400_000]) {
      const text = `version: 1\nservices: [${Array(count).fill('1').join(',')}]\n`;
      expect(() => parseRegistry(text)).toThrow(TOO_MANY);
    }
    // Every node counts, not only scalars: 1 MiB of nested block lists (`- - - x`, 490,000 values) took 9 s and 670 MB.
    const line = `  ${'- '.repeat(31)}x\n`;
    const nested = `version: 1\nservices: []\nx:\n${line.repeat(Math.floor((1024 * 1024 - 40) / line.length))}`;
    expect(() => parseRegistry(nested)).toThrow(TOO_MANY);
    expect(() => parseRegistry(`version: 1\nservices: []\nx:\n${'  k:\n'.repeat(60_000)}`)).toThrow(/^ports\.yaml:1:1: the file holds more than 100000 values/);
    // 200,000 nested `[`: too many values as well (each list is one), said of the file, never "check the path".
    expect(() => parseRegistry('['.repeat(200_000))).toThrow(TOO_MANY);
    const aliased = `a: &a [${Array(7000).fill('x').join(',')}]\nb: [${Array(16).fill('*a').join(', ')}]\nversion: 1\nservices: []\n`;
    expect(() => parseRegistry(aliased)).toThrow(
      /:2:57: YAML aliases expand the registry to \d+ values, more than 100000 \(past it here: \*a is 7001 values\); write the values out instead/,
    );
  });

  it('names a duplicate key as YAML reads it (quotes are not part of it) and by the entry it is in', async () => {
    const quoted = await rejection(minimalRegistry.replace('    port: 6379\n', '    port: 6379\n    "port": 6380\n'));
    expect(quoted.error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      '17:5 services.redis: duplicate key "port"; each key may appear once in a mapping: keep one',
    ]);
    const top = await rejection(`${minimalRegistry}"version": 1\n`);
    expect(top.error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      ': duplicate key "version"; each key may appear once in a mapping: keep one',
    ]);
  });

  it('refuses a YAML alias as a mapping key, nested or at the top, at the alias: the later value never wins over the key a reader sees', async () => {
    // `&p port: 8000` then `*p : 8500`: read through the alias, api's port would be 8500.
    const nested = minimalRegistry.replace('    port: 8000\n', '    &p port: 8000\n    *p : 8500\n');
    const { error } = await rejection(nested);
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      '7:5 : a YAML alias (*p) may not be a mapping key in ports.yaml; write the key itself',
    ]);
    expect(() => parseRegistry(nested)).toThrow(/^ports\.yaml:7:5: a YAML alias \(\*p\) may not be a mapping key in ports\.yaml; write the key itself$/);
    // At the top, a second `services:` list through the alias would replace the whole list.
    const top = minimalRegistry.replace('services:\n', '&k services:\n').replace('reserved:\n', '*k :\n  - id: other\nreserved:\n');
    const { error: topError } = await rejection(top);
    expect(topError.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([
      `${top.split('\n').indexOf('*k :') + 1}:1 a YAML alias (*k) may not be a mapping key in ports.yaml; write the key itself`,
    ]);
    // The same value as an alias is fine: only a key may not be one.
    expect(parseRegistry(minimalRegistry.replace('    name: Redis\n', '    name: &r Redis\n    title: *r\n')).service('redis').title).toBe('Redis');
  });

  it('compares keys as JavaScript sees them: a null key and an empty one are one key', async () => {
    const text = `${minimalRegistry}~: 1\n"": 2\n`;
    const { error } = await rejection(text);
    const lines = text.split('\n').length - 1;
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([
      `${lines - 1}:1 an empty or null key (\`~:\`, \`"":\`, or nothing before the colon); remove it`,
      `${lines}:1 duplicate key "\\"\\""; each key may appear once in a mapping: keep one`,
    ]);
  });

  it('points at an empty or null key where it is, and says what it is', async () => {
    for (const key of ['~', '""', "''"]) {
      const text = `${minimalRegistry}${key}: 1\n`;
      const { error } = await rejection(text);
      expect(
        error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`),
        key,
      ).toEqual([`${text.split('\n').length - 1}:1 an empty or null key (\`~:\`, \`"":\`, or nothing before the colon); remove it`]);
    }
  });

  it('reads lines that end in a lone CR (an old Mac file) as YAML 1.2 does: line breaks, each problem on its own line', async () => {
    expect(parseRegistry(minimalRegistry.replace(/\n/g, '\r')).services.map((service) => service.id)).toEqual(['redis', 'api']);
    const { error } = await rejection(withLine(6, '    port: 80x').replace(/\n/g, '\r'));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}`)).toEqual(['6:11 services.api.port']);
  });

  it.each([
    ['a NUL byte on a line of its own', 'version: 1\n\0', '2:1', 'a NUL byte (\\x00), which YAML does not allow in a file; remove it'],
    ['a NUL byte after a colon', 'version: 1\nservices:\0 []\n', '2:10', 'a NUL byte (\\x00), which YAML does not allow in a file; remove it'],
    [
      'a NUL byte in a plain name',
      minimalRegistry.replace('name: Redis', 'name: Re\0dis'),
      '14:13',
      'a NUL byte (\\x00), which YAML does not allow in a file; remove it',
    ],
    [
      'a bell in a quoted name',
      minimalRegistry.replace('name: Redis', 'name: "Re\u0007dis"'),
      '14:14',
      'a control character (\\x07), which YAML does not allow in a file; remove it',
    ],
    [
      'an escape character in a comment',
      `# a \u001b[2J comment\n${minimalRegistry}`,
      '1:5',
      'an escape character (\\e), which YAML does not allow in a file; remove it',
    ],
    ['a form feed at the start', `\f${minimalRegistry}`, '1:1', 'a form feed (\\x0c), which YAML does not allow in a file; remove it'],
    [
      'a DEL in a plain name',
      minimalRegistry.replace('name: Redis', 'name: Re\u007fdis'),
      '14:13',
      'a DEL character (\\x7f), which YAML does not allow outside a quoted string; remove it',
    ],
    [
      'a C1 control in a comment',
      `version: 1 # \u009b31m\n${minimalRegistry.slice('version: 1\n'.length)}`,
      '1:14',
      'a C1 control character (\\u009b), which YAML does not allow outside a quoted string; remove it',
    ],
    [
      'a byte order mark after the start (two files joined)',
      `\ufeff${minimalRegistry.replace('reserved:', '\ufeffreserved:')}`,
      '23:1',
      'a byte order mark (\\ufeff) after the start of the file, which YAML does not allow outside a quoted string; remove it',
    ],
    [
      'U+FFFF in a comment',
      `# \uffff\n${minimalRegistry}`,
      '1:3',
      'the noncharacter U+FFFF (\\uffff), which YAML does not allow outside a quoted string; remove it',
    ],
    // Columns in UTF-16 code units, as every other issue's.
    [
      'a NUL byte after an emoji',
      minimalRegistry.replace('name: Redis', 'name: R😀\0'),
      '14:14',
      'a NUL byte (\\x00), which YAML does not allow in a file; remove it',
    ],
  ])('names a character YAML does not allow, where it is: %s (was: a yaml error that does not name it, or nothing)', async (_name, text, at, message) => {
    const { error, path } = await rejection(text);
    expect(error.message).toBe(`${path}:${at}: ${message}`);
  });

  it('names a lone surrogate in text given to parseRegistry by its number (a file is UTF-8, refused before)', () => {
    expect(() => parseRegistry(minimalRegistry.replace('name: Redis', 'name: Re\ud800dis'))).toThrow(
      /^ports\.yaml:14:13: a lone surrogate \(U\+D800, half of a UTF-16 pair\), which is no character and YAML does not allow in a file; remove it$/,
    );
  });

  it.each([
    [
      'after blank and comment lines (yaml said 5:1, "A block sequence may not be used as an implicit map key")',
      'version: 1\nservices:\n  - id: a\n    name: A\n\n# the next service\n\n\t- id: b\n',
      '8:1',
    ],
    ['with no line between', 'version: 1\nservices:\n  - id: a\n    name: A\n\t- id: b\n', '5:1'],
    [
      'after spaces (yaml said "All mapping items must start at the same column", at the blank line before)',
      'version: 1\nservices:\n  - id: a\n\n  \tname: A\n',
      '5:3',
    ],
    ['in a block scalar (yaml said "Block scalar lines must not be less indented than their first line")', 'version: 1\nx: |\n  a\n\tb\n', '4:1'],
  ])('says a line indented with a tab is, at the tab, with what to do: %s', (_name, text, at) => {
    expect(() => parseRegistry(text)).toThrow(
      new RegistryError('ports.yaml', [
        { path: '', message: 'a tab indents this line, and YAML indents with spaces only; indent it with spaces', line: 0, column: 0 },
      ]).message.replace('ports.yaml', `ports.yaml:${at}`),
    );
  });

  it('takes a tab where YAML allows one: after the indentation of a flow list, before a comment', () => {
    expect(() => parseRegistry(`${minimalRegistry}x: [a,\n \tb]\n`)).toThrow(/^ports\.yaml:34:1: x: unknown key "x"; remove it$/);
    expect(() => parseRegistry(`${minimalRegistry}  \t# a comment\n`)).not.toThrow();
  });

  it("says a syntax error on an earlier line as well as the character; yaml errors on the character's line are its echo", async () => {
    const { error } = await rejection(withLine(6, '\tport: 8000').replace('name: Redis', 'name: Re\0dis'));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([
      '6:1 a tab indents this line, and YAML indents with spaces only; indent it with spaces',
      '14:13 a NUL byte (\\x00), which YAML does not allow in a file; remove it',
    ]);
  });

  it('takes what YAML allows: a byte order mark at the start, tabs and NEL in comments, printable text of every script', async () => {
    const text = `\ufeff# a\ttab, a NEL \u0085, and 日本語 😀\n${minimalRegistry.replace('name: Redis', 'name: Rédis 日本 😀')}`;
    await expect(loadRegistry({ path: writeRegistry(text) })).resolves.toBeDefined();
  });

  it.each([
    ['U+0085 (NEL)', '\u0085'],
    ['U+2028 (LINE SEPARATOR)', '\u2028'],
    ['U+2029 (PARAGRAPH SEPARATOR)', '\u2029'],
  ])('says a file whose lines end in %s has line ends YAML 1.2 does not read (was: "the registry is empty")', async (name, end) => {
    const advice = `which YAML 1.2 does not read as a line break (the lines after it read as part of this one); save the file with LF line endings`;
    // A comment first swallows the whole file.
    const { error } = await rejection(`# the port registry\n${minimalRegistry}`.replace(/\n/g, end));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([`1:20 this line ends in ${name}, ${advice}`]);
    // Without one, the first key takes the rest as its own; a file with a few such lines is told at the first.
    const { error: bare } = await rejection(minimalRegistry.replace(/\n/g, end));
    expect(bare.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([`1:11 this line ends in ${name}, ${advice}`]);
    const { error: mixed } = await rejection(minimalRegistry.replace('processes: [uvicorn]\n', `processes: [uvicorn]${end}`));
    expect(mixed.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([`12:25 this line ends in ${name}, ${advice}`]);
  });

  it('leaves a DEL, a C1 control or a byte order mark inside a quoted string to the schema, which YAML allows there: named, at the character', async () => {
    for (const [char, name] of [
      ['\u007f', 'U+007F (DEL)'],
      ['\u009b', 'U+009B (CSI)'],
      ['\ufeff', 'U+FEFF (BOM)'],
    ]) {
      const { error } = await rejection(minimalRegistry.replace('name: Redis', `name: "Re${char}dis"`));
      expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
        `14:14 services.redis.name: ${CONTROLS}: this holds ${name}; write plain text on one line`,
      ]);
    }
  });

  it('lists the first MAX_ISSUES_IN_MESSAGE problems in its message and says how many more; issues and ports validate hold every one', async () => {
    const services = Array.from({ length: 300 }, (_, index) => `  - id: s${index}\n    portt: 1\n`).join('');
    const { error, path } = await rejection(`version: 1\nservices:\n${services}`);
    const lines = error.message.split('\n');
    expect(error.issues.length).toBeGreaterThan(MAX_ISSUES_IN_MESSAGE);
    expect(lines).toHaveLength(MAX_ISSUES_IN_MESSAGE + 1);
    expect(lines.at(-1)).toBe(`${path}: … and ${error.issues.length - MAX_ISSUES_IN_MESSAGE} more problems (fix these first; ports validate lists every one)`);
  });

  it('reports a key written once as a number and once as text as a duplicate (toJS would keep the second silently)', async () => {
    const text = minimalRegistry.replace('    port: 8000\n', '    port: 8000\n    details:\n      1.5: first\n      "1.5": second\n');
    const { error } = await rejection(text);
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([
      `${text.split('\n').indexOf('      "1.5": second') + 1}:7 duplicate key "1.5"; each key may appear once in a mapping: keep one`,
    ]);
  });

  it('says each reserved range that overlaps others, and each service inside ranges not its own, once (a line per pair was gigabytes)', () => {
    const n = 3000;
    // Every range overlaps every other, and every service sits inside all of them: n*n/2 and n*n
    // pairs (4,000 ranges took 77 s and 4.5 GB, then aborted out of memory).
    const ranges = Array.from({ length: n }, (_, i) => `  - { id: r${i}, name: R, start: ${20000 + i}, end: ${40000 + i}, purpose: x }`);
    const services = Array.from(
      { length: 50 },
      (_, i) =>
        `  - { id: s${i}, name: S, group: development, port: ${30000 + i}, protocol: HTTP, access: dev, configuredBy: none, robust: false, processes: [p] }`,
    );
    const text = `version: 1\nservices:\n${services.join('\n')}\nreserved:\n${ranges.join('\n')}\n`;
    const started = performance.now();
    const error = (() => {
      try {
        parseRegistry(text);
      } catch (caught) {
        return caught as RegistryError;
      }
    })();
    expect(performance.now() - started).toBeLessThan(8000);
    expect(error).toBeInstanceOf(RegistryError);
    const messages = error!.issues.map((issue) => `${issue.path}: ${issue.message}`);
    expect(messages).toHaveLength(n - 1 + 50);
    expect(messages).toContain(`reserved.r${n - 1}.start: reserved ${20000 + n - 1}-${40000 + n - 1} overlaps reserved "r0" (20000-40000) and ${n - 2} more`);
    expect(messages).toContain('reserved.r1.start: reserved 20001-40001 overlaps reserved "r0" (20000-40000)');
    expect(messages).toContain(`services.s0.port: port 30000 is inside reserved "r0" (20000-40000), which is not reserved for "s0" and ${n - 1} more`);
  }, 60_000);

  it('reads prose of unclosed "{port:" at once, and still fills in and checks every {port:ID} in it (100,000 of them in the expansion)', () => {
    // /\{port:([^}]*)\}/g tried every unclosed `{port:` again to the end of the text: 20,000 took 4.5 s.
    // A prose value is at most MAX_PROSE_LENGTH characters; the expansion below takes any text.
    const prose = `on {port:api}, {port:nope} and ${'{port:'.repeat(Math.floor((MAX_PROSE_LENGTH - 30) / 6))}`;
    const text = withLine(10, `    robust: true\n    purpose: ["${prose}"]`);
    const started = performance.now();
    // Both problems, each once: the unknown id, and the unclosed `{port:` (one line for all 100,000).
    expect(() => parseRegistry(text)).toThrow(
      /services\.api\.purpose\[0\]: \{port:nope\} names no service or reserved entry; write the id of one\n.*services\.api\.purpose\[0\]: has a \{port: that no \} closes, so the page would print it as written; write \{port:ID\}$/,
    );
    // The expansion itself (what a Registry hands out) fills in the closed ones and leaves the rest as written.
    const ports = new Map([
      ['api', 8000],
      ['redis', 6379],
    ]);
    expect(expandPortReferences(`on {port:api} {port:redis}${'{port:'.repeat(100_000)}`, (id) => ports.get(id))).toBe(
      `on 8000 6379${'{port:'.repeat(100_000)}`,
    );
    expect(performance.now() - started).toBeLessThan(4000);
  }, 60_000);

  it('rejects a file over 1 MiB before parsing it, saying to check the path (a registry is a few kB: a larger file is another file)', async () => {
    const path = writeRegistry('');
    writeFileSync(path, `${minimalRegistry}\n${'# padding\n'.repeat(110_000)}`);
    const error = await loadRegistry({ path }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toBe(
      `${path}: cannot read the registry: the file is larger than 1 MiB; a registry may be at most 1 MiB; check the path`,
    );
  });

  it('says "fix or unset DSA110_PORTS_FILE" of a file over 1 MiB that $DSA110_PORTS_FILE names, as of its other read errors', async () => {
    const path = writeRegistry('');
    writeFileSync(path, `${minimalRegistry}\n${'# padding\n'.repeat(110_000)}`);
    const message = `${path}: cannot read the registry (from $DSA110_PORTS_FILE): the file is larger than 1 MiB; a registry may be at most 1 MiB; fix or unset DSA110_PORTS_FILE`;
    await expect(loadRegistry({ env: { DSA110_PORTS_FILE: path } })).rejects.toThrow(message);
    expect(() => checkRegistryFile({ env: { DSA110_PORTS_FILE: path } })).toThrow(message);
  });

  it('says the same of text over 1 MiB given to parseRegistry: larger than 1 MiB, not "1.0 MiB" for 1.04 MiB', () => {
    const text = `version: 1\nservices: []\n#${'x'.repeat(1048576 * 1.04)}\n`;
    expect(() => parseRegistry(text, { source: 'big.yaml' })).toThrow(/^big\.yaml: the file is larger than 1 MiB; a registry may be at most 1 MiB$/);
  });

  it.each([
    // The digits as written, not the number JavaScript rounds them to (1e+20, -9007199254740992).
    ['    port: 99999999999999999999', 'services.api.port: must be between 1 and 65535 (got 99999999999999999999)'],
    ['    port: -9007199254740993', 'services.api.port: must be between 1 and 65535 (got -9007199254740993)'],
    // 309 digits and more: yaml reads Infinity, said as the range a number of 300 digits gets, never "got Infinity".
    [`    port: ${'9'.repeat(309)}`, `services.api.port: must be between 1 and 65535 (got ${'9'.repeat(39)}…)`],
    [`    port: -${'9'.repeat(400)}`, `services.api.port: must be between 1 and 65535 (got -${'9'.repeat(38)}…)`],
  ])('refuses %s with its range only, not also "must be a whole number"', async (line, message) => {
    const { error } = await rejection(withLine(6, line));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([message]);
  });

  it.each([
    ['    config: grafana.ini', 'services.api.config: must be an absolute path'],
    ['    config: /etc/../shadow', 'services.api.config: must not contain a ".." segment; write the path without it'],
    ['    config: /../../etc/shadow', 'services.api.config: must not contain a ".." segment; write the path without it'],
    [
      '    configs: [{ kind: nginx-site, path: /srv/../../etc/shadow }]',
      'services.api.configs[0].path: must not contain a ".." segment; write the path without it',
    ],
  ])('refuses a config path that could leave --root: %s', async (line, message) => {
    const { error } = await rejection(minimalRegistry.replace('    port: 8000\n', `    port: 8000\n${line}\n`));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([message]);
  });

  it.each([
    ['    config: /etc/redis/redis.conf:3', 'services.api.config'],
    ['    configs: [{ kind: redis-conf, path: "/etc/redis/redis.conf:12" }]', 'services.api.configs[0].path'],
  ])('refuses a config path ending in ":" and digits, which reports would read as FILE:LINE: %s', async (line, path) => {
    const { error } = await rejection(minimalRegistry.replace('    port: 8000\n', `    port: 8000\n${line}\n`));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      `${path}: must not end in ":" and digits: reports name a line of a file as FILE:LINE, so this path would read as a line of another file`,
    ]);
  });

  it('takes a colon elsewhere in a config path, or digits without one', async () => {
    for (const config of ['/etc/app:v2/app.conf', '/etc/app/app.conf:x', '/etc/app/app3']) {
      await expect(
        loadRegistry({ path: writeRegistry(minimalRegistry.replace('    port: 8000\n', `    port: 8000\n    config: ${config}\n`)) }),
      ).resolves.toBeDefined();
    }
  });

  it.each([
    ['    config: /etc/redis//redis.conf', 'services.api.config', '/etc/redis/redis.conf'],
    ['    config: //etc/redis/redis.conf', 'services.api.config', '/etc/redis/redis.conf'],
    ['    config: /etc/redis/./redis.conf', 'services.api.config', '/etc/redis/redis.conf'],
    ['    config: /etc/./redis/.//./redis.conf', 'services.api.config', '/etc/redis/redis.conf'],
    ['    config: /./etc/grafana/grafana.ini', 'services.api.config', '/etc/grafana/grafana.ini'],
    ['    configs: [{ kind: redis-conf, path: /etc/redis//redis.conf }]', 'services.api.configs[0].path', '/etc/redis/redis.conf'],
    ['    configs: [{ kind: prometheus-args, path: /etc/default/./prometheus }]', 'services.api.configs[0].path', '/etc/default/prometheus'],
  ])('refuses a config path not in plain form, naming the plain one (each file has one spelling): %s', async (line, path, plain) => {
    const { error } = await rejection(minimalRegistry.replace('    port: 8000\n', `    port: 8000\n${line}\n`));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      `${path}: must be in plain form, without an empty (//) or "." segment, so that each file has one spelling; write "${plain}"`,
    ]);
  });

  it.each([
    ['    config: /etc//../shadow', 'must not contain a ".." segment; write the path without it'],
    ['    config: /etc/redis//', 'must name a file, not a directory (it ends in "/" or "/."); write the path of the file in it'],
    ['    config: /etc/./redis/.', 'must name a file, not a directory (it ends in "/" or "/."); write the path of the file in it'],
    ['    config: etc//redis.conf', 'must be an absolute path'],
  ])('says a path that is also not in plain form once, by its other fault: %s', async (line, message) => {
    const { error } = await rejection(minimalRegistry.replace('    port: 8000\n', `    port: 8000\n${line}\n`));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([`services.api.config: ${message}`]);
  });

  it('takes config paths with dots that are not a ".." segment', async () => {
    const text = minimalRegistry.replace('    port: 8000\n', '    port: 8000\n    config: /etc/a..b/.../.x/x..\n');
    expect(text).toContain('a..b');
    await expect(loadRegistry({ path: writeRegistry(text) })).resolves.toBeDefined();
  });

  it.each([
    ['a terminal escape in a name', 'name: FastAPI', 'name: "Fast\\e[31mAPI"', 'services.api.name', 'U+001B (ESC)', ' on one line'],
    ['a line break in a name', 'name: FastAPI', 'name: "Fast\\nAPI"', 'services.api.name', 'U+000A (LF)', ' on one line'],
    ['a bidirectional override in a purpose', 'name: FastAPI', 'name: FastAPI\n    purpose: ["x\\u202ey"]', 'services.api.purpose[0]', 'U+202E (RLO)', ''],
    ['a carriage return in a reserved name', 'name: Fallback', 'name: "Fall\\rback"', 'reserved.fallback.name', 'U+000D (CR)', ' on one line'],
    ['a bell in a process name', 'processes: [uvicorn]', 'processes: ["uvi\\acorn"]', 'services.api.processes[0]', 'U+0007 (BEL)', ''],
  ])('refuses %s, naming it: it would reach terminals and the reference page as written', async (_name, from, to, path, held, oneLine) => {
    expect(minimalRegistry).toContain(from);
    const { error } = await rejection(minimalRegistry.replace(from, to));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([`${path}: ${CONTROLS}: this holds ${held}; write plain text${oneLine}`]);
  });

  it.each([
    // As written: line 4 is `    name: FastAPI`; the value starts at column 11.
    ['a tab in a name', 'name: Fast\tAPI', '4:15', 'U+0009 (TAB)'],
    ['a right-to-left override in a name', 'name: Fast\u202eAPI', '4:15', 'U+202E (RLO)'],
    ['a left-to-right isolate in a quoted name', "name: 'Fast\u2066API'", '4:16', 'U+2066 (LRI)'],
    ['the second of two different ones: the first is named', 'name: "F\\tast\u2066API"', '4:13', 'U+0009 (TAB)'],
    // As a double-quoted text's escape for it.
    ['an escape in a name', 'name: "Fast\\eAPI"', '4:16', 'U+001B (ESC)'],
    ['an escape written \\x1b', 'name: "Fast\\x1bAPI"', '4:16', 'U+001B (ESC)'],
    ['a NEL written \\N', 'name: "Fast\\NAPI"', '4:16', 'U+0085 (NEL)'],
    ['an isolate written \\u2066', 'name: "Fast\\u2066API"', '4:16', 'U+2066 (LRI)'],
    ['an override written \\U0000202E', 'name: "Fast\\U0000202EAPI"', '4:16', 'U+202E (RLO)'],
    ['an escape after an escaped backslash, not the \\e that backslash is followed by', 'name: "\\\\e \\e"', '4:16', 'U+001B (ESC)'],
    ['a line separator written \\L', 'name: "Fast\\LAPI"', '4:16', 'U+2028 (LINE SEPARATOR)'],
  ])('names %s and points at it', async (_name, to, at, held) => {
    const { error } = await rejection(minimalRegistry.replace('name: FastAPI', to));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      `${at} services.api.name: ${CONTROLS}: this holds ${held}; write plain text on one line`,
    ]);
  });

  it('points at an invisible U+2066 inside a long line of prose, and at one on a later line of a block text (it said where the value starts)', async () => {
    const prose = 'word '.repeat(190); // 1,901 characters in all, under MAX_PROSE_LENGTH
    const long = await rejection(withLine(12, `    processes: [uvicorn]\n    purpose: ["${prose}\u2066${prose}"]`));
    expect(long.error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      `13:${'    purpose: ["'.length + prose.length + 1} services.api.purpose[0]: ${CONTROLS}: this holds U+2066 (LRI); write plain text`,
    ]);
    const block = await rejection(withLine(12, '    processes: [uvicorn]\n    notes:\n      - |\n        one line\n        and \u202eanother'));
    expect(block.error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      `16:13 services.api.notes[0]: ${CONTROLS}: this holds U+202E (RLO); write plain text`,
    ]);
    // A line break in a name, as a block text writes it: where the value starts (the break is its layout, not a character to point at).
    const folded = await rejection(minimalRegistry.replace('name: FastAPI', 'name: |\n      Fast\n      API'));
    expect(folded.error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      `4:11 services.api.name: ${CONTROLS}: this holds U+000A (LF); write plain text on one line`,
    ]);
    // An invisible character is pointed at the same way.
    const invisible = await rejection(minimalRegistry.replace('name: FastAPI', 'name: Fast\u200bAPI'));
    expect(invisible.error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([
      '4:15 must not contain invisible or format characters (a zero-width space, a soft hyphen, a bidirectional mark): this holds U+200B (ZWSP); write plain text',
    ]);
  });

  it.each([
    ['a zero-width space in a name', 'name: FastAPI', 'name: "Fast\\u200bAPI"', 'services.api.name', '200B (ZWSP)'],
    ['a right-to-left mark in a reserved name', 'name: Fallback', 'name: "Fall\\u200fback"', 'reserved.fallback.name', '200F (RLM)'],
    ['an Arabic letter mark in a purpose', 'name: FastAPI', 'name: FastAPI\n    purpose: ["x\\u061cy"]', 'services.api.purpose[0]', '061C (ALM)'],
    ['a soft hyphen in a config path', 'name: FastAPI', 'name: FastAPI\n    config: "/etc/x\\u00ady.conf"', 'services.api.config', '00AD (SHY)'],
    ['a word joiner in a process name', 'processes: [uvicorn]', 'processes: ["uvi\\u2060corn"]', 'services.api.processes[0]', '2060 (WJ)'],
    ['a Hangul filler in a name', 'name: FastAPI', 'name: "Fast\\u3164API"', 'services.api.name', '3164'],
    ['a combining grapheme joiner in a name', 'name: FastAPI', 'name: "Fast\\u034fAPI"', 'services.api.name', '034F (CGJ)'],
    ['a tag character in a name', 'name: FastAPI', 'name: "FastAPI\\U000E0041"', 'services.api.name', 'E0041'],
    ['a Hangul choseong filler in a name', 'name: FastAPI', 'name: "Fast\\u115fAPI"', 'services.api.name', '115F'],
    ['a Hangul jungseong filler in a name', 'name: FastAPI', 'name: "Fast\\u1160API"', 'services.api.name', '1160'],
    ['an unassigned default-ignorable U+2065 in a name', 'name: FastAPI', 'name: "Fast\\u2065API"', 'services.api.name', '2065'],
    ['an unassigned default-ignorable U+FFF0 in a name', 'name: FastAPI', 'name: "Fast\\ufff0API"', 'services.api.name', 'FFF0'],
    ['the Arabic number sign U+0600 in a name', 'name: FastAPI', 'name: "Fast\\u0600API"', 'services.api.name', '0600'],
    ['the Arabic end of ayah U+06DD in a purpose', 'name: FastAPI', 'name: FastAPI\n    purpose: ["x\\u06ddy"]', 'services.api.purpose[0]', '06DD'],
    ['the Syriac abbreviation mark U+070F in a reserved name', 'name: Fallback', 'name: "Fall\\u070fback"', 'reserved.fallback.name', '070F'],
    [
      'the Arabic Sanah U+08E2 in a details label',
      'processes: [uvicorn]',
      'processes: [uvicorn]\n    details: { "Own\\u08e2er": x }',
      'services.api.details["Own\\u08e2er"]',
      '08E2',
    ],
    [
      'the Kaithi number sign above U+110CD in a process name',
      'processes: [uvicorn]',
      'processes: ["uvi\\U000110CDcorn"]',
      'services.api.processes[0]',
      '110CD',
    ],
    [
      'an Egyptian hieroglyph joiner U+13430 in a config path',
      'name: FastAPI',
      'name: FastAPI\n    config: "/etc/x\\U00013430y.conf"',
      'services.api.config',
      '13430',
    ],
  ])('refuses %s: it shows as nothing, or formats the text around it, so the text reads as another', async (_name, from, to, path, code) => {
    expect(minimalRegistry).toContain(from);
    const { error } = await rejection(minimalRegistry.replace(from, to));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      `${path}: must not contain invisible or format characters (a zero-width space, a soft hyphen, a bidirectional mark): this holds U+${code}; write plain text`,
    ]);
  });

  it.each([
    ['a high surrogate alone in a name', 'name: FastAPI', 'name: "Fast\\ud800API"', 'services.api.name'],
    ['a low surrogate alone at the end of a purpose', 'name: FastAPI', 'name: FastAPI\n    purpose: ["x\\udc00"]', 'services.api.purpose[0]'],
    ['a lone surrogate in a config path', 'name: FastAPI', 'name: FastAPI\n    config: "/etc/x\\udbffy.conf"', 'services.api.config'],
    ['a lone surrogate in a process name', 'processes: [uvicorn]', 'processes: ["uvi\\udfffcorn"]', 'services.api.processes[0]'],
    ['a lone surrogate in a reserved name', 'name: Fallback', 'name: "Fall\\ud834back"', 'reserved.fallback.name'],
  ])('refuses %s: it is no character, and strict JSON parsers refuse it', async (_name, from, to, path) => {
    expect(minimalRegistry).toContain(from);
    const { error } = await rejection(minimalRegistry.replace(from, to));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      `${path}: must be well-formed Unicode: it holds half of a surrogate pair (a "\\ud800"-style escape alone), which is no character; write the character itself`,
    ]);
  });

  it.each([
    [
      'a name of spaces',
      'name: FastAPI',
      'name: "   "',
      'services.api.name',
      'must not be blank: no character of it shows (white space, combining marks alone, U+2800); write the name',
    ],
    [
      'a purpose line of white space',
      'name: FastAPI',
      'name: FastAPI\n    purpose: ["    "]',
      'services.api.purpose[0]',
      'must not be blank: no character of it shows (white space, combining marks alone, U+2800); write the text, or leave the entry out',
    ],
    [
      'a name of braille pattern blanks (U+2800)',
      'name: FastAPI',
      'name: "\\u2800\\u2800"',
      'services.api.name',
      'must not be blank: no character of it shows (white space, combining marks alone, U+2800); write the name',
    ],
    [
      'a name of combining marks alone',
      'name: FastAPI',
      'name: "\\u0301\\u0308"',
      'services.api.name',
      'must not be blank: no character of it shows (white space, combining marks alone, U+2800); write the name',
    ],
    [
      'a name of a space, a combining mark and a joiner',
      'name: FastAPI',
      'name: " \\u20dd\\u200d\\ufe0f"',
      'services.api.name',
      'must not be blank: no character of it shows (white space, combining marks alone, U+2800); write the name',
    ],
    [
      'a reserved name of a no-break space and U+2800',
      'name: Fallback',
      'name: "\\u00a0\\u2800"',
      'reserved.fallback.name',
      'must not be blank: no character of it shows (white space, combining marks alone, U+2800); write the name',
    ],
    [
      'a details value of U+2800',
      'processes: [uvicorn]',
      'processes: [uvicorn]\n    details: { Owner: "\\u2800" }',
      'services.api.details.Owner',
      'must not be blank: no character of it shows (white space, combining marks alone, U+2800); write the text, or leave the entry out',
    ],
    [
      'a name of a Hangul filler: an invisible character, said as such once',
      'name: FastAPI',
      'name: "\\u3164"',
      'services.api.name',
      'must not contain invisible or format characters (a zero-width space, a soft hyphen, a bidirectional mark): this holds U+3164; write plain text',
    ],
  ])('refuses %s, as it refuses an empty one', async (_name, from, to, path, message) => {
    const { error } = await rejection(minimalRegistry.replace(from, to));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([`${path}: ${message}`]);
  });

  it('takes braille blanks, combining marks and joiners beside a character that shows', () => {
    for (const name of ['\u2800x', 'e\u0301', '\u{1F469}\u200d\u{1F4BB}', '\u2764\ufe0f', 'a\u2800\u2800b']) {
      expect(parseRegistry(withLine(4, `    name: ${JSON.stringify(name)}`)).service('api').name).toBe(name);
    }
  });

  it('takes a pair of surrogates written as escapes: one character beyond the BMP', () => {
    const text = minimalRegistry.replace('name: FastAPI', 'name: "Fast\\ud83d\\ude00API"');
    expect(parseRegistry(text).services.find((service) => service.id === 'api')?.name).toBe('Fast\u{1F600}API');
  });

  it('allows the joiners and variation selectors that emoji and some scripts need, and no-break spaces', async () => {
    const text = minimalRegistry.replace(
      'name: FastAPI',
      'name: "Fast\\u00a0API \\U0001F469\\u200D\\U0001F4BB \\u2764\\uFE0F \\u0645\\u06CC\\u200C\\u062E\\u0648\\u0627\\u0647\\u0645"',
    );
    expect(parseRegistry(text).services.find((service) => service.id === 'api')?.name).toBe('Fast\u00a0API 👩‍💻 ❤️ می‌خواهم');
  });

  it('quotes an id or key that is not a plain word in the path of a message, so a dot in it is not a step of the path', async () => {
    const { error } = await rejection(withLine(3, '  - id: jupyter.lab'));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'services["jupyter.lab"].id: must be lower-case letters, digits and dashes, starting with a letter',
    ]);
    const { error: label } = await rejection(withLine(12, '    processes: [uvicorn]\n    details:\n      "a.b": 1'));
    expect(label.issues.map((issue) => issue.path)).toEqual(['services.api.details["a.b"]']);
  });

  it('escapes an id or key from the file in the path of a message, and shows a long id by its position', async () => {
    // A broken id holding a terminal escape and a line break must not colour the terminal nor forge a line.
    const { error, path: file } = await rejection(withLine(3, '  - id: "a\\e[31mb\\nforged:1:1: fake"'));
    expect(error.message).toBe(
      `${file}:3:9: services["a\\e[31mb\\nforged:1:1: fake"].id: must be lower-case letters, digits and dashes, starting with a letter`,
    );
    const { error: key } = await rejection(withLine(12, '    processes: [uvicorn]\n    "x\\e[2Jy": 1'));
    expect(key.message.split('\n')).toEqual([expect.stringMatching(/:13:5: services\.api\["x\\e\[2Jy"\]: unknown key "x\\e\[2Jy"; remove it$/)]);
    const { error: long } = await rejection(withLine(3, `  - id: a${'b'.repeat(5000)}`));
    expect(long.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual(['services[0].id: must be at most 64 characters']);
  });

  it.each([
    ['a text', 'admin'],
    ['a mapping', '{ polluted: yes }'],
  ])('refuses a details label "__proto__" with %s, which JavaScript would drop while the file validated', async (_name, value) => {
    const { error } = await rejection(withLine(12, `    processes: [uvicorn]\n    details:\n      Kept: yes\n      __proto__: ${value}`));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      '15:7 services.api.details.__proto__: a label may not be "__proto__" (JavaScript objects drop it); write another',
    ]);
    // A fixed mapping says it once, as the unknown key it is; "constructor" is an ordinary label.
    const { error: fixed } = await rejection(withLine(12, '    processes: [uvicorn]\n    __proto__: x'));
    expect(fixed.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual(['services.api.__proto__: unknown key "__proto__"; remove it']);
    const registry = parseRegistry(withLine(12, '    processes: [uvicorn]\n    details: { constructor: x }'));
    expect(registry.service('api').details).toEqual({ constructor: 'x' });
  });

  it('says a details label YAML reads as null (null, Null, ~, nothing) is read so, at the key, with what to do; a quoted one is the word', async () => {
    for (const [key, message] of [
      ['null', 'YAML reads the label null as null, not as the word; quote it ("null") to keep the word, or write another label'],
      ['Null', 'YAML reads the label Null as null, not as the word; quote it ("Null") to keep the word, or write another label'],
      ['~', 'YAML reads the label ~ as null, not as the word; quote it ("~") to keep the word, or write another label'],
      ['', 'an empty label (nothing before the colon), which YAML reads as null; write the label'],
    ]) {
      const { error } = await rejection(withLine(12, `    processes: [uvicorn]\n    details:\n      Kept: yes\n      ${key}: v`));
      expect(
        error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`),
        key,
      ).toEqual([`15:7 services.api.details[""]: ${message}`]);
    }
    // A quoted empty label is empty, as written.
    const { error } = await rejection(withLine(12, '    processes: [uvicorn]\n    details:\n      "": v'));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual(['services.api.details[""]: must not be empty']);
    // Quoted, the word is the label; a number or a boolean is kept as written.
    const registry = parseRegistry(withLine(12, '    processes: [uvicorn]\n    details: { "null": a, true: b, 0x1F: c, 1.50: d }'));
    expect(registry.service('api').details).toEqual({ null: 'a', true: 'b', '0x1F': 'c', '1.50': 'd' });
  });

  it('keeps a details label as written, in the order written', () => {
    // YAML reads plain 1.50 and True as a number and a boolean: a label is the text, not String() of those.
    const registry = parseRegistry(
      withLine(12, '    processes: [uvicorn]\n    details:\n      Zeta: z\n      1.50: a\n      True: b\n      0x10: d\n      1e3: e'),
    );
    expect(Object.entries(registry.service('api').details)).toEqual([
      ['Zeta', 'z'],
      ['1.50', 'a'],
      ['True', 'b'],
      ['0x10', 'd'],
      ['1e3', 'e'],
    ]);
    // `1.50:` and `1.5:` are two labels.
    expect(Object.keys(parseRegistry(withLine(12, '    processes: [uvicorn]\n    details: { 1.5: a, 1.50: b }')).service('api').details)).toEqual([
      '1.5',
      '1.50',
    ]);
  });

  it('refuses a details label of digits alone, which JavaScript would list first', async () => {
    const { error } = await rejection(withLine(12, '    processes: [uvicorn]\n    details:\n      Zeta: z\n      8080: a\n      "007": b\n      Port 8080: c'));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      '15:7 services.api.details["8080"]: must not be digits alone: such labels are listed before all others, not where you wrote them; add a word, e.g. "Port 8080"',
      '16:7 services.api.details["007"]: must not be digits alone: such labels are listed before all others, not where you wrote them; add a word, e.g. "Port 8080"',
    ]);
    const { error: twice } = await rejection(withLine(12, '    processes: [uvicorn]\n    details: { 8080: a, "8080": b }'));
    expect(twice.issues.map((issue) => issue.message)).toContain('duplicate key "8080"; each key may appear once in a mapping: keep one');
  });

  it('says why a details label is refused, at the label', async () => {
    const { error } = await rejection(withLine(12, '    processes: [uvicorn]\n    details: { "a\\tb": x }'));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      `13:18 services.api.details["a\\tb"]: ${CONTROLS}: this holds U+0009 (TAB); write plain text on one line`,
    ]);
  });

  it.each([
    [
      'a name',
      4,
      `    name: ${'N'.repeat(81)}`,
      'services.api.name: must be at most 80 characters; it heads tables and dashboard rows (say more in purpose or notes)',
    ],
    [
      'a reserved name',
      25,
      `    name: ${'N'.repeat(81)}`,
      'reserved.api-alt.name: must be at most 80 characters; it heads tables and dashboard rows (say more in purpose or notes)',
    ],
    ['an id', 13, `  - id: r${'e'.repeat(64)}`, `services[1].id: must be at most 64 characters`],
    [
      'a unit name',
      21,
      `    systemd: { unit: ${'r'.repeat(246)}.service, claim: drop-in }`,
      'services.redis.systemd.unit: must be at most 253 characters (systemd takes 255, and its drop-in directory NAME.d must fit in a file name)',
    ],
    [
      'a config path',
      12,
      `    processes: [uvicorn]\n    config: /${'p'.repeat(4095)}`,
      "services.api.config: must be at most 4095 characters (Linux's PATH_MAX)",
    ],
  ])('refuses %s too long to use', async (_name, line, text, message) => {
    const { error } = await rejection(withLine(line, text));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([message]);
  });

  it('takes a name of 80 characters, an id of 64 and a unit name of 253', () => {
    let text = withLine(4, `    name: ${'N'.repeat(80)}`);
    text = withLine(13, `  - id: r${'e'.repeat(63)}`, text);
    text = withLine(21, `    systemd: { unit: ${'r'.repeat(245)}.service, claim: drop-in }`, text);
    expect(parseRegistry(text).ids).toHaveLength(2);
  });

  it('takes the zero-width joiner that emoji need', () => {
    expect(parseRegistry(withLine(4, '    name: "FastAPI \u{1F469}\u200d\u{1F4BB}"')).service('api').name).toBe('FastAPI \u{1F469}\u200d\u{1F4BB}');
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var} syntax, as a hostile name
  it.each(['API $value', 'x ${__interval}', '${instance:csv} API', 'API$__dashboard', 'API [[instance]]', 'API [[instance:raw]]', '$1 API'])(
    'refuses a service name Grafana would fill in with a variable (no escape there): %s',
    async (name) => {
      const { error, path } = await rejection(withLine(4, `    name: ${JSON.stringify(name)}`));
      expect(error.message).toBe(
        `${path}:4:11: services.api.name: must not contain $word, \${...} or [[word]]: the Grafana dashboard would show a variable's value there (Grafana has no escape); write "$ word" or leave the $ out`,
      );
    },
  );

  it.each(['API $ value', 'US$', 'Costs $', '[[ instance ]]', '[x]', '{{ x }}', 'a \\ "b" \'c\' é 日本'])(
    'takes a name with $ or brackets Grafana leaves as they are: %s',
    (name) => {
      const registry = parseRegistry(withLine(4, `    name: ${JSON.stringify(name)}`));
      expect(registry.service('api').name).toBe(name);
    },
  );

  it('takes line breaks in prose (a block scalar)', async () => {
    const text = minimalRegistry.replace('name: FastAPI', 'name: FastAPI\n    purpose:\n      - |\n        two\n        lines');
    await expect(loadRegistry({ path: writeRegistry(text) })).resolves.toBeDefined();
  });

  it('says a misspelt key once, by its did-you-mean, not again as a missing key', async () => {
    const { error } = await rejection(withLine(17, '    protocl: TCP', withLine(15, '    gruop: production')));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      '15:5 services.redis.gruop: unknown key "gruop" (did you mean "group"?)',
      '17:5 services.redis.protocl: unknown key "protocl" (did you mean "protocol"?)',
    ]);
    // A key missing for no such reason is still named.
    const { error: other } = await rejection(withLine(17, '    colour: TCP'));
    expect(other.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'services.redis.protocol: is required',
      'services.redis.colour: unknown key "colour"; remove it',
    ]);
  });

  it('names all the missing keys of an entry on one line', async () => {
    const { error } = await rejection('version: 1\nservices:\n  - id: x\n    port: 99999\n');
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      '3:5 services.x: missing keys name, group, protocol, access, configuredBy, robust, processes',
      '4:11 services.x.port: must be between 1 and 65535 (got 99999)',
    ]);
  });

  it('says in one line that another YAML file is not a registry, instead of an "unknown key" per key', async () => {
    const { error, path } = await rejection('services_list:\n  - a\nimage: nginx\nports: ["80:80"]\nvolumes: []\n');
    expect(error.message).toBe(
      `${path}:1:1: not a ports registry: none of its keys is version, services, reserved or claim (it has "services_list", "image", "ports", …); check the path`,
    );
    // Keys that are not names are not quoted: a line of /etc/shadow is a key too, and the message reaches the journal.
    const { error: shadow, path: shadowPath } = await rejection('root:$6$salt$hash:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n');
    expect(shadow.message).toBe(
      `${shadowPath}:1:1: not a ports registry: none of its keys is version, services, reserved or claim (its keys are not names); check the path`,
    );
    expect(shadow.message).not.toContain('$6$');
    // A misspelt registry keeps its did-you-mean lines.
    const { error: typo } = await rejection('verison: 1\nservics: []\n');
    expect(typo.issues.map((issue) => issue.message)).toEqual([
      'unknown key "verison" (did you mean "version"?)',
      'unknown key "servics" (did you mean "services"?)',
    ]);
  });

  it('says what kind of value a document that is no mapping is, never its content (a token file, an SSH key, /proc/self/environ)', async () => {
    const dir = tempDir('dsa110-ports-');
    for (const [name, text, kind] of [
      ['token.txt', 'hunter2-secret-token\n', 'a text value'],
      ['id_ed25519', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n', 'a text value'],
      ['pin', '482913\n', 'a number'],
      ['flag', 'true\n', 'a true/false value'],
      ['list.yaml', '- hunter2\n- s3cr3t\n', 'a list'],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, text);
      const error = await loadRegistry({ env: { DSA110_PORTS_FILE: path } }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, name).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).message, name).toBe(
        `${path}:1:1: must be a mapping (got ${kind}); a registry is a mapping that starts with "version: 1" and "services:"`,
      );
    }
    // /proc/self/environ: its NUL bytes are said where they are, and nothing of what is between them.
    const environ = join(dir, 'environ');
    writeFileSync(environ, 'SECRET=s3cr3t\0HOME=/root\0');
    await expect(loadRegistry({ env: { DSA110_PORTS_FILE: environ } })).rejects.toThrow(
      new RegistryError(environ, [{ path: '', message: 'a NUL byte (\\x00), which YAML does not allow in a file; remove it', line: 1, column: 14 }]).message,
    );
    // A value inside a registry is still quoted: it is the registry's, and saying it is the point.
    const { error } = await rejection('version: 1\nservices: hunter2\n');
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'services: must be a list (got "hunter2"); write a list: each item on a line of its own, after "- " (or [a, b])',
    ]);
  });

  it('refuses a protocol its transport contradicts: the tools check and claim the transport, not the label', async () => {
    const { error } = await rejection(withLine(17, '    protocol: UDP'));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      '17:15 services.redis.protocol: protocol UDP needs transport: udp (without it the port is checked and claimed as TCP); add transport: udp',
    ]);
    const { error: tcp } = await rejection(withLine(17, '    protocol: TCP\n    transport: udp'));
    expect(tcp.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      '18:16 services.redis.transport: transport udp contradicts protocol TCP; write protocol: UDP, or transport: tcp',
    ]);
    // UDP over udp is fine, and so is HTTP over udp (HTTP/3 runs over QUIC).
    expect(parseRegistry(withLine(17, '    protocol: UDP\n    transport: udp')).service('redis').transport).toBe('udp');
    expect(parseRegistry(withLine(7, '    protocol: HTTPS\n    transport: udp')).service('api').transport).toBe('udp');
  });

  it('refuses metrics on a UDP service: Prometheus would scrape the TCP port of that number, perhaps another service', async () => {
    const { error } = await rejection(withLine(7, '    protocol: HTTPS\n    transport: udp\n    metrics: /metrics'));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      "services.api.metrics: metrics are scraped over TCP (HTTP), but this service's port is UDP; give the metrics endpoint an entry of its own (transport tcp), or remove metrics",
    ]);
    expect(parseRegistry(withLine(7, '    protocol: HTTPS\n    metrics: /metrics')).service('api').metrics).toBe('/metrics');
  });

  it('reads scrapeInterval as Prometheus reads a duration (default 15s), and refuses one without metrics', async () => {
    const api = (lines: string) => withLine(7, `    protocol: HTTP\n    metrics: /metrics${lines}`);
    expect(parseRegistry(api('')).service('api').scrapeInterval).toBe('15s');
    expect(parseRegistry(api('\n    scrapeInterval: 1m30s')).service('api').scrapeInterval).toBe('1m30s');
    expect(parseRegistry(minimalRegistry).service('redis').scrapeInterval).toBeUndefined();
    for (const [value, message] of [
      ['15', 'must be a string (got 15, a number to YAML)'],
      ['1s1m', 'must be a Prometheus duration: a number and a unit (y, w, d, h, m, s, ms), largest first, e.g. 15s, 1m or 1m30s'],
      ['1.5s', 'must be a Prometheus duration'],
      ['0s', 'must be longer than zero: Prometheus refuses a scrape interval of 0; write e.g. 15s'],
      ['300y', 'must be at most 292 years (Prometheus counts a duration in int64 nanoseconds); write e.g. 15s'],
    ]) {
      const { error } = await rejection(api(`\n    scrapeInterval: ${value}`));
      expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([expect.stringContaining(`services.api.scrapeInterval: ${message}`)]);
    }
    const { error } = await rejection(withLine(22, '    processes: [redis-server]\n    scrapeInterval: 15s'));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      '23:21 services.redis.scrapeInterval: scrapeInterval is how often Prometheus scrapes the metrics endpoint, but this service has no metrics; add metrics: PATH (e.g. /metrics), or remove scrapeInterval',
    ]);
  });

  it('refuses metrics on a service that does not speak HTTP: a scrape is an HTTP GET, which Redis drops as an attack', async () => {
    const { error } = await rejection(withLine(22, '    processes: [redis-server]\n    metrics: /metrics'));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      "23:14 services.redis.metrics: metrics are scraped over HTTP, but this service's protocol is TCP; put metrics on the service entry of the exporter that serves them over HTTP (e.g. redis_exporter), or, if this port does answer HTTP, write protocol: HTTP or HTTPS",
    ]);
    // A UDP service is told about its transport, once.
    const { error: udp } = await rejection(
      withLine(17, '    protocol: UDP\n    transport: udp', withLine(22, '    processes: [redis-server]\n    metrics: /metrics')),
    );
    expect(udp.issues.map((issue) => issue.message)).toEqual([expect.stringContaining("this service's port is UDP")]);
    expect(parseRegistry(withLine(7, '    protocol: HTTP\n    metrics: /metrics')).service('api').metrics).toBe('/metrics');
  });

  it('says what to do when the path is a loop of symbolic links', async () => {
    const dir = tempDir('ports-loop-');
    symlinkSync(join(dir, 'b.yaml'), join(dir, 'a.yaml'));
    symlinkSync(join(dir, 'a.yaml'), join(dir, 'b.yaml'));
    const path = join(dir, 'a.yaml');
    await expect(loadRegistry({ path })).rejects.toThrow(`${path}: cannot read the registry: too many levels of symbolic links; check the path`);
    await expect(loadRegistry({ env: { DSA110_PORTS_FILE: path } })).rejects.toThrow(
      `${path}: cannot read the registry (from $DSA110_PORTS_FILE): too many levels of symbolic links; fix or unset DSA110_PORTS_FILE`,
    );
  });

  it('points at an explicit tag itself, and names the value a fixed key got', async () => {
    for (const [text, at] of [
      ['version: !!int 1\nservices: []\n', '1:10'],
      ['version: 1\nservices: !!seq\n  - a\n', '2:11'],
      ['version: &v !!int 1\nservices: []\n', '1:13'],
      ['version: 1\nservices: [!foo a]\n', '2:12'],
      // !!str too: no tag is allowed, and a string's own tag is not a reason to allow it.
      ['version: 1\nservices: []\nx: !!str a\n', '3:4'],
      ['version: 1\nservices: []\n? !!str x\n: a\n', '3:3'],
    ]) {
      const { error } = await rejection(text!);
      expect(error.issues.map((issue) => `${issue.line}:${issue.column}`)).toEqual([at]);
    }
    // A tag said as a tag, never as the plain value it is not (`must be a port number written in plain decimal`).
    const { error: str } = await rejection(withLine(6, '    port: !!str 8080'));
    expect(str.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([
      '6:11 YAML tag !!str is not allowed in ports.yaml; write the plain value',
    ]);
    const { error } = await rejection('version: 0x1\nservices: []\n');
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual(['version: must be 1 (got "0x1")']);
  });

  it('rejects an empty file', async () => {
    const { error } = await rejection('# nothing here\n');
    find(error.issues, /the registry is empty/);
  });

  it('refuses "-" (standard input) in one line; a file named "-" is read by another path to it', async () => {
    const hint = '"-" (standard input) is not supported; give the path of a ports.yaml (./- for a file named "-")';
    await expect(loadRegistry({ path: '-', origin: 'from --registry' })).rejects.toThrow(`-: cannot read the registry (from --registry): ${hint}`);
    await expect(loadRegistry({ env: { DSA110_PORTS_FILE: '-' } })).rejects.toThrow(`-: cannot read the registry (from $DSA110_PORTS_FILE): ${hint}`);
    const named = join(tempDir('ports-stdin-'), '-');
    writeFileSync(named, minimalRegistry);
    expect((await loadRegistry({ path: named })).services.length).toBeGreaterThan(0);
  });

  it('says when the file does not exist, and where the path came from', async () => {
    const missing = '/nonexistent/ports.yaml';
    await expect(loadRegistry({ path: missing })).rejects.toThrow(`${missing}: cannot read the registry: no such file; check the path`);
    await expect(loadRegistry({ env: { DSA110_PORTS_FILE: missing } })).rejects.toThrow(
      `${missing}: cannot read the registry (from $DSA110_PORTS_FILE): no such file; fix or unset DSA110_PORTS_FILE`,
    );
    await expect(loadRegistry({ path: missing, origin: 'from --registry' })).rejects.toThrow(
      `${missing}: cannot read the registry (from --registry): no such file; check the path`,
    );
  });

  it('names in-memory text by its source option', () => {
    expect(() => parseRegistry(withLine(6, '    port: 0'), { source: 'inline.yaml' })).toThrow(
      /^inline\.yaml:6:11: services\.api\.port: must be between 1 and 65535 \(got 0\)$/m,
    );
  });
});

// Values written into other programs' files: the schema takes only what those files read as written.
describe('a list of ids or names holds each once', () => {
  const issueLines = (issues: readonly RegistryIssue[]) => issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`);

  it.each([
    ['reserved for:', 28, '    for: [api, api]', '28:16 reserved.api-alt.for[1]: duplicate "api": for[0] already names it; remove one of the two'],
    [
      'processes:',
      12,
      '    processes: [uvicorn, gunicorn, uvicorn]',
      '12:36 services.api.processes[2]: duplicate "uvicorn": processes[0] already names it; remove one of the two',
    ],
    [
      'claim.protect.processes:',
      33,
      '    purpose: Dashboard fallback\nclaim:\n  protect:\n    processes: [postgres, "post*", postgres]',
      '36:36 claim.protect.processes[2]: duplicate "postgres": processes[0] already names it; remove one of the two',
    ],
    [
      'claim.protect.unprotectBuiltin:',
      33,
      '    purpose: Dashboard fallback\nclaim:\n  protect:\n    unprotectBuiltin: [dockerd, dockerd]',
      '36:33 claim.protect.unprotectBuiltin[1]: duplicate "dockerd": unprotectBuiltin[0] already names it; remove one of the two',
    ],
  ])('refuses a name listed twice in %s at the second, naming the first', async (_name, line, text, message) => {
    const { error } = await rejection(withLine(line, text));
    expect(issueLines(error.issues)).toEqual([message]);
  });

  it('says an item the list refuses once, as what is wrong with it, not also as a duplicate', async () => {
    const { error } = await rejection(withLine(28, '    for: [API, API]'));
    expect(issueLines(error.issues)).toEqual([
      '28:11 reserved.api-alt.for[0]: must be lower-case letters, digits and dashes, starting with a letter',
      '28:16 reserved.api-alt.for[1]: must be lower-case letters, digits and dashes, starting with a letter',
    ]);
  });

  it.each([
    [
      'written twice',
      '    configs: [{ kind: redis-conf }, { kind: redis-conf }]',
      'configs[1]: duplicate redis-conf config: configs[0] already names /etc/redis/redis.conf',
    ],
    [
      'once by its default path and once written out',
      '    configs: [{ kind: prometheus-args }, { kind: prometheus-args, path: /etc/default/prometheus }]',
      'configs[1]: duplicate prometheus-args config: configs[0] already names /etc/default/prometheus',
    ],
    [
      "once as the service's config: and once written out",
      '    config: /etc/redis/dsa110.conf\n    configs: [{ kind: redis-conf, path: /etc/redis/dsa110.conf }, { kind: redis-conf }]',
      'configs[1]: duplicate redis-conf config: configs[0] already names /etc/redis/dsa110.conf',
    ],
  ])('refuses a config file of one kind listed twice, %s', async (_name, line, message) => {
    const { error } = await rejection(withLine(19, `${line}\n    configuredBy: { env: REDIS_PORT }`));
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      `services.redis.${message}; remove one of the two, or give this one a path of its own`,
    ]);
  });

  it('takes files of one kind at two paths, and files of two kinds at one path', () => {
    const text = withLine(
      19,
      '    configs: [{ kind: redis-conf }, { kind: redis-conf, path: /etc/redis/b.conf }, { kind: prometheus-yml, path: /etc/redis/b.conf }]\n    configuredBy: { env: REDIS_PORT }',
    );
    expect(parseRegistry(text).service('redis').configs).toHaveLength(3);
  });
});

describe('values that generated files would read as syntax are refused where they are written', () => {
  it.each([
    // nginx's `location PATH {` (ports snippet nginx-site) and Prometheus's metrics_path.
    ['/metrics;}', 'an nginx directive end and a brace'],
    ['/metrics{', 'a brace'],
    ['/metrics\\;x', 'a backslash, an nginx escape'],
    ['/metrics?format=text', 'a query (Prometheus would send it escaped, as part of the path)'],
    ['/metrics#x', 'a fragment'],
    ['/metrics%2Fx', 'a %-escape (Prometheus escapes the % again)'],
    ['/metrics"x', 'a quote'],
  ])('metrics: %j (%s)', async (value, _why) => {
    const { error } = await rejection(withLine(12, `    processes: [uvicorn]\n    metrics: ${JSON.stringify(value)}`));
    const issue = find(error.issues, /^must be a URL path starting with \/: letters, digits and /);
    expect(`${issue.line}:${issue.column} ${issue.path}`).toBe('13:14 services.api.metrics');
  });

  it('metrics: every URL path character nginx and Prometheus read as written is taken', () => {
    const registry = parseRegistry(withLine(12, '    processes: [uvicorn]\n    metrics: "/a-._~!$&\'()*+,=:@/Z9"'));
    expect(registry.service('api').metrics).toBe("/a-._~!$&'()*+,=:@/Z9");
  });

  it.each(['#http_port', 'http_port = 1 ;', 'http port', 'server:http_port', '[server]'])(
    'configuredBy.key %j (a line of the file: a comment, another value, a section)',
    async (key) => {
      const { error } = await rejection(withLine(9, `    configuredBy: { file: grafana.ini, key: ${JSON.stringify(key)} }`));
      const issue = find(error.issues, /^must be a setting name: letters, digits, _ \. and -/);
      expect(`${issue.line}:${issue.column} ${issue.path}`).toBe('9:45 services.api.configuredBy.key');
    },
  );

  it('systemd.unit starting with @ (systemd refuses a unit with nothing before its @; the drop-in would never be read)', async () => {
    const { error } = await rejection(withLine(11, '    systemd: { unit: "@api.service", claim: unit }'));
    const issue = find(error.issues, /^must not start with @: a template instance is NAME@INSTANCE\.service$/);
    expect(`${issue.line}:${issue.column} ${issue.path}`).toBe('11:22 services.api.systemd.unit');
    expect(parseRegistry(withLine(11, '    systemd: { unit: "api@main.service", claim: unit }')).service('api').systemd?.unit).toBe('api@main.service');
  });

  it.each(['api@.service', 'dsa110-api@.service'])(
    'systemd.unit %j, a template (never active itself; its claim drop-in would apply to every instance)',
    async (unit) => {
      const { error } = await rejection(withLine(11, `    systemd: { unit: "${unit}", claim: drop-in }`));
      // One message only: not also the "must not start with @" one.
      expect(
        error.issues.filter((issue) => issue.path === 'services.api.systemd.unit').map((issue) => `${issue.line}:${issue.column} ${issue.message}`),
      ).toEqual([
        '11:22 must name an instance, NAME@INSTANCE.service (e.g. api@main.service), not the template NAME@.service: a template is never started or active itself, and its claim drop-in would apply to every instance, each freeing the port from the others',
      ]);
    },
  );

  it('systemd.unit: an instance whose name holds another @ or a dot is taken (systemd reads it so: api@a@b.service is an instance of api@.service)', () => {
    for (const unit of ['api@a@b.service', 'api@b@.service', 'api@.x.service', 'api@x.service']) {
      expect(parseRegistry(withLine(11, `    systemd: { unit: "${unit}", claim: unit }`)).service('api').systemd?.unit).toBe(unit);
    }
  });
});

// `ports snippet nginx-site` writes `location /api/` for the upstream, then `location METRICS` (localhost only).
describe("an nginx upstream's metrics path may not be, or hold, a location the nginx-site snippet always writes", () => {
  const nginx = [
    '    processes: [redis-server]',
    '  - id: nginx',
    '    name: Nginx',
    '    group: production',
    '    port: 80',
    '    protocol: HTTP',
    '    access: public',
    '    configuredBy: hardcoded',
    '    robust: false',
    '    processes: [nginx]',
    '    configs: [{ kind: nginx-site, upstream: api }]',
  ].join('\n');
  const behindNginx = (metrics: string) => withLine(12, `    processes: [uvicorn]\n    metrics: "${metrics}"`, withLine(22, nginx));

  it.each([
    ['/api/', 'is a location the nginx-site snippet of "nginx" already writes, and nginx -t refuses a duplicate location'],
    ['/', 'holds /api/, a location the nginx-site snippet of "nginx" writes: every request under it but outside /api/ would be localhost only'],
    ['/api', 'holds /api/, a location the nginx-site snippet of "nginx" writes: every request under it but outside /api/ would be localhost only'],
    // nginx matches prefixes by character: location /ap takes /apple and /api-docs as /api does.
    ['/ap', 'holds /api/, a location the nginx-site snippet of "nginx" writes: every request under it but outside /api/ would be localhost only'],
    ['/a', 'holds /api/, a location the nginx-site snippet of "nginx" writes: every request under it but outside /api/ would be localhost only'],
  ])('metrics: %j', async (metrics, what) => {
    const { error } = await rejection(behindNginx(metrics));
    expect(error.issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`)).toEqual([
      `13:14 services.api.metrics: metrics path "${metrics}" ${what}; give the metrics endpoint a path of its own, such as /metrics`,
    ]);
  });

  it('takes a path inside /api/ or beside it (no prefix of it), and any path on a service no nginx site proxies', () => {
    for (const metrics of ['/metrics', '/api/metrics', '/apix', '/b']) {
      expect(parseRegistry(behindNginx(metrics)).service('api').metrics).toBe(metrics);
    }
    expect(parseRegistry(withLine(12, '    processes: [uvicorn]\n    metrics: "/"')).service('api').metrics).toBe('/');
  });
});

describe('a port variable must say it holds a port, outside the namespaces the loader, bash, systemd and these tools own', () => {
  const NOT_A_PORT = /^must say it holds a port: PORT, or a name with PORT at its end or before _ or a digit/;
  const OWNED = /^must not be in a namespace the loader, the C library, bash, systemd or these tools read for themselves/;
  /** The messages about the variable's name (one line each, at its place). */
  async function nameIssues(name: string) {
    const { error } = await rejection(withLine(9, `    configuredBy: { env: ${name} }`));
    return error.issues.filter((issue) => issue.path === 'services.api.configuredBy.env').map((issue) => `${issue.line}:${issue.column} ${issue.message}`);
  }

  it.each([
    // The shell, the loader, interpreters, systemd: a hand list of them was never complete.
    'PATH',
    'IFS',
    'BASH_ENV',
    'ENV',
    'PS4',
    'PROMPT_COMMAND',
    'LD_PRELOAD',
    'LC_ALL',
    'NODE_OPTIONS',
    'PYTHONSTARTUP',
    'DSA110_PORTS_FILE',
    'LISTEN_FDS',
    '_',
    // What that list let through: each runs or redirects a program when set.
    'GIT_SSH_COMMAND',
    'PERL5OPT',
    'SSH_ASKPASS',
    'EDITOR',
    'VISUAL',
    'PAGER',
    'HTTP_PROXY',
    'GLIBC_TUNABLES',
    'JAVA_TOOL_OPTIONS',
    'RUSTC_WRAPPER',
    // Names that hold PORT but not as a word.
    'PORTS',
    'API_PORTAL',
  ])('%s (eval "$(ports env)" would set it to a port): one message, at its place', async (name) => {
    const issues = await nameIssues(name);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^9:26 /);
    expect(issues[0]!.slice(5)).toMatch(NOT_A_PORT);
  });

  it.each(['LD_PORT', 'LC_PORT', 'BASH_PORT', 'SYSTEMD_PORT', 'LISTEN_PORT', 'XDG_RUNTIME_PORT', 'DSA110_PORTS_API_PORT', 'GLIBC_PORT'])(
    '%s names a port but in a namespace another program owns: one message',
    async (name) => {
      const issues = await nameIssues(name);
      expect(issues).toHaveLength(1);
      expect(issues[0]!.slice(5)).toMatch(OWNED);
    },
  );

  it('a name of the wrong shape gets only the shape message', async () => {
    expect(await nameIssues('contimg-port')).toEqual([
      '9:26 must be an environment variable name: upper-case letters, digits and _, not starting with a digit',
    ]);
  });

  it.each([
    'PORT',
    'CACHE_REDIS_PORT',
    'VITE_PORT',
    'API_PORT',
    'PGPORT',
    'GF_SERVER_HTTP_PORT',
    'API_PORT_NUMBER',
    'PORT2',
    'BASHFUL_PORT',
    'LDAP_PORT',
    'HOME_PORT',
    'PATH_PORT',
    'DSA110_API_PORT',
    '_PORT',
  ])('%s is taken', (name) => {
    expect(parseRegistry(withLine(9, `    configuredBy: { env: ${name} }`)).service('api').env).toBe(name);
  });
});

describe('where and how a problem of the file is said, for an editor to jump to (fixtures in test/fixtures)', () => {
  const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
  /** The RegistryError loading the fixture `name` raises, as `line:col path: message` lines. */
  async function problems(name: string): Promise<string[]> {
    const error = await loadRegistry({ path: fixture(name), env: { DSA110_PORTS_CACHE: 'off' } }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(RegistryError);
    return (error as RegistryError).issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}: ${issue.message}`);
  }

  it('says aliases expand past the limit at the alias that takes them past it, not at the first key (1:1, or line 2)', async () => {
    // 7,009 values before y's aliases, each 7,001 more: the 14th passes 100,000, at column 5 + 13 * 4 of line 5.
    expect(await problems('aliases-past-limit.yaml')).toEqual([
      '5:57 : YAML aliases expand the registry to 119025 values, more than 100000 (past it here: *a is 7001 values); write the values out instead',
    ]);
  });

  it('does not count a byte order mark as a column of line 1 (as editors show none): 1:10, as without it', async () => {
    expect(await problems('bom-version-2.yaml')).toEqual(['1:10 version: must be 1 (got 2)']);
    expect(parseRegistryText('version: 2\nservices: []\n')).toMatchObject({ ok: false, issues: [{ line: 1, column: 10 }] });
    // Columns count UTF-16 code units, as VS Code's "Go to Line/Column" does: two emoji before the value are four.
    const emoji = parseRegistryText('{"😀😀": 1, version: 2, services: []}\n');
    expect(emoji.ok ? [] : emoji.issues.map((issue) => `${issue.line}:${issue.column} ${issue.message}`)).toEqual([
      '1:2 unknown key "😀😀" (it holds U+1F600, not ASCII); remove it',
      '1:22 must be 1 (got 2)',
    ]);
    expect(parseRegistryText('\uFEFFversion: 1\nservices: []\nfoo: 1\n')).toMatchObject({ ok: false, issues: [{ line: 3, column: 1 }] });
  });

  it('names a key that is not ASCII by code point (a Cyrillic р in "рort" reads as "port")', async () => {
    expect(await problems('lookalike-key.yaml')).toEqual(['6:5 services.api["рort"]: unknown key "рort" (it holds U+0440, not ASCII; did you mean "port"?)']);
    const { error } = await rejection(`${minimalRegistry}ключ: 1\n`);
    expect(find(error.issues, /ключ/).message).toBe('unknown key "ключ" (it holds U+043A, U+043B, U+044E, U+0447, not ASCII); remove it');
  });

  it('names the digits of a port written in other digits by code point, as an environment override is told', async () => {
    expect(await problems('fullwidth-port.yaml')).toEqual([
      '6:11 services.api.port: must be a port number written in plain decimal, 1-65535 (got "８０００"): it is written with digits other than ASCII 0-9 (U+FF18, U+FF10: 8000 in ASCII digits)',
    ]);
    expect(() => parseRegistry(`${minimalRegistry.replace('port: 8000', 'port: "8000\u00a0"')}`)).toThrow(
      /services\.api\.port: must be a port number written in plain decimal, 1-65535 \(got "8000\\u00a0"\): it holds U\+00A0, not ASCII$/,
    );
  });
});
