// The payload of a configMap or secret volume (or projected source): every key as a file named
// after it, or only the listed items at their paths, with their modes. Kubernetes' wording for
// a listed key the object lacks: `configmap references non-existent config key: k`. Pure.
import type { KeyToPath } from 'kubernetes-types/core/v1.js';
import type { PayloadFile } from './atomic-writer.js';
import { fileMode } from './volume-plugin.js';

export function keysToPayload(
  kind: 'configmap' | 'secret',
  data: ReadonlyMap<string, Buffer>,
  items: readonly KeyToPath[] | undefined,
  defaultMode: number | undefined,
  optional: boolean,
  into: Map<string, PayloadFile> = new Map(),
): Map<string, PayloadFile> {
  if (!items?.length) {
    for (const [k, v] of data) into.set(k, { data: v, mode: fileMode(undefined, defaultMode) });
    return into;
  }
  for (const item of items) {
    const v = data.get(item.key);
    if (v === undefined) {
      if (optional) continue;
      throw new Error(`${kind} references non-existent ${kind === 'configmap' ? 'config' : 'secret'} key: ${item.key}`);
    }
    into.set(item.path, { data: v, mode: fileMode(item.mode, defaultMode) });
  }
  return into;
}
