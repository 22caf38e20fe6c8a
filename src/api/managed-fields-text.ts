// An object's JSON text without metadata.managedFields, cut out of the text instead of parsed and
// encoded again. Informers of the scheduler and the controllers drop managedFields (as
// kube-scheduler's and kube-controller-manager's do), and parsing them is about half the cost of
// parsing a pod (1.6 of its 3.8 KB, and most of its objects): cutting them out of the text before
// it is parsed saves that.
//
// How: the top-level metadata is walked member by member (strings skipped with indexOf) until its
// `managedFields` member; that array holds no array (entries are objects, fieldsV1 nested
// objects), so the first `]` after it closes it unless a string in it holds a `]`. The cut is made
// only when that `]` is followed by the `}` that closes metadata and then `,"` (the next
// top-level member) or the end of the text, which no string can hold — so it needs managedFields
// to be metadata's last member, as the API server stores objects (registry/codec.ts) and as
// Kubernetes' ObjectMeta orders it. Any other text is returned as it is (callers then drop
// managedFields after parsing, as before).

const METADATA = '"metadata":{';
const MEMBER = '"managedFields":[';

/** `json` without metadata.managedFields when the cut is certain; else `json` itself. */
export function withoutManagedFieldsText(json: string): string {
  const meta = json.indexOf(METADATA);
  if (meta < 0) return json;
  const start = memberStart(json, meta + METADATA.length);
  if (start < 0 || json.charCodeAt(start - 1) !== 44 /* , */) return json;
  const close = json.indexOf(']', start + MEMBER.length);
  if (close < 0 || json.charCodeAt(close + 1) !== 125 /* } */) return json;
  const next = json.charCodeAt(close + 2);
  const certain = (next === 44 /* , */ && json.charCodeAt(close + 3) === 34) /* " */ || (next === 125 /* } */ && close + 3 === json.length);
  return certain ? json.slice(0, start - 1) + json.slice(close + 1) : json;
}

/** Where the `"managedFields":[` member of the object whose members start at `i` starts; -1 when it has none (or the text ends first). */
function memberStart(json: string, i: number): number {
  let depth = 1;
  while (i < json.length) {
    const c = json.charCodeAt(i);
    if (c === 34 /* " */) {
      if (depth === 1 && json.startsWith(MEMBER, i)) return i;
      i = stringEnd(json, i);
      if (i < 0) return -1;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (--depth === 0) return -1;
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
