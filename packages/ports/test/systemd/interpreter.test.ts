// readInterpreter over real files in a temp root: the #! line of a claim-port
// looked up as systemd would start it (the unit's PATH, else systemd's
// default), every path inside the root, links resolved there.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  interpreterProblem,
  loadUnit,
  mergeUnit,
  readInterpreter,
  SYSTEMD_DEFAULT_PATH,
  unitSearchPath,
  type EnvironmentSetting,
} from '../../src/systemd/index.js';
import { tempDir, writeTree, type TreeEntry } from '../../../../test-support/tree.js';

const CLAIM = '/usr/local/bin/claim-port';
const script = (line: string): TreeEntry => ({ text: `${line}\nimport('x');\n`, mode: 0o755 });
const EXE = { text: '\u007fELF an executable stand-in\n', mode: 0o755 } as const;
const DEFAULT = { value: SYSTEMD_DEFAULT_PATH };

function lookup(files: Record<string, TreeEntry>, searchPath: { value: string; file?: string; line?: number } = DEFAULT) {
  const root = writeTree(tempDir(), files);
  return readInterpreter(root, CLAIM, searchPath);
}

describe('readInterpreter', () => {
  it("#!/usr/bin/env node with node only outside systemd's PATH (nvm, /opt): missing, naming node and the PATH searched", () => {
    const found = lookup({ 'usr/local/bin/claim-port': script('#!/usr/bin/env node'), 'usr/bin/env': EXE, 'opt/node/bin/node': EXE });
    expect(found).toEqual({
      kind: 'missing',
      interpreter: '/usr/bin/env',
      command: 'node',
      searchPath: DEFAULT,
      reason: expect.stringContaining('runs node from the PATH systemd gives the service, and no executable node is in it'),
    });
    expect(interpreterProblem(found)).toBe(
      `its first line #!/usr/bin/env node runs node from the PATH systemd gives the service, and no executable node is in it (systemd's default PATH=${SYSTEMD_DEFAULT_PATH} (the unit sets none)), so systemd cannot start it (/usr/bin/env: 'node': No such file or directory); install node where systemd finds it, such as /usr/bin/node or a link /usr/local/bin/node -> $(command -v node), or set Environment=PATH= in the unit`,
    );
  });

  it('a link /usr/local/bin/node -> /opt/node/bin/node inside the root: found there (an absolute link resolved inside the root)', () => {
    const files = { 'usr/local/bin/claim-port': script('#!/usr/bin/env node'), 'usr/bin/env': EXE, 'opt/node/bin/node': EXE };
    expect(lookup({ ...files, 'usr/local/bin/node': { symlink: '/opt/node/bin/node' } })).toEqual({
      kind: 'found',
      interpreter: '/usr/bin/env',
      command: 'node',
      path: '/usr/local/bin/node',
    });
    // A link whose target is not inside the root is dangling there, however the host sees it.
    expect(lookup({ ...files, 'usr/local/bin/node': { symlink: '/opt/nowhere/node' } }).kind).toBe('missing');
    // Not executable is not found.
    expect(lookup({ ...files, 'usr/bin/node': { text: 'x', mode: 0o644 } }).kind).toBe('missing');
  });

  it("the unit's PATH is searched instead of the default, and named with its file:line", () => {
    const files = { 'usr/local/bin/claim-port': script('#!/usr/bin/env node'), 'usr/bin/env': EXE, 'opt/node/bin/node': EXE };
    expect(lookup(files, { value: '/opt/node/bin:/usr/bin', file: '/etc/systemd/system/x.service', line: 4 })).toMatchObject({
      kind: 'found',
      path: '/opt/node/bin/node',
    });
    const missing = lookup(files, { value: '/srv/bin', file: '/etc/systemd/system/x.service', line: 4 });
    expect(interpreterProblem(missing)).toContain('(PATH=/srv/bin (set in /etc/systemd/system/x.service:4))');
    // And the default does not: /usr/bin/node is there but not on the unit's PATH.
    expect(lookup({ ...files, 'usr/bin/node': EXE }, { value: '/srv/bin', file: 'f', line: 1 }).kind).toBe('missing');
    expect(lookup({ ...files, 'usr/bin/node': EXE }).kind).toBe('found');
  });

  it('an absolute interpreter: missing when it is not in the root, found when it is', () => {
    const missing = lookup({ 'usr/local/bin/claim-port': script('#!/opt/node/bin/node') });
    expect(missing).toEqual({
      kind: 'missing',
      interpreter: '/opt/node/bin/node',
      reason: 'its interpreter /opt/node/bin/node (#!/opt/node/bin/node) does not exist',
    });
    expect(interpreterProblem(missing)).toMatch(/does not exist; systemd cannot start it/);
    expect(lookup({ 'usr/local/bin/claim-port': script('#!/opt/node/bin/node'), 'opt/node/bin/node': EXE }).kind).toBe('found');
    // /usr/bin/env itself missing from the root.
    expect(lookup({ 'usr/local/bin/claim-port': script('#!/usr/bin/env node'), 'usr/bin/node': EXE }).kind).toBe('missing');
  });

  it('env -S: the command after the split (and a PATH= it sets); a binary or no #! line is fine', () => {
    const base = { 'usr/bin/env': EXE, 'opt/node/bin/node': EXE };
    expect(lookup({ ...base, 'usr/local/bin/claim-port': script('#!/usr/bin/env -S node --enable-source-maps') })).toMatchObject({
      kind: 'missing',
      command: 'node',
    });
    expect(lookup({ ...base, 'usr/local/bin/claim-port': script('#!/usr/bin/env -S PATH=/opt/node/bin node --enable-source-maps') })).toMatchObject({
      kind: 'found',
      path: '/opt/node/bin/node',
    });
    // Without -S the kernel passes "node --x" to env as one word: no such command.
    const oneWord = lookup({ ...base, 'usr/bin/node': EXE, 'usr/local/bin/claim-port': script('#!/usr/bin/env node --x') });
    expect(oneWord).toMatchObject({ kind: 'missing', command: 'node --x' });
    expect(interpreterProblem(oneWord)).toContain('write #!/usr/bin/env -S node --x');
    expect(lookup({ 'usr/local/bin/claim-port': { text: '\u007fELF\u0002\u0001', mode: 0o755 } })).toEqual({ kind: 'none' });
    expect(interpreterProblem({ kind: 'none' })).toBeUndefined();
    expect(lookup({ ...base, 'usr/local/bin/claim-port': script('#!/usr/bin/env -i node') }).kind).toBe('unknown');
    expect(lookup({ 'usr/local/bin/claim-port': { text: `#!/usr/bin/env ${'n'.repeat(300)}`, mode: 0o755 } })).toMatchObject({ kind: 'unknown' });
    expect(lookup({ 'usr/local/bin/claim-port': { fifo: true } })).toEqual({ kind: 'unknown', reason: 'it is not a regular file' });
  });
});

