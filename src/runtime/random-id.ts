// Container and sandbox ids: 64 random hex digits, as runc's and CRI's. Drawn from a pool of
// random bytes refilled 128 ids at a time: one randomBytes call per id cost ~0.15 ms here, paid
// per pod by the real runtime and thousands of times per second by simulated nodes at scale.
import { randomBytes } from 'node:crypto';

const POOL_IDS = 128;
let pool = Buffer.alloc(0);
let at = 0;

/** 64 random hex digits. */
export function randomId(): string {
  if (at + 32 > pool.length) {
    pool = randomBytes(32 * POOL_IDS);
    at = 0;
  }
  at += 32;
  return pool.toString('hex', at - 32, at);
}
