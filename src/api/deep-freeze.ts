// deepFreeze: makes a value read-only all the way down, for objects that many readers share (one
// parsed object per stored revision, handed to every informer of a thread). Pure, no I/O.

/**
 * Freezes `o` and everything reachable from it (already frozen parts are left as they are, so
 * cycles end); returns `o`. Meant for JSON values: plain objects and arrays.
 */
export function deepFreeze<T>(o: T): T {
  if (typeof o !== 'object' || o === null || Object.isFrozen(o)) return o;
  Object.freeze(o); // first: a cycle ends at the frozen check
  // for...in and an index loop instead of Object.values: no array of values per object (half the cost on a parsed pod)
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) deepFreeze(o[i]);
  } else {
    for (const k in o) deepFreeze((o as Record<string, unknown>)[k]);
  }
  return o;
}
