import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../../../test-support/index.js';
import { writeAtomic } from '../src/write-atomic.js';
import { tempDir } from './helpers.js';

const repoRoot = join(import.meta.dirname, '../../..');
const isRoot = process.getuid?.() === 0;
const strace = spawnSync('strace', ['-V']).status === 0;
const setpriv = spawnSync('setpriv', ['--version']).status === 0;
const python = '/usr/bin/python3';
const canRace = isRoot && strace && setpriv && spawnSync(python, ['-V']).status === 0;
const NOBODY = 65534;

/** Another account in a directory it may write: waits for a temporary file, then renames its own symbolic link to `victim` over it. */
const SWAPPER = `
import os, sys, time
directory, victim = sys.argv[1], sys.argv[2]
deadline = time.time() + 10
while time.time() < deadline:
    for name in os.listdir(directory):
        if name.endswith('.tmp'):
            os.symlink(victim, os.path.join(directory, 'planted'))
            os.rename(os.path.join(directory, 'planted'), os.path.join(directory, name))
            print('swapped', flush=True)
            sys.exit(0)
    time.sleep(0.001)
print('no temporary file seen', flush=True)
`;

/**
 * The races' set-up, in a new directory: `victim`, root's file of mode 0600 holding "secret", and beside it
 * `textfiles`, a directory the other account (nobody) owns, as node_exporter's account may own the textfile one.
 */
function raceDirectory(): { dir: string; textfiles: string; victim: string } {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  const textfiles = join(dir, 'textfiles');
  mkdirSync(textfiles);
  chownSync(textfiles, NOBODY, NOBODY);
  const victim = join(dir, 'shadow');
  writeFileSync(victim, 'secret\n', { mode: 0o600 });
  return { dir, textfiles, victim };
}

/** The first line of a module script that writes with writeAtomic from its source. */
const importWriteAtomic = `const { writeAtomic } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../src/write-atomic.ts')).href)});`;

describe('writeAtomic', () => {
  it('replaces the file in one rename and leaves no temp file behind', async () => {
    const dir = tempDir();
    const path = join(dir, 'ports.prom');
    writeFileSync(path, 'old\n');
    const before = statSync(path).ino;
    await writeAtomic(path, 'new\n');
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).ino).not.toBe(before); // a new file renamed over the old one, not rewritten in place
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['ports.prom']);
  });

  it('fails with the errno when the directory is missing, writing nothing', async () => {
    const dir = tempDir();
    await expect(writeAtomic(join(dir, 'nope', 'x.prom'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(readdirSync(dir)).toEqual([]);
  });

  // The textfile directory may belong to node_exporter's account; the check runs as root. Between creating its
  // temporary file and setting its mode, that account can rename a link over the temporary file: a mode set by
  // path then lands on any file the link names (/etc/shadow made 0644). strace holds each mode change 300 ms,
  // so the swap an inotify watcher wins by chance happens every time here.
  it.skipIf(!canRace)(
    `never changes the mode of a file another account swaps in for its temporary file${canRace ? '' : ' [skipped: needs root, strace, setpriv and python3]'}`,
    async () => {
      const { textfiles, victim } = raceDirectory();
      const swapper = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', python, '-c', SWAPPER, textfiles, victim], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let said = '';
      swapper.stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
      swapper.stderr.on('data', (chunk: Buffer) => (said += chunk.toString()));
      const swapperDone = new Promise((resolve) => swapper.once('close', resolve));
      const script = `${importWriteAtomic}
try { await writeAtomic(${JSON.stringify(join(textfiles, 'dsa110_ports.prom'))}, 'dsa110_port_up 1\\n'); } catch (error) { console.log(error.message); }`;
      const delay = ['-e', 'trace=chmod,fchmod,fchmodat', '-e', 'inject=chmod,fchmod,fchmodat:delay_enter=300000'];
      const writer = spawnSync(
        'strace',
        ['-f', '-qq', '-o', '/dev/null', ...delay, process.execPath, '--conditions=development', '--import', 'tsx', '--input-type=module', '-e', script],
        {
          cwd: repoRoot,
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
      await swapperDone;
      expect(writer.stderr).toBe('');
      expect(said).toBe('swapped\n'); // the swap happened: without it this test could not fail
      expect(statSync(victim).mode & 0o7777).toBe(0o600);
      expect(statSync(victim).uid).toBe(0);
      expect(readFileSync(victim, 'utf8')).toBe('secret\n');
      // And the planted link is not renamed into the report's place: the write says why, and leaves nothing.
      expect(writer.stdout).toBe(
        `${join(textfiles, 'dsa110_ports.prom')}: its temporary file was replaced while it was written, so another account may write its directory: let only the account that runs this write there (nothing was written)\n`,
      );
      expect(readdirSync(textfiles)).toEqual([]);
    },
  );

  // The same account, quicker: the report's name is a file of its own when the writer checks the path for links
  // of others, and its link to any file by the time the writer looks whether to follow one. strace holds each
  // stat 300 ms, and the swap is made the moment the first look has returned.
  it.skipIf(!canRace)(
    `never follows a link another account puts at the report's name after the path was checked${canRace ? '' : ' [skipped: needs root, strace, setpriv and python3]'}`,
    async () => {
      const { dir, textfiles, victim } = raceDirectory();
      const report = join(textfiles, 'dsa110_ports.prom');
      writeFileSync(report, 'old\n');
      chownSync(report, NOBODY, NOBODY);
      const planted = join(textfiles, 'planted');
      symlinkSync(victim, planted);
      lchownSync(planted, NOBODY, NOBODY);

      const script = `${importWriteAtomic}
console.log('ready');
process.stdin.once('data', async () => {
  try { await writeAtomic(${JSON.stringify(report)}, 'dsa110_port_up 1\\n'); console.log('written'); } catch (error) { console.log(error.message); }
  process.exit(0);
});`;
      const writer = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot });
      let out = '';
      writer.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      writer.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const writerDone = new Promise((resolve) => writer.once('close', resolve));
      expect(await waitUntil(() => out.includes('ready'), 20_000)).toBe(true);
      const trace = join(dir, 'trace');
      const tracer = spawn('strace', [
        '-f',
        '-qq',
        '-o',
        trace,
        '-e',
        'trace=statx,newfstatat,lstat',
        '-e',
        'inject=statx,newfstatat,lstat:delay_enter=300000',
        '-p',
        String(writer.pid),
      ]);
      const tracerDone = new Promise((resolve) => tracer.once('close', resolve));
      expect(await waitUntil(() => /^TracerPid:\s+[1-9]/m.test(readFileSync(`/proc/${writer.pid}/status`, 'utf8')), 10_000)).toBe(true);
      writer.stdin.write('go\n');
      // The first look at the report's name has returned (strace ends its line then): swap it now.
      const returned = `"${report}", [^\n]*\\) = 0`;
      expect(await waitUntil(() => existsSync(trace) && new RegExp(returned).test(readFileSync(trace, 'utf8')), 10_000)).toBe(true);
      renameSync(planted, report);
      await writerDone;
      await tracerDone;
      expect(readFileSync(victim, 'utf8')).toBe('secret\n');
      expect(out).toContain('is a symbolic link owned by uid 65534');
    },
  );
});
