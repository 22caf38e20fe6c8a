// Kubernetes' well-known node taint keys (k8s.io/api/core/v1 well_known_taints.go), defined once
// for the registry's admission (NodeTaint, DefaultTolerationSeconds), the node lifecycle
// controller that sets and clears them, and the scheduler that respects them.

/** A node that is not Ready (Ready=False), and every new node until it is (NodeTaint admission). */
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
/** A node the controller cannot hear from (Ready=Unknown). */
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
/** A cordoned node (spec.unschedulable). */
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';
/** Set by an administrator on a node that is down for good: its terminating pods are force-deleted. */
export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';
