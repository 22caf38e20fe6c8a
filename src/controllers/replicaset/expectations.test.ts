import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { FakeClock } from '../../client/fake-clock.js';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS } from './expectations.js';

test('expectations: creations are counted, deletions tracked per pod, and they expire', async () => {
  const clock = new FakeClock();
  const e = new ControllerExpectations(clock);
  assert.equal(e.satisfied('ns/rs'), true, 'no expectations yet');

  e.expectCreations('ns/rs', 2);
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), false);
  e.creationObserved('ns/rs');
  assert.equal(e.satisfied('ns/rs'), true);

  e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
  e.deletionObserved('ns/rs', 'ns/a');
  e.deletionObserved('ns/rs', 'ns/a'); // seen again (deletionTimestamp, then removal): counted once
  e.deletionObserved('ns/rs', 'ns/other');
  assert.deepEqual(e.pending('ns/rs'), { add: 0, del: 1 });
  assert.equal(e.satisfied('ns/rs'), false);
  await clock.advance(EXPECTATIONS_TIMEOUT_MS + 1);
  assert.equal(e.satisfied('ns/rs'), true, 'expired');

  e.expectCreations('ns/rs', 1);
  e.delete('ns/rs');
  assert.equal(e.satisfied('ns/rs'), true);
});
