// Errors of the pod network: values with a Kubernetes-style reason the runtime passes on (as the
// kubelet's FailedCreatePodSandBox / NetworkNotReady events carry the CNI plugin's message).

export type NetworkErrorReason =
  /** no pod CIDR yet (`setPodCIDR` not called): the node's network is not ready */
  | 'NetworkNotReady'
  /** every address of the pod CIDR is handed out */
  | 'NoIPAddressesAvailable'
  /** a sandbox id that cannot name a network namespace */
  | 'InvalidSandboxId'
  /** an `ip`/`nsenter` command failed; the message carries its stderr */
  | 'NetworkSetupFailed';

export class NetworkError extends Error {
  constructor(
    readonly reason: NetworkErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}

export function isNetworkError(e: unknown, reason?: NetworkErrorReason): e is NetworkError {
  return e instanceof NetworkError && (reason === undefined || e.reason === reason);
}
