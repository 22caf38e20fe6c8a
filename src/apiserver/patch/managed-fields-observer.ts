// Keeps metadata.managedFields current on every write that is not a server-side apply (which
// records its own Apply entry): the fields a create/update/patch changed become owned by its
// field manager, with operation Update. Plugged into the registry as its WriteObserver.
import type { SchemaLookup } from '../../api/openapi/schema-lookup.js';
import { parseGroupVersion } from '../../api/resources.js';
import type { WriteObserver } from '../../registry/generic-registry.js';
import { updateManagedFields } from './managed-fields.js';

export function trackManagedFields(schemas: SchemaLookup, now: () => Date = () => new Date()): WriteObserver {
  return (oldObj, newObj, info) => {
    if (info.operation === 'Apply') return;
    // pods/binding writes the pod straight to storage in Kubernetes (BindingREST), past the field
    // manager: a bound pod gets no entry for the scheduler, and spec.nodeName has no owner.
    if (info.subresource === 'binding') return;
    const apiVersion = typeof newObj.apiVersion === 'string' ? newObj.apiVersion : 'v1';
    const { group, version } = parseGroupVersion(apiVersion);
    const schema = typeof newObj.kind === 'string' ? schemas.forKind(group, version, newObj.kind) : undefined;
    updateManagedFields(oldObj, newObj, {
      manager: info.manager,
      operation: 'Update',
      apiVersion,
      now: now(),
      subresource: info.subresource === 'finalize' ? undefined : info.subresource,
      schema,
    });
  };
}
