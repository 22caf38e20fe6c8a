import assert from 'node:assert/strict';
import { it } from 'node:test';

import { ApiMetrics } from './metrics.js';

it('counts requests by verb, resource and code, with a latency histogram per verb and resource', () => {
  const m = new ApiMetrics(() => 7);
  m.observe('create', 'pods', 201, 0.004);
  m.observe('create', 'pods', 201, 0.02);
  m.observe('create', 'pods', 409, 0.001);
  m.observe('get', 'pods', 200, 2);
  m.observe('watch', 'pods', 200, 30);
  const text = m.render();
  const lines = new Set(text.split('\n'));
  for (const l of [
    'apiserver_request_total{verb="create",resource="pods",code="201"} 2',
    'apiserver_request_total{verb="create",resource="pods",code="409"} 1',
    'apiserver_request_total{verb="get",resource="pods",code="200"} 1',
    'apiserver_request_total{verb="watch",resource="pods",code="200"} 1',
    'apiserver_request_duration_seconds_bucket{verb="create",resource="pods",le="0.005"} 2',
    'apiserver_request_duration_seconds_bucket{verb="create",resource="pods",le="0.025"} 3',
    'apiserver_request_duration_seconds_bucket{verb="create",resource="pods",le="+Inf"} 3',
    'apiserver_request_duration_seconds_count{verb="create",resource="pods"} 3',
    'apiserver_request_duration_seconds_bucket{verb="get",resource="pods",le="1"} 0',
    'apiserver_request_duration_seconds_bucket{verb="get",resource="pods",le="2.5"} 1',
    'etcd_current_revision 7',
  ]) {
    assert.ok(lines.has(l), l);
  }
  assert.doesNotMatch(text, /duration_seconds_\w+\{verb="watch"/);
});
