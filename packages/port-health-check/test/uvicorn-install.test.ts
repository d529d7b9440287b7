// Which uvicorn a unit's command imports, and its version, read from real trees (a Debian /usr, a venv), and from
// this machine's own Debian python3-uvicorn 0.17.6 when it is installed; that one's `--help` and exit status are
// held against the grammar the check reads its command lines with.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownOptions, uvicornListen } from '../src/checks/asgi-command.js';
import { readInstalledUvicorn } from '../src/uvicorn-install.js';
import { tempDir, writeTree } from './helpers.js';
import { DEBIAN_UVICORN, PKG_INFO, venvUvicorn } from './uvicorn-trees.js';

describe('readInstalledUvicorn', () => {
  it("Debian's python3 -m uvicorn: the egg-info beside /usr/lib/python3/dist-packages/uvicorn", () => {
    const root = writeTree(tempDir(), DEBIAN_UVICORN);
    expect(readInstalledUvicorn(root, { interpreter: '/usr/bin/python3', cwd: '/' })).toEqual({
      version: '0.17.6',
      metadata: '/usr/lib/python3/dist-packages/uvicorn-0.17.6.egg-info/PKG-INFO',
    });
  });

  it('a pip install in /usr/local comes first; a uvicorn where -m starts, or an earlier .pth file: not known', () => {
    const local = 'usr/local/lib/python3.11/dist-packages';
    const root = writeTree(tempDir(), {
      ...DEBIAN_UVICORN,
      [`${local}/uvicorn/__init__.py`]: '',
      [`${local}/uvicorn-0.54.0.dist-info/METADATA`]: PKG_INFO('0.54.0'),
    });
    expect(readInstalledUvicorn(root, { interpreter: '/usr/bin/python3', cwd: '/' })).toEqual({
      version: '0.54.0',
      metadata: `/${local}/uvicorn-0.54.0.dist-info/METADATA`,
    });
    const shadowed = writeTree(tempDir(), { ...DEBIAN_UVICORN, 'srv/api/uvicorn/__init__.py': '', 'srv/web/uvicorn.py': '' });
    expect(readInstalledUvicorn(shadowed, { interpreter: '/usr/bin/python3', cwd: '/srv/api' })).toBeUndefined();
    // A uvicorn.py module where -m starts, or in a directory read before the package's: it is what Python imports.
    expect(readInstalledUvicorn(shadowed, { interpreter: '/usr/bin/python3', cwd: '/srv/web' })).toBeUndefined();
    const module = writeTree(tempDir(), { ...DEBIAN_UVICORN, [`${local}/uvicorn.py`]: '' });
    expect(readInstalledUvicorn(module, { interpreter: '/usr/bin/python3', cwd: '/' })).toBeUndefined();
    // A .pth file naming a directory with a uvicorn in it, which Python adds before /usr/lib/python3/dist-packages;
    // one naming none, or running code (`import`), changes nothing here.
    const pth = writeTree(tempDir(), { ...DEBIAN_UVICORN, [`${local}/extra.pth`]: 'import os\n/opt/lib\n', 'opt/lib/uvicorn/__init__.py': '' });
    expect(readInstalledUvicorn(pth, { interpreter: '/usr/bin/python3', cwd: '/' })).toBeUndefined();
    const other = writeTree(tempDir(), { ...DEBIAN_UVICORN, [`${local}/extra.pth`]: 'import os\n/opt/lib\n' });
    expect(readInstalledUvicorn(other, { interpreter: '/usr/bin/python3', cwd: '/' })?.version).toBe('0.17.6');
  });

  it("pip --user: the User='s ~/.local site-packages comes before the system's, outside a venv only", () => {
    const user = 'var/lib/api/.local/lib/python3.11/site-packages';
    const root = writeTree(tempDir(), {
      ...DEBIAN_UVICORN,
      ...venvUvicorn('0.54.1'),
      [`${user}/uvicorn/__init__.py`]: '',
      [`${user}/uvicorn-0.54.0.dist-info/METADATA`]: PKG_INFO('0.54.0'),
    });
    expect(readInstalledUvicorn(root, { interpreter: '/usr/bin/python3', cwd: '/', userSiteOf: 'api' })).toEqual({
      version: '0.54.0',
      metadata: `/${user}/uvicorn-0.54.0.dist-info/METADATA`,
    });
    // root's ~/.local has none: Debian's; PYTHONNOUSERSITE (no userSiteOf): Debian's; a venv never reads ~/.local.
    expect(readInstalledUvicorn(root, { interpreter: '/usr/bin/python3', cwd: '/', userSiteOf: 'root' })?.version).toBe('0.17.6');
    expect(readInstalledUvicorn(root, { interpreter: '/usr/bin/python3', cwd: '/' })?.version).toBe('0.17.6');
    expect(readInstalledUvicorn(root, { script: '/opt/api/venv/bin/uvicorn', userSiteOf: 'api' })?.version).toBe('0.54.1');
    // A user passwd does not name (LDAP, sssd): whose home it is cannot be told.
    expect(readInstalledUvicorn(root, { interpreter: '/usr/bin/python3', cwd: '/', userSiteOf: 'ldapuser' })).toBeUndefined();
    // The home is getpwnam's: a line glibc refuses (an empty uid field) is no entry of api; one without a shell is.
    writeTree(root, { 'etc/passwd': 'api:x::998::/nowhere:/bin/sh\napi:x:998:998::/var/lib/api\n' });
    expect(readInstalledUvicorn(root, { interpreter: '/usr/bin/python3', cwd: '/', userSiteOf: 'api' })?.version).toBe('0.54.0');
  });

  it("a venv's uvicorn script: its #! interpreter's pyvenv.cfg, and that venv's site-packages alone", () => {
    const root = writeTree(tempDir(), { ...DEBIAN_UVICORN, ...venvUvicorn('0.54.1') });
    expect(readInstalledUvicorn(root, { script: '/opt/api/venv/bin/uvicorn' })).toEqual({
      version: '0.54.1',
      metadata: '/opt/api/venv/lib/python3.11/site-packages/uvicorn-0.54.1.dist-info/METADATA',
    });
    expect(readInstalledUvicorn(root, { interpreter: '/opt/api/venv/bin/python3', cwd: '/' })?.version).toBe('0.54.1');
    // Two metadata directories beside one package (a stale one left behind): which is right is not known.
    writeTree(root, { 'opt/api/venv/lib/python3.11/site-packages/uvicorn-0.30.0.dist-info/METADATA': PKG_INFO('0.30.0') });
    expect(readInstalledUvicorn(root, { script: '/opt/api/venv/bin/uvicorn' })).toBeUndefined();
    // A #! through env looks python up in PATH: not known.
    const env = writeTree(tempDir(), { ...venvUvicorn('0.54.1'), 'opt/api/venv/bin/uvicorn': { text: '#!/usr/bin/env python3\n', mode: 0o755 } });
    expect(readInstalledUvicorn(env, { script: '/opt/api/venv/bin/uvicorn' })).toBeUndefined();
  });

  const installed = '/usr/lib/python3/dist-packages/uvicorn-0.17.6.egg-info';
  it.skipIf(
    !existsSync(installed) ||
      existsSync('/usr/local/lib/python3.11/dist-packages/uvicorn') ||
      spawnSync('/usr/bin/python3', ['-c', 'import uvicorn; print(uvicorn.__file__)'], { encoding: 'utf8' }).stdout.trim() !==
        '/usr/lib/python3/dist-packages/uvicorn/__init__.py',
  )("this machine's Debian python3-uvicorn 0.17.6: its version, and its --help and exit status held to the grammar read for it", () => {
    const found = readInstalledUvicorn('/', { interpreter: '/usr/bin/python3', cwd: '/' });
    expect(found).toEqual({ version: '0.17.6', metadata: join(installed, 'PKG-INFO') });
    const grammar = knownOptions(found)!;
    const help = spawnSync('/usr/bin/python3', ['-m', 'uvicorn', '--help'], { encoding: 'utf8' }).stdout;
    const flags = new Set<string>(['--debug']); // hidden in 0.17.6's --help, and taken
    const valued = new Set<string>();
    for (const [, first, second, value] of help.matchAll(/^ {2}(--[a-z0-9-]+)(?: \/ (--[a-z0-9-]+))?( [A-Z[]\S*)?/gm)) {
      for (const option of [first!, second].filter((each) => each !== undefined)) (value === undefined ? flags : valued).add(option);
    }
    expect([...grammar.flags].sort()).toEqual([...flags].sort());
    expect([...grammar.valued].sort()).toEqual([...valued].sort());
    // An option 0.54 has and 0.17.6 lacks: uvicorn exits 2 before it binds anything, as the check says.
    const run = spawnSync('/usr/bin/python3', ['-m', 'uvicorn', '--timeout-graceful-shutdown', '5', '--port', '1', 'app:app'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('Error: No such option: --timeout-graceful-shutdown');
    const words = ['--timeout-graceful-shutdown', '5', '--port', '1', 'app:app'].map((value, word) => ({ value, word }));
    expect(uvicornListen(words, new Map(), new Map(), found)?.refused?.error).toBe('No such option: --timeout-graceful-shutdown');
    // UVICORN_APP: 0.17.6 reads no APP from it.
    const app = spawnSync('/usr/bin/python3', ['-m', 'uvicorn', '--port', '1'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, UVICORN_APP: 'app:app' },
    });
    expect(app.status).toBe(2);
    expect(app.stderr).toContain("Error: Missing argument 'APP'.");
  });
});
