// `skiff server`: assembles the control plane. A short linear list of start-up steps, each
// failing with context; no logic of its own beyond composition.
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { TokenAuthenticator } from '../apiserver/auth.js';
import type { Client } from '../client/client.js';
import { HttpClient } from '../client/http-client.js';
import { writeFileAtomic } from '../apiserver/atomic-file.js';
import { trackManagedFields } from '../apiserver/patch/managed-fields-observer.js';
import { ensureKubeletClientMaterial, ensureServingMaterial } from '../apiserver/pki.js';
import { ApiServer } from '../apiserver/server.js';
import { schemaLookup } from '../api/openapi/definitions.js';
import { RegistrySet, firstServiceIP } from '../registry/registry-set.js';
import { Compactor } from '../storage/compactor.js';
import { openStore } from '../storage/open.js';
import type { Store } from '../storage/store.js';
import type { ServerFlags } from './flags.js';
import { leaseRenewIntervalFor } from '../kubelet/node-lease.js';
import type { ControlLoops, ControlLoopsSpec } from './control-loops.js';
import type { RunningAgent } from './agent.js';
import { writeKubeconfig } from './kubeconfig.js';
import { advertiseAddress, keepKubernetesEndpoints } from './kubernetes-endpoints.js';
import { localNodeIP } from '../kubelet/machine-info.js';
import { startIdleHeapTrim } from './idle-heap-trim.js';
import { capYoungGeneration } from './young-generation-cap.js';
import { nodeCidrShortage } from './node-cidr-room.js';
import { KeyExpiry } from '../storage/key-expiry.js';
import { resourcePrefix } from '../registry/keys.js';
import { lastEventWrite } from '../registry/resources/event-time.js';

export interface RunningServer {
  readonly port: number;
  /** a client for components inside this process: in-memory connections, full API semantics */
  readonly inProcessClient: (userAgent?: string) => Client & { close(): void };
  readonly kubeconfigPath: string;
  readonly store: Store;
  readonly registries: RegistrySet;
  stop(): Promise<void>;
}

function step<T>(what: string, f: () => Promise<T> | T): Promise<T> {
  return Promise.resolve()
    .then(f)
    .catch((e: unknown) => {
      throw new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    });
}

function storeURL(flags: ServerFlags): string {
  if (flags.storage === 'memory') return 'memory://';
  if (flags.storage === 'sqlite') return `sqlite://${join(flags.dataDir, 'server', 'db', 'state.db')}`;
  return flags.storage;
}

/** Every address of this machine the serving certificate must cover. */
function localAddresses(): string[] {
  const ips = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) ips.add(a.address.split('%')[0]);
  return [...ips];
}

