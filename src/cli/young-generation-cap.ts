// Caps V8's young generation (the two semi-spaces scavenges copy between) for a process that
// was not started with --max-semi-space-size. V8 sizes the young generation when the process
// starts (up to 16 MiB per semi-space on a 64-bit machine with enough memory, 32 MiB resident
// after the first burst of requests) and node only takes that limit as a command-line flag, which
// `skiff server` cannot count on (the bin, npm start, tests and benchmarks start it in different
// ways). What V8 does read at run time is the factor by which the young generation grows: this
// watches every collection and sets that factor to 1 (no growth) while the young generation is
// at or above the cap, and back to V8's default of 2 when V8 has shrunk it below (V8 shrinks it
// when allocation goes quiet), so it behaves as --max-semi-space-size=capMiB.
//
// Why 4 MiB per semi-space: bench:api (10,000 pod creates at concurrency 32, SQLite) measured
// the same server CPU per create with 4 MiB as with 16 MiB (0.59/0.64 ms vs 0.58/0.63 ms,
// alternated runs) and 24 MiB less RSS; 1 MiB cost a third more CPU (0.80 ms).
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** Default cap, MiB per semi-space. */
export const DEFAULT_SEMI_SPACE_CAP_MIB = 4;

/** V8's own --semi-space-growth-factor. */
const V8_GROWTH_FACTOR = 2;

/** The young generation's current size (both semi-spaces), bytes. */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Keeps the young generation at most 2 × semiSpaceMiB until `signal` aborts. Does nothing when
 * node was started with --max-semi-space-size or --semi-space-growth-factor (the operator chose).
 * The growth factor is a process-wide V8 flag: in a process with worker threads it would stop
 * their young generations from growing too, so use it only in a process without them.
 */
export function capYoungGeneration(signal: AbortSignal, semiSpaceMiB = DEFAULT_SEMI_SPACE_CAP_MIB): void {
  if (process.execArgv.some((a) => /^--(max[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)\b/.test(a))) return;
  if (signal.aborted) return;
  const cap = 2 * semiSpaceMiB * 2 ** 20;
  let held = false;
  const check = () => {
    const atCap = youngGenerationBytes() >= cap;
    if (atCap === held) return;
    held = atCap;
    setFlagsFromString(`--semi-space-growth-factor=${atCap ? 1 : V8_GROWTH_FACTOR}`);
  };
  // V8 grows the young generation only after a scavenge in which survivors since the last growth
  // outgrew it, and node reports collections after the current turn of the event loop: in short
  // turns (a server's requests) it stops at the cap; one long synchronous stretch that grows it
  // several times can overshoot by those steps (it then stays where it got to).
  const observer = new PerformanceObserver(check);
  observer.observe({ entryTypes: ['gc'] });
  check();
  signal.addEventListener(
    'abort',
    () => {
      observer.disconnect();
      if (held) setFlagsFromString(`--semi-space-growth-factor=${V8_GROWTH_FACTOR}`);
    },
    { once: true },
  );
}
