// readInterpreter over real files in a temp root: the #! line of a claim-port
// looked up as systemd would start it (the unit's PATH, else systemd's
// default), every path inside the root, links resolved there.
import { describe, expect, it } from 'vitest';
import { interpreterProblem, readInterpreter, SYSTEMD_DEFAULT_PATH, unitSearchPath, type EnvironmentSetting } from '../../src/systemd/index.js';
import { tempDir, writeTree, type TreeEntry } from '../../../../test-support/tree.js';

const CLAIM = '/usr/local/bin/claim-port';
const script = (line: string): TreeEntry => ({ text: `${line}\nimport('x');\n`, mode: 0o755 });
const EXE = { text: 'an executable stand-in\n', mode: 0o755 } as const;
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
    expect(lookup({ 'usr/local/bin/claim-port': { fifo: true } })).toEqual({ kind: 'unknown', reason: 'it is not a file' });
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
