// Node's own bindings, and the warning they must not cause: in real Node
// processes run with and without pending deprecations, the bind check and the
// code cache's CRC take the public way where process.binding would warn.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeBinding, warnsOfPendingDeprecations } from '../src/node-binding.js';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A script run by a real `node` (with tsx, given `flags` and `env`): its stdout and stderr. */
function runScript(script: string, flags: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const { NODE_OPTIONS: _, NODE_PENDING_DEPRECATION: __, ...base } = process.env;
  const result = spawnSync(process.execPath, [...flags, '--import', 'tsx', '-e', script], { encoding: 'utf8', env: { ...base, ...env } });
  return { out: result.stdout, err: result.stderr, status: result.status };
}

const src = (file: string) => JSON.stringify(join(import.meta.dirname, '../src', file));

describe('nodeBinding', () => {
  it("is Node's binding, or undefined where Node would warn of it or has none", () => {
    expect(typeof nodeBinding('tcp_wrap', {})?.TCP).toBe('function');
    expect(nodeBinding('no_such_binding', {})).toBeUndefined();
    expect(nodeBinding('tcp_wrap', { NODE_OPTIONS: '--pending-deprecation' })).toBeUndefined();
    expect(nodeBinding('tcp_wrap', { NODE_PENDING_DEPRECATION: '1' })).toBeUndefined();
  });

  it('reads pending deprecations from NODE_OPTIONS (either spelling) and NODE_PENDING_DEPRECATION', () => {
    expect(warnsOfPendingDeprecations({})).toBe(false);
    expect(warnsOfPendingDeprecations({ NODE_OPTIONS: '--max-old-space-size=100 --pending_deprecation' })).toBe(true);
    expect(warnsOfPendingDeprecations({ NODE_PENDING_DEPRECATION: '1' })).toBe(true);
    expect(warnsOfPendingDeprecations({ NODE_PENDING_DEPRECATION: '0' })).toBe(false);
  });

  it('leaves a real process under --pending-deprecation without a warning: the bind check goes through net, and still sees a held port', async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const script = `import(${src('system/bindable.ts')}).then(async (m) => console.log(String(m.canBindSync(${port})), JSON.stringify(await m.canBind(${port}))))`;
    for (const [flags, env] of [
      [['--pending-deprecation'], {}],
      [[], { NODE_PENDING_DEPRECATION: '1' }],
      [[], { NODE_OPTIONS: '--pending-deprecation' }],
    ] as const) {
      const run = runScript(script, [...flags], env);
      expect(run.err, JSON.stringify({ flags, env })).not.toContain('DeprecationWarning');
      expect(run.out).toBe('undefined {"ok":false,"reason":"0.0.0.0: EADDRINUSE","code":"EADDRINUSE"}\n');
    }
    // Without it, the handles answer at once; with --no-deprecation too (nothing would be printed).
    expect(runScript(script).out).toContain('"ok":false,"reason":"0.0.0.0: EADDRINUSE"');
    expect(runScript(script).out.startsWith('[object Object]')).toBe(true);
    expect(runScript(script, ['--pending-deprecation', '--no-deprecation']).out.startsWith('[object Object]')).toBe(true);
    // One address, for claim-port's check before signals: answered there too (Node then warns, once).
    const one = runScript(`import(${src('system/bindable.ts')}).then((m) => console.log(JSON.stringify(m.canBindAddressSync('127.0.0.1', ${port}))))`, [
      '--pending-deprecation',
    ]);
    expect(one.out).toBe('{"ok":false,"reason":"127.0.0.1: EADDRINUSE","code":"EADDRINUSE"}\n');
    // What it avoids: the binding warns there.
    expect(runScript("process.binding('tcp_wrap')", ['--pending-deprecation']).err).toContain('DEP0111');
  });
});
