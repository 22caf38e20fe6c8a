// startMonitor's two implementations: in this process (node:child_process) and on a thread of the
// process-spawn addon (nativeMonitorStarter), with the same outcomes.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { nativeMonitorStarter, startMonitor, type MonitorOutcome, type MonitorRequest } from './process-start.js';

const native = nativeMonitorStarter();
const starters: Array<[string, ((req: MonitorRequest) => Promise<MonitorOutcome>) | undefined]> = [
  ['node:child_process', (req) => startMonitor(req)],
  ['the addon on a thread', native],
];

for (const [name, start] of starters) {
  test(`startMonitor (${name}): the sync message on fd 3, the exit status and stderr without one, a timeout, a missing program`, { skip: start ? false : 'the process-spawn addon is not built' }, async () => {
    const ok = await start!({ file: '/bin/sh', args: ['-c', 'printf \'{"data": %s}\' "$X" >&3; echo later >&3; sleep 0.2'], cwd: '/', env: { X: '42' }, timeoutMs: 5000 });
    assert.equal(ok.message, '{"data": 42}');
    assert.equal(ok.error, undefined);
    const failed = await start!({ file: '/bin/sh', args: ['-c', 'echo broken >&2; exit 125'], cwd: '/', env: {}, timeoutMs: 5000 });
    assert.equal(failed.message, undefined);
    assert.equal(failed.code, 125);
    assert.match(failed.stderr, /broken/);
    // the working directory and a session of its own
    const where = await start!({ file: '/bin/sh', args: ['-c', 'printf \'{"cwd": "%s", "sid": %s, "pid": %s}\' "$(pwd)" "$(cut -d" " -f6 /proc/self/stat)" $$ >&3'], cwd: '/tmp', env: {}, timeoutMs: 5000 });
    const w = JSON.parse(where.message!) as { cwd: string; sid: number; pid: number };
    assert.equal(w.cwd, '/tmp');
    assert.notEqual(w.sid, process.pid);
    const silent = await start!({ file: '/bin/sleep', args: ['2'], cwd: '/', env: {}, timeoutMs: 200 });
    assert.match(silent.error ?? '', /no report within 200 ms/);
    const missing = await start!({ file: '/no/such/program', args: [], cwd: '/', env: {}, timeoutMs: 5000 });
    assert.equal(missing.message, undefined);
    assert.ok(missing.error !== undefined || missing.code !== 0, 'a program that cannot start is reported');
  });
}

test('the addon reaps the process it started (no zombie left behind)', { skip: native && existsSync('/proc/self/task') ? false : 'the process-spawn addon is not built' }, async () => {
  const out = await native!({ file: '/bin/sh', args: ['-c', 'printf \'{"data": %s}\' $$ >&3'], cwd: '/', env: {}, timeoutMs: 5000 });
  const pid = (JSON.parse(out.message!) as { data: number }).data;
  for (let i = 0; i < 50 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(!existsSync(`/proc/${pid}`), `process ${pid} is gone, not a zombie`);
});
