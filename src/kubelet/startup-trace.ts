// Per-step timings of a pod's start on this node, for finding where start-up latency goes: from the
// moment the kubelet first sees the pod to its first status write with every container started
// (Ready for pods without readiness probes), one line per pod:
//   `startup default/web-1: 143ms (queue 0, volumes 2, sandbox 41, env 1, create 62, start 21, status 16)`
// Steps are named by the caller; each mark takes the time since the previous mark. Off (no
// bookkeeping at all) unless an output is given. Only pods first seen by this kubelet are traced;
// a pod it never finishes starting is dropped when forgotten.

export class StartupTrace {
  private readonly pods = new Map<string, { name: string; t0: number; last: number; steps: [string, number][] }>();

  constructor(
    private readonly out: ((line: string) => void) | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.out !== undefined;
  }

  /** The kubelet saw the pod for the first time. */
  begin(uid: string, name: string): void {
    if (!this.out || this.pods.has(uid)) return;
    const t = this.now();
    this.pods.set(uid, { name, t0: t, last: t, steps: [] });
  }

  /** `step` of the pod's start just finished (repeated steps add up). */
  mark(uid: string, step: string): void {
    const p = this.out && this.pods.get(uid);
    if (!p) return;
    const t = this.now();
    const prev = p.steps.find((s) => s[0] === step);
    if (prev) prev[1] += t - p.last;
    else p.steps.push([step, t - p.last]);
    p.last = t;
  }

  /** The pod has started (its status with every container started is written): logs its line. */
  end(uid: string): void {
    const p = this.out && this.pods.get(uid);
    if (!p) return;
    this.pods.delete(uid);
    const steps = p.steps.map(([s, ms]) => `${s} ${Math.round(ms)}`).join(', ');
    this.out!(`startup ${p.name}: ${Math.round(p.last - p.t0)}ms (${steps})`);
  }

  forget(uid: string): void {
    this.pods.delete(uid);
  }
}