describe('unitSearchPath', () => {
  it("the unit's PATH (Environment=, EnvironmentFile=) with where it is set, else systemd's default", () => {
    const setting: EnvironmentSetting = { value: '/opt/node/bin:/usr/bin', file: '/etc/systemd/system/x.service', line: 3 };
    expect(unitSearchPath({ environment: new Map([['PATH', setting]]) })).toEqual({ value: setting.value, file: setting.file, line: 3 });
    expect(unitSearchPath({ environment: new Map() })).toEqual({ value: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin' });
    expect(unitSearchPath(undefined)).toEqual({ value: SYSTEMD_DEFAULT_PATH });
  });
});

describe('readInterpreter: what the kernel and systemd do besides finding the first interpreter', () => {
  const UNIT = 'etc/systemd/system/x.service';
  const unitFacts = (root: string) => mergeUnit(loadUnit(root, 'x.service'));

  it('ExecSearchPath= (merged over drop-ins: each line appends, an empty one clears) is the PATH env searches when the unit sets no PATH', () => {
    const files = {
      'usr/local/bin/claim-port': script('#!/usr/bin/env node'),
      'usr/bin/env': EXE,
      'opt/node/bin/node': EXE,
      [UNIT]: '[Service]\nExecSearchPath=/srv/old\nExecStart=/usr/bin/true\n',
      [`${UNIT}.d/a.conf`]: '[Service]\nExecSearchPath=\nExecSearchPath=/srv/bin:relative\n',
      [`${UNIT}.d/b.conf`]: '[Service]\nExecSearchPath=/opt/node/bin\n',
    };
    const root = writeTree(tempDir(), files);
    const unit = unitFacts(root);
    expect(unit.execSearchPath).toEqual({
      value: '/srv/bin:/opt/node/bin',
      file: `/${UNIT}.d/b.conf`,
      line: 2,
      dirs: ['/srv/bin', '/opt/node/bin'],
      lines: [
        { file: `/${UNIT}.d/a.conf`, line: 3 },
        { file: `/${UNIT}.d/b.conf`, line: 2 },
      ],
      // systemd refuses the relative entry, and with it the rest of its line.
      ignored: [{ file: `/${UNIT}.d/a.conf`, line: 3, entry: 'relative', reason: 'path is not absolute' }],
    });
    const searchPath = unitSearchPath(unit);
    expect(searchPath).toEqual({ value: '/srv/bin:/opt/node/bin', file: `/${UNIT}.d/b.conf`, line: 2, setBy: 'ExecSearchPath' });
    expect(readInterpreter(root, CLAIM, searchPath)).toEqual({ kind: 'found', interpreter: '/usr/bin/env', command: 'node', path: '/opt/node/bin/node' });
    // Missing from it: named as ExecSearchPath=, with its file:line.
    const other = writeTree(tempDir(), { ...files, 'opt/node/bin/node': { text: 'x', mode: 0o644 } });
    expect(interpreterProblem(readInterpreter(other, CLAIM, unitSearchPath(unitFacts(other))))).toContain(
      `(ExecSearchPath=/srv/bin:/opt/node/bin (set in /${UNIT}.d/b.conf:2, and the unit sets no PATH))`,
    );
    // Environment=PATH= wins over it; PassEnvironment=PATH passes systemd's own (the default).
    const own = writeTree(tempDir(), { ...files, [`${UNIT}.d/c.conf`]: '[Service]\nEnvironment=PATH=/srv/own\n' });
    expect(unitSearchPath(unitFacts(own))).toEqual({ value: '/srv/own', file: `/${UNIT}.d/c.conf`, line: 2 });
    const passed = writeTree(tempDir(), { ...files, [`${UNIT}.d/c.conf`]: '[Service]\nPassEnvironment=LANG PATH\n' });
    expect(unitSearchPath(unitFacts(passed))).toEqual({ value: SYSTEMD_DEFAULT_PATH, file: `/${UNIT}.d/c.conf`, line: 2, setBy: 'PassEnvironment' });
    // An entry past the known directories with a specifier the model cannot resolve (%H): env's command may be there, unknown.
    const host = writeTree(tempDir(), {
      ...files,
      'opt/node/bin/node': { text: 'x', mode: 0o644 },
      [`${UNIT}.d/c.conf`]: '[Service]\nExecSearchPath=/srv/%H/bin\n',
    });
    expect(readInterpreter(host, CLAIM, unitSearchPath(unitFacts(host)))).toEqual({
      kind: 'unknown',
      reason: expect.stringContaining(
        `not in ExecSearchPath=/srv/bin:/opt/node/bin, and /${UNIT}.d/c.conf:2 goes on with "/srv/%H/bin", whose %H this check cannot resolve`,
      ),
    });
    // An empty ExecSearchPath= last: cleared, the default again.
    const cleared = writeTree(tempDir(), { ...files, [`${UNIT}.d/c.conf`]: '[Service]\nExecSearchPath=\n' });
    expect(unitFacts(cleared).execSearchPath).toBeUndefined();
    expect(unitSearchPath(unitFacts(cleared))).toEqual(DEFAULT);
  });

  it('a file with no #! line that is not ELF (empty, or text): invalid, the kernel cannot run it (ENOEXEC)', () => {
    for (const text of ['', 'echo hi\n']) {
      const found = lookup({ 'usr/local/bin/claim-port': { text, mode: 0o755 } });
      expect(found).toEqual({ kind: 'invalid', reason: expect.stringContaining('not a program the kernel can run (no #! line and not ELF)') });
      expect(interpreterProblem(found)).toMatch(/systemd cannot start it; reinstall claim-port/);
    }
  });

  it('an interpreter that is a script itself is followed as the kernel does: its own missing interpreter is missing, naming the chain', () => {
    const found = lookup({ 'usr/local/bin/claim-port': script('#!/usr/bin/node'), 'usr/bin/node': script('#!/opt/missing/bash') });
    expect(found).toEqual({
      kind: 'missing',
      interpreter: '/opt/missing/bash',
      reason:
        "/usr/bin/node's interpreter /opt/missing/bash (#!/opt/missing/bash) does not exist (the kernel follows each #! line: /usr/local/bin/claim-port -> /usr/bin/node -> /opt/missing/bash)",
    });
    expect(lookup({ 'usr/local/bin/claim-port': script('#!/usr/bin/node'), 'usr/bin/node': script('#!/opt/bash'), 'opt/bash': EXE })).toEqual({
      kind: 'found',
      interpreter: '/usr/bin/node',
      path: '/usr/bin/node',
    });
    // An interpreter that is neither ELF nor a script cannot run.
    expect(lookup({ 'usr/local/bin/claim-port': script('#!/usr/bin/node'), 'usr/bin/node': { text: 'hi\n', mode: 0o755 } }).kind).toBe('invalid');
    // The node env finds is followed too.
    const viaEnv = lookup({ 'usr/local/bin/claim-port': script('#!/usr/bin/env node'), 'usr/bin/env': EXE, 'usr/bin/node': script('#!/opt/gone/node') });
    expect(viaEnv).toMatchObject({ kind: 'missing', interpreter: '/opt/gone/node' });
    // Four script interpreters deep the kernel stops (ELOOP); three are followed.
    const chain = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`opt/i${i}`, i === n - 1 ? EXE : script(`#!/opt/i${i + 1}`)]));
    expect(lookup({ 'usr/local/bin/claim-port': script('#!/opt/i0'), ...chain(4) }).kind).toBe('found');
    expect(lookup({ 'usr/local/bin/claim-port': script('#!/opt/i0'), ...chain(5) })).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('levels of #! interpreters Linux follows'),
    });
  });

  it('a #! line ending in \\r (Windows line endings): says so and to convert them, not to link node\\r', () => {
    for (const line of ['#!/usr/bin/env node\r', '#!/usr/bin/node\r']) {
      const found = lookup({ 'usr/local/bin/claim-port': script(line), 'usr/bin/env': EXE, 'usr/bin/node': EXE });
      expect(found.kind).toBe('invalid');
      const problem = interpreterProblem(found)!;
      expect(problem).toContain('Windows (CRLF) line endings');
      expect(problem).toContain('convert /usr/local/bin/claim-port to Unix line endings');
      expect(problem).not.toMatch(/link|install node/);
    }
  });

  it('#!/usr/bin/env with no command (bare, or only PATH=): an endless exec loop until the start timeout', () => {
    for (const line of ['#!/usr/bin/env', '#!/usr/bin/env PATH=/x', '#!/usr/bin/env -S PATH=/x']) {
      const found = lookup({ 'usr/local/bin/claim-port': script(line), 'usr/bin/env': EXE });
      expect(found.kind).toBe('invalid');
      expect(interpreterProblem(found)).toMatch(/endless exec loop, and systemd waits on it until its start timeout/);
    }
  });

  it('a FIFO at the path: not a regular file', () => {
    const root = writeTree(tempDir(), { 'usr/local/bin/claim-port': { fifo: true } });
    chmodSync(join(root, 'usr/local/bin/claim-port'), 0o755);
    expect(readInterpreter(root, CLAIM, DEFAULT)).toEqual({ kind: 'unknown', reason: 'it is not a regular file' });
  });
});
