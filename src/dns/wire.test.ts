import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import dnsPacket from 'dns-packet';
import { TcpFramer, readEdns, readQuestion, skipName, tcpFrame, walkRecords } from './wire.js';

test('TcpFramer reassembles messages split across and packed into chunks', () => {
  const a = Buffer.from('hello');
  const b = Buffer.from('dns!!');
  const stream = Buffer.concat([tcpFrame(a), tcpFrame(b)]);
  const f = new TcpFramer();
  assert.deepEqual(f.push(stream.subarray(0, 1)), []);
  assert.deepEqual(f.push(stream.subarray(1, 9)).map(String), ['hello']);
  assert.deepEqual(f.push(stream.subarray(9)).map(String), ['dns!!']);
});

test('readQuestion keeps the spelling, lower-cases the name; readEdns finds the OPT; walkRecords follows compression', () => {
  const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'WeB.Example', type: 'AAAA' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK } as never] });
  const r = readQuestion(q);
  assert.deepEqual([r.name, r.spelled, r.type, r.class], ['web.example', 'WeB.Example', 28, 1]);
  assert.deepEqual(readEdns(q, r.end), { udpSize: 1232, dnssecOk: true });
  // a compressed answer (pointer to the question name at offset 12)
  const resp = Buffer.concat([q.subarray(0, r.end), Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1])]);
  resp.writeUInt16BE(1, 6);
  resp.writeUInt16BE(0, 10);
  const { answer } = walkRecords(resp, r.end);
  assert.equal(answer.length, 1);
  assert.equal(resp.readUInt32BE(answer[0].ttlOffset), 60);
  assert.equal(skipName(resp, r.end), r.end + 2);
});

test('malformed messages throw RangeErrors', () => {
  assert.throws(() => readQuestion(Buffer.alloc(5)), RangeError);
  const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: 'a.b', type: 'A' }] });
  assert.throws(() => readQuestion(q.subarray(0, q.length - 3)), RangeError);
  const bad = Buffer.from(q);
  bad.writeUInt16BE(2, 6); // claims two answers it does not have
  assert.throws(() => walkRecords(bad, readQuestion(bad).end), RangeError);
});
