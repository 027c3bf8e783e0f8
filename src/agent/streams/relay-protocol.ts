// The framing between the agent and one `k3lite portforward-relay` process inside a pod's network namespace:
// many TCP connections share the relay's stdin/stdout. A frame is [u32 connection id][u8 type][u32 length][bytes].

/**
 * Agent → relay: OPEN (payload: the port, in decimal), DATA, END (half-close towards the pod), CLOSE (tear down).
 * Relay → agent: DATA, END (the pod half-closed), REFUSED (payload: why nothing accepted the connection), CLOSED
 * (payload: what went wrong, or empty). Every connection ends with exactly one REFUSED or CLOSED.
 */
export const FrameType = { OPEN: 1, DATA: 2, END: 3, CLOSE: 4, REFUSED: 5, CLOSED: 6 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  id: number;
  type: FrameType;
  payload: Buffer;
}

const HEADER = 9;

export function encodeFrame(id: number, type: FrameType, payload: Uint8Array = new Uint8Array()): Buffer {
  const head = Buffer.alloc(HEADER);
  head.writeUInt32BE(id >>> 0, 0);
  head.writeUInt8(type, 4);
  head.writeUInt32BE(payload.length, 5);
  return Buffer.concat([head, payload]);
}

/** Feeds bytes in as they arrive; calls `onFrame` for every whole frame, in order. */
export function frameReader(onFrame: (frame: Frame) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= HEADER) {
      const length = buf.readUInt32BE(5);
      if (buf.length < HEADER + length) break;
      const frame = {
        id: buf.readUInt32BE(0),
        type: buf.readUInt8(4) as FrameType,
        payload: Buffer.from(buf.subarray(HEADER, HEADER + length)),
      };
      buf = buf.subarray(HEADER + length);
      onFrame(frame);
    }
  };
}
