// The temporary files of the atomic writers (src/files/temp-files.ts), on real
// files and real processes: what a killed writer left is removed by the next
// write of the same target, and nothing else is (a live writer's file, another
// target's, another pattern, another user's, a link, a directory); a SIGTERM
// that comes while a temporary file is written waits for the rename, then still
// ends the process (strace holds the write's last step so the kill lands there).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../../test-support/index.js';
import { straceHolding } from '../../../../test-support/strace.js';
import { writeCacheFile } from '../../src/cache.js';
import { writeGeneratedFiles } from '../../src/files/tree.js';
import { killedWritersTemps, writeOutputFile } from '../../src/files/write.js';
import { repoRoot } from '../helpers.js';
import { isRoot, privateDir } from './special.js';

const NOBODY = 65534;
const strace = spawnSync('strace', ['-V']).status === 0;
const unshare = isRoot && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;

/** The PID of a process that has exited (and been reaped): no process has it now. */
function deadPid(): number {
  const pid = spawnSync('true').pid;
  expect(existsSync(`/proc/${pid}`)).toBe(false);
  return pid;
}

const sleepers: ChildProcess[] = [];
afterEach(() => {
  for (const sleeper of sleepers.splice(0)) sleeper.kill('SIGKILL');
});

/** A live process of this test's, as a writer still at work would be. */
async function livePid(): Promise<number> {
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  sleepers.push(sleeper);
  await new Promise((resolve) => sleeper.once('spawn', resolve));
  return sleeper.pid!;
}

/** Make `dir/name` (text, or a link or a directory), last written `minutesAgo` minutes ago. */
function make(dir: string, name: string, minutesAgo = 0, kind: 'file' | 'link' | 'dir' = 'file'): string {
  const path = join(dir, name);
  if (kind === 'file') writeFileSync(path, 'half a report\n');
  else if (kind === 'dir') mkdirSync(path);
  else symlinkSync(join(dir, '..', 'elsewhere'), path);
  if (kind !== 'link' && minutesAgo > 0) {
    const then = new Date(Date.now() - minutesAgo * 60_000);
    utimesSync(path, then, then);
  }
  return path;
}

