// A container's environment, resolved as Kubernetes' makeEnvironmentVariables does:
// 1. envFrom sources in order (configMapRef / secretRef, each key with the source's prefix); keys
//    that are not valid variable names are skipped and reported (InvalidEnvironmentVariableNames);
// 2. env in order, overriding: `value` with `$(VAR)` expanded against the variables so far and the
//    service variables; `valueFrom` configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef;
// 3. the service variables (service-env.ts) not already defined.
// A missing ConfigMap/Secret/key that is not optional fails with a RuntimeError reason
// CreateContainerConfigError and Kubernetes' message (`configmap "x" not found`,
// `couldn't find key k in ConfigMap ns/x`). Reads go through PodObjects, only for what is referenced.
import type { Container, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { KeyValue } from '../runtime/runtime.js';
import { RuntimeError } from '../runtime/runtime.js';
import type { PodFieldContext } from './field-ref.js';
import { containerResourceValue, podFieldValue } from './field-ref.js';
import type { PodObjects } from './pod-objects.js';
import { configMapData, secretData } from './pod-objects.js';
import { MASTER_SERVICE_NAMESPACE, serviceEnvVars, servicesForPod } from './service-env.js';
import { expandVars, lookupIn } from './var-expansion.js';

export const CREATE_CONTAINER_CONFIG_ERROR = 'CreateContainerConfigError';

/** Kubernetes' IsEnvVarName. */
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export interface EnvContext extends PodFieldContext {
  readonly objects: PodObjects;
  /** the node's allocatable (limits a container does not set) */
  readonly allocatable: Readonly<Record<string, string>>;
  /** add service variables (real nodes); false: none at all (simulated nodes) */
  readonly serviceEnv: boolean;
  /** a Warning event about the pod (InvalidEnvironmentVariableNames) */
  readonly warn?: (reason: string, message: string) => void;
}

function configError(message: string): RuntimeError {
  return new RuntimeError(CREATE_CONTAINER_CONFIG_ERROR, message);
}

/** Resolves the container's env. Rejects with a CreateContainerConfigError RuntimeError. */
export async function resolveEnv(pod: Pod, container: Container, ctx: EnvContext): Promise<KeyValue[]> {
  const ns = pod.metadata?.namespace ?? '';
  const configMaps = new Map<string, Map<string, Buffer> | undefined>();
  const secrets = new Map<string, Map<string, Buffer> | undefined>();
  const configMap = async (name: string) => {
    if (!configMaps.has(name)) {
      const cm = await ctx.objects.configMap(ns, name);
      configMaps.set(name, cm && configMapData(cm));
    }
    return configMaps.get(name);
  };
  const secret = async (name: string) => {
    if (!secrets.has(name)) {
      const s = await ctx.objects.secret(ns, name);
      secrets.set(name, s && secretData(s));
    }
    return secrets.get(name);
  };

  let serviceEnv = new Map<string, string>();
  if (ctx.serviceEnv) {
    const links = pod.spec?.enableServiceLinks !== false;
    const own: Service[] = links ? await ctx.objects.services(ns) : [];
    const defaults = ns === MASTER_SERVICE_NAMESPACE && links ? own : await ctx.objects.services(MASTER_SERVICE_NAMESPACE);
    serviceEnv = serviceEnvVars(servicesForPod(links, own, defaults));
  }

  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const isCM = from.configMapRef !== undefined;
    const name = ref.name ?? '';
    const data = isCM ? await configMap(name) : await secret(name);
    if (!data) {
      if (ref.optional) continue;
      throw configError(`${isCM ? 'configmap' : 'secret'} "${name}" not found`);
    }
    const invalid: string[] = [];
    for (const [k, v] of data) {
      const key = (from.prefix ?? '') + k;
      if (!ENV_VAR_NAME.test(key)) invalid.push(key);
      else env.set(key, v.toString('utf8'));
    }
    if (invalid.length) {
      ctx.warn?.(
        'InvalidEnvironmentVariableNames',
        `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${isCM ? 'configMap' : 'secret'} ${ns}/${name} were skipped since they are considered invalid environment variable names.`,
      );
    }
  }

  for (const v of container.env ?? []) {
    let value = v.value ?? '';
    if (value !== '') value = expandVars(value, lookupIn(env, serviceEnv));
    else if (v.valueFrom) {
      const from = v.valueFrom;
      if (from.configMapKeyRef || from.secretKeyRef) {
        const isCM = from.configMapKeyRef !== undefined;
        const ref = (from.configMapKeyRef ?? from.secretKeyRef)!;
        const name = ref.name ?? '';
        const data = isCM ? await configMap(name) : await secret(name);
        if (!data) {
          if (ref.optional) continue;
          throw configError(`${isCM ? 'configmap' : 'secret'} "${name}" not found`);
        }
        const got = data.get(ref.key);
        if (got === undefined) {
          if (ref.optional) continue;
          throw configError(`couldn't find key ${ref.key} in ${isCM ? 'ConfigMap' : 'Secret'} ${ns}/${name}`);
        }
        value = got.toString('utf8');
      } else if (from.fieldRef) {
        try {
          value = podFieldValue(pod, from.fieldRef.fieldPath, ctx);
        } catch (e) {
          throw configError(e instanceof Error ? e.message : String(e));
        }
      } else if (from.resourceFieldRef) {
        const ref = from.resourceFieldRef;
        const target = ref.containerName ? ([...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === ref.containerName) ?? container) : container;
        try {
          value = containerResourceValue(target, ref.resource, ref.divisor, ctx.allocatable);
        } catch (e) {
          throw configError(e instanceof Error ? e.message : String(e));
        }
      }
    }
    env.set(v.name, value);
  }

  const out: KeyValue[] = [...env].map(([name, value]) => ({ name, value }));
  for (const [name, value] of serviceEnv) if (!env.has(name)) out.push({ name, value });
  return out;
}

/** `$(VAR)` in command and args expanded against the container's env (unknown references stay). */
export function expandCommand(args: readonly string[] | undefined, env: readonly KeyValue[]): string[] | undefined {
  if (!args) return undefined;
  const m = new Map(env.map((e) => [e.name, e.value]));
  return args.map((a) => expandVars(a, lookupIn(m)));
}
