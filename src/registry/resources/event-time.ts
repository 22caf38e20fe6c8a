// When a stored Event was last written, as near as its own times tell: the latest of its
// creationTimestamp, lastTimestamp, eventTime and series.lastObservedTime (a repeat updates
// lastTimestamp or the series). Read from the stored text without parsing it: the server times
// every stored Event this way at start (Event expiry, `--event-ttl`), and there may be 100,000.
const TIME_MEMBER = /"(?:creationTimestamp|lastTimestamp|eventTime|lastObservedTime)":"([^"]+)"/g;

/** ms since the epoch, or undefined when the text holds none of those times. */
export function lastEventWrite(stored: string): number | undefined {
  let latest: number | undefined;
  for (const m of stored.matchAll(TIME_MEMBER)) {
    const t = Date.parse(m[1]!);
    if (Number.isFinite(t) && (latest === undefined || t > latest)) latest = t;
  }
  return latest;
}
