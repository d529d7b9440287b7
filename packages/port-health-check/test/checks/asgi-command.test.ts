// The API's server command line (its unit's ExecStart=, uvicorn or gunicorn) held to the registry's api service
// (port 8000, access: private, CONTIMG_API_PORT), on real trees under --root. Each expectation is where uvicorn 0.54
// (and Debian's 0.17, `python3 -m uvicorn`) or gunicorn 26 listened with that command line, run by hand on a loopback
// port above 20000 (ss -Htlnp): the line's --port wins over UVICORN_PORT, whatever CONTIMG_API_PORT says; without
// --host, uvicorn listens on 127.0.0.1; gunicorn's -b wins over GUNICORN_CMD_ARGS; with no bind, 0.0.0.0:$PORT.
import { join } from 'node:path';
import { loadRegistry } from '@dsa110/ports';
import { reloadStep } from '@dsa110/ports/systemd';
import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/checks/config.js';
import { gather } from '../../src/gather.js';
import { tempDir, withoutRoot, writeTree, type TreeEntry } from '../helpers.js';
import { DEBIAN_UVICORN, PKG_INFO, venvUvicorn } from '../uvicorn-trees.js';

const repoRoot = new URL('../../../../', import.meta.url).pathname;
const registry = await loadRegistry({ path: join(repoRoot, 'ports.yaml') });
const api = registry.service('api');
const UNIT = 'etc/systemd/system/dsa110-api.service';
const AT = `/${UNIT}`;
const unit = (lines: string) => ({ [UNIT]: `[Service]\n${lines}` });

