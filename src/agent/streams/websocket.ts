// A minimal server-side WebSocket (RFC 6455) over an already-upgraded socket: the handshake answer, message
// reassembly, ping/pong and close. Enough for Kubernetes' channel protocols (v4/v5.channel.k8s.io), where
// every message is binary with the channel number as its first byte.

import { createHash } from "node:crypto";
import type { Duplex } from "node:stream";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export interface WebSocketConnection {
  protocol: string;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onMessage(fn: (data: Buffer) => void): void;
  onClose(fn: () => void): void;
}

/** Answers the upgrade with the first of `protocols` the client offered; undefined if none matches. */
export function acceptWebSocket(
  headers: Record<string, string | string[] | undefined>,
  socket: Duplex,
  head: Buffer,
  protocols: string[],
): WebSocketConnection | undefined {
  const key = headers["sec-websocket-key"];
  const offered = String(headers["sec-websocket-protocol"] ?? "")
    .split(",")
    .map((s) => s.trim());
  const protocol = protocols.find((p) => offered.includes(p));
  if (typeof key !== "string" || !protocol) {
    socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    return undefined;
  }
  const accept = createHash("sha1")
    .update(key + GUID)
    .digest("base64");
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
  );
  const messageHandlers: ((d: Buffer) => void)[] = [];
  // What arrives before anyone listens (kubectl sends stdin the moment the upgrade is answered, while the agent
  // is still asking CRI for the attach URL) is kept for the first listener instead of dropped.
  const early: Buffer[] = [];
  const closeHandlers: (() => void)[] = [];
  let buf: Buffer = head.length ? Buffer.from(head) : Buffer.alloc(0);
  let fragments: Buffer[] = [];
  let closed = false;

  const frame = (opcode: number, payload: Uint8Array) => {
    const len = payload.length;
    const header = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    if (len < 126) header[1] = len;
    else if (len < 65536) {
      header[1] = 126;
      header.writeUInt16BE(len, 2);
    } else {
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(len), 2);
    }
    return Buffer.concat([header, payload]);
  };
  const finish = () => {
    if (closed) return;
    closed = true;
    for (const fn of closeHandlers) fn();
  };

  const parse = () => {
    for (;;) {
      if (buf.length < 2) return;
      const b0 = buf[0] as number;
      const b1 = buf[1] as number;
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const maskOff = off;
      if (masked) off += 4;
      if (buf.length < off + len) return;
      const payload = Buffer.from(buf.subarray(off, off + len));
      if (masked)
        for (let i = 0; i < len; i++) payload[i] = (payload[i] as number) ^ (buf[maskOff + (i % 4)] as number);
      buf = buf.subarray(off + len);
      const opcode = b0 & 0x0f;
      const fin = (b0 & 0x80) !== 0;
      if (opcode === 0x8) {
        if (!closed) socket.end(frame(0x8, payload.subarray(0, 2)));
        finish();
        return;
      }
      if (opcode === 0x9) {
        socket.write(frame(0xa, payload));
        continue;
      }
      if (opcode === 0xa) continue;
      fragments.push(payload);
      if (fin) {
        const msg = fragments.length === 1 ? (fragments[0] as Buffer) : Buffer.concat(fragments);
        fragments = [];
        if (messageHandlers.length === 0) early.push(msg);
        else for (const fn of messageHandlers) fn(msg);
      }
    }
  };
  socket.on("data", (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    parse();
  });
  socket.on("close", finish);
  socket.on("error", finish);
  queueMicrotask(parse);

  return {
    protocol,
    send(data) {
      if (!closed) socket.write(frame(0x2, data));
    },
    close(code = 1000, reason = "") {
      if (closed) return;
      const body = Buffer.alloc(2 + Buffer.byteLength(reason));
      body.writeUInt16BE(code, 0);
      body.write(reason, 2);
      socket.end(frame(0x8, body));
      finish();
    },
    onMessage(fn) {
      messageHandlers.push(fn);
      for (const msg of early.splice(0)) fn(msg);
    },
    onClose(fn) {
      closeHandlers.push(fn);
    },
  };
}
