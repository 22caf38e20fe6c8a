// The cluster objects a pod's containers and volumes read besides the pod itself: ConfigMaps and
// Secrets (env, envFrom, configMap/secret/projected volumes) and the Services of the pod's
// namespace (service environment variables). ConfigMaps and Secrets are read through the kubelet's
// client with a GET only when a pod references them, so nodes whose pods reference nothing make no
// extra request (simulated nodes stay cheap); each call reads the API afresh (the kubelet calls them
// when it starts a container and on every pod sync: volume refresh, at least every minute).
// Services come from a watch-fed cache when one is given (as the real kubelet's service lister:
// no LIST per container start), else from a LIST per call.
import type { ConfigMap, Secret, Service } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import type { Client } from '../client/client.js';
import { resourceInfo } from '../client/client.js';
import { Informer } from '../client/informer.js';

const CONFIGMAPS = resourceInfo('', 'v1', 'configmaps');
const SECRETS = resourceInfo('', 'v1', 'secrets');
export const SERVICES = resourceInfo('', 'v1', 'services');

/** Reads objects a pod references. `undefined`: the object does not exist; other failures reject. */
export interface PodObjects {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  secret(namespace: string, name: string): Promise<Secret | undefined>;
  /** every Service of the namespace */
  services(namespace: string): Promise<Service[]>;
}

/** PodObjects through a Client (a GET per call; services: the informer's cache, or a LIST per call without one). */
export class ClientPodObjects implements PodObjects {
  /**
   * `services`: an informer of every namespace's Services (started by the caller); a call waits
   * for its first list, and LISTs instead when it stops before that
   */
  constructor(
    private readonly client: Client,
    private readonly opts: { services?: Informer<Service & KubeObject> } = {},
  ) {}

  configMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return this.getOrUndefined(CONFIGMAPS, namespace, name);
  }

  secret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.getOrUndefined(SECRETS, namespace, name);
  }

  async services(namespace: string): Promise<Service[]> {
    const inf = this.opts.services;
    // the cache's own objects: callers only read them
    if (inf && (inf.hasSynced() || (await inf.waitForSync()))) return inf.lister.listInNamespace(namespace);
    return (await this.client.list<Service & KubeObject>(SERVICES, namespace)).items;
  }

  private async getOrUndefined<T>(info: typeof CONFIGMAPS, namespace: string, name: string): Promise<T | undefined> {
    try {
      return (await this.client.get<T & KubeObject>(info, namespace, name)) as T;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}

/** PodObjects from fixed lists (tests). */
export class StaticPodObjects implements PodObjects {
  constructor(private readonly objects: { configMaps?: ConfigMap[]; secrets?: Secret[]; services?: Service[] }) {}

  async configMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return this.objects.configMaps?.find((o) => o.metadata?.namespace === namespace && o.metadata?.name === name);
  }

  async secret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.objects.secrets?.find((o) => o.metadata?.namespace === namespace && o.metadata?.name === name);
  }

  async services(namespace: string): Promise<Service[]> {
    return (this.objects.services ?? []).filter((o) => o.metadata?.namespace === namespace);
  }
}

/** The bytes of every key of a Secret (data is base64; stringData, if a server left it, wins). */
export function secretData(secret: Secret): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(secret.data ?? {})) out.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  return out;
}

/** The bytes of every key of a ConfigMap (data as UTF-8, binaryData base64). */
export function configMapData(cm: ConfigMap): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}
