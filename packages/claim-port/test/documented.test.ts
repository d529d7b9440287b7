// What the documentation says about claim-port, held against its argument
// grammar (CLAIM_FLAGS and parseClaimArgs, in @dsa110/ports/systemd): every
// `claim-port ...` example on every page (READMEs, CONTRIBUTING.md, docs/,
// unit-file lines included) uses only flags claim-port has and, when it is a
// command as written (not a synopsis with placeholders), parses; the README's
// Flags section names every flag; its exit codes are the ones the help gives.
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_USAGE } from '@dsa110/ports/cli';
import { CLAIM_FLAGS, claimUsage, parseClaimArgs } from '@dsa110/ports/systemd';
import {
  examplesOf,
  firstCells,
  flagSpellings,
  flagsIn,
  guardPort,
  interfaceMembers,
  leasePort,
  section,
  splitArgv,
  unionMembers,
} from '../../../test-support/index.js';
import { EXIT_FREE, EXIT_NOT_FREE } from '../src/index.js';
import { interruptedExitCode } from '../src/interrupt.js';
import { runClaim } from './helpers.js';
import { cleanupStarted, start } from './started.js';

/** The name the docs give an unknown option when they show a usage error. */
const SHOWN_AS_A_MISTAKE = '--bogus';
const takesValue = (flag: string) => (CLAIM_FLAGS as Record<string, { type: string }>)[flag.slice(2)]?.type === 'string';

describe('the `claim-port` examples in the documentation', () => {
  const examples = examplesOf('claim-port');

  it('are found (unit-file lines and docs/ports.md included)', () => {
    expect(examples.length).toBeGreaterThan(10);
    expect(examples.some((example) => example.where.startsWith('docs/ports.md') && example.argv.includes('--timeout=10'))).toBe(true);
  });

  it('use only flags claim-port has', () => {
    const known = new Set(flagSpellings(CLAIM_FLAGS));
    const problems = examples.flatMap((example) =>
      splitArgv(example.argv, takesValue)
        .flags.filter((flag) => flag !== SHOWN_AS_A_MISTAKE && !known.has(flag))
        .map((flag) => `${example.where}: \`claim-port ${example.argv.join(' ')}\`: no such flag ${flag}`),
    );
    expect(problems).toEqual([]);
  });

  it('parse as written, where they are commands and not synopses', () => {
    const runnable = examples.filter(
      (example) =>
        !example.synopsis &&
        example.argv.length > 0 &&
        !example.argv.includes(SHOWN_AS_A_MISTAKE) &&
        // `claim-port --registry` in prose names the flag; it is no command line.
        !(takesValue(example.argv.at(-1)!) && !example.argv.at(-1)!.includes('=')),
    );
    expect(runnable.length).toBeGreaterThan(8);
    const problems = runnable.flatMap((example) => {
      const parsed = parseClaimArgs(example.argv);
      return parsed.command === 'usage-error' ? [`${example.where}: \`claim-port ${example.argv.join(' ')}\`: ${parsed.message}`] : [];
    });
    expect(problems).toEqual([]);
  });
});

describe("the README's Flags section", () => {
  const flags = section('packages/claim-port/README.md', '## Flags');

  it('names every flag claim-port has, in its synopsis or its table, and no other', () => {
    const named = new Set([...flagsIn(flags.split('\n| ')[0]!), ...firstCells(flags).flatMap(flagsIn)]);
    expect(named).toEqual(new Set(flagSpellings(CLAIM_FLAGS)));
  });

  it('gives each flag of the table a row that --help lists too', () => {
    const help = claimUsage();
    for (const cell of firstCells(flags)) for (const flag of flagsIn(cell)) expect(help, flag).toContain(flag);
  });
});

