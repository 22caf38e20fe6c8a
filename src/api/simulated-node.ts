// The mark of a simulated node (`skiff server --simulated-nodes N`): kwok-style kubelets in the
// server process, with no kubelet server and no real address. Shared by the kubelet that sets it
// and the API server, which must never dial such a node for a pod's logs, exec, attach or
// port-forward (its InternalIP, 198.19.0.x, leads nowhere on this machine).

/** Every simulated node carries this label with the value "true". */
export const SIMULATED_NODE_LABEL = 'skiff.io/simulated';
