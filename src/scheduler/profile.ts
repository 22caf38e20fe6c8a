// A scheduling profile: the plugins (built from a registry) that run at each extension point,
// in order, with their score weights; plus the profile's search settings and random source.
// The default profile mirrors kube-scheduler's default plugin set, order and weights.
import type {
  BindPlugin,
  ClusterEvent,
  ClusterSource,
  FilterPlugin,
  Plugin,
  PostFilterPlugin,
  PreFilterPlugin,
  PreScorePlugin,
  Registry,
  ReservePlugin,
  ScorePlugin,
} from './framework.js';
import {
  isBindPlugin,
  isFilterPlugin,
  isPostFilterPlugin,
  isPreFilterPlugin,
  isPreScorePlugin,
  isReservePlugin,
  isScorePlugin,
} from './framework.js';
import { IMAGE_LOCALITY } from './plugins/image-locality.js';
import { INTER_POD_AFFINITY } from './plugins/inter-pod-affinity.js';
import { NODE_AFFINITY } from './plugins/node-affinity.js';
import { NODE_NAME } from './plugins/node-name.js';
import { NODE_PORTS } from './plugins/node-ports.js';
import { NODE_RESOURCES_BALANCED_ALLOCATION } from './plugins/node-resources-balanced-allocation.js';
import { NODE_RESOURCES_FIT } from './plugins/node-resources-fit.js';
import { NODE_RESOURCES_LEAST_ALLOCATED } from './plugins/node-resources-least-allocated.js';
import { NODE_UNSCHEDULABLE } from './plugins/node-unschedulable.js';
import { POD_TOPOLOGY_SPREAD } from './plugins/pod-topology-spread.js';
import { IN_TREE_REGISTRY } from './plugins/registry.js';
import { TAINT_TOLERATION } from './plugins/taint-toleration.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export interface PluginConfig {
  readonly name: string;
  /** score weight (1..100); default 1 */
  readonly weight?: number;
  /** plugin-specific arguments, checked by the plugin's factory */
  readonly args?: unknown;
}

/** kube-scheduler's default plugins in their order, with its default score weights. */
export const DEFAULT_PLUGINS: readonly PluginConfig[] = Object.freeze([
  { name: NODE_UNSCHEDULABLE },
  { name: NODE_NAME },
  { name: TAINT_TOLERATION, weight: 3 },
  { name: NODE_AFFINITY, weight: 2 },
  { name: NODE_PORTS },
  { name: NODE_RESOURCES_FIT },
  { name: POD_TOPOLOGY_SPREAD, weight: 2 },
  { name: INTER_POD_AFFINITY, weight: 2 },
  { name: NODE_RESOURCES_LEAST_ALLOCATED, weight: 1 },
  { name: NODE_RESOURCES_BALANCED_ALLOCATION, weight: 1 },
  { name: IMAGE_LOCALITY, weight: 1 },
]);

export interface ProfileConfig {
  /** pods whose spec.schedulerName equals this are scheduled by the profile; default `default-scheduler` */
  readonly schedulerName?: string;
  /** default DEFAULT_PLUGINS */
  readonly plugins?: readonly PluginConfig[];
  /** share of nodes to find feasible before scoring, 1..100; 0 or unset: adaptive (50% down to 5%) */
  readonly percentageOfNodesToScore?: number;
}

export interface ProfileOptions {
  /** default IN_TREE_REGISTRY */
  readonly registry?: Registry;
  readonly cluster?: ClusterSource;
  /** uniform in [0, 1), breaks score ties; default Math.random */
  readonly random?: () => number;
}

export interface WeightedScorePlugin {
  readonly plugin: ScorePlugin;
  readonly weight: number;
}

export class Profile {
  readonly schedulerName: string;
  readonly plugins: readonly Plugin[];
  readonly preFilter: readonly PreFilterPlugin[];
  readonly filter: readonly FilterPlugin[];
  readonly postFilter: readonly PostFilterPlugin[];
  readonly preScore: readonly PreScorePlugin[];
  readonly score: readonly WeightedScorePlugin[];
  readonly reserve: readonly ReservePlugin[];
  readonly bind: readonly BindPlugin[];
  readonly percentageOfNodesToScore: number;
  readonly random: () => number;
  /** where the next Filter search starts (round robin over the node list); owned by schedulePod */
  nextStartNodeIndex = 0;
  private readonly events: ReadonlyMap<string, readonly ClusterEvent[] | undefined>;

  constructor(schedulerName: string, plugins: readonly { plugin: Plugin; weight: number }[], percentageOfNodesToScore: number, random: () => number) {
    this.schedulerName = schedulerName;
    this.plugins = plugins.map((p) => p.plugin);
    this.preFilter = this.plugins.filter(isPreFilterPlugin);
    this.filter = this.plugins.filter(isFilterPlugin);
    this.postFilter = this.plugins.filter(isPostFilterPlugin);
    this.preScore = this.plugins.filter(isPreScorePlugin);
    this.score = plugins.filter((p): p is { plugin: ScorePlugin; weight: number } => isScorePlugin(p.plugin));
    this.reserve = this.plugins.filter(isReservePlugin);
    this.bind = this.plugins.filter(isBindPlugin);
    this.percentageOfNodesToScore = percentageOfNodesToScore;
    this.random = random;
    this.events = new Map(this.plugins.map((p) => [p.name, p.events]));
  }

  /**
   * The cluster events that may help a pod rejected by `plugin`; undefined when the plugin does
   * not say (then every event may help).
   */
  eventsOf(plugin: string): readonly ClusterEvent[] | undefined {
    return this.events.get(plugin);
  }
}

/** Builds a profile; throws Error on an unknown plugin, a bad weight or bad plugin args. */
export function newProfile(config: ProfileConfig = {}, options: ProfileOptions = {}): Profile {
  const registry = options.registry ?? IN_TREE_REGISTRY;
  const handle = { cluster: options.cluster ?? {} };
  const pct = config.percentageOfNodesToScore ?? 0;
  if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw new Error(`percentageOfNodesToScore must be an integer in 0..100, got ${pct}`);
  const seen = new Set<string>();
  const plugins = (config.plugins ?? DEFAULT_PLUGINS).map((c) => {
    const factory = registry.get(c.name);
    if (!factory) throw new Error(`plugin "${c.name}" does not exist`);
    if (seen.has(c.name)) throw new Error(`plugin "${c.name}" is configured twice`);
    seen.add(c.name);
    const weight = c.weight ?? 1;
    if (!Number.isInteger(weight) || weight < 1 || weight > 100) throw new Error(`plugin "${c.name}": weight must be an integer in 1..100, got ${weight}`);
    return { plugin: factory(handle, c.args), weight };
  });
  return new Profile(config.schedulerName ?? DEFAULT_SCHEDULER_NAME, plugins, pct, options.random ?? Math.random);
}
