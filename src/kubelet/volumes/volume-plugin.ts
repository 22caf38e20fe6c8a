// The volume plug point: one plugin per volume source (emptyDir, configMap, secret, hostPath,
// downwardAPI, projected). A plugin materialises a pod's volume on the node and says which host
// path containers mount; the VolumeManager (volume-manager.ts) picks the plugin and owns the pod
// directories. SetUp runs on every pod sync and must be idempotent (it is also how ConfigMap and
// Secret changes reach running containers).
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import type { PodFieldContext } from '../field-ref.js';
import type { PodObjects } from '../pod-objects.js';

export interface VolumeContext {
  readonly pod: Pod;
  readonly volume: Volume;
  /** this volume's directory: `<podsDir>/<uid>/volumes/<plugin name>/<volume name>` (not created yet) */
  readonly dir: string;
  readonly objects: PodObjects;
  readonly fields: PodFieldContext;
  /** the node's allocatable (downward API limits a container does not set) */
  readonly allocatable: Readonly<Record<string, string>>;
}

export interface VolumePlugin {
  /** directory name under `volumes/`, Kubernetes' escaped plugin name (`kubernetes.io~configmap`) */
  readonly name: string;
  canSupport(volume: Volume): boolean;
  /**
   * Makes the volume ready and resolves the host path containers mount. Idempotent. Rejects with
   * an Error whose message Kubernetes would show after `MountVolume.SetUp failed for volume "v" : `.
   */
  setUp(ctx: VolumeContext): Promise<string>;
  /** API-data volumes (configMap, secret, downwardAPI, projected) are always mounted read-only. */
  readonly readOnly?: boolean;
}

/** A volume could not be set up: the pod waits (ContainerCreating) with a FailedMount event. */
export class VolumeSetUpError extends Error {
  override readonly name = 'VolumeSetUpError';
  readonly reason = 'FailedMount';
  constructor(
    readonly volume: string,
    detail: string,
  ) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${detail}`);
  }
}

/** The file mode of an item: its own mode, else the volume's defaultMode, else 0644. */
export function fileMode(itemMode: number | undefined, defaultMode: number | undefined): number {
  return (itemMode ?? defaultMode ?? 0o644) & 0o777;
}