/** The config check's results for api, in a root with `files`. */
async function apiResults(files: Record<string, TreeEntry>): Promise<string[]> {
  const root = writeTree(tempDir(), files);
  const facts = await gather({ registry, root, services: [api] });
  return checkConfig(facts, api)
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason.replaceAll(root, 'ROOT')}`);
}

// The files are read under a temp root (said ROOT here), so a fix ends as reloadStep says there, not with the host's daemon-reload.
const RESTART = '; systemd reads it when the system under ROOT boots';

/** The config check's results for an api the registry keeps to loopback (access: localhost), in a root with `files`. */
async function localApiResults(files: Record<string, TreeEntry>): Promise<string[]> {
  const { parseRegistry } = await import('@dsa110/ports');
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(join(repoRoot, 'ports.yaml'), 'utf8').replace(/(\n {4}port: 8000\n(?: {4}.*\n)*? {4}access:) private/, '$1 localhost');
  const local = parseRegistry(text);
  const root = writeTree(tempDir(), files);
  const facts = await gather({ registry: local, root, services: [local.service('api')] });
  return checkConfig(facts, local.service('api'))
    .map((result) => withoutRoot(result, root))
    .map((result) => `${result.severity}: ${result.reason.replaceAll(root, 'ROOT')}`);
}
const ENV_FILE = { 'etc/default/dsa110-api': 'CONTIMG_API_PORT=28010\n' };

describe("uvicorn's listen options, from its unit's ExecStart=", () => {
  it(`a literal --port other than the port CONTIMG_API_PORT gives it: an error at the ExecStart= line, saying to write --port \${CONTIMG_API_PORT}`, async () => {
    // The hostile tester's first case: uvicorn listens on 28005 after a restart, whatever CONTIMG_API_PORT says.
    expect(await apiResults(unit('Environment=CONTIMG_API_PORT=8000\nExecStart=/usr/bin/uvicorn app:app --host 0.0.0.0 --port 28005\n'))).toEqual([
      `error: api (8000): ${AT}:3: its ExecStart= gives uvicorn --port 28005, but FastAPI uses port 8000; write --port \${CONTIMG_API_PORT} in its ExecStart=${RESTART}`,
    ]);
    // The second: CONTIMG_API_PORT=28010 from an EnvironmentFile=, and a hard-coded --port 8000 that no restart changes.
    expect(
      await apiResults({ ...unit('EnvironmentFile=/etc/default/dsa110-api\nExecStart=/usr/bin/uvicorn app:app --host 0.0.0.0 --port=8000\n'), ...ENV_FILE }),
    ).toEqual([
      `error: api (28010): ${AT}:3: its ExecStart= gives uvicorn --port 8000, but FastAPI (CONTIMG_API_PORT=28010 in /etc/default/dsa110-api:1) uses port 28010; write --port \${CONTIMG_API_PORT} in its ExecStart=${RESTART}`,
    ]);
  });

  it(`--port \${CONTIMG_API_PORT} (or $CONTIMG_API_PORT), also as python3 -m uvicorn: the port the unit gives it; another program (the pipeline's own module, a wrapper script): nothing`, async () => {
    const ok = (line: number) => [`ok: api (28010): ${AT}:${line}: its ExecStart= runs uvicorn on port 28010`];
    for (const command of [
      `/usr/bin/uvicorn app:app --host 0.0.0.0 --port \${CONTIMG_API_PORT}`,
      '/usr/bin/python3 -u -m uvicorn app:app --host :: --port $CONTIMG_API_PORT',
      `/opt/venv/bin/python -m uvicorn --port 9999 app:app --port=\${CONTIMG_API_PORT} --host=0.0.0.0`,
    ])
      expect(await apiResults({ ...unit(`EnvironmentFile=/etc/default/dsa110-api\nExecStart=${command}\n`), ...ENV_FILE })).toEqual(ok(3));
    // Another program: the pipeline's own module reads CONTIMG_API_PORT itself; what a wrapper runs is not known.
    expect(await apiResults(unit('ExecStart=/usr/bin/python3 -m dsa110_contimg.api --port 28005\n'))).toEqual([]);
    expect(await apiResults(unit('ExecStart=/bin/sh -c "exec uvicorn app:app --port 28005"\n'))).toEqual([]);
  });

  it("python's switches read as CPython reads them (-um is -u -m; -mu runs the module u), as the owner check reads them; env [NAME=VALUE]... before it", async () => {
    const ok = [`ok: api (28010): ${AT}:3: its ExecStart= runs uvicorn on port 28010`];
    const results = (command: string) => apiResults({ ...unit(`EnvironmentFile=/etc/default/dsa110-api\nExecStart=${command}\n`), ...ENV_FILE });
    for (const python of [
      '/usr/bin/python3 -um',
      '/usr/bin/python3 -Im',
      '/usr/bin/python3 -Em',
      '/usr/bin/python3 -bm',
      '/usr/bin/python3 -uWignore -m',
      '/usr/bin/python3 -uX dev -m',
      '/usr/bin/python3 --check-hash-based-pycs never -m',
      '/usr/bin/env python3 -m',
      '/usr/bin/env PYTHONUNBUFFERED=1 python3.11 -um',
    ])
      expect(await results(`${python} uvicorn app:app --port \${CONTIMG_API_PORT}`)).toEqual(ok);
    expect(await results(`/usr/bin/env uvicorn app:app --port \${CONTIMG_API_PORT}`)).toEqual(ok);
    // Python runs another module (`u`), or refuses the line (python3.11: "Unknown option: -z", "-J is reserved for Jython").
    for (const python of ['/usr/bin/python3 -mu', '/usr/bin/python3 -z -m', '/usr/bin/python3 -J -m', '/usr/bin/python3 --check-hash-based-pycs=never -m'])
      expect(await results(`${python} uvicorn app:app --port 28005`)).toEqual([]);
    // env's NAME=VALUE sets the server's environment, at the ExecStart= line.
    expect(await results('/usr/bin/env UVICORN_PORT=28005 python3 -um uvicorn app:app')).toEqual([
      `error: api (28010): ${AT}:3: its ExecStart= gives uvicorn no --port, so it listens on UVICORN_PORT=28005 at ${AT}:3, but FastAPI (CONTIMG_API_PORT=28010 in /etc/default/dsa110-api:1) uses port 28010; write --port \${CONTIMG_API_PORT} in its ExecStart= (over UVICORN_PORT)${RESTART}`,
    ]);
  });

  it("no --port: UVICORN_PORT, else uvicorn's default 8000; no --host: UVICORN_HOST, else 127.0.0.1, within a private service's reach", async () => {
    expect(await apiResults(unit('Environment=UVICORN_PORT=28006 UVICORN_HOST=::\nExecStart=/usr/bin/uvicorn app:app\n'))).toEqual([
      `error: api (8000): ${AT}:3: its ExecStart= gives uvicorn no --port, so it listens on UVICORN_PORT=28006 at ${AT}:2, but FastAPI uses port 8000; write --port 8000 in its ExecStart= (over UVICORN_PORT)${RESTART}, or give FastAPI port: 28006 in the registry`,
    ]);
    // Loopback only is within a private service's reach (the API behind nginx on 127.0.0.1), as the live access check has it.
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app\n'))).toEqual([`ok: api (8000): ${AT}:2: its ExecStart= runs uvicorn on port 8000`]);
    expect(await apiResults({ ...unit('EnvironmentFile=/etc/default/dsa110-api\nExecStart=/usr/bin/uvicorn app:app --host 0.0.0.0\n'), ...ENV_FILE })).toEqual([
      `error: api (28010): ${AT}:3: its ExecStart= gives uvicorn no --port (nor UVICORN_PORT), so it listens on its default port 8000, but FastAPI (CONTIMG_API_PORT=28010 in /etc/default/dsa110-api:1) uses port 28010; write --port \${CONTIMG_API_PORT} in its ExecStart=${RESTART}`,
    ]);
  });

  it('--port $CONTIMG_API_PORT set nowhere: systemd drops the word, and --port takes the next one; said once, naming the variable', async () => {
    // uvicorn 0.54: `--port --host 0.0.0.0` exits 2 ("'--host' is not a valid integer"); `--port` last, "requires an argument".
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --port $CONTIMG_API_PORT --host 0.0.0.0\n'))).toEqual([
      `error: api (8000): ${AT}:2: its ExecStart= gives uvicorn --port $CONTIMG_API_PORT (set nowhere), a word systemd drops, so --port takes the next word, --host: "--host" is not a port uvicorn accepts (a whole number from 1 to 65535), so it exits at start; write --port 8000 in its ExecStart=${RESTART}`,
    ]);
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --host 0.0.0.0 --port $CONTIMG_API_PORT\n'))).toEqual([
      `error: api (8000): ${AT}:2: its ExecStart= gives uvicorn --port $CONTIMG_API_PORT (set nowhere), a word systemd drops, so --port takes no value: "" is not a port uvicorn accepts (a whole number from 1 to 65535), so it exits at start; write --port 8000 in its ExecStart=${RESTART}`,
    ]);
  });

  it(`CONTIMG_API_PORT set empty: --port \${CONTIMG_API_PORT} gives no port, so the fix is to set it to the port, naming its file:line`, async () => {
    // uvicorn 0.54 and 0.17: `--port ''` exits 2, "Invalid value for '--port': '' is not a valid integer"; gunicorn 26:
    // `-b 127.0.0.1:` exits, "'' is not a valid port number". The registry reads an empty variable as not set: port 8000.
    const empty = 'Environment=CONTIMG_API_PORT=\n';
    const set = `set CONTIMG_API_PORT=8000 at ${AT}:2, where it is empty`;
    expect(await apiResults(unit(`${empty}ExecStart=/usr/bin/uvicorn app:app --host 0.0.0.0 --port 28005\n`))).toEqual([
      `error: api (8000): ${AT}:3: its ExecStart= gives uvicorn --port 28005, but FastAPI uses port 8000; ${set} (so --port \${CONTIMG_API_PORT} would give uvicorn no port), and write --port \${CONTIMG_API_PORT} in its ExecStart=${RESTART}`,
    ]);
    // In an EnvironmentFile=: that file's line.
    expect(
      await apiResults({
        ...unit(`EnvironmentFile=/etc/default/dsa110-api\nExecStart=/usr/bin/uvicorn app:app --host 0.0.0.0 --port \${CONTIMG_API_PORT}\n`),
        'etc/default/dsa110-api': '# the API\nCONTIMG_API_PORT=\n',
      }),
    ).toEqual([
      `error: api (8000): ${AT}:3: its ExecStart= gives uvicorn --port \${CONTIMG_API_PORT} (empty at /etc/default/dsa110-api:2): "" is not a port uvicorn accepts (a whole number from 1 to 65535), so it exits at start; set CONTIMG_API_PORT=8000 at /etc/default/dsa110-api:2, where it is empty${RESTART}`,
    ]);
    expect(await apiResults(unit(`${empty}ExecStart=/opt/venv/bin/gunicorn -b 0.0.0.0:28005 app:app\n`))).toEqual([
      `error: api (8000): ${AT}:3: its ExecStart= binds gunicorn to 0.0.0.0:28005 (-b), but FastAPI uses port 8000; ${set} (so -b 0.0.0.0:\${CONTIMG_API_PORT} would give gunicorn no port), and write -b 0.0.0.0:\${CONTIMG_API_PORT} in its ExecStart=${RESTART}`,
    ]);
    expect(await apiResults(unit(`${empty}ExecStart=/opt/venv/bin/gunicorn -b 0.0.0.0:\${CONTIMG_API_PORT} app:app\n`))).toEqual([
      expect.stringMatching(new RegExp(`so gunicorn exits at start; ${set.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${RESTART}$`)),
    ]);
    // Its port agreeing (uvicorn on 8000, the registry's): nothing to set.
    expect(await apiResults(unit(`${empty}ExecStart=/usr/bin/uvicorn app:app --port 8000\n`))).toEqual([
      `ok: api (8000): ${AT}:3: its ExecStart= runs uvicorn on port 8000`,
    ]);
  });

  it(`CONTIMG_API_PORT set to a value the registry refuses: the fix is that setting, or the literal port, never --port \${CONTIMG_API_PORT} again`, async () => {
    // The registry refuses another service's port (3000), `abc`, `08010` (a leading zero): api stays on 8000, while
    // --port ${CONTIMG_API_PORT} gives uvicorn the refused value (Python's int() reads 08010 as 8010).
    for (const [value, said] of [
      ['3000', 'but FastAPI uses port 8000'],
      ['abc', '"abc" is not a port uvicorn accepts (a whole number from 1 to 65535), so it exits at start'],
      ['08010', 'but FastAPI uses port 8000'],
    ] as const)
      expect(await apiResults(unit(`Environment=CONTIMG_API_PORT=${value}\nExecStart=/usr/bin/uvicorn app:app --port \${CONTIMG_API_PORT}\n`))).toEqual([
        `error: api (8000): ${AT}:3: its ExecStart= gives uvicorn --port ${value} (from \${CONTIMG_API_PORT}, set at ${AT}:2)${said.startsWith('but') ? ', ' : ': '}${said}; set CONTIMG_API_PORT=8000 at ${AT}:2, where the registry refuses ${value} (the systemd check says why), or write --port 8000 in its ExecStart=${RESTART}`,
      ]);
    // A literal port on the line: the port to write is the registry's, not the refused variable.
    expect(await apiResults(unit('Environment=CONTIMG_API_PORT=3000\nExecStart=/usr/bin/uvicorn app:app --port 28005\n'))).toEqual([
      `error: api (8000): ${AT}:3: its ExecStart= gives uvicorn --port 28005, but FastAPI uses port 8000; write --port 8000 in its ExecStart=${RESTART}`,
    ]);
    expect(await apiResults(unit(`Environment=CONTIMG_API_PORT=3000\nExecStart=/opt/venv/bin/gunicorn -b 0.0.0.0:\${CONTIMG_API_PORT} app:app\n`))).toEqual([
      `error: api (8000): ${AT}:3: its ExecStart= binds gunicorn to 0.0.0.0:3000 (-b, from \${CONTIMG_API_PORT}, set at ${AT}:2), but FastAPI uses port 8000; set CONTIMG_API_PORT=8000 at ${AT}:2, where the registry refuses 3000 (the systemd check says why), or write -b 0.0.0.0:8000 in its ExecStart=${RESTART}`,
    ]);
  });

  it("a --host in brackets is an error, as uvicorn exits at start on it; gunicorn's [::]:PORT is its own form", async () => {
    // uvicorn 0.54: `--host [::]` (or UVICORN_HOST=[::1]) "[Errno -2] Name or service not known", exit 3; `--host ::` listens on [::].
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --port 8000 --host [::]\n'))).toEqual([
      `error: api (8000): ${AT}:2: its ExecStart= gives uvicorn --host [::], an address in brackets, which uvicorn does not take (it exits at start: "Name or service not known"); write --host :: in its ExecStart=${RESTART}`,
    ]);
    expect(await apiResults(unit('Environment=UVICORN_HOST=[::1]\nExecStart=/usr/bin/uvicorn app:app --port 8000\n'))).toEqual([
      `error: api (8000): ${AT}:3: its ExecStart= gives uvicorn no --host, so it reads UVICORN_HOST=[::1] at ${AT}:2, an address in brackets, which uvicorn does not take (it exits at start: "Name or service not known"); write --host 0.0.0.0 in its ExecStart= (over UVICORN_HOST)${RESTART}`,
    ]);
    expect(await apiResults(unit('ExecStart=/opt/venv/bin/gunicorn -b [::]:8000 app:app\n'))).toEqual([
      `ok: api (8000): ${AT}:2: its ExecStart= runs gunicorn on port 8000`,
    ]);
  });

  it("a port as Python's int() reads it: digits of any script, spaces of any script around, one _ between digits", async () => {
    // Run by hand (uvicorn 0.54, click 8.5, gunicorn 26, loopback): uvicorn listened on 28411 given --port ２８４１１,
    // on 28413 given --port ２_８𝟒١٣, on 28412 given UVICORN_PORT=" ٢٨٤١٢ " (U+3000, U+00A0 around), gunicorn on 28420
    // given -b 127.0.0.1:２８４２０; each refused 28__414 (uvicorn: "is not a valid integer", gunicorn: "is not a valid
    // port number"), uvicorn also U+FEFF before and ² after. Each int() reading is held to python3 in python-int.test.ts.
    expect(await apiResults(unit('ExecStart=/opt/venv/bin/uvicorn app:app --port １８０００\n'))).toEqual([
      `error: api (8000): ${AT}:2: its ExecStart= gives uvicorn --port １８０００, but FastAPI uses port 8000; write --port 8000 in its ExecStart=${RESTART}, or give FastAPI port: 18000 in the registry`,
    ]);
    expect(await apiResults(unit('ExecStart=/opt/venv/bin/uvicorn app:app --port ８_０𝟎٠\n'))).toEqual([
      `ok: api (8000): ${AT}:2: its ExecStart= runs uvicorn on port 8000`,
    ]);
    expect(await apiResults(unit('Environment="UVICORN_PORT=\u3000٨٠٠٠\u00a0"\nExecStart=/opt/venv/bin/uvicorn app:app\n'))).toEqual([
      `ok: api (8000): ${AT}:3: its ExecStart= runs uvicorn on port 8000`,
    ]);
    expect(await apiResults(unit('ExecStart=/opt/venv/bin/gunicorn -b 127.0.0.1:８０００ app:app\n'))).toEqual([
      `ok: api (8000): ${AT}:2: its ExecStart= runs gunicorn on port 8000`,
    ]);
    // Not int(): two underscores, a byte-order mark (JavaScript's \s has it), a superscript (a number, not a digit).
    for (const port of ['8__000', '\ufeff8000', '8000²'])
      expect(await apiResults(unit(`ExecStart=/opt/venv/bin/uvicorn app:app --port ${port}\n`))).toEqual([
        expect.stringMatching(/ is not a port uvicorn accepts \(a whole number from 1 to 65535\), so it exits at start; write --port 8000 in its ExecStart=/),
      ]);
  });

  it('a port uvicorn refuses is said so; a socket it is handed (--fd) says nothing; a Unix socket (--uds) no TCP port', async () => {
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --host 0.0.0.0 --port 80a\n'))).toEqual([
      `error: api (8000): ${AT}:2: its ExecStart= gives uvicorn --port 80a: "80a" is not a port uvicorn accepts (a whole number from 1 to 65535), so it exits at start; write --port 8000 in its ExecStart=${RESTART}`,
    ]);
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --fd 3 --port 28005\n'))).toEqual([]);
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --uds /run/api.sock\n'))).toEqual([
      `warning: api (8000): ${AT}:2: its ExecStart= gives uvicorn --uds /run/api.sock, so FastAPI listens on that Unix socket and on no TCP port, not on port 8000; remove it, or remove FastAPI's port from the registry`,
    ]);
  });
});

