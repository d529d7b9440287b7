// Small helpers that keep the tests short: real temp trees, and test
// registries written as real ports.yaml text (JSON is YAML) and parsed by the
// real parser.
import { createServer, type Server } from 'node:net';
import { parseRegistry, type Registry } from '@dsa110/ports';
import { readKernelFacts } from '../src/kernel.js';
import { leasePort } from '../../../test-support/test-port.js';

// Temp trees of real files: one helper for both packages, in test-support/.
export { tempDir, writeTree, type TreeEntry } from '../../../test-support/tree.js';

/**
 * An executable claim-port stand-in (its content never runs). No #! line, as a
 * compiled one: a `#!/bin/sh` here would need ROOT/bin/sh, as the dependencies
 * check looks its interpreter up inside the root.
 */
export const EXECUTABLE = { text: '\u007fELF a claim-port stand-in (ELF magic, no #! line)\n', mode: 0o755 } as const;

export interface ServiceSpec {
  id: string;
  port: number;
  group?: 'production' | 'monitoring' | 'development';
  access?: 'public' | 'private' | 'localhost' | 'dev';
  robust?: boolean;
  env?: string;
  unit?: string;
  claim?: 'unit' | 'drop-in';
  processes?: string[];
  transport?: 'tcp' | 'udp';
  /** The port is set by `key` in the config file at `path` (configuredBy: { file, key }). */
  configFile?: { path: string; key: string };
}

export function registryText(services: ServiceSpec[], reserved: object[] = []): string {
  return JSON.stringify(
    {
      version: 1,
      services: services.map((spec) => ({
        id: spec.id,
        name: spec.id.charAt(0).toUpperCase() + spec.id.slice(1),
        group: spec.group ?? 'production',
        port: spec.port,
        protocol: spec.transport === 'udp' ? 'UDP' : 'TCP',
        ...(spec.transport && { transport: spec.transport }),
        access: spec.access ?? 'localhost',
        configuredBy: spec.env
          ? { env: spec.env }
          : spec.configFile
            ? { file: spec.configFile.path.slice(spec.configFile.path.lastIndexOf('/') + 1), key: spec.configFile.key }
            : 'none',
        ...(spec.configFile && { config: spec.configFile.path }),
        robust: spec.robust ?? false,
        ...(spec.unit && { systemd: { unit: spec.unit, ...(spec.claim && { claim: spec.claim }) } }),
        processes: spec.processes ?? ['node'],
      })),
      reserved,
    },
    null,
    2,
  );
}

export function testRegistry(services: ServiceSpec[], reserved: object[] = []): Registry {
  return parseRegistry(registryText(services, reserved), { source: 'test-ports.yaml' });
}

const ephemeralStart = readKernelFacts().ephemeral?.start ?? 32768;

/**
 * A port below the ephemeral range (so the kernel check passes, and no
 * bind(0) or connection elsewhere is given it), leased like every test
 * listener's port (so no other test listens there meanwhile), and not in
 * `taken` (what listens now).
 */
export function quietPort(taken: ReadonlySet<number>): number {
  const high = Math.min(30000, ephemeralStart - 1);
  const low = Math.max(1024, high - 10000);
  for (;;) {
    const port = leasePort({ ranges: [[low, high]] });
    if (!taken.has(port)) return port;
  }
}

/** quietPort() over and over: a port each call, none listening when `taken` was read and none given twice. */
export function quietPorts(taken: Set<number>): () => number {
  return () => {
    const port = quietPort(taken);
    taken.add(port);
    return port;
  };
}

/**
 * A references result as the reader tests compare it: a line that starts with its file (`redis (6379): FILE:LINE under ROOT: ...`)
 * without the ` under ROOT` of the temp root each test makes, so an expectation reads as on a host. test/checks/references.test.ts
 * holds the root's words themselves.
 */
export function withoutRoot<T extends { readonly reason: string; readonly file?: string }>(result: T, root: string): T {
  const start = result.reason.indexOf(': ') + 2;
  const under = `${result.file} under ${root}`;
  if (result.file === undefined || !result.reason.startsWith(under, start)) return result;
  return { ...result, reason: `${result.reason.slice(0, start)}${result.file}${result.reason.slice(start + under.length)}` };
}

/** A real TCP socket listening on `host` and `port` (a leased one), for the tests that hold a file's connection to the listeners. */
export async function listeningOn(port: number, host: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}

/** Closes a listeningOn socket. */
export const closeServer = (server: Server): Promise<void> => new Promise<void>((resolve) => server.close(() => resolve()));