describe('the exit codes', () => {
  it('are the ones the README and --help give: 0 free, 1 not free, 64 usage', () => {
    const paragraph = section('packages/claim-port/README.md', '## Exit codes').trim().split('\n\n')[0]!;
    expect([...paragraph.matchAll(/`(\d+)`/g)].map((match) => Number(match[1]))).toEqual([EXIT_FREE, EXIT_NOT_FREE, EXIT_USAGE]);
    expect(claimUsage()).toMatch(/Exit codes: 0 the port is free at exit[\s\S]*\n1 it is not[\s\S]*; 64 usage error/);
  });

  it('give an interrupted claim 128 + the signal number, as interruptedExitCode does: 143 SIGTERM, 130 SIGINT, 129 SIGHUP, and the others', () => {
    const paragraph = section('packages/claim-port/README.md', '## Exit codes')
      .split('\n\n')
      .find((text) => text.startsWith('A claim interrupted'))!;
    const named = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGABRT', 'SIGUSR2', 'SIGALRM'];
    expect([...paragraph.matchAll(/`(\d+)`/g)].map((match) => Number(match[1]))).toEqual(named.map(interruptedExitCode));
    expect(paragraph).toMatch(/by SIGTERM, SIGINT or SIGHUP/);
  });
});

describe("the README's API", () => {
  it('lists every option of ClaimOptions in its table, and no other', () => {
    const table = firstCells(section('packages/claim-port/README.md', '## API')).map((cell) => cell.replace(/`/g, ''));
    expect(new Set(table)).toEqual(new Set(interfaceMembers('packages/claim-port/api/index.api.md', 'ClaimOptions')));
    expect(table).toHaveLength(new Set(table).size);
  });
});

describe("the README's JSON output", () => {
  const json = section('packages/claim-port/README.md', '## JSON output');
  const listed = (sentence: RegExp) => [...(sentence.exec(json)?.[1] ?? '').matchAll(/`([a-z-]+)`/g)].map((match) => match[1]);

  it('lists every action (ClaimAction), and no other', () => {
    expect(listed(/`action` is ([^.;]*)/)).toEqual(unionMembers('packages/claim-port/api/index.api.md', 'ClaimAction'));
  });

  it('lists every holder outcome (HolderOutcome), and no other', () => {
    // Each outcome is named in backticks, with what it means after it: `exited` (gone after SIGTERM ...), ...
    const sentence = /holder's `outcome` is ([\s\S]*?)\. A\s/.exec(json)?.[1] ?? '';
    const named = [...sentence.matchAll(/(?:^|,\s+|\sor\s+)`([a-z-]+)`/g)].map((match) => match[1]);
    expect(named).toEqual(unionMembers('packages/claim-port/api/index.api.md', 'HolderOutcome'));
  });

  describe('a refusal over a blocker', () => {
    afterEach(cleanupStarted);

    it("names every field of `blockers` and of their holders that a real --json refusal has (a UDP client's socket, bound and connected, on the port)", async () => {
      // `blockers: [{ socket, holders: [{ pid, comm, command, argv, exe? }], peer?: ..., timeWaitLeftMs? }]`
      const shape = /`blockers: \[\{ ([^`]*) \}\]`/.exec(json)?.[1] ?? '';
      const holders = /holders: \[\{ ([^\]]*) \}\]/.exec(shape)?.[1] ?? '';
      const fields = (list: string) => list.split(/,\s*/).map((field) => field.replace(/[?:].*$/, ''));
      const blockerFields = fields(shape.replace(/\[\{[^\]]*\}\]/, '').replace(/\{[^}]*\}/, ''));
      expect(blockerFields).toEqual(['socket', 'holders', 'peer', 'timeWaitLeftMs']);
      const port = leasePort({ ranges: [[20000, 29999]] });
      const client = await start([
        '/usr/bin/python3',
        '-c',
        `import json, os, socket, time
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.bind(('127.0.0.3', ${port})); c.connect(('127.0.0.1', 53))
print(json.dumps({'pid': os.getpid(), 'port': ${port}}), flush=True)
while True: time.sleep(3600)`,
      ]);
      guardPort(port, 'udp');
      const run = await runClaim([`${port}/udp`, '--json']);
      expect(run.code).toBe(EXIT_NOT_FREE);
      const result = JSON.parse(run.stdout) as { action: string; blockers: Record<string, unknown>[] };
      expect(result.action).toBe('refused');
      const blocker = result.blockers[0]!;
      expect(Object.keys(blocker).every((key) => blockerFields.includes(key))).toBe(true);
      const holder = (blocker.holders as Record<string, unknown>[])[0]!;
      expect(holder.pid).toBe(client.first.pid);
      // The suite's own process: its exe is readable, so every field is there, `exe?` too.
      expect(Object.keys(holder).sort()).toEqual(fields(holders).sort());
    });
  });
});
