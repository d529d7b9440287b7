// Reading registry data in a process whose Object.prototype another module polluted (a deep merge
// of untrusted JSON sets `Object.prototype.port = 8080`): an optional key an entry leaves out
// must read as absent, never as what every object inherits. The Registry reads the data it is
// given (the bundled registry, a cache entry, a caller's), and its own services, with own(), so its
// answers are a clean process's. The objects it hands out are ordinary ones: a caller's read of a
// key one lacks goes through Object.prototype, as for any object.

/** `object[key]` when it is the object's own property, else undefined (never one inherited through a prototype). */
export function own<T extends object, K extends keyof T>(object: T, key: K): T[K] | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}
