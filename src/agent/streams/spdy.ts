// A small SPDY/3.1 server-side session, the framing kubectl's port-forward (and exec before 1.30) speaks:
// control frames SYN_STREAM/SYN_REPLY/RST_STREAM/SETTINGS/PING/GOAWAY/WINDOW_UPDATE and data frames, with
// header blocks compressed by one zlib stream per direction seeded with the SPDY dictionary. Streams are opened
// by the client; the server accepts each, reads its data and writes back on it.

import zlib from "node:zlib";
import { SPDY_DICTIONARY } from "./spdy-dictionary.ts";

const VERSION = 3;
const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const FLAG_FIN = 0x01;

export interface SpdyStream {
  id: number;
  headers: Record<string, string>;
  write(data: Uint8Array): void;
  /** Half-closes our side (FIN). */
  end(): void;
  reset(): void;
  onData(fn: (data: Buffer) => void): void;
  /** The peer half-closed its side (or reset the stream). */
  onEnd(fn: () => void): void;
}

/** Something carrying the session's bytes: a raw upgraded socket, or WebSocket binary messages. */
export interface ByteChannel {
  write(data: Uint8Array): void;
  close(): void;
  onData(fn: (data: Buffer) => void): void;
  onClose(fn: () => void): void;
}

function zflush(s: zlib.Deflate | zlib.Inflate, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const onData = (c: Buffer) => out.push(c);
    const onError = (err: Error) => reject(err);
    s.on("data", onData);
    s.once("error", onError);
    s.write(data);
    s.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      s.off("data", onData);
      s.off("error", onError);
      resolve(Buffer.concat(out));
    });
  });
}

function encodeHeaders(h: Record<string, string>): Buffer {
  const entries = Object.entries(h);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [k, v] of entries)
    parts.push(u32(Buffer.byteLength(k)), Buffer.from(k), u32(Buffer.byteLength(v)), Buffer.from(v));
  return Buffer.concat(parts);
}

function decodeHeaders(b: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  const n = b.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < n; i++) {
    const kl = b.readUInt32BE(off);
    const k = b.subarray(off + 4, off + 4 + kl).toString();
    off += 4 + kl;
    const vl = b.readUInt32BE(off);
    // Several values of one name are separated by NUL; we keep the first.
    const v = b
      .subarray(off + 4, off + 4 + vl)
      .toString()
      .split("\0")[0] as string;
    off += 4 + vl;
    out[k.toLowerCase()] = v;
  }
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([head, payload]);
}

function dataFrame(streamId: number, flags: number, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(((flags & 0xff) << 24) | data.length, 4);
  return Buffer.concat([head, data]);
}

const MAX_DATA = 0xffffff;

/** Runs a server session over `channel`, calling `onStream` for every stream the client opens. */
export function serveSpdy(channel: ByteChannel, onStream: (s: SpdyStream) => void): { close(): void } {
  const inflate = zlib.createInflate({ dictionary: SPDY_DICTIONARY });
  const deflate = zlib.createDeflate({ dictionary: SPDY_DICTIONARY });
  const streams = new Map<number, { data: ((d: Buffer) => void)[]; end: (() => void)[]; ended: boolean }>();
  let buf: Buffer = Buffer.alloc(0);
  let closed = false;
  // Frames are handled strictly in order (header blocks share one zlib stream per direction).
  let inbound = Promise.resolve();
  let outbound = Promise.resolve();
  const send = (make: () => Promise<Buffer> | Buffer) => {
    outbound = outbound.then(async () => {
      if (!closed) channel.write(await make());
    });
  };

  const close = () => {
    if (closed) return;
    closed = true;
    for (const s of streams.values()) if (!s.ended) for (const fn of s.end) fn();
    inflate.close();
    deflate.close();
    channel.close();
  };

  async function handleFrame(frame: Buffer) {
    const control = (frame[0] as number) & 0x80;
    const flags = frame[4] as number;
    const payload = frame.subarray(8);
    if (!control) {
      const id = frame.readUInt32BE(0) & 0x7fffffff;
      const s = streams.get(id);
      if (!s) return;
      if (payload.length) for (const fn of s.data) fn(Buffer.from(payload));
      if (flags & FLAG_FIN && !s.ended) {
        s.ended = true;
        for (const fn of s.end) fn();
      }
      return;
    }
    const type = frame.readUInt16BE(2);
    if (type === SYN_STREAM) {
      const id = payload.readUInt32BE(0) & 0x7fffffff;
      const headers = decodeHeaders(await zflush(inflate, payload.subarray(10)));
      const state = { data: [] as ((d: Buffer) => void)[], end: [] as (() => void)[], ended: false };
      streams.set(id, state);
      send(async () => controlFrame(SYN_REPLY, 0, Buffer.concat([u32(id), await zflush(deflate, encodeHeaders({}))])));
      onStream({
        id,
        headers,
        write(data) {
          for (let off = 0; off < data.length; off += MAX_DATA)
            send(() => dataFrame(id, 0, data.subarray(off, off + MAX_DATA)));
        },
        end: () => send(() => dataFrame(id, FLAG_FIN, new Uint8Array())),
        reset: () => send(() => controlFrame(RST_STREAM, 0, Buffer.concat([u32(id), u32(5 /* CANCEL */)]))),
        onData: (fn) => state.data.push(fn),
        onEnd: (fn) => state.end.push(fn),
      });
      if (flags & FLAG_FIN) {
        state.ended = true;
        queueMicrotask(() => {
          for (const fn of state.end) fn();
        });
      }
    } else if (type === RST_STREAM) {
      const id = payload.readUInt32BE(0) & 0x7fffffff;
      const s = streams.get(id);
      if (s && !s.ended) {
        s.ended = true;
        for (const fn of s.end) fn();
      }
    } else if (type === PING) {
      send(() => controlFrame(PING, 0, Buffer.from(payload)));
    } else if (type === GOAWAY) {
      close();
    }
    // SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do for port-forward.
  }

  channel.onData((d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    while (buf.length >= 8) {
      const len = buf.readUInt32BE(4) & 0xffffff;
      if (buf.length < 8 + len) break;
      const frame = buf.subarray(0, 8 + len);
      buf = buf.subarray(8 + len);
      inbound = inbound.then(() => handleFrame(frame)).catch(() => close());
    }
  });
  channel.onClose(close);
  return { close };
}
