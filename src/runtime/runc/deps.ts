// What the runc runtime needs from the rest of the node, as small structural interfaces: the
// real `ImageStore` (src/images) and `PodNetwork` (src/network) satisfy them, and tests pass
// small real stand-ins (a busybox rootfs, `ip netns add`) without importing either.

/** The parts of an OCI image config the runtime merges with the pod spec. */
export interface RuntimeImageConfig {
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly env?: readonly string[];
  readonly workingDir?: string;
  readonly user?: string;
}

export interface RuntimeImage {
  /** 'sha256:<hex>' */
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly size: number;
  readonly config: RuntimeImageConfig;
}

/** An image store: lookups are synchronous (in-memory index), pulls are not. */
export interface ImageProvider {
  /** by name, id or id prefix; undefined when the image is not on the node */
  resolve(ref: string): RuntimeImage | undefined;
  /** the read-only unpacked root filesystem of image `id` (the overlay's lower layer; never written) */
  rootfsPath(id: string): string;
  /** rejects with an error whose `reason` (when present) becomes the RuntimeError reason */
  pull(
    ref: string,
    opts?: { auth?: { username?: string; password?: string; identityToken?: string }; signal?: AbortSignal },
  ): Promise<RuntimeImage>;
}

export interface PodNetworkSetup {
  /** a network namespace file (`/run/netns/<name>`) the sandbox's containers join */
  readonly netnsPath: string;
  readonly ip: string;
}

/** A pod network: one network namespace with an IP per sandbox. */
export interface PodNetworkProvider {
  /** the node's pod CIDR; until set, setUp rejects */
  setPodCIDR(cidr: string): void;
  /**
   * idempotent per sandboxId; `namespaces`: also make new UTS/IPC namespaces, bind-mounted on these
   * existing files (by the process that makes the network namespace, where it can)
   */
  setUp(sandboxId: string, pod: { namespace: string; name: string; uid: string }, opts?: { namespaces?: { uts?: string; ipc?: string } }): Promise<PodNetworkSetup>;
  /** idempotent; unknown ids resolve */
  tearDown(sandboxId: string): Promise<void>;
  get(sandboxId: string): { netnsPath: string; ip: string } | undefined;
}

/** One published port of a sandbox (a container port with a hostPort). */
export interface PublishedPort {
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly hostPort: number;
  readonly containerPort: number;
  /** unset: every address of the node */
  readonly hostIP?: string;
}

/** A published port with its sandbox, pod (`namespace/name`) and pod IP. */
export interface PublishedPortEntry extends PublishedPort {
  readonly sandboxId: string;
  readonly pod: string;
  readonly podIP: string;
}

/** Publishes sandboxes' hostPorts on the node (src/network's HostPorts satisfies it). */
export interface HostPortProvider {
  /** rejects (changing nothing) when a mapping is invalid or another pod publishes it */
  add(sandboxId: string, pod: string, podIP: string, ports: readonly PublishedPort[]): Promise<void>;
  /** idempotent */
  remove(sandboxId: string): Promise<void>;
  /** exactly these, after a restart; → the entries left out, with why */
  restore(entries: readonly PublishedPortEntry[]): Promise<{ entry: PublishedPortEntry; reason: string }[]>;
}
