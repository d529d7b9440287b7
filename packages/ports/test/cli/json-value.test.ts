// `--json=VALUE`, before the command or after it: a usage error (--json takes no value, exit 64) that asks for JSON,
// so its error is the JSON object on stdout too, unless VALUE is false, 0, no, off or empty, which ask for none
// (the rule of claim-port and port-health-check, cli-kit's wantsJson): the same answer in every position.
import { describe, expect, it } from 'vitest';
import { ports } from './helpers.js';

const usageJson = (command: string) =>
  `${JSON.stringify({ tool: 'ports', error: { kind: 'usage', message: `ports ${command}: --json takes no value; usage: ports ${command}${command === 'get' ? ' <id>' : ''} [--json]` }, exitCode: 64 })}\n`;

describe('ports --json=VALUE: one rule wherever it stands', () => {
  it.each([
    ['get', ['get', '--json=V', 'api']],
    ['get', ['--json=V', 'get', 'api']],
    ['list', ['--json=V', 'list']],
    ['list', ['list', '--json=V']],
  ])('%s %j', async (command, template) => {
    for (const value of ['1', 'yes', 'true', 'x']) {
      const run = await ports(template.map((arg) => arg.replace('V', value)));
      expect([run.code, run.stdout], value).toEqual([64, usageJson(command)]);
      expect(run.stderr).toMatch(new RegExp(`^ports ${command}: --json takes no value; `));
    }
    for (const value of ['', '0', 'false', 'no', 'off']) {
      const run = await ports(template.map((arg) => arg.replace('V', value)));
      expect([run.code, run.stdout], JSON.stringify(value)).toEqual([64, '']);
      expect(run.stderr).toMatch(new RegExp(`^ports ${command}: --json takes no value; `));
    }
  });
});
