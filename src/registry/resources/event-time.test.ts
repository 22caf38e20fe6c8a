import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { lastEventWrite } from './event-time.js';

test('lastEventWrite: the latest of an Event\'s own times, from its stored text', () => {
  const core = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e', namespace: 'default', creationTimestamp: '2026-11-27T10:00:00Z' },
    involvedObject: { kind: 'Pod', name: 'p' },
    firstTimestamp: '2026-11-27T10:00:00Z',
    lastTimestamp: '2026-11-27T10:05:00Z',
    count: 3,
  });
  assert.equal(lastEventWrite(core), Date.parse('2026-11-27T10:05:00Z'));
  const series = JSON.stringify({
    metadata: { creationTimestamp: '2026-11-27T10:00:00Z' },
    eventTime: '2026-11-27T10:00:00.123456Z',
    series: { count: 2, lastObservedTime: '2026-11-27T10:07:30.000001Z' },
  });
  assert.equal(lastEventWrite(series), Date.parse('2026-11-27T10:07:30.000Z'));
  assert.equal(lastEventWrite('{"metadata":{"name":"x"},"lastTimestamp":null}'), undefined);
  assert.equal(lastEventWrite('{"metadata":{"creationTimestamp":"not a time"}}'), undefined);
});
