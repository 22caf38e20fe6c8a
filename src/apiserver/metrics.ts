// Prometheus metrics of the API server: request counts and latency histograms per verb and
// resource, open watches, the store revision. Text exposition format 0.0.4.

import { getHeapSpaceStatistics } from 'node:v8';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** One verb and resource: its request counts by code and its latency histogram. */
interface Series {
  /** `verb="...",resource="..."` */
  readonly labels: string;
  /** request counts by response code, in the order codes were first seen */
  readonly codes: Map<number, number>;
  /** undefined for watches (long-running: latency is meaningless) */
  readonly latency: Histogram | undefined;
}

export class ApiMetrics {
  /** by verb, then resource: found per request without building a label string */
  private readonly series = new Map<string, Map<string, Series>>();
  private watches = 0;

  constructor(private readonly storeRevision: () => number) {}

  /** Records one finished request. */
  observe(verb: string, resource: string, code: number, seconds: number): void {
    let byResource = this.series.get(verb);
    if (!byResource) this.series.set(verb, (byResource = new Map()));
    let s = byResource.get(resource);
    if (!s) {
      const latency = verb === 'watch' ? undefined : { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      byResource.set(resource, (s = { labels: `verb="${verb}",resource="${resource}"`, codes: new Map(), latency }));
    }
    s.codes.set(code, (s.codes.get(code) ?? 0) + 1);
    const h = s.latency;
    if (!h) return;
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
    const all = [...this.series.values()].flatMap((m) => [...m.values()]);
    for (const s of all) for (const [code, n] of s.codes) out.push(`apiserver_request_total{${s.labels},code="${code}"} ${n}`);
    out.push('# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb and resource.');
    out.push('# TYPE apiserver_request_duration_seconds histogram');
    for (const { labels: k, latency: h } of all) {
      if (!h) continue;
      BUCKETS.forEach((b, i) => out.push(`apiserver_request_duration_seconds_bucket{${k},le="${b}"} ${h.counts[i]}`));
      out.push(`apiserver_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      out.push(`apiserver_request_duration_seconds_sum{${k}} ${h.sum}`);
      out.push(`apiserver_request_duration_seconds_count{${k}} ${h.count}`);
    }
    const gauge = (name: string, help: string, samples: readonly (readonly [labels: string, value: number])[]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
      for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
    };
    gauge('apiserver_longrunning_requests', 'Number of open watch requests.', [['{verb="watch"}', this.watches]]);
    gauge('etcd_current_revision', 'The store revision of the latest write.', [['', this.storeRevision()]]);
    // Process memory, named as Prometheus' process collector and Node.js clients name it.
    const m = process.memoryUsage();
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', [['', m.rss]]);
    gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', [['', m.heapTotal]]);
    gauge('nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', [['', m.heapUsed]]);
    gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes (array buffers included).', [['', m.external]]);
    const spaces = getHeapSpaceStatistics().map((s) => ({ ...s, label: `{space="${s.space_name.replace(/_space$/, '')}"}` }));
    gauge('nodejs_heap_space_size_total_bytes', 'Process heap space size total from Node.js in bytes.', spaces.map((s) => [s.label, s.space_size]));
    gauge('nodejs_heap_space_size_used_bytes', 'Process heap space size used from Node.js in bytes.', spaces.map((s) => [s.label, s.space_used_size]));
    return out.join('\n') + '\n';
  }
}
