// Batched UDP serving through skiff's native addon (native/udp-batch, package skiff-udp-batch):
// the socket is read with recvmmsg, every batch of up to 64 datagrams reaches JavaScript in ONE
// call as one packed Buffer, and the replies that are ready at once leave with one sendmmsg. With
// node:dgram each datagram costs a JavaScript callback, a Buffer, an rinfo object and a send
// call of its own; here those costs are paid per batch. See native/udp-batch/src/udp_batch.c for
// the record layout.
//
// Contract of BatchedUdpServer: the handler gets each datagram as a Buffer (a view of the batch,
// valid as long as it is kept) and returns the reply, undefined for none, or a promise of either
// (that reply is sent on its own when it settles, unless the server is closed by then). A reply
// returned at once is copied before the handler is called again, so it may be a buffer the
// handler reuses. Replies go to the datagram's source address. close() frees the port before it
// returns.
//
// loadUdpBatch() never throws: the addon is optional (Linux only, built by `npm install` with
// node-gyp); when it is missing or does not load, callers use node:dgram.
import { existsSync } from 'node:fs';
import { loadNativePackage, resolveNativePackage } from '../api/native-package.js';
import { endianness } from 'node:os';
import { dirname, join } from 'node:path';

/** the native channel (an opaque object owned by the addon) */
export type Channel = object;

export interface UdpBatchStats {
  /** datagrams received */
  readonly datagrams: number;
  /** recvmmsg batches handed to JavaScript */
  readonly batches: number;
  /** datagrams sent */
  readonly replies: number;
  /** replies dropped by the kernel (full send buffer, unreachable peer) */
  readonly sendErrors: number;
}

/** the addon's exports (native/udp-batch/src/udp_batch.c) */
export interface UdpBatchAddon {
  open(family: 4 | 6, host: string, port: number, recvBufferBytes: number, out: Buffer, onBatch: (batch: Buffer, count: number) => number): Channel;
  flush(ch: Channel, count: number): void;
  sendTo(ch: Channel, data: Buffer, peer: Buffer): void;
  peer(host: string, port: number): Buffer;
  localPort(ch: Channel): number;
  stats(ch: Channel): UdpBatchStats;
  close(ch: Channel): void;
  readonly constants: { readonly BATCH: number; readonly RECORD_BYTES: number; readonly PEER_BYTES: number };
}

export const UDP_BATCH_PACKAGE = 'skiff-udp-batch';
/** The addon, or why it is not available. Loaded once per process. */
export function loadUdpBatch(): { addon?: UdpBatchAddon; error?: string } {
  // records are read as host-order words; the addon writes them little-endian
  if (endianness() !== 'LE') return { error: 'needs a little-endian host' };
  const { exports: addon, error } = loadNativePackage<UdpBatchAddon>(UDP_BATCH_PACKAGE);
  return addon ? { addon } : { error };
}

/** true when the addon's binary has been built in this checkout (then it must also load) */
export function udpBatchBuilt(): boolean {
  const index = resolveNativePackage(UDP_BATCH_PACKAGE);
  return index !== undefined && existsSync(join(dirname(index), 'build', 'Release', 'udp_batch.node'));
}

export type DatagramHandler = (datagram: Buffer) => Buffer | undefined | Promise<Buffer | undefined>;

/** bytes of the reply buffer: records for one batch, then replies (flushed early when full) */
const OUT_BYTES = 256 * 1024;

export class BatchedUdpServer {
  readonly port: number;
  private readonly ch: Channel;
  private readonly out = Buffer.alloc(OUT_BYTES);
  /** `out` as 32-bit words (records are 4-byte aligned), to copy peers without a view per reply */
  private readonly outWords = new Uint32Array(this.out.buffer, this.out.byteOffset, OUT_BYTES >> 2);
  private readonly record: number;
  private readonly dataStart: number;
  private closed = false;

  /** Binds host:port (an IP literal of `family`; port 0 = a free one). Throws errors with .code (EADDRINUSE...) as dgram does. */
  constructor(private readonly addon: UdpBatchAddon, family: 4 | 6, host: string, port: number, recvBufferBytes: number, private readonly handler: DatagramHandler) {
    this.record = addon.constants.RECORD_BYTES;
    this.dataStart = addon.constants.BATCH * this.record;
    this.ch = addon.open(family, host, port, recvBufferBytes, this.out, (batch, count) => this.onBatch(batch, count));
    this.port = addon.localPort(this.ch);
  }

  stats(): UdpBatchStats {
    return this.addon.stats(this.ch);
  }

  /** Stops serving and closes the socket (the port is free when this returns). Idempotent. */
  close(): void {
    this.closed = true;
    this.addon.close(this.ch);
  }

  /** One batch: answer each datagram; returns how many replies were written to `out` for the addon to send. */
  private onBatch(batch: Buffer, count: number): number {
    const { out, outWords, record, addon, ch } = this;
    // the batch is a Buffer of its own (byteOffset 0), so its records can be read as words too
    const words = new Uint32Array(batch.buffer, batch.byteOffset, (count * record) >> 2);
    const recordWords = record >> 2;
    let replies = 0;
    let at = this.dataStart;
    for (let i = 0; i < count; i++) {
      const r = i * record;
      const rw = i * recordWords;
      const offset = words[rw];
      const reply = this.handler(batch.subarray(offset, offset + words[rw + 1]));
      if (reply === undefined) continue;
      if (reply instanceof Promise) {
        const peer = batch.subarray(r + 8, r + record);
        void reply.then((b) => b && !this.closed && addon.sendTo(ch, b, peer));
        continue;
      }
      if (at + reply.length > out.length) {
        addon.flush(ch, replies);
        replies = 0;
        at = this.dataStart;
      }
      const ww = replies * recordWords;
      out.set(reply, at);
      outWords[ww] = at;
      outWords[ww + 1] = reply.length;
      for (let k = 2; k < recordWords; k++) outWords[ww + k] = words[rw + k]; // peer length and sockaddr
      at += reply.length;
      replies++;
    }
    return replies;
  }
}
