// A Strategy holds everything that differs between resources (as Kubernetes' registry
// strategies do): defaulting, validation, what an update may change, table columns, field
// selectors and allocation hooks. The generic registry (generic-registry.ts) does the rest
// (metadata, revisions, storage, watch) the same way for every resource.
//
// Ownership: every method receives objects the caller owns (fresh copies); it may mutate
// `obj` / `newObj` in place and must never mutate `oldObj`.
import type { FieldError } from '../api/field-errors.js';
import type { KubeObject } from '../api/object.js';
import type { ResourceInfo } from '../api/resources.js';

/** A meta.k8s.io/v1 TableColumnDefinition. priority 0 columns show by default, 1 only with -o wide. */
export interface TableColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly format?: string;
  readonly description?: string;
  readonly priority: number;
}

export interface TableConvertor {
  readonly columns: readonly TableColumn[];
  /** one cell per column, in order; `now` is the clock for AGE-style cells */
  cells(obj: KubeObject, now: Date): unknown[];
}

/** Cluster facts strategies may consult. */
export interface StrategyContext {
  readonly now: Date;
  /** the server's configuration that affects defaulting (service CIDR etc.) */
  readonly config: RegistryConfig;
}

export interface RegistryConfig {
  readonly serviceCIDR: string;
  readonly clusterCIDR: string;
  /** inclusive range, e.g. [30000, 32767] */
  readonly nodePortRange: readonly [number, number];
  readonly defaultTolerationSeconds: number;
}

/** Hooks that claim and release cluster-wide resources (ClusterIPs, NodePorts). */
export interface AllocationHooks {
  /** Before a create is stored: allocate what the object asks for, mutating obj. Throws ApiError (Invalid) when impossible. */
  allocate(obj: KubeObject): void;
  /** Before an update is stored: adjust allocations (e.g. type changed to NodePort). Throws ApiError. */
  reallocate(newObj: KubeObject, oldObj: KubeObject): void;
  /** After the object is gone for good, or a create/update failed: give back what `obj` holds but `keep` (if given) does not. */
  release(obj: KubeObject, keep?: KubeObject): void;
}

export interface Strategy {
  readonly info: ResourceInfo;

  /** Fills defaults (imagePullPolicy, restartPolicy, targetPort, ...). Runs on create and update, after patches are applied. */
  defaults(obj: KubeObject, ctx: StrategyContext): void;

  /** On create: resets fields clients may not set (usually status), before validation. */
  prepareForCreate(obj: KubeObject, ctx: StrategyContext): void;

  /**
   * True when prepareForCreate fills the defaults itself, because it needs them (a pod's QoS
   * class and admitted tolerations): the registry then does not run `defaults` again on create.
   */
  readonly prepareForCreateDefaults?: boolean;

  /**
   * On create, after validation and after managedFields are recorded: mutating admission whose
   * additions no field manager owns, as Kubernetes runs its mutating admission plugins after the
   * field manager (a Node's not-ready taint). What it adds must be valid by construction.
   */
  admitCreate?(obj: KubeObject, ctx: StrategyContext): void;

  /** On update of the main resource: keeps what the main resource may not change (usually status) from oldObj. */
  prepareForUpdate(newObj: KubeObject, oldObj: KubeObject, ctx: StrategyContext): void;

  /** Validation of a new object (metadata is validated by the generic registry). */
  validate(obj: KubeObject, ctx: StrategyContext): FieldError[];

  /** Validation of an update: validate(newObj) plus immutability rules against oldObj. */
  validateUpdate(newObj: KubeObject, oldObj: KubeObject, ctx: StrategyContext): FieldError[];

  /** True if the spec-like part changed, so metadata.generation must be bumped. Defaults to comparing `spec`. */
  specChanged?(newObj: KubeObject, oldObj: KubeObject): boolean;

  /**
   * Metadata a status write may not change (kept from the stored object). Default: labels,
   * annotations, finalizers and ownerReferences (Kubernetes' ResetObjectMetaForStatus);
   * apps/v1 kinds keep only labels, so controllers can write revision annotations with status.
   */
  readonly statusKeepsMetadata?: readonly ('labels' | 'annotations' | 'finalizers' | 'ownerReferences')[];

  /**
   * status subresource: keeps everything but status from oldObj. Absent when there is no status
   * subresource. oldObj is the registry's own decoded copy of the stored object for this write,
   * read only after this call: its members may be moved into newObj rather than copied.
   */
  prepareForStatusUpdate?(newObj: KubeObject, oldObj: KubeObject, ctx: StrategyContext): void;
  validateStatusUpdate?(newObj: KubeObject, oldObj: KubeObject, ctx: StrategyContext): FieldError[];

  /** Columns for `kubectl get`. */
  readonly table: TableConvertor;

  /** Supported field selectors beyond metadata.name / metadata.namespace: field path → value getter. */
  readonly fieldSelectors: Readonly<Record<string, (obj: KubeObject) => string | undefined>>;

  /** Allocation hooks (Service only). */
  readonly allocation?: AllocationHooks;

  /**
   * Set when this resource is another representation of a stored resource (events.k8s.io/v1
   * Event is stored as core/v1 Event, as in Kubernetes). Objects are converted on the way in
   * and out; keys, revisions and watches are those of `resource`.
   */
  readonly storage?: StorageConversion;
}

export interface StorageConversion {
  readonly resource: ResourceInfo;
  toStorage(obj: KubeObject): KubeObject;
  fromStorage(obj: KubeObject): KubeObject;
}
