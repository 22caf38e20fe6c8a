// Prometheus metrics of the API server: request counts and latency histograms per verb and
// resource, open watches, the store revision. Text exposition format 0.0.4.

import { getHeapSpaceStatistics } from 'node:v8';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export class ApiMetrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private watches = 0;

  constructor(private readonly storeRevision: () => number) {}

  /** Records one finished request. */
  observe(verb: string, resource: string, code: number, seconds: number): void {
    const rk = `verb="${verb}",resource="${resource}",code="${code}"`;
    this.requests.set(rk, (this.requests.get(rk) ?? 0) + 1);
    if (verb === 'watch') return; // long-running: latency is meaningless
    const lk = `verb="${verb}",resource="${resource}"`;
    let h = this.latency.get(lk);
    if (!h) this.latency.set(lk, (h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) h.counts[i]++;
    h.sum += seconds;
    h.count++;
  }

  watchStarted(): void {
    this.watches++;
  }

  watchEnded(): void {
    this.watches--;
  }

  render(): string {
    const out: string[] = [];
    out.push('# HELP apiserver_request_total Counter of apiserver requests broken out by verb, resource and HTTP response code.');
    out.push('# TYPE apiserver_request_total counter');
    for (const [k, v] of this.requests) out.push(`apiserver_request_total{${k}} ${v}`);
    out.push('# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb and resource.');
    out.push('# TYPE apiserver_request_duration_seconds histogram');
    for (const [k, h] of this.latency) {
      BUCKETS.forEach((b, i) => out.push(`apiserver_request_duration_seconds_bucket{${k},le="${b}"} ${h.counts[i]}`));
      out.push(`apiserver_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      out.push(`apiserver_request_duration_seconds_sum{${k}} ${h.sum}`);
      out.push(`apiserver_request_duration_seconds_count{${k}} ${h.count}`);
    }
    out.push('# HELP apiserver_longrunning_requests Number of open watch requests.');
    out.push('# TYPE apiserver_longrunning_requests gauge');
    out.push(`apiserver_longrunning_requests{verb="watch"} ${this.watches}`);
    out.push('# HELP etcd_current_revision The store revision of the latest write.');
    out.push('# TYPE etcd_current_revision gauge');
    out.push(`etcd_current_revision ${this.storeRevision()}`);
    // Process memory, named as Prometheus' process collector and Node.js clients name it.
    const m = process.memoryUsage();
    out.push('# HELP process_resident_memory_bytes Resident memory size in bytes.');
    out.push('# TYPE process_resident_memory_bytes gauge');
    out.push(`process_resident_memory_bytes ${m.rss}`);
    out.push('# HELP nodejs_heap_size_total_bytes Process heap size from Node.js in bytes.');
    out.push('# TYPE nodejs_heap_size_total_bytes gauge');
    out.push(`nodejs_heap_size_total_bytes ${m.heapTotal}`);
    out.push('# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.');
    out.push('# TYPE nodejs_heap_size_used_bytes gauge');
    out.push(`nodejs_heap_size_used_bytes ${m.heapUsed}`);
    out.push('# HELP nodejs_external_memory_bytes Node.js external memory size in bytes (array buffers included).');
    out.push('# TYPE nodejs_external_memory_bytes gauge');
    out.push(`nodejs_external_memory_bytes ${m.external}`);
    out.push('# HELP nodejs_heap_space_size_total_bytes Process heap space size total from Node.js in bytes.');
    out.push('# TYPE nodejs_heap_space_size_total_bytes gauge');
    const spaces = getHeapSpaceStatistics();
    for (const s of spaces) out.push(`nodejs_heap_space_size_total_bytes{space="${s.space_name.replace(/_space$/, '')}"} ${s.space_size}`);
    out.push('# HELP nodejs_heap_space_size_used_bytes Process heap space size used from Node.js in bytes.');
    out.push('# TYPE nodejs_heap_space_size_used_bytes gauge');
    for (const s of spaces) out.push(`nodejs_heap_space_size_used_bytes{space="${s.space_name.replace(/_space$/, '')}"} ${s.space_used_size}`);
    return out.join('\n') + '\n';
  }
}
