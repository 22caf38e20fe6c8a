import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CommandError } from './exec-file.js';
import { ProcessHelper } from './process-helper.js';

test('run: output on exit 0, CommandError with stderr otherwise, stdin from input', async (t) => {
  const h = new ProcessHelper();
  t.after(() => h.close());
  assert.deepEqual(await h.run('/bin/sh', ['-c', 'echo out; echo err >&2']), { stdout: 'out\n', stderr: 'err\n' });
  assert.equal((await h.run('/bin/sh', ['-c', 'cat'], { input: 'piped' })).stdout, 'piped');
  await assert.rejects(h.run('/bin/sh', ['-c', 'echo nope >&2; exit 3']), (e: unknown) => e instanceof CommandError && e.code === 3 && /nope/.test(e.message));
  await assert.rejects(h.run('/nonexistent/program', []), (e: unknown) => e instanceof CommandError && e.code === undefined);
  await assert.rejects(h.run('/bin/sleep', ['5'], { timeoutMs: 100 }), (e: unknown) => e instanceof CommandError && /SIGTERM/.test(e.message));
  assert.ok(h.pid, 'the helper runs');
  assert.notEqual(h.pid, process.pid);
});

test('runs requests concurrently (one slow program does not hold the others)', async (t) => {
  const h = new ProcessHelper();
  t.after(() => h.close());
  const slow = h.run('/bin/sleep', ['1']);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 10 }, (_, i) => h.run('/bin/echo', [String(i)])));
  assert.ok(performance.now() - t0 < 900, 'fast programs finished while the slow one ran');
  await slow;
});

test('startMonitor: the sync message on fd 3, or the exit status and stderr when there is none', async (t) => {
  const h = new ProcessHelper();
  t.after(() => h.close());
  const ok = await h.startMonitor({ file: '/bin/sh', args: ['-c', 'printf \'{"data": %s}\' "$X" >&3; sleep 0.2'], cwd: '/', env: { X: '42' }, timeoutMs: 5000 });
  assert.equal(ok.message, '{"data": 42}');
  const failed = await h.startMonitor({ file: '/bin/sh', args: ['-c', 'echo broken >&2; exit 125'], cwd: '/', env: {}, timeoutMs: 5000 });
  assert.equal(failed.message, undefined);
  assert.equal(failed.code, 125);
  assert.match(failed.stderr, /broken/);
  const silent = await h.startMonitor({ file: '/bin/sleep', args: ['2'], cwd: '/', env: {}, timeoutMs: 200 });
  assert.match(silent.error ?? '', /no report within 200 ms/);
});

test('a helper that died is started again; requests in flight reject', async (t) => {
  const h = new ProcessHelper();
  t.after(() => h.close());
  await h.run('/bin/true', []);
  const first = h.pid!;
  const inFlight = h.run('/bin/sleep', ['5']);
  process.kill(first, 'SIGKILL');
  await assert.rejects(inFlight, /the process helper exited/);
  await h.run('/bin/true', []);
  assert.ok(h.pid && h.pid !== first);
});

test('close() stops the helper; an idle helper never keeps its parent alive', async () => {
  const h = new ProcessHelper();
  await h.run('/bin/true', []);
  const pid = h.pid!;
  await h.close();
  assert.throws(() => process.kill(pid, 0), /ESRCH/);
  await assert.rejects(h.run('/bin/true', []), /closed/);
  // a process that uses a helper and never closes it still exits by itself, and the helper with it
  const script = `import { ProcessHelper } from ${JSON.stringify(fileURLToPath(new URL('./process-helper.js', import.meta.url)))};
    const h = new ProcessHelper(); await h.run('/bin/true', []); console.log(h.pid);`;
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
  );
  const helperPid = Number(out.trim());
  assert.ok(helperPid > 0);
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(helperPid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('the helper outlived its parent');
});
