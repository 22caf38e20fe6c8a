// The container runtime contract the kubelet drives, shaped after Kubernetes' CRI
// (RuntimeService + ImageService): pod sandboxes (the shared network/IPC/UTS environment of a pod)
// hold containers; every call names things by opaque ids the runtime hands out. The kubelet never
// knows which runtime it drives: `simulated` (hollow nodes, no processes) and `runc` (real OCI
// containers, issue 4) both implement this interface.
//
// Contracts shared by every implementation:
// - Ids are opaque strings, unique for the runtime's whole life *and across restarts of skiff*
//   (never reused), so a kubelet that restarts can adopt what runs by listing it.
// - Everything the kubelet needs to rebuild its view after a restart is readable back from the
//   runtime: sandbox metadata (pod name, namespace, uid, attempt), container metadata (name,
//   attempt = restart count), labels and annotations given at creation.
// - Stop and remove calls are idempotent: stopping a stopped thing or removing a removed (unknown)
//   id resolves without error. Other calls on an unknown id reject with `NotFoundRuntimeError`.
// - Returned objects belong to the caller (fresh copies); arguments are never mutated.
// - Failures are `RuntimeError`s carrying a reason the kubelet shows to users
//   (`CreateContainerError`, `RunContainerError`, `ErrImagePull`, ...).
// - Times are milliseconds since the Unix epoch.

/** Labels the kubelet puts on sandboxes and containers (as Kubernetes' kubelet does) to find them again. */
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
/** "init" or "app": runtimes may treat init containers differently (the simulated runtime completes them at once). */
export const LABEL_CONTAINER_TYPE = 'skiff.io/container-type';

export type ContainerType = 'init' | 'app';

