// EventRecorder: writes core/v1 Events about objects, where `kubectl get events` and
// `kubectl describe` show them. As client-go's recorder and EventCorrelator:
// - repeats of the same (object, type, reason, message) from this component update one Event —
//   count + 1 and a new lastTimestamp, by PATCH — instead of creating another (an LRU of the
//   EVENT_CACHE_SIZE most recent Events remembers which);
// - similar Events (same object, type and reason, other messages) are folded as client-go's
//   EventAggregator folds them: once AGGREGATE_MAX_EVENTS distinct messages were seen within
//   AGGREGATE_INTERVAL_MS, each further one updates ONE Event "(combined from similar events): <message>"
//   (a ReplicaSet's "Created pod: ..." after the ninth pod, say) instead of creating another;
// - a per-object token bucket (burst SPAM_BURST, one more every SPAM_REFILL_MS) drops floods;
// - Events are named `<object name>.<hex nanosecond timestamp>` in the object's namespace
//   ("default" for cluster-scoped objects); the clock has milliseconds, so the nanoseconds below
//   them count Events of the whole thread (from a random start), and two recorders (a scheduler's
//   and a kubelet's about one pod, say) never make the same name in the same millisecond.
// Recording is best-effort and asynchronous: event() never throws and never waits; writes happen
// in the background, failures are logged and dropped. Writes of one Event (its create, then the
// patches of its repeats) happen in order; writes of different Events run side by side, as
// client-go's events broadcaster records each Event in a goroutine of its own (one write at a time
// for a whole component could not keep up with a scheduler binding hundreds of pods a second, and
// its queue limit would drop Events). flush() waits for pending writes.
import { rfc3339 } from '../api/time.js';
import { isNotFound } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import type { Client, ResultlessCreator } from './client.js';
import { resourceInfo } from './client.js';
import { systemClock, type Clock } from './clock.js';

export type EventType = 'Normal' | 'Warning';

/** Recent Events remembered for aggregation (client-go's maxLruCacheEntries). */
export const EVENT_CACHE_SIZE = 4096;
/** Per object: this many Events at once, then one more per SPAM_REFILL_MS (client-go's spam filter). */
export const SPAM_BURST = 25;
export const SPAM_REFILL_MS = 5 * 60_000;
/** Distinct messages of similar Events before they are combined (client-go's defaultAggregateMaxEvents). */
export const AGGREGATE_MAX_EVENTS = 10;
/** Similar Events further apart than this start a new count (client-go's defaultAggregateIntervalInSeconds). */
export const AGGREGATE_INTERVAL_MS = 600_000;
/** The message prefix of a combined Event (client-go's EventAggregatorByReasonMessageFunc). */
export const COMBINED_MESSAGE_PREFIX = '(combined from similar events): ';
/** Writes pending in the background beyond this are dropped (client-go's broadcaster queue length). */
export const MAX_PENDING_WRITES = 1000;

const EVENTS = resourceInfo('', 'v1', 'events');

/** The sub-millisecond part of Event names: one sequence for every recorder of this thread. */
let nameSequence = Math.floor(Math.random() * 1_000_000);

export interface EventRecorderOptions {
  readonly client: Client;
  /** source.component and reportingComponent, e.g. "default-scheduler", "replicaset-controller", "kubelet" */
  readonly component: string;
  /** source.host (the node, for kubelets) and reportingInstance */
  readonly host?: string;
  readonly clock?: Clock;
  /** default: one line on stderr */
  readonly log?: (line: string) => void;
}

interface Aggregate {
  readonly name: string;
  readonly namespace: string;
  count: number;
}

interface Bucket {
  tokens: number;
  last: number;
}

/** The messages seen recently for one (object, type, reason). */
interface Similar {
  readonly messages: Set<string>;
  last: number;
}

