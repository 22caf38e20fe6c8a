// Reads of an informer's cache as controllers make them: by namespace and name, or by selector.
// Returned objects are the cache's own: never mutate them (deepCopy first).
import type { Selector } from '../api/labels.js';
import type { KubeObject } from '../api/object.js';
import { NAMESPACE_INDEX, type Indexer } from './indexer.js';

export class Lister<T extends KubeObject = KubeObject> {
  constructor(private readonly indexer: Indexer<T>) {}

  /** Every cached object (that `selector` matches, when given). */
  list(selector?: Selector): T[] {
    return filter(this.indexer.list(), selector);
  }

  /** Cached objects in `namespace` (that `selector` matches, when given). */
  listInNamespace(namespace: string, selector?: Selector): T[] {
    return filter(this.indexer.byIndex(NAMESPACE_INDEX, namespace), selector);
  }

  /** The cached object, or undefined. `namespace` is ignored for cluster-scoped objects when empty. */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.indexer.getByName(namespace, name);
  }
}

function filter<T extends KubeObject>(objs: T[], selector: Selector | undefined): T[] {
  if (!selector || selector.empty) return objs;
  return objs.filter((o) => selector.matches(o.metadata?.labels));
}
