import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Entry } from '../registry/generic-registry.js';
import { sharedEventChunk } from './watch-stream.js';

function entry(name: string, rev: number): Entry {
  const object = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, resourceVersion: String(rev) }, data: { text: 'é€😀 multi-byte' } };
  const json = JSON.stringify(object);
  return { kv: { key: `/configmaps/default/${name}`, value: json, createRevision: rev, modRevision: rev }, object, json, jsonPieces: [json] };
}

test('sharedEventChunk: one chunk per event and type, framed so that an HTTP client reads it in order with res.write output', async () => {
  const a = entry('a', 7);
  const b = entry('b', 8);
  assert.equal(sharedEventChunk('ADDED', a), sharedEventChunk('ADDED', a), 'the same bytes for every watcher');
  assert.notEqual(sharedEventChunk('ADDED', a), sharedEventChunk('MODIFIED', a));
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    res.write('{"type":"BOOKMARK"}\n');
    res.socket!.write(sharedEventChunk('ADDED', a));
    res.write('{"type":"BOOKMARK","n":2}\n');
    res.socket!.write(sharedEventChunk('DELETED', b));
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    // fetch (undici) rejects a body whose chunk sizes do not match their data
    const body = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).text();
    assert.deepEqual(body.split('\n'), [
      '{"type":"BOOKMARK"}',
      `{"type":"ADDED","object":${a.json}}`,
      '{"type":"BOOKMARK","n":2}',
      `{"type":"DELETED","object":${b.json}}`,
      '',
    ]);
  } finally {
    server.close();
  }
});
