// ClusterDNS: skiff's cluster DNS server (the kube-dns of DESIGN.md). It watches Services,
// EndpointSlices and Pods through informers (the client only, as from another machine), keeps a
// ClusterZone snapshot that is rebuilt lazily on the first query after a change (at most every
// max(MIN_REBUILD_INTERVAL_MS, 10 × its cost); pod updates count only when a pod's addresses
// change), and serves DNS on
// one address over UDP and TCP (length-prefixed, any number of queries per connection, answered
// as they complete). Names outside the cluster domain are forwarded (forwarder.ts).
//
// UDP I/O: batched through the native addon when it is built and the listen host is an IP
// literal (udp-batch.ts: one recvmmsg, one JavaScript call and one sendmmsg per batch of up to 64
// queries), node:dgram otherwise, with one log line saying why. Both serve the same Responder.
//
// Lifetime: start() binds the sockets (UDP first, then TCP on the same port, port 0 = a free one)
// and starts the informers; it resolves once the sockets listen, before the informers have synced
// (queries for the cluster domain meanwhile see an empty zone; ready() says when they will not).
// stop() closes the sockets, open TCP connections, the upstream sockets and the informers it
// started. Upstreams that are this server's own address are dropped (no forwarding to itself);
// any other loop is caught per query (respond.ts).
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer, isIP, type Server, type Socket as TcpSocket } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../api/object.js';
import { resourceInfo, type Client } from '../client/client.js';
import type { Informer } from '../client/informer.js';
import { SharedInformerFactory } from '../client/shared-informers.js';
import { ClusterZone, DEFAULT_TTL } from './cluster-zone.js';
import { Forwarder } from './forwarder.js';
import { defaultUpstreams, parseUpstream } from './resolv-conf.js';
import { Responder } from './respond.js';
import { BatchedUdpServer, loadUdpBatch } from './udp-batch.js';
import { TcpFramer, tcpFrame } from './wire.js';

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** an idle TCP connection is closed after this long (CoreDNS: 10 s read timeout) */
export const TCP_IDLE_TIMEOUT_MS = 10_000;
export const UDP_RECV_BUFFER_BYTES = 4 << 20;

/**
 * The zone is rebuilt at most every max(MIN_REBUILD_INTERVAL_MS, REBUILD_COST_FACTOR × the last
 * build's duration): under churn a query sees the previous snapshot for that long, and rebuilds
 * take at most ~1/REBUILD_COST_FACTOR of the CPU.
 */
export const MIN_REBUILD_INTERVAL_MS = 50;
export const REBUILD_COST_FACTOR = 10;

export const SERVICES = resourceInfo('', 'v1', 'services');
export const ENDPOINT_SLICES = resourceInfo('discovery.k8s.io', 'v1', 'endpointslices');
export const PODS = resourceInfo('', 'v1', 'pods');

export interface ClusterDNSOptions {
  readonly client: Client;
  /** default DEFAULT_CLUSTER_DOMAIN */
  readonly clusterDomain?: string;
  /** UDP and TCP; port 0 = a free port */
  readonly listen: { readonly host: string; readonly port: number };
  /** 'ip' or 'ip:port'; default defaultUpstreams() (resolv.conf with systemd-resolved's stub replaced); [] = SERVFAIL for non-cluster names */
  readonly upstreams?: readonly string[];
  /** TTL of cluster records and of their negative answers, seconds; default DEFAULT_TTL (5) */
  readonly ttl?: number;
  /**
   * share a process's informers (e.g. skiff server's): their owner starts and stops the factory
   * (informers made after its start() start at once); default: own informers, started and stopped
   * with this server
   */
  readonly informers?: SharedInformerFactory;
  /** serve GET /healthz and /ready on this address too (see healthHandler) */
  readonly healthListen?: { readonly host: string; readonly port: number };
  /** upstream timeout before trying the next one, ms; default 2000 */
  readonly upstreamTimeoutMs?: number;
  /** entries of the forwarding cache; default 10,000 */
  readonly cacheSize?: number;
  /** entries of the cluster response cache; 0 disables it; default 10,000 */
  readonly responseCacheSize?: number;
  /** milliseconds, for the forwarding cache's TTLs; default Date.now */
  readonly now?: () => number;
  /**
   * UDP socket layer: 'auto' (default) = batched when the native addon loads and the listen host
   * is an IP literal, else node:dgram; 'batched' = the addon or start() fails; 'dgram' = node:dgram
   */
  readonly udpIO?: UdpIO;
  readonly log?: (line: string) => void;
}

