// Gives memory back when the server goes quiet after a burst of work, as Go's scavenger does for
// the Kubernetes API server: V8 keeps the garbage of a burst (and a grown young generation) in
// the heap until its own memory reducer notices idleness, tens of seconds later. Every
// `checkMs` this looks at the event loop's utilisation; once the loop has been nearly idle for
// `idleMs` and the heap has grown by at least `growthBytes` since the last trim, it runs one full,
// compacting garbage collection: a plain full collection frees only the pages left entirely
// empty, and after a burst most old-space pages hold a few survivors each (10,000 stored pods
// kept 74 MiB of old space for 45 MiB of live objects); compaction moves the survivors together
// and gives every other page back (the freed pages leave RSS shortly after, from a V8 background
// task). Costs nothing while busy (it never collects under load) and nothing when idle without
// growth; the compaction pauses the loop (it copies the live heap), which is why it waits for a
// quiet second, and why large heaps only get a plain full collection.
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleHeapTrimOptions {
  /** how often to look; default 250 ms */
  readonly checkMs?: number;
  /** how long the loop must have been quiet; default 1 s */
  readonly idleMs?: number;
  /** event-loop utilisation below which a check counts as quiet; default 0.05 */
  readonly quietUtilization?: number;
  /** heap growth since the last trim that makes a trim worth it; default 32 MiB */
  readonly growthBytes?: number;
  /**
   * used heap up to which the trim compacts; above it a plain full collection (V8 compacts the
   * fragmented pages it chooses) keeps the pause short. Default 256 MiB: compaction copies the
   * live heap, ~2-3 times a plain collection's pause (45 MiB live: tens of ms on a quiet machine).
   */
  readonly compactBelowBytes?: number;
  /** told about each trim */
  readonly log?: (line: string) => void;
}

type Collect = () => void;

let collect: Collect | undefined;
/** V8's full collection, made reachable without starting node with --expose-gc. */
function fullCollection(): Collect {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as Collect;
  }
  return collect;
}

/**
 * One full collection that compacts the whole old generation. V8 reads --compact-on-every-full-gc
 * when a collection starts, so the flag is on for this one collection only (unless node was
 * started with it, which leaves it on).
 */
export function compactingCollection(): void {
  const gc = fullCollection();
  if (process.execArgv.includes('--compact-on-every-full-gc')) return gc();
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/** Starts trimming until `signal` aborts. */
export function startIdleHeapTrim(signal: AbortSignal, opts: IdleHeapTrimOptions = {}): void {
  const checkMs = opts.checkMs ?? 250;
  const idleChecks = Math.max(1, Math.ceil((opts.idleMs ?? 1000) / checkMs));
  const quiet = opts.quietUtilization ?? 0.05;
  const growth = opts.growthBytes ?? 32 * 2 ** 20;
  const compactBelow = opts.compactBelowBytes ?? 256 * 2 ** 20;
  const gc = fullCollection();
  let baseline = process.memoryUsage().heapTotal;
  let last = performance.eventLoopUtilization();
  let quietChecks = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    quietChecks = elu < quiet ? quietChecks + 1 : 0;
    if (quietChecks < idleChecks) return;
    const before = process.memoryUsage();
    const heap = before.heapTotal;
    if (heap < baseline + growth) return;
    const t0 = performance.now();
    if (before.heapUsed <= compactBelow) compactingCollection();
    else gc();
    const after = process.memoryUsage();
    baseline = after.heapTotal;
    quietChecks = 0;
    opts.log?.(`idle: heap ${Math.round(heap / 2 ** 20)} → ${Math.round(after.heapTotal / 2 ** 20)} MiB in ${Math.round(performance.now() - t0)} ms; RSS ${Math.round(after.rss / 2 ** 20)} MiB`);
  }, checkMs);
  timer.unref();
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}
