// ImageLocality: prefers nodes that already hold the pod's images, weighing each image by its
// size and by how widely it is spread (an image on every node says nothing about a node).
import type { CycleState, PluginFactory, PreScorePlugin, ScorePlugin, Status } from '../framework.js';
import { MAX_NODE_SCORE, SKIP, StateKey, SUCCESS } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import type { Snapshot } from '../snapshot.js';

export const IMAGE_LOCALITY = 'ImageLocality';

const MB = 1024 * 1024;
/** below this total the score is 0, so small images do not decide placement */
export const MIN_THRESHOLD = 23 * MB;
/** per container, above this total the score is 100 */
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** `name` with `:latest` added when it has no tag (a digest or tag after the last `/` counts). */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

/** The score for `sum` bytes of present images over `containers` containers, 0..100. */
export function scoreForSize(sum: number, containers: number): number {
  const max = MAX_CONTAINER_THRESHOLD * containers;
  const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), max);
  return Math.trunc((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
}

interface PreScoreState {
  readonly images: readonly string[];
  readonly containers: number;
  readonly snapshot: Snapshot;
}

const PRE_SCORE = new StateKey<PreScoreState>(`PreScore${IMAGE_LOCALITY}`);

class ImageLocality implements PreScorePlugin, ScorePlugin {
  readonly name = IMAGE_LOCALITY;

  preScore(state: CycleState, pod: PodInfo, _nodes: readonly NodeInfo[], snapshot: Snapshot): Status {
    const spec = pod.pod.spec;
    const all = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
    const images = all.map((c) => normalizedImageName(c.image ?? '')).filter((i) => snapshot.imageNumNodes(i) > 0);
    if (images.length === 0) return SKIP; // no node holds any: every node scores 0
    state.write(PRE_SCORE, { images, containers: all.length, snapshot });
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read(PRE_SCORE);
    if (!s || node.imageSizes.size === 0) return 0;
    const total = s.snapshot.numNodes;
    let sum = 0;
    for (const image of s.images) {
      const size = node.imageSizes.get(image);
      if (size !== undefined) sum += Math.trunc(size * (s.snapshot.imageNumNodes(image) / total));
    }
    return scoreForSize(sum, s.containers);
  }
}

export const newImageLocality: PluginFactory = () => new ImageLocality();
