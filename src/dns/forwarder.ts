// Forwarding of names outside the cluster zone to the node's upstream resolvers, with a cache.
//   - Each question goes to the upstreams in order over UDP (our own query: a fresh random ID, RD,
//     EDNS0 1232 bytes); a truncated reply is asked again over TCP of the same upstream; a timeout
//     or an error moves on to the next upstream; when all fail the answer is SERVFAIL.
//   - Identical questions in flight share one upstream query.
//   - The cache honours TTLs: a positive answer lives for the smallest TTL of its answer records,
//     a negative one (NXDOMAIN, NODATA) for min(SOA TTL, SOA minimum) (RFC 2308); answers without
//     a SOA, SERVFAIL and TTL 0 are not cached; TTLs are capped at `maxTtl`; served TTLs count down.
//     The cache holds at most `cacheSize` answers (the oldest go first).
//   - `isOwnQuery(id, key)` tells whether a query that reached our server is one we sent (a
//     forwarding loop: an upstream that is, or forwards to, ourselves).
// The result is the upstream's records as raw bytes (any record type, compression intact) for
// respond.ts to put behind the client's own header and question.
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { connect, isIP } from 'node:net';
import { parseUpstream, type Upstream } from './resolv-conf.js';
import { FLAG_CD, FLAG_RD, FLAG_TC, HEADER_BYTES, RCODE, TYPE_OPT, TYPE_SOA, optRecord, readQuestion, TcpFramer, tcpFrame, walkRecords } from './wire.js';

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 2000;
export const DEFAULT_CACHE_SIZE = 10_000;
/** the longest a forwarded answer is kept (CoreDNS' cache plugin: 3600 s) */
export const DEFAULT_MAX_TTL = 3600;
/** the UDP size we advertise upstream (the DNS flag day 2020 value) */
export const UPSTREAM_UDP_SIZE = 1232;

export interface ForwardedAnswer {
  readonly rcode: number;
  /** answer, authority and additional records (no OPT), as bytes valid behind a question of the asked length */
  readonly records: Buffer;
  readonly counts: readonly [number, number, number];
  /** offsets of the TTL fields within `records` */
  readonly ttlOffsets: readonly number[];
  /** true when served from the cache */
  readonly cached: boolean;
}

interface CacheEntry {
  readonly answer: ForwardedAnswer;
  readonly storedAt: number;
  readonly expiresAt: number;
}

export interface ForwarderOptions {
  /** 'ip' or 'ip:port' */
  readonly upstreams: readonly string[];
  readonly timeoutMs?: number;
  readonly cacheSize?: number;
  readonly maxTtl?: number;
  /** milliseconds; default Date.now */
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

interface Pending {
  readonly key: string;
  readonly resolve: (msg: Buffer | undefined) => void;
}

export class Forwarder {
  readonly upstreams: readonly Upstream[];
  private readonly timeoutMs: number;
  private readonly cacheSize: number;
  private readonly maxTtl: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<ForwardedAnswer>>();
  private readonly pending = new Map<number, Pending>();
  private readonly sockets = new Map<4 | 6, Socket>();
  /** questions sent upstream, for tests and metrics */
  upstreamQueries = 0;

  constructor(private readonly opts: ForwarderOptions) {
    this.upstreams = opts.upstreams.map(parseUpstream);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
    this.cacheSize = opts.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.maxTtl = opts.maxTtl ?? DEFAULT_MAX_TTL;
    this.now = opts.now ?? Date.now;
  }

  /** true when a query with this ID and question key is one this forwarder has in flight (a loop) */
  isOwnQuery(id: number, key: string): boolean {
    return this.pending.get(id)?.key === key;
  }

  /** Cache key of a question: name (lower-case), type, class and the DO and CD bits. */
  static key(name: string, type: number, klass: number, dnssecOk: boolean, checkingDisabled: boolean): string {
    return `${name}|${type}|${klass}|${dnssecOk ? 1 : 0}${checkingDisabled ? 1 : 0}`;
  }