describe("writeOutputFile removes a killed writer's temporary files", () => {
  it('those of its own target whose writer is gone (no such PID, or a PID reused since), and nothing else in the directory', async () => {
    const dir = join(privateDir(), 'textfiles');
    mkdirSync(dir);
    const dead = deadPid();
    const live = await livePid();
    const removed = [
      `.m.prom.${dead}.mx5egr7qelwawz.tmp`, // killed (SIGKILL, or SIGTERM before this version)
      `.m.prom.${live}.mx5aaaaaaaaaaa.tmp`, // written 10 minutes before the process that has its PID now started
    ];
    make(dir, removed[0]!, 2);
    make(dir, removed[1]!, 10);
    const writing = `.m.prom.${live}.mx5egr7qelwawz.tmp`; // a live writer's, written since it started (two timers overlapping)
    make(dir, writing);
    const kept = [
      `.n.prom.${dead}.mx5egr7qelwawz.tmp`, // another target's
      `.m.prom.${dead}.tmp`, // the cache's pattern, not this writer's
      `.m.prom.${dead}.mx5egr7qelwawz.tmp.bak`,
      `m.prom.${dead}.mx5egr7qelwawz.tmp`,
      `.m.prom.0.mx5egr7qelwawz.tmp`,
      `.m.prom.${dead}.MX5.tmp`,
      'other.prom',
    ];
    for (const name of kept) make(dir, name, 10);
    kept.push(writing);
    // A link of the pattern is never removed nor followed; nor is a directory.
    writeFileSync(join(dir, '..', 'elsewhere'), 'not ours\n');
    const link = `.m.prom.${dead}.link.tmp`;
    make(dir, link, 10, 'link');
    const directory = `.m.prom.${dead}.dir.tmp`;
    make(dir, directory, 10, 'dir');
    kept.push(link, directory);
    if (isRoot) {
      // Another user's file of the pattern (the report's own owner is root here).
      const foreign = `.m.prom.${dead}.nobody.tmp`;
      chownSync(make(dir, foreign, 10), NOBODY, NOBODY);
      kept.push(foreign);
    }

    expect(writeOutputFile(join(dir, 'm.prom'), 'dsa110_port_up 1\n')).toBe('atomic');
    expect(readdirSync(dir).sort()).toEqual([...kept, 'm.prom'].sort());
    expect(readFileSync(join(dir, 'm.prom'), 'utf8')).toBe('dsa110_port_up 1\n');
    expect(readFileSync(join(dir, '..', 'elsewhere'), 'utf8')).toBe('not ours\n');
  });

  it('not one last written within the minute (LIVE_WRITE_MS), whatever its PID: it may be a live writer of another PID namespace', () => {
    const dir = privateDir();
    const dead = deadPid();
    const recent = `.m.prom.${dead}.mx5egr7qelwawz.tmp`;
    make(dir, recent);
    expect(writeOutputFile(join(dir, 'm.prom'), 'dsa110_port_up 1\n')).toBe('atomic');
    expect(readdirSync(dir).sort()).toEqual([recent, 'm.prom'].sort());
  });

  it('one stamped over a minute in the future (written before the clock was set back) whose writer is gone, and not one within the minute', () => {
    const dir = privateDir();
    const dead = deadPid();
    const stamped = (name: string, msFromNow: number) => {
      const path = make(dir, name);
      const when = new Date(Date.now() + msFromNow);
      utimesSync(path, when, when);
    };
    stamped(`.m.prom.${dead}.mx5aaaaaaaaaaa.tmp`, 2 * 365 * 86_400_000);
    const soon = `.m.prom.${dead}.mx5bbbbbbbbbbb.tmp`;
    stamped(soon, 30_000);
    expect(writeOutputFile(join(dir, 'm.prom'), 'dsa110_port_up 1\n')).toBe('atomic');
    expect(readdirSync(dir).sort()).toEqual([soon, 'm.prom'].sort());
  });

  it.skipIf(!unshare)(
    `from inside another PID namespace (a container sharing the directory), never the temporary file of a live writer outside it${unshare ? '' : ' [skipped: needs root and unshare]'}`,
    async () => {
      const dir = privateDir();
      // A writer of the host at work: its PID is no process inside the new namespace.
      const writing = `.m.prom.${await livePid()}.mx5egr7qelwawz.tmp`;
      make(dir, writing);
      const script = `${importSource('files/write.ts', 'writeOutputFile')}
console.log(writeOutputFile(${JSON.stringify(join(dir, 'm.prom'))}, 'dsa110_port_up 1\\n'));`;
      const run = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: repoRoot,
        encoding: 'utf8',
      });
      expect(run.stdout).toBe('atomic\n');
      expect(readdirSync(dir).sort()).toEqual([writing, 'm.prom'].sort());
    },
  );

  it('those of a target whose name is not UTF-8 (its bytes kept as U+DC80+byte), by those bytes', () => {
    const dir = privateDir();
    const dead = deadPid();
    const bytes = (name: string) => Buffer.from(name.replace('\udcff', '\u00ff'), 'latin1');
    // .m\xff.prom.PID.STAMP.tmp, and the same name in UTF-8 (ÿ: another file).
    const left = Buffer.concat([Buffer.from(`${dir}/`), bytes(`.m\udcff.prom.${dead}.mx5egr7qelwawz.tmp`)]);
    writeFileSync(left, 'half\n');
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    utimesSync(left, twoMinutesAgo, twoMinutesAgo);
    make(dir, `.m\u00ff.prom.${dead}.mx5egr7qelwawz.tmp`, 2);
    writeOutputFile(join(dir, 'm\udcff.prom'), 'new\n');
    expect(
      readdirSync(dir, { encoding: 'buffer' })
        .map((name) => name.toString('latin1'))
        .sort(),
    ).toEqual([Buffer.from(`.m\u00ff.prom.${dead}.mx5egr7qelwawz.tmp`).toString('latin1'), 'm\xff.prom'].sort());
  });

  it.skipIf(!isRoot)(
    `as root, those of a killed root writer that gave its temporary file the report's owner, and not that owner's beside root's report${isRoot ? '' : ' [skipped: needs root]'}`,
    () => {
      const dir = privateDir();
      const dead = deadPid();
      const report = join(dir, 'node.prom');
      writeFileSync(report, 'old\n', { mode: 0o600 });
      chownSync(report, NOBODY, NOBODY);
      const left = `.node.prom.${dead}.mx5egr7qelwawz.tmp`;
      chownSync(make(dir, left, 2), NOBODY, NOBODY);
      const beside = `.root.prom.${dead}.mx5egr7qelwawz.tmp`;
      chownSync(make(dir, beside, 2), NOBODY, NOBODY);
      writeOutputFile(report, 'new\n');
      writeOutputFile(join(dir, 'root.prom'), 'new\n');
      expect(readdirSync(dir).sort()).toEqual([beside, 'node.prom', 'root.prom'].sort());
    },
  );
});

