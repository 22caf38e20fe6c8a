// The one call the namespace controller needs that the Client contract does not have yet:
// PUT /api/v1/namespaces/NAME/finalize (client-go's Namespaces().Finalize). Only that
// subresource may change spec.finalizers; `update` keeps them and `patch` has no `finalize`
// subresource. Until src/client offers it, the controller uses a client that has a
// `finalizeNamespace` method, or a function given in its options (see README.md).
import type { KubeObject } from '../../api/object.js';
import type { Client, WriteOptions } from '../../client/client.js';

/** What src/client should add to Client (HttpClient: `this.put(NAMESPACES, obj, 'finalize', opts)`). */
export interface NamespaceFinalizeCall {
  /**
   * PUT /api/v1/namespaces/NAME/finalize with `obj` (NAME from obj.metadata.name): replaces
   * spec.finalizers, nothing else; compare-and-swap when obj.metadata.resourceVersion is set.
   * The server removes a terminating namespace once its finalizers are empty.
   */
  finalizeNamespace(obj: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
}

export type FinalizeNamespace = (obj: KubeObject) => Promise<unknown>;

function canFinalize(client: Client): client is Client & NamespaceFinalizeCall {
  return 'finalizeNamespace' in client && typeof client.finalizeNamespace === 'function';
}

/** The client's finalize call, if it has one. */
export function finalizeFrom(client: Client): FinalizeNamespace | undefined {
  return canFinalize(client) ? (obj) => client.finalizeNamespace(obj) : undefined;
}