/** Time as runtimes see it; `src/client`'s Clock and FakeClock satisfy it. */
export interface RuntimeClock {
  now(): number;
  /** Calls `fn` once after `ms`; `cancel()` is idempotent and a cancelled timer never fires. */
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export interface PodSandboxMetadata {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  /** 0 for the first sandbox of a pod, +1 each time the kubelet has to make a new one */
  readonly attempt: number;
}

export interface PortMapping {
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly containerPort: number;
  readonly hostPort?: number;
  readonly hostIP?: string;
}

export interface DNSConfig {
  readonly servers: readonly string[];
  readonly searches: readonly string[];
  readonly options: readonly string[];
}

export interface PodSandboxConfig {
  readonly metadata: PodSandboxMetadata;
  /** the pod's hostname (pod name, or spec.hostname) */
  readonly hostname: string;
  /** pod directory for logs and volumes (real runtimes); ignored by the simulated runtime */
  readonly logDirectory?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** the pod's annotations (the simulated runtime reads `skiff.io/simulate-*` from them) */
  readonly annotations: Readonly<Record<string, string>>;
  /** share the node's network namespace: no IP is allocated, the pod IP is the node IP */
  readonly hostNetwork?: boolean;
  readonly portMappings?: readonly PortMapping[];
  readonly dnsConfig?: DNSConfig;
}

export type SandboxState = 'ready' | 'notready';

export interface PodSandboxStatus {
  readonly id: string;
  readonly metadata: PodSandboxMetadata;
  readonly state: SandboxState;
  readonly createdAt: number;
  /** the pod IP while the sandbox is ready (absent for host-network sandboxes and after stop) */
  readonly ip?: string;
  /** every pod IP (dual stack); `ips[0] === ip` */
  readonly ips?: readonly string[];
  readonly hostNetwork: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface PodSandboxFilter {
  readonly id?: string;
  readonly podUid?: string;
  readonly state?: SandboxState;
}

export interface KeyValue {
  readonly name: string;
  readonly value: string;
}

export interface Mount {
  readonly containerPath: string;
  readonly hostPath: string;
  readonly readOnly?: boolean;
}

export interface ContainerResources {
  /** CPU limit in milli-cores (quota), 0 or absent: none */
  readonly cpuLimitMilli?: number;
  /** CPU request in milli-cores (shares) */
  readonly cpuRequestMilli?: number;
  /** memory limit in bytes, 0 or absent: none */
  readonly memoryLimitBytes?: number;
}

export interface ContainerMetadata {
  readonly name: string;
  /** how many times this container has been restarted before this one (0 first) */
  readonly attempt: number;
}

export interface ContainerConfig {
  readonly metadata: ContainerMetadata;
  /** the image reference as the pod spec names it */
  readonly image: string;
  /** spec.command (replaces the image entrypoint when non-empty) */
  readonly command?: readonly string[];
  /** spec.args (replaces the image cmd when non-empty) */
  readonly args?: readonly string[];
  readonly workingDir?: string;
  readonly env?: readonly KeyValue[];
  readonly mounts?: readonly Mount[];
  readonly resources?: ContainerResources;
  readonly tty?: boolean;
  readonly stdin?: boolean;
  /** file (relative to the sandbox log directory) the container's output goes to */
  readonly logPath?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  readonly id: string;
  readonly sandboxId: string;
  /** the pod uid of the sandbox the container belongs to */
  readonly podUid: string;
  readonly metadata: ContainerMetadata;
  readonly state: ContainerState;
  readonly createdAt: number;
  /** set once started */
  readonly startedAt?: number;
  /** set once exited */
  readonly finishedAt?: number;
  /** set once exited */
  readonly exitCode?: number;
  /** why it exited when the runtime knows better than the exit code: `OOMKilled`, `Error`, `Completed`, `ContainerCannotRun` */
  readonly reason?: string;
  readonly message?: string;
  readonly image: string;
  /** the image id the container runs (`sha256:...`) */
  readonly imageRef: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface ContainerFilter {
  readonly id?: string;
  readonly sandboxId?: string;
  readonly podUid?: string;
  readonly state?: ContainerState;
}

export interface ImageInfo {
  /** content id, `sha256:...` */
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly size: number;
}

export interface PullImageOptions {
  /** registry credentials (from imagePullSecrets), already matched to the image's registry */
  readonly auth?: { readonly username?: string; readonly password?: string; readonly identityToken?: string };
  readonly signal?: AbortSignal;
}

export interface RuntimeVersion {
  /** `simulated`, `runc`: the scheme of containerIDs in pod status (`simulated://<id>`) */
  readonly runtimeName: string;
  /** e.g. `0.1` */
  readonly runtimeVersion: string;
}

export interface RuntimeCondition {
  readonly type: 'RuntimeReady' | 'NetworkReady';
  readonly status: boolean;
  readonly reason?: string;
  readonly message?: string;
}

export interface RuntimeStatus {
  readonly conditions: readonly RuntimeCondition[];
}

/** What happened to a container, as the runtime saw it (PLEG events). */
export interface ContainerEvent {
  readonly type: 'created' | 'started' | 'exited' | 'removed';
  readonly containerId: string;
  readonly sandboxId: string;
  readonly podUid: string;
  readonly at: number;
}

export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

export interface ExecOptions {
  /** the caller's input; the process sees EOF when it ends (absent: no stdin) */
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout?: NodeJS.WritableStream;
  /** ignored with `tty` (a terminal has one output stream) */
  readonly stderr?: NodeJS.WritableStream;
  /** run on a pseudo-terminal */
  readonly tty?: boolean;
  /** with `tty`: the runtime calls `listener` on every resize the client sends (the first one may come before the process starts) */
  readonly onResize?: (listener: (size: TerminalSize) => void) => void;
  /** aborting kills the exec'd process (attach: detaches) */
  readonly signal?: AbortSignal;
}

export interface LogOptions {
  readonly follow?: boolean;
  /** only the last N lines */
  readonly tailLines?: number;
  /** only lines written at or after this time */
  readonly sinceTime?: number;
  readonly timestamps?: boolean;
  readonly limitBytes?: number;
  readonly signal?: AbortSignal;
}

export interface Runtime {
  version(): Promise<RuntimeVersion>;

  /** Whether the runtime and its pod network are ready (NetworkReady false: sandboxes that need an IP cannot be made yet). */
  status(): Promise<RuntimeStatus>;

  /**
   * CRI's UpdateRuntimeConfig: tells the runtime the node's pod CIDR once the node IPAM controller
   * has assigned it. Idempotent; changing an assigned CIDR affects only later sandboxes.
   */
  updateRuntimeConfig(config: { readonly podCIDR?: string }): Promise<void>;

  // ---- sandboxes ----

  /**
   * Creates and starts a sandbox; resolves its id once it is ready (network set up, IP allocated
   * unless hostNetwork). Not idempotent: each call makes a new sandbox.
   */
  runPodSandbox(config: PodSandboxConfig): Promise<string>;

