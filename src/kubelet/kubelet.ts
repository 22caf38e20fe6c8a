// The kubelet: registers its Node, keeps it alive (Lease renewed every 10 s; status posted on
// change or every minute), and runs the pods bound to it through a Runtime (pod-lifecycle.ts).
// It sees the cluster only through the client. The same class runs on a real machine (runc
// runtime, issue 4) and as one of many simulated nodes in a process (simulated-nodes.ts), which
// share one pods informer, one nodes informer and one heartbeat timer between them.
//
// A node annotated `skiff.io/simulate-down: "true"` plays dead until the annotation goes: no Lease
// renewal, no node or pod status, no pod changes (its containers keep "running" in the runtime).
import type { ClusterDNSSettings } from './dns-config.js';
import type { Node, Pod, Service, Taint } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isConflict, isNotFound } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import type { Client } from '../client/client.js';
import { resourceInfo } from '../client/client.js';
import type { Clock } from '../client/clock.js';
import { sleep, systemClock } from '../client/clock.js';
import { EventRecorder } from '../client/event-recorder.js';
import { Backoff } from '../client/backoff.js';
import { Informer } from '../client/informer.js';
import type { Runtime } from '../runtime/runtime.js';
import { HeartbeatScheduler } from './heartbeat.js';
import type { KubeletSource, NodeObject, PodObject } from './kubelet-source.js';
import { InformerKubeletSource } from './kubelet-source.js';
import { localMachineInfo, localNodeIP } from './machine-info.js';
import { NODE_LEASE_RENEW_INTERVAL_MS, NodeLease } from './node-lease.js';
import type { MachineInfo, NodeDescription, NodeHealth } from './node-status.js';
import { DEFAULT_KUBELET_PORT, DEFAULT_SIMULATED_CAPACITY, missingLabels, nodeStatus, nodeStatusChanged, registrationNode } from './node-status.js';
import { PodLifecycle } from './pod-lifecycle.js';
import type { PodObjects } from './pod-objects.js';
import { ClientPodObjects, SERVICES } from './pod-objects.js';
import { VolumeManager } from './volumes/volume-manager.js';
import { Pleg } from './pleg.js';
import type { ProbeManagerFactory } from './probes/prober.js';
import { SimulatedProbeManager } from './probes/simulated-probe-manager.js';

const NODES = resourceInfo('', 'v1', 'nodes');

export const SIMULATE_DOWN_ANNOTATION = 'skiff.io/simulate-down';
/**
 * Node status is posted at least this often even when nothing changed (it is checked every lease
 * renewal): Kubernetes' nodeStatusReportFrequency, 5 min (the Lease is the heartbeat). With 1 min,
 * 1,000 nodes wrote ~17 unchanged Node statuses a second.
 */
export const NODE_STATUS_REPORT_MS = 5 * 60_000;
/** Every pod is synced at least this often (Kubernetes' syncFrequency). */
export const POD_RESYNC_MS = 60_000;
/** Registration retries: from the first delay doubling up to the max (as the kubelet's 100 ms → 7 s). */
const REGISTER_RETRY_INITIAL_MS = 100;
const REGISTER_RETRY_MAX_MS = 7_000;

export interface KubeletOptions {
  readonly client: Client;
  readonly runtime: Runtime;
  readonly nodeName: string;
  /** default systemClock */
  readonly clock?: Clock;
  /** default DEFAULT_SIMULATED_CAPACITY (cpu 32, memory 256Gi, pods 110, ephemeral-storage 100Gi) */
  readonly capacity?: Readonly<Record<string, string>>;
  /** default: the capacity */
  readonly allocatable?: Readonly<Record<string, string>>;
  /** extra node labels (node-role.kubernetes.io/control-plane, topology...) */
  readonly labels?: Readonly<Record<string, string>>;
  /** taints to register with */
  readonly taints?: readonly Taint[];
  /** a pod CIDR to register with; without it the kubelet waits for the node IPAM controller's spec.podCIDR */
  readonly podCIDR?: string;
  /** InternalIP; default the machine's first non-loopback IPv4 */
  readonly nodeIP?: string;
  /** nodeInfo; default this machine's */
  readonly machine?: MachineInfo;
  readonly kubeletPort?: number;
  /** one line per event, component name first; default none */
  readonly log?: (line: string) => void;

