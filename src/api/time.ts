// Kubernetes' timestamps (metav1.Time): RFC 3339 in UTC with whole seconds.

/**
 * `2024-05-01T12:00:00Z` for a time in milliseconds since the epoch or a Date. Timestamps come
 * many per second (writes, events, statuses): the text of the last second is kept and reused.
 */
export function rfc3339(at: number | Date): string {
  const second = Math.floor((typeof at === 'number' ? at : at.getTime()) / 1000);
  if (second !== last.second) last = { second, text: `${new Date(second * 1000).toISOString().slice(0, 19)}Z` };
  return last.text;
}

let last = { second: NaN, text: '' };
