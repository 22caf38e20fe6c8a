// Strategic-merge and list-type metadata of the served kinds' fields, as Kubernetes' Go struct
// tags and markers carry it (`patchStrategy:"merge" patchMergeKey:"name"`, `+listType=map`,
// `+listMapKey=name`, `+mapType=atomic`, `+structType=atomic`) and as its OpenAPI documents
// publish it (`x-kubernetes-patch-merge-key`, ...). The client-node models definitions.json is
// generated from lack it; definitions.ts merges this table into the definitions at load time.
//
// Keyed by definition name, then by JSON field name. Pure data.

export interface PatchMeta {
  readonly 'x-kubernetes-patch-merge-key'?: string;
  readonly 'x-kubernetes-patch-strategy'?: string;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: 'atomic' | 'granular';
}

const CORE = 'io.k8s.api.core.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** `patchStrategy:"merge" patchMergeKey:KEY` with `+listType=map` keyed by `mapKeys` (default: the merge key). */
function mergeMap(key: string, mapKeys: readonly string[] = [key], strategy = 'merge'): PatchMeta {
  return {
    'x-kubernetes-patch-merge-key': key,
    'x-kubernetes-patch-strategy': strategy,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': mapKeys,
  };
}
/** `+listType=map` without a strategic-merge tag. */
function listMap(...keys: string[]): PatchMeta {
  return { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys };
}
const ATOMIC: PatchMeta = { 'x-kubernetes-list-type': 'atomic' };
const SET: PatchMeta = { 'x-kubernetes-list-type': 'set' };
const ATOMIC_MAP: PatchMeta = { 'x-kubernetes-map-type': 'atomic' };
/** Status conditions: merged by type, a map keyed by type. */
const CONDITIONS = mergeMap('type');

const CONTAINER: Readonly<Record<string, PatchMeta>> = {
  args: ATOMIC,
  command: ATOMIC,
  env: mergeMap('name'),
  envFrom: ATOMIC,
  ports: mergeMap('containerPort', ['containerPort', 'protocol']),
  resizePolicy: ATOMIC,
  restartPolicyRules: ATOMIC,
  volumeDevices: mergeMap('devicePath'),
  volumeMounts: mergeMap('mountPath'),
};