export type UdpIO = 'auto' | 'batched' | 'dgram';

type ServiceObject = Service & KubeObject;
type SliceObject = EndpointSlice & KubeObject;
type PodObject = Pod & KubeObject;

export class ClusterDNS {
  readonly clusterDomain: string;
  private readonly informers: SharedInformerFactory;
  private readonly ownInformers: boolean;
  private services?: Informer<ServiceObject>;
  private slices?: Informer<SliceObject>;
  private pods?: Informer<PodObject>;
  private zone?: ClusterZone;
  private dirty = true;
  private builtAt = 0;
  private buildMs = 0;
  private removers: (() => void)[] = [];
  private udp?: Socket;
  private udpBatch?: BatchedUdpServer;
  private tcp?: Server;
  private health?: HttpServer;
  private readonly connections = new Set<TcpSocket>();
  private abort?: AbortController;
  private forwarder?: Forwarder;
  private responder?: Responder;
  private serving = false;

  constructor(private readonly opts: ClusterDNSOptions) {
    this.clusterDomain = opts.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    this.ownInformers = !opts.informers;
    this.informers = opts.informers ?? new SharedInformerFactory({ client: opts.client, log: opts.log });
  }

  /** Binds UDP and TCP on the listen address and starts watching. Resolves with the bound port. */
  async start(): Promise<{ port: number; healthPort?: number }> {
    if (this.udp || this.udpBatch) throw new Error('ClusterDNS already started');
    const { host } = this.opts.listen;
    const port = await this.bind(host, this.opts.listen.port);
    const self = selfAddresses(host, port);
    const upstreams = (this.opts.upstreams ?? defaultUpstreams()).filter((u) => {
      const { host: h, port: p } = parseUpstream(u);
      const mine = self.has(`${h}:${p}`);
      if (mine) this.opts.log?.(`dns: upstream ${u} is this server itself; dropped`);
      return !mine;
    });
    this.forwarder = new Forwarder({ upstreams, timeoutMs: this.opts.upstreamTimeoutMs, cacheSize: this.opts.cacheSize, now: this.opts.now, log: this.opts.log });
    this.responder = new Responder({ zone: () => this.currentZone(), forwarder: this.forwarder, responseCacheSize: this.opts.responseCacheSize, log: this.opts.log });
    const changed = { onAdd: () => void (this.dirty = true), onUpdate: (o: KubeObject, n: KubeObject) => void (o !== n && (this.dirty = true)), onDelete: () => void (this.dirty = true) };
    // pods change often (status, conditions); only their addresses and namespace matter here
    const podChanged = { ...changed, onUpdate: (o: PodObject, n: PodObject) => void (podFingerprint(o) !== podFingerprint(n) && (this.dirty = true)) };
    this.services = this.informers.forResource<ServiceObject>(SERVICES);
    this.slices = this.informers.forResource<SliceObject>(ENDPOINT_SLICES);
    this.pods = this.informers.forResource<PodObject>(PODS);
    this.removers = [this.services.addEventHandler(changed), this.slices.addEventHandler(changed), this.pods.addEventHandler(podChanged)];
    if (this.ownInformers) {
      this.abort = new AbortController();
      this.informers.start(this.abort.signal);
    }
    this.serving = true;
    let healthPort: number | undefined;
    if (this.opts.healthListen) {
      const h = createHttpServer((req, res) => {
        if (!this.healthHandler()(req, res)) res.writeHead(404).end();
      });
      this.health = h;
      await new Promise<void>((resolve, reject) => {
        h.once('error', reject);
        h.listen(this.opts.healthListen!.port, this.opts.healthListen!.host, () => resolve());
      });
      healthPort = (h.address() as { port: number }).port;
    }
    this.opts.log?.(`dns: serving ${this.clusterDomain} on ${host}:${port} (${this.udpBatch ? 'udp batched' : 'udp dgram'}, tcp); upstreams: ${upstreams.join(', ') || 'none'}`);
    return { port, healthPort };
  }

