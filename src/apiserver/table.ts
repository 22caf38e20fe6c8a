// Server-side printing: meta.k8s.io Table responses, which `kubectl get` renders as the
// columns users know. Clients ask for them with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
import type { KubeObject } from '../api/object.js';
import type { TableConvertor } from '../registry/strategy.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** The Table version the client asked for (v1 or v1beta1), or undefined when it wants plain objects. */
export function tableVersion(accept: string | undefined): string | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const params = part.split(';').map((s) => s.trim());
    if (!params.includes('as=Table')) continue;
    if (!params.includes('g=meta.k8s.io')) continue;
    const v = params.find((p) => p.startsWith('v='))?.slice(2);
    if (v === 'v1' || v === 'v1beta1') return v;
  }
  return undefined;
}

export interface TableRowInput {
  readonly object: KubeObject;
}

export function buildTable(
  convertor: TableConvertor,
  objects: readonly KubeObject[],
  opts: { version: string; include: IncludeObject; resourceVersion?: string; continue?: string; remainingItemCount?: number; now: Date; noHeaders?: boolean },
): object {
  const rows = objects.map((o) => {
    const row: Record<string, unknown> = { cells: convertor.cells(o, opts.now) };
    if (opts.include === 'Object') row.object = o;
    else if (opts.include === 'Metadata') {
      row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
    }
    return row;
  });
  const metadata: Record<string, unknown> = {};
  if (opts.resourceVersion) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.version}`,
    metadata,
    ...(opts.noHeaders ? {} : { columnDefinitions: convertor.columns }),
    rows,
  };
}