describe('a uvicorn command line click refuses, as uvicorn 0.54 says it', () => {
  // Each run by hand (uvicorn 0.54, click 8.5, a trivial app module, loopback ports above 20000): it prints the
  // error quoted and exits 2, or listens; `--version` prints and exits 0 whatever follows, unless a word before is refused.
  const refuses = (error: string, fix: string, line = 2) =>
    `error: api (8000): ${AT}:${line}: its ExecStart= gives uvicorn a command line it refuses, so it exits at start ("Error: ${error}"); ${fix}${RESTART}`;

  it('a word beyond APP (a # comment, which systemd passes on, or after --), or no APP: an error at the line, not a pass', async () => {
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --port 8000 # was 28000\n'))).toEqual([
      refuses(
        'Got unexpected extra arguments (# was 28000)',
        'remove # was 28000 from its ExecStart= (systemd passes a # inside a command line on as words: a comment goes on a line of its own)',
      ),
    ]);
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --port 8000 extra\n'))).toEqual([
      refuses('Got unexpected extra argument (extra)', 'remove extra from its ExecStart= (uvicorn takes one argument, APP, beside its options)'),
    ]);
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --port 8000 -- --port 28001\n'))).toEqual([
      refuses(
        'Got unexpected extra arguments (--port 28001)',
        'remove --port 28001 from its ExecStart= (after --, uvicorn takes every word as an argument, and it takes one, APP)',
      ),
    ]);
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn --port 8000\n'))).toEqual([
      refuses("Missing argument 'APP'.", 'name its app in its ExecStart= (MODULE:ATTRIBUTE, as in uvicorn app:app)'),
    ]);
    // APP from UVICORN_APP (click reads it when no word gives APP), or after --: it listens.
    const ok = (line: number) => [`ok: api (8000): ${AT}:${line}: its ExecStart= runs uvicorn on port 8000`];
    expect(await apiResults(unit('Environment=UVICORN_APP=app:app\nExecStart=/usr/bin/uvicorn --port 8000\n'))).toEqual(ok(3));
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn --port=8000 --reload-delay 1 -- app:app\n'))).toEqual(ok(2));
    // A --port value click cannot convert is said first, as uvicorn says it: "Invalid value for '--port'".
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --port --host 0.0.0.0\n'))).toEqual([
      expect.stringMatching(/: its ExecStart= gives uvicorn --port --host: "--host" is not a port uvicorn accepts/),
    ]);
  });

  it('an option uvicorn does not have (-p: it has no short ones; --no-reload), a flag given a value, an option given none', async () => {
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app -p 8000\n'))).toEqual([
      refuses("No such option '-p'.", 'uvicorn has no short options: write --port in place of -p in its ExecStart='),
    ]);
    // The long option the short one stands for, not both; none the line gives already.
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app -h 0.0.0.0 --port 8000\n'))).toEqual([
      refuses("No such option '-h'.", 'uvicorn has no short options: write --host in place of -h in its ExecStart='),
    ]);
    // Its value in the word: kept, a host as a port (a fix changes only what is wrong).
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app -h127.0.0.1 --port 8000\n'))).toEqual([
      refuses("No such option '-h'.", 'uvicorn has no short options: write --host 127.0.0.1 in place of -h127.0.0.1 in its ExecStart='),
    ]);
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --host 0.0.0.0 -x8000\n'))).toEqual([
      refuses("No such option '-x'.", 'uvicorn has no short options: write --port 8000 in place of -x8000 in its ExecStart='),
    ]);
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app -p 8000 --port=8000\n'))).toEqual([
      refuses("No such option '-p'.", 'uvicorn has no short options, and the line gives --port already: remove -p and its value from its ExecStart='),
    ]);
    // A long option uvicorn 0.54 lacks (--no-reload: no version has it) may be a newer uvicorn's, whose value is not
    // known: unknown, never an error on an operator's newer uvicorn.
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --no-reload --port 8000\n'))).toEqual([
      `unknown: api (8000): ${AT}:2: its ExecStart= gives uvicorn --no-reload, an option uvicorn 0.54 does not have, so whether it starts, and on which port, cannot be told here: a uvicorn without it exits at start ("Error: No such option '--no-reload'."); if \`uvicorn --help\` does not list it, remove it from its ExecStart=${RESTART}`,
    ]);
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --reload=1 --port 8000\n'))).toEqual([
      refuses("Option '--reload' does not take a value.", 'write --reload alone in its ExecStart=, with no =VALUE'),
    ]);
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn app:app --host\n'))).toEqual([
      refuses("Option '--host' requires an argument.", 'give --host its value in its ExecStart='),
    ]);
    // --version and --help start no server: nothing to say.
    expect(await apiResults(unit('ExecStart=/usr/bin/uvicorn --version extra\n'))).toEqual([]);
  });
});

