// Expectations: a job waits for the cache to show what was asked, or for the expectations to expire.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { FakeClock } from '../../client/fake-clock.js';
import { EXPECTATIONS_TTL_MS, Expectations } from './expectations.js';

describe('job expectations', () => {
  it('are satisfied once every creation and deletion was observed', () => {
    const e = new Expectations(new FakeClock());
    assert.ok(e.satisfied('ns/a'));
    e.expectCreations('ns/a', 2);
    e.expectDeletion('ns/a', 'uid-1');
    assert.ok(!e.satisfied('ns/a'));
    e.creationObserved('ns/a');
    e.creationObserved('ns/a');
    assert.ok(!e.satisfied('ns/a'));
    e.deletionObserved('ns/a', 'uid-1');
    assert.ok(e.satisfied('ns/a'));
    assert.ok(e.satisfied('ns/b'), 'per job');
  });

  it('expire, so a lost event cannot stall a job', async () => {
    const clock = new FakeClock();
    const e = new Expectations(clock);
    e.expectCreations('ns/a', 1);
    await clock.advance(EXPECTATIONS_TTL_MS);
    assert.ok(!e.satisfied('ns/a'));
    await clock.advance(1);
    assert.ok(e.satisfied('ns/a'));
  });

  it('track finalizer removals by pod uid until seen', () => {
    const e = new Expectations(new FakeClock());
    e.expectFinalizerRemoval('ns/a', 'p1');
    assert.ok(e.finalizerRemovalPending('p1'));
    e.finalizerRemovalObserved('p1');
    assert.ok(!e.finalizerRemovalPending('p1'));
    e.expectFinalizerRemoval('ns/a', 'p2');
    e.delete('ns/a');
    assert.ok(!e.finalizerRemovalPending('p2'));
  });
});
