import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { formatTimestamp, parseLogLine, streamLogs } from './cri-log.js';

test('parseLogLine reads conmon k8s-file lines', () => {
  const r = parseLogLine('2026-11-26T15:50:42.430476454+00:00 stdout P part of a line');
  assert.deepEqual(r, { timestamp: '2026-11-26T15:50:42.430476454+00:00', time: Date.parse('2026-11-26T15:50:42.430Z'), stream: 'stdout', partial: true, content: 'part of a line' });
  assert.equal(parseLogLine('2026-11-26T15:50:42.4Z stderr F ')!.content, '');
  assert.equal(parseLogLine('garbage'), undefined);
  assert.equal(formatTimestamp('2026-11-26T15:50:42.430476454+00:00'), '2026-11-26T15:50:42.430476454Z');
});

async function collect(file: string, opts: Parameters<typeof streamLogs>[2], exited: () => boolean = () => true): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  await streamLogs(file, out, { ...opts, exited });
  return text;
}

test('streamLogs joins partial records, tails, filters by time, limits bytes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-crilog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, '0.log');
  writeFileSync(
    file,
    [
      '2026-01-01T00:00:01.000000000Z stdout F one',
      '2026-01-01T00:00:02.000000000Z stdout P tw',
      '2026-01-01T00:00:02.500000000Z stdout F o',
      '2026-01-01T00:00:03.000000000Z stderr F three',
      '',
    ].join('\n'),
  );
  assert.equal(await collect(file, {}), 'one\ntwo\nthree\n');
  assert.equal(await collect(file, { tailLines: 1 }), 'three\n');
  assert.equal(await collect(file, { tailLines: 0 }), '');
  assert.equal(await collect(file, { sinceTime: Date.parse('2026-01-01T00:00:02Z') }), 'two\nthree\n');
  assert.equal(await collect(file, { timestamps: true, tailLines: 2 }), '2026-01-01T00:00:02.000000000Z two\n2026-01-01T00:00:03.000000000Z three\n');
  assert.equal(await collect(file, { limitBytes: 6 }), 'one\ntw');
  assert.equal(await collect(join(dir, 'missing.log'), {}), '');
});

test('streamLogs follows until the writer is done, and stops on abort', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-crilog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, '0.log');
  writeFileSync(file, '2026-01-01T00:00:01Z stdout F a\n');
  let done = false;
  const p = collect(file, { follow: true, pollMs: 10 }, () => done);
  await new Promise((r) => setTimeout(r, 50));
  appendFileSync(file, '2026-01-01T00:00:02Z stdout F b\n2026-01-01T00:00:03Z stdout P c\n');
  done = true;
  assert.equal(await p, 'a\nb\nc\n');
  const ac = new AbortController();
  const q = collect(file, { follow: true, pollMs: 10, signal: ac.signal }, () => false);
  setTimeout(() => ac.abort(), 50);
  assert.equal(await q, 'a\nb\n'); // the unfinished partial line is not shown before the writer is done
});