export async function startServer(flags: ServerFlags, log: (line: string) => void = () => {}): Promise<RunningServer> {
  const lifetime = new AbortController();
  setMaxListeners(0, lifetime.signal); // every informer and controller listens for the end
  // Before start-up allocates much: V8 grows the young generation from its first collections on.
  // Not with a worker thread: V8's flags are per process, so the cap would also stop the worker's
  // young generation from growing (at whatever size it has when the main thread reaches the cap).
  if (!flags.controlLoopsThread) capYoungGeneration(lifetime.signal);
  const serverDir = join(flags.dataDir, 'server');
  const kubeconfigPath = join(flags.dataDir, 'kubeconfig.yaml');
  await step('preparing the data directory', () => {
    mkdirSync(join(serverDir, 'db'), { recursive: true, mode: 0o700 });
    rmSync(kubeconfigPath, { force: true }); // a stale kubeconfig must never look like a ready server
  });

  const token = await step('loading the admin token', () => {
    const f = join(serverDir, 'token');
    if (existsSync(f)) return readFileSync(f, 'utf8').trim();
    const t = randomBytes(24).toString('hex');
    writeFileAtomic(f, `${t}\n`, 0o600);
    return t;
  });

  const store = await step(`opening the store (${flags.storage})`, () => openStore(storeURL(flags)));
  const config = {
    serviceCIDR: flags.serviceCIDR,
    clusterCIDR: flags.clusterCIDR,
    nodePortRange: flags.nodePortRange,
    defaultTolerationSeconds: flags.defaultTolerationSeconds,
  };
  const registries = await step('building the registries', () => RegistrySet.open({ store, config, onWrite: trackManagedFields(schemaLookup) }));

  const tls = await step('preparing TLS certificates', () =>
    ensureServingMaterial(
      join(serverDir, 'tls'),
      ['localhost', hostname(), 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      [...localAddresses(), firstServiceIP(flags.serviceCIDR)],
    ),
  );

  // The API server's identity towards kubelets (pods/log, exec, attach, portforward).
  const kubeletClientTLS = await step('preparing the kubelet client certificate', () => ensureKubeletClientMaterial(join(serverDir, 'tls')));

  // Never written anywhere: only components inside this process know it.
  const loopbackToken = randomBytes(24).toString('hex');
  let ready = false;
  const api = new ApiServer({
    host: flags.bind,
    port: flags.port,
    tls,
    kubeletClientTLS,
    authenticator: new TokenAuthenticator(
      new Map([
        [token, { name: 'admin', groups: ['system:masters', 'system:authenticated'] }],
        [loopbackToken, { name: 'system:apiserver', groups: ['system:masters', 'system:authenticated'] }],
      ]),
    ),
    registries,
    schemas: schemaLookup,
    storeRevision: () => store.currentRevision(),
    log,
    logRequests: flags.verbosity >= 4,
    ready: () => ready,
  });
  const port = await step(`listening on ${flags.bind}:${flags.port}`, () => api.start());
  await step('creating system namespaces', () => registries.bootstrap());

  const compactor = new Compactor(store);
  compactor.start(lifetime.signal);
  // Events live --event-ttl after their last write (kube-apiserver's --event-ttl: an etcd lease
  // per write; the stored ones from their own latest time); events.k8s.io Events are the same keys
  const eventExpiry = flags.eventTTLMs > 0 ? new KeyExpiry(store, { prefix: resourcePrefix({ group: '', plural: 'events' }), ttlMs: flags.eventTTLMs, writtenAt: lastEventWrite }) : undefined;
  if (eventExpiry) await step('timing Events', () => eventExpiry.start(lifetime.signal));
  startIdleHeapTrim(lifetime.signal, { log: flags.verbosity >= 2 ? log : undefined });

  const host = flags.bind === '0.0.0.0' || flags.bind === '::' ? '127.0.0.1' : flags.bind;
  await step('writing the kubeconfig', () => writeKubeconfig(kubeconfigPath, { server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, caPem: tls.caPem, token }));
  ready = true;

  // The control loops and simulated nodes talk to the API in-process, as they would from afar.
  const inProcess: { close(): void }[] = [];
  const inProcessClient = (userAgent: string) => {
    const http = new HttpClient({ server: 'http://in-process', token: loopbackToken, userAgent, connect: () => api.connectInProcess() });
    const c = api.inProcessClient(userAgent, http);
    inProcess.push(c);
    return c;
  };
  const client = (userAgent: string): Client & { close(): void } => inProcessClient(userAgent);
  // default/kubernetes' endpoint: this API server, where pods can reach it (kubernetes-endpoints.ts)
  const advertised = advertiseAddress(flags, localNodeIP);
  if (advertised) await keepKubernetesEndpoints({ client: client('skiff-apiserver'), ip: advertised, port, signal: lifetime.signal, log });
  else log(`skiff: the API listens on ${flags.bind} only: pods cannot reach it through the kubernetes Service (no endpoint published)`);
  // The controller manager, the scheduler and the simulated nodes: on this thread, or in a worker
  // thread (another core) whose API calls come back here.
  let loops: ControlLoops | undefined;
  if (!flags.disableControllers || flags.simulatedNodes > 0) {
    // Loaded only when used: an API-only server stays small.
    const { parseNodeCapacity } = await import('../kubelet/simulated-nodes.js');
    const spec: ControlLoopsSpec = {
      controllers: flags.disableControllers ? undefined : { clusterCIDR: flags.clusterCIDR, nodeCIDRMaskSize: flags.nodeCIDRMaskSize, nodeMonitorGracePeriodMs: flags.nodeMonitorGracePeriodMs, lbPool: flags.lbPool },
      scheduler: flags.disableControllers ? undefined : { verbosity: flags.verbosity },
      simulatedNodes:
        flags.simulatedNodes > 0
          ? {
              count: flags.simulatedNodes,
              capacity: parseNodeCapacity(flags.simulatedNodeCapacity),
              leaseRenewIntervalMs: leaseRenewIntervalFor(flags.nodeMonitorGracePeriodMs),
              // the pods outlive a restart only in a store that does
              ...(flags.storage === 'sqlite' ? { stateFile: join(serverDir, 'simulated-nodes.json') } : {}),
            }
          : undefined,
    };
    const what = [...(spec.controllers ? ['controllers', 'scheduler'] : []), ...(spec.simulatedNodes ? [`${spec.simulatedNodes.count} simulated nodes`] : [])].join(', ');
    if (spec.controllers && flags.simulatedNodes > 0) {
      const nodes = flags.simulatedNodes + (flags.disableAgent ? 0 : 1);
      const shortage = nodeCidrShortage(flags.clusterCIDR, flags.nodeCIDRMaskSize, nodes, `${flags.simulatedNodes} simulated nodes${flags.disableAgent ? '' : " and this machine's node"}`);
      if (shortage) log(shortage);
    }
    const componentLog = flags.verbosity >= 2 ? log : undefined;
    if (flags.controlLoopsThread) {
      const { startComponentsThread } = await import('./components-thread.js');
      // results as JSON text: parsed in the thread, not here
      loops = await step(`starting ${what} in a worker thread`, () => startComponentsThread({ client: (ua) => inProcessClient(ua).withJSONResults().takingWrittenObjects(), spec, log, componentLogs: componentLog !== undefined }));
      log(`skiff: ${what} run in a worker thread`);
    } else {
      const { startControlLoops } = await import('./control-loops.js');
      loops = await step(`starting ${what}`, () => startControlLoops(spec, client, componentLog));
    }
  }

  let agent: RunningAgent | undefined;
  if (!flags.disableAgent) {
    const { agentUnavailable, startAgent } = await import('./agent.js');
    const why = agentUnavailable(flags.containerRuntime);
    if (why) log(`skiff: no node on this machine: ${why}`);
    else agent = await startAgent({ flags, client: client('kubelet/skiff'), tlsDir: join(serverDir, 'tls'), log });
  }

  let stopped: Promise<void> | undefined;
  return {
    port,
    inProcessClient: (userAgent = 'skiff') => client(userAgent),
    kubeconfigPath,
    store,
    registries,
    stop: () =>
      (stopped ??= (async () => {
        await agent?.stop();
        await loops?.stop();
        lifetime.abort();
        await compactor.stop();
        await eventExpiry?.stop();
        for (const c of inProcess) c.close();
        await api.stop();
        await store.close();
      })()),
  };
}
