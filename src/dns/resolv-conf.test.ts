import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { defaultUpstreams, parseResolvConf, parseUpstream } from './resolv-conf.js';

test('parseResolvConf reads nameservers, the last search line and options; skips comments and junk', () => {
  const r = parseResolvConf('# generated\nnameserver 10.0.0.2\nnameserver fe80::1%eth0 ; zone\nnameserver bogus\ndomain a.example\nsearch b.example c.example\noptions ndots:5 timeout:1\n');
  assert.deepEqual(r.nameservers, ['10.0.0.2', 'fe80::1']);
  assert.deepEqual(r.search, ['b.example', 'c.example']);
  assert.deepEqual(r.options, ['ndots:5', 'timeout:1']);
});

const files = (map: Record<string, string>) => (p: string) => map[p];

test('defaultUpstreams replaces the systemd-resolved stub with its real upstreams', () => {
  const read = files({
    '/etc/resolv.conf': 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n',
    '/run/systemd/resolve/resolv.conf': 'nameserver 192.0.2.1\nnameserver 127.0.0.1\nnameserver 2001:db8::53\n',
  });
  assert.deepEqual(defaultUpstreams({ readFile: read }), ['192.0.2.1', '2001:db8::53']);
});

test('defaultUpstreams keeps plain upstreams in order, de-duplicated; no file or no nameserver → none', () => {
  assert.deepEqual(defaultUpstreams({ readFile: files({ '/etc/resolv.conf': 'nameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.1\n' }) }), ['192.0.2.1', '192.0.2.2']);
  assert.deepEqual(defaultUpstreams({ readFile: files({}) }), []);
  assert.deepEqual(defaultUpstreams({ readFile: files({ '/etc/resolv.conf': 'search x\n' }) }), []);
  // a stub with an empty systemd list: nothing (never the stub itself)
  assert.deepEqual(defaultUpstreams({ readFile: files({ '/etc/resolv.conf': 'nameserver 127.0.0.53\n', '/run/systemd/resolve/resolv.conf': '# no servers\n' }) }), []);
  // a loopback resolver without systemd-resolved (a local dnsmasq) is kept
  assert.deepEqual(defaultUpstreams({ readFile: files({ '/etc/resolv.conf': 'nameserver 127.0.0.1\n' }) }), ['127.0.0.1']);
});

test('parseUpstream: ip, ip:port, [v6]:port; bad input is a TypeError naming it', () => {
  assert.deepEqual(parseUpstream('10.0.0.1'), { host: '10.0.0.1', port: 53 });
  assert.deepEqual(parseUpstream('127.0.0.2:5353'), { host: '127.0.0.2', port: 5353 });
  assert.deepEqual(parseUpstream('[::1]:5300'), { host: '::1', port: 5300 });
  assert.deepEqual(parseUpstream('2001:db8::1'), { host: '2001:db8::1', port: 53 });
  assert.throws(() => parseUpstream('dns.example:53'), /invalid upstream "dns.example:53"/);
  assert.throws(() => parseUpstream('10.0.0.1:0'), TypeError);
});