  /**
   * The answer to the question in `query` (raw bytes, whose question section ends at
   * `questionEnd`). Never rejects: upstream failures become SERVFAIL (rcode 2, no records).
   */
  resolve(query: Buffer, questionEnd: number, key: string, dnssecOk: boolean): Promise<ForwardedAnswer> {
    const hit = this.cache.get(key);
    const now = this.now();
    if (hit) {
      if (hit.expiresAt > now) return Promise.resolve(aged(hit.answer, Math.floor((now - hit.storedAt) / 1000)));
      this.cache.delete(key);
    }
    let p = this.inflight.get(key);
    if (!p) {
      p = this.ask(query, questionEnd, key, dnssecOk).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  /** Number of cached answers. */
  cacheLength(): number {
    return this.cache.size;
  }

  close(): void {
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    for (const p of this.pending.values()) p.resolve(undefined);
    this.pending.clear();
  }

  private async ask(query: Buffer, questionEnd: number, key: string, dnssecOk: boolean): Promise<ForwardedAnswer> {
    const question = query.subarray(HEADER_BYTES, questionEnd);
    for (const up of this.upstreams) {
      this.upstreamQueries++;
      let reply = await this.udp(up, question, query.readUInt16BE(2) & FLAG_CD, dnssecOk, key);
      if (reply && reply.readUInt16BE(2) & FLAG_TC) reply = await this.tcp(up, question, query.readUInt16BE(2) & FLAG_CD, dnssecOk);
      if (!reply) continue;
      try {
        const answer = extract(reply, question.length);
        if (answer.rcode === RCODE.SERVFAIL || answer.rcode === RCODE.REFUSED) {
          this.opts.log?.(`dns: upstream ${up.host}:${up.port} answered rcode ${answer.rcode} for ${key}; trying the next`);
          continue;
        }
        this.store(key, answer, reply, question.length);
        return answer;
      } catch (e) {
        this.opts.log?.(`dns: upstream ${up.host}:${up.port} sent a malformed answer for ${key}: ${(e as Error).message}`);
      }
    }
    return { rcode: RCODE.SERVFAIL, records: Buffer.alloc(0), counts: [0, 0, 0], ttlOffsets: [], cached: false };
  }

  private message(id: number, question: Buffer, cd: number, dnssecOk: boolean): Buffer {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt16BE(id, 0);
    header.writeUInt16BE(FLAG_RD | cd, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(1, 10);
    return Buffer.concat([header, question, optRecord(UPSTREAM_UDP_SIZE, dnssecOk)]);
  }

  private freeId(): number {
    for (;;) {
      const id = randomBytes(2).readUInt16BE(0);
      if (!this.pending.has(id)) return id;
    }
  }

  private socket(family: 4 | 6): Socket {
    let s = this.sockets.get(family);
    if (!s) {
      s = createSocket(family === 6 ? 'udp6' : 'udp4');
      s.on('message', (msg, rinfo) => {
        if (msg.length < HEADER_BYTES) return;
        const p = this.pending.get(msg.readUInt16BE(0));
        if (!p) return;
        const up = this.upstreams.find((u) => u.host === rinfo.address && u.port === rinfo.port);
        if (!up) return; // not from an upstream: ignore (spoofing)
        p.resolve(msg);
      });
      s.on('error', (e) => this.opts.log?.(`dns: upstream socket: ${e.message}`));
      s.unref();
      this.sockets.set(family, s);
    }
    return s;
  }

  private udp(up: Upstream, question: Buffer, cd: number, dnssecOk: boolean, key: string): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const id = this.freeId();
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      const done = (msg: Buffer | undefined) => {
        clearTimeout(timer);
        if (this.pending.get(id)?.resolve === done) this.pending.delete(id);
        if (msg && !sameQuestion(msg, question)) msg = undefined;
        resolve(msg);
      };
      this.pending.set(id, { key, resolve: done });
      this.socket(isIP(up.host) === 6 ? 6 : 4).send(this.message(id, question, cd, dnssecOk), up.port, up.host, (e) => {
        if (e) {
          this.opts.log?.(`dns: sending to upstream ${up.host}:${up.port}: ${e.message}`);
          done(undefined);
        }
      });
    });
  }

