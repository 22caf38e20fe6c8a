// Which revisions a read or a watch may ask for, given the kept history: the checks every driver
// makes before touching its data, with the errors the apiserver turns into 410 Gone (compacted)
// and "too large resource version" (future).
import { CompactedError, FutureRevisionError } from './store.js';

/** A list at `revision` needs the state at that revision: compacted <= revision <= current. */
export function checkReadRevision(revision: number, compacted: number, current: number): void {
  if (!Number.isInteger(revision) || revision < 0) {
    throw new RangeError(`revision: expected a non-negative integer, got ${revision}`);
  }
  if (revision > current) throw new FutureRevisionError(revision, current);
  if (revision < compacted) throw new CompactedError(revision, compacted);
}

/** A watch after `afterRevision` needs every event from afterRevision + 1 on. */
export function checkWatchRevision(afterRevision: number, compacted: number, current: number): void {
  if (!Number.isInteger(afterRevision) || afterRevision < 0) {
    throw new RangeError(`afterRevision: expected a non-negative integer, got ${afterRevision}`);
  }
  if (afterRevision > current) throw new FutureRevisionError(afterRevision, current);
  if (afterRevision < compacted - 1) throw new CompactedError(afterRevision, compacted);
}

/** ListOptions.limit: undefined or 0 means no limit. */
export function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new RangeError(`limit: expected a non-negative integer, got ${limit}`);
  }
}