describe("the app server's host against the registry's access", () => {
  it('beyond loopback for a localhost service is an error; loopback only is within any access', async () => {
    expect(await localApiResults(unit('ExecStart=/usr/bin/uvicorn app:app --host 0.0.0.0\n'))).toEqual([
      expect.stringMatching(
        /^error: api \(8000\): .*:2: --host 0\.0\.0\.0 in its ExecStart= accepts connections on every address, but the registry says FastAPI is access: localhost \(loopback only\); /,
      ),
    ]);
    expect(await localApiResults(unit('ExecStart=/opt/venv/bin/gunicorn -b 0.0.0.0:8000 app:app\n'))).toEqual([
      expect.stringMatching(
        /^error: api \(8000\): .*:2: -b 0\.0\.0\.0:8000 in its ExecStart= accepts connections on every address, but the registry says FastAPI is access: localhost/,
      ),
    ]);
    expect(await localApiResults(unit('ExecStart=/usr/bin/uvicorn app:app\n'))).toEqual([`ok: api (8000): ${AT}:2: its ExecStart= runs uvicorn on port 8000`]);
  });
});

describe('a listen address that names a host, which the server looks up when it starts', () => {
  // The hostile tester's crash: `-b myhost:18000` for a localhost service ended the whole run ("Cannot read properties of undefined").
  it('is unknown, naming it, wherever the bind comes from; the binds given as addresses are judged as ever', async () => {
    const NAMED = (listens: string, host: string, level = '127.0.0.1 for access: localhost') =>
      `unknown: api (8000): ${AT}:2: ${listens} names a host, which gunicorn looks up when it starts, so whether it accepts connections from other hosts cannot be told here; write an address in place of ${host} (${level}) to make it plain`;
    const gunicorn = (binds: string) => unit(`ExecStart=/opt/venv/bin/gunicorn ${binds} app:app\n`);
    expect(await localApiResults(gunicorn('-b myhost:8000'))).toEqual([NAMED('-b myhost:8000 in its ExecStart=', 'myhost')]);
    expect(await localApiResults(gunicorn('-b ip6-localhost:8000'))).toEqual([NAMED('-b ip6-localhost:8000 in its ExecStart=', 'ip6-localhost')]);
    expect(await localApiResults(gunicorn('--bind=x.internal:8000'))).toEqual([NAMED('--bind x.internal:8000 in its ExecStart=', 'x.internal')]);
    expect(await localApiResults(gunicorn('-b 127.0.0.1:8000 -b myhost:8000'))).toEqual([NAMED('-b myhost:8000 in its ExecStart=', 'myhost')]);
    expect(await localApiResults(gunicorn('-b 10.0.0.5:8000 -b myhost:8000'))).toEqual([
      NAMED('-b myhost:8000 in its ExecStart=', 'myhost'),
      expect.stringMatching(
        /^error: api \(8000\): .*:2: -b 10\.0\.0\.5:8000 in its ExecStart= accepts connections from other hosts, but the registry says FastAPI is access: localhost/,
      ),
    ]);
    // Loopback beside a name, for a private service: not known to be loopback only, so no error.
    expect(await apiResults(gunicorn('-b 127.0.0.1:8000 -b myhost:8000'))).toEqual([
      NAMED('-b myhost:8000 in its ExecStart=', 'myhost', '0.0.0.0 for access: private'),
    ]);
    expect(await localApiResults(unit('Environment=GUNICORN_CMD_ARGS=--bind=myhost:8000\nExecStart=/opt/venv/bin/gunicorn app:app\n'))).toEqual([
      NAMED(`GUNICORN_CMD_ARGS=--bind=myhost:8000 at ${AT}:2`, 'myhost').replace(':2:', ':3:'),
    ]);
    expect(
      await localApiResults({
        ...unit('WorkingDirectory=/srv/app\nExecStart=/opt/venv/bin/gunicorn app:app\n'),
        'srv/app/gunicorn.conf.py': 'bind = ["127.0.0.1:8000", "api.example:8000"]\n',
      }),
    ).toEqual([NAMED('bind = api.example:8000 at /srv/app/gunicorn.conf.py:1', 'api.example').replace(':2:', ':3:')]);
    expect(await localApiResults(unit('ExecStart=/usr/bin/uvicorn app:app --host myhost\n'))).toEqual([
      NAMED('--host myhost in its ExecStart=', 'myhost').replace('gunicorn looks', 'uvicorn looks'),
    ]);
  });
});

