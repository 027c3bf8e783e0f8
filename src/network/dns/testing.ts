// For tests of cluster DNS: send one query over real UDP or TCP sockets and decode the answer.

import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { type DecodedPacket, decode, encode, type Packet, RECURSION_DESIRED } from "dns-packet";
import { frame, readFrames } from "./tcp-framing.ts";

/** A recursive query for one name, as a stub resolver sends it. */
export function queryPacket(name: string, type = "A", extra: Partial<Packet> = {}): Buffer {
  return encode({
    type: "query",
    id: Math.floor(Math.random() * 0x10000),
    flags: RECURSION_DESIRED,
    questions: [{ name, type: type as "A", class: "IN" }],
    ...extra,
  });
}

/** Sends raw bytes to 127.0.0.1:port and resolves with the raw answer (rejects after `timeoutMs`). */
export function exchange(port: number, raw: Buffer, via: "udp" | "tcp", timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${via} answer from 127.0.0.1:${port} in ${timeoutMs} ms`));
    }, timeoutMs);
    let cleanup = () => {};
    const done = (answer: Buffer) => {
      clearTimeout(timer);
      cleanup();
      resolve(answer);
    };
    if (via === "udp") {
      const socket = createSocket("udp4");
      cleanup = () => socket.close();
      socket.on("message", (msg) => done(msg));
      socket.send(raw, port, "127.0.0.1");
    } else {
      const socket = connect({ host: "127.0.0.1", port });
      cleanup = () => socket.destroy();
      socket.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.on("connect", () => socket.write(frame(raw)));
      readFrames(socket, (msg) => done(Buffer.from(msg)));
    }
  });
}

export async function ask(
  port: number,
  name: string,
  type = "A",
  via: "udp" | "tcp" = "udp",
): Promise<DecodedPacket & { rcode?: string }> {
  return decode(await exchange(port, queryPacket(name, type), via));
}
