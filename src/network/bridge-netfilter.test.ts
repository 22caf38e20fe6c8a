import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkBridgeForwarding } from './bridge-netfilter.js';
import { NEEDS_ROOT } from './testing.js';

test('checkBridgeForwarding reports this machine as sysctl and iptables show it', { skip: NEEDS_ROOT }, async () => {
  const r = await checkBridgeForwarding('skiff0');
  const sysctl = '/proc/sys/net/bridge/bridge-nf-call-iptables';
  assert.equal(r.bridgeNfCallIptables, existsSync(sysctl) ? readFileSync(sysctl, 'utf8').trim() === '1' : undefined);
  assert.equal(r.ipForward, readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1');
  let policy: string | undefined;
  try {
    policy = /^-P FORWARD (\S+)/m.exec(execFileSync('iptables', ['-w', '5', '-S', 'FORWARD'], { encoding: 'utf8' }))?.[1];
  } catch {
    policy = undefined;
  }
  assert.equal(r.iptablesForwardPolicy, policy);
  const expectIptablesWarning = r.bridgeNfCallIptables === true && policy === 'DROP';
  assert.equal(r.warnings.some((w) => w.includes('iptables FORWARD policy is DROP')), expectIptablesWarning);
});
