// The ids a registry hands out are its id type: the bundled registry's are
// ServiceId, so an id read from it is one resolvePort takes; a registry from a
// file or text has string ids. Checked by the compiler (`tsc -b`); the
// expectations below also run.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { loadRegistry, parseRegistry, type Registry, type ReservedRange, type Service, type ServiceId } from '../src/index.js';
import { bundledRegistryInstance } from '../src/load.js';
import { minimalRegistry } from './helpers.js';

describe('service ids as types', () => {
  it("the bundled registry's services, lookup() and service() give ServiceId, which resolvePort takes", async () => {
    // What loadRegistry() gives unless $DSA110_PORTS_FILE is set (whatever this test's environment holds).
    const registry = bundledRegistryInstance();
    expect(await loadRegistry({ env: {} })).toBe(registry);
    expectTypeOf(registry.services).toEqualTypeOf<readonly Service<ServiceId>[]>();
    const ports = registry.services.map((service) => registry.resolvePort(service.id).port);
    expect(ports).toHaveLength(registry.services.length);
    const owner = registry.lookup(8000);
    expectTypeOf(owner).toEqualTypeOf<Service<ServiceId> | ReservedRange<ServiceId> | undefined>();
    if (owner?.kind !== 'service') throw new Error('8000 is a service');
    expect(registry.resolvePort(owner.id).port).toBe(8000);
    expectTypeOf(registry.service('api').id).toEqualTypeOf<ServiceId>();
    // And a Service of ServiceId is a Service (of string ids), for code that takes any registry's.
    const service: Service = registry.service('api');
    expect(service.id).toBe('api');
  });

  it('loadRegistry() is typed by the bundled ids; a path, or an env that may name another file, by string ids', () => {
    // Types only: nothing here is called.
    expectTypeOf(() => loadRegistry()).returns.resolves.toEqualTypeOf<Registry<ServiceId>>();
    expectTypeOf(() => loadRegistry({ env: { DSA110_PORTS_FILE: '/etc/dsa110/ports.yaml' } })).returns.resolves.toEqualTypeOf<Registry>();
    expectTypeOf(() => loadRegistry({ env: process.env })).returns.resolves.toEqualTypeOf<Registry>();
    expectTypeOf(() => loadRegistry({ path: 'ports.yaml' })).returns.resolves.toEqualTypeOf<Registry>();
  });

  it("a reserved range names the services it is kept for with the registry's ids, which resolvePort takes without a cast", () => {
    const registry = bundledRegistryInstance();
    const alt = registry.lookup(8010);
    if (alt?.kind !== 'reserved') throw new Error('8010 is reserved');
    expectTypeOf(alt.for).toEqualTypeOf<readonly ServiceId[]>();
    expect(registry.resolvePort(alt.for[0]!, { env: {} })).toEqual({ port: 8000, source: 'registry' });
    expectTypeOf(parseRegistry(minimalRegistry).reserved[0]!.for).toEqualTypeOf<readonly string[]>();
  });

  it('a registry from text has string ids, taken by its own methods and not as ServiceId', () => {
    const custom = parseRegistry(minimalRegistry);
    expectTypeOf(custom.services[0]!.id).toEqualTypeOf<string>();
    for (const service of custom.services) custom.resolvePort(service.id);
    // @ts-expect-error: an id of a registry from text is any string, not a ServiceId
    const id: ServiceId = custom.services[0]!.id;
    expect(custom.ids).toContain(id);
  });
});