  /** true once the informers have listed once (the zone reflects the cluster) and the sockets listen */
  ready(): boolean {
    return this.serving && !!this.services?.hasSynced() && !!this.slices?.hasSynced() && !!this.pods?.hasSynced();
  }

  /** the issue-5 contract's name for ready() */
  healthz(): boolean {
    return this.ready();
  }

  /**
   * A request handler for an HTTP server: GET /healthz (200 while serving, as CoreDNS' health
   * plugin) and GET /ready (200 once ready(), else 503). Returns false for other paths, so the
   * caller can answer them.
   */
  healthHandler(): (req: IncomingMessage, res: ServerResponse) => boolean {
    return (req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/healthz' && path !== '/ready') return false;
      const ok = path === '/healthz' ? this.serving : this.ready();
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok\n' : path === '/healthz' ? 'not serving\n' : 'informers not synced\n');
      return true;
    };
  }

  /** Stops serving and watching. Idempotent. */
  async stop(): Promise<void> {
    this.serving = false;
    for (const r of this.removers) r();
    this.removers = [];
    this.abort?.abort();
    if (this.ownInformers) this.informers.stop();
    this.forwarder?.close();
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    const udp = this.udp;
    this.udp = undefined;
    this.udpBatch?.close();
    this.udpBatch = undefined;
    await Promise.all([
      udp && new Promise<void>((r) => udp.close(() => r())),
      this.tcp && new Promise<void>((r) => this.tcp!.close(() => r())),
      this.health && new Promise<void>((r) => this.health!.close(() => r())),
    ]);
    this.tcp = undefined;
    this.health = undefined;
  }

  /** the UDP socket layer in use while started: 'batched' (native addon) or 'dgram' */
  udpIO(): 'batched' | 'dgram' | undefined {
    return this.udpBatch ? 'batched' : this.udp ? 'dgram' : undefined;
  }

  /** datagrams and batches of the batched UDP path so far (undefined on node:dgram) */
  udpBatchStats(): ReturnType<BatchedUdpServer['stats']> | undefined {
    return this.udpBatch?.stats();
  }

  /** questions forwarded upstream so far (for tests and metrics) */
  upstreamQueries(): number {
    return this.forwarder?.upstreamQueries ?? 0;
  }

  private currentZone(): ClusterZone {
    if (this.zone && !this.dirty) return this.zone; // the common case, without reading the clock
    const now = performance.now();
    if (!this.zone || now - this.builtAt >= Math.max(MIN_REBUILD_INTERVAL_MS, REBUILD_COST_FACTOR * this.buildMs)) {
      this.dirty = false;
      this.builtAt = now;
      this.zone = new ClusterZone({
        domain: this.clusterDomain,
        ttl: this.opts.ttl ?? DEFAULT_TTL,
        services: this.services?.lister.list() ?? [],
        slices: this.slices?.lister.list() ?? [],
        pods: this.pods?.lister.list() ?? [],
      });
      this.buildMs = performance.now() - now;
    }
    return this.zone;
  }

  /** The batched UDP layer when it is to be used (see ClusterDNSOptions.udpIO), logging why not when it is not. */
  private batchedUdpAddon(host: string): ReturnType<typeof loadUdpBatch>['addon'] {
    const mode = this.opts.udpIO ?? 'auto';
    if (mode === 'dgram') return undefined;
    const { addon, error } = loadUdpBatch();
    const why = !addon ? `addon ${error}` : isIP(host) === 0 || host.includes('%') ? `listen host ${host} is not an IP literal without a zone` : undefined;
    if (why === undefined) return addon;
    if (mode === 'batched') throw new Error(`dns: batched UDP I/O unavailable: ${why}`);
    this.opts.log?.(`dns: batched UDP I/O unavailable (${why}); serving UDP with node:dgram`);
    return undefined;
  }

