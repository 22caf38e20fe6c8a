// The volumes of the pods on a real node. Each pod has a directory `<podsDir>/<uid>/`; its
// volumes live in `volumes/<plugin>/<name>` (hostPath volumes are the node's own paths). setUp
// runs on every pod sync before containers start: it makes what is missing and refreshes
// ConfigMap/Secret/downward API contents (written atomically, so running containers see updates).
// A volume that cannot be set up (a missing ConfigMap that is not optional, a failed hostPath
// check) rejects with a VolumeSetUpError: the pod waits in ContainerCreating with a FailedMount
// event, and the next sync tries again. tearDown unmounts everything mounted under the pod
// directory (tmpfs emptyDirs), deepest first, and only then removes the directory.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import type { PodObjects } from '../pod-objects.js';
import { configMapPlugin } from './config-map.js';
import { downwardAPIPlugin } from './downward-api.js';
import { emptyDirPlugin } from './empty-dir.js';
import { hostPathPlugin } from './host-path.js';
import { mountsUnder, unmount } from './mounts.js';
import { projectedPlugin } from './projected.js';
import { secretPlugin } from './secret.js';
import type { VolumePlugin } from './volume-plugin.js';
import { VolumeSetUpError } from './volume-plugin.js';

export const DEFAULT_VOLUME_PLUGINS: readonly VolumePlugin[] = [emptyDirPlugin, configMapPlugin, secretPlugin, hostPathPlugin, downwardAPIPlugin, projectedPlugin];

/** A volume as containers mount it. */
export interface MountedVolume {
  readonly hostPath: string;
  /** API-data volumes: always mounted read-only */
  readonly readOnly: boolean;
}

export interface VolumeManagerOptions {
  /** e.g. DATA/agent/pods */
  readonly podsDir: string;
  readonly objects: PodObjects;
  readonly hostIP: string;
  /** the node's allocatable (for downward API limits) */
  readonly allocatable: () => Readonly<Record<string, string>>;
  readonly plugins?: readonly VolumePlugin[];
}

export class VolumeManager {
  private readonly plugins: readonly VolumePlugin[];

  constructor(private readonly opts: VolumeManagerOptions) {
    this.plugins = opts.plugins ?? DEFAULT_VOLUME_PLUGINS;
  }

  podDir(uid: string): string {
    if (!uid || uid.includes('/') || uid.startsWith('.')) throw new Error(`invalid pod uid ${JSON.stringify(uid)}`);
    return join(this.opts.podsDir, uid);
  }

  /**
   * Sets up (or refreshes) every volume of the pod; resolves them by volume name. Rejects with a
   * VolumeSetUpError naming the first volume that failed. `podIPs`: for downward API fields.
   */
  async setUp(pod: Pod, podIPs: readonly string[] = []): Promise<Map<string, MountedVolume>> {
    const uid = pod.metadata?.uid ?? '';
    const base = join(this.podDir(uid), 'volumes');
    const out = new Map<string, MountedVolume>();
    if (pod.spec?.volumes?.length) await mkdir(this.podDir(uid), { recursive: true, mode: 0o750 });
    for (const volume of pod.spec?.volumes ?? []) {
      const plugin = this.plugins.find((p) => p.canSupport(volume));
      if (!plugin) throw new VolumeSetUpError(volume.name, `volume type ${volumeType(volume)} is not supported on this node`);
      try {
        const hostPath = await plugin.setUp({
          pod,
          volume,
          dir: join(base, plugin.name, volume.name),
          objects: this.opts.objects,
          fields: { hostIP: this.opts.hostIP, podIPs },
          allocatable: this.opts.allocatable(),
        });
        out.set(volume.name, { hostPath, readOnly: plugin.readOnly === true });
      } catch (e) {
        throw new VolumeSetUpError(volume.name, e instanceof Error ? e.message : String(e));
      }
    }
    return out;
  }

  /** Unmounts what is mounted under the pod directory, then removes it. Idempotent. Rejects (keeping the directory) when an unmount fails. */
  async tearDown(uid: string): Promise<void> {
    const dir = this.podDir(uid);
    for (const m of await mountsUnder(dir)) await unmount(m);
    if ((await mountsUnder(dir)).length) throw new Error(`pod directory ${dir} still has mounts; not removing it`);
    await rm(dir, { recursive: true, force: true });
  }

  /** Uids that have a pod directory. */
  async podUids(): Promise<string[]> {
    await mkdir(this.opts.podsDir, { recursive: true });
    return (await readdir(this.opts.podsDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  }
}

function volumeType(v: Volume): string {
  return Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
}
