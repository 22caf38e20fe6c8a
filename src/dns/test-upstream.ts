// A small DNS server for tests: serves fixed A records over UDP and TCP on a loopback address
// (e.g. 127.0.0.2) and counts the questions it gets, so tests of forwarding and caching talk to a
// real socket without ever sending a query off the machine. Unknown names are NXDOMAIN with a SOA
// (TTL and minimum `negativeTtl`). Test support only; not used by the server.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import dnsPacket, { type Answer } from 'dns-packet';
import { TcpFramer, tcpFrame } from './wire.js';

export interface TestUpstreamOptions {
  readonly host: string;
  /** name (lower-case) → A records and their TTL */
  readonly records: Readonly<Record<string, { readonly A: readonly string[]; readonly ttl: number }>>;
  readonly negativeTtl?: number;
  /** answer every UDP query with an empty, truncated response (TC) */
  readonly truncateUdp?: boolean;
  /** never answer (an unreachable upstream) */
  readonly silent?: boolean;
}

export interface TestUpstream {
  readonly port: number;
  /** questions received (UDP and TCP) */
  readonly queries: number;
  readonly tcpQueries: number;
  stop(): Promise<void>;
}

export async function startTestUpstream(opts: TestUpstreamOptions): Promise<TestUpstream> {
  let queries = 0;
  let tcpQueries = 0;
  const answer = (msg: Buffer, tcp: boolean): Buffer | undefined => {
    queries++;
    if (tcp) tcpQueries++;
    if (opts.silent) return undefined;
    const q = dnsPacket.decode(msg);
    const question = q.questions![0];
    const rec = opts.records[question.name.toLowerCase()];
    const answers: Answer[] = rec && question.type === 'A' ? rec.A.map((ip) => ({ type: 'A', name: question.name, ttl: rec.ttl, data: ip })) : [];
    const neg = opts.negativeTtl ?? 1;
    const soa: Answer = { type: 'SOA', name: 'test', ttl: neg, data: { mname: 'ns.test', rname: 'admin.test', serial: 1, refresh: 60, retry: 60, expire: 60, minimum: neg } };
    const truncated = !tcp && opts.truncateUdp;
    return dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.RECURSION_AVAILABLE | (truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) | (rec ? 0 : 3),
      questions: q.questions,
      answers: truncated ? [] : answers,
      authorities: rec || truncated ? [] : [soa],
    });
  };
  const udp: Socket = createSocket('udp4');
  udp.on('message', (msg, r) => {
    const out = answer(msg, false);
    if (out) udp.send(out, r.port, r.address);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(0, opts.host, () => resolve());
  });
  const port = udp.address().port;
  const conns = new Set<TcpSocket>();
  const tcp: Server = createServer((c) => {
    conns.add(c);
    c.on('close', () => conns.delete(c));
    c.on('error', () => c.destroy());
    const framer = new TcpFramer();
    c.on('data', (d) => {
      for (const m of framer.push(d)) {
        const out = answer(m, true);
        if (out) c.write(tcpFrame(out));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, opts.host, () => resolve());
  });
  return {
    port,
    get queries() {
      return queries;
    },
    get tcpQueries() {
      return tcpQueries;
    },
    stop: async () => {
      for (const c of conns) c.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