  // ---- plug points (defaults suit one standalone kubelet) ----

  /** pods and Node source; default: informers of its own (field selectors), started and stopped with the kubelet */
  readonly source?: KubeletSource;
  /** periodic work (lease, status, resync); default: a timer of its own every leaseRenewIntervalMs */
  readonly heartbeats?: HeartbeatScheduler;
  /** how often the Lease is renewed (its leaseDurationSeconds is four times that); default 10 s */
  readonly leaseRenewIntervalMs?: number;
  /** Events; default a recorder of its own (component "kubelet", host = node name); null: no events */
  readonly recorder?: EventRecorder | null;
  /** default: SimulatedProbeManager (ready after initialDelaySeconds) */
  readonly probes?: ProbeManagerFactory;
  /** take every image as present (simulated nodes) */
  readonly assumeImagesPresent?: boolean;

  // ---- real nodes ----

  /**
   * Directory of the pods' own files (DATA/agent/pods): with it, volumes are materialised in
   * `<podsDir>/<uid>/volumes/...` and containers get their volumeMounts. Without it (simulated
   * nodes) volumes are ignored.
   */
  readonly podsDir?: string;
  /** cluster DNS for the pods' resolv.conf (dnsPolicy); default none: sandboxes copy the node's resolv.conf */
  readonly dns?: ClusterDNSSettings;
  /** Kubernetes' service environment variables in every container (real nodes); default false */
  readonly serviceEnv?: boolean;
  /** where ConfigMaps, Secrets and Services the pods reference are read; default GETs through `client` */
  readonly objects?: PodObjects;
  /** per-step timings of each pod's start, one line per pod (startup-trace.ts); default none */
  readonly trace?: (line: string) => void;
}

export class Kubelet {
  readonly nodeName: string;
  private readonly nodeIP: string;
  private readonly opts: KubeletOptions;
  private readonly client: Client;
  private readonly runtime: Runtime;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly lease: NodeLease;
  private readonly pods: PodLifecycle;
  private readonly pleg: Pleg;
  private readonly recorder?: EventRecorder;
  private readonly ownsRecorder: boolean;
  private source?: KubeletSource;
  private ownInformers: [Informer<PodObject>, Informer<NodeObject>] | undefined;
  private heartbeats?: HeartbeatScheduler;
  private ownsHeartbeats = false;
  private desc?: NodeDescription;
  private controller?: AbortController;
  private cleanups: (() => void)[] = [];
  /** every Service, for service env vars (when the kubelet makes its own PodObjects) */
  private readonly servicesInformer?: Informer<Service & KubeObject>;
  private tasks = new Set<Promise<unknown>>();
  private nodeUid?: string;
  private node?: Node;
  private podCIDR?: string;
  /** the runtime being told the pod CIDR the Node object gave (adopt), while it is */
  private podCIDRChange?: Promise<void>;
  private down = false;
  private registered = false;
  private lastStatus?: Node['status'];
  private lastStatusAt = 0;
  private lastResyncAt = 0;