describe("gunicorn's binds, from its unit's ExecStart=", () => {
  it('-b/--bind on the port, on every address or loopback only: ok; another port: an error', async () => {
    expect(
      await apiResults(unit('ExecStart=/opt/venv/bin/gunicorn -k uvicorn.workers.UvicornWorker -b 0.0.0.0:8000 --bind unix:/run/api.sock app:app\n')),
    ).toEqual([`ok: api (8000): ${AT}:2: its ExecStart= runs gunicorn on port 8000`]);
    expect(await apiResults(unit('ExecStart=/opt/venv/bin/gunicorn -k uvicorn.workers.UvicornWorker --bind=[::]:28005 app:app\n'))).toEqual([
      `error: api (8000): ${AT}:2: its ExecStart= binds gunicorn to [::]:28005 (--bind), but FastAPI uses port 8000; write --bind [::]:8000 in its ExecStart=${RESTART}, or give FastAPI port: 28005 in the registry`,
    ]);
    expect(await apiResults(unit('ExecStart=/opt/venv/bin/gunicorn -b127.0.0.1:8000 app:app\n'))).toEqual([
      `ok: api (8000): ${AT}:2: its ExecStart= runs gunicorn on port 8000`,
    ]);
    // argparse (Python 3.9 to 3.13) reads -b=HOST:PORT as -b HOST:PORT, the `=` dropped.
    expect(await apiResults(unit('ExecStart=/opt/venv/bin/gunicorn -b=127.0.0.1:8000 app:app\n'))).toEqual([
      `ok: api (8000): ${AT}:2: its ExecStart= runs gunicorn on port 8000`,
    ]);
    expect(await apiResults(unit('ExecStart=/opt/venv/bin/gunicorn -b=127.0.0.1:28005 app:app\n'))).toEqual([
      `error: api (8000): ${AT}:2: its ExecStart= binds gunicorn to 127.0.0.1:28005 (-b), but FastAPI uses port 8000; write -b 127.0.0.1:8000 in its ExecStart=${RESTART}, or give FastAPI port: 28005 in the registry`,
    ]);
  });

  it('its binds on the port are judged together; two that refuse each other (every address beside another, one address twice) are an error, unless --reuse-port', async () => {
    // gunicorn 26 on loopback ports: -b 127.0.0.1:P -b 127.0.0.2:P listens on both; -b 127.0.0.1:P -b 0.0.0.0:P,
    // 0.0.0.0:P twice, 0.0.0.0:P beside [::]:P, [::]:P beside 127.0.0.1:P: "[Errno 98] Address already in use", then it
    // exits; 0.0.0.0:P beside [::1]:P, and any of them with --reuse-port: it listens.
    const gunicorn = (binds: string) => unit(`ExecStart=/opt/venv/bin/gunicorn ${binds} app:app\n`);
    const ok = [`ok: api (8000): ${AT}:2: its ExecStart= runs gunicorn on port 8000`];
    expect(await apiResults(gunicorn('--bind 127.0.0.1:8000 --bind 10.0.0.5:8000'))).toEqual(ok);
    expect(await apiResults(gunicorn('-b 0.0.0.0:8000 -b [::1]:8000'))).toEqual(ok);
    expect(await apiResults(gunicorn('--reuse-port -b 127.0.0.1:8000 -b 0.0.0.0:8000'))).toEqual(ok);
    expect(await apiResults(gunicorn('-b 127.0.0.1:8000 -b 0.0.0.0:8000'))).toEqual([
      `error: api (8000): ${AT}:2: its ExecStart= gives gunicorn -b 127.0.0.1:8000 and -b 0.0.0.0:8000, but -b 0.0.0.0:8000 takes port 8000 on every address, so gunicorn cannot open them all (Address already in use) and exits at start; write -b 0.0.0.0:8000 in its ExecStart= in place of -b 127.0.0.1:8000 and -b 0.0.0.0:8000${RESTART}`,
    ]);
    expect(await apiResults(gunicorn('-b [::]:8000 -b localhost:8000'))).toEqual([
      `error: api (8000): ${AT}:2: its ExecStart= gives gunicorn -b [::]:8000 and -b localhost:8000, but -b [::]:8000 takes port 8000 on every address, so gunicorn cannot open them all (Address already in use) and exits at start; write -b [::]:8000 in its ExecStart= in place of -b [::]:8000 and -b localhost:8000${RESTART}`,
    ]);
    expect(await apiResults(gunicorn('-b 0.0.0.0:8000 -b 0.0.0.0:8000'))).toEqual([
      `error: api (8000): ${AT}:2: its ExecStart= gives gunicorn -b 0.0.0.0:8000 twice, so gunicorn cannot open both (Address already in use) and exits at start; remove one of them from its ExecStart=${RESTART}`,
    ]);
    // Loopback only on every bind, for a private service: within its reach.
    expect(await apiResults(gunicorn('-b 127.0.0.1:8000 -b [::1]:8000'))).toEqual(ok);
  });

  it('GUNICORN_CMD_ARGS when the line gives no bind; with none anywhere, its default: 0.0.0.0:$PORT, else 127.0.0.1:8000', async () => {
    expect(await apiResults(unit('Environment="GUNICORN_CMD_ARGS=--bind=0.0.0.0:28005"\nExecStart=/opt/venv/bin/gunicorn app:app\n'))).toEqual([
      `error: api (8000): ${AT}:3: its ExecStart= gives gunicorn no --bind, so it takes GUNICORN_CMD_ARGS=--bind=0.0.0.0:28005 at ${AT}:2, but FastAPI uses port 8000; write --bind 0.0.0.0:8000 in its ExecStart= (over GUNICORN_CMD_ARGS)${RESTART}, or give FastAPI port: 28005 in the registry`,
    ]);
    // gunicorn 26, no gunicorn.conf.py where it starts: PORT=P listens on 0.0.0.0:P; without PORT on 127.0.0.1:8000.
    expect(await apiResults(unit('Environment=PORT=8000\nExecStart=/opt/venv/bin/gunicorn app:app\n'))).toEqual([
      `ok: api (8000): ${AT}:3: its ExecStart= runs gunicorn on port 8000`,
    ]);
    expect(await apiResults(unit('Environment=PORT=28005\nExecStart=/opt/venv/bin/gunicorn app:app\n'))).toEqual([
      `error: api (8000): ${AT}:3: its ExecStart= gives gunicorn no bind, so it takes gunicorn's default bind 0.0.0.0:28005 (PORT=28005 at ${AT}:2), but FastAPI uses port 8000; write --bind 0.0.0.0:8000 in its ExecStart=${RESTART}, or give FastAPI port: 28005 in the registry`,
    ]);
  });
});

