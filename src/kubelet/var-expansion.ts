// `$(VAR)` references in env values, command and args, expanded as Kubernetes does
// (third_party/forked/golang/expansion): `$(NAME)` becomes the variable's value when it is
// defined and stays `$(NAME)` as written when not; `$$` is an escaped `$`; a `$` before anything
// else, or an unclosed `$(`, is kept as it is. Pure.

/** Looks a name up in the given maps, first hit wins; undefined: not defined. */
export type VarLookup = (name: string) => string | undefined;

export function expandVars(input: string, lookup: VarLookup): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') out += '$';
    else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close < 0) out += '$(';
      else {
        const name = rest.slice(1, close);
        out += lookup(name) ?? `$(${name})`;
        advance = close + 1;
      }
    } else out += `$${rest[0]}`;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** A lookup over maps in order (a container's env so far, then the service env). */
export function lookupIn(...maps: ReadonlyMap<string, string>[]): VarLookup {
  return (name) => {
    for (const m of maps) {
      const v = m.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}