  /** Stops every container of the sandbox (no grace) and tears its network down (the IP is freed). Idempotent; unknown ids resolve. */
  stopPodSandbox(id: string): Promise<void>;

  /** Stops (if needed) and forgets the sandbox and every container in it. Idempotent; unknown ids resolve. */
  removePodSandbox(id: string): Promise<void>;

  /** Rejects with NotFoundRuntimeError for an unknown id. */
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;

  listPodSandboxes(filter?: PodSandboxFilter): Promise<PodSandboxStatus[]>;

  // ---- containers ----

  /** Creates (does not start) a container in a ready sandbox; resolves its id. Rejects for an unknown or stopped sandbox. */
  createContainer(sandboxId: string, config: ContainerConfig): Promise<string>;

  /** Starts a created container. Rejects for unknown ids and for containers that are not in state `created`. */
  startContainer(id: string): Promise<void>;

  /**
   * Asks the container to stop (SIGTERM), kills it after `timeoutSeconds` (SIGKILL; 0: at once),
   * and resolves once it has exited. Idempotent: stopping an exited or unknown container resolves.
   */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;

  /** Forgets an exited container (stopping it at once if it runs). Idempotent; unknown ids resolve. */
  removeContainer(id: string): Promise<void>;

  /** Rejects with NotFoundRuntimeError for an unknown id. */
  containerStatus(id: string): Promise<ContainerStatus>;

  listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]>;

  // ---- images (CRI ImageService) ----

  /** The image when present on the node, else undefined. */
  imageStatus(image: string): Promise<ImageInfo | undefined>;

  /** Pulls the image; resolves its id. Rejects with a RuntimeError reason `ErrImagePull` (registry's message). */
  pullImage(image: string, opts?: PullImageOptions): Promise<string>;

  // ---- optional ----

  /**
   * createContainer then startContainer in one step (as `runc run`), for runtimes that can do it
   * cheaper than the two calls. Resolves the id of a started container (it may have exited
   * already); a failure leaves no container behind. The kubelet uses it when present.
   */
  createAndStartContainer?(sandboxId: string, config: ContainerConfig): Promise<string>;

  /**
   * Subscribes to container state changes (an evented PLEG). Runtimes without it are polled by the
   * kubelet (listContainers every second). Returns the unsubscribe function. Listeners run
   * synchronously and must be quick.
   */
  onContainerEvent?(listener: (event: ContainerEvent) => void): () => void;

  /** Runs a command in a running container; resolves its exit code. */
  exec?(id: string, command: readonly string[], opts?: ExecOptions): Promise<number>;

  /**
   * Streams the container's log to `out` as plain text lines (with an RFC 3339 nano timestamp and a
   * space before each line when `timestamps`); resolves when done: at once unless `follow`, else
   * when the container has exited and everything is written, or `signal` aborts.
   */
  logs?(id: string, out: NodeJS.WritableStream, opts?: LogOptions): Promise<void>;

  /**
   * Attaches to a running container's own stdio (`kubectl attach`): its output from now on goes to
   * opts.stdout/stderr, opts.stdin (when the container was created with `stdin`) to its input.
   * Resolves when the container exits or `signal` aborts (detach; the container keeps running).
   */
  attach?(id: string, opts: ExecOptions): Promise<void>;

  /**
   * Connects `stream` to TCP `port` on the sandbox's loopback (inside its network namespace), as
   * `kubectl port-forward` wants; resolves when either side closes. Rejects when nothing listens.
   */
  portForward?(sandboxId: string, port: number, stream: NodeJS.ReadWriteStream): Promise<void>;

  /** Releases what the runtime holds in this process (timers, sockets); containers keep running for real runtimes. */
  close?(): Promise<void>;
}

/** A runtime failure with the reason the kubelet reports (waiting reason, event reason). */
export class RuntimeError extends Error {
  override readonly name: string = 'RuntimeError';
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An id the runtime does not know. */
export class NotFoundRuntimeError extends RuntimeError {
  override readonly name = 'NotFoundRuntimeError';
  constructor(what: 'sandbox' | 'container' | 'image', id: string) {
    super('NotFound', `${what} "${id}" not found`);
  }
}

export function isRuntimeNotFound(e: unknown): boolean {
  return e instanceof NotFoundRuntimeError;
}
