import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { RESPONSE_BUFFER_BYTES, ResponseWriter } from './response-writer.js';

/** Serves one request with `write`, returns the body the client read. */
async function serveOnce(write: (res: ServerResponse) => Promise<void>): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    void write(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const r = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return await r.text();
  } finally {
    server.close();
  }
}

test('ResponseWriter writes every piece in order, across buffers, with multi-byte text and pieces longer than a buffer', async () => {
  const pieces: string[] = [];
  for (let i = 0; i < 5000; i++) pieces.push(`{"i":${i},"s":"${'é€😀'.repeat(i % 7)}"}`, ',');
  pieces.push('x'.repeat(RESPONSE_BUFFER_BYTES * 2 + 17), 'ü'.repeat(RESPONSE_BUFFER_BYTES), 'end');
  let immediate = 0;
  const body = await serveOnce(async (res) => {
    const out = new ResponseWriter(res);
    for (let i = 0; i < pieces.length; i += 2) {
      // single pieces and groups (with a gap) alike
      const ok = i % 4 === 0 ? out.append(pieces[i]!) : out.appendAll([pieces[i], undefined]);
      if (ok === true) immediate++;
      else assert.equal(await ok, true);
      if (i + 1 < pieces.length) {
        const rest = out.appendAll([pieces[i + 1]]);
        if (rest !== true) assert.equal(await rest, true);
      }
    }
    await out.end();
  });
  assert.equal(body, pieces.join(''));
  assert.ok(immediate > pieces.length / 4, 'small pieces are buffered without waiting');
});

test('ResponseWriter reports a closed response instead of writing on', async () => {
  let result: boolean | undefined;
  const server = createServer((_req, res) => {
    res.writeHead(200);
    const out = new ResponseWriter(res);
    res.destroy();
    void (async () => {
      const ok = out.append('x'.repeat(RESPONSE_BUFFER_BYTES));
      result = ok === true ? await out.flush() : await ok;
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`).then((r) => r.text()).catch(() => undefined);
    while (result === undefined) await new Promise((r) => setTimeout(r, 5));
    assert.equal(result, false);
  } finally {
    server.close();
  }
});
