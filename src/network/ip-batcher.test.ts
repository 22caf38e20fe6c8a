import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isNetworkError } from './errors.js';
import { IpBatcher } from './ip-batcher.js';

test('IpBatcher: concurrent callers share one ip process; a failure goes to the caller that owns the line', async () => {
  const b = new IpBatcher();
  const [ok1, bad, ok2] = await Promise.allSettled([
    b.run(['link show dev lo']),
    b.run(['link show dev lo', 'link show dev sktnonexist0', 'link show dev lo']),
    b.run(['link show dev lo']),
  ]);
  assert.equal(b.processes, 1);
  assert.equal(ok1.status, 'fulfilled');
  assert.equal(ok2.status, 'fulfilled');
  assert.equal(bad.status, 'rejected');
  const e = (bad as PromiseRejectedResult).reason as unknown;
  assert.ok(isNetworkError(e, 'NetworkSetupFailed'));
  assert.match(e.message, /link show dev sktnonexist0: .*sktnonexist0.* does not exist/);
  // a later call is a new process
  await b.run(['link show dev lo']);
  assert.equal(b.processes, 2);
});
