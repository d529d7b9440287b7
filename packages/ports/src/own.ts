// Reading registry data in a process whose Object.prototype another module polluted (a deep merge
// of untrusted JSON sets `Object.prototype.port = 8080`): an optional key an entry leaves out
// must read as absent, never as what every object inherits. The Registry reads the data it is
// given (the bundled registry, a cache entry, a caller's) with own(), and hands out objects made
// with bare(), which have no prototype, so a caller's `service.env` is the service's own or undefined.

/** `object[key]` when it is the object's own property, else undefined (never one inherited through a prototype). */
export function own<T extends object, K extends keyof T>(object: T, key: K): T[K] | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** `object`, a fresh literal, without a prototype: a key it lacks reads as undefined whatever Object.prototype holds. */
export function bare<T extends object>(object: T): T {
  return Object.setPrototypeOf(object, null) as T;
}
