// The contract every controller of the controller manager implements, and what it is given.
// A controller holds only its dependencies; the queue holds object keys; all logic sits in one
// reconcile(key) that reads desired and observed state from informer caches and makes one step
// towards desired. reconcile may run again at any time and must be idempotent.
import type { Client } from '../client/client.js';
import type { Clock } from '../client/clock.js';
import type { EventRecorder } from '../client/event-recorder.js';
import type { SharedInformerFactory } from '../client/shared-informers.js';

export interface ControllerDeps {
  readonly client: Client;
  readonly informers: SharedInformerFactory;
  /** an event recorder for this controller's component name, e.g. "replicaset-controller" */
  readonly recorder: (component: string) => EventRecorder;
  readonly clock: Clock;
  /** one line per notable event; component name first */
  readonly log: (line: string) => void;
}

export interface Controller {
  /** e.g. "replicaset": names the controller in logs and its work loops */
  readonly name: string;
  /** Registers informer handlers and starts workers; returns at once. Stops when `signal` aborts. */
  start(signal: AbortSignal): void;
}

export type ControllerFactory = (deps: ControllerDeps) => Controller;