export const PATCH_META: Readonly<Record<string, Readonly<Record<string, PatchMeta>>>> = {
  // apps/v1
  'io.k8s.api.apps.v1.DeploymentSpec': { strategy: { 'x-kubernetes-patch-strategy': 'retainKeys' } },
  'io.k8s.api.apps.v1.DeploymentStatus': { conditions: CONDITIONS },
  'io.k8s.api.apps.v1.ReplicaSetStatus': { conditions: CONDITIONS },

  // batch/v1
  'io.k8s.api.batch.v1.CronJobStatus': { active: ATOMIC },
  'io.k8s.api.batch.v1.JobStatus': {
    conditions: { 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'atomic' },
  },
  'io.k8s.api.batch.v1.PodFailurePolicy': { rules: ATOMIC },
  'io.k8s.api.batch.v1.PodFailurePolicyRule': { onPodConditions: ATOMIC },
  'io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement': { values: SET },
  'io.k8s.api.batch.v1.SuccessPolicy': { rules: ATOMIC },
  'io.k8s.api.batch.v1.UncountedTerminatedPods': { failed: SET, succeeded: SET },

  // policy/v1
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': { selector: { 'x-kubernetes-patch-strategy': 'replace' } },
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': { conditions: CONDITIONS },

  // core/v1: pods
  [`${CORE}.PodSpec`]: {
    containers: mergeMap('name'),
    initContainers: mergeMap('name'),
    ephemeralContainers: mergeMap('name'),
    volumes: mergeMap('name', ['name'], 'merge,retainKeys'),
    resourceClaims: mergeMap('name', ['name'], 'merge,retainKeys'),
    imagePullSecrets: mergeMap('name'),
    hostAliases: mergeMap('ip'),
    schedulingGates: mergeMap('name'),
    topologySpreadConstraints: mergeMap('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
    readinessGates: ATOMIC,
    tolerations: ATOMIC,
    nodeSelector: ATOMIC_MAP,
  },
  [`${CORE}.Container`]: CONTAINER,
  [`${CORE}.EphemeralContainer`]: CONTAINER,
  [`${CORE}.PodStatus`]: {
    conditions: CONDITIONS,
    podIPs: mergeMap('ip'),
    hostIPs: { 'x-kubernetes-patch-merge-key': 'ip', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'atomic' },
    initContainerStatuses: ATOMIC,
    containerStatuses: ATOMIC,
    ephemeralContainerStatuses: ATOMIC,
    resourceClaimStatuses: mergeMap('name', ['name'], 'merge,retainKeys'),
  },
  [`${CORE}.ContainerStatus`]: {
    volumeMounts: mergeMap('mountPath'),
    allocatedResourcesStatus: mergeMap('name'),
  },
  [`${CORE}.ResourceStatus`]: { resources: listMap('resourceID') },
  [`${CORE}.ResourceRequirements`]: { claims: listMap('name') },
  [`${CORE}.PodSecurityContext`]: { supplementalGroups: ATOMIC, sysctls: ATOMIC },
  [`${CORE}.LinuxContainerUser`]: { supplementalGroups: ATOMIC },
  [`${CORE}.Capabilities`]: { add: ATOMIC, drop: ATOMIC },
  [`${CORE}.PodDNSConfig`]: { nameservers: ATOMIC, searches: ATOMIC, options: ATOMIC },
  [`${CORE}.HostAlias`]: { hostnames: ATOMIC },
  [`${CORE}.ExecAction`]: { command: ATOMIC },
  [`${CORE}.HTTPGetAction`]: { httpHeaders: ATOMIC },
  [`${CORE}.ContainerRestartRuleOnExitCodes`]: { values: SET },
  [`${CORE}.PodExtendedResourceClaimStatus`]: { requestMappings: ATOMIC },
  [`${CORE}.TopologySpreadConstraint`]: { matchLabelKeys: ATOMIC },
  [`${CORE}.NodeAffinity`]: { preferredDuringSchedulingIgnoredDuringExecution: ATOMIC },
  [`${CORE}.NodeSelector`]: { nodeSelectorTerms: ATOMIC },
  [`${CORE}.NodeSelectorTerm`]: { matchExpressions: ATOMIC, matchFields: ATOMIC },
  [`${CORE}.NodeSelectorRequirement`]: { values: ATOMIC },
  [`${CORE}.PodAffinity`]: { requiredDuringSchedulingIgnoredDuringExecution: ATOMIC, preferredDuringSchedulingIgnoredDuringExecution: ATOMIC },
  [`${CORE}.PodAntiAffinity`]: { requiredDuringSchedulingIgnoredDuringExecution: ATOMIC, preferredDuringSchedulingIgnoredDuringExecution: ATOMIC },
  [`${CORE}.PodAffinityTerm`]: { namespaces: ATOMIC, matchLabelKeys: ATOMIC, mismatchLabelKeys: ATOMIC },

  // core/v1: volumes
  [`${CORE}.ConfigMapVolumeSource`]: { items: ATOMIC },
  [`${CORE}.SecretVolumeSource`]: { items: ATOMIC },
  [`${CORE}.ConfigMapProjection`]: { items: ATOMIC },
  [`${CORE}.SecretProjection`]: { items: ATOMIC },
  [`${CORE}.DownwardAPIVolumeSource`]: { items: ATOMIC },
  [`${CORE}.DownwardAPIProjection`]: { items: ATOMIC },
  [`${CORE}.ProjectedVolumeSource`]: { sources: ATOMIC },
  [`${CORE}.PersistentVolumeClaimSpec`]: { accessModes: ATOMIC },
  [`${CORE}.CephFSVolumeSource`]: { monitors: ATOMIC },
  [`${CORE}.RBDVolumeSource`]: { monitors: ATOMIC },
  [`${CORE}.ISCSIVolumeSource`]: { portals: ATOMIC },
  [`${CORE}.FCVolumeSource`]: { targetWWNs: ATOMIC, wwids: ATOMIC },

  // core/v1: services, endpoints, nodes, namespaces, service accounts
  [`${CORE}.ServiceSpec`]: {
    ports: mergeMap('port', ['port', 'protocol']),
    selector: ATOMIC_MAP,
    clusterIPs: ATOMIC,
    externalIPs: ATOMIC,
    ipFamilies: ATOMIC,
    loadBalancerSourceRanges: ATOMIC,
  },
  [`${CORE}.ServiceStatus`]: { conditions: CONDITIONS },
  [`${CORE}.LoadBalancerStatus`]: { ingress: ATOMIC },
  [`${CORE}.LoadBalancerIngress`]: { ports: ATOMIC },
  [`${CORE}.Endpoints`]: { subsets: ATOMIC },
  [`${CORE}.EndpointSubset`]: { addresses: ATOMIC, notReadyAddresses: ATOMIC, ports: ATOMIC },
  [`${CORE}.NodeSpec`]: { podCIDRs: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' }, taints: ATOMIC },
  [`${CORE}.NodeStatus`]: {
    conditions: CONDITIONS,
    addresses: mergeMap('type'),
    images: ATOMIC,
    volumesInUse: ATOMIC,
    volumesAttached: ATOMIC,
    runtimeHandlers: ATOMIC,
  },
  [`${CORE}.ContainerImage`]: { names: ATOMIC },
  [`${CORE}.NamespaceSpec`]: { finalizers: ATOMIC },
  [`${CORE}.NamespaceStatus`]: { conditions: CONDITIONS },
  [`${CORE}.ServiceAccount`]: { secrets: mergeMap('name'), imagePullSecrets: ATOMIC },

  // discovery.k8s.io/v1
  'io.k8s.api.discovery.v1.EndpointSlice': { endpoints: ATOMIC, ports: ATOMIC },
  'io.k8s.api.discovery.v1.Endpoint': { addresses: SET },
  'io.k8s.api.discovery.v1.EndpointHints': { forZones: ATOMIC, forNodes: ATOMIC },

  // meta/v1
  [`${META}.ObjectMeta`]: {
    finalizers: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' },
    ownerReferences: mergeMap('uid'),
    managedFields: ATOMIC,
  },
  [`${META}.LabelSelector`]: { matchExpressions: ATOMIC },
  [`${META}.LabelSelectorRequirement`]: { values: ATOMIC },
  [`${META}.DeleteOptions`]: { dryRun: ATOMIC },
  [`${META}.StatusDetails`]: { causes: ATOMIC },
  [`${META}.APIGroup`]: { versions: ATOMIC, serverAddressByClientCIDRs: ATOMIC },
  [`${META}.APIGroupList`]: { groups: ATOMIC },
  [`${META}.APIVersions`]: { versions: ATOMIC, serverAddressByClientCIDRs: ATOMIC },
  [`${META}.APIResourceList`]: { resources: ATOMIC },
  [`${META}.APIResource`]: { shortNames: ATOMIC, categories: ATOMIC },
};

/** Definitions marked `+structType=atomic`: server-side apply replaces them as a whole. */
export const ATOMIC_STRUCTS: readonly string[] = [
  `${META}.LabelSelector`,
  `${CORE}.LocalObjectReference`,
  `${CORE}.ObjectReference`,
  `${CORE}.TypedLocalObjectReference`,
  `${CORE}.ConfigMapKeySelector`,
  `${CORE}.SecretKeySelector`,
  `${CORE}.FileKeySelector`,
  `${CORE}.ObjectFieldSelector`,
  `${CORE}.ResourceFieldSelector`,
  `${CORE}.NodeSelector`,
  `${CORE}.NodeSelectorTerm`,
];