export class EventRecorder {
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private readonly aggregates = new Map<string, Aggregate>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly similar = new Map<string, Similar>();
  /** the latest write of each Event key still pending (later writes of that key chain onto it) */
  private readonly tails = new Map<string, Promise<void>>();
  /** every pending write */
  private readonly writes = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly opts: EventRecorderOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Records that `reason` happened to `obj`. Never throws; the write happens in the background. */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    try {
      const m = obj.metadata;
      if (!m?.name) return this.warn(`dropping event ${reason} for an object without metadata.name`);
      if (this.stopped) return this.warn(`dropping event ${reason} for ${obj.kind ?? ''} ${m.name}: recorder stopped`);
      const involved = {
        kind: obj.kind ?? '',
        ...(m.namespace ? { namespace: m.namespace } : {}),
        name: m.name,
        ...(m.uid ? { uid: m.uid } : {}),
        ...(obj.apiVersion ? { apiVersion: obj.apiVersion } : {}),
        ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      };
      // keys: fields joined by NUL (no name, kind, uid or reason holds one; the message comes last)
      const objectId = `${this.opts.component}\0${this.opts.host ?? ''}\0${involved.kind}\0${m.namespace ?? ''}\0${m.name}\0${m.uid ?? ''}\0${obj.apiVersion ?? ''}`;
      const similarKey = `${objectId}\0${type}\0${reason}`;
      const at = this.clock.now();
      // as client-go's correlator: aggregate first, then the spam filter
      const combined = this.aggregate(similarKey, message, at);
      const text = combined ? `${COMBINED_MESSAGE_PREFIX}${message}` : message;
      if (!this.allow(objectId)) return this.warn(`dropping event ${reason} for ${involved.kind} ${m.name}: too many events for this object`);
      if (this.writes.size >= MAX_PENDING_WRITES) return this.warn(`dropping event ${reason} for ${involved.kind} ${m.name}: ${MAX_PENDING_WRITES} writes pending`);
      // a combined Event is one per (object, type, reason), whatever its latest message
      const key = combined ? similarKey : `${similarKey}\0${text}`;
      const nanos = BigInt(at) * 1_000_000n + BigInt(nameSequence++ % 1_000_000);
      const write = () => this.write(key, { involved, type, reason, message: text, at, nanos });
      const previous = this.tails.get(key);
      // write() never rejects: failures are logged there
      const done: Promise<void> = (previous ? previous.then(write) : write()).finally(() => {
        this.writes.delete(done);
        if (this.tails.get(key) === done) this.tails.delete(key);
      });
      this.writes.add(done);
      this.tails.set(key, done);
    } catch (e) {
      this.warn(`dropping event ${reason}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    await Promise.all(this.writes);
  }

  /** Refuses new events and waits for pending writes. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.flush();
  }

  private async write(
    key: string,
    e: { involved: { kind: string; namespace?: string; name: string }; type: EventType; reason: string; message: string; at: number; nanos: bigint },
  ): Promise<void> {
    const timestamp = rfc3339(e.at);
    const existing = this.aggregates.get(key);
    if (existing) {
      const count = existing.count + 1;
      try {
        await this.opts.client.patch(EVENTS, existing.namespace, existing.name, { count, lastTimestamp: timestamp, message: e.message }, 'merge');
        existing.count = count;
        this.remember(key, existing);
        return;
      } catch (err) {
        this.aggregates.delete(key);
        if (!isNotFound(err)) return this.warn(`could not update event ${existing.namespace}/${existing.name} (${e.reason}): ${describe(err)}`);
        // The Event expired or was deleted: start a new one.
      }
    }
    const namespace = e.involved.namespace || 'default';
    const name = `${e.involved.name}.${e.nanos.toString(16)}`;
    const source = { component: this.opts.component, ...(this.opts.host ? { host: this.opts.host } : {}) };
    try {
      await this.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: e.involved,
        reason: e.reason,
        message: e.message,
        type: e.type,
        source,
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        count: 1,
        reportingComponent: this.opts.component,
        reportingInstance: this.opts.host ?? '',
      });
      this.remember(key, { name, namespace, count: 1 });
    } catch (err) {
      this.warn(`could not create event ${namespace}/${name} (${e.reason}): ${describe(err)}`);
    }
  }

  /** Creates an Event; the created object is not needed (a client that can skip carrying it back is asked to). */
  private async create(event: KubeObject): Promise<void> {
    const client = this.opts.client as Client & Partial<ResultlessCreator>;
    if (client.createWithoutResult) await client.createWithoutResult(EVENTS, event);
    else await client.create(EVENTS, event);
  }

  /** Inserts or refreshes an aggregate as most recently used, evicting the least recently used beyond the cache size. */
  private remember(key: string, a: Aggregate): void {
    this.aggregates.delete(key);
    this.aggregates.set(key, a);
    if (this.aggregates.size > EVENT_CACHE_SIZE) this.aggregates.delete(this.aggregates.keys().next().value!);
  }

  /**
   * Notes `message` among the recent ones of `similarKey` (object, type, reason); true when it is
   * to be folded into the combined Event: AGGREGATE_MAX_EVENTS distinct messages seen within
   * AGGREGATE_INTERVAL_MS of each other (the set then stays at one less than that, as client-go's).
   */
  private aggregate(similarKey: string, message: string, now: number): boolean {
    let r = this.similar.get(similarKey);
    if (!r || now - r.last > AGGREGATE_INTERVAL_MS) r = { messages: new Set(), last: now };
    r.messages.add(message);
    r.last = now;
    this.similar.delete(similarKey);
    this.similar.set(similarKey, r);
    if (this.similar.size > EVENT_CACHE_SIZE) this.similar.delete(this.similar.keys().next().value!);
    if (r.messages.size < AGGREGATE_MAX_EVENTS) return false;
    r.messages.delete(r.messages.values().next().value!);
    return true;
  }

  /** Takes a token from the object's bucket, if it has one. */
  private allow(objectId: string): boolean {
    const now = this.clock.now();
    const b = this.buckets.get(objectId) ?? { tokens: SPAM_BURST, last: now };
    b.tokens = Math.min(SPAM_BURST, b.tokens + (now - b.last) / SPAM_REFILL_MS);
    b.last = now;
    this.buckets.delete(objectId);
    this.buckets.set(objectId, b);
    if (this.buckets.size > EVENT_CACHE_SIZE) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private warn(msg: string): void {
    try {
      this.log(`event-recorder ${this.opts.component}: ${msg}`);
    } catch {
      // a failing logger must not make event() throw
    }
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
