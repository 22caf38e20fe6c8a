// microbench (not committed): schedulePod over 1000 nodes for RS-owned pods
import { SchedulerCache } from './dist/src/scheduler/cache.js';
import { newProfile } from './dist/src/scheduler/profile.js';
import { schedulePod } from './dist/src/scheduler/scheduler-core.js';
import { makeNode, makePod } from './dist/src/scheduler/testing.js';
const N = 1000, PODS = Number(process.env.PODS ?? 5000), RS = 50;
const cache = new SchedulerCache();
for (let i = 0; i < N; i++) cache.setNode(makeNode(`sim-${i}`, { labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64', 'skiff.io/simulated': 'true' }, allocatable: { cpu: '32', memory: '256Gi', pods: '110' } }));
const profile = newProfile();
const owned = process.env.BARE ? undefined : true;
const pods = [];
for (let i = 0; i < PODS; i++) {
  const rs = i % RS;
  pods.push(makePod(`p-${i}`, { requests: { cpu: '100m', memory: '128Mi' }, labels: { app: `web-${rs}` }, ownerReferences: owned && [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web-${rs}`, uid: `rs-${rs}`, controller: true }] }));
}
const t0 = process.cpuUsage();
let bound = 0;
for (const p of pods) {
  const r = schedulePod(p, cache.snapshot, profile);
  if (r.node) { cache.setPod({ ...p, spec: { ...p.spec, nodeName: r.node } }); bound++; }
}
const u = process.cpuUsage(t0);
console.log(JSON.stringify({ bound, usPerPod: Math.round((u.user + u.system) / PODS) }));