  constructor(opts: KubeletOptions) {
    this.opts = opts;
    this.nodeName = opts.nodeName;
    this.client = opts.client;
    this.runtime = opts.runtime;
    this.clock = opts.clock ?? systemClock;
    const log = opts.log ?? (() => {});
    this.log = (line) => log(`kubelet ${opts.nodeName}: ${line}`);
    this.nodeIP = opts.nodeIP ?? localNodeIP();
    this.lease = new NodeLease({ client: opts.client, nodeName: opts.nodeName, clock: this.clock, durationSeconds: Math.max(1, Math.ceil((4 * (opts.leaseRenewIntervalMs ?? NODE_LEASE_RENEW_INTERVAL_MS)) / 1000)) });
    this.ownsRecorder = opts.recorder === undefined;
    this.recorder = opts.recorder === undefined ? new EventRecorder({ client: opts.client, component: 'kubelet', host: opts.nodeName, clock: this.clock, log: this.log }) : (opts.recorder ?? undefined);
    // service env vars from a watch of Services (the real kubelet's service lister), not a LIST per container
    if (opts.serviceEnv === true && !opts.objects) this.servicesInformer = new Informer({ client: opts.client, resource: SERVICES, clock: this.clock });
    const objects = opts.objects ?? new ClientPodObjects(opts.client, this.servicesInformer ? { services: this.servicesInformer } : {});
    const allocatable = () => this.desc?.allocatable ?? opts.allocatable ?? opts.capacity ?? DEFAULT_SIMULATED_CAPACITY;
    this.pods = new PodLifecycle({
      client: opts.client,
      runtime: opts.runtime,
      clock: this.clock,
      nodeName: opts.nodeName,
      hostIP: this.nodeIP,
      event: (pod, type, reason, message) => this.recorder?.event(podRef(pod), type, reason, message),
      probes: opts.probes ?? ((deps) => new SimulatedProbeManager(deps)),
      log: this.log,
      assumeImagesPresent: opts.assumeImagesPresent,
      objects,
      allocatable,
      serviceEnv: opts.serviceEnv === true,
      dns: opts.dns,
      trace: opts.trace ? (line) => opts.trace!(`kubelet ${opts.nodeName}: ${line}`) : undefined,
      volumes: opts.podsDir ? new VolumeManager({ podsDir: opts.podsDir, objects, hostIP: this.nodeIP, allocatable }) : undefined,
    });
    this.pleg = new Pleg({ runtime: opts.runtime, clock: this.clock, onPodChanged: (uid) => this.pods.runtimeChanged(uid), log: this.log });
  }

  /**
   * Starts the kubelet: asks the runtime who it is, watches its pods and Node, registers the Node
   * (retrying until it succeeds or `signal` aborts), creates its Lease, and from then on keeps
   * both alive. Resolves once registered. Throws if already started.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.controller) throw new Error(`kubelet ${this.nodeName}: already started`);
    const ac = (this.controller = new AbortController());
    if (signal?.aborted) ac.abort();
    else signal?.addEventListener('abort', () => ac.abort(), { once: true });

    const v = await this.runtime.version();
    this.pods.setRuntimeName(v.runtimeName);
    const capacity = { ...(this.opts.capacity ?? DEFAULT_SIMULATED_CAPACITY) };
    this.desc = {
      nodeName: this.nodeName,
      labels: { ...(this.opts.labels ?? {}) },
      capacity,
      allocatable: { ...(this.opts.allocatable ?? capacity) },
      nodeIP: this.nodeIP,
      hostname: this.nodeName,
      machine: this.opts.machine ?? localMachineInfo(),
      containerRuntimeVersion: `${v.runtimeName}://${v.runtimeVersion}`,
      kubeletPort: this.opts.kubeletPort ?? DEFAULT_KUBELET_PORT,
      podCIDR: this.opts.podCIDR,
      taints: this.opts.taints,
    };
    if (this.opts.podCIDR) await this.setPodCIDR(this.opts.podCIDR);
    else await this.refreshNetwork();

    if (this.opts.source) this.source = this.opts.source;
    else {
      const own = InformerKubeletSource.forNode({ client: this.client, nodeName: this.nodeName, clock: this.clock, log: this.log });
      this.source = own.source;
      this.ownInformers = own.informers;
      for (const inf of own.informers) inf.start(ac.signal);
    }
    this.servicesInformer?.start(ac.signal);
    this.cleanups.push(
      this.source.subscribe(this.nodeName, {
        onPod: (pod) => this.pods.podChanged(pod),
        onPodRemoved: (pod) => this.pods.podRemoved(pod),
        onNode: (node) => this.nodeChanged(node),
      }),
    );
    this.pleg.start();

    await this.register(ac.signal);
    if (ac.signal.aborted) return;
    const existing = this.source.node(this.nodeName);
    if (existing) this.nodeChanged(existing);
    if (!this.down) await this.renewLease();

    if (this.opts.heartbeats) this.heartbeats = this.opts.heartbeats;
    else {
      this.heartbeats = new HeartbeatScheduler({ clock: this.clock, periodMs: this.opts.leaseRenewIntervalMs ?? NODE_LEASE_RENEW_INTERVAL_MS });
      this.ownsHeartbeats = true;
      this.heartbeats.start(ac.signal);
    }
    this.cleanups.push(this.heartbeats.add({ beat: () => this.beat() }));
    this.lastResyncAt = this.clock.now();
    this.track(this.afterSync(ac.signal));
  }

  /** Stops watching, heartbeats and pod workers; resolves when nothing of the kubelet runs. Containers are left as they are. */
  async stop(): Promise<void> {
    this.controller?.abort();
    for (const c of this.cleanups.splice(0)) c();
    if (this.ownsHeartbeats) await this.heartbeats?.stop();
    await this.pleg.stop();
    await this.pods.stop();
    if (this.ownInformers) await Promise.all(this.ownInformers.map((i) => i.stop()));
    await this.servicesInformer?.stop();
    while (this.tasks.size) await Promise.all([...this.tasks]);
    if (this.ownsRecorder) await this.recorder?.stop();
  }