describe("gunicorn's config file: its -c, else gunicorn.conf.py in the directory it starts in", () => {
  const gunicorn = (binds: string, directory = '/srv/api') => unit(`WorkingDirectory=${directory}\nExecStart=/opt/venv/bin/gunicorn ${binds} app:app\n`);
  const CLASH = '-b 127.0.0.1:8000 -b 0.0.0.0:8000';
  const ok = [`ok: api (8000): ${AT}:3: its ExecStart= runs gunicorn on port 8000`];

  it('reuse_port = True there lets two binds on one port both open, as --reuse-port does; False, or no such file, does not', async () => {
    // gunicorn 26 on a loopback port: `-b 127.0.0.1:P -b 0.0.0.0:P` listens on both with reuse_port = True in
    // ./gunicorn.conf.py; without it, "[Errno 98] Address already in use", then it exits.
    expect(
      await apiResults({ ...gunicorn(CLASH), 'srv/api/gunicorn.conf.py': 'import multiprocessing\n\nworkers = 2\nreuse_port = True  # SO_REUSEPORT\n' }),
    ).toEqual(ok);
    // -c (also file:PATH, and relative to where it starts); gunicorn takes "true" in any case for a boolean.
    expect(await apiResults({ ...gunicorn(`-c /etc/api/gunicorn.py ${CLASH}`), 'etc/api/gunicorn.py': 'reuse_port = " TRUE"\n' })).toEqual(ok);
    expect(await apiResults({ ...gunicorn(`--config=file:conf/g.py ${CLASH}`), 'srv/api/conf/g.py': 'reuse_port = False\nreuse_port = True\n' })).toEqual(ok);
    const clash = expect.stringMatching(/^error: .*takes port 8000 on every address, so gunicorn cannot open them all \(Address already in use\)/);
    // The last assignment wins; a name in another case, a comment or a string sets nothing (gunicorn ignores REUSE_PORT).
    const off = 'reuse_port = True\nreuse_port = False\nREUSE_PORT = True\n# reuse_port = True\nDOC = """\nreuse_port = True\n"""\n';
    expect(await apiResults({ ...gunicorn(CLASH), 'srv/api/gunicorn.conf.py': off })).toEqual([clash]);
    expect(await apiResults(gunicorn(CLASH))).toEqual([clash]);
    // gunicorn.conf.py elsewhere than where it starts is not read (systemd starts it in /).
    expect(await apiResults({ ...gunicorn(CLASH, '/'), 'srv/api/gunicorn.conf.py': 'reuse_port = True\n' })).toEqual([clash]);
  });

  it('a reuse_port set any other way (in a block, from code, by globals()) is not guessed: no clash is said', async () => {
    for (const text of [
      'import os\nif os.environ.get("REUSE"):\n    reuse_port = True\n',
      'reuse_port = os.environ.get("REUSE") == "1"\n',
      'globals()["reuse_" + "port"] = True\n',
      'from settings import *\n',
      'reuse_port = 1\n',
    ])
      expect(await apiResults({ ...gunicorn(CLASH), 'srv/api/gunicorn.conf.py': text }), text).toEqual(ok);
  });

  it('its bind, when the line and GUNICORN_CMD_ARGS give none, held as a --bind is, at the line that sets it; a bind it sets otherwise: unknown', async () => {
    const FILE = '/srv/api/gunicorn.conf.py';
    expect(await apiResults({ ...gunicorn(''), 'srv/api/gunicorn.conf.py': 'bind = "0.0.0.0:28005"\n' })).toEqual([
      `error: api (8000): ${AT}:3: its ExecStart= gives gunicorn no --bind, so it takes its config file's bind = 0.0.0.0:28005 at ${FILE}:1, but FastAPI uses port 8000; write --bind 0.0.0.0:8000 in its ExecStart= (over the bind of ${FILE})${RESTART}, or give FastAPI port: 28005 in the registry`,
    ]);
    expect(await apiResults({ ...gunicorn(''), 'srv/api/gunicorn.conf.py': 'bind = [\n    "127.0.0.1:8000",\n    "0.0.0.0:8000",\n]\n' })).toEqual([
      `error: api (8000): ${AT}:3: its ExecStart= gives gunicorn no --bind, so it takes its config file's bind = 127.0.0.1:8000 at ${FILE}:1 and bind = 0.0.0.0:8000 at ${FILE}:1, but bind = 0.0.0.0:8000 at ${FILE}:1 takes port 8000 on every address, so gunicorn cannot open them all (Address already in use) and exits at start; write --bind 0.0.0.0:8000 in its ExecStart= (over the bind of ${FILE})${RESTART}`,
    ]);
    // The line's --bind wins over the file's (gunicorn 26 --print-config: bind = the line's).
    expect(await apiResults({ ...gunicorn('-b 0.0.0.0:8000'), 'srv/api/gunicorn.conf.py': 'bind = "0.0.0.0:28005"\n' })).toEqual(ok);
    expect(await apiResults({ ...gunicorn(''), 'srv/api/gunicorn.conf.py': 'bind = "0.0.0.0:8000"\n' })).toEqual(ok);
    expect(await apiResults({ ...gunicorn(''), 'srv/api/gunicorn.conf.py': 'import os\nbind = os.environ["BIND"]\n' })).toEqual([
      `unknown: api (8000): ${AT}:3: where FastAPI listens cannot be told: gunicorn takes its binds from its config file ${FILE}, where it names bind other than in a plain top-level bind = VALUE (line 2); write --bind 127.0.0.1:8000 in its ExecStart= (or --bind 0.0.0.0:8000 if other hosts must reach it, as access: private allows) to make it plain`,
    ]);
  });

  it("under RootDirectory=, the one inside that directory (gunicorn runs chrooted there), not the root's own file of that name", async () => {
    const chrooted = (binds: string) => unit(`RootDirectory=/srv/jail\nWorkingDirectory=/srv/api\nExecStart=/opt/venv/bin/gunicorn ${binds} app:app\n`);
    const FILE = '/srv/jail/srv/api/gunicorn.conf.py';
    expect(
      await apiResults({
        ...chrooted(''),
        'srv/api/gunicorn.conf.py': 'bind = "0.0.0.0:8000"\n',
        'srv/jail/srv/api/gunicorn.conf.py': 'bind = "0.0.0.0:28005"\n',
      }),
    ).toEqual([
      `error: api (8000): ${AT}:4: its ExecStart= gives gunicorn no --bind, so it takes its config file's bind = 0.0.0.0:28005 at ${FILE}:1, but FastAPI uses port 8000; write --bind 0.0.0.0:8000 in its ExecStart= (over the bind of ${FILE})${RESTART}, or give FastAPI port: 28005 in the registry`,
    ]);
    // A -c file there only inside the root is there for gunicorn.
    expect(await apiResults({ ...chrooted('-c /etc/api/gunicorn.py'), 'srv/jail/etc/api/gunicorn.py': 'bind = "0.0.0.0:8000"\n' })).toEqual([
      `ok: api (8000): ${AT}:4: its ExecStart= runs gunicorn on port 8000`,
    ]);
    // Inside RootImage= its config file is not known (the root's own passed before); its command line's words still are.
    const imaged = (line: string) => unit(`RootImage=/srv/api.raw\nWorkingDirectory=/srv/api\nExecStart=${line}\n`);
    expect(await apiResults({ ...imaged('/opt/venv/bin/gunicorn app:app'), 'srv/api/gunicorn.conf.py': 'bind = "0.0.0.0:8000"\n' })).toEqual([
      expect.stringMatching(
        new RegExp(
          `^unknown: api \\(8000\\): ${AT}:4: where FastAPI listens cannot be told: it gives no --bind, and its ExecStart= runs inside RootImage=/srv/api.raw \\(${AT}:2\\), which this check does not open, where gunicorn reads its config file;`,
        ),
      ),
    ]);
    expect(await apiResults(imaged('/usr/bin/uvicorn app:app --port 8001'))).toEqual([
      expect.stringMatching(new RegExp(`^error: api \\(8000\\): ${AT}:4: its ExecStart= gives uvicorn --port 8001, but FastAPI uses port 8000;`)),
    ]);
  });

  it('a -c naming no file is an error (gunicorn exits at start); a module (python:NAME) is not looked up', async () => {
    // gunicorn 26: `-c /nonexistent.py` prints "Error: '/nonexistent.py' doesn't exist" and exits 1.
    expect(await apiResults(unit('ExecStart=/opt/venv/bin/gunicorn -c /etc/api/gunicorn.conf.py app:app\n'))).toEqual([
      `error: api (8000): ${AT}:2: gunicorn is given -c /etc/api/gunicorn.conf.py, and /etc/api/gunicorn.conf.py is not there, so gunicorn exits at start ("doesn't exist"); put its config file there, or make -c name the one it has${RESTART}`,
    ]);
    expect(await apiResults(unit('ExecStart=/opt/venv/bin/gunicorn -c python:api.gunicorn_conf app:app\n'))).toEqual([
      `unknown: api (8000): ${AT}:2: where FastAPI listens cannot be told: it gives no --bind, and gunicorn reads its settings from the module python:api.gunicorn_conf (-c), which this check does not look up; write --bind 127.0.0.1:8000 in its ExecStart= (or --bind 0.0.0.0:8000 if other hosts must reach it, as access: private allows) to make it plain`,
    ]);
  });
});

