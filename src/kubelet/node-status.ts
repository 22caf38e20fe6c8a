// The Node object a kubelet registers and the status it keeps posting (as Kubernetes'
// kubelet_node_status.go): well-known labels, capacity and allocatable, addresses, nodeInfo,
// daemonEndpoints and the MemoryPressure/DiskPressure/PIDPressure/Ready conditions with heartbeats.
// Pure builders: the kubelet supplies the facts and the time.
import { rfc3339 } from '../api/time.js';
import type { Node, NodeAddress, NodeCondition, NodeStatus, NodeSystemInfo, Taint } from 'kubernetes-types/core/v1.js';
import type { DeepMutable } from '../api/object.js';
import { semanticEqual } from './semantic-equal.js';

export const KUBELET_VERSION = 'v1.32.0-skiff';
export const DEFAULT_KUBELET_PORT = 10250;

/** What a simulated node offers unless told otherwise (issue 3: 32 CPU, 256Gi, 110 pods). */
export const DEFAULT_SIMULATED_CAPACITY: Readonly<Record<string, string>> = Object.freeze({
  cpu: '32',
  memory: '256Gi',
  pods: '110',
  'ephemeral-storage': '100Gi',
});

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_ARCH = 'kubernetes.io/arch';
const LABEL_BETA_OS = 'beta.kubernetes.io/os';
const LABEL_BETA_ARCH = 'beta.kubernetes.io/arch';

/** The machine as nodeInfo describes it. */
export interface MachineInfo {
  readonly osImage: string;
  readonly kernelVersion: string;
  /** GOARCH spelling: amd64, arm64 */
  readonly architecture: string;
  readonly operatingSystem: string;
  readonly machineID: string;
  readonly systemUUID: string;
  readonly bootID: string;
}

/** The facts about a node that do not change while its kubelet runs. */
export interface NodeDescription {
  readonly nodeName: string;
  /** extra labels (node-role.kubernetes.io/..., topology...) on top of the well-known ones */
  readonly labels: Readonly<Record<string, string>>;
  readonly capacity: Readonly<Record<string, string>>;
  readonly allocatable: Readonly<Record<string, string>>;
  readonly nodeIP: string;
  readonly hostname: string;
  readonly machine: MachineInfo;
  /** `simulated://0.1`, `runc://1.1.12` */
  readonly containerRuntimeVersion: string;
  readonly kubeletPort: number;
  /** set at registration when the kubelet was given one (otherwise the node IPAM controller assigns it) */
  readonly podCIDR?: string;
  readonly taints?: readonly Taint[];
}

/** What the kubelet observes each time it posts status. */
export interface NodeHealth {
  readonly runtimeReady: boolean;
  /** why the runtime is not ready */
  readonly runtimeMessage?: string;
}

type MutableNode = DeepMutable<Node>;
type MutableCondition = DeepMutable<NodeCondition>;

/** Node labels every kubelet sets, then the extra ones. */
export function nodeLabels(desc: NodeDescription): Record<string, string> {
  return {
    [LABEL_BETA_ARCH]: desc.machine.architecture,
    [LABEL_BETA_OS]: desc.machine.operatingSystem,
    [LABEL_ARCH]: desc.machine.architecture,
    [LABEL_HOSTNAME]: desc.hostname,
    [LABEL_OS]: desc.machine.operatingSystem,
    ...desc.labels,
  };
}

/** The Node to create at registration, status included (as the kubelet creates it). */
export function registrationNode(desc: NodeDescription, health: NodeHealth, now: number): Node {
  const node: MutableNode = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: desc.nodeName, labels: nodeLabels(desc) },
    spec: {
      ...(desc.podCIDR ? { podCIDR: desc.podCIDR, podCIDRs: [desc.podCIDR] } : {}),
      ...(desc.taints?.length ? { taints: structuredClone(desc.taints) as DeepMutable<Taint>[] } : {}),
    },
  };
  node.status = nodeStatus(undefined, desc, health, now) as MutableNode['status'];
  return node;
}

/**
 * The labels an existing Node must gain or change to match this kubelet, or undefined when it
 * already carries them (the kubelet never removes labels others set).
 */
export function missingLabels(node: Node, desc: NodeDescription): Record<string, string> | undefined {
  const want = nodeLabels(desc);
  const have = node.metadata?.labels ?? {};
  const diff = Object.entries(want).filter(([k, v]) => have[k] !== v);
  return diff.length ? Object.fromEntries(diff) : undefined;
}

/** The status to post, built on the previous one (`old`), keeping conditions the kubelet does not own. */
export function nodeStatus(old: Node | undefined, desc: NodeDescription, health: NodeHealth, now: number): NodeStatus {
  const prev = old?.status ?? {};
  const addresses: NodeAddress[] = [
    { type: 'InternalIP', address: desc.nodeIP },
    { type: 'Hostname', address: desc.hostname },
  ];
  const nodeInfo: NodeSystemInfo = {
    architecture: desc.machine.architecture,
    bootID: desc.machine.bootID,
    containerRuntimeVersion: desc.containerRuntimeVersion,
    kernelVersion: desc.machine.kernelVersion,
    kubeProxyVersion: KUBELET_VERSION,
    kubeletVersion: KUBELET_VERSION,
    machineID: desc.machine.machineID,
    operatingSystem: desc.machine.operatingSystem,
    osImage: desc.machine.osImage,
    systemUUID: desc.machine.systemUUID,
  };
  const stamp = rfc3339(now);
  const desired: MutableCondition[] = [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    health.runtimeReady
      ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
      : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: health.runtimeMessage ?? 'container runtime is down' },
  ];
  const owned = new Set(desired.map((c) => c.type));
  const conditions: MutableCondition[] = desired.map((d) => {
    const p = (prev.conditions ?? []).find((c) => c.type === d.type);
    return {
      type: d.type,
      status: d.status,
      lastHeartbeatTime: stamp,
      lastTransitionTime: p && p.status === d.status && p.lastTransitionTime ? p.lastTransitionTime : stamp,
      reason: d.reason,
      message: d.message,
    };
  });
  for (const c of prev.conditions ?? []) if (!owned.has(c.type)) conditions.push(structuredClone(c) as MutableCondition);
  return {
    ...structuredClone(prev),
    capacity: { ...desc.capacity },
    allocatable: { ...desc.allocatable },
    addresses,
    conditions,
    daemonEndpoints: { kubeletEndpoint: { Port: desc.kubeletPort } },
    nodeInfo,
    phase: undefined,
  };
}

/** Whether two statuses differ in anything but heartbeat times (a change is posted at once; otherwise every report period). */
export function nodeStatusChanged(a: NodeStatus | undefined, b: NodeStatus): boolean {
  const strip = (s: NodeStatus | undefined) =>
    s && { ...s, conditions: (s.conditions ?? []).map((c) => ({ ...c, lastHeartbeatTime: undefined })) };
  return !semanticEqual(strip(a), strip(b));
}
