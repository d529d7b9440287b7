// `ports validate` on real files: a process name pattern that holds a character
// beyond ASCII (a look-alike: "pоstgres" with a Cyrillic о) is valid, with a
// warning at the pattern's line and column naming the character by code point,
// and exit 0 as for any warning. Such a protected pattern protected nothing:
// claim-port then signalled the real postgres.
import { describe, expect, it } from 'vitest';
import { checkout, ports, replaceOnce, rootRegistry } from '../helpers.js';

/** `ports validate` of the root registry with `from` (a line of it) replaced by `to`; and where `to` lands, 1-based. */
async function validate(from: string, to: string) {
  const text = replaceOnce(rootRegistry, from, to);
  const line = text.split('\n').indexOf(to.replace(/\n$/, '')) + 1;
  return { run: await ports(['validate', 'ports.yaml'], { cwd: checkout(text) }), line };
}

describe('ports validate: a process name pattern with a character beyond ASCII', () => {
  it('warns about a protected pattern, at its line and column, naming the character (it protected nothing)', async () => {
    const { run, line } = await validate('    processes: []\n', '    processes: ["p\u043estgres", my-agent]\n');
    expect(run).toEqual({
      code: 0,
      stdout: 'ports.yaml: ok (8 services, 2 reserved entries)\n',
      stderr: `ports.yaml:${line}:17: warning: claim.protect.processes: "p\\u043estgres" holds U+043E (a Cyrillic small letter), not ASCII: it protects no process whose name is written in ASCII, however alike the two look, and claim-port signals that one; write the name in ASCII, or keep it if a process really goes by this name\n`,
    });
  });

  it("warns about a service's pattern, and shows its look-alike escaped where another warning prints it", async () => {
    const { run, line } = await validate('    processes: [redis-server]\n', '    processes: [r\u0435dis-server, "\u0440\u043e\u0441\u0442*", caf\u00e9]\n');
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n')).toEqual([
      // The config warning said `its processes are "rеdis-server"`: a contradiction to the eye.
      expect.stringMatching(
        /^ports\.yaml:\d+:\d+: warning: services\.redis\.configs\[0\]: kind redis-conf is a file redis-server reads, but its processes are "r\\u0435dis-server", "\\u0440\\u043e\\u0441\\u0442\*", "caf\\u00e9"; move /,
      ),
      `ports.yaml:${line}:17: warning: services.redis.processes[0]: "r\\u0435dis-server" holds U+0435 (a Cyrillic small letter), not ASCII: it matches no process whose name is written in ASCII, however alike the two look, and the health check takes that one for an intruder; write the name in ASCII, or keep it if a process really goes by this name`,
      expect.stringMatching(
        new RegExp(
          `^ports\\.yaml:${line}:31: warning: services\\.redis\\.processes\\[1\\]: "\\\\u0440\\\\u043e\\\\u0441\\\\u0442\\*" holds U\\+0440 \\(a Cyrillic small letter\\), U\\+043E \\(a Cyrillic small letter\\), U\\+0441 \\(a Cyrillic small letter\\) and 1 more, not ASCII: `,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^ports\\.yaml:${line}:40: warning: services\\.redis\\.processes\\[2\\]: "caf\\\\u00e9" holds U\\+00E9 \\(a Latin small letter\\), not ASCII: `,
        ),
      ),
      '',
    ]);
  });

  it('says nothing of ASCII patterns, the root registry among them', async () => {
    expect((await ports(['validate', 'ports.yaml'], { cwd: checkout() })).stderr).toBe('');
  });
});
