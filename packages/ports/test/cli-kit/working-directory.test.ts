// Each bin run from a directory removed while a shell stood in it (`cd x; rm -r ../x`): process.cwd() fails
// (ENOENT, uv_cwd) wherever a relative path or the checkout is looked up from there. One line saying so and
// what to do, never "internal error" with a stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workingDirectoryGone } from '../../src/cli-kit/conventions.js';

const repoRoot = new URL('../../../../', import.meta.url).pathname;
const GONE = 'the current directory no longer exists (it was removed while in use); cd to one that does, or give every path absolute';

/** `node BIN ARGS` started in a directory removed just before (a shell cds in, removes it, execs the bin). */
function fromRemovedDirectory(bin: string, args: readonly string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'dsa110-cwd-gone-'));
  const run = spawnSync('sh', ['-c', 'd=$1; shift; cd "$d" && rmdir "$d" && exec "$@"', 'sh', dir, process.execPath, join(repoRoot, bin), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('workingDirectoryGone', () => {
  it("names process.cwd()'s failure in a removed directory, and nothing else", () => {
    const gone = Object.assign(new Error('ENOENT: no such file or directory, uv_cwd'), { code: 'ENOENT', syscall: 'uv_cwd' });
    expect(workingDirectoryGone(gone)).toBe(GONE);
    expect(workingDirectoryGone(Object.assign(new Error('ENOENT: no such file or directory, open'), { code: 'ENOENT', syscall: 'open' }))).toBeUndefined();
    expect(workingDirectoryGone(undefined)).toBeUndefined();
    expect(workingDirectoryGone('uv_cwd')).toBeUndefined();
  });

  it('ports, whose commands find the checkout from the working directory, says so in one line, exit 1 (built bin)', () => {
    for (const args of [['validate'], ['docs', '--check'], ['monitoring', '--check'], ['systemd', '--out', 'relative']]) {
      const run = fromRemovedDirectory('packages/ports/bin/ports.js', args);
      expect({ args, ...run }).toEqual({ args, code: 1, stdout: '', stderr: `ports: ${GONE}\n` });
    }
  });

  it.skipIf(process.getuid?.() !== 0)(
    'as root, a relative --registry (whose path root walks from the working directory) says so, naming the file (built bins)',
    () => {
      const ports = fromRemovedDirectory('packages/ports/bin/ports.js', ['--registry', 'reg.yaml', 'list']);
      expect(ports).toEqual({ code: 1, stdout: '', stderr: `reg.yaml: cannot read the registry (from --registry): ${GONE}\n` });
      const health = fromRemovedDirectory('packages/port-health-check/bin/port-health-check.js', ['--registry', 'reg.yaml', '--no-firewall', '-q']);
      // Its report (stdout) names the registry problem, as for any registry it cannot read: exit 1.
      expect(health).toMatchObject({ code: 1, stdout: `error: [registry] reg.yaml: cannot read the registry (from --registry): ${GONE}\n` });
    },
  );

  it('port-health-check with a relative --output says so in one line, exit 3 (built bin)', () => {
    const run = fromRemovedDirectory('packages/port-health-check/bin/port-health-check.js', ['--output', 'health.prom', '--format', 'prometheus']);
    expect(run).toEqual({ code: 3, stdout: '', stderr: `port-health-check: could not run: ${GONE}\n` });
  });
});
