// The path and query of an HTTP request-target, as `new URL(target, base)` gives them, without
// building a URL for the common target (most requests are plain paths with a short query).

/** Path characters that need none of URL's normalization: no `%`, `\`, `#`, spaces or non-ASCII. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

export interface RequestTarget {
  readonly pathname: string;
  readonly searchParams: URLSearchParams;
}

/**
 * `target` (req.url) split into its pathname and query. A plain path that can hold no dot
 * segment (`/.`) nor an empty segment (`//`) is taken as is; anything else goes through URL,
 * which resolves dot segments and percent-encodes what needs it, exactly as before.
 */
export function parseRequestTarget(target: string | undefined): RequestTarget {
  const t = target ?? '/';
  const q = t.indexOf('?');
  const path = q < 0 ? t : t.slice(0, q);
  if (PLAIN_PATH.test(path) && !path.includes('/.') && !path.includes('//') && (q < 0 || !t.includes('#', q))) {
    return { pathname: path, searchParams: new URLSearchParams(q < 0 ? '' : t.slice(q + 1)) };
  }
  const url = new URL(t, 'https://skiff');
  return { pathname: url.pathname, searchParams: url.searchParams };
}
