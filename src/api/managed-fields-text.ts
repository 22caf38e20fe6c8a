// An object's JSON text without metadata.managedFields, cut out of the text instead of parsed and
// encoded again. Informers of the scheduler and the controllers drop managedFields (as
// kube-scheduler's and kube-controller-manager's do), and parsing them is about half the cost of
// parsing a pod (1.6 of its 3.8 KB, and most of its objects): cutting them out of the text before
// it is parsed saves that.
//
// How: the top-level metadata is walked member by member (strings skipped with indexOf, brackets
// counted outside them) to its `managedFields` member, and that array to its closing bracket. The
// cut is made only when metadata closes right after it (managedFields is metadata's last member,
// as the API server stores objects, registry/codec.ts, and as Kubernetes' ObjectMeta orders it)
// and another member precedes it. Any other text — another layout, text that is not JSON — is
// returned as it is (callers then drop managedFields after parsing, as before).

const METADATA = '"metadata":{';
const MEMBER = '"managedFields":[';

/** `json` without metadata.managedFields when the cut is certain; else `json` itself. */
export function withoutManagedFieldsText(json: string): string {
  const meta = json.indexOf(METADATA);
  if (meta < 0) return json;
  // the member, at depth 1 of metadata
  const start = scan(json, meta + METADATA.length, 1, true);
  if (start < 0 || json.charCodeAt(start - 1) !== 44 /* , */) return json;
  // its array, from just inside its "[" to the bracket that closes it
  const close = scan(json, start + MEMBER.length, 1, false);
  if (close < 0 || json.charCodeAt(close + 1) !== 125 /* } */) return json;
  // and metadata is followed by another member or by the object's end (not by the text's end)
  const after = json.charCodeAt(close + 2);
  if (after !== 44 /* , */ && after !== 125 /* } */) return json;
  return json.slice(0, start - 1) + json.slice(close + 1);
}

/**
 * Walks JSON text from `i`, inside `depth` open brackets, skipping strings. With `findMember`:
 * where a `"managedFields":[` member starts at depth 1, -1 when the enclosing object closes first.
 * Without: where the bracket that closes the enclosing one is. -1 as well when the text ends.
 */
function scan(json: string, i: number, depth: number, findMember: boolean): number {
  while (i < json.length) {
    const c = json.charCodeAt(i);
    if (c === 34 /* " */) {
      if (findMember && depth === 1 && json.startsWith(MEMBER, i)) return i;
      i = stringEnd(json, i);
      if (i < 0) return -1;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (--depth === 0) return findMember ? -1 : i;
    }
    i++;
  }
  return -1;
}

/** The index of the quote that closes the string opening at `open`; -1 when none does. */
function stringEnd(json: string, open: number): number {
  let q = json.indexOf('"', open + 1);
  while (q > 0) {
    let backslashes = 0;
    while (json.charCodeAt(q - 1 - backslashes) === 92 /* \ */) backslashes++;
    if (backslashes % 2 === 0) return q;
    q = json.indexOf('"', q + 1);
  }
  return -1;
}
