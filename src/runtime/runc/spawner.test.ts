import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { runToEnd, startMonitor } from './process-start.js';
import { childProcessSpawner, nativeSpawner, type Spawner } from './spawner.js';

const native = nativeSpawner();
const SPAWNERS: ReadonlyArray<[string, Spawner | undefined, string | false]> = [
  ['child_process', childProcessSpawner, false],
  ['posix_spawn addon', native.spawner, native.spawner ? false : `the skiff-process-spawn addon is not built (npm install builds it on Linux): ${native.error}`],
];

for (const [name, spawner, skip] of SPAWNERS) {
  test(`${name}: runToEnd collects output, passes input and reports exit codes`, { skip }, async () => {
    assert.deepEqual(await runToEnd({ file: '/bin/sh', args: ['-c', 'echo out; echo err >&2'] }, spawner), { code: 0, signal: null, stdout: 'out\n', stderr: 'err\n' });
    assert.equal((await runToEnd({ file: 'sh', args: ['-c', 'cat'], input: 'piped' }, spawner)).stdout, 'piped', 'PATH is searched');
    const failed = await runToEnd({ file: '/bin/sh', args: ['-c', 'echo nope >&2; exit 3'] }, spawner);
    assert.equal(failed.code, 3);
    assert.equal(failed.stderr, 'nope\n');
    assert.equal(failed.error, undefined);
    const big = await runToEnd({ file: '/bin/sh', args: ['-c', 'head -c 300000 /dev/zero'] }, spawner);
    assert.equal(big.stdout.length, 300_000);
  });

  test(`${name}: runToEnd reports programs that cannot start, time out or die of a signal`, { skip }, async () => {
    const missing = await runToEnd({ file: '/nonexistent/program', args: [] }, spawner);
    assert.equal(missing.code, null);
    assert.match(missing.error ?? '', /ENOENT/);
    const slow = await runToEnd({ file: '/bin/sleep', args: ['5'], timeoutMs: 100 }, spawner);
    assert.equal(slow.code, null);
    assert.equal(slow.signal, 'SIGTERM');
    assert.match(slow.error ?? '', /time limit of 100 ms/);
    const killed = await runToEnd({ file: '/bin/sh', args: ['-c', 'kill -KILL $$'] }, spawner);
    assert.deepEqual([killed.code, killed.signal, killed.error], [null, 'SIGKILL', 'killed by SIGKILL']);
  });

  test(`${name}: programs get default signal dispositions, no signal mask, and only the fds asked for`, { skip }, async () => {
    // Node ignores SIGPIPE; a program must not inherit that
    const status = await runToEnd({ file: 'grep', args: ['-E', '^Sig(Ign|Blk)', '/proc/self/status'] }, spawner);
    assert.match(status.stdout, /SigBlk:\s+0+\n/);
    assert.match(status.stdout, /SigIgn:\s+0+\n/);
    const r = await runToEnd({ file: 'ls', args: ['/proc/self/fd'] }, spawner); // ls's own directory fd is 3
    const fds = r.stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    assert.deepEqual(fds.filter((fd) => fd < 3), [0, 1, 2]);
    // this process's own fds (epoll, pipes, sockets) stay here; the test runner's may be above 200
    assert.deepEqual(fds.filter((fd) => fd > 3 && fd < 200), []);
  });

  test(`${name}: startMonitor reads the sync message on fd 3 from a program in a session of its own, in cwd with env`, { skip }, async () => {
    const ok = await startMonitor({ file: '/bin/sh', args: ['-c', 'printf \'{"data": %s, "sid": %s, "cwd": "%s"}\' "$X" "$(cut -d" " -f6 /proc/$$/stat)" "$PWD" >&3; echo $$ >&3; sleep 0.2'], cwd: '/tmp', env: { X: '42' }, timeoutMs: 5000 }, spawner);
    const m = JSON.parse(ok.message!) as { data: number; sid: number; cwd: string };
    assert.equal(m.data, 42);
    assert.equal(m.cwd, '/tmp');
    assert.notEqual(m.sid, process.pid);
    assert.ok(m.sid > 0);
    const failed = await startMonitor({ file: '/bin/sh', args: ['-c', 'echo broken >&2; exit 125'], cwd: '/', env: {}, timeoutMs: 5000 }, spawner);
    assert.equal(failed.message, undefined);
    assert.equal(failed.code, 125);
    assert.match(failed.stderr, /broken/);
    const silent = await startMonitor({ file: '/bin/sleep', args: ['1'], cwd: '/', env: {}, timeoutMs: 200 }, spawner);
    assert.match(silent.error ?? '', /no report within 200 ms/);
    const missing = await startMonitor({ file: '/nonexistent/conmon', args: [], cwd: '/', env: {}, timeoutMs: 5000 }, spawner);
    assert.equal(missing.message, undefined);
    assert.equal(missing.code, null);
  });
}
