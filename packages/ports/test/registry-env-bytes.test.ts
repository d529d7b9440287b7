// $DSA110_PORTS_FILE holding bytes that are not UTF-8. Node gives
// process.env each such byte as U+FFFD, so loadRegistry() opened another file
// (one named with a real U+FFFD) than the `ports` bin, which reads the bytes
// back from /proc/self/environ, or said "no such file" for a file that
// exists. The library refuses such a value (src/load.ts, variableNotUtf8).
// Real files, and real processes whose environment holds the bytes.
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytePath, fromSource, runWithBytes } from '../../../test-support/raw-bytes.js';
import { tempDir } from '../../../test-support/tree.js';
import { minimalRegistry } from './helpers.js';

const LIBRARY = new URL('../src/index.ts', import.meta.url).pathname;
const load = [
  '--conditions=development',
  '--import',
  'tsx',
  '--input-type=module',
  '-e',
  `import { loadRegistry, checkRegistryFile, registryPath } from ${JSON.stringify(LIBRARY)};
   for (const call of [() => registryPath(), () => checkRegistryFile(), async () => (await loadRegistry()).resolvePort('api').port]) {
     try { console.log(await call()); } catch (error) { console.log(error.constructor.name, error.message); }
   }`,
];
const cleanEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', DSA110_PORTS_CACHE: 'off' };
const refusal = (shown: string) =>
  `RegistryError ${shown}: cannot read the registry (from $DSA110_PORTS_FILE): $DSA110_PORTS_FILE is not UTF-8 (\\ufffd: bytes Node could not decode), ` +
  'so Node cannot name the file; give the file a UTF-8 name (or a symlink with one) and set $DSA110_PORTS_FILE to it, or pass loadRegistry({ path })';

/** The refusal of registryPath, checkRegistryFile and loadRegistry, each on a line. */
const refusals = (shown: string) => `${refusal(shown)}\n`.repeat(3);

/** `b\xffn.yaml` (api on 8000) in a new directory, and, with `twin`, `b\u{FFFD}n.yaml` (api on 8123) beside it. */
function registries(twin: boolean) {
  const dir = tempDir('ports-env-bytes-');
  const path = bytePath(dir, 'b\xffn.yaml');
  writeFileSync(path, minimalRegistry);
  const twinPath = `${dir}/b\uFFFDn.yaml`;
  if (twin) writeFileSync(twinPath, minimalRegistry.replace('port: 8000', 'port: 8123'));
  // As the refusal names it: the variable's bytes, the bad one escaped (not Node's U+FFFD for it, which names the twin).
  return { path, twinPath, shown: `${dir}/b\\xffn.yaml` };
}

describe('loadRegistry with a $DSA110_PORTS_FILE that is not UTF-8', () => {
  it('refuses it in one line, naming its bytes, where it loaded the U+FFFD file beside it (which the ports bin does not read); registryPath too, where it named that file', () => {
    const { path, shown } = registries(true);
    const env = { ...cleanEnv, DSA110_PORTS_FILE: path };
    expect(runWithBytes(load, [], { env })).toEqual({ code: 0, stdout: refusals(shown), stderr: '' });
    // The bin, in the same environment, reads the file by its bytes.
    expect(runWithBytes(fromSource('packages/ports/src/cli/ports.ts'), ['get', 'api'], { env })).toEqual({ code: 0, stdout: '8000\n', stderr: '' });
  });

  it('refuses it, not "no such file", when there is no U+FFFD file', () => {
    const { path, shown } = registries(false);
    expect(runWithBytes(load, [], { env: { ...cleanEnv, DSA110_PORTS_FILE: path } }).stdout).toBe(refusals(shown));
  });

  it('loads a file really named with U+FFFD (the value is UTF-8)', () => {
    const { twinPath } = registries(true);
    expect(runWithBytes(load, [], { env: { ...cleanEnv, DSA110_PORTS_FILE: twinPath } })).toEqual({
      code: 0,
      stdout: `${twinPath}\n${twinPath}\n8123\n`,
      stderr: '',
    });
  });
});

describe('a port override that is not UTF-8', () => {
  it("is shown by its bytes (\\xff, read back from /proc/self/environ), not as Node's U+FFFD, when resolvePort reads process.env", () => {
    const path = `${tempDir('ports-env-bytes-')}/ports.yaml`;
    writeFileSync(path, minimalRegistry);
    const resolve = [
      '--conditions=development',
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `import { loadRegistry } from ${JSON.stringify(LIBRARY)};
       const registry = await loadRegistry({ path: ${JSON.stringify(path)} });
       for (const env of [undefined, { CONTIMG_API_PORT: process.env.CONTIMG_API_PORT }]) {
         try { console.log(registry.resolvePort('api', env && { env }).port); } catch (error) { console.log(error.message); }
       }`,
    ];
    const refused = (shown: string) =>
      `CONTIMG_API_PORT="${shown}" cannot be used for service "api": it is not a plain decimal integer; give a plain decimal port 1-65535 or unset CONTIMG_API_PORT\n`;
    // process.env's value by its bytes; an env object of the caller's holds what it holds (a U+FFFD may be one).
    expect(runWithBytes(resolve, [], { env: { ...cleanEnv, CONTIMG_API_PORT: Buffer.from('80\xff', 'latin1') } })).toEqual({
      code: 0,
      stdout: refused('80\\xff') + refused('80\uFFFD'),
      stderr: '',
    });
  });
});
