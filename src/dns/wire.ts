// Raw DNS message walking (RFC 1035 §4) for what dns-packet's decode/encode round trip would
// lose or slow down: forwarded answers are relayed as the upstream's bytes (any record type, its
// name compression intact), with TTLs rewritten in place when served from the cache. Every
// function throws a RangeError on a malformed message; none of them copies more than it returns.

export const HEADER_BYTES = 12;
export const TYPE_OPT = 41;
export const TYPE_SOA = 6;
export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const FLAG_CD = 0x0010;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** Record type names as dns-packet spells them, for the types the cluster zone answers; others are `UNKNOWN_<n>`. */
const TYPE_NAMES: Readonly<Record<number, string>> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 28: 'AAAA', 33: 'SRV', 255: 'ANY' };

export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `UNKNOWN_${type}`;
}

/** the DNS over UDP size limit without EDNS0 (RFC 1035) */
export const CLASSIC_UDP_SIZE = 512;

/** Offset just past the (possibly compressed) name at `offset`. */
export function skipName(buf: Buffer, offset: number): number {
  let o = offset;
  for (;;) {
    if (o >= buf.length) throw new RangeError('DNS name runs past the end of the message');
    const len = buf[o];
    if (len === 0) return o + 1;
    if ((len & 0xc0) === 0xc0) return o + 2;
    if (len & 0xc0) throw new RangeError(`unsupported DNS label type 0x${len.toString(16)}`);
    o += 1 + len;
  }
}

export interface RawQuestion {
  /** lower-case, no trailing dot ('' for the root) */
  readonly name: string;
  /** as the client spelled it (case kept) */
  readonly spelled: string;
  readonly type: number;
  readonly class: number;
  /** offset just past the question */
  readonly end: number;
}

/** The first question of a message (uncompressed name, as queries carry it). */
export function readQuestion(buf: Buffer): RawQuestion {
  if (buf.length < HEADER_BYTES || buf.readUInt16BE(4) < 1) throw new RangeError('DNS message has no question');
  const labels: string[] = [];
  let o = HEADER_BYTES;
  let spelled = '';
  for (;;) {
    if (o >= buf.length) throw new RangeError('DNS question runs past the end of the message');
    const len = buf[o];
    if (len === 0) break;
    if (len & 0xc0) throw new RangeError('compressed or extended label in a question');
    const label = buf.toString('latin1', o + 1, o + 1 + len);
    spelled = spelled ? `${spelled}.${label}` : label;
    labels.push(label.toLowerCase());
    o += 1 + len;
  }
  o += 1;
  if (o + 4 > buf.length) throw new RangeError('DNS question runs past the end of the message');
  return { name: labels.join('.'), spelled, type: buf.readUInt16BE(o), class: buf.readUInt16BE(o + 2), end: o + 4 };
}

export interface RawRecord {
  readonly start: number;
  readonly end: number;
  readonly type: number;
  readonly ttlOffset: number;
  readonly rdataOffset: number;
}

/** The resource records of all three sections (answer, authority, additional), in order. */
export function walkRecords(buf: Buffer, questionEnd: number): { answer: RawRecord[]; authority: RawRecord[]; additional: RawRecord[] } {
  let o = questionEnd;
  const section = (count: number): RawRecord[] => {
    const out: RawRecord[] = [];
    for (let i = 0; i < count; i++) {
      const start = o;
      o = skipName(buf, o);
      if (o + 10 > buf.length) throw new RangeError('DNS record runs past the end of the message');
      const type = buf.readUInt16BE(o);
      const ttlOffset = o + 4;
      const rdataOffset = o + 10;
      o = rdataOffset + buf.readUInt16BE(o + 8);
      if (o > buf.length) throw new RangeError('DNS record data runs past the end of the message');
      out.push({ start, end: o, type, ttlOffset, rdataOffset });
    }
    return out;
  };
  const answer = section(buf.readUInt16BE(6));
  const authority = section(buf.readUInt16BE(8));
  const additional = section(buf.readUInt16BE(10));
  return { answer, authority, additional };
}

export interface EdnsInfo {
  readonly udpSize: number;
  readonly dnssecOk: boolean;
}

/** The query's EDNS0 OPT record, if any (RFC 6891). */
export function readEdns(buf: Buffer, questionEnd: number): EdnsInfo | undefined {
  if (buf.readUInt16BE(10) === 0) return undefined;
  const { additional } = walkRecords(buf, questionEnd);
  const opt = additional.find((r) => r.type === TYPE_OPT);
  if (!opt) return undefined;
  return { udpSize: buf.readUInt16BE(opt.ttlOffset - 2), dnssecOk: (buf.readUInt16BE(opt.ttlOffset + 2) & 0x8000) !== 0 };
}

/** An OPT pseudo-record advertising `udpSize` (and DO when asked), without options. */
export function optRecord(udpSize: number, dnssecOk = false): Buffer {
  const b = Buffer.alloc(11);
  b.writeUInt16BE(TYPE_OPT, 1);
  b.writeUInt16BE(udpSize, 3);
  b.writeUInt16BE(dnssecOk ? 0x8000 : 0, 7);
  return b;
}

/** Reads a length-prefixed message stream (DNS over TCP, RFC 1035 §4.2.2): feed chunks, get whole messages. */
export class TcpFramer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.pending.length >= 2) {
      const len = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + len) break;
      out.push(this.pending.subarray(2, 2 + len));
      this.pending = this.pending.subarray(2 + len);
    }
    return out;
  }
}

export function tcpFrame(msg: Buffer): Buffer {
  const b = Buffer.allocUnsafe(2 + msg.length);
  b.writeUInt16BE(msg.length, 0);
  msg.copy(b, 2);
  return b;
}