describe('a fix keeps the host the server is given when its access allows it, and changes only the port', () => {
  // A private API on loopback behind nginx (the README's usual way): gunicorn 26 with -b 127.0.0.1:P listens on
  // 127.0.0.1:P only; advice to write 0.0.0.0 would open it to every interface.
  const withPort = (lines: string) => ({ ...unit(`EnvironmentFile=/etc/default/dsa110-api\nWorkingDirectory=/srv/api\n${lines}`), ...ENV_FILE });
  const AT4 = `${AT}:4`;
  const FILE = '/srv/api/gunicorn.conf.py';
  it("gunicorn's -b on loopback, on the line or in its config file, on another port: the fix keeps 127.0.0.1, as uvicorn's keeps its --host", async () => {
    expect(await apiResults(withPort('ExecStart=/opt/venv/bin/gunicorn -b 127.0.0.1:8001 app:app\n'))).toEqual([
      `error: api (28010): ${AT4}: its ExecStart= binds gunicorn to 127.0.0.1:8001 (-b), but FastAPI (CONTIMG_API_PORT=28010 in /etc/default/dsa110-api:1) uses port 28010; write -b 127.0.0.1:\${CONTIMG_API_PORT} in its ExecStart=${RESTART}`,
    ]);
    expect(await apiResults({ ...withPort('ExecStart=/opt/venv/bin/gunicorn app:app\n'), 'srv/api/gunicorn.conf.py': 'bind = "127.0.0.1:8001"\n' })).toEqual([
      `error: api (28010): ${AT4}: its ExecStart= gives gunicorn no --bind, so it takes its config file's bind = 127.0.0.1:8001 at ${FILE}:1, but FastAPI (CONTIMG_API_PORT=28010 in /etc/default/dsa110-api:1) uses port 28010; write --bind 127.0.0.1:\${CONTIMG_API_PORT} in its ExecStart= (over the bind of ${FILE})${RESTART}`,
    ]);
    expect(await apiResults(withPort('ExecStart=/usr/bin/uvicorn app:app --host 127.0.0.1 --port 8001\n'))).toEqual([
      expect.stringContaining(`write --port \${CONTIMG_API_PORT} in its ExecStart=`),
    ]);
  });

  it('a bind its config file sets from code (os.getenv with a loopback default): the advice is loopback, with every address as the choice private access allows', async () => {
    const conf = 'import os\nbind = os.getenv("API_BIND", "127.0.0.1:8000")\n';
    expect(await apiResults({ ...withPort('ExecStart=/opt/venv/bin/gunicorn app:app\n'), 'srv/api/gunicorn.conf.py': conf })).toEqual([
      `unknown: api (28010): ${AT4}: where FastAPI listens cannot be told: gunicorn takes its binds from its config file ${FILE}, where it names bind other than in a plain top-level bind = VALUE (line 2); write --bind 127.0.0.1:\${CONTIMG_API_PORT} in its ExecStart= (or --bind 0.0.0.0:\${CONTIMG_API_PORT} if other hosts must reach it, as access: private allows) to make it plain`,
    ]);
  });

  it('a host the access does not allow is replaced by its own, saying why', async () => {
    expect(await localApiResults(unit('ExecStart=/opt/venv/bin/gunicorn -b 0.0.0.0:8001 app:app\n'))).toEqual([
      `error: api (8000): ${AT}:2: its ExecStart= binds gunicorn to 0.0.0.0:8001 (-b), but FastAPI uses port 8000; write -b 127.0.0.1:8000 (not 0.0.0.0: the registry says FastAPI is access: localhost) in its ExecStart=${RESTART}`,
    ]);
  });
});

