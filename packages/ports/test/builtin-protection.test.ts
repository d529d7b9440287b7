// The built-in protected list: always applied, only added to by a registry,
// removed from only through claim.protect.unprotectBuiltin (which `ports
// validate` warns about), and the same list where people read it: ports.yaml's
// comment and claim-port's README.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROTECTED_PROCESSES, CONTAINER_RUNTIME_PROCESSES, parseRegistry, RegistryError } from '@dsa110/ports';
import { minimalRegistry, repoRoot, writeRegistry } from './helpers.js';
import { ports as runPorts } from './cli/helpers.js';

const withClaim = (claim: string) => `version: 1\n${claim}\n${minimalRegistry.slice('version: 1\n'.length)}`;

describe('the built-in protected list', () => {
  it('applies with no claim block, with processes: [], and under the registry’s additions', () => {
    for (const registry of [
      parseRegistry(minimalRegistry),
      parseRegistry(withClaim('claim:\n  protect:\n    processes: []')),
      parseRegistry(withClaim('claim: {}')),
    ]) {
      expect(registry.claim.protectedProcesses).toEqual(BUILTIN_PROTECTED_PROCESSES);
      expect(registry.claim.protectedPidsUpTo).toBe(2);
    }
    const added = parseRegistry(withClaim('claim:\n  protect:\n    processes: [my-agent, sshd]'));
    expect(added.claim.protectedProcesses).toEqual([...BUILTIN_PROTECTED_PROCESSES, 'my-agent']);
  });

  it('includes every container runtime', () => {
    for (const name of ['docker-proxy', 'dockerd', 'containerd', 'containerd-shim*', 'conmon', 'rootlessport', 'slirp4netns', 'pasta']) {
      expect(BUILTIN_PROTECTED_PROCESSES).toContain(name);
      expect(CONTAINER_RUNTIME_PROCESSES).toContain(name);
    }
  });

  it('loses a name only through unprotectBuiltin, which must name a built-in', () => {
    const registry = parseRegistry(withClaim('claim:\n  protect:\n    unprotectBuiltin: [sshd]'));
    expect(registry.claim.protectedProcesses).not.toContain('sshd');
    expect(registry.claim.unprotectedBuiltins).toEqual(['sshd']);
    expect(() => parseRegistry(withClaim('claim:\n  protect:\n    unprotectBuiltin: [nginx]'))).toThrow(/must be a built-in protected name/);
  });

  it('rejects pidsUpTo below 2', () => {
    for (const value of [0, 1]) {
      let error: unknown;
      try {
        parseRegistry(withClaim(`claim:\n  protect:\n    pidsUpTo: ${value}`));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as RegistryError).message).toMatch(/pidsUpTo: must be between 2 and \d+ \(PID 1, init, and PID 2, kthreadd, are always protected\)/);
    }
  });

  it('`ports validate` warns (exit 0) when a registry removes built-in protection', async () => {
    const file = writeRegistry(withClaim('claim:\n  protect:\n    unprotectBuiltin: [sshd, dockerd]'));
    const run = await runPorts(['validate', file]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`^${file}:4:5: warning: claim.protect.unprotectBuiltin removes built-in protection from sshd, dockerd`));
    const clean = await runPorts(['validate', writeRegistry(minimalRegistry)]);
    expect(clean.stderr).toBe('');
  });

  it('is the list ports.yaml and claim-port’s README document', () => {
    const yaml = readFileSync(`${repoRoot}ports.yaml`, 'utf8');
    const comment = /# Built in, always protected[^\n]*\n\s*# (.*)\n/.exec(yaml);
    expect(comment![1]!.split(', ')).toEqual(BUILTIN_PROTECTED_PROCESSES);
    const readme = readFileSync(`${repoRoot}packages/claim-port/README.md`, 'utf8');
    const listed = /<!-- built-in protected list -->\n(.*)\n/.exec(readme);
    expect(listed![1]!.split(', ').map((name) => name.replace(/`/g, ''))).toEqual(BUILTIN_PROTECTED_PROCESSES);
  });
});