  /** Whether the node plays dead (simulate-down annotation). */
  isDown(): boolean {
    return this.down;
  }

  /** Pods the kubelet is handling. */
  podCount(): number {
    return this.pods.podCount();
  }

  /** One heartbeat: Lease, node status when changed or due, periodic pod resync. Exposed for shared schedulers. */
  async beat(): Promise<void> {
    if (!this.registered || this.down || this.controller?.signal.aborted) return;
    await this.renewLease();
    await this.refreshNetwork();
    await this.postStatus(false);
    const now = this.clock.now();
    if (now - this.lastResyncAt >= POD_RESYNC_MS) {
      this.lastResyncAt = now;
      this.pods.resyncAll();
      await this.housekeeping();
    }
  }

  // ---- node ----

  private async register(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ initialMs: REGISTER_RETRY_INITIAL_MS, maxMs: REGISTER_RETRY_MAX_MS });
    const desc = this.desc!;
    while (!signal.aborted) {
      try {
        const health = await this.health();
        try {
          const created = await this.client.create<NodeObject>(NODES, registrationNode(desc, health, this.clock.now()) as NodeObject, { signal });
          this.adopt(created);
          this.lastStatus = created.status;
          this.lastStatusAt = this.clock.now();
          this.log(`registered node (${desc.nodeIP}, ${desc.containerRuntimeVersion})`);
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          let node = await this.client.get<NodeObject>(NODES, undefined, this.nodeName, { signal });
          const labels = missingLabels(node, desc);
          if (labels) {
            const copy = structuredClone(node);
            copy.metadata = { ...copy.metadata, labels: { ...(copy.metadata?.labels ?? {}), ...labels } };
            node = await this.client.update<NodeObject>(NODES, copy, { signal });
          }
          this.adopt(node);
          this.log('node already registered; taking it over');
          // the runtime has the node's pod CIDR before the node says whether it is Ready (no
          // NotReady flap when a restarted kubelet takes its node over)
          await this.podCIDRChange;
          this.registered = true;
          await this.postStatus(true);
        }
        this.registered = true;
        // a pod CIDR that arrived while registering changed the node's readiness
        await this.postStatus(false);
        return;
      } catch (e) {
        if (signal.aborted) return;
        const delay = isConflict(e) ? 0 : backoff.next();
        this.log(`registering the node failed, retrying in ${delay}ms: ${message(e)}`);
        await sleep(this.clock, delay, signal);
      }
    }
  }

  private adopt(node: Node): void {
    this.node = node;
    this.nodeUid = node.metadata?.uid;
    const cidr = node.spec?.podCIDR;
    if (cidr && cidr !== this.podCIDR) this.track((this.podCIDRChange = this.setPodCIDR(cidr)));
    this.setDown(node.metadata?.annotations?.[SIMULATE_DOWN_ANNOTATION] === 'true');
  }

  private nodeChanged(node: Node | undefined): void {
    if (!node) {
      if (this.registered) this.log('the Node object was deleted; no more heartbeats until the kubelet restarts');
      this.registered = false;
      return;
    }
    if (this.nodeUid && node.metadata?.uid !== this.nodeUid) return; // a stale event about an older Node
    this.adopt(node);
  }

  private setDown(down: boolean): void {
    if (down === this.down) return;
    this.down = down;
    this.pods.setPaused(down);
    this.log(down ? `annotation ${SIMULATE_DOWN_ANNOTATION}=true: playing dead (no lease, no status)` : `annotation ${SIMULATE_DOWN_ANNOTATION} removed: back`);
    if (!down && this.registered) this.track(this.beatNow());
  }

  private async beatNow(): Promise<void> {
    await this.renewLease();
    await this.postStatus(true);
  }

  private async setPodCIDR(cidr: string): Promise<void> {
    this.podCIDR = cidr;
    try {
      await this.runtime.updateRuntimeConfig({ podCIDR: cidr });
      this.log(`pod CIDR ${cidr}`);
    } catch (e) {
      this.log(`telling the runtime the pod CIDR ${cidr} failed: ${message(e)}`);
    }
    await this.refreshNetwork();
    // the node turns Ready now, not at the next heartbeat (before registration ends, register posts it)
    await this.postStatus(false);
  }

  private async refreshNetwork(): Promise<void> {
    try {
      const st = await this.runtime.status();
      const net = st.conditions.find((c) => c.type === 'NetworkReady');
      this.pods.setNetworkReady(net?.status === true, net?.message ?? net?.reason ?? '');
    } catch (e) {
      this.log(`reading the runtime status failed: ${message(e)}`);
    }
  }

  /**
   * Whether the node may say Ready, as Kubernetes' kubelet decides it: the runtime is up and so is
   * its pod network (a node without a pod CIDR cannot give pods an IP, so it is NotReady and the
   * node lifecycle controller's not-ready taint keeps the scheduler away from it).
   */
  private async health(): Promise<NodeHealth> {
    try {
      const st = await this.runtime.status();
      const rt = st.conditions.find((c) => c.type === 'RuntimeReady');
      if (rt?.status === false) return { runtimeReady: false, runtimeMessage: `container runtime is not ready: ${rt.message ?? rt.reason ?? ''}`.trim() };
      const net = st.conditions.find((c) => c.type === 'NetworkReady');
      if (net?.status === false) {
        return { runtimeReady: false, runtimeMessage: `container runtime network not ready: NetworkReady=false reason:${net.reason ?? ''} message:${net.message ?? ''}` };
      }
      return { runtimeReady: true };
    } catch (e) {
      return { runtimeReady: false, runtimeMessage: `container runtime is down: ${message(e)}` };
    }
  }

  private async renewLease(): Promise<void> {
    if (this.down || !this.registered) return;
    try {
      await this.lease.renew(this.nodeUid, this.controller?.signal);
    } catch (e) {
      if (!this.controller?.signal.aborted) this.log(`renewing the lease failed: ${message(e)}`);
    }
  }

  /** Posts node status when it changed, or when `force`, or when the report period has passed. */
  private async postStatus(force: boolean): Promise<void> {
    if (this.down || !this.registered || !this.desc) return;
    const now = this.clock.now();
    const base = this.source?.node(this.nodeName) ?? this.node;
    const status = nodeStatus(base, this.desc, await this.health(), now);
    if (!force && !nodeStatusChanged(this.lastStatus, status) && now - this.lastStatusAt < NODE_STATUS_REPORT_MS) return;
    try {
      const written = await this.client.updateStatus<NodeObject>(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: this.nodeName }, status } as NodeObject, {
        signal: this.controller?.signal,
      });
      this.node = written;
      this.lastStatus = written.status;
      this.lastStatusAt = now;
    } catch (e) {
      if (this.controller?.signal.aborted) return;
      if (isNotFound(e)) this.registered = false;
      this.log(`posting node status failed: ${message(e)}`);
    }
  }

  // ---- pods ----

  private async afterSync(signal: AbortSignal): Promise<void> {
    if (!(await this.source!.waitForSync(signal))) return;
    await this.housekeeping();
  }

  private async housekeeping(): Promise<void> {
    try {
      await this.pods.housekeeping();
    } catch (e) {
      this.log(`housekeeping failed: ${message(e)}`);
    }
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((e: unknown) => this.log(message(e))).finally(() => this.tasks.delete(t));
    this.tasks.add(t);
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The pod as Events name it (list items may lack apiVersion/kind). */
function podRef(pod: Pod): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata ? { ...pod.metadata } : {} } as KubeObject;
}