describe("uvicorn's command line held to the version installed where its command imports it (uvicorn-install.ts)", () => {
  const DEBIAN_AT = '/usr/lib/python3/dist-packages/uvicorn-0.17.6.egg-info/PKG-INFO';
  const lacks = (option: string, error: string, installed: string) =>
    `error: api (8000): ${AT}:2: its ExecStart= gives uvicorn a command line it refuses, so it exits at start ("Error: ${error}"); the installed uvicorn ${installed} does not have ${option}: remove it from its ExecStart=, or upgrade uvicorn to a version whose \`uvicorn --help\` lists it${RESTART}`;

  it('Debian 12\'s 0.17.6 (python3 -m uvicorn): each option 0.54 added is an error naming it (uvicorn 0.17.6 exits 2, "No such option"); its own --debug passes', async () => {
    for (const [option, value] of [
      ['--timeout-graceful-shutdown', ' 5'],
      ['--http2', ''],
      ['--reset-contextvars', ''],
      ['--ws-max-queue', ' 32'],
      ['--limit-max-requests-jitter', ' 3'],
      ['--timeout-worker-healthcheck', ' 5'],
      ['--h11-max-incomplete-event-size', ' 100'],
    ] as const)
      expect(await apiResults({ ...DEBIAN_UVICORN, ...unit(`ExecStart=/usr/bin/python3 -m uvicorn app:app ${option}${value} --port 8000\n`) })).toEqual([
        lacks(option, `No such option: ${option}`, `0.17.6 (${DEBIAN_AT})`),
      ]);
    expect(await apiResults({ ...DEBIAN_UVICORN, ...unit('ExecStart=/usr/bin/python3 -m uvicorn app:app --debug --timeout-keep-alive 5\n') })).toEqual([
      `ok: api (8000): ${AT}:2: its ExecStart= runs uvicorn on port 8000`,
    ]);
    // Without its metadata the version is not known: 0.54's grammar, as before.
    const { [DEBIAN_AT.slice(1)]: _, ...unversioned } = DEBIAN_UVICORN;
    expect(await apiResults({ ...unversioned, ...unit('ExecStart=/usr/bin/python3 -m uvicorn app:app --timeout-graceful-shutdown 5\n') })).toEqual([
      `ok: api (8000): ${AT}:2: its ExecStart= runs uvicorn on port 8000`,
    ]);
  });

  it("a User='s pip --user uvicorn (~/.local, read before the system's) is the one judged; PYTHONNOUSERSITE turns it off", async () => {
    const user = 'var/lib/api/.local/lib/python3.11/site-packages';
    const tree = (lines: string) => ({
      ...DEBIAN_UVICORN,
      [`${user}/uvicorn/__init__.py`]: '',
      [`${user}/uvicorn-0.54.0.dist-info/METADATA`]: PKG_INFO('0.54.0'),
      ...unit(`${lines}ExecStart=/usr/bin/python3 -m uvicorn app:app --timeout-graceful-shutdown 5 --port 8000\n`),
    });
    expect(await apiResults(tree('User=api\n'))).toEqual([`ok: api (8000): ${AT}:3: its ExecStart= runs uvicorn on port 8000`]);
    // Without User=, root's ~/.local (none here): Debian's 0.17.6, which lacks the option.
    expect(await apiResults(tree(''))).toEqual([lacks('--timeout-graceful-shutdown', 'No such option: --timeout-graceful-shutdown', `0.17.6 (${DEBIAN_AT})`)]);
    expect(await apiResults(tree('User=api\nEnvironment=PYTHONNOUSERSITE=1\n'))).toEqual([
      expect.stringMatching(/^error: api \(8000\): .*:4: .*the installed uvicorn 0\.17\.6 /),
    ]);
  });

  it("Python's switches: -s and -I leave out ~/.local, -P, -I and PYTHONSAFEPATH the directory -m starts in; a bare uvicorn/ there shadows nothing", async () => {
    const user = 'var/lib/api/.local/lib/python3.11/site-packages';
    const option = '--timeout-graceful-shutdown 5 --port 8000';
    const tree = (lines: string, python = '/usr/bin/python3', extra: Record<string, string> = {}) => ({
      ...DEBIAN_UVICORN,
      [`${user}/uvicorn/__init__.py`]: '',
      [`${user}/uvicorn-0.54.0.dist-info/METADATA`]: PKG_INFO('0.54.0'),
      ...extra,
      ...unit(`${lines}ExecStart=${python} -m uvicorn app:app ${option}\n`),
    });
    const debian = /^error: api \(8000\): .*the installed uvicorn 0\.17\.6 /;
    // python3 -s -m uvicorn and -I run Debian's 0.17.6 (checked: `python3 -s -m uvicorn --version`), which exits 2.
    for (const python of ['/usr/bin/python3 -s', '/usr/bin/python3 -I', '/usr/bin/python3 -u -sE'])
      expect(await apiResults(tree('User=api\n', python)), python).toEqual([expect.stringMatching(debian)]);
    // A uvicorn.py where -m starts is what it imports (unknown: 0.54's grammar, which has the option), unless the
    // directory is left out of the path.
    const module = { 'srv/api/uvicorn.py': '' };
    const ok = `ok: api (8000): ${AT}:3: its ExecStart= runs uvicorn on port 8000`;
    expect(await apiResults(tree('WorkingDirectory=/srv/api\n', '/usr/bin/python3', module))).toEqual([ok]);
    expect(await apiResults(tree('WorkingDirectory=/srv/api\n', '/usr/bin/python3 -P', module))).toEqual([expect.stringMatching(debian)]);
    expect(await apiResults(tree('WorkingDirectory=/srv/api\nEnvironment=PYTHONSAFEPATH=1\n', '/usr/bin/python3', module))).toEqual([
      expect.stringMatching(debian),
    ]);
    // A uvicorn/ with no __init__.py is a namespace portion: the regular package later on the path wins.
    expect(await apiResults(tree('WorkingDirectory=/srv/api\n', '/usr/bin/python3', { 'srv/api/uvicorn/README': '' }))).toEqual([
      expect.stringMatching(debian),
    ]);
  });

  it('UVICORN_APP, which 0.17.6 does not read: no APP, an error naming the setting; read where the version is not known', async () => {
    const lines = 'Environment=UVICORN_APP=app:app\nExecStart=/usr/bin/python3 -m uvicorn --port 8000\n';
    expect(await apiResults({ ...DEBIAN_UVICORN, ...unit(lines) })).toEqual([
      `error: api (8000): ${AT}:3: its ExecStart= gives uvicorn a command line it refuses, so it exits at start ("Error: Missing argument 'APP'."); the installed uvicorn 0.17.6 (${DEBIAN_AT}) does not read UVICORN_APP (set at ${AT}:2): name its app in its ExecStart= (MODULE:ATTRIBUTE, as in uvicorn app:app), or upgrade uvicorn to one that reads it (0.54 does)${RESTART}`,
    ]);
    expect(await apiResults(unit(lines))).toEqual([`ok: api (8000): ${AT}:3: its ExecStart= runs uvicorn on port 8000`]);
  });

  it("a venv's 0.54.x (its uvicorn script): 0.54's options pass, one it lacks is an error naming it; another version: unknown, as before", async () => {
    const venv = (version: string, options: string) => ({ ...venvUvicorn(version), ...unit(`ExecStart=/opt/api/venv/bin/uvicorn app:app ${options}\n`) });
    const metadata = (version: string) => `/opt/api/venv/lib/python3.11/site-packages/uvicorn-${version}.dist-info/METADATA`;
    expect(await apiResults(venv('0.54.0', '--timeout-graceful-shutdown 5 --http2 --port 8000'))).toEqual([
      `ok: api (8000): ${AT}:2: its ExecStart= runs uvicorn on port 8000`,
    ]);
    // --debug: 0.17.6 had it, 0.54 dropped it; no upgrade brings it back.
    expect(await apiResults(venv('0.54.0', '--debug --port 8000'))).toEqual([
      `error: api (8000): ${AT}:2: its ExecStart= gives uvicorn a command line it refuses, so it exits at start ("Error: No such option '--debug'."); the installed uvicorn 0.54.0 (${metadata('0.54.0')}) no longer has --debug (older uvicorns took it): remove it from its ExecStart=${RESTART}`,
    ]);
    expect(await apiResults(venv('0.60.0', '--no-reload --port 8000'))).toEqual([
      expect.stringMatching(/^unknown: .*--no-reload, an option uvicorn 0\.54 does not have/),
    ]);
  });
});

describe("a fix to the app server's unit under --root and on this host", () => {
  it("ends as reloadStep says under --root, never with the host's daemon-reload; on this host (/) with systemctl daemon-reload and restart", async () => {
    const lines = [
      'ExecStart=/usr/bin/uvicorn app:app --host 0.0.0.0 --port 28005', // written(): the port
      'ExecStart=/usr/bin/uvicorn app:app --host 0.0.0.0 --port 8000 --no-reload', // unknownOption()
      'ExecStart=/usr/bin/uvicorn app:app extra --port 8000', // refusal()
      `Environment=CONTIMG_API_PORT=\nExecStart=/usr/bin/uvicorn app:app --port \${CONTIMG_API_PORT}`, // withEmptySet(), from the variable
      'ExecStart=/opt/venv/bin/gunicorn -c /etc/api/gunicorn.conf.py app:app', // gunicorn's -c not there
      'ExecStart=/opt/venv/bin/gunicorn -b 0.0.0.0:8000 -b 0.0.0.0:8000 app:app', // one bind twice
    ];
    for (const line of lines) {
      const root = writeTree(tempDir(), unit(`${line}\n`));
      const facts = await gather({ registry, root, services: [api] });
      const fixes = (checked: typeof facts) =>
        checkConfig(checked, api)
          .filter((result) => result.severity !== 'ok')
          .map((result) => result.reason);
      const [under, here] = [fixes(facts), fixes({ ...facts, root: '/' })];
      expect(under, line).toHaveLength(1);
      expect(under[0], line).toContain(reloadStep(root));
      expect(under[0], line).not.toContain('daemon-reload');
      expect(here[0], line).toContain(', then systemctl daemon-reload and restart dsa110-api.service');
      expect(here[0], line).not.toContain(reloadStep(root));
    }
  });
});
