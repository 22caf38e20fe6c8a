// Two controller managers and two schedulers on one cluster: exactly one of each acts at a
// time, and the other takes over when the leader stops.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseServerFlags } from '../../src/cli/flags.js';
import { startServer } from '../../src/cli/server.js';
import { ControllerManager } from '../../src/controllers/manager.js';
import { SchedulerRunner } from '../../src/scheduler/scheduler-runner.js';

const FAST = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Candidate {
  isLeader(): boolean;
  start(signal: AbortSignal): void;
  stop(): Promise<void>;
}

async function exactlyOneLeads(a: Candidate, b: Candidate, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let sawLeader = false;
  while (Date.now() < deadline) {
    assert.ok(!(a.isLeader() && b.isLeader()), 'both lead at once');
    sawLeader ||= a.isLeader() || b.isLeader();
    await sleep(20);
  }
  assert.ok(sawLeader, 'nobody became leader');
}

describe('leader election on one store', () => {
  for (const kind of ['controller manager', 'scheduler'] as const) {
    it(`two ${kind}s never act at once, and the second takes over`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'skiff-leader-'));
      const server = await startServer(parseServerFlags(['--data-dir', dataDir, '--port', '0', '--bind', '127.0.0.1', '--cluster-cidr', '198.18.0.0/17', '--service-cidr', '198.18.128.0/17', '--storage', 'memory', '--disable-controllers', '--disable-agent']));
      const make = (id: string): Candidate =>
        kind === 'scheduler'
          ? new SchedulerRunner({ client: server.inProcessClient(), identity: id, ...FAST })
          : new ControllerManager({ client: server.inProcessClient(), controllers: [], identity: id, ...FAST });
      const a = make('a');
      const b = make('b');
      const ctl = new AbortController();
      try {
        a.start(ctl.signal);
        b.start(ctl.signal);
        await exactlyOneLeads(a, b, 3000);
        const [leader, other] = a.isLeader() ? [a, b] : [b, a];
        await leader.stop();
        const deadline = Date.now() + 5000;
        while (!other.isLeader() && Date.now() < deadline) await sleep(50);
        assert.ok(other.isLeader(), 'the other candidate took over');
      } finally {
        ctl.abort();
        await a.stop();
        await b.stop();
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
