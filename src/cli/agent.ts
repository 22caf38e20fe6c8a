// The node agent of `skiff server` on this machine: a kubelet running pods as runc containers
// (src/runtime/runc) with images from the node's store (src/images) on the pod network
// (src/network), and the kubelet's HTTPS server for logs, exec, attach and port-forward. A short
// linear list of start-up steps, each failing with context; composition only.
//
// Needs root and runc/conmon/ip; without them the agent is not started and the reason is logged
// (the control plane runs on). The same composition runs as `skiff agent` on other machines later.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { ensureKubeletServingMaterial } from '../apiserver/pki.js';
import type { Client } from '../client/client.js';
import { EventRecorder } from '../client/event-recorder.js';
import { imageArchiveDir, imageStoreDir } from '../images/data-dir.js';
import { ImageStore } from '../images/image-store.js';
import { importImagesFromDir } from '../images/import-dir.js';
import { Kubelet } from '../kubelet/kubelet.js';
import { leaseRenewIntervalFor } from '../kubelet/node-lease.js';
import { allocatableFrom, localCapacity, localNodeIP } from '../kubelet/machine-info.js';
import { nodeProbeManager } from '../kubelet/probes/node-prober.js';
import { KubeletServer } from '../kubelet/server/kubelet-server.js';
import { checkBridgeForwarding } from '../network/bridge-netfilter.js';
import { HostPorts } from '../network/host-ports.js';
import { PodNetwork } from '../network/pod-network.js';
import type { ImageProvider } from '../runtime/runc/deps.js';
import { nativeMonitorPath } from '../runtime/runc/conmon.js';
import { ociRuntimePath, type OciRuntimeName } from '../runtime/runc/oci-runtimes.js';
import { ProcessHelper } from '../runtime/runc/process-helper.js';
import { RuncRuntime } from '../runtime/runc/runc-runtime.js';
import { hostPortTable, prepareAgentConfig } from './agent-config.js';
import { startServices } from './services-agent.js';
import { nodeResolvConf } from '../kubelet/dns-config.js';
import { kubeDnsClusterIP } from '../registry/resources/service-allocator.js';
import type { ServerFlags } from './flags.js';

export interface RunningAgent {
  readonly nodeName: string;
  readonly kubeletPort: number;
  /** stops the kubelet and its server; containers keep running (a restart adopts them) */
  stop(): Promise<void>;
}

const REQUIRED_BINARIES = ['/usr/bin/nsenter', '/usr/bin/unshare'];

/** Why the agent cannot run here with OCI runtime `runtime`, or undefined when it can. */
export function agentUnavailable(runtime: OciRuntimeName = 'runc'): string | undefined {
  if (process.platform !== 'linux') return 'the node agent runs on Linux only';
  if (process.getuid?.() !== 0) return 'the node agent needs root (runc containers, network namespaces); run skiff as root or pass --disable-agent';
  // conmon only where skiff's own monitor (native/container-monitor) was not built
  for (const b of [ociRuntimePath(runtime), nativeMonitorPath() ?? '/usr/bin/conmon', ...REQUIRED_BINARIES]) {
    try {
      accessSync(b, constants.X_OK);
    } catch {
      return `${b} is missing (npm start installs runc, crun and conmon as root on Debian, and builds skiff-monitor)`;
    }
  }
  return undefined;
}

function step<T>(what: string, f: () => Promise<T> | T): Promise<T> {
  return Promise.resolve()
    .then(f)
    .catch((e: unknown) => {
      throw new Error(`node agent: ${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    });
}

export async function startAgent(opts: { flags: ServerFlags; client: Client; tlsDir: string; log: (line: string) => void }): Promise<RunningAgent> {
  const { flags, client, log } = opts;
  const config = await step('preparing the agent directory', () => prepareAgentConfig(flags.dataDir, flags.podBridge, flags.containerRuntime));

  const images = await step('opening the image store', () => ImageStore.open(imageStoreDir(flags.dataDir)));
  const imported = await step('importing image archives', () => importImagesFromDir(images, imageArchiveDir(flags.dataDir)));
  for (const f of imported.failed) log(`agent: image archive ${f.file} not imported: ${f.error.message}`);
  if (imported.imported.length) log(`agent: imported ${imported.imported.length} image archive(s) from ${imageArchiveDir(flags.dataDir)}`);

  // one small helper process starts the node's programs (ip, unshare, conmon, runc...): the server never forks for a pod
  const processes = new ProcessHelper();
  const network = new PodNetwork({ stateDir: join(config.stateDir, 'network'), bridgeName: config.bridgeName, netnsPrefix: config.netnsPrefix, runner: processes.runProcess });
  for (const w of (await checkBridgeForwarding(config.bridgeName)).warnings) log(`agent: pod network: ${w}`);

  // Pulls honour --insecure-registry (plain HTTP) besides loopback registries.
  const imageProvider: ImageProvider = {
    resolve: (ref) => images.resolve(ref),
    rootfsPath: (id) => images.rootfsPath(id),
    pull: (ref, o) => images.pull(ref, { ...o, insecureRegistries: [...flags.insecureRegistries] }),
  };
  const runtime = new RuncRuntime({
    stateDir: config.stateDir,
    images: imageProvider,
    network,
    runcRoot: config.runcRoot,
    ociRuntime: flags.containerRuntime,
    cgroupParent: config.cgroupParent,
    processes,
    hostPorts: new HostPorts({ table: hostPortTable(config.proxyTag), bridge: config.bridgeName }),
    log: flags.verbosity >= 2 ? (l) => log(`runc: ${l}`) : undefined,
  });

  const nodeIP = flags.nodeIP || localNodeIP();
  const serving = await step('preparing the kubelet serving certificate', () => ensureKubeletServingMaterial(opts.tlsDir, flags.nodeName, [nodeIP], config.stateDir));
  const server = new KubeletServer({ runtime, tls: serving, port: flags.kubeletPort, host: '0.0.0.0', log: flags.verbosity >= 2 ? log : undefined });
  const kubeletPort = await step(`listening on kubelet port ${flags.kubeletPort}`, () => server.start());

  const capacity = await step('reading the machine capacity', () => localCapacity(flags.dataDir));
  const kubelet = new Kubelet({
    client,
    runtime,
    nodeName: flags.nodeName,
    nodeIP,
    kubeletPort,
    capacity,
    allocatable: allocatableFrom(capacity),
    probes: nodeProbeManager(runtime),
    podsDir: join(config.stateDir, 'pods'),
    serviceEnv: true,
    leaseRenewIntervalMs: leaseRenewIntervalFor(flags.nodeMonitorGracePeriodMs),
    dns: { servers: [kubeDnsClusterIP(flags.serviceCIDR)], domain: flags.clusterDomain, node: nodeResolvConf() },
    log: flags.verbosity >= 1 ? log : undefined,
    trace: flags.verbosity >= 2 ? log : undefined,
  });
  await step(`registering node ${flags.nodeName}`, () => kubelet.start());
  log(`agent: node ${flags.nodeName} (${nodeIP}) runs pods with ${flags.containerRuntime}; kubelet on port ${kubeletPort}`);

  const services = await step('starting the service proxy and cluster DNS', () =>
    startServices({ flags, client, nodeName: flags.nodeName, nodeIP, tag: config.proxyTag, recorder: new EventRecorder({ client, component: 'kube-proxy', host: flags.nodeName, log }), log }),
  );

  return {
    nodeName: flags.nodeName,
    kubeletPort,
    stop: async () => {
      await services.stop();
      await kubelet.stop();
      await server.stop();
      await runtime.close?.();
      await processes.close();
    },
  };
}
