// One DNS query in, one response out (transport-independent). Names in the cluster zone (and
// reverse names of cluster IPs) are answered authoritatively from the current ClusterZone; other
// names go to the Forwarder. The response echoes the client's ID, question (as spelled), RD and
// CD bits, carries an OPT record when the query had one (EDNS0, RFC 6891), and is truncated (TC,
// as many whole answer records as fit) when it exceeds 512 bytes over UDP, or the UDP size the
// client advertised (at most MAX_UDP_SIZE). Malformed queries get FORMERR when their header is
// readable and nothing otherwise; opcodes other than QUERY get NOTIMP; classes other than IN
// (and ANY) for cluster names get REFUSED; a query that is our own
// forwarded query coming back (a forwarding loop) gets SERVFAIL at once.
//
// Responses from the zone are kept in a small cache keyed by the whole query minus its ID and
// valid while the zone snapshot is the same object, so a repeated question costs a map lookup.
import dnsPacket, { type Answer, type Packet } from 'dns-packet';
import type { ClusterZone, ZoneAnswer } from './cluster-zone.js';
import { Forwarder, type ForwardedAnswer } from './forwarder.js';
import { CLASSIC_UDP_SIZE, FLAG_AA, FLAG_CD, FLAG_QR, FLAG_RA, FLAG_RD, FLAG_TC, HEADER_BYTES, RCODE, optRecord, readEdns, readQuestion, typeName, type RawQuestion } from './wire.js';

/** the largest UDP response we send, whatever the client advertises */
export const MAX_UDP_SIZE = 4096;
export const DEFAULT_RESPONSE_CACHE_SIZE = 10_000;

export type Transport = 'udp' | 'tcp';

export interface ResponderOptions {
  /** the current zone snapshot (may rebuild it lazily) */
  readonly zone: () => ClusterZone;
  /** undefined: no upstreams, non-zone names get SERVFAIL */
  readonly forwarder?: Forwarder;
  /** entries of the zone response cache, per transport (UDP, TCP); 0 disables it. Default DEFAULT_RESPONSE_CACHE_SIZE */
  readonly responseCacheSize?: number;
  readonly log?: (line: string) => void;
}

interface CachedResponse {
  readonly zone: ClusterZone;
  readonly bytes: Buffer;
}

const CLASS_IN = 1;
const CLASS_ANY = 255;

export class Responder {
  private readonly udpCache = new Map<string, CachedResponse>();
  private readonly tcpCache = new Map<string, CachedResponse>();
  private readonly cacheSize: number;

  constructor(private readonly opts: ResponderOptions) {
    this.cacheSize = opts.responseCacheSize ?? DEFAULT_RESPONSE_CACHE_SIZE;
  }

  /** The response to `query`, or undefined when it must be dropped (not a readable query). Never rejects. */
  handle(query: Buffer, transport: Transport): Buffer | undefined | Promise<Buffer | undefined> {
    return this.respond(query, transport, false);
  }

  /**
   * handle(query, transport) for a caller that copies the response before it calls again (the
   * batched UDP path packs replies into its send buffer): a response from the zone response cache
   * is the cache's own buffer with this query's ID written in, not a copy, so it is valid only
   * until the next call.
   */
  handleAndCopyAtOnce(query: Buffer, transport: Transport): Buffer | undefined | Promise<Buffer | undefined> {
    return this.respond(query, transport, true);
  }

  private respond(query: Buffer, transport: Transport, shared: boolean): Buffer | undefined | Promise<Buffer | undefined> {
    if (query.length < HEADER_BYTES || query.readUInt16BE(2) & FLAG_QR) return undefined;
    const zone = this.opts.zone();
    // one map per transport (their size limits differ), keyed by the query without its ID
    const cache = transport === 'udp' ? this.udpCache : this.tcpCache;
    const cacheKey = this.cacheSize > 0 ? query.toString('latin1', 2) : '';
    if (cacheKey) {
      const hit = cache.get(cacheKey);
      if (hit && hit.zone === zone) {
        const out = shared ? hit.bytes : Buffer.from(hit.bytes);
        out.writeUInt16BE(query.readUInt16BE(0), 0);
        return out;
      }
    }
    let q: RawQuestion;
    let edns: ReturnType<typeof readEdns>;
    try {
      q = readQuestion(query);
      edns = readEdns(query, q.end);
    } catch {
      return errorResponse(query, RCODE.FORMERR);
    }
    const qEnd = q.end;
    const flags = query.readUInt16BE(2);
    if (((flags >> 11) & 0xf) !== 0) return errorResponse(query, RCODE.NOTIMP);
    if (query.readUInt16BE(4) !== 1) return errorResponse(query, RCODE.FORMERR);
    const limit = transport === 'tcp' ? 65535 : edns ? Math.min(Math.max(edns.udpSize, CLASSIC_UDP_SIZE), MAX_UDP_SIZE) : CLASSIC_UDP_SIZE;
    const klass = q.class;
    const internet = klass === CLASS_IN || klass === CLASS_ANY;
    // other classes (CHAOS...) of cluster names are refused rather than leaked upstream
    if (!internet && zone.inZone(q.name)) return errorResponse(query, RCODE.REFUSED, qEnd);
    const local = internet ? zone.answer(q.spelled, typeName(q.type)) : undefined;
    if (local) {
      if (local.chase && this.opts.forwarder) return this.chase(query, q, local, limit, edns !== undefined);
      const out = this.encodeZone(query, qEnd, local, limit, edns !== undefined);
      if (cacheKey) {
        if (cache.size >= this.cacheSize) cache.clear();
        cache.set(cacheKey, { zone, bytes: out });
      }
      return out;
    }
    const fwd = this.opts.forwarder;
    if (!fwd || fwd.upstreams.length === 0) return errorResponse(query, RCODE.SERVFAIL, qEnd);
    const key = Forwarder.key(q.name, q.type, klass, edns?.dnssecOk ?? false, (flags & FLAG_CD) !== 0);
    if (fwd.isOwnQuery(query.readUInt16BE(0), key)) {
      this.opts.log?.(`dns: forwarding loop detected for ${q.name} ${typeName(q.type)}: an upstream sends our queries back; answering SERVFAIL`);
      return errorResponse(query, RCODE.SERVFAIL, qEnd);
    }
    return fwd.resolve(query, qEnd, key, edns?.dnssecOk ?? false).then((a) => forwardedResponse(query, qEnd, a, limit, edns !== undefined));
  }