  private async bind(host: string, wanted: number): Promise<number> {
    const addon = this.batchedUdpAddon(host);
    for (let attempt = 0; ; attempt++) {
      let udp: Socket | undefined;
      let batch: BatchedUdpServer | undefined;
      let port: number;
      if (addon) {
        batch = new BatchedUdpServer(addon, isIP(host) === 6 ? 6 : 4, host, wanted, UDP_RECV_BUFFER_BYTES, (m) => this.responder!.handleAndCopyAtOnce(m, 'udp'));
        port = batch.port;
      } else {
        // a larger receive buffer absorbs bursts (the kernel caps it at net.core.rmem_max)
        const s = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4', recvBufferSize: UDP_RECV_BUFFER_BYTES, lookup: literalAddressLookup });
        udp = s;
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.bind(wanted, host, () => {
            s.off('error', reject);
            resolve();
          });
        });
        port = s.address().port;
      }
      const tcp = createServer((c) => this.onConnection(c));
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(port, host, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        udp?.close();
        batch?.close();
        // port 0 gave a UDP port whose TCP twin is taken: try another
        if (wanted === 0 && (e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 20) continue;
        throw e;
      }
      if (udp) {
        const s = udp;
        s.on('message', (msg, rinfo) => this.onDatagram(s, msg, rinfo.address, rinfo.port));
        s.on('error', (e) => this.opts.log?.(`dns: udp: ${e.message}`));
      }
      tcp.on('error', (e) => this.opts.log?.(`dns: tcp: ${e.message}`));
      this.udp = udp;
      this.udpBatch = batch;
      this.tcp = tcp;
      return port;
    }
  }

  private onDatagram(udp: Socket, msg: Buffer, address: string, port: number): void {
    const out = this.responder!.handle(msg, 'udp');
    if (out === undefined) return;
    if (!(out instanceof Promise)) udp.send(out, port, address);
    else void out.then((b) => b && this.udp === udp && udp.send(b, port, address));
  }

  private onConnection(c: TcpSocket): void {
    this.connections.add(c);
    c.setTimeout(TCP_IDLE_TIMEOUT_MS, () => c.destroy());
    c.on('close', () => this.connections.delete(c));
    c.on('error', () => c.destroy());
    const framer = new TcpFramer();
    c.on('data', (chunk) => {
      for (const msg of framer.push(chunk)) {
        const out = this.responder!.handle(msg, 'tcp');
        if (out === undefined) continue;
        if (!(out instanceof Promise)) c.write(tcpFrame(out));
        else void out.then((b) => b && !c.destroyed && c.write(tcpFrame(b)));
      }
    });
  }
}

/**
 * dgram's `lookup` option for the serving socket. Every answer goes to a datagram's source
 * address, an IP literal, which dns.lookup (the default) also returns as is, but a tick later and
 * after a regular-expression test — about a tenth of Node's whole cost of one UDP answer. Literals
 * are passed through at once; anything else still goes to dns.lookup.
 */
export function literalAddressLookup(hostname: string, options: LookupOneOptions | number, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, options as LookupOneOptions, callback);
}

function podFingerprint(p: PodObject): string {
  const ips = (p.status?.podIPs ?? []).map((x) => x.ip).join(',');
  return `${p.metadata?.namespace}|${p.status?.podIP ?? ''}|${ips}|${p.spec?.hostNetwork ? 1 : 0}`;
}

/** host:port strings this server answers on (every local address when it listens on a wildcard). */
function selfAddresses(host: string, port: number): Set<string> {
  const hosts = new Set<string>([host]);
  if (host === '0.0.0.0' || host === '::') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (host !== '0.0.0.0' || a.family === 'IPv4') hosts.add(a.address);
  }
  return new Set([...hosts].map((h) => `${h}:${port}`));
}