  private tcp(up: Upstream, question: Buffer, cd: number, dnssecOk: boolean): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const id = this.freeId();
      const sock = connect({ host: up.host, port: up.port });
      const framer = new TcpFramer();
      const finish = (msg: Buffer | undefined) => {
        clearTimeout(timer);
        sock.destroy();
        resolve(msg && msg.length >= HEADER_BYTES && msg.readUInt16BE(0) === id && sameQuestion(msg, question) ? msg : undefined);
      };
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      sock.on('connect', () => sock.write(tcpFrame(this.message(id, question, cd, dnssecOk))));
      sock.on('data', (chunk) => {
        const [msg] = framer.push(chunk);
        if (msg) finish(msg);
      });
      sock.on('error', () => finish(undefined));
      sock.on('close', () => finish(undefined));
    });
  }

  private store(key: string, answer: ForwardedAnswer, reply: Buffer, questionLength: number): void {
    const ttl = cacheTtl(reply, answer.rcode, HEADER_BYTES + questionLength);
    if (ttl === undefined || ttl <= 0) return;
    const now = this.now();
    this.cache.delete(key);
    this.cache.set(key, { answer: { ...answer, cached: true }, storedAt: now, expiresAt: now + Math.min(ttl, this.maxTtl) * 1000 });
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
  }
}

function sameQuestion(msg: Buffer, question: Buffer): boolean {
  if (msg.length < HEADER_BYTES + question.length || msg.readUInt16BE(4) !== 1) return false;
  return msg.subarray(HEADER_BYTES, HEADER_BYTES + question.length).toString('latin1').toLowerCase() === question.toString('latin1').toLowerCase();
}

/** The records of an upstream reply without its OPT (and anything after it), with TTL offsets relative to the records. */
function extract(reply: Buffer, questionLength: number): ForwardedAnswer {
  const qEnd = HEADER_BYTES + questionLength;
  readQuestion(reply); // validates
  const { answer, authority, additional } = walkRecords(reply, qEnd);
  const optAt = additional.findIndex((r) => r.type === TYPE_OPT);
  const kept = optAt < 0 ? additional : additional.slice(0, optAt);
  const all = [...answer, ...authority, ...kept];
  const end = all.length ? all[all.length - 1].end : qEnd;
  return {
    rcode: reply.readUInt16BE(2) & 0xf,
    records: Buffer.from(reply.subarray(qEnd, end)),
    counts: [answer.length, authority.length, kept.length],
    ttlOffsets: all.map((r) => r.ttlOffset - qEnd),
    cached: false,
  };
}

/** How long a reply may be cached (seconds), or undefined when it must not be. */
function cacheTtl(reply: Buffer, rcode: number, qEnd: number): number | undefined {
  const { answer, authority } = walkRecords(reply, qEnd);
  if (rcode === RCODE.NOERROR && answer.length) return Math.min(...answer.map((r) => reply.readUInt32BE(r.ttlOffset)));
  if (rcode !== RCODE.NOERROR && rcode !== RCODE.NXDOMAIN) return undefined;
  const soa = authority.find((r) => r.type === TYPE_SOA);
  if (!soa) return undefined;
  return Math.min(reply.readUInt32BE(soa.ttlOffset), reply.readUInt32BE(soa.end - 4));
}

/** A cached answer with every TTL lowered by `elapsed` seconds (OPT excluded already). */
function aged(a: ForwardedAnswer, elapsed: number): ForwardedAnswer {
  if (elapsed <= 0) return a;
  const records = Buffer.from(a.records);
  for (const o of a.ttlOffsets) records.writeUInt32BE(Math.max(0, records.readUInt32BE(o) - elapsed), o);
  return { ...a, records };
}