describe("writeCacheFile removes a killed writer's temporary files", () => {
  it('those of its own entry whose writer is gone, one of its own PID from an earlier process too (its exclusive create failed on it), and nothing else', async () => {
    const dir = join(privateDir(), 'cache');
    mkdirSync(dir, { mode: 0o700 });
    const dead = deadPid();
    const live = await livePid();
    make(dir, `.entry.v8.${dead}.tmp`, 2);
    // Left by an earlier process that had this PID: the exclusive create of this process's temporary file failed on it.
    make(dir, `.entry.v8.${process.pid}.tmp`, 10);
    const kept = [`.entry.v8.${live}.tmp`, `.other.v8.${dead}.tmp`, `.entry.v8.${dead}.mx5egr7qelwawz.tmp`, 'registry-0123abcd.json'];
    for (const name of kept) make(dir, name);
    expect(writeCacheFile(dir, 'entry.v8', Buffer.from('data'))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([...kept, 'entry.v8'].sort());
  });

  it("with the caller's entry pattern, those of every entry it names (one there already is never written again), and nothing else", async () => {
    const dir = join(privateDir(), 'cache');
    mkdirSync(dir, { mode: 0o700 });
    const dead = deadPid();
    const live = await livePid();
    // An entry another run wrote while this one was killed writing it, and one of an older version, since pruned.
    const removed = [`.tool-1.2.3-cli-v20.20.2-x64.v8.${dead}.tmp`, `.tool-1.2.2-cli-v20.20.2-x64.v8.${dead}.tmp`];
    for (const name of removed) make(dir, name, 5);
    const kept = [
      'tool-1.2.3-cli-v20.20.2-x64.v8',
      `.tool-1.2.3-cli.0a1b2c3d-v20.20.2-x64.v8.${live}.tmp`, // a live writer's
      `.tool-1.2.3-cli.0a1b2c3d-v20.20.2-x64.v8.${dead}.tmp.bak`,
      `.other-1.2.3-cli-v20.20.2-x64.v8.${dead}.tmp`, // not an entry the pattern names
      `.notes.txt.${dead}.tmp`,
    ];
    for (const name of kept) make(dir, name, name.includes(`.${live}.`) ? 0 : 5);
    const isEntry = (name: string) => /^tool-[0-9.]+-cli(?:\.[0-9a-f]{8})?-v[0-9.]+-x64\.v8$/.test(name);
    expect(writeCacheFile(dir, 'tool-1.2.3-cli.0a1b2c3d-v20.20.2-x64.v8', Buffer.from('data'), isEntry)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([...kept, 'tool-1.2.3-cli.0a1b2c3d-v20.20.2-x64.v8'].sort());
  });
});

describe("writeGeneratedFiles removes a killed writer's temporary files", () => {
  it('beside every file of the tree, once per directory, also when the tree is up to date and nothing is written; killedWritersTemps finds the same without removing', async () => {
    const dir = join(privateDir(), 'deploy');
    const files = [
      { path: 'prometheus/prometheus.yml', contents: 'scrape_configs: []\n' },
      { path: 'prometheus/rules/a.yml', contents: 'groups: []\n' },
      { path: 'prometheus/rules/b.yml', contents: 'groups: []\n' },
    ];
    writeGeneratedFiles(dir, files, { maxBytes: 1024 });
    const dead = deadPid();
    const live = await livePid();
    const stale = [
      `prometheus/.prometheus.yml.${dead}.mx5egr7qelwawz.tmp`,
      `prometheus/rules/.a.yml.${dead}.mx5egr7qelwawz.tmp`,
      `prometheus/rules/.b.yml.${dead}.mx5aaaaaaaaaaa.tmp`,
    ];
    for (const name of stale) make(dir, name, 5);
    const kept = [
      `prometheus/.prometheus.yml.${live}.mx5egr7qelwawz.tmp`, // a live writer's
      `prometheus/rules/.a.yml.${dead}.mx5bbbbbbbbbbb.tmp`, // written within the minute
      `prometheus/rules/.c.yml.${dead}.mx5egr7qelwawz.tmp`, // no file of this tree's
    ];
    make(dir, kept[0]!);
    make(dir, kept[1]!);
    make(dir, kept[2]!, 5);
    const paths = files.map((file) => join(dir, file.path));
    // --check's look: found, left where they are.
    expect(killedWritersTemps(paths, { remove: false }).sort()).toEqual(stale.map((name) => join(dir, name)).sort());
    expect(killedWritersTemps(paths, { remove: false })).toHaveLength(3);
    // Up to date: nothing written, and the killed writers' files gone all the same.
    expect(writeGeneratedFiles(dir, files, { maxBytes: 1024 }).map((file) => file.wrote)).toEqual([false, false, false]);
    const left = [
      ...readdirSync(join(dir, 'prometheus')).map((name) => `prometheus/${name}`),
      ...readdirSync(join(dir, 'prometheus/rules')).map((name) => `prometheus/rules/${name}`),
    ];
    expect(left.filter((name) => name.endsWith('.tmp')).sort()).toEqual([...kept].sort());
    expect(killedWritersTemps(paths, { remove: false })).toEqual([]);
  });
});

/**
 * Run `script` (a module, with this package's source importable) in node under
 * strace, which holds each `syscalls` call `holdMs`; SIGTERM it once a `.tmp`
 * file appears in `dir`. Its exit status, signal and output.
 */
async function killedWhileWriting(script: string, dir: string, syscalls: string, holdMs: number) {
  // -D: strace is a grandchild, so the child is node itself, the writer, and the one signalled.
  const child = spawn('strace', straceHolding(syscalls, holdMs, script, { detached: true }), { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close': the output is all read (strace, a grandchild, holds the pipes too).
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  let temp: string | undefined;
  const seen = await waitUntil(() => (temp = readdirSync(dir).find((name) => name.endsWith('.tmp'))) !== undefined, 20_000);
  child.kill('SIGTERM');
  const { code, signal } = await closed;
  return { seen, temp, code, signal, output: output.replace(/^strace: .*\n/gm, '') };
}

const importSource = (file: string, names: string) =>
  `const { ${names} } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'packages/ports/src', file)).href)});`;

describe.skipIf(!strace)(`a SIGTERM while a temporary file is written${strace ? '' : ' [skipped: strace is not installed]'}`, () => {
  it('writeOutputFile: waits for the rename (the report whole, no temporary file left), then ends the process by SIGTERM', async () => {
    const dir = privateDir();
    const report = join(dir, 'm.prom');
    const script = `${importSource('files/write.ts', 'writeOutputFile')}
writeOutputFile(${JSON.stringify(report)}, 'dsa110_port_up 1\\n'.repeat(1000));
console.log('written');
setTimeout(() => console.log('still running'), 5000);`;
    const run = await killedWhileWriting(script, dir, 'fsync', 1500);
    expect(run.seen).toBe(true);
    expect(run.temp).toMatch(/^\.m\.prom\.\d+\.[0-9a-z]+\.tmp$/);
    expect(readdirSync(dir)).toEqual(['m.prom']);
    expect(readFileSync(report, 'utf8')).toBe('dsa110_port_up 1\n'.repeat(1000));
    // Not swallowed: the process ends by the signal (not 5 s later, not with a code), as it would have without the write.
    expect(run).toMatchObject({ code: null, signal: 'SIGTERM', output: 'written\n' });
  });

  it('writeCacheFile: the same (the code cache at exit, the registry cache on a miss)', async () => {
    const dir = join(privateDir(), 'cache');
    mkdirSync(dir, { mode: 0o700 });
    const script = `${importSource('cache.ts', 'writeCacheFile')}
console.log(writeCacheFile(${JSON.stringify(dir)}, 'entry.v8', Buffer.alloc(1 << 20, 7)));
setTimeout(() => console.log('still running'), 5000);`;
    const run = await killedWhileWriting(script, dir, 'rename,renameat,renameat2', 1500);
    expect(run.seen).toBe(true);
    expect(run.temp).toMatch(/^\.entry\.v8\.\d+\.tmp$/);
    expect(readdirSync(dir)).toEqual(['entry.v8']);
    expect(readFileSync(join(dir, 'entry.v8')).equals(Buffer.alloc(1 << 20, 7))).toBe(true);
    expect(run).toMatchObject({ code: null, signal: 'SIGTERM', output: 'true\n' });
  });
});