  /** The zone's answer behind the client's header and question (copied as sent: case and type kept). */
  private encodeZone(query: Buffer, qEnd: number, a: ZoneAnswer, limit: number, withOpt: boolean, extra: Answer[] = []): Buffer {
    const flags = (query.readUInt16BE(2) & (FLAG_RD | FLAG_CD)) | FLAG_AA | FLAG_RA | RCODE[a.rcode];
    const opt: Answer[] = withOpt ? [{ type: 'OPT', name: '.', udpPayloadSize: MAX_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [];
    const packet: Packet = {
      type: 'response',
      id: query.readUInt16BE(0),
      flags,
      questions: [],
      answers: [...a.answers, ...extra],
      authorities: a.authorities,
      additionals: [...a.additionals, ...opt],
    };
    const questionBytes = qEnd - HEADER_BYTES;
    // dns-packet does not compress names, so the question can be spliced in after encoding
    let rrs = dnsPacket.encode(packet);
    if (rrs.length + questionBytes > limit) {
      // Truncate: whole answer records only, no authority or additional data except the OPT.
      let n = packet.answers!.length;
      do {
        n = Math.floor(n / 2);
        rrs = dnsPacket.encode({ ...packet, flags: flags | FLAG_TC, answers: packet.answers!.slice(0, n), authorities: [], additionals: opt });
      } while (rrs.length + questionBytes > limit && n > 0);
    }
    const out = Buffer.allocUnsafe(rrs.length + questionBytes);
    rrs.copy(out, 0, 0, HEADER_BYTES);
    query.copy(out, HEADER_BYTES, HEADER_BYTES, qEnd);
    rrs.copy(out, qEnd, HEADER_BYTES);
    out.writeUInt16BE(1, 4);
    return out;
  }

  /** An in-zone CNAME to an outside name: the target's addresses come from the upstreams. */
  private async chase(query: Buffer, q: RawQuestion, local: ZoneAnswer, limit: number, withOpt: boolean): Promise<Buffer> {
    const target = local.chase!;
    const targetQuery = dnsPacket.encode({ type: 'query', id: 0, flags: FLAG_RD, questions: [{ name: target, type: typeName(q.type) as 'A', class: 'IN' }] });
    const qEnd = readQuestion(targetQuery).end;
    const type = targetQuery.readUInt16BE(qEnd - 4);
    const fwd = this.opts.forwarder!;
    const got = await fwd.resolve(targetQuery, qEnd, Forwarder.key(target, type, CLASS_IN, false, false), false);
    let extra: Answer[] = [];
    if (got.rcode === RCODE.NOERROR && got.counts[0] > 0) {
      try {
        const msg = Buffer.concat([targetQuery.subarray(0, qEnd), got.records]);
        msg.writeUInt16BE(got.counts[0], 6);
        msg.writeUInt16BE(got.counts[1], 8);
        msg.writeUInt16BE(got.counts[2], 10);
        extra = dnsPacket.decode(msg).answers ?? [];
      } catch {
        extra = [];
      }
    }
    return this.encodeZone(query, q.end, local, limit, withOpt, extra);
  }
}

/** A header-and-question response with an error code (the question only when it was readable). */
function errorResponse(query: Buffer, rcode: number, qEnd?: number): Buffer {
  const out = Buffer.alloc(qEnd ?? HEADER_BYTES);
  query.copy(out, 0, 0, qEnd ?? HEADER_BYTES);
  out.writeUInt16BE(FLAG_QR | (query.readUInt16BE(2) & (FLAG_RD | FLAG_CD | 0x7800)) | FLAG_RA | rcode, 2);
  out.writeUInt16BE(qEnd ? 1 : 0, 4);
  out.fill(0, 6, 12);
  return out;
}

function forwardedResponse(query: Buffer, qEnd: number, a: ForwardedAnswer, limit: number, withOpt: boolean): Buffer {
  const opt = withOpt ? optRecord(MAX_UDP_SIZE) : Buffer.alloc(0);
  const flags = FLAG_QR | (query.readUInt16BE(2) & (FLAG_RD | FLAG_CD)) | FLAG_RA | a.rcode;
  const fits = qEnd + a.records.length + opt.length <= limit;
  const records = fits ? a.records : Buffer.alloc(0);
  const out = Buffer.allocUnsafe(qEnd + records.length + opt.length);
  query.copy(out, 0, 0, qEnd);
  records.copy(out, qEnd);
  opt.copy(out, qEnd + records.length);
  out.writeUInt16BE(fits ? flags : flags | FLAG_TC, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(fits ? a.counts[0] : 0, 6);
  out.writeUInt16BE(fits ? a.counts[1] : 0, 8);
  out.writeUInt16BE((fits ? a.counts[2] : 0) + (withOpt ? 1 : 0), 10);
  return out;
}
